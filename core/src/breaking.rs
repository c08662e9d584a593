//! The one rule set that marks a story as breaking news.

/// Words that mark urgency, lower-case, in the site's languages (Armenian "շտապ": urgent).
const URGENT_MARKERS: &[&str] = &[
    "breaking", "breaking news", "urgent", "flash",
    "срочно", "срочная новость", "молния", "экстренно",
    "təcili", "son dəqiqə", "şok", "flaş",
    "շտապ", "շտապ լուր",
];

/// A category equal to a marker, or a title that starts with one followed by punctuation
/// ("Срочно: …", "BREAKING — …"). A marker in the middle of a title does not count:
/// "Urgent care reform" is not breaking news.
pub fn is_breaking(title: &str, categories: &[String]) -> bool {
    categories.iter().any(|c| {
        let c = crate::fold::fold_case(c.trim());
        URGENT_MARKERS.contains(&c.as_str())
    }) || title_marked(title)
}

fn title_marked(title: &str) -> bool {
    let title = crate::fold::fold_case(title.trim_start_matches(|c: char| c.is_whitespace() || "⚡🔴❗!*[(".contains(c)));
    URGENT_MARKERS.iter().any(|marker| {
        title.strip_prefix(marker).is_some_and(|rest| {
            // '։' is the Armenian full stop, which headlines use as a colon.
            rest.trim_start().starts_with([':', '!', '—', '–', '-', '|', ']', ')', '.', '։'])
        })
    })
}

#[cfg(test)]
mod tests {
    use super::is_breaking;

    #[test]
    fn markers_in_each_language() {
        for title in ["Срочно: землетрясение в Баку", "BREAKING: talks end", "Təcili! Yol bağlanıb", "⚡ Молния — пожар", "Son dəqiqə: xəbər"] {
            assert!(is_breaking(title, &[]), "{title}");
        }
        assert!(is_breaking("Talks end", &["Breaking".into()]));
        assert!(is_breaking("Talks end", &["Срочно".into()]));
        assert!(is_breaking("x", &[" TƏCİLİ ".into()]));
        assert!(is_breaking("TƏCİLİ: yol bağlanıb", &[]));
        assert!(is_breaking("Շտապ. երկրաշարժ Կասպից ծովում", &[]));
        assert!(is_breaking("ՇՏԱՊ։ երկրաշարժ Կասպից ծովում", &[]));
        assert!(is_breaking("Talks end", &["ՇՏԱՊ".into()]));
    }

    #[test]
    fn ordinary_titles_are_not_breaking() {
        for title in ["Urgent care reform passes", "Why breaking news fatigue is real", "Молниеносный рост цен", "Շտապօգնության նոր մեքենաներ", ""] {
            assert!(!is_breaking(title, &["Politics".into()]), "{title}");
        }
    }
}
