//! A linear pass that bounds how deep HTML nests before an HTML5 parser sees it.
//!
//! html5ever checks "is there a `p` in scope" and the like against its whole stack of open
//! elements at almost every tag, so 100,000 nested `<div>`s cost 100,000² steps (40 s
//! to sanitise). Here start tags beyond `MAX_DEPTH` open elements are dropped, with their
//! end tags; the text between them stays. The pass models the parser's stack only well
//! enough never to count *fewer* open elements than the parser would keep (where unsure it
//! counts more), so what the parser builds from the output stays within the bound.
//! It removes tags and never adds any: it is not a sanitiser, the policy (`tree`) still is.
//! Markup that nests as written skips it: `straight` reads it as it is and gives up past the
//! same bounds (then this pass runs), so its trees are within them (`sanitize`).

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::OnceLock;

/// Open elements kept. Articles nest a few dozen deep; whole pages rarely more than 60.
pub const MAX_DEPTH: usize = 128;
/// Formatting elements (`<b>`, `<a>`, …) left unclosed. The parser reopens these inside
/// every later block, so each one can add to the depth again.
pub(super) const MAX_UNCLOSED_FORMATTING: usize = 32;
/// Attributes kept on one tag: the parser compares each new one with all before it.
pub(super) const MAX_ATTRIBUTES: usize = 256;

/// `html` with no more than `MAX_DEPTH` elements open at once (borrowed when it has none).
pub fn bound(html: &str) -> Cow<'_, str> {
    // A document with fewer tags than the smallest bound cannot exceed any. (The smallest:
    // checked against `MAX_DEPTH` only, 100 unclosed `<b>` passed through here, came out
    // of the parser as 100 nested, closed `<b>`s — over 128 tags — and were cut to 32 by
    // the next sanitise: sanitising was not idempotent. Found by fuzzing.)
    if memchr::memchr_iter(b'<', html.as_bytes()).nth(MAX_UNCLOSED_FORMATTING).is_none() {
        return Cow::Borrowed(html);
    }
    let mut pass = Pass::default();
    let bytes = html.as_bytes();
    let mut at = 0;
    // Bytes before `kept_from` are settled: copied to `out` (once anything was dropped).
    let mut kept_from = 0;
    let mut out: Option<String> = None;
    while let Some(i) = memchr::memchr(b'<', &bytes[at..]) {
        let start = at + i;
        let Some(token) = token_at(html, start) else {
            at = start + 1;
            continue;
        };
        let (keep, raw_text) = match token.kind {
            Kind::Start { name, self_closing } => pass.start(name, self_closing),
            Kind::End { name } => (pass.end(name), false),
            Kind::Other => (true, false),
        };
        if !keep || token.attributes > MAX_ATTRIBUTES {
            let out = out.get_or_insert_with(|| String::with_capacity(html.len()));
            out.push_str(&html[kept_from..start]);
            kept_from = token.end;
            // A `<` kept as text just before a dropped tag would meet the text after it
            // (`<` `<button>` `i/>` became the tag `<i/>`, past the bound: found by the
            // property test at 50,000 cases). Written as a reference it stays text.
            if !keep && out.ends_with('<') {
                out.pop();
                out.push_str("&lt;");
            }
            if keep {
                // The tag without its attributes: the same element opens or closes.
                match token.kind {
                    Kind::Start { name, self_closing } => out.push_str(&format!("<{name}{}>", if self_closing { "/" } else { "" })),
                    Kind::End { name } => out.push_str(&format!("</{name}>")),
                    Kind::Other => {}
                }
            }
        }
        at = token.end.max(start + 1);
        if raw_text {
            // Its content is text up to its end tag, which closes it.
            let name = pass.stack.pop().map_or("", |open| open.name);
            at = if name.eq_ignore_ascii_case("plaintext") { bytes.len() } else { find_end_tag(html, at, name) };
        }
    }
    match out {
        None => Cow::Borrowed(html),
        Some(mut out) => {
            out.push_str(&html[kept_from..]);
            Cow::Owned(out)
        }
    }
}

/// Elements whose content the tokenizer reads as text (with scripting enabled, as
/// `tree` (as ammonia did) and dom_query parse).
const RAW_TEXT: &[&str] =
    &["script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript", "plaintext"];

const VOID: &[&str] = &[
    "area", "base", "basefont", "bgsound", "br", "col", "embed", "frame", "hr", "image", "img", "input", "keygen", "link",
    "meta", "param", "source", "track", "wbr",
];

const FORMATTING: &[&str] = &["a", "b", "big", "code", "em", "font", "i", "nobr", "s", "small", "strike", "strong", "tt", "u"];

