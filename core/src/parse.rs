//! Feed documents (RSS 0.9x/1.0/2.0, Atom, JSON Feed) into raw items. Charset, truncation
//! and "this is a web page, not a feed" are decided here; HTML is sanitised later.

use std::time::Instant;

use chrono::{DateTime, Utc};
use encoding_rs::Encoding;
use sha2::{Digest, Sha256};
use url::Url;

use crate::digest::{ContentHash, Xxh3};
use crate::error::ParseError;
use crate::sanitize::html_to_text;
use crate::weburl::resolve_web;

#[derive(Debug, Clone)]
pub struct ParsedFeed {
    pub title: Option<String>,
    pub language: Option<String>,
    pub items: Vec<RawItem>,
    /// Items that could not be read (the rest are in `items`), for the source's error.
    pub problems: Vec<String>,
}

/// One entry as the feed gave it, HTML not yet sanitised.
#[derive(Debug, Clone)]
pub struct RawItem {
    pub guid: String,
    pub link: Option<String>,
    pub title: String,
    /// HTML (plain-text summaries are escaped into HTML).
    pub summary_html: Option<String>,
    pub content_html: Option<String>,
    pub author: Option<String>,
    pub categories: Vec<String>,
    pub published: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
    pub image_url: Option<String>,
    pub language: Option<String>,
    /// Base for relative URLs in the HTML (xml:base, else the feed's URL).
    pub base: Url,
    /// From the article page when full text was fetched.
    pub views: Option<i64>,
    /// Id of everything above but `guid` (`content_id`, XXH3-128): unchanged items are
    /// skipped without sanitising again.
    pub hash: [u8; 16],
}

/// Feeds a web page announces with `<link rel="alternate">`, absolute, in page order.
pub fn discover_feeds(html: &str, page_url: &str) -> Vec<String> {
    let Ok(base) = Url::parse(page_url) else { return Vec::new() };
    let doc = crate::sanitize::parse_document(html);
    let mut found: Vec<String> = Vec::new();
    for link in doc.select("link[rel~='alternate'][href]").iter() {
        let kind = link.attr("type").map(|t| t.to_ascii_lowercase()).unwrap_or_default();
        if !(kind.contains("rss") || kind.contains("atom") || kind.contains("feed+json") || kind == "application/json") {
            continue;
        }
        if let Some(url) = link.attr("href").and_then(|h| resolve_web(&base, &h))
            && !found.contains(&url.to_string())
        {
            found.push(url.to_string());
        }
    }
    found
}

/// True when a document is an HTML page rather than a feed.
pub fn looks_like_html(body: &[u8], content_type: Option<&str>) -> bool {
    let head = String::from_utf8_lossy(&body[..body.len().min(1024)]).trim_start_matches('\u{feff}').trim_start().to_ascii_lowercase();
    if head.starts_with("<!doctype html") || head.starts_with("<html") {
        return true;
    }
    content_type.is_some_and(|ct| ct.to_ascii_lowercase().starts_with("text/html"))
        && !head.starts_with("<?xml")
        && !head.starts_with("<rss")
        && !head.starts_with("<feed")
        && !head.starts_with('{')
}

/// `content_location`: the response's `Content-Location`, the base for relative URLs.
pub fn parse_feed(body: &[u8], url: &str, content_location: Option<&str>, content_type: Option<&str>) -> Result<ParsedFeed, ParseError> {
    parse_feed_until(body, url, content_location, content_type, None)
}

/// `parse_feed`, making items only until `until`: past it the items are cut short, and the
/// caller, which checks the time after, must not use them (the sync's source deadline).
fn parse_feed_until(body: &[u8], url: &str, content_location: Option<&str>, content_type: Option<&str>, until: Option<Instant>) -> Result<ParsedFeed, ParseError> {
    let feed_url = feed_base(body, url, content_location, content_type)?;
    match plain_utf8(body, content_type) {
        Some(text) => parse_decoded(text, url, &feed_url, until),
        None => parse_decoded(&to_utf8(body, content_type), url, &feed_url, until),
    }
}

/// `parse_feed_until` taking the document, which goes as soon as it is read (the sync's
/// workers hand theirs over).
pub(crate) fn parse_feed_owned(body: Vec<u8>, url: &str, content_location: Option<&str>, content_type: Option<&str>, until: Instant) -> Result<ParsedFeed, ParseError> {
    parse_feed_until(&body, url, content_location, content_type, Some(until))
}

/// The base URL of a feed document, or why the document is no feed at all.
fn feed_base(body: &[u8], url: &str, content_location: Option<&str>, content_type: Option<&str>) -> Result<Url, ParseError> {
    let feed_url = Url::parse(url).map_err(|e| ParseError::Malformed { url: url.into(), message: e.to_string() })?;
    let feed_url = content_location.and_then(|l| resolve_web(&feed_url, l)).unwrap_or(feed_url);
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ParseError::Empty { url: url.into() });
    }
    if looks_like_html(body, content_type) {
        return Err(ParseError::HtmlNotFeed { url: url.into() });
    }
    Ok(feed_url)
}

fn parse_decoded(utf8: &str, url: &str, feed_url: &Url, until: Option<Instant>) -> Result<ParsedFeed, ParseError> {
    let feed_url = feed_url.clone();
    let text = utf8.trim_start_matches('\u{feff}').trim_start();
    let mut item_like = 0;
    if text.starts_with('<') {
        check_complete_xml(text, url)?;
        // XML: the tolerant reader maps items; feed-rs only reads what it could not.
        if let Some(doc) = crate::xmlfeed::read(text, &feed_url) {
            if doc.is_cdf {
                return Err(ParseError::Malformed {
                    url: url.into(),
                    message: "this is a CDF channel (Microsoft's Channel Definition Format), not RSS, Atom or JSON Feed".into(),
                });
            }
            if !doc.items.is_empty() {
                return from_xml_document(doc, text, url, &feed_url, until);
            }
            // A feed with nothing in it yet is fine; one whose items were all unreadable is not.
            if doc.item_like == 0 && matches!(doc.root.as_str(), "rss" | "RDF" | "feed" | "channel") {
                return Ok(ParsedFeed { title: doc.title.map(|t| crate::sanitize::strip_controls(&t).into_owned()), language: doc.language, items: Vec::new(), problems: Vec::new() });
            }
            item_like = doc.item_like;
        }
    }
    let (feed, extras) = if text.starts_with('{') {
        json_feed(url, text)
    } else {
        // What feed-rs does not carry over, read from the document itself, entry by entry.
        feed_rs_parse(url, text).map(|feed| {
            let extras = xml_extras(text, &feed_url, feed.entries.len());
            (feed, extras)
        })
    }
    .map_err(|message| ParseError::Malformed { url: url.into(), message })?;

    let language = feed.language.clone();
    let (items, problems) = finish_items(
        feed.entries
            .into_iter()
            .zip(extras.into_iter().map(Some).chain(std::iter::repeat(None)))
            .map(|(entry, extra)| item_from_entry(entry, extra.unwrap_or_default(), &feed_url))
            .collect(),
        &feed_url,
        language.as_deref(),
        until,
    );
    if items.is_empty() && item_like > 0 {
        return Err(no_items(url, item_like, &problems));
    }
    if items.is_empty() && !problems.is_empty() {
        return Err(no_items(url, problems.len(), &problems));
    }
    Ok(ParsedFeed { title: feed.title.map(|t| text_of(&t)), language, items, problems })
}

