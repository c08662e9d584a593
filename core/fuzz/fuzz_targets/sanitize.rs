//! Untrusted HTML → sanitised HTML: no script-capable markup, event handler or URL other
//! than absolute http(s)/mailto in the tree the HTML5 parser builds from it; sanitising
//! twice gives what sanitising once gave; one pass gives what ammonia (the reference) gave;
//! the index's text made in the walk is the HTML's; the straight tree builder's tree, where
//! it reads the markup, is html5ever's.
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
    let (with_text, text) = fuzzing::sanitize_and_text(&html);
    assert_eq!(with_text, once);
    assert_eq!(text, fuzzing::index_text(&once), "the walk's text is not the HTML's");
    let (ours, reference) = fuzzing::policy_and_reference_pass(&html);
    assert_eq!(ours, reference, "one pass differs from the reference (ammonia)");
    if let (Some(straight), html5ever) = fuzzing::straight_and_html5ever_trees(&html) {
        assert_eq!(Some(straight), html5ever, "the straight tree builder's tree differs from html5ever's");
    }
    let _ = caliber_core::html_to_text(&html);
});