/// Elements an unrelated end tag cannot close past ("special" in the HTML standard).
const SPECIAL: &[&str] = &[
    "address", "applet", "area", "article", "aside", "base", "basefont", "bgsound", "blockquote", "body", "br", "button",
    "caption", "center", "col", "colgroup", "dd", "details", "dir", "div", "dl", "dt", "embed", "fieldset", "figcaption",
    "figure", "footer", "form", "frame", "frameset", "h1", "h2", "h3", "h4", "h5", "h6", "head", "header", "hgroup", "hr",
    "html", "iframe", "img", "input", "keygen", "li", "link", "listing", "main", "marquee", "menu", "meta", "nav",
    "noembed", "noframes", "noscript", "object", "ol", "p", "param", "plaintext", "pre", "script", "search", "section",
    "select", "source", "style", "summary", "table", "tbody", "td", "template", "textarea", "tfoot", "th", "thead", "title",
    "tr", "track", "ul", "wbr", "xmp", "mi", "mo", "mn", "ms", "mtext", "annotation-xml", "foreignobject", "desc",
];

/// Where an end tag's search for its element stops ("has an element in scope").
const SCOPE: &[&str] = &[
    "applet", "caption", "html", "table", "td", "th", "marquee", "object", "template", "mi", "mo", "mn", "ms", "mtext",
    "annotation-xml", "foreignobject", "desc", "title",
];

/// Start tags that leave foreign (SVG/MathML) content for HTML (`font` only with some
/// attributes: left out, as staying counts deeper).
const BREAKOUT: &[&str] = &[
    "b", "big", "blockquote", "body", "br", "center", "code", "dd", "div", "dl", "dt", "em", "embed", "h1", "h2", "h3", "h4",
    "h5", "h6", "head", "hr", "i", "img", "li", "listing", "menu", "meta", "nobr", "ol", "p", "pre", "ruby", "s", "small",
    "span", "strong", "strike", "sub", "sup", "table", "tt", "u", "ul", "var",
];

/// Elements inside which SVG/MathML content is HTML again.
const INTEGRATION: &[&str] = &["foreignobject", "desc", "title", "mi", "mo", "mn", "ms", "mtext", "annotation-xml"];

/// Start tags that close an open `<p>` at the top.
const CLOSES_P: &[&str] = &[
    "address", "article", "aside", "blockquote", "center", "details", "dialog", "dir", "div", "dl", "fieldset",
    "figcaption", "figure", "footer", "header", "hgroup", "main", "menu", "nav", "ol", "p", "search", "section", "summary",
    "ul", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "listing", "form", "hr", "xmp", "li", "dd", "dt", "table",
];

const VOID_F: u16 = 1;
const FORMATTING_F: u16 = 2;
const SPECIAL_F: u16 = 4;
const SCOPE_F: u16 = 8;
const BREAKOUT_F: u16 = 16;
const INTEGRATION_F: u16 = 32;
const CLOSES_P_F: u16 = 64;
const RAW_TEXT_F: u16 = 128;

/// Each list above with its flag.
const LISTS: [(&[&str], u16); 8] = [
    (VOID, VOID_F),
    (FORMATTING, FORMATTING_F),
    (SPECIAL, SPECIAL_F),
    (SCOPE, SCOPE_F),
    (BREAKOUT, BREAKOUT_F),
    (INTEGRATION, INTEGRATION_F),
    (CLOSES_P, CLOSES_P_F),
    (RAW_TEXT, RAW_TEXT_F),
];

/// How deep a pass's output nests: all elements, and formatting elements alone. Output
/// deeper than either bound is cut by the next sanitise's `bound`, so is not a fixed point.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Nesting {
    pub elements: usize,
    pub formatting: usize,
}

impl Nesting {
    pub fn beyond_bound(self) -> bool {
        self.elements > MAX_DEPTH || self.formatting > MAX_UNCLOSED_FORMATTING
    }
}

/// Whether `name` is one of the formatting elements the parser reopens (`FORMATTING`).
#[cfg(test)]
pub(super) fn is_formatting(name: &str) -> bool {
    flags(name) & FORMATTING_F != 0
}

/// What the lists above say of a tag name, looked up once per tag (this runs over every
/// body, and most tags are in none of them). Names are compared as numbers (`name_key`):
/// comparing them as strings was 3 % of a cold sync's CPU (BENCHMARKS.md, issue 15).
fn flags(name: &str) -> u16 {
    static TABLE: OnceLock<Vec<(u128, u16)>> = OnceLock::new();
    flags_in(TABLE.get_or_init(|| keyed_lists(&LISTS)), name)
}

