//! Case folding for matching words across the editions' alphabets. `str::to_lowercase`
//! alone leaves Azerbaijani "İ" as "i" plus a combining dot above (U+0307), so "İLHAM"
//! would not match "ilham"; everything that compares words a reader typed or a headline
//! uses this one rule.

/// Lowercase, without the combining dot that lowercasing "İ" leaves behind.
pub(crate) fn fold_case(s: &str) -> String {
    let lower = s.to_lowercase();
    if lower.contains('\u{307}') { lower.replace('\u{307}', "") } else { lower }
}

#[cfg(test)]
mod tests {
    use super::fold_case;

    #[test]
    fn capitals_of_every_edition_fold_to_their_small_letters() {
        assert_eq!(fold_case("İLHAM ƏLİYEV"), "ilham əliyev");
        assert_eq!(fold_case("БАКУ"), "баку");
        assert_eq!(fold_case("Baku"), "baku");
        assert_eq!(fold_case("ԲԱՔՈՒ"), "բաքու");
    }
}
