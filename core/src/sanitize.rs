//! The one HTML policy. Everything from the network passes through `sanitize_html` before
//! it is stored: no script, style, iframe, form, event handler or non-http(s) URL survives,
//! and every `href`/`src` left is an absolute http(s) URL.

use std::cell::RefCell;
use std::collections::HashSet;

use ammonia::{Builder, UrlRelative, UrlRelativeEvaluate};
use url::Url;

thread_local! {
    // The builder is costly to make and not Sync; one per worker thread, reused.
    static POLICY: Builder<'static> = policy();
    static BASE: RefCell<Option<Url>> = const { RefCell::new(None) };
}

struct ResolveAgainstBase;

impl<'a> UrlRelativeEvaluate<'a> for ResolveAgainstBase {
    fn evaluate<'url>(&self, relative: &'url str) -> Option<std::borrow::Cow<'url, str>> {
        BASE.with(|base| {
            let base = base.borrow();
            let absolute = base.as_ref()?.join(relative).ok()?;
            matches!(absolute.scheme(), "http" | "https").then(|| absolute.to_string().into())
        })
    }
}

fn policy() -> Builder<'static> {
    let mut builder = Builder::default();
    builder
        .url_schemes(HashSet::from(["http", "https"]))
        .url_relative(UrlRelative::Custom(Box::new(ResolveAgainstBase)))
        .link_rel(Some("noopener noreferrer"))
        .add_tag_attributes("img", ["loading"])
        // `cite` holds a URL that ammonia does not check; nothing needs it.
        .rm_tag_attributes("blockquote", ["cite"])
        .rm_tag_attributes("q", ["cite"])
        .rm_tag_attributes("del", ["cite"])
        .rm_tag_attributes("ins", ["cite"])
        .rm_tags(["map", "area"]);
    builder
}

/// Sanitise untrusted HTML, resolving relative URLs against `base`.
pub fn sanitize_html(html: &str, base: &Url) -> String {
    BASE.with(|b| *b.borrow_mut() = Some(base.clone()));
    POLICY.with(|policy| policy.clean(html).to_string())
}

/// Plain text of an HTML fragment, for the search index and summaries. Tags become
/// word breaks; script/style content is dropped; entities are decoded.
pub fn html_to_text(html: &str) -> String {
    html_to_text_up_to(html, usize::MAX)
}

/// Like `html_to_text`, stopping once about `max_bytes` of text are out (for summaries).
pub fn html_to_text_up_to(html: &str, max_bytes: usize) -> String {
    let mut out = String::with_capacity(html.len().min(max_bytes) / 2);
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        if out.len() >= max_bytes {
            rest = "";
            break;
        }
        push_text(&mut out, &rest[..lt]);
        let tag = &rest[lt..];
        let Some(gt) = tag.find('>') else {
            rest = "";
            break;
        };
        let name = tag[1..gt].trim_start_matches('/').split(|c: char| c.is_whitespace() || c == '/').next().unwrap_or("");
        rest = &tag[gt + 1..];
        if name.eq_ignore_ascii_case("script") || name.eq_ignore_ascii_case("style") {
            let close = format!("</{}", name.to_ascii_lowercase());
            rest = match rest.to_ascii_lowercase().find(&close) {
                Some(i) => rest[i..].find('>').map_or("", |j| &rest[i + j + 1..]),
                None => "",
            };
        }
        if !out.ends_with(' ') && !out.is_empty() {
            out.push(' ');
        }
    }
    push_text(&mut out, rest);
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    out
}

fn push_text(out: &mut String, text: &str) {
    let mut rest = text;
    while !rest.is_empty() {
        let (chunk, after) = match rest.find('&') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        push_collapsed(out, chunk);
        if after.is_empty() {
            break;
        }
        let end = after.find(';').filter(|&e| e <= 10);
        match end.and_then(|e| decode_entity(&after[1..e]).map(|c| (c, e))) {
            Some((c, e)) => {
                push_collapsed(out, c.encode_utf8(&mut [0; 4]));
                rest = &after[e + 1..];
            }
            None => {
                push_collapsed(out, "&");
                rest = &after[1..];
            }
        }
    }
}