/// feed-rs on `text`; a panic inside it (its XML reader panicked on XML declarations naming
/// an encoding, found by fuzzing) is this document's error, not the sync's.
fn feed_rs_parse(url: &str, text: &str) -> Result<feed_rs::model::Feed, String> {
    // The known trigger, refused before it reaches the reader (a fuzzer aborts on any panic,
    // caught or not): a declaration is only well-formed at the very start.
    // `text` is already UTF-8, so its declaration's encoding is stale anyway: it goes.
    let mut body = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    if body.starts_with("<?xml") {
        body = body.find("?>").map_or("", |end| &body[end + 2..]);
    }
    if body.contains("<?xml") {
        return Err("an XML declaration after other text: not a well-formed document".into());
    }
    let parser = feed_rs_parser(url);
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| parser.parse(body.as_bytes()))) {
        Ok(parsed) => parsed.map_err(|e| e.to_string()),
        Err(_) => Err("the feed parser could not read it (it failed inside; the document is not usable)".into()),
    }
}

fn feed_rs_parser(url: &str) -> feed_rs::parser::Parser {
    feed_rs::parser::Builder::new()
        .base_uri(Some(url))
        .id_generator(|links, title, uri| identity_fallback(links, title.as_ref().map(|t| t.content.as_str()), uri))
        .build()
}

/// A document with item-like elements of which none could be read: an error, never an
/// empty success.
fn no_items(url: &str, found: usize, problems: &[String]) -> ParseError {
    let why = problems.first().map(|p| format!(": {p}")).unwrap_or_else(|| ": none is an RSS <item> or Atom <entry> in a namespace Caliber knows".into());
    ParseError::Malformed { url: url.into(), message: format!("it has {found} item or entry elements but no article could be read from them{why}") }
}

fn from_xml_document(doc: crate::xmlfeed::Document, text: &str, url: &str, feed_url: &Url, until: Option<Instant>) -> Result<ParsedFeed, ParseError> {
    let mut items = doc.items;
    // Dates the reader could not read: feed-rs knows more spellings, when it agrees on the items.
    if items.iter().any(|i| i.unread_date)
        && let Ok(feed) = feed_rs_parse(url, text)
        && feed.entries.len() == items.len()
    {
        for (item, entry) in items.iter_mut().zip(feed.entries) {
            item.published = item.published.or(entry.published);
            item.updated = item.updated.or(entry.updated);
        }
    }
    let found = items.len();
    let (items, problems) = finish_items(items, feed_url, doc.language.as_deref(), until);
    if items.is_empty() {
        // Every item empty: say so rather than store nothing quietly.
        return Err(no_items(url, found, &problems));
    }
    Ok(ParsedFeed { title: doc.title.map(|t| crate::sanitize::strip_controls(&t).into_owned()), language: doc.language, items, problems })
}

/// Per-entry facts feed-rs drops: the `xml:base` in scope, JSON Feed's `image`, RSS 1.0's
/// `dc:subject`; and a JSON Feed item's text, read apart from feed-rs (`json_feed`).
#[derive(Debug, Clone, Default)]
struct EntryExtras {
    base: Option<Url>,
    image: Option<String>,
    subjects: Vec<String>,
    json_text: Option<JsonItemText>,
}

/// A JSON Feed item's text as feed-rs would have mapped it: HTML ready for `RawItem`.
#[derive(Debug, Clone, Default)]
struct JsonItemText {
    content_html: Option<String>,
    summary_html: Option<String>,
}

impl JsonItemText {
    /// feed-rs's JSON Feed mapping (trimmed `content_html`, else `content_text` escaped;
    /// `summary`, else `content_text` when both contents are there), then `item_from_entry`'s
    /// for plain text.
    fn new(content_html: Option<String>, content_text: Option<String>, summary: Option<String>) -> Self {
        let trimmed = |s: String| s.trim().to_owned();
        let (html, text, summary) = (content_html.map(trimmed), content_text.map(trimmed), summary.map(trimmed));
        let (content_html, summary) = match (html, text) {
            (Some(html), Some(text)) => (Some(html), summary.or(Some(text))),
            (Some(html), None) => (Some(html), summary),
            (None, Some(text)) => (Some(escape_html(&text)), summary),
            (None, None) => (None, summary),
        };
        Self { content_html, summary_html: summary.map(|s| plain_text_as_html(&s)) }
    }
}

