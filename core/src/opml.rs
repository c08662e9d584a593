//! OPML import and export of sources.

use crate::error::{Error, Result};
use crate::model::Source;

/// Feed URLs of every `<outline xmlUrl=…>`, nested folders included, in document order.
pub fn feed_urls(opml: &str) -> Result<Vec<String>> {
    if !opml.to_ascii_lowercase().contains("<opml") {
        return Err(Error::Opml("no <opml> element".into()));
    }
    // The HTML parser is lenient with real-world OPML and lower-cases attribute names.
    let doc = dom_query::Document::from(opml);
    let mut urls: Vec<String> = Vec::new();
    for outline in doc.select("outline[xmlurl]").iter() {
        if let Some(url) = outline.attr("xmlurl").map(|u| u.trim().to_owned()).filter(|u| !u.is_empty())
            && !urls.contains(&url)
        {
            urls.push(url);
        }
    }
    if urls.is_empty() {
        return Err(Error::Opml("no outline with an xmlUrl".into()));
    }
    Ok(urls)
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
        assert_eq!(feed_urls(opml).unwrap(), vec!["https://a.example/rss?x=1&y=2", "https://b.example/atom"]);
    }

    #[test]
    fn not_opml_is_a_clear_error() {
        assert!(feed_urls("<html><body>hi</body></html>").unwrap_err().to_string().contains("OPML"));
    }
}
