//! A tolerant reader for XML feeds, in the spirit of feedparser: RSS 0.9x/1.0/2.0 (any of
//! their namespaces, with or without `version`), Atom 1.0 and 0.3 (`mode="escaped"`,
//! `mode="base64"`, MIME `type`s), Dublin Core, `content:encoded`, `xhtml:body`, Media RSS.
//!
//! feed-rs refuses whole documents for one odd element (`<title type="">`, an XHTML title,
//! a DOCTYPE in CDATA) and silently yields no entries for others (Atom 0.3, the Userland
//! namespace); see tests/conformance. This reader never refuses: it builds a small tree
//! (mismatched end tags are ignored, unknown entities kept as they are) and maps each
//! `item`/`entry` to an [`Item`]. HTML is not sanitised here.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use url::Url;

const NS_ATOM10: &str = "http://www.w3.org/2005/Atom";
const NS_ATOM03: &str = "http://purl.org/atom/ns#";
const NS_DC: &str = "http://purl.org/dc/elements/1.1/";
const NS_DCTERMS: &str = "http://purl.org/dc/terms/";
const NS_CONTENT: &str = "http://purl.org/rss/1.0/modules/content/";
const NS_XHTML: &str = "http://www.w3.org/1999/xhtml";
const NS_MEDIA: &str = "http://search.yahoo.com/mrss/";
const NS_ITUNES: &str = "http://www.itunes.com/dtds/podcast-1.0.dtd";
const NS_RDF: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
const NS_XML: &str = "http://www.w3.org/XML/1998/namespace";

/// Namespaces whose `item`/`entry`/`title`/... are the feed's own.
fn is_feed_ns(ns: &str) -> bool {
    matches!(
        ns,
        "" | NS_ATOM10
            | NS_ATOM03
            | "http://purl.org/rss/1.0/"
            | "http://my.netscape.com/rdf/simple/0.9/"
            | "http://backend.userland.com/rss2"
            | "http://backend.userland.com/rss"
            | "http://purl.org/net/rss1.1#"
    )
}

// ------------------------------------------------------------------ the tree

#[derive(Debug, Default)]
pub(crate) struct Element {
    /// As written (`dc:title`).
    pub qname: String,
    pub ns: String,
    pub local: String,
    /// Qualified names as written, values with entities decoded.
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Node>,
}

#[derive(Debug)]
pub(crate) enum Node {
    Element(Element),
    Text(String),
}

impl Element {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// An attribute by local name, whatever its prefix (`rdf:about`, `about`).
    fn attr_local(&self, local: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k.rsplit(':').next() == Some(local)).map(|(_, v)| v.as_str())
    }

    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    fn has_elements(&self) -> bool {
        self.elements().next().is_some()
    }

    /// All text inside, tags dropped.
    pub fn text(&self) -> String {
        let mut out = String::new();
        self.collect_text(&mut out);
        out
    }

    fn collect_text(&self, out: &mut String) {
        for child in &self.children {
            match child {
                Node::Text(t) => out.push_str(t),
                Node::Element(e) => e.collect_text(out),
            }
        }
    }

    /// The children as HTML (markup written inside an element, or XHTML content).
    pub fn inner_html(&self) -> String {
        let mut out = String::new();
        for child in &self.children {
            write_html(child, &mut out);
        }
        out
    }
}