/// JSON Feed. feed-rs reads JSON through `serde_json::from_reader`, a byte at a time, and
/// the items' text is most of the bytes (feed-rs and the second read for `image` were 10 %
/// of a mixed corpus's listing, BENCHMARKS.md). So the document is read once here, from
/// the text; the items' text (string `content_html`, `content_text`, `summary`) is taken
/// out and mapped as feed-rs would, and feed-rs reads what is left, so ids, links, dates,
/// authors and tags come out as they always did. Anything else feed-rs refuses, it still
/// refuses, in its own words.
fn json_feed(url: &str, text: &str) -> Result<(feed_rs::model::Feed, Vec<EntryExtras>), String> {
    use serde_json::Value;
    let Ok(mut doc) = serde_json::from_str::<Value>(text) else {
        let feed = feed_rs_parse(url, text)?;
        let count = feed.entries.len();
        return Ok((feed, vec![EntryExtras::default(); count]));
    };
    let mut extras = Vec::new();
    if let Some(items) = doc.get_mut("items").and_then(Value::as_array_mut) {
        for item in items.iter_mut() {
            let image = item["image"].as_str().or(item["banner_image"].as_str()).map(str::to_owned);
            let mut take = |key: &str| match item.as_object_mut().map(|fields| fields.remove(key)) {
                Some(Some(Value::String(text))) => Some(text),
                // Not text: put back for feed-rs to judge.
                Some(Some(other)) => {
                    item[key] = other;
                    None
                }
                _ => None,
            };
            let (html, plain, summary) = (take("content_html"), take("content_text"), take("summary"));
            extras.push(EntryExtras { image, json_text: Some(JsonItemText::new(html, plain, summary)), ..Default::default() });
        }
    }
    let rest = serde_json::to_string(&doc).map_err(|e| e.to_string())?;
    let feed = feed_rs_parse(url, &rest)?;
    if feed.entries.len() != extras.len() {
        return Err(format!("feed-rs read {} items of {} in this JSON Feed", feed.entries.len(), extras.len()));
    }
    Ok((feed, extras))
}

/// Start tags named `name` (not a longer name) in document order, with their offsets.
fn start_tags<'a>(text: &'a str, name: &str) -> Vec<(usize, &'a str)> {
    let open = format!("<{name}");
    let mut found = Vec::new();
    // memmem: these scans run over whole feeds, several times each.
    for start in memchr::memmem::find_iter(text.as_bytes(), open.as_bytes()) {
        let after = &text[start + open.len()..];
        if after.starts_with(|c: char| c.is_whitespace() || c == '>' || c == '/')
            && let Some(end) = after.find('>')
        {
            found.push((start, &after[..end]));
        }
    }
    found
}

fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let at = tag.find(&format!("{name}="))?;
    let rest = &tag[at + name.len() + 1..];
    let quote = rest.chars().next().filter(|q| *q == '"' || *q == '\'')?;
    rest[1..].split(quote).next()
}

fn xml_extras(text: &str, feed_url: &Url, count: usize) -> Vec<EntryExtras> {
    let root_tag = root_element_name(text).and_then(|name| start_tags(text, name).into_iter().next());
    let mut doc_base = feed_url.clone();
    if let Some(base) = root_tag.and_then(|(_, tag)| attr(tag, "xml:base")).and_then(|b| feed_url.join(&decode_attr(b)).ok()) {
        doc_base = base;
    }
    if let Some(base) = start_tags(text, "channel").first().and_then(|(_, tag)| attr(tag, "xml:base")).and_then(|b| doc_base.join(&decode_attr(b)).ok()) {
        doc_base = base;
    }
    let mut entries = start_tags(text, "entry");
    if entries.is_empty() {
        entries = start_tags(text, "item");
    }
    if entries.len() != count {
        return vec![EntryExtras { base: Some(doc_base), ..Default::default() }; count];
    }
    let ends: Vec<usize> = entries.iter().skip(1).map(|(start, _)| *start).chain(std::iter::once(text.len())).collect();
    entries
        .iter()
        .zip(ends)
        .map(|((start, tag), end)| {
            let base = attr(tag, "xml:base").and_then(|b| doc_base.join(&decode_attr(b)).ok()).unwrap_or_else(|| doc_base.clone());
            let body = &text[*start..end];
            let subjects = body
                .split("<dc:subject>")
                .skip(1)
                .filter_map(|rest| rest.split("</dc:subject>").next())
                .map(|s| crate::sanitize::html_to_text(s.trim()))
                .filter(|s| !s.is_empty())
                .collect();
            EntryExtras { base: Some(base), subjects, ..Default::default() }
        })
        .collect()
}

/// A feed-rs entry in the reader's terms (JSON Feed, and XML the tolerant reader left).
fn item_from_entry(entry: feed_rs::model::Entry, extra: EntryExtras, feed_url: &Url) -> crate::xmlfeed::Item {
    let scoped_base = extra.base.unwrap_or_else(|| feed_url.clone());
    let base = entry.base.as_deref().and_then(|b| scoped_base.join(b).ok()).unwrap_or(scoped_base);
    let absolute = |href: &str| base.join(href.trim()).ok().filter(|u| matches!(u.scheme(), "http" | "https")).map(String::from);

    let link = entry
        .links
        .iter()
        .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
        .or(entry.links.first())
        .and_then(|l| absolute(&l.href));
    let (content_html, summary_html) = match extra.json_text {
        Some(text) => (text.content_html, text.summary_html),
        None => (
            entry.content.as_ref().and_then(|c| {
                let body = c.body.as_deref()?;
                Some(if c.content_type.subty() == "plain" { escape_html(body) } else { body.to_owned() })
            }),
            entry.summary.as_ref().map(html_of),
        ),
    };
    let authors: Vec<String> = entry.authors.iter().filter_map(|p| p.name.as_deref()).map(str::trim).filter(|n| !n.is_empty()).map(str::to_owned).collect();
    let mut categories: Vec<String> = entry
        .categories
        .iter()
        .map(|c| c.label.as_deref().unwrap_or(&c.term).trim().to_owned())
        .filter(|c| !c.is_empty())
        .collect();
    for subject in extra.subjects {
        if !categories.contains(&subject) {
            categories.push(subject);
        }
    }
    let image = extra.image.or_else(|| media_image(&entry.media)).and_then(|src| absolute(&src));
    let title = entry.title.as_ref().map(text_of);
    let id = Some(entry.id.trim().to_owned()).filter(|i| !i.is_empty());
    let empty = [&title, &id, &link, &summary_html, &content_html, &image].iter().all(|f| f.as_deref().is_none_or(|s| s.trim().is_empty()))
        && authors.is_empty()
        && categories.is_empty()
        && entry.published.is_none()
        && entry.updated.is_none();
    crate::xmlfeed::Item {
        id,
        link,
        title,
        summary_html,
        content_html,
        authors,
        categories,
        published: entry.published,
        updated: entry.updated,
        unread_date: false,
        image,
        language: entry.language.clone(),
        base: Some(base),
        empty,
    }
}