/// Every name of `lists` as its `name_key`, with the flags of every list it is in, sorted
/// for `flags_in`.
pub(super) fn keyed_lists(lists: &[(&[&str], u16)]) -> Vec<(u128, u16)> {
    let mut table: Vec<(u128, u16)> = Vec::new();
    for &(list, flag) in lists {
        for &name in list {
            let key = name_key(name).expect("every listed name fits a key");
            match table.iter_mut().find(|(k, _)| *k == key) {
                Some((_, f)) => *f |= flag,
                None => table.push((key, flag)),
            }
        }
    }
    table.sort_unstable();
    table
}

/// The flags `table` (from `keyed_lists`) has for `name`: 0 for a name in none of its lists.
pub(super) fn flags_in(table: &[(u128, u16)], name: &str) -> u16 {
    let Some(key) = name_key(name) else { return 0 };
    table.binary_search_by(|(k, _)| k.cmp(&key)).map_or(0, |i| table[i].1)
}

/// A tag name up to 15 bytes as one number: its bytes ASCII-lowercased, then its length
/// (so `a` and `a` followed by a NUL differ). Longer names are in none of the lists.
pub(super) fn name_key(name: &str) -> Option<u128> {
    let bytes = name.as_bytes();
    if bytes.len() > 15 {
        return None;
    }
    let mut key = [0u8; 16];
    for (slot, byte) in key.iter_mut().zip(bytes) {
        *slot = byte.to_ascii_lowercase();
    }
    key[15] = bytes.len() as u8;
    Some(u128::from_be_bytes(key))
}

/// One element the parser keeps open: its name as written, what it is.
struct Open<'a> {
    name: &'a str,
    flags: u16,
    /// SVG or MathML.
    foreign: bool,
}

#[derive(Default)]
struct Pass<'a> {
    stack: Vec<Open<'a>>,
    /// Start tags dropped and not yet matched by an end tag, by lower-case name.
    dropped: HashMap<String, usize>,
    /// Formatting start tags not yet matched by an end tag, in `FORMATTING` order.
    formatting: [usize; FORMATTING.len()],
}

fn is(name: &str, other: &str) -> bool {
    name.eq_ignore_ascii_case(other)
}

impl<'a> Pass<'a> {
    fn in_foreign(&self) -> bool {
        self.stack.last().is_some_and(|open| open.foreign && open.flags & INTEGRATION_F == 0)
    }

    /// Whether to keep a start tag, and whether it opened an element whose content is text.
    fn start(&mut self, name: &'a str, self_closing: bool) -> (bool, bool) {
        let f = flags(name);
        // Elements the parser closes before this one opens (only when it is kept). Closes it
        // does that are not modelled leave the count deeper, never shallower.
        let mut keep_len = self.stack.len();
        let mut foreign = self.in_foreign();
        if foreign && f & BREAKOUT_F != 0 {
            while keep_len > 0 && self.stack[keep_len - 1].foreign && self.stack[keep_len - 1].flags & INTEGRATION_F == 0 {
                keep_len -= 1;
            }
            foreign = false;
        }
        let foreign = foreign || is(name, "svg") || is(name, "math");
        if !foreign
            && let Some(top) = keep_len.checked_sub(1).map(|i| &self.stack[i])
            && !top.foreign
            && (is(top.name, "p") && f & CLOSES_P_F != 0
                || is(top.name, name) && ["li", "dd", "dt", "option", "tr", "td", "th"].iter().any(|n| is(name, n)))
        {
            keep_len -= 1;
        }
        if f & VOID_F != 0 && !foreign || foreign && self_closing {
            self.stack.truncate(keep_len);
            return (true, false);
        }
        // Table parts the parser inserts around a row or cell put straight in a table.
        let top = keep_len.checked_sub(1).map_or("", |i| self.stack[i].name);
        let cell = is(name, "td") || is(name, "th");
        let implied: &[&'static str] = if is(top, "table") && is(name, "tr") {
            &["tbody"]
        } else if is(top, "table") && cell {
            &["tbody", "tr"]
        } else if (is(top, "tbody") || is(top, "thead") || is(top, "tfoot")) && cell {
            &["tr"]
        } else {
            &[]
        };
        let formatting = (!foreign && f & FORMATTING_F != 0).then(|| FORMATTING.iter().position(|n| is(name, n))).flatten();
        if keep_len + implied.len() >= MAX_DEPTH
            || formatting.is_some() && self.formatting.iter().sum::<usize>() >= MAX_UNCLOSED_FORMATTING
        {
            *self.dropped.entry(name.to_ascii_lowercase()).or_default() += 1;
            return (false, false);
        }
        if let Some(i) = formatting {
            self.formatting[i] += 1;
        }
        self.stack.truncate(keep_len);
        for &part in implied {
            self.stack.push(Open { name: part, flags: flags(part), foreign: false });
        }
        self.stack.push(Open { name, flags: f, foreign });
        (true, !foreign && f & RAW_TEXT_F != 0)
    }