fn write_html(node: &Node, out: &mut String) {
    match node {
        Node::Text(t) => out.push_str(&escape_text(t)),
        // MathML, SVG and the like: no HTML sanitiser keeps them; their words must stay.
        Node::Element(e) if !e.ns.is_empty() && e.ns != NS_XHTML => {
            for child in &e.children {
                write_html(child, out);
            }
            out.push(' ');
        }
        Node::Element(e) => {
            out.push('<');
            out.push_str(&e.local);
            for (k, v) in &e.attrs {
                if k == "xmlns" || k.starts_with("xmlns:") {
                    continue;
                }
                out.push(' ');
                out.push_str(k.rsplit(':').next().unwrap_or(k));
                out.push_str("=\"");
                out.push_str(&escape_text(v).replace('"', "&quot;"));
                out.push('"');
            }
            out.push('>');
            const VOID: [&str; 13] = ["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "wbr"];
            if VOID.contains(&e.local.to_ascii_lowercase().as_str()) && e.children.is_empty() {
                return;
            }
            for child in &e.children {
                write_html(child, out);
            }
            out.push_str("</");
            out.push_str(&e.local);
            out.push('>');
        }
    }
}

fn escape_text(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// Elements nested deeper than this are flattened into their ancestor at this depth: what
/// reads the tree (and drops it) recurses, and no feed nests anywhere near this deep.
const MAX_DEPTH: usize = 256;

/// Parse a document into its root element. Never fails on bad markup: a stray `<` is text,
/// an end tag that closes nothing open is ignored, elements left open are closed at the end.
#[cfg(test)]
pub(crate) fn parse_tree(text: &str) -> Option<Element> {
    build_tree(text, None)
}

/// Items mapped as their elements close, so a feed's whole tree is never in memory at once
/// (a 7 MiB feed's tree cost more than the document itself).
struct ItemSink<'a> {
    feed_url: &'a Url,
    items: Vec<Item>,
    /// As `Document::item_like`.
    item_like: usize,
}

fn is_item_like(local: &str) -> bool {
    matches!(local, "item" | "entry" | "ITEM")
}

struct Open {
    el: Element,
    /// Prefix declarations made on this element.
    decls: Vec<(String, String)>,
}

/// `parse_tree`; with a sink, each outermost item-like element below the root is mapped
/// (or counted) when it closes and left out of the tree.
fn build_tree(text: &str, mut sink: Option<&mut ItemSink>) -> Option<Element> {
    let mut stack: Vec<Open> = Vec::new();
    let mut root: Option<Element> = None;
    let mut entities = Declared::default();
    // Start tags dropped for being deeper than MAX_DEPTH, not yet closed.
    let mut skipped = 0usize;
    let bytes = text.as_bytes();
    let mut i = 0;
    let push_node = |stack: &mut Vec<Open>, node: Node| {
        if let Some(top) = stack.last_mut() {
            if let (Node::Text(t), Some(Node::Text(prev))) = (&node, top.el.children.last_mut()) {
                prev.push_str(t);
                return;
            }
            top.el.children.push(node);
        }
    };
    while i < bytes.len() {
        let Some(lt) = memchr::memchr(b'<', &bytes[i..]).map(|p| i + p) else {
            push_node(&mut stack, Node::Text(decode_entities(&text[i..], &entities)));
            break;
        };
        if lt > i {
            push_node(&mut stack, Node::Text(decode_entities(&text[i..lt], &entities)));
        }
        let rest = &text[lt..];
        if let Some(body) = rest.strip_prefix("<!--") {
            i = body.find("-->").map_or(bytes.len(), |e| lt + 4 + e + 3);
        } else if let Some(body) = rest.strip_prefix("<![CDATA[") {
            let end = body.find("]]>").unwrap_or(body.len());
            push_node(&mut stack, Node::Text(body[..end].to_owned()));
            i = (lt + 9 + end + 3).min(bytes.len());
        } else if rest.starts_with("<!") {
            // DOCTYPE, with an internal subset maybe: keep its simple entity declarations.
            // The `[` of an internal subset only before the declaration's `>`: looked for in
            // all the rest, many `<!…>` and no `[` were quadratic.
            let gt = memchr::memchr(b'>', rest.as_bytes());
            let end = match gt.and_then(|gt| memchr::memchr(b'[', &rest.as_bytes()[..gt])) {
                Some(open) => rest[open..].find("]").and_then(|c| rest[open + c..].find('>').map(|g| open + c + g)),
                None => gt,
            };
            let decl = &rest[..end.unwrap_or(rest.len())];
            for part in decl.split("<!ENTITY").skip(1) {
                let mut words = part.trim_start().splitn(2, char::is_whitespace);
                if let (Some(name), Some(value)) = (words.next(), words.next()) {
                    let value = value.trim_start();
                    if let Some(q @ ('"' | '\'')) = value.chars().next()
                        && let Some(v) = value[1..].split(q).next()
                    {
                        entities.list.push((name.to_owned(), v.to_owned()));
                    }
                }
            }
            i = end.map_or(bytes.len(), |e| lt + e + 1);
        } else if rest.starts_with("<?") {
            i = rest.find("?>").map_or(bytes.len(), |e| lt + e + 2);
        } else if let Some(body) = rest.strip_prefix("</") {
            let end = body.find('>').unwrap_or(body.len());
            let name = body[..end].trim();
            if skipped > 0 {
                // Closes one of the elements too deep to keep.
                skipped -= 1;
            } else if let Some(at) = stack.iter().rposition(|o| o.el.qname == name) {
                while stack.len() > at {
                    close(&mut stack, &mut root, &mut sink);
                }
            }
            i = (lt + 2 + end + 1).min(bytes.len());
        } else if rest[1..].starts_with(|c: char| c.is_alphabetic() || c == '_') {
            let Some((tag_len, name, attrs, empty)) = read_start_tag(rest, &entities) else {
                push_node(&mut stack, Node::Text("<".into()));
                i = lt + 1;
                continue;
            };
            if stack.len() >= MAX_DEPTH {
                // Too deep to be a feed's: the tag goes, its text stays (in the last kept element).
                skipped += usize::from(!empty);
                i = lt + tag_len;
                continue;
            }
            let decls: Vec<(String, String)> = attrs
                .iter()
                .filter_map(|(k, v)| {
                    if k == "xmlns" {
                        Some((String::new(), v.clone()))
                    } else {
                        k.strip_prefix("xmlns:").map(|p| (p.to_owned(), v.clone()))
                    }
                })
                .collect();
            let (prefix, local) = match name.split_once(':') {
                Some((p, l)) => (p, l),
                None => ("", name.as_str()),
            };
            let ns = if prefix == "xml" {
                NS_XML.to_owned()
            } else {
                decls
                    .iter()
                    .rev()
                    .chain(stack.iter().rev().flat_map(|o| o.decls.iter().rev()))
                    .find(|(p, _)| p == prefix)
                    .map(|(_, uri)| uri.clone())
                    .unwrap_or_default()
            };
            // Spellings feeds use for the same namespaces.
            let ns = if ns.eq_ignore_ascii_case(NS_ITUNES) {
                NS_ITUNES.to_owned()
            } else if ns == "http://search.yahoo.com/mrss" {
                NS_MEDIA.to_owned()
            } else {
                ns
            };
            let el = Element { local: local.to_owned(), ns, qname: name, attrs, children: Vec::new() };
            stack.push(Open { el, decls });
            if empty {
                close(&mut stack, &mut root, &mut sink);
            }
            i = lt + tag_len;
        } else {
            push_node(&mut stack, Node::Text("<".into()));
            i = lt + 1;
        }
    }
    while !stack.is_empty() {
        close(&mut stack, &mut root, &mut sink);
    }

    fn close(stack: &mut Vec<Open>, root: &mut Option<Element>, sink: &mut Option<&mut ItemSink>) {
        let Some(done) = stack.pop() else { return };
        // The same items `collect_items` finds: below the root, not inside another item.
        if let Some(sink) = sink.as_deref_mut()
            && !stack.is_empty()
            && is_item_like(&done.el.local)
            && !stack[1..].iter().any(|o| is_item_like(&o.el.local))
        {
            sink.item_like += 1;
            if done.el.local != "ITEM" && is_feed_ns(&done.el.ns) {
                let parent_base = stack.iter().fold(sink.feed_url.clone(), |base, o| xml_base(&o.el, &base));
                // The feed's language is filled in by `read` once the whole document is read.
                sink.items.push(read_item(&done.el, &xml_base(&done.el, &parent_base), None));
            }
            return;
        }
        match stack.last_mut() {
            Some(parent) => parent.el.children.push(Node::Element(done.el)),
            None => {
                if root.is_none() {
                    *root = Some(done.el);
                }
            }
        }
    }
    root
}

/// A start tag read: its length, name, attributes and whether it closes itself.
type StartTag = (usize, String, Vec<(String, String)>, bool);

/// `<name a="1" b='2' c=3>` → (length, name, attributes, self-closing).
fn read_start_tag(tag: &str, entities: &Declared) -> Option<StartTag> {
    let b = tag.as_bytes();
    let mut i = 1;
    while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' && b[i] != b'/' {
        i += 1;
    }
    let name = tag[1..i].to_owned();
    let mut attrs = Vec::new();
    loop {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        match b.get(i)? {
            b'>' => return Some((i + 1, name, attrs, false)),
            b'/' if b.get(i + 1) == Some(&b'>') => return Some((i + 2, name, attrs, true)),
            b'/' => i += 1,
            b'<' => return Some((i, name, attrs, false)),
            _ => {
                let start = i;
                while i < b.len() && !b[i].is_ascii_whitespace() && !matches!(b[i], b'=' | b'>' | b'/') {
                    i += 1;
                }
                let key = tag[start..i].to_owned();
                while i < b.len() && b[i].is_ascii_whitespace() {
                    i += 1;
                }
                let mut value = String::new();
                if b.get(i) == Some(&b'=') {
                    i += 1;
                    while i < b.len() && b[i].is_ascii_whitespace() {
                        i += 1;
                    }
                    match b.get(i)? {
                        q @ (b'"' | b'\'') => {
                            let end = memchr::memchr(*q, &b[i + 1..])? + i + 1;
                            value = decode_entities(&tag[i + 1..end], entities);
                            i = end + 1;
                        }
                        _ => {
                            let s = i;
                            while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' {
                                i += 1;
                            }
                            value = decode_entities(&tag[s..i], entities);
                        }
                    }
                }
                if !key.is_empty() {
                    attrs.push((key, value));
                }
            }
        }
    }
}

/// What a document's own declarations may add to it, in all: entity expansion (billion
/// laughs, one big entity referenced millions of times) stays bounded. References past it
/// are kept as written, like unknown ones.
const MAX_DECLARED_EXPANSION: usize = 1024 * 1024;

/// The entities a document declares (`<!ENTITY name "value">`), expanded one level only
/// (a value's own references stay as written), and the expansion budget left.
struct Declared {
    list: Vec<(String, String)>,
    budget: std::cell::Cell<usize>,
}

impl Default for Declared {
    fn default() -> Self {
        Self { list: Vec::new(), budget: std::cell::Cell::new(MAX_DECLARED_EXPANSION) }
    }
}

impl Declared {
    fn expand(&self, name: &str) -> Option<&str> {
        let (_, value) = self.list.iter().find(|(n, _)| n == name)?;
        let left = self.budget.get().checked_sub(value.len())?;
        self.budget.set(left);
        Some(value)
    }
}

