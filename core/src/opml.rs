//! OPML import and export of sources.

use crate::error::{Error, Result};
use crate::model::Source;

/// One `<outline xmlUrl=…>`: its feed URL as written (trimmed, maybe empty) and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedOutline {
    pub url: String,
    pub text: Option<String>,
}

/// Every `<outline xmlUrl=…>`, nested folders included, in document order, each URL once.
/// Outlines are not checked here: one bad outline must not cost the others.
pub fn feed_outlines(opml: &str) -> Result<Vec<FeedOutline>> {
    if !opml.to_ascii_lowercase().contains("<opml") {
        return Err(Error::Opml("no <opml> element".into()));
    }
    // The HTML parser is lenient with real-world OPML and lower-cases attribute names.
    let doc = crate::sanitize::parse_document(opml);
    let mut outlines: Vec<FeedOutline> = Vec::new();
    for outline in doc.select("outline[xmlurl]").iter() {
        let url = outline.attr("xmlurl").map(|u| u.trim().to_owned()).unwrap_or_default();
        if url.is_empty() || !outlines.iter().any(|o| o.url == url) {
            let text = outline.attr("text").or_else(|| outline.attr("title")).map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
            outlines.push(FeedOutline { url, text });
        }
    }
    if outlines.is_empty() {
        return Err(Error::Opml("no outline with an xmlUrl".into()));
    }
    Ok(outlines)
}

pub fn write(sources: &[Source]) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\">\n  <head><title>Caliber Reader sources</title></head>\n  <body>\n",
    );
    for s in sources {
        let title = escape(s.title.as_deref().unwrap_or(&s.url));
        let kind = if s.kind == Some(crate::model::SourceKind::Site) { "caliber-site" } else { "rss" };
        out.push_str(&format!("    <outline type=\"{kind}\" text=\"{title}\" title=\"{title}\" xmlUrl=\"{}\"/>\n", escape(&s.url)));
    }
    out.push_str("  </body>\n</opml>\n");
    out
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_outlines_are_found_once() {
        let opml = r#"<?xml version="1.0"?><opml version="1.0"><body>
            <outline text="News"><outline text="A" xmlUrl="https://a.example/rss?x=1&amp;y=2"/>
            <outline text="B" xmlUrl=" https://b.example/atom "/></outline>
            <outline text="A again" xmlUrl="https://a.example/rss?x=1&amp;y=2"/></body></opml>"#;
        let urls: Vec<String> = feed_outlines(opml).unwrap().into_iter().map(|o| o.url).collect();
        assert_eq!(urls, vec!["https://a.example/rss?x=1&y=2", "https://b.example/atom"]);
    }

    #[test]
    fn not_opml_is_a_clear_error() {
        assert!(feed_outlines("<html><body>hi</body></html>").unwrap_err().to_string().contains("OPML"));
    }
}
