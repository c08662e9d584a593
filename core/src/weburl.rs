//! Links found in feeds and pages, made absolute. Only http(s) links are kept: a
//! `javascript:` or `file:` link is no link a reader can follow.

use url::Url;

/// `href` resolved against `base`, if the result is an http(s) URL.
pub(crate) fn resolve_web(base: &Url, href: &str) -> Option<Url> {
    base.join(href.trim()).ok().filter(|u| matches!(u.scheme(), "http" | "https"))
}

#[cfg(test)]
mod tests {
    use super::resolve_web;
    use url::Url;

    #[test]
    fn relative_links_resolve_and_only_web_ones_are_kept() {
        let base = Url::parse("https://caliber.az/en/post/1").unwrap();
        assert_eq!(resolve_web(&base, " /img/a.jpg ").unwrap().as_str(), "https://caliber.az/img/a.jpg");
        assert_eq!(resolve_web(&base, "2").unwrap().as_str(), "https://caliber.az/en/post/2");
        assert!(resolve_web(&base, "javascript:alert(1)").is_none());
        assert!(resolve_web(&base, "file:///etc/passwd").is_none());
    }
}