/// XML's five entities, character references, the HTML entities feeds use without
/// declaring them, and the document's own declarations. Unknown ones are kept as written.
fn decode_entities(s: &str, declared: &Declared) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    // Escaped HTML is mostly entities: found with memchr, none allocates.
    while let Some(amp) = memchr::memchr(b'&', rest.as_bytes()) {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        match entity_at(after, declared, &mut out) {
            Some(len) => rest = &after[len + 1..],
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The entity `after` an `&` begins with (a name of 1 to 32 bytes without whitespace or `&`,
/// then `;`), decoded onto `out`: its name's length, or `None` (and `out` untouched) when it
/// is none this reader knows.
fn entity_at(after: &str, declared: &Declared, out: &mut String) -> Option<usize> {
    let window = &after.as_bytes()[..after.len().min(33)];
    let e = memchr::memchr(b';', window).filter(|&e| e > 0)?;
    let name = &after[..e];
    if name.contains(|c: char| c.is_whitespace() || c == '&') {
        return None;
    }
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        out.push(char::from_u32(code)?);
    } else if declared.list.iter().any(|(n, _)| n == name) {
        out.push_str(declared.expand(name)?);
    } else {
        out.push(named_entity(name)?);
    }
    Some(e)
}

fn named_entity(name: &str) -> Option<char> {
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => '\u{a0}',
        "copy" => '©',
        "reg" => '®',
        "trade" => '™',
        "laquo" => '«',
        "raquo" => '»',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ldquo" => '“',
        "rdquo" => '”',
        "mdash" => '—',
        "ndash" => '–',
        "hellip" => '…',
        "bull" => '•',
        "middot" => '·',
        "deg" => '°',
        "eacute" => 'é',
        "egrave" => 'è',
        "aacute" => 'á',
        "agrave" => 'à',
        "ouml" => 'ö',
        "uuml" => 'ü',
        "auml" => 'ä',
        "szlig" => 'ß',
        "euro" => '€',
        "pound" => '£',
        "yen" => '¥',
        "sect" => '§',
        "para" => '¶',
        "times" => '×',
        _ => return None,
    })
}

// ------------------------------------------------------------------ the mapping

/// What the document is, as far as items go.
#[derive(Debug, Default)]
pub(crate) struct Document {
    pub title: Option<String>,
    pub language: Option<String>,
    pub items: Vec<Item>,
    /// `item`/`entry` elements anywhere (also ones not mapped): a document with some and no
    /// items is an error, never an empty success.
    pub item_like: usize,
    /// Root element's local name, for error messages.
    pub root: String,
    pub is_cdf: bool,
}

/// One item, HTML not yet sanitised.
#[derive(Debug, Default, Clone)]
pub(crate) struct Item {
    pub id: Option<String>,
    pub link: Option<String>,
    pub title: Option<String>,
    pub summary_html: Option<String>,
    pub content_html: Option<String>,
    pub authors: Vec<String>,
    pub categories: Vec<String>,
    pub published: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
    /// A date was given that could not be read (feed-rs may read it).
    pub unread_date: bool,
    pub image: Option<String>,
    pub language: Option<String>,
    /// Base for relative URLs in the HTML: the body's `xml:base` in scope.
    pub base: Option<Url>,
    /// The element had nothing in it (no child with text or attributes).
    pub empty: bool,
}

pub(crate) fn read(text: &str, feed_url: &Url) -> Option<Document> {
    let mut sink = ItemSink { feed_url, items: Vec::new(), item_like: 0 };
    let root = build_tree(text, Some(&mut sink))?;
    let mut doc = Document { root: root.local.clone(), ..Default::default() };
    doc.is_cdf = root.local.eq_ignore_ascii_case("channel") && root.local != "channel";
    let root_base = xml_base(&root, feed_url);
    let root_lang = root.attr("xml:lang").map(str::to_owned);
    // The channel (RSS) or the feed itself (Atom) holds title and language.
    let channel = root.elements().find(|e| e.local == "channel" && is_feed_ns(&e.ns));
    let (holder, holder_base) = match channel {
        Some(c) => (c, xml_base(c, &root_base)),
        None => (&root, root_base.clone()),
    };
    doc.title = holder.elements().find(|e| e.local == "title" && is_feed_ns(&e.ns)).map(|t| text_of_element(t, &holder_base)).filter(|t| !t.is_empty());
    doc.language = holder
        .elements()
        .find(|e| e.local == "language" && (is_feed_ns(&e.ns) || e.ns == NS_DC))
        .map(|e| e.text().trim().to_owned())
        .filter(|l| !l.is_empty())
        .or_else(|| holder.attr("xml:lang").map(str::to_owned))
        .or(root_lang);
    doc.item_like = sink.item_like;
    doc.items = sink.items;
    for item in doc.items.iter_mut().filter(|i| i.language.is_none()) {
        item.language.clone_from(&doc.language);
    }
    Some(doc)
}

fn xml_base(el: &Element, parent: &Url) -> Url {
    el.attr("xml:base").and_then(|b| parent.join(b.trim()).ok()).unwrap_or_else(|| parent.clone())
}

/// How an element's content is to be read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Html,
    Xhtml,
    Base64,
}

/// Atom's `type` (1.0 names and 0.3 MIME types) and 0.3's `mode`; RSS elements are HTML.
fn content_kind(el: &Element, default: Kind) -> Kind {
    match el.attr("type").map(|t| t.trim().to_ascii_lowercase()) {
        Some(t) if t == "text" || t == "text/plain" => Kind::Text,
        Some(t) if t == "html" || t == "text/html" => Kind::Html,
        Some(t) if t == "xhtml" || t == "application/xhtml+xml" => Kind::Xhtml,
        Some(t) if t.ends_with("+xml") || t.ends_with("/xml") => Kind::Xhtml,
        Some(t) if t.starts_with("text/") => Kind::Text,
        // Atom 1.0: any other MIME type is base64 (read as HTML once decoded).
        Some(t) if t.contains('/') => Kind::Base64,
        _ => default,
    }
}

/// The HTML of an element's content.
fn html_of_element(el: &Element, default: Kind) -> String {
    let kind = content_kind(el, default);
    let mode = el.attr("mode").map(str::to_ascii_lowercase);
    if mode.as_deref() == Some("base64") || kind == Kind::Base64 {
        let decoded = decode_base64(&el.text()).map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
        return if kind == Kind::Text { crate::parse::escape_html(&decoded) } else { decoded };
    }
    if el.has_elements() || mode.as_deref() == Some("xml") || kind == Kind::Xhtml {
        if kind == Kind::Text && !el.has_elements() {
            return crate::parse::escape_html(&el.text());
        }
        // Markup written as elements: XHTML content, or raw tags inside an RSS description.
        return el.inner_html();
    }
    match kind {
        Kind::Text => crate::parse::escape_html(&el.text()),
        _ => unwrap_foreign(el.text()),
    }
}