/// Items to raw items: identity, a title for untitled items, the picture, the hash. Items
/// with nothing in them (no title, link, id, text, author, category, date or picture) are
/// left out and reported.
/// Past `until` it stops (a blocking thread outlives the sync's timeout; its caller discards
/// what is cut short).
fn finish_items(items: Vec<crate::xmlfeed::Item>, feed_url: &Url, feed_language: Option<&str>, until: Option<Instant>) -> (Vec<RawItem>, Vec<String>) {
    let total = items.len();
    let mut empty = 0;
    let raw: Vec<RawItem> = items
        .into_iter()
        .take_while(|_| until.is_none_or(|until| Instant::now() < until))
        .filter_map(|item| {
            let r = raw_item(item, feed_url, feed_language);
            if r.is_none() {
                empty += 1;
            }
            r
        })
        .collect();
    let problems = if empty > 0 { vec![format!("{empty} of {total} items are empty and were skipped")] } else { Vec::new() };
    (raw, problems)
}

fn raw_item(item: crate::xmlfeed::Item, feed_url: &Url, feed_language: Option<&str>) -> Option<RawItem> {
    let base = item.base.unwrap_or_else(|| feed_url.clone());
    let absolute = |href: &str| base.join(href.trim()).ok().filter(|u| matches!(u.scheme(), "http" | "https")).map(String::from);
    let link = item.link;
    let content_html = item.content_html.filter(|s| !s.trim().is_empty());
    let summary_html = item.summary_html.filter(|s| !s.trim().is_empty());
    let title = item.title.filter(|t| !t.is_empty());
    if item.empty {
        return None;
    }
    let title = title.unwrap_or_else(|| {
        let from_body = html_to_text(summary_html.as_deref().or(content_html.as_deref()).unwrap_or(""));
        crate::sanitize::truncate_words(&from_body, 80)
    });
    let author = (!item.authors.is_empty()).then(|| item.authors.join(", "));
    let categories = item.categories;
    let image_url = item
        .image
        .or_else(|| first_img_src(content_html.as_deref().or(summary_html.as_deref()).unwrap_or("")))
        .and_then(|src| absolute(&src));
    let guid = match item.id {
        Some(id) => id,
        None => match &link {
            Some(link) => link.clone(),
            None => identity_fallback(&[], Some(&title), Some(feed_url.as_str())),
        },
    };
    // feed-rs reads some dates too: the same range as `parse_date`'s.
    let updated = item.updated.filter(|d| crate::xmlfeed::in_date_range(*d));
    let published = item.published.filter(|d| crate::xmlfeed::in_date_range(*d)).or(updated);
    let language = item.language.or_else(|| feed_language.map(str::to_owned));

    let mut item = RawItem {
        guid,
        link,
        title,
        summary_html,
        content_html,
        author,
        categories,
        published,
        updated,
        image_url,
        language,
        base,
        views: None,
        hash: [0; 16],
    };
    item.hash = item.content_id::<Xxh3>();
    Some(item)
}

impl RawItem {
    /// The id of what the item says, made with `D`: every field but `guid` and `views`.
    fn content_id<D: crate::digest::IdDigest>(&self) -> [u8; 16] {
        let mut hash = ContentHash::<D>::default();
        for part in [
            Some(self.title.as_str()),
            self.link.as_deref(),
            self.summary_html.as_deref(),
            self.content_html.as_deref(),
            self.author.as_deref(),
            self.image_url.as_deref(),
            self.language.as_deref(),
            Some(self.base.as_str()),
        ] {
            hash.part(part.unwrap_or("\u{0}"), 0xff);
        }
        for c in &self.categories {
            hash.part(c, 0xfe);
        }
        hash.fixed(self.published.map_or(0, |d| d.timestamp()).to_le_bytes());
        hash.fixed(self.updated.map_or(0, |d| d.timestamp()).to_le_bytes());
        hash.finish()
    }

    /// The id versions before issue 15 stored for this item (the first half of a SHA-256
    /// of the same parts): an item they stored is recognised as unchanged by it. Only
    /// computed for an item whose stored id is not `hash`.
    pub(crate) fn id_before_xxh3(&self) -> [u8; 16] {
        self.content_id::<Sha256>()
    }
}

/// Identity when an item has neither guid nor id: its link, else a hash of title and feed.
fn identity_fallback(links: &[feed_rs::model::Link], title: Option<&str>, uri: Option<&str>) -> String {
    if let Some(link) = links.first() {
        return link.href.trim().to_owned();
    }
    let mut hasher = Sha256::new();
    hasher.update(uri.unwrap_or("").as_bytes());
    hasher.update([0]);
    hasher.update(title.unwrap_or("").as_bytes());
    let digest = hasher.finalize();
    format!("hash:{}", digest[..12].iter().map(|b| format!("{b:02x}")).collect::<String>())
}

fn is_html(t: &feed_rs::model::Text) -> bool {
    t.content_type.subty() == "html" || t.content_type.subty() == "xhtml"
}

fn text_of(t: &feed_rs::model::Text) -> String {
    let text = if is_html(t) { html_to_text(&t.content) } else { t.content.split_whitespace().collect::<Vec<_>>().join(" ") };
    crate::sanitize::strip_controls(text.trim()).into_owned()
}

fn html_of(t: &feed_rs::model::Text) -> String {
    if is_html(t) { t.content.clone() } else { plain_text_as_html(&t.content) }
}

/// Text said to be plain, as HTML: escaped, unless it plainly is HTML after all.
fn plain_text_as_html(text: &str) -> String {
    if text.contains("</") || text.contains("<br") || text.contains("<img") { text.to_owned() } else { escape_html(text) }
}

pub fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn media_image(media: &[feed_rs::model::MediaObject]) -> Option<String> {
    let contents = media.iter().flat_map(|m| &m.content);
    contents
        .clone()
        .find(|c| c.content_type.as_ref().is_some_and(|t| t.ty() == "image"))
        .or_else(|| contents.clone().find(|c| c.content_type.is_none()))
        .and_then(|c| c.url.as_ref().map(|u| u.to_string()))
        .or_else(|| media.iter().flat_map(|m| &m.thumbnails).next().map(|t| t.image.uri.clone()))
}

/// `src` of the first `<img>` in an HTML fragment.
pub fn first_img_src(html: &str) -> Option<String> {
    img_srcs(html, 1).into_iter().next()
}

/// `src` of every `<img>` in an HTML fragment (at most 50).
pub fn img_srcs_first_50(html: &str) -> Vec<String> {
    img_srcs(html, 50)
}

