//! Pages (HTML) → the site adapter's article and listing cards: no panic; what it returns
//! would be safe to store.
#![no_main]

use caliber_core::fuzzing;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let html = String::from_utf8_lossy(data);
    if let Ok(article) = fuzzing::site_article(&html) {
        let violations = fuzzing::article_violations(&article);
        assert!(violations.is_empty(), "{violations:#?}\n{article:?}");
    }
    if let Ok(cards) = fuzzing::site_listing(&html) {
        for card in &cards {
            let violations = fuzzing::card_violations(card);
            assert!(violations.is_empty(), "{violations:#?}\n{card:?}");
        }
    }
});