fn push_collapsed(out: &mut String, s: &str) {
    // Word by word (a memcpy each), not char by char: this runs over every stored body.
    let space_before = s.starts_with(char::is_whitespace);
    for (i, word) in s.split_whitespace().enumerate() {
        if (i > 0 || space_before) && !out.is_empty() && !out.ends_with(' ') {
            out.push(' ');
        }
        out.push_str(word);
    }
    if s.ends_with(char::is_whitespace) && !out.is_empty() && !out.ends_with(' ') {
        out.push(' ');
    }
}

fn decode_entity(name: &str) -> Option<char> {
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        "laquo" => '«',
        "raquo" => '»',
        "mdash" => '—',
        "ndash" => '–',
        "hellip" => '…',
        _ => {
            let num = name.strip_prefix('#')?;
            let code = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => num.parse().ok()?,
            };
            char::from_u32(code)?
        }
    })
}

/// At most `max_chars` characters of `text`, cut at a word boundary, with an ellipsis.
pub fn truncate_words(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max_chars).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if i > cut.len() / 2 => &cut[..i],
        _ => &cut,
    };
    format!("{}…", cut.trim_end_matches(|c: char| c.is_whitespace() || c.is_ascii_punctuation()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://example.org/news/feed.xml").unwrap()
    }

    #[test]
    fn hostile_markup_is_removed() {
        let dirty = r#"<p onclick="steal()">Hi<script>alert(1)</script><style>p{}</style>
            <iframe src="https://evil.example/"></iframe><form action="/x"><input name=a></form>
            <a href="javascript:alert(1)">js</a><img src="data:image/png;base64,AAAA" onerror="x()">
            <a href="vbscript:x">vb</a></p>"#;
        let clean = sanitize_html(dirty, &base());
        for banned in ["script", "style", "iframe", "form", "input", "onclick", "onerror", "javascript:", "vbscript:", "data:", "alert"] {
            assert!(!clean.contains(banned), "{banned} survived in {clean}");
        }
        assert!(clean.contains("Hi"));
    }

    #[test]
    fn relative_urls_become_absolute_http() {
        let clean = sanitize_html(r#"<a href="../a.html">a</a><img src="/i.jpg"><a href="//cdn.example/x">x</a>"#, &base());
        assert!(clean.contains(r#"href="https://example.org/a.html""#), "{clean}");
        assert!(clean.contains(r#"src="https://example.org/i.jpg""#), "{clean}");
        assert!(clean.contains(r#"href="https://cdn.example/x""#), "{clean}");
    }

    #[test]
    fn text_of_html_decodes_entities_and_drops_scripts() {
        let text = html_to_text("<p>Baku&nbsp;&amp; <b>Ganja</b></p><script>var x=1;</script><p>&#1041;&#x430;ку</p>");
        assert_eq!(text, "Baku & Ganja Баку");
    }

    #[test]
    fn text_of_html_collapses_whitespace_once_between_words() {
        assert_eq!(html_to_text("  <p>\n Oil\t\tand   gas </p>\n\n<p>rose</p>  "), "Oil and gas rose");
        assert_eq!(html_to_text("a<b>b</b>c &amp; d"), "a b c & d");
        assert_eq!(html_to_text("x &lt;  y"), "x < y");
        assert_eq!(html_to_text(" \n "), "");
    }

    #[test]
    fn summary_text_stops_near_its_limit() {
        let html = "<p>word </p>".repeat(1000);
        let text = html_to_text_up_to(&html, 100);
        assert!((95..120).contains(&text.len()), "{}", text.len());
        assert!(html_to_text(&html).starts_with(&text));
    }

    #[test]
    fn truncation_cuts_at_a_word() {
        assert_eq!(truncate_words("one two three four", 9), "one two…");
        assert_eq!(truncate_words("short", 9), "short");
    }
}
