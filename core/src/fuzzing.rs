//! Entry points and invariants for the fuzz targets (`core/fuzz/`) and the property tests
//! (`core/tests/fuzz_props.rs`). Not an API: thin wrappers over what the core runs on
//! untrusted input, and the checks both harnesses assert, written once here.

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use url::Url;

use crate::error::ParseError;
pub use crate::site::Card;
pub use crate::model::PreparedArticle;

/// The base a fuzzed fragment's relative URLs resolve against.
pub const BASE: &str = "https://example.org/news/feed.xml";
/// A site article page's URL (the adapter reads the edition from its path).
pub const SITE_ARTICLE: &str = "https://caliber.az/post/fuzz-story";
/// A site listing's URL.
pub const SITE_LISTING: &str = "https://caliber.az/";

/// The "now" dates are judged against, fixed so a finding replays.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 26, 12, 0, 0).unwrap()
}

/// A feed document as a sync reads it: parsed, each item prepared (sanitised) for storage.
pub fn parse_feed(body: &[u8], url: &str) -> Result<(Option<String>, Vec<PreparedArticle>), ParseError> {
    let feed = crate::parse::parse_feed(body, url, None, None)?;
    Ok((feed.title, feed.items.into_iter().map(crate::prepare::prepare_article).collect()))
}

/// `sanitize_html` against `BASE`.
pub fn sanitize(html: &str) -> String {
    crate::sanitize::sanitize_html(html, &Url::parse(BASE).unwrap())
}

/// `sanitize_html_and_text` against `BASE`: the HTML, and the index's text made in its walk.
pub fn sanitize_and_text(html: &str) -> (String, String) {
    crate::sanitize::sanitize_html_and_text(html, &Url::parse(BASE).unwrap())
}

/// One pass of the sanitising policy and one of its reference (ammonia, which it replaced)
/// against `BASE`: (ours, the reference's), each with whether a URL was dropped.
#[cfg(feature = "reference-sanitizer")]
pub fn policy_and_reference_pass(html: &str) -> ((String, bool), (String, bool)) {
    crate::sanitize::set_base_for_tests(&Url::parse(BASE).unwrap());
    crate::sanitize::reference::both_passes(html)
}

/// The tree the sanitiser's straight tree builder makes of `html` where it reads it to the
/// end, and the one html5ever's tree builder makes (`None`: left to html5ever's tokenizer).
#[cfg(feature = "reference-sanitizer")]
pub fn straight_and_html5ever_trees(html: &str) -> (Option<String>, Option<String>) {
    crate::sanitize::straight_and_html5ever_trees(html)
}

/// Each item's title, summary HTML and body HTML as the feed gives them, before
/// sanitising (for the text bench).
pub fn feed_bodies(body: &[u8], url: &str) -> Result<Vec<(String, String, String)>, ParseError> {
    let feed = crate::parse::parse_feed(body, url, None, None)?;
    Ok(feed
        .items
        .into_iter()
        .filter_map(|item| {
            let html = item.content_html.or(item.summary_html.clone())?;
            Some((item.title, item.summary_html.unwrap_or_default(), html))
        })
        .collect())
}

/// A sanitised body's text as the search index stores it.
pub fn index_text(html: &str) -> String {
    crate::sanitize::html_to_text(html)
}

/// How many tokens the index's tokenizer makes of `texts`, by the table tokenizer or by
/// FTS5's builtin `unicode61` (`table_tokenizer` false).
pub fn index_token_count(table_tokenizer: bool, texts: &[&str]) -> usize {
    crate::store::count_index_tokens(table_tokenizer, texts).expect("an in-memory connection tokenizes")
}

/// The index's `folded` column for an article's title, summary and text.
pub fn folded_words(texts: &[&str]) -> String {
    crate::store::search::folded_words(texts)
}

/// An article page through the site adapter, prepared for storage as a sync does.
pub fn site_article(html: &str) -> Result<PreparedArticle, ParseError> {
    crate::site::parse_article(html, SITE_ARTICLE, None, now()).map(crate::prepare::prepare_article)
}

/// A listing page through the site adapter.
pub fn site_listing(html: &str) -> Result<Vec<Card>, ParseError> {
    crate::site::parse_listing(html, SITE_LISTING, now())
}

/// A feed's date (RFC 822/2822, W3C-DTF/ISO 8601 and their variants).
pub fn parse_date(raw: &str) -> Option<DateTime<Utc>> {
    crate::xmlfeed::parse_date(raw)
}

/// A date as the site prints it, judged against `now()`.
pub fn parse_site_time(text: &str) -> Option<DateTime<Utc>> {
    crate::site::parse_site_time(text, now())
}

// ------------------------------------------------------------------ invariants

/// Elements that run script, load a document or a plugin, change the page's base or
/// policy, submit, or carry foreign (SVG/MathML) content.
const BANNED_ELEMENTS: &[&str] = &[
    "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "svg", "math", "base", "meta", "link",
    "form", "input", "button", "textarea", "select", "template", "noscript", "portal", "xmp", "plaintext", "noembed",
    "noframes",
];

/// Attributes that hold a URL ammonia or the browser would load or navigate to.
const URL_ATTRIBUTES: &[&str] = &["href", "src", "action", "formaction", "poster", "data", "cite", "background", "srcset", "ping", "xlink:href", "codebase"];