    /// Whether to keep an end tag.
    fn end(&mut self, name: &'a str) -> bool {
        if !self.dropped.is_empty()
            && let Some(n) = self.dropped.get_mut(&name.to_ascii_lowercase())
        {
            *n -= 1;
            if *n == 0 {
                self.dropped.remove(&name.to_ascii_lowercase());
            }
            return false;
        }
        let f = flags(name);
        if f & FORMATTING_F != 0 {
            if let Some(i) = FORMATTING.iter().position(|n| is(name, n)) {
                self.formatting[i] = self.formatting[i].saturating_sub(1);
            }
            // The adoption agency restructures around misnested formatting; only its plain
            // case (the element is the current node) is modelled.
            if self.stack.last().is_some_and(|open| is(open.name, name)) {
                self.stack.pop();
            }
            return true;
        }
        if is(name, "body") || is(name, "html") || is(name, "br") {
            return true;
        }
        let heading = |n: &str| n.len() == 2 && matches!(n.as_bytes(), [b'h' | b'H', b'1'..=b'6']);
        let table_part = ["table", "tbody", "thead", "tfoot", "tr"].iter().any(|n| is(name, n));
        for i in (0..self.stack.len()).rev() {
            let open = &self.stack[i];
            if is(open.name, name) || heading(name) && heading(open.name) {
                self.stack.truncate(i);
                return true;
            }
            // "In scope" (button scope for `p`, list item scope for `li`, table scope for
            // table parts: these close open cells) for the special end tags; any special
            // element for the others.
            let boundary = if table_part {
                is(open.name, "html") || is(open.name, "table") || is(open.name, "template")
            } else if f & SPECIAL_F != 0 {
                open.flags & SCOPE_F != 0
                    || is(name, "p") && is(open.name, "button")
                    || is(name, "li") && (is(open.name, "ol") || is(open.name, "ul"))
            } else {
                open.flags & SPECIAL_F != 0
            };
            if boundary {
                break;
            }
        }
        // A `</p>` with no `<p>` open makes the parser insert an empty one: past the bound,
        // that element would be cut by the next sanitise (found by fuzzing).
        !(is(name, "p") && self.stack.len() >= MAX_DEPTH)
    }
}

enum Kind<'a> {
    /// `name` as written.
    Start { name: &'a str, self_closing: bool },
    End { name: &'a str },
    /// Comment, doctype, processing instruction, bogus comment.
    Other,
}

struct Token<'a> {
    kind: Kind<'a>,
    /// Just past the token's `>` (or the end of the input).
    end: usize,
    attributes: usize,
}

/// The markup token starting at `html[start] == '<'`, or `None` when that `<` is text.
fn token_at(html: &str, start: usize) -> Option<Token<'_>> {
    let bytes = html.as_bytes();
    let rest = &bytes[start + 1..];
    let other = |end: usize| Some(Token { kind: Kind::Other, end, attributes: 0 });
    let past = |needle: &[u8], from: usize| memchr::memmem::find(&bytes[from..], needle).map_or(bytes.len(), |i| from + i + needle.len());
    match rest.first()? {
        b'!' if rest.starts_with(b"!--") => {
            // `<!-->` and `<!--->` are whole comments; otherwise the first `-->` or `--!>`.
            let body = start + 4;
            if bytes[body..].starts_with(b">") {
                return other(body + 1);
            }
            if bytes[body..].starts_with(b"->") {
                return other(body + 2);
            }
            other(past(b"-->", body).min(past(b"--!>", body)))
        }
        b'!' | b'?' => other(past(b">", start + 1)),
        b'/' => match rest.get(1) {
            Some(c) if c.is_ascii_alphabetic() => {
                let (name, _, end, attributes) = tag(html, start + 2);
                Some(Token { kind: Kind::End { name }, end, attributes })
            }
            Some(b'>') => other(start + 3),
            Some(_) => other(past(b">", start + 2)),
            None => None,
        },
        c if c.is_ascii_alphabetic() => {
            let (name, self_closing, end, attributes) = tag(html, start + 1);
            Some(Token { kind: Kind::Start { name, self_closing }, end, attributes })
        }
        _ => None,
    }
}

