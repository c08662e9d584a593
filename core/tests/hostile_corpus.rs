//! The hostile-HTML corpus (tests/fixture-server/hostile/corpus.json, issue 12 item 4) through
//! the sanitiser: what comes out holds no script, handler, frame, style or non-web URL, and
//! sanitising it again changes nothing (markup that re-forms into something else on a second
//! parse, as the WebView's is, would show here first). The same corpus runs in the real app
//! in tests/e2e/hostile.test.js.

use caliber_core::{html_to_text, sanitize_html};
use url::Url;

const ORIGIN: &str = "http://127.0.0.1:8765";

struct Payload {
    name: String,
    field: String,
    html: String,
}

/// The corpus with its placeholders filled in as the fixture server fills them.
fn corpus() -> Vec<Payload> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixture-server/hostile/corpus.json");
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    doc["payloads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let name = p["name"].as_str().unwrap().to_owned();
            let leak = format!("{ORIGIN}/leak?name={name}");
            let js = format!("window.__pwned=1;fetch('{leak}')");
            let html = p["value"]
                .as_str()
                .unwrap()
                .replace("{JS}", &js)
                .replace("{LEAK}", &leak)
                .replace("{HOSTENC}", "http%3A%2F%2F127.0.0.1%3A8765")
                .replace("{HOST}", ORIGIN);
            Payload { name, field: p["field"].as_str().unwrap().to_owned(), html }
        })
        .collect()
}

/// Start tags of serialised HTML (as html5ever writes it: text has `<` escaped, attribute
/// values are double-quoted with `"` escaped): (name, [(attribute, value)]).
fn start_tags(html: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut tags = Vec::new();
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        rest = &rest[lt + 1..];
        if rest.starts_with('/') || rest.starts_with('!') {
            rest = &rest[rest.find('>').map_or(rest.len(), |i| i + 1)..];
            continue;
        }
        let name_end = rest.find(|c: char| c.is_whitespace() || c == '>' || c == '/').unwrap_or(rest.len());
        let name = rest[..name_end].to_ascii_lowercase();
        rest = &rest[name_end..];
        let mut attrs = Vec::new();
        loop {
            rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '/');
            if rest.is_empty() || rest.starts_with('>') {
                rest = rest.get(1..).unwrap_or("");
                break;
            }
            // At least one character, so a stray `=` cannot stall the scan.
            let attr_end = rest.char_indices().skip(1).find(|&(_, c)| c.is_whitespace() || c == '=' || c == '>' || c == '/').map_or(rest.len(), |(i, _)| i);
            let attr = rest[..attr_end].to_ascii_lowercase();
            rest = &rest[attr_end..];
            let mut value = String::new();
            if let Some(after) = rest.strip_prefix('=') {
                let (quote, after) = match after.chars().next() {
                    Some(q @ ('"' | '\'')) => (Some(q), &after[1..]),
                    _ => (None, after),
                };
                let close = match quote {
                    Some(q) => after.find(q).unwrap_or(after.len()),
                    None => after.find(|c: char| c.is_whitespace() || c == '>').unwrap_or(after.len()),
                };
                value = after[..close].replace("&amp;", "&").replace("&quot;", "\"");
                rest = after.get(close + usize::from(quote.is_some())..).unwrap_or("");
            }
            attrs.push((attr, value));
        }
        tags.push((name, attrs));
    }
    tags
}

const BANNED_TAGS: &[&str] = &[
    "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "portal", "base", "meta", "link", "form",
    "input", "button", "textarea", "select", "option", "svg", "math", "template", "noscript", "noembed", "noframes", "xmp",
    "plaintext", "listing", "title", "video", "audio", "source", "track", "animate", "set", "use", "foreignobject", "image",
    "maction", "mglyph", "marquee", "body", "html", "head", "map", "area", "isindex", "param",
];

fn violations(clean: &str) -> Vec<String> {
    let mut bad = Vec::new();
    for (tag, attrs) in start_tags(clean) {
        if BANNED_TAGS.contains(&tag.as_str()) || tag.contains(':') {
            bad.push(format!("<{tag}>"));
        }
        for (attr, value) in attrs {
            let banned_attr = ["style", "srcdoc", "srcset", "formaction", "action", "data", "poster", "ping", "background", "id", "name", "usemap"];
            if attr.starts_with("on") || attr.contains(':') || banned_attr.contains(&attr.as_str()) {
                bad.push(format!("{tag}[{attr}]"));
            }
            if attr == "href" || attr == "src" || attr == "cite" {
                let lower = value.trim().to_ascii_lowercase();
                let web = lower.starts_with("http://") || lower.starts_with("https://") || (attr == "href" && lower.starts_with("mailto:"));
                let local = Url::parse(value.trim()).ok().and_then(|u| u.host_str().map(|h| h == "localhost" || h.ends_with(".localhost"))).unwrap_or(false);
                if !web || local {
                    bad.push(format!("{tag}[{attr}={value}]"));
                }
            }
        }
    }
    bad
}

#[test]
fn every_corpus_payload_comes_out_inert_and_stable() {
    let base = Url::parse(&format!("{ORIGIN}/hostile/post/hostile-01")).unwrap();
    let payloads = corpus();
    assert!(payloads.len() >= 60, "{} payloads", payloads.len());
    let mut checked = 0;
    for p in payloads.iter().filter(|p| matches!(p.field.as_str(), "body" | "page" | "summary")) {
        let clean = sanitize_html(&p.html, &base);
        assert_eq!(violations(&clean), Vec::<String>::new(), "{}: {clean}", p.name);
        assert_eq!(sanitize_html(&clean, &base), clean, "{}: sanitising again changes it", p.name);
        // The app parses the stored HTML once more (in a <template>) before showing it.
        assert_eq!(violations(&sanitize_html(&format!("<div>{clean}</div>"), &base)), Vec::<String>::new(), "{}", p.name);
        checked += 1;
    }
    // All payloads one after another, as the fixture feed puts several in one article.
    let all: String = payloads.iter().filter(|p| p.field == "body").map(|p| p.html.as_str()).collect();
    let clean = sanitize_html(&all, &base);
    assert_eq!(violations(&clean), Vec::<String>::new(), "{clean}");
    assert!(checked >= 140, "{checked}");
}

#[test]
fn text_fields_keep_markup_as_text() {
    // Titles and summaries are stored as text; the UI shows them as text. Markup in them
    // stays words, and entities are decoded once only.
    for p in corpus().iter().filter(|p| p.field == "title" || p.field == "summary") {
        let text = html_to_text(&p.html);
        assert!(!text.contains('\u{0}'), "{}", p.name);
    }
    assert_eq!(html_to_text("&amp;lt;img src=x onerror=1&amp;gt;"), "&lt;img src=x onerror=1&gt;");
}

#[test]
fn the_checker_sees_what_it_looks_for() {
    // Unsanitised, the corpus is full of what the checker looks for.
    let caught = corpus().iter().filter(|p| p.field == "body" && !violations(&p.html).is_empty()).count();
    assert!(caught >= 90, "{caught}");
    assert_eq!(violations(r#"<p title="<img src=x onerror=a>">t</p><a href="https://e.example/">e</a>"#), Vec::<String>::new());
    assert_eq!(violations(r#"<a href="javascript:x" onclick="y">j</a>"#), ["a[href=javascript:x]", "a[onclick]"]);
    assert_eq!(violations(r#"<img src="http://caliber-img.localhost/x">"#), ["img[src=http://caliber-img.localhost/x]"]);
}