/// What is wrong with `html` as sanitiser output (empty when nothing): script-capable
/// markup, event handlers, URLs other than absolute http(s) (and `mailto:` links), the
/// app's own origins, control characters. Checked on the tree the HTML5 parser builds from
/// it, as the web view would (a `<script` inside a quoted attribute value is text).
pub fn sanitized_violations(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    if let Some(c) = html.chars().find(|&c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')) {
        found.push(format!("control character {c:?}"));
    }
    let doc = dom_query::Document::fragment(html);
    for node in doc.root().descendants_it().filter(|n| n.is_element()) {
        let name = node.node_name().map(|n| n.to_ascii_lowercase()).unwrap_or_default();
        if BANNED_ELEMENTS.contains(&name.as_str()) {
            found.push(format!("element <{name}>"));
        }
        for attr in node.attrs() {
            let local = attr.name.local.to_string().to_ascii_lowercase();
            let full = match &attr.name.prefix {
                Some(prefix) => format!("{}:{local}", prefix.to_string().to_ascii_lowercase()),
                None => local.clone(),
            };
            let value: &str = &attr.value;
            if local.starts_with("on") || local == "srcdoc" || local == "style" || local == "formaction" {
                found.push(format!("attribute {full}={value:?} on <{name}>"));
                continue;
            }
            if !URL_ATTRIBUTES.contains(&full.as_str()) && !URL_ATTRIBUTES.contains(&local.as_str()) {
                continue;
            }
            let allowed = match (name.as_str(), full.as_str()) {
                ("a", "href") => url_ok(value, true),
                (_, "href") | (_, "src") => url_ok(value, false),
                _ => false,
            };
            if !allowed {
                found.push(format!("URL attribute {full}={value:?} on <{name}>"));
            }
        }
    }
    found
}

/// An absolute http(s) URL not at the app's own origins (or, when `mailto` is allowed, a
/// `mailto:` one). The value is taken as the browser takes it: no trimming helps it.
fn url_ok(value: &str, mailto: bool) -> bool {
    let Ok(url) = Url::parse(value) else { return false };
    match url.scheme() {
        "http" | "https" => {
            let host = url.host_str().unwrap_or("").trim_end_matches('.').to_ascii_lowercase();
            value.to_ascii_lowercase().starts_with(url.scheme()) && host != "localhost" && !host.ends_with(".localhost")
        }
        "mailto" => mailto && value.get(..7).is_some_and(|s| s.eq_ignore_ascii_case("mailto:")),
        _ => false,
    }
}

/// Sanitising its own output changes nothing.
pub fn idempotence_violation(html: &str) -> Option<String> {
    let once = sanitize(html);
    let twice = sanitize(&once);
    (once != twice).then(|| format!("sanitise(sanitise(x)) != sanitise(x):\n once: {once:?}\ntwice: {twice:?}"))
}

fn has_control(text: &str) -> bool {
    text.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

/// What is wrong with an article as it would be stored: its HTML fails the sanitiser
/// invariants, a text field the reader sees holds a control character, its link or
/// picture is not absolute http(s), its dates are out of range.
pub fn article_violations(a: &PreparedArticle) -> Vec<String> {
    let mut found = Vec::new();
    if let Some(html) = &a.content_html {
        found.extend(sanitized_violations(html).into_iter().map(|v| format!("content_html: {v}")));
    }
    let texts = [("title", Some(&a.title)), ("summary", a.summary.as_ref()), ("author", a.author.as_ref())];
    for (field, text) in texts.into_iter().chain(a.categories.iter().map(|c| ("category", Some(c)))) {
        if text.is_some_and(|t| has_control(t)) {
            found.push(format!("{field} holds a control character: {text:?}"));
        }
    }
    for (field, url) in [("url", &a.url), ("image_url", &a.image_url)] {
        if let Some(url) = url
            && !Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
        {
            found.push(format!("{field} is not absolute http(s): {url:?}"));
        }
    }
    for date in [a.published_at, a.updated_at].into_iter().flatten() {
        if !feed_date_in_range(date) {
            found.push(format!("date out of range: {date:?}"));
        }
    }
    found
}

/// A feed date: a year of four digits, as every format writes it, from 1 on.
pub fn feed_date_in_range(d: DateTime<Utc>) -> bool {
    (1..=9999).contains(&d.year())
}

/// A site date: the site did not exist before 1990 and never dates ahead (`now() + 2 days`
/// is the adapter's own limit).
pub fn site_date_in_range(d: DateTime<Utc>) -> bool {
    d.year() >= 1990 && d < now() + Duration::days(2)
}

/// What is wrong with a listing card: its URL or picture is not absolute http(s), its
/// title holds a control character, its date is out of range.
pub fn card_violations(card: &Card) -> Vec<String> {
    let mut found = Vec::new();
    for (field, url) in [("url", Some(&card.url)), ("image_url", card.image_url.as_ref())] {
        if let Some(url) = url
            && !Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
        {
            found.push(format!("{field} is not absolute http(s): {url:?}"));
        }
    }
    for (field, text) in [("title", Some(&card.title)), ("section", card.section.as_ref())] {
        if text.is_some_and(|t| has_control(t)) {
            found.push(format!("{field} holds a control character: {text:?}"));
        }
    }
    if let Some(d) = card.published
        && !site_date_in_range(d)
    {
        found.push(format!("date out of range: {d:?}"));
    }
    found
}
