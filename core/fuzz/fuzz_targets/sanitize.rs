//! Untrusted HTML → sanitised HTML: no script-capable markup, event handler or URL other
//! than absolute http(s)/mailto in the tree the HTML5 parser builds from it; sanitising
//! twice gives what sanitising once gave.
#![no_main]

use caliber_core::fuzzing;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let html = String::from_utf8_lossy(data);
    let once = fuzzing::sanitize(&html);
    let violations = fuzzing::sanitized_violations(&once);
    assert!(violations.is_empty(), "{violations:#?}\noutput: {once:?}");
    let twice = fuzzing::sanitize(&once);
    assert_eq!(once, twice, "re-sanitising changed the output");
    let _ = caliber_core::html_to_text(&html);
});