/// The pictures a stored body shows that the reader's window may load: the web URLs among
/// its first 50 `<img>`s. Linked to the article in the transaction that stores the body.
pub(crate) fn body_picture_links(content_html: &str) -> Vec<String> {
    let mut urls = img_srcs_first_50(content_html);
    urls.retain(|u| is_web_url(u));
    urls
}

/// An `http://` or `https://` URL, as written (the only pictures ever linked or fetched).
pub(crate) fn is_web_url(url: &str) -> bool {
    url.starts_with("http://") || url.starts_with("https://")
}

fn img_srcs(html: &str, max: usize) -> Vec<String> {
    let mut found = Vec::new();
    let bytes = html.as_bytes();
    let mut from = 0;
    // Only each `<img …>` is lowercased, not the whole body: this runs over every stored body.
    while let Some(start) = memchr::memchr_iter(b'<', &bytes[from..])
        .map(|i| from + i)
        .find(|&i| bytes.get(i + 1..i + 4).is_some_and(|name| name.eq_ignore_ascii_case(b"img")))
    {
        let end = memchr::memchr(b'>', &bytes[start..]).map_or(bytes.len(), |e| start + e);
        let tag = &html[start..end];
        let tag_lower = tag.to_ascii_lowercase();
        if let Some(s) = tag_lower.find(" src=").or_else(|| tag_lower.find("\tsrc=")).or_else(|| tag_lower.find("\nsrc=")) {
            let value = &tag[s + 5..];
            let value = match value.chars().next() {
                Some(q @ ('"' | '\'')) => value[1..].split(q).next(),
                _ => value.split(|c: char| c.is_whitespace() || c == '>' || c == '/').next(),
            };
            if let Some(v) = value.map(str::trim).filter(|v| !v.is_empty() && !v.starts_with("data:")) {
                found.push(decode_attr(v));
                if found.len() >= max {
                    break;
                }
            }
        }
        from = end;
    }
    found
}

fn decode_attr(v: &str) -> String {
    v.replace("&amp;", "&")
}

/// Decode to UTF-8: a BOM first, then the HTTP charset, then the XML declaration
/// (RFC 7303 order), else UTF-8. The declaration is rewritten so the XML parser agrees.
pub fn to_utf8(body: &[u8], content_type: Option<&str>) -> String {
    if let Some((encoding, bom_len)) = Encoding::for_bom(body) {
        return decode_declaring_utf8(encoding, &body[bom_len..]);
    }
    let from_http = content_type.and_then(charset_param).and_then(|c| Encoding::for_label(c.as_bytes()));
    let encoding = from_http.or_else(|| declared_xml_encoding(body)).unwrap_or(encoding_rs::UTF_8);
    if encoding == encoding_rs::UTF_8 && declared_xml_encoding(body).is_none_or(|e| e == encoding_rs::UTF_8) {
        return encoding.decode_without_bom_handling(body).0.into_owned();
    }
    decode_declaring_utf8(encoding, body)
}

/// `bytes` decoded from `encoding`, its XML declaration (if any) saying UTF-8 instead.
/// Decoded a block at a time into the text, which is sized for the worst case but touched
/// only where written: encoding_rs's whole-document decode touches every page of a buffer
/// three times the input (windows-1251's worst case), and the declaration's rewrite then
/// copied the whole text into a new one. Both were most of the page faults of decoding a
/// windows-1251 feed (BENCHMARKS.md, "8 KiB pages").
fn decode_declaring_utf8(encoding: &'static Encoding, bytes: &[u8]) -> String {
    const BLOCK: usize = 32 * 1024;
    let mut decoder = encoding.new_decoder_without_bom_handling();
    let mut text = String::with_capacity(decoder.max_utf8_buffer_length(bytes.len()).unwrap_or(bytes.len()));
    let mut block = " ".repeat(BLOCK);
    let mut read = 0;
    loop {
        let (result, consumed, written, _) = decoder.decode_to_str(&bytes[read..], &mut block, true);
        read += consumed;
        text.push_str(&block[..written]);
        if result == encoding_rs::CoderResult::InputEmpty {
            break;
        }
    }
    declare_utf8(&mut text);
    text
}

/// Rewrites, in place, the encoding an XML declaration at the start of `text` names to UTF-8.
fn declare_utf8(text: &mut String) {
    let Some(rest) = text.strip_prefix("<?xml") else { return };
    let Some(end) = rest.find("?>") else { return };
    let decl = &rest[..end];
    let Some(at) = decl.find("encoding") else { return };
    let after = &decl[at + 8..];
    let Some(q_start) = after.find(['"', '\'']) else { return };
    let quote = after.as_bytes()[q_start] as char;
    let Some(q_len) = after[q_start + 1..].find(quote) else { return };
    let value_start = 5 + at + 8 + q_start + 1;
    text.replace_range(value_start..value_start + q_len, "UTF-8");
}

/// The document itself as text when `to_utf8` would give it back unchanged: UTF-8 by
/// every sign (no BOM, no other charset in the HTTP header or the XML declaration) and
/// valid. Read where it lies, no copy; checked with SIMD (simdutf8), as the standard
/// library's check took 6 % of a sync's listing phase on Cyrillic text (BENCHMARKS.md).
/// Invalid bytes: `None`, and `to_utf8` decodes them with U+FFFD.
fn plain_utf8<'a>(body: &'a [u8], content_type: Option<&str>) -> Option<&'a str> {
    let from_http = content_type.and_then(charset_param).and_then(|c| Encoding::for_label(c.as_bytes()));
    let declared = declared_xml_encoding(body);
    let utf8 = Encoding::for_bom(body).is_none()
        && from_http.or(declared).unwrap_or(encoding_rs::UTF_8) == encoding_rs::UTF_8
        && declared.is_none_or(|e| e == encoding_rs::UTF_8);
    if !utf8 {
        return None;
    }
    simdutf8::basic::from_utf8(body).ok()
}

fn charset_param(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim().eq_ignore_ascii_case("charset").then(|| v.trim().trim_matches('"').to_owned())
    })
}

