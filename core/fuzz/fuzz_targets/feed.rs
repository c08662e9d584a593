//! Feed documents (bytes) → parsed, prepared articles: no panic; every article stored
//! would be safe (sanitised HTML, no control characters, http(s) links, dates in range).
#![no_main]

use caliber_core::fuzzing;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((title, articles)) = fuzzing::parse_feed(data, fuzzing::BASE) {
        if let Some(title) = &title {
            assert!(!title.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')), "feed title {title:?}");
        }
        for article in &articles {
            let violations = fuzzing::article_violations(article);
            assert!(violations.is_empty(), "{violations:#?}\n{article:?}");
        }
    }
});