/// A tag from its name at `from`: (name, self-closing, end, attribute count), read as the
/// HTML tokenizer does (quoted values may hold `>`).
fn tag(html: &str, from: usize) -> (&str, bool, usize, usize) {
    let bytes = html.as_bytes();
    let space = |c: u8| matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c');
    let mut i = from;
    while i < bytes.len() && !space(bytes[i]) && bytes[i] != b'/' && bytes[i] != b'>' {
        i += 1;
    }
    // Ends at an ASCII byte or the end: a char boundary.
    let name = &html[from..i];
    let mut attributes = 0;
    let mut self_closing = false;
    while i < bytes.len() {
        match bytes[i] {
            b'>' => return (name, self_closing, i + 1, attributes),
            b'/' => {
                self_closing = bytes.get(i + 1) == Some(&b'>');
                i += 1;
            }
            c if space(c) => i += 1,
            _ => {
                attributes += 1;
                self_closing = false;
                // The name: `=` after its first character ends it.
                i += 1;
                while i < bytes.len() && !space(bytes[i]) && !matches!(bytes[i], b'/' | b'>' | b'=') {
                    i += 1;
                }
                while i < bytes.len() && space(bytes[i]) {
                    i += 1;
                }
                if bytes.get(i) != Some(&b'=') {
                    continue;
                }
                i += 1;
                while i < bytes.len() && space(bytes[i]) {
                    i += 1;
                }
                match bytes.get(i) {
                    Some(&q @ (b'"' | b'\'')) => {
                        i = memchr::memchr(q, &bytes[i + 1..]).map_or(bytes.len(), |j| i + 1 + j + 1);
                    }
                    _ => {
                        while i < bytes.len() && !space(bytes[i]) && bytes[i] != b'>' {
                            i += 1;
                        }
                    }
                }
            }
        }
    }
    (name, self_closing, bytes.len(), attributes)
}

/// Just past `</name…>` from `from` (ASCII case-insensitive), or the end of the input.
fn find_end_tag(html: &str, from: usize, name: &str) -> usize {
    let bytes = html.as_bytes();
    let mut at = from;
    while let Some(i) = memchr::memmem::find(&bytes[at..], b"</") {
        let open = at + i;
        let after = open + 2 + name.len();
        if bytes.len() >= after
            && bytes[open + 2..after].eq_ignore_ascii_case(name.as_bytes())
            && bytes.get(after).is_none_or(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | b'/' | b'>'))
        {
            return tag(html, open + 2).2;
        }
        at = open + 2;
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lists' flags by reading the lists themselves, one name at a time.
    fn flags_by_scanning(name: &str) -> u16 {
        let name = name.to_ascii_lowercase();
        LISTS
            .iter()
            .filter(|(list, _)| list.contains(&name.as_str()))
            .fold(0, |all, (_, flag)| all | flag)
    }

    #[test]
    fn text_around_a_dropped_tag_never_becomes_a_tag() {
        // 128 open elements, then `<` as text, and tags the bound drops around `i/`.
        let html = format!("{}<<button><script>i/<script><script>>", "<div/>".repeat(MAX_DEPTH));
        let bounded = bound(&html);
        assert!(bounded.ends_with("&lt;i/>"), "{}", &bounded[bounded.len() - 40..]);
        let once = crate::sanitize::sanitize_html(&html, &url::Url::parse("https://example.org/").unwrap());
        assert!(!once.contains("<i>") && once.contains("&lt;i/&gt;"), "{}", &once[once.len().min(700)..]);
        assert_eq!(crate::sanitize::sanitize_html(&once, &url::Url::parse("https://example.org/").unwrap()), once);
    }

    #[test]
    fn a_tag_name_has_the_flags_of_every_list_it_is_in_whatever_its_case() {
        for name in LISTS.iter().flat_map(|(list, _)| list.iter().copied()) {
            for written in [name.to_string(), name.to_ascii_uppercase(), format!("{}{}", &name[..1].to_ascii_uppercase(), &name[1..])] {
                assert_eq!(flags(&written), flags_by_scanning(name), "{written}");
                assert_ne!(flags(&written), 0, "{written}");
            }
        }
        // Names in no list, or one listed name with more after it, have none.
        for name in ["abbr", "x-b", "b\0", "bb", "tablex", "annotation-xml-", "foreignobjectandmore", "", "é", "ｂ"] {
            assert_eq!(flags(name), flags_by_scanning(name), "{name:?}");
            assert_eq!(flags(name), 0, "{name:?}");
        }
        assert_eq!(flags("TABLE"), SPECIAL_F | SCOPE_F | BREAKOUT_F | CLOSES_P_F);
    }
}