/// Escaped SVG or MathML in an HTML string: keep the words inside and drop the markup
/// (the sanitiser removes foreign elements whole, words included).
fn unwrap_foreign(html: String) -> String {
    let lower = html.to_ascii_lowercase();
    if !lower.contains("<svg") && !lower.contains("<math") {
        return html;
    }
    // Where each opening is next, looked for again only once a region has passed it:
    // looking for both from every region made many `<svg>`s and no `<math` quadratic.
    const OPENINGS: [&str; 2] = ["<svg", "<math"];
    let mut found = OPENINGS.map(|opening| first_opening(&lower, opening, 0));
    unwrap_regions(&html, &lower, |at| {
        let mut next: Option<(usize, &'static str)> = None;
        for (opening, found) in OPENINGS.iter().zip(&mut found) {
            if found.is_some_and(|i| i < at) {
                *found = first_opening(&lower, opening, at);
            }
            if let Some(i) = *found
                && next.is_none_or(|(j, _)| i < j)
            {
                next = Some((i, &opening[1..]));
            }
        }
        next
    })
}

/// `html` with each foreign region's markup dropped and its words kept; `next_region(at)`
/// gives where the next region at or after `at` opens, and its element's name.
fn unwrap_regions(html: &str, lower: &str, mut next_region: impl FnMut(usize) -> Option<(usize, &'static str)>) -> String {
    let mut out = String::with_capacity(html.len());
    let mut at = 0;
    while at < html.len() {
        let Some((open, name)) = next_region(at) else { break };
        out.push_str(&html[at..open]);
        let close = format!("</{name}");
        let end = lower[open..].find(&close).and_then(|c| lower[open + c..].find('>').map(|g| open + c + g + 1)).unwrap_or(html.len());
        // The region's text, tags dropped, as escaped HTML text.
        let mut inside = &html[open..end];
        out.push(' ');
        while let Some(lt) = inside.find('<') {
            out.push_str(&inside[..lt]);
            out.push(' ');
            inside = inside[lt..].find('>').map_or("", |g| &inside[lt + g + 1..]);
        }
        out.push_str(inside);
        out.push(' ');
        at = end;
    }
    out.push_str(&html[at.min(html.len())..]);
    out
}

/// The first `opening` (`<svg`, `<math`) at or after `from` that is a whole tag name.
fn first_opening(lower: &str, opening: &str, from: usize) -> Option<usize> {
    let mut from = from;
    while let Some(i) = memchr::memmem::find(&lower.as_bytes()[from..], opening.as_bytes()).map(|i| from + i) {
        if lower[i + opening.len()..].starts_with(|c: char| c.is_whitespace() || c == '>' || c == '/') {
            return Some(i);
        }
        from = i + 1;
    }
    None
}

/// Plain text of a title-like element.
fn text_of_element(el: &Element, _base: &Url) -> String {
    // RSS says nothing of a title's type: HTML when it looks like HTML ("Oil < $80" is text).
    let untyped = if is_atom(&el.ns) || !looks_like_html(&el.text()) { Kind::Text } else { Kind::Html };
    let kind = content_kind(el, untyped);
    let text = match kind {
        Kind::Text if !el.has_elements() && el.attr("mode").is_none() => el.text(),
        _ => crate::sanitize::html_to_text(&html_of_element(el, Kind::Html)),
    };
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A tag (`<b>`, `</p>`, `<br/>`, `<!--`) or an entity (`&amp;`, `&#8212;`) in a string.
///
/// Each `<` or `&` looks no further than it must: a `>` after it is one after the last `<`
/// checked so far or none, and an entity's `;` is within 10 bytes. (Looking for them in all
/// the rest, as this did, made a text of many `<a` or `&` and no `>` or `;` quadratic.)
fn looks_like_html(s: &str) -> bool {
    let b = s.as_bytes();
    let last_gt = memchr::memrchr(b'>', b);
    let tag = memchr::memchr_iter(b'<', b).any(|i| {
        b.get(i + 1).is_some_and(|c| c.is_ascii_alphabetic() || *c == b'/' || *c == b'!') && last_gt.is_some_and(|gt| gt > i)
    });
    tag || memchr::memchr_iter(b'&', b).any(|i| {
        let rest = &b[i + 1..];
        memchr::memchr(b';', &rest[..rest.len().min(11)])
            .is_some_and(|e| e > 0 && e <= 10 && rest[..e].iter().all(|c| c.is_ascii_alphanumeric() || *c == b'#'))
    })
}

fn is_atom(ns: &str) -> bool {
    ns == NS_ATOM10 || ns == NS_ATOM03
}

fn read_item(item: &Element, base: &Url, feed_language: Option<&str>) -> Item {
    let mut out = Item { language: item.attr("xml:lang").map(str::to_owned).or_else(|| feed_language.map(str::to_owned)), ..Default::default() };
    out.empty = !item.elements().any(|e| !e.attrs.is_empty() || !e.text().trim().is_empty() || e.has_elements()) && item.attr_local("about").is_none();
    let atom = is_atom(&item.ns);
    let mut dc_title = None;
    let mut guid: Option<(String, bool)> = None;
    let mut summary: Option<(String, Url)> = None;
    let mut dc_description: Option<(String, Url)> = None;
    let mut content: Option<(String, Url, u8)> = None;
    let mut published: Option<(String, u8)> = None;
    let mut updated: Option<(String, u8)> = None;
    let mut alternate: Option<String> = None;
    let mut any_link: Option<String> = None;
    let mut images: Vec<(u8, String)> = Vec::new();
    let absolute = |href: &str, base: &Url| crate::weburl::resolve_web(base, href).map(String::from);

    let push_category = |out: &mut Item, c: &str| {
        let c = c.split_whitespace().collect::<Vec<_>>().join(" ");
        if !c.is_empty() && !out.categories.contains(&c) {
            out.categories.push(c);
        }
    };
    let set_date = |slot: &mut Option<(String, u8)>, value: String, rank: u8| {
        if slot.as_ref().is_none_or(|(_, r)| rank <= *r) && !value.trim().is_empty() {
            *slot = Some((value, rank));
        }
    };

    let mut elements: Vec<&Element> = item.elements().collect();
    // Media RSS groups hold the same children one level down.
    let groups: Vec<&Element> = elements.iter().filter(|e| e.ns == NS_MEDIA && e.local == "group").copied().collect();
    for g in groups {
        elements.extend(g.elements());
    }
    for el in elements {
        let el_base = xml_base(el, base);
        let ns = el.ns.as_str();
        let feed = is_feed_ns(ns);
        match (feed, ns, el.local.as_str()) {
            (true, _, "title") if out.title.is_none() => out.title = Some(text_of_element(el, &el_base)),
            (_, NS_DC, "title") => dc_title = Some(el.text().split_whitespace().collect::<Vec<_>>().join(" ")),
            (_, NS_MEDIA, "title") if dc_title.is_none() => dc_title = Some(text_of_element(el, &el_base)),
            (true, _, "link") => {
                if let Some(href) = el.attr("href") {
                    let rel = el.attr("rel").map(str::trim).unwrap_or("alternate");
                    let url = absolute(href, &el_base);
                    if rel == "alternate" && alternate.is_none() {
                        alternate = url.clone();
                    }
                    if rel == "enclosure" && el.attr("type").is_some_and(|t| t.starts_with("image/")) {
                        images.extend(url.clone().map(|u| (2, u)));
                    }
                    if any_link.is_none() && !matches!(rel, "enclosure" | "self" | "edit" | "replies" | "license") {
                        any_link = url;
                    }
                } else if !el.text().trim().is_empty() && alternate.is_none() {
                    alternate = absolute(&el.text(), &el_base);
                }
            }
            (true, _, "guid" | "id") => {
                let value = el.text().trim().to_owned();
                if !value.is_empty() {
                    let permalink = !atom && el.attr("isPermaLink").is_none_or(|p| !p.trim().eq_ignore_ascii_case("false"));
                    guid = Some((value, permalink));
                }
            }
            (true, _, "description" | "summary" | "abstract") | (_, NS_ITUNES, "summary") => {
                let default = if atom && ns != NS_ITUNES { Kind::Text } else { Kind::Html };
                let html = html_of_element(el, default);
                if html.trim().is_empty() || (summary.is_some() && ns == NS_ITUNES) {
                } else if summary.is_some() && !atom && content.is_none() && ns != NS_ITUNES {
                    // RSS with both <description> and <summary>: the second is the body.
                    content = Some((html, el_base, 3));
                } else {
                    summary = Some((html, el_base));
                }
            }
            (_, NS_DC, "description") | (_, NS_DCTERMS, "abstract") => dc_description = Some((html_of_element(el, Kind::Html), el_base)),
            (true, _, "content") | (_, NS_CONTENT, "encoded") | (_, NS_XHTML, "body") | (true, _, "fullitem" | "body") => {
                let rank = match (ns, el.local.as_str()) {
                    (NS_CONTENT, _) | (_, "fullitem") => 1,
                    (NS_XHTML, _) | (_, "body") => 0,
                    _ => 2,
                };
                if el.attr("src").is_some() && el.text().trim().is_empty() {
                    continue;
                }
                let default = if atom && ns != NS_CONTENT && ns != NS_XHTML { Kind::Text } else { Kind::Html };
                let html = if el.local == "body" { el.inner_html() } else { html_of_element(el, default) };
                if !html.trim().is_empty() && content.as_ref().is_none_or(|(_, _, r)| rank < *r) {
                    content = Some((html, el_base, rank));
                }
            }
            (true, _, "author") | (_, NS_DC, "creator" | "author") | (_, NS_ITUNES, "author") => {
                let name = if el.has_elements() {
                    el.elements().find(|e| e.local == "name").map(|n| n.text()).unwrap_or_else(|| {
                        el.elements().find(|e| e.local == "email").map(|n| n.text()).unwrap_or_default()
                    })
                } else {
                    el.text()
                };
                let name = author_name(&name);
                if !name.is_empty() && !out.authors.contains(&name) && (ns != NS_ITUNES || out.authors.is_empty()) {
                    out.authors.push(name);
                }
            }
            (true, _, "category") => {
                let label = el.attr("label").filter(|l| !l.trim().is_empty()).or(el.attr("term")).map(str::to_owned);
                push_category(&mut out, &label.unwrap_or_else(|| el.text()));
            }
            (_, NS_DC, "subject") | (_, NS_MEDIA, "category") => push_category(&mut out, &el.text()),
            // A made-up element some feeds use: comma-separated tags.
            (true, _, "tags") if !atom => {
                for tag in el.text().split(',') {
                    push_category(&mut out, tag);
                }
            }
            (true, _, "pubDate" | "published" | "issued") | (_, NS_DCTERMS, "issued") => set_date(&mut published, el.text(), 0),
            (_, NS_DC, "date") => set_date(&mut published, el.text(), 1),
            (true, _, "created") | (_, NS_DCTERMS, "created") => set_date(&mut published, el.text(), 2),
            (true, _, "updated" | "modified") | (_, NS_DCTERMS, "modified") => set_date(&mut updated, el.text(), 0),
            (true, _, "enclosure") => {
                if let Some(url) = el.attr("url").or(el.attr("href")).and_then(|u| absolute(u, &el_base))
                    && el.attr("type").is_some_and(|t| t.trim().starts_with("image/"))
                {
                    images.push((2, url));
                }
            }
            (_, NS_MEDIA, "content") => {
                let is_image = el.attr("type").map(|t| t.trim().starts_with("image/")).or(el.attr("medium").map(|m| m == "image"));
                if let Some(url) = el.attr("url").and_then(|u| absolute(u, &el_base))
                    && is_image != Some(false)
                {
                    images.push((if is_image == Some(true) { 0 } else { 1 }, url));
                }
                // A video's poster frame.
                for thumb in el.elements().filter(|e| e.ns == NS_MEDIA && e.local == "thumbnail") {
                    images.extend(thumb.attr("url").and_then(|u| absolute(u, &el_base)).map(|u| (1, u)));
                }
            }
            (_, NS_MEDIA, "thumbnail") => images.extend(el.attr("url").and_then(|u| absolute(u, &el_base)).map(|u| (1, u))),
            (_, NS_ITUNES, "image") => images.extend(el.attr("href").or(el.attr("url")).and_then(|u| absolute(u, &el_base)).map(|u| (3, u))),
            (_, NS_ITUNES, "link") if el.attr("rel") == Some("image") => {
                images.extend(el.attr("href").and_then(|u| absolute(u, &el_base)).map(|u| (3, u)));
            }
            (_, NS_ITUNES, "category") => {
                let mut stack = vec![el];
                while let Some(c) = stack.pop() {
                    push_category(&mut out, c.attr("text").unwrap_or(""));
                    stack.extend(c.elements().filter(|e| e.local == "category").collect::<Vec<_>>().into_iter().rev());
                }
            }
            (_, NS_DC, "language") => out.language = Some(el.text().trim().to_owned()).filter(|l| !l.is_empty()).or(out.language),
            _ => {}
        }
    }
    // RDF items name themselves.
    let about = item.attr_local("about").filter(|_| item.attrs.iter().any(|(k, _)| k.ends_with(":about"))).map(str::trim).filter(|a| !a.is_empty());
    let _ = NS_RDF;
    if out.title.as_deref().is_none_or(str::is_empty) {
        out.title = dc_title.filter(|t| !t.is_empty()).or(out.title);
    }
    out.link = alternate.or(any_link);
    if out.link.is_none()
        && let Some((g, true)) = &guid
    {
        out.link = absolute(g, base).filter(|_| g.contains("://"));
    }
    if out.link.is_none() {
        out.link = about.and_then(|a| absolute(a, base));
    }
    // An id written as a path is relative to the item's base, as feedparser reads it.
    let resolve_path = |id: String| if id.starts_with('/') && !id.starts_with("//") { base.join(&id).map(String::from).unwrap_or(id) } else { id };
    out.id = guid.map(|(g, _)| g).or_else(|| about.map(str::to_owned)).map(resolve_path);
    let summary = summary.or(dc_description);
    out.base = content.as_ref().map(|(_, b, _)| b.clone()).or_else(|| summary.as_ref().map(|(_, b)| b.clone())).or_else(|| Some(base.clone()));
    out.summary_html = summary.map(|(h, _)| h).filter(|h| !h.trim().is_empty());
    out.content_html = content.map(|(h, _, _)| h);
    let mut unread = false;
    let mut date = |value: Option<(String, u8)>| {
        let value = value?.0;
        let parsed = parse_date(&value);
        unread |= parsed.is_none();
        parsed
    };
    out.published = date(published);
    out.updated = date(updated);
    out.unread_date = unread;
    images.sort_by_key(|(rank, _)| *rank);
    out.image = images.into_iter().next().map(|(_, u)| u);
    out
}

/// `me@example.com (Example editor)` → `Example editor`; `Name (me@example.com)` and
/// `Name <me@example.com>` → `Name`; a bare address stays.
fn author_name(raw: &str) -> String {
    let s = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Some(open) = s.find('(')
        && s.ends_with(')')
    {
        let (outside, inside) = (s[..open].trim(), s[open + 1..s.len() - 1].trim());
        if outside.contains('@') && !inside.is_empty() {
            return inside.to_owned();
        }
        if inside.contains('@') && !outside.is_empty() {
            return outside.to_owned();
        }
    }
    if let Some(open) = s.find('<')
        && s.ends_with('>')
        && s[open..].contains('@')
        && open > 0
    {
        return s[..open].trim().trim_matches('"').to_owned();
    }
    s
}

fn decode_base64(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            c if c.is_ascii_whitespace() => continue,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

// ------------------------------------------------------------------ dates

/// RFC 822/2822 (with the usual liberties), W3C-DTF / ISO 8601 and their common variants.
pub(crate) fn parse_date(raw: &str) -> Option<DateTime<Utc>> {
    let s = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.is_empty() {
        return None;
    }
    let parsed = match DateTime::parse_from_rfc2822(&s) {
        Ok(d) => Some(d.with_timezone(&Utc)),
        Err(_) => parse_iso(&s).or_else(|| parse_rfc822_loose(&s)),
    };
    parsed.filter(|d| in_date_range(*d))
}

/// Years of four digits, as every date format writes them. A date in the year 20250 is
/// garbage, and would keep its item atop every list for good.
pub(crate) fn in_date_range(d: DateTime<Utc>) -> bool {
    (1..=9999).contains(&d.year())
}

fn parse_iso(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    // Date part: YYYY-MM-DD, YYYYMMDD, YYYY-MM, YYYY.
    let (date_part, rest) = match s.find(['T', 't', ' ']) {
        Some(i) => (&s[..i], s[i + 1..].trim()),
        None => (s, ""),
    };
    let digits: String = date_part.chars().filter(char::is_ascii_digit).collect();
    if digits.len() != date_part.replace('-', "").len() {
        return None;
    }
    let (y, m, d) = match (date_part.split('-').collect::<Vec<_>>().as_slice(), digits.len()) {
        ([y, m, d], _) => (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?),
        ([y, m], _) => (y.parse().ok()?, m.parse().ok()?, 1),
        ([_], 8) => (digits[..4].parse().ok()?, digits[4..6].parse().ok()?, digits[6..].parse().ok()?),
        ([_], 4) => (digits.parse().ok()?, 1, 1),
        _ => return None,
    };
    let date = NaiveDate::from_ymd_opt(y, m, d)?;
    if rest.is_empty() {
        return Some(Utc.from_utc_datetime(&date.and_time(NaiveTime::MIN)));
    }
    // Time part and zone: 10:14:55Z, 10:14:55.123-08:00, 10:14Z, 101455Z, 10:14:55 +0100.
    let zone_at = rest.find(['Z', 'z', '+', '-']).or_else(|| rest.find(' '));
    let (time_part, zone) = match zone_at {
        Some(i) => (rest[..i].trim(), rest[i..].trim()),
        None => (rest, ""),
    };
    let time_part = time_part.split(['.', ',']).next()?;
    let nums: Vec<u32> = if time_part.contains(':') {
        time_part.split(':').map(|p| p.parse().ok()).collect::<Option<_>>()?
    } else {
        time_part.as_bytes().chunks(2).map(|c| std::str::from_utf8(c).ok()?.parse().ok()).collect::<Option<_>>()?
    };
    let time = match nums.as_slice() {
        [h, m] => NaiveTime::from_hms_opt(*h, *m, 0)?,
        [h, m, s] => NaiveTime::from_hms_opt(*h, *m, (*s).min(59))?,
        [h] => NaiveTime::from_hms_opt(*h, 0, 0)?,
        _ => return None,
    };
    let offset = zone_offset(zone)?;
    let local = NaiveDateTime::new(date, time);
    offset.from_local_datetime(&local).single().map(|d| d.with_timezone(&Utc))
}

fn zone_offset(zone: &str) -> Option<FixedOffset> {
    let z = zone.trim();
    let hours = |h: i32| FixedOffset::east_opt(h * 3600);
    match z.to_ascii_uppercase().as_str() {
        "" | "Z" | "UT" | "UTC" | "GMT" => return hours(0),
        "EST" => return hours(-5),
        "EDT" => return hours(-4),
        "CST" => return hours(-6),
        "CDT" => return hours(-5),
        "MST" => return hours(-7),
        "MDT" => return hours(-6),
        "PST" => return hours(-8),
        "PDT" => return hours(-7),
        _ => {}
    }
    let (sign, digits) = match z.as_bytes().first()? {
        b'+' => (1, &z[1..]),
        b'-' => (-1, &z[1..]),
        _ => return None,
    };
    let digits = digits.replace(':', "");
    // Sliced by bytes below: anything but ASCII digits would panic there (found by fuzzing).
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m): (i32, i32) = match digits.len() {
        1 | 2 => (digits.parse().ok()?, 0),
        4 => (digits[..2].parse().ok()?, digits[2..].parse().ok()?),
        _ => return None,
    };
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

/// RFC 822 as feeds write it: no weekday or a wrong one, no seconds, one-digit days,
/// two-digit years, long month names, odd zones.
fn parse_rfc822_loose(s: &str) -> Option<DateTime<Utc>> {
    let s = s.replace(',', " ");
    let mut words: Vec<&str> = s.split_whitespace().collect();
    if words.first().is_some_and(|w| w.chars().all(char::is_alphabetic) && month_number(w).is_none()) {
        words.remove(0);
    }
    let [day, month, year, time, rest @ ..] = words.as_slice() else { return None };
    let (day, month) = match (day.parse::<u32>(), month_number(month)) {
        (Ok(d), Some(m)) => (d, m),
        // "Jan 01 2004"
        _ => (month.parse::<u32>().ok()?, month_number(day)?),
    };
    let mut year: i32 = year.parse().ok()?;
    if year < 100 {
        year += if year < 50 { 2000 } else { 1900 };
    }
    let nums: Vec<u32> = time.split(':').map(|p| p.parse().ok()).collect::<Option<_>>()?;
    let time = match nums.as_slice() {
        [h, m] => NaiveTime::from_hms_opt(*h, *m, 0)?,
        [h, m, s] => NaiveTime::from_hms_opt(*h, *m, (*s).min(59))?,
        _ => return None,
    };
    let offset = zone_offset(rest.first().copied().unwrap_or(""))?;
    let local = NaiveDateTime::new(NaiveDate::from_ymd_opt(year, month, day)?, time);
    offset.from_local_datetime(&local).single().map(|d| d.with_timezone(&Utc))
}

fn month_number(word: &str) -> Option<u32> {
    let w = word.to_ascii_lowercase();
    let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
    months.iter().position(|m| w.starts_with(m)).map(|i| i as u32 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url() -> Url {
        Url::parse("http://example.org/feed.xml").unwrap()
    }

    /// `unwrap_foreign` before it remembered where each opening was (both looked for again
    /// from every region), kept as the reference.
    fn unwrap_foreign_searching_from_every_region(html: String) -> String {
        let lower = html.to_ascii_lowercase();
        if !lower.contains("<svg") && !lower.contains("<math") {
            return html;
        }
        unwrap_regions(&html, &lower, |at| {
            ["<svg", "<math"]
                .iter()
                .filter_map(|t| {
                    let mut from = at;
                    while let Some(i) = lower[from..].find(t).map(|i| from + i) {
                        if lower[i + t.len()..].starts_with(|c: char| c.is_whitespace() || c == '>' || c == '/') {
                            return Some((i, &t[1..]));
                        }
                        from = i + 1;
                    }
                    None
                })
                .min()
        })
    }

    #[test]
    fn foreign_markup_is_unwrapped_as_when_every_region_searched_again() {
        let pieces = ["<svg>", "</svg>", "<math ", "</math>", "<svgx", "<MATH/>", "<SVG", ">", "<", "text ", "ж", "</svg", "<p>"];
        let mut next = crate::test_support::picker(0x9e37_79b9_7f4a_7c15);
        for _ in 0..20_000 {
            let len = next(14);
            let text: String = (0..len).map(|_| pieces[next(pieces.len())]).collect();
            assert_eq!(unwrap_foreign(text.clone()), unwrap_foreign_searching_from_every_region(text.clone()), "{text:?}");
        }
    }

    /// `looks_like_html` before its searches were bounded, kept as the reference.
    fn looks_like_html_unbounded(s: &str) -> bool {
        let b = s.as_bytes();
        let tag = memchr::memchr_iter(b'<', b).any(|i| {
            b.get(i + 1).is_some_and(|c| c.is_ascii_alphabetic() || *c == b'/' || *c == b'!') && memchr::memchr(b'>', &b[i..]).is_some()
        });
        tag || memchr::memchr_iter(b'&', b).any(|i| {
            let rest = &s[i + 1..];
            rest.find(';').is_some_and(|e| e > 0 && e <= 10 && rest[..e].bytes().all(|c| c.is_ascii_alphanumeric() || c == b'#'))
        })
    }

    #[test]
    fn html_is_recognised_as_the_unbounded_search_recognised_it() {
        let pieces = ["<", ">", "&", ";", "a", "b", "/", "!", " ", "#", "1", "ж", "<b", "&amp", "x;", "0123456789"];
        let mut next = crate::test_support::picker(0x2545_f491_4f6c_dd1d);
        for _ in 0..20_000 {
            let len = next(12);
            let text: String = (0..len).map(|_| pieces[next(pieces.len())]).collect();
            assert_eq!(looks_like_html(&text), looks_like_html_unbounded(&text), "{text:?}");
        }
    }

    /// The entity decoder before it scanned with memchr (issue 15), kept as the reference.
    fn decode_entities_by_chars(s: &str, declared: &Declared) -> String {
        let mut out = String::with_capacity(s.len());
        let mut rest = s;
        while let Some(amp) = rest.find('&') {
            out.push_str(&rest[..amp]);
            let after = &rest[amp + 1..];
            let end = after.find(';').filter(|&e| e > 0 && e <= 32 && !after[..e].contains(|c: char| c.is_whitespace() || c == '&'));
            let decoded = end.and_then(|e| {
                let name = &after[..e];
                if let Some(num) = name.strip_prefix('#') {
                    let code = match num.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                        None => num.parse().ok()?,
                    };
                    return char::from_u32(code).map(String::from);
                }
                if declared.list.iter().any(|(n, _)| n == name) {
                    return declared.expand(name).map(str::to_owned);
                }
                named_entity(name).map(String::from)
            });
            match (decoded, end) {
                (Some(text), Some(e)) => {
                    out.push_str(&text);
                    rest = &after[e + 1..];
                }
                _ => {
                    out.push('&');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }

    #[test]
    fn entities_decode_as_the_char_by_char_reader_did() {
        // Pieces that make entities, near-entities and what breaks them, joined at random.
        let pieces = [
            "&", ";", "#", "x", "X", "+", "0", "9", "3a", "amp", "lt", "nbsp", "mdash", "hellip", "own", "big", "a", " ",
            "\u{a0}", "\u{3000}", "\t", "Баку", "ı", "&#1041;", "&#x41a;", "&#xD800;", "&#99999999999;", "&lt;p&gt;",
            "&amp;amp;", "&&;", "&;", "&#;", "&#x;", "&abcdefghijklmnopqrstuvwxyz01234;", "&abcdefghijklmnopqrstuvwxyz012345;",
            // Names of 32 bytes are read, of 33 not.
            "&#0000000000000000000000000000065;", "&#00000000000000000000000000000065;",
        ];
        let mut next = crate::test_support::picker(0x9e37_79b9_7f4a_7c15);
        for round in 0..20_000 {
            let len = next(24);
            let text: String = (0..len).map(|_| pieces[next(pieces.len())]).collect();
            // Declared entities with a budget that runs out in some rounds.
            let declared = |budget| Declared {
                list: vec![("own".into(), "OWN".into()), ("big".into(), "B".repeat(40))],
                budget: std::cell::Cell::new(budget),
            };
            let budget = if round % 3 == 0 { 50 } else { MAX_DECLARED_EXPANSION };
            assert_eq!(decode_entities(&text, &declared(budget)), decode_entities_by_chars(&text, &declared(budget)), "{text:?}");
        }
    }


    /// The whole-tree reading `read` streamed away: every outermost item below the root,
    /// with the `xml:base` of its ancestors.
    fn collect_items<'a>(el: &'a Element, base: &Url, found: &mut Vec<(&'a Element, Url)>, item_like: &mut usize) {
        for child in el.elements() {
            let child_base = xml_base(child, base);
            if is_item_like(&child.local) {
                *item_like += 1;
                if child.local != "ITEM" && is_feed_ns(&child.ns) {
                    found.push((child, child_base));
                }
                continue;
            }
            collect_items(child, &child_base, found, item_like);
        }
    }

    fn read_from_whole_tree(text: &str, feed_url: &Url) -> Option<(Vec<String>, usize)> {
        let root = parse_tree(text)?;
        let doc = read(text, feed_url)?;
        let mut found = Vec::new();
        let mut item_like = 0;
        collect_items(&root, &xml_base(&root, feed_url), &mut found, &mut item_like);
        let items = found.into_iter().map(|(el, base)| format!("{:?}", read_item(el, &base, doc.language.as_deref()))).collect();
        Some((items, item_like))
    }

    fn items_read_as_they_close_match_the_whole_tree(name: &str, text: &str) {
        let url = url();
        let streamed = read(text, &url).map(|d| (d.items.iter().map(|i| format!("{i:?}")).collect::<Vec<_>>(), d.item_like));
        assert_eq!(streamed, read_from_whole_tree(text, &url), "{name}");
    }

    #[test]
    fn streamed_items_are_the_items_of_the_whole_tree() {
        let cases = [
            ("nested bases", r#"<feed xmlns="http://www.w3.org/2005/Atom" xml:base="http://a.example/x/" xml:lang="az"><title>T</title><div xml:base="y/"><entry xml:base="z/"><id>/p</id><link href="q"/><content type="html">&lt;a href="r"&gt;r&lt;/a&gt;</content></entry></div><entry xml:lang="ru"><title>b</title></entry></feed>"#),
            ("item in item, ITEM, foreign item", r#"<rss><channel><language>en</language><item><title>a</title><item><title>inner</title></item></item><ITEM><title>x</title></ITEM><x:item xmlns:x="urn:x"><title>f</title></x:item></channel></rss>"#),
            ("RSS 1.0 items after the channel, language last", r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/"><item rdf:about="http://a.example/1"><title>1</title></item><channel><dc:language>fr</dc:language></channel></rdf:RDF>"#),
            ("root is an item", "<item><title>r</title><item><title>c</title></item></item>"),
            ("unclosed and mismatched", "<rss><channel><item><title>a</b></item><item><title>b"),
        ];
        for (name, text) in cases {
            items_read_as_they_close_match_the_whole_tree(name, text);
        }
        // Every checked-in feed, and feedparser's corpus when `tests/conformance/run.py` has fetched it.
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut dirs = vec![root.join("tests/fixtures"), root.join("../target/conformance")];
        let mut seen = 0;
        while let Some(dir) = dirs.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else { continue };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else if let Ok(bytes) = std::fs::read(&path) {
                    let text = String::from_utf8_lossy(&bytes);
                    if text.trim_start().starts_with('<') {
                        items_read_as_they_close_match_the_whole_tree(&path.display().to_string(), &text);
                        seen += 1;
                    }
                }
            }
        }
        assert!(seen >= 10, "the checked-in feeds were found ({seen})");
    }

    #[test]
    fn declared_entities_expand_one_level_and_within_a_budget() {
        let big = "x".repeat(1000);
        let doc = format!("<!DOCTYPE r [<!ENTITY a \"{big}\"><!ENTITY b \"&a;&a;\">]><r>&b;|{}</r>", "&a;".repeat(5000));
        let text = parse_tree(&doc).unwrap().text();
        assert!(text.starts_with("&a;&a;|"), "a value's own references stay as written: {}", &text[..20]);
        // 5000 references of 1000 bytes would be 5 MB: the budget (1 MiB) stops them.
        assert_eq!(text.matches(big.as_str()).count(), MAX_DECLARED_EXPANSION / 1000);
        assert!(text.ends_with("&a;"), "references past the budget stay as written");
    }

    #[test]
    fn nesting_past_max_depth_is_flattened_and_what_follows_keeps_its_place() {
        let doc = format!("<r>{}deep text{}<after>x</after></r>", "<d>".repeat(10_000), "</d>".repeat(10_000));
        let root = parse_tree(&doc).unwrap();
        let (mut depth, mut el) = (1, &root);
        while let Some(Node::Element(child)) = el.children.first() {
            depth += 1;
            el = child;
        }
        assert_eq!(depth, MAX_DEPTH);
        assert_eq!(el.text(), "deep text");
        let tags: Vec<&str> = root.elements().map(|e| e.qname.as_str()).collect();
        assert_eq!(tags, ["d", "after"]);
    }

    #[test]
    fn tree_survives_bad_markup() {
        let root = parse_tree("<rss><channel><item><title>a &amp; b &nbsp; &bogus;</title></oops><p>x</item></channel></rss>").unwrap();
        assert_eq!(root.local, "rss");
        let doc = read("<rss><channel><item><title>a &amp; b &bogus;</title></oops></item></channel></rss>", &url()).unwrap();
        assert_eq!(doc.items[0].title.as_deref(), Some("a & b &bogus;"));
    }

    #[test]
    fn dates_in_the_forms_feeds_use() {
        let want = Utc.with_ymd_and_hms(2004, 1, 1, 19, 48, 21).unwrap();
        for s in [
            "Thu, 01 Jan 2004 19:48:21 GMT",
            "01 Jan 2004 19:48:21 +0000",
            "Thu, 1 January 2004 14:48:21 EST",
            "2004-01-01T19:48:21Z",
            "2004-01-01T21:48:21+02:00",
            "2004-01-01T19:48:21.5Z",
            "20040101T194821Z",
        ] {
            assert_eq!(parse_date(s), Some(want), "{s}");
        }
        assert_eq!(parse_date("2004-01-01"), Some(Utc.with_ymd_and_hms(2004, 1, 1, 0, 0, 0).unwrap()));
        assert_eq!(parse_date("2004-01-01T19:48Z"), Some(Utc.with_ymd_and_hms(2004, 1, 1, 19, 48, 0).unwrap()));
        assert_eq!(parse_date("yesterday"), None);
    }

    #[test]
    fn author_names_without_addresses() {
        assert_eq!(author_name("me@example.com (Example editor)"), "Example editor");
        assert_eq!(author_name("Example editor (me@example.com)"), "Example editor");
        assert_eq!(author_name("Example editor <me@example.com>"), "Example editor");
        assert_eq!(author_name("me@example.com"), "me@example.com");
    }

    #[test]
    fn svg_and_mathml_keep_their_words() {
        let html = unwrap_foreign(r#"<math xmlns='http://www.w3.org/1998/Math/MathML'><mrow xlink:href="http://x.example/"><mi>a</mi><mo>+</mo><mi>b</mi></mrow></math>"#.into());
        let clean = crate::sanitize::sanitize_html(&html, &url());
        assert_eq!(crate::sanitize::html_to_text(&clean).replace(' ', ""), "a+b", "{html} → {clean}");
        let html = unwrap_foreign(r#"<svg width="3"><title>foo</title><circle r="5"/></svg>"#.into());
        assert_eq!(crate::sanitize::html_to_text(&crate::sanitize::sanitize_html(&html, &url())), "foo");
    }

    #[test]
    fn atom03_and_rss_variants_map_to_items() {
        let doc = read(
            r#"<feed version="0.3" xmlns="http://purl.org/atom/ns#"><entry><title type="application/xhtml+xml"><div xmlns="http://www.w3.org/1999/xhtml">X <b>title</b></div></title>
            <summary mode="base64">PHA+SGk8L3A+</summary><modified>2004-01-01T19:48:21Z</modified><author><name>N</name><email>n@example.org</email></author></entry></feed>"#,
            &url(),
        )
        .unwrap();
        let item = &doc.items[0];
        assert_eq!(item.title.as_deref(), Some("X title"));
        // Atom 0.3 text is text/plain unless typed otherwise.
        assert_eq!(item.summary_html.as_deref(), Some("&lt;p&gt;Hi&lt;/p&gt;"));
        assert_eq!(item.updated, Some(Utc.with_ymd_and_hms(2004, 1, 1, 19, 48, 21).unwrap()));
        assert_eq!(item.authors, ["N"]);

        let doc = read(
            r#"<rss xmlns:media="http://search.yahoo.com/mrss/"><channel><item><title type="">T</title><description>raw <b>markup</b></description>
            <guid isPermaLink="false">x1</guid><media:content url="v.mp4" type="video/mp4"><media:thumbnail url="/p.jpg"/></media:content></item></channel></rss>"#,
            &url(),
        )
        .unwrap();
        let item = &doc.items[0];
        assert_eq!((item.title.as_deref(), item.id.as_deref(), item.link.as_deref()), (Some("T"), Some("x1"), None));
        assert_eq!(item.summary_html.as_deref(), Some("raw <b>markup</b>"));
        assert_eq!(item.image.as_deref(), Some("http://example.org/p.jpg"));
    }

    #[test]
    fn rss_titles_are_html_only_when_they_look_like_it() {
        let doc = read("<rss><channel><item><title>Oil &lt; $80, gas &gt; $3</title></item><item><title>&lt;b&gt;Bold&lt;/b&gt; move</title></item></channel></rss>", &url()).unwrap();
        assert_eq!(doc.items[0].title.as_deref(), Some("Oil < $80, gas > $3"));
        assert_eq!(doc.items[1].title.as_deref(), Some("Bold move"));
    }

    #[test]
    fn base64_decodes() {
        assert_eq!(decode_base64("PHA+SGk8L3A+\n").unwrap(), b"<p>Hi</p>");
    }
}
