//! Date text → feed and site dates: no panic; a date read is in range.
#![no_main]

use caliber_core::fuzzing;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Some(d) = fuzzing::parse_date(&text) {
        assert!(fuzzing::feed_date_in_range(d), "feed date {text:?} read as {d:?}");
    }
    if let Some(d) = fuzzing::parse_site_time(&text) {
        assert!(fuzzing::site_date_in_range(d), "site date {text:?} read as {d:?}");
    }
});