fn declared_xml_encoding(body: &[u8]) -> Option<&'static Encoding> {
    let head = &body[..body.len().min(200)];
    let head = std::str::from_utf8(head).unwrap_or_else(|e| std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or(""));
    let decl = head.strip_prefix("<?xml")?.split("?>").next()?;
    let at = decl.find("encoding")?;
    let rest = decl[at + 8..].trim_start().strip_prefix('=')?.trim_start();
    let quote = rest.chars().next()?;
    // Past the quote, whatever it is: an unquoted non-ASCII value panicked here (fuzzing).
    let label = rest[quote.len_utf8()..].split(quote).next()?;
    Encoding::for_label(label.as_bytes())
}

/// A feed cut off in transit still parses leniently; refuse it so nothing half-read is stored.
fn check_complete_xml(text: &str, url: &str) -> Result<(), ParseError> {
    let root = root_element_name(text).ok_or_else(|| ParseError::Malformed { url: url.into(), message: "no root element".into() })?;
    let mut tail = text.trim_end();
    // Trailing comments and processing instructions are allowed after the root.
    while tail.ends_with("-->") || tail.ends_with("?>") {
        let open = if tail.ends_with("-->") { "<!--" } else { "<?" };
        match tail.rfind(open) {
            Some(i) => tail = tail[..i].trim_end(),
            None => break,
        }
    }
    let closing = tail.strip_suffix('>').and_then(|t| t.rfind("</").map(|i| t[i + 2..].trim_end()));
    if closing == Some(root) || tail.ends_with("/>") && tail.matches('<').count() <= 3 {
        Ok(())
    } else {
        Err(ParseError::Truncated { url: url.into(), root: root.into() })
    }
}

fn root_element_name(text: &str) -> Option<&str> {
    let mut rest = text;
    loop {
        let i = rest.find('<')?;
        rest = &rest[i..];
        if rest.starts_with("<?") {
            rest = &rest[rest.find("?>")? + 2..];
        } else if rest.starts_with("<!--") {
            rest = &rest[rest.find("-->")? + 3..];
        } else if rest.starts_with("<!") {
            rest = &rest[rest.find('>')? + 1..];
        } else {
            let name = &rest[1..];
            let end = name.find(|c: char| c.is_whitespace() || c == '>' || c == '/')?;
            return Some(&name[..end]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_are_made_only_until_the_deadline() {
        let feed_url = Url::parse("https://example.com/feed.xml").unwrap();
        let rss = format!(
            "<rss version=\"2.0\"><channel><title>T</title>{}</channel></rss>",
            (0..5).map(|i| format!("<item><guid>g{i}</guid><title>Item {i}</title></item>")).collect::<String>()
        );
        let items = || crate::xmlfeed::read(&rss, &feed_url).expect("an RSS document").items;
        let later = Instant::now() + std::time::Duration::from_secs(3600);
        assert_eq!(finish_items(items(), &feed_url, None, Some(later)).0.len(), 5, "before the deadline: every item");
        assert_eq!(finish_items(items(), &feed_url, None, None).0.len(), 5, "no deadline: every item");
        assert!(finish_items(items(), &feed_url, None, Some(Instant::now())).0.is_empty(), "past the deadline: none");
    }

    /// JSON Feed as it was read before `json_feed` (issue 15): feed-rs on the whole document,
    /// `image` from a second read. The reference `json_feed` is held to.
    fn json_feed_by_feed_rs_alone(text: &str, url: &str) -> Result<ParsedFeed, String> {
        let feed_url = Url::parse(url).unwrap();
        let feed = feed_rs_parse(url, text)?;
        let doc: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
        let images: Vec<Option<String>> = doc["items"]
            .as_array()
            .filter(|items| items.len() == feed.entries.len())
            .map(|items| items.iter().map(|i| i["image"].as_str().or(i["banner_image"].as_str()).map(str::to_owned)).collect())
            .unwrap_or_default();
        let language = feed.language.clone();
        let items = feed
            .entries
            .into_iter()
            .enumerate()
            .map(|(n, entry)| item_from_entry(entry, EntryExtras { image: images.get(n).cloned().flatten(), ..Default::default() }, &feed_url))
            .collect();
        let (items, problems) = finish_items(items, &feed_url, language.as_deref(), None);
        Ok(ParsedFeed { title: feed.title.map(|t| text_of(&t)), language, items, problems })
    }

    /// Ids of two items as the version before issue 15 stored them (SHA-256), taken from
    /// that version's build: `id_before_xxh3` must go on giving exactly these, or every
    /// stored article would look changed after an upgrade.
    #[test]
    fn items_are_named_by_xxh3_and_still_recognised_by_the_sha256_ids_stored_before() {
        let doc = r#"<?xml version="1.0"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>T</title><language>az</language>
<item><guid>g-1</guid><title>Bakı forumu</title><link>https://caliber.az/post/1</link><description>&lt;p&gt;Qısa&lt;/p&gt;</description><content:encoded><![CDATA[<p>Mətn <b>burada</b></p>]]></content:encoded><dc:creator>Desk</dc:creator><category>Siyasət</category><category>Region</category><pubDate>Tue, 10 Jun 2025 08:00:00 GMT</pubDate><enclosure url="https://caliber.az/img/1.jpg" type="image/jpeg"/></item>
<item><title>No guid</title><link>/relative/2</link></item>
</channel></rss>"#;
        let hex = |id: [u8; 16]| id.iter().map(|b| format!("{b:02x}")).collect::<String>();
        let items = parse_feed(doc.as_bytes(), "https://caliber.az/feed.xml", None, None).unwrap().items;
        let before: Vec<(&str, String)> = items.iter().map(|i| (i.guid.as_str(), hex(i.id_before_xxh3()))).collect();
        assert_eq!(
            before,
            [("g-1", "61f47938458d901e88ec79cc2456941e".to_owned()), ("https://caliber.az/relative/2", "2f83747c1336711a64e2d369b6ed2de4".to_owned())]
        );
        for item in &items {
            assert_ne!(item.hash, item.id_before_xxh3());
            assert_eq!(item.hash, item.content_id::<Xxh3>());
        }
    }

    #[test]
    fn json_feed_items_come_out_as_feed_rs_alone_read_them() {
        let url = "http://127.0.0.1:9/news/feed.json";
        let item_fields = [
            r#""id": "a-1""#,
            r#""id": "  spaced id  ""#,
            r#""id": """#,
            r#""id": 42"#,
            r#""url": "/news/relative""#,
            r#""url": " https://caliber.az/post/1 ""#,
            r#""external_url": "https://elsewhere.example/x""#,
            r#""title": "  Baku   hosts\n the forum ""#,
            r#""title": "Bakı & Gəncə <b>bold</b>""#,
            r#""content_html": "  <p>Hello <b>world</b></p>\n ""#,
            r#""content_html": "<p>Ёлка &amp; Bakı</p>""#,
            r#""content_html": null"#,
            r#""content_html": 7"#,
            r#""content_text": " Plain <text> & more \n""#,
            r#""content_text": "line one<br>line two""#,
            r#""summary": " A short <summary> ""#,
            r#""summary": "Has </p> markup""#,
            r#""image": "/img/a.jpg""#,
            r#""banner_image": "https://caliber.az/img/b.jpg""#,
            r#""date_published": "2025-06-05T08:00:00+04:00""#,
            r#""date_published": "2025-06-05""#,
            r#""date_published": "Thu, 05 Jun 2025 08:00:00 +0400""#,
            r#""date_modified": "not a date""#,
            r#""author": {"name": "Kamran Ismayilov <kamran@caliber.az>"}"#,
            r#""authors": [{"name": " Desk "}, {"name": "mailto:desk@caliber.az"}]"#,
            r#""tags": ["Politics", "  ", "Сиёсət"]"#,
            r#""attachments": [{"url": "https://caliber.az/a.mp3", "mime_type": "audio/mpeg"}]"#,
        ];
        let feed_heads = [
            r#""version": "https://jsonfeed.org/version/1.1", "title": "Caliber""#,
            r#""version": "https://jsonfeed.org/version/1", "title": " Caliber ", "language": "ru", "author": {"name": "Feed Desk"}"#,
            r#""version": "https://jsonfeed.org/version/2", "title": "Future""#,
            r#""title": "No version""#,
        ];
        let mut next = crate::test_support::picker(0x2545_f491_4f6c_dd1d);
        let mut docs: Vec<String> = vec![std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/feed.json")).unwrap()];
        for _ in 0..400 {
            let items: Vec<String> = (0..next(5))
                .map(|_| {
                    let mut fields: Vec<&str> = Vec::new();
                    for _ in 0..next(7) {
                        let field = item_fields[next(item_fields.len())];
                        let key = field.split(':').next().unwrap();
                        // One of each key: a duplicate key is an error to feed-rs only.
                        if !fields.iter().any(|f| f.split(':').next().unwrap() == key) {
                            fields.push(field);
                        }
                    }
                    format!("{{{}}}", fields.join(", "))
                })
                .collect();
            docs.push(format!("{{{}, \"items\": [{}]}}", feed_heads[next(feed_heads.len())], items.join(", ")));
        }
        docs.push(r#"{"version": "https://jsonfeed.org/version/1.1", "title": "T", "items": ["not an object"]}"#.into());
        docs.push(r#"{"version": "https://jsonfeed.org/version/1.1", "title": "T", "items": {}}"#.into());
        docs.push(r#"{"version": "https://jsonfeed.org/version/1.1", "title": "T", "items": [{"id": "x", "title": "cut"#.into());
        let (mut read, mut refused) = (0, 0);
        for doc in &docs {
            let expected = json_feed_by_feed_rs_alone(doc, url);
            let got = parse_feed(doc.as_bytes(), url, None, Some("application/feed+json"));
            match (&expected, &got) {
                (Ok(expected), Ok(got)) => {
                    assert_eq!(format!("{:?}", (&got.title, &got.language, &got.items, &got.problems)), format!("{:?}", (&expected.title, &expected.language, &expected.items, &expected.problems)), "{doc}");
                    read += 1;
                }
                (Err(_), Err(_)) => refused += 1,
                // An empty feed is refused by parse_feed's own rule when its items were all empty.
                (Ok(expected), Err(_)) if expected.items.is_empty() => refused += 1,
                _ => panic!("{doc}\nfeed-rs alone: {expected:?}\nnow: {got:?}"),
            }
        }
        // Both kinds were met, many times.
        assert!(read > 100 && refused > 20, "read {read}, refused {refused}");
    }

    #[test]
    fn declared_windows_1251_is_decoded() {
        let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode("<?xml version=\"1.0\" encoding=\"windows-1251\"?><rss><t>Баку</t></rss>");
        let text = to_utf8(&bytes, None);
        assert!(text.contains("Баку"), "{text}");
        assert!(text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"), "{text}");
    }

    fn rss_titled(title: &[u8]) -> Vec<u8> {
        let mut doc = b"<rss version=\"2.0\"><channel><title>T</title><item><guid>1</guid><title>".to_vec();
        doc.extend_from_slice(title);
        doc.extend_from_slice(b"</title><link>https://caliber.az/post/1</link></item></channel></rss>");
        doc
    }

    #[test]
    fn a_utf8_document_is_read_as_it_is_and_bad_bytes_become_replacement_characters() {
        let parsed = parse_feed(&rss_titled("Баку, İçərişəhər".as_bytes()), "https://caliber.az/rss", None, None).unwrap();
        assert_eq!(parsed.items[0].title, "Баку, İçərişəhər");
        // A stray byte is no reason to lose the item: it reads as U+FFFD, as decoding does.
        let mut broken = "Баку ".as_bytes().to_vec();
        broken.push(0xff);
        let parsed = parse_feed(&rss_titled(&broken), "https://caliber.az/rss", None, None).unwrap();
        assert_eq!(parsed.items[0].title, "Баку \u{fffd}");
        // Bytes in another charset, declared by the header or the document, are decoded, not
        // taken for UTF-8.
        let (cp1251, _, _) = encoding_rs::WINDOWS_1251.encode("Баку");
        let parsed = parse_feed(&rss_titled(&cp1251), "https://caliber.az/rss", None, Some("application/rss+xml; charset=windows-1251")).unwrap();
        assert_eq!(parsed.items[0].title, "Баку");
        let mut declared = b"<?xml version=\"1.0\" encoding=\"windows-1251\"?>".to_vec();
        declared.extend_from_slice(&rss_titled(&cp1251));
        assert_eq!(parse_feed(&declared, "https://caliber.az/rss", None, None).unwrap().items[0].title, "Баку");
        // A byte-order mark is not part of the text.
        let mut bom = b"\xef\xbb\xbf".to_vec();
        bom.extend_from_slice(&rss_titled("Баку".as_bytes()));
        assert_eq!(parse_feed(&bom, "https://caliber.az/rss", None, None).unwrap().items[0].title, "Баку");
    }

    #[test]
    fn the_document_read_as_it_is_is_exactly_what_decoding_gives() {
        let mut samples: Vec<Vec<u8>> = vec![
            rss_titled("Баку".as_bytes()),
            rss_titled(b"caf\xc3"),
            rss_titled(b"\xed\xa0\x80 surrogate"),
            rss_titled(b"overlong \xc0\xaf"),
            "Հայաստան 😀 ı ё".as_bytes().to_vec(),
        ];
        // Every one- and two-byte ending after a valid prefix: truncated sequences included.
        for a in 0x80..=0xffu8 {
            samples.push([b"ok ".as_slice(), &[a]].concat());
            samples.push([b"ok ".as_slice(), &[a, 0x80]].concat());
        }
        for bytes in samples {
            let decoded = to_utf8(&bytes, None);
            match plain_utf8(&bytes, None) {
                Some(text) => assert_eq!(text, decoded, "{bytes:?}"),
                None => assert!(decoded.contains('\u{fffd}'), "refused a document decoding keeps intact: {bytes:?}"),
            }
        }
    }

    /// The whole-document decode, its declaration then rewritten: what the block-wise
    /// `decode_declaring_utf8` must give. (The rewrite's own result is held by
    /// `declared_windows_1251_is_decoded` and the byte-order mark case below.)
    fn decoded_as_before(encoding: &'static Encoding, bytes: &[u8]) -> String {
        let mut text = encoding.decode_without_bom_handling(bytes).0.into_owned();
        declare_utf8(&mut text);
        text
    }

    #[test]
    fn decoding_a_block_at_a_time_gives_the_whole_documents_decode() {
        // Russian (two UTF-8 bytes a letter) over many blocks, characters of two bytes in
        // Shift_JIS and of two or four in UTF-16 across block boundaries, bad bytes, and
        // declarations in double quotes, single quotes, none and one left unclosed.
        let russian = "Баку — столица. ".repeat(9_000);
        let japanese = "東京の天気 ".repeat(13_000);
        let emoji = "😀 ı ё ".repeat(9_000);
        let mut cases: Vec<(&'static Encoding, Vec<u8>)> = Vec::new();
        for head in ["<?xml version=\"1.0\" encoding=\"windows-1251\"?>", "<?xml version='1.0' encoding='cp1251'?>", "", "<?xml encoding=\"windows-1251\""] {
            let text = format!("{head}<rss><t>{russian}</t></rss>");
            cases.push((encoding_rs::WINDOWS_1251, encoding_rs::WINDOWS_1251.encode(&text).0.into_owned()));
        }
        let mut bad = encoding_rs::SHIFT_JIS.encode(&format!("<?xml version=\"1.0\" encoding=\"Shift_JIS\"?><t>{japanese}</t>")).0.into_owned();
        bad.insert(40_000, 0x81);
        cases.push((encoding_rs::SHIFT_JIS, bad));
        let utf16: Vec<u8> = format!("<?xml version=\"1.0\" encoding=\"UTF-16\"?><t>{emoji}</t>").encode_utf16().flat_map(u16::to_le_bytes).collect();
        cases.push((encoding_rs::UTF_16LE, utf16));
        for (encoding, bytes) in cases {
            assert!(bytes.len() > 100_000, "more than a few blocks");
            assert_eq!(decode_declaring_utf8(encoding, &bytes), decoded_as_before(encoding, &bytes), "{}", encoding.name());
        }
        // Through the front door: a byte-order mark, then UTF-16.
        let mut with_bom = vec![0xff, 0xfe];
        with_bom.extend("<?xml version=\"1.0\" encoding=\"UTF-16\"?><t>Баку</t>".encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(to_utf8(&with_bom, None), "<?xml version=\"1.0\" encoding=\"UTF-8\"?><t>Баку</t>");
    }

    #[test]
    fn http_charset_wins_over_missing_declaration() {
        let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode("<rss><t>Баку</t></rss>");
        assert!(to_utf8(&bytes, Some("application/rss+xml; charset=windows-1251")).contains("Баку"));
    }

    #[test]
    fn truncated_xml_is_refused() {
        assert!(check_complete_xml("<?xml version=\"1.0\"?><rss><channel><item>", "u").is_err());
        assert!(check_complete_xml("<?xml version=\"1.0\"?>\n<!-- c --><rss a=\"1\"><channel/></rss>\n<!-- end -->\n", "u").is_ok());
        assert!(check_complete_xml("<rdf:RDF x=\"y\"></rdf:RDF>", "u").is_ok());
    }

    #[test]
    fn feeds_announced_by_a_page_are_found() {
        let html = r#"<html><head><link rel="stylesheet" href="/s.css">
            <link rel="alternate" type="application/rss+xml" title="RSS" href="/rss.xml">
            <link rel="alternate" type="application/atom+xml" href="https://example.org/atom">
            <link rel="alternate" hreflang="en" href="/en/"></head><body></body></html>"#;
        assert_eq!(discover_feeds(html, "https://example.org/news/"), vec!["https://example.org/rss.xml", "https://example.org/atom"]);
    }

    #[test]
    fn first_image_of_html() {
        assert_eq!(first_img_src(r#"<p>x</p><IMG alt="a" SRC="/a.jpg?x=1&amp;y=2">"#).as_deref(), Some("/a.jpg?x=1&y=2"));
        assert_eq!(first_img_src(r#"<img src="data:image/png;base64,AA"><img src='b.png'>"#).as_deref(), Some("b.png"));
        assert_eq!(first_img_src("<p>none</p>"), None);
    }

    #[test]
    fn pictures_are_found_in_any_case_after_any_text_and_up_to_the_limit() {
        let html = "<p>Новости «дня» <iMg\tsrc=a.png> <b>x</b><imgsrc src=\"b.png\"></p><IMG SRC=\"c.png\"/><img alt=x><img src='d.png'";
        assert_eq!(img_srcs(html, 50), ["a.png", "b.png", "c.png", "d.png"]);
        assert_eq!(img_srcs(html, 2), ["a.png", "b.png"]);
        let many = "<img src=\"x.png\">".repeat(60);
        assert_eq!(img_srcs_first_50(&many).len(), 50);
        assert_eq!(img_srcs("<im", 50), Vec::<String>::new());
        assert_eq!(img_srcs("<", 50), Vec::<String>::new());
    }
}
