//! Whether the policy's output reads back as the tree it was written from, so that a second
//! pass of the policy would give it back unchanged (and can be skipped).
//!
//! The output is a serialised tree of the policy's own elements: every element closed in
//! order, every attribute quoted, text escaped, no comments. Read back, such markup builds
//! the same tree unless a start tag meets an open element the HTML parser closes or
//! re-nests on its own (a `<p>` or block inside a `<p>`, an `<li>` inside an `<li>`, an `<a>`
//! inside an `<a>`, a heading inside a heading, anything but table parts or white space
//! directly inside a table). Those are what a dropped element that kept its children
//! (`<button>`, `<object>`, `<form>`) or foster parenting leaves behind. This walks the
//! output with a stack of open elements, the rules of the HTML parser's "in body" and
//! table modes for exactly the policy's elements, and answers no on anything else:
//! an unknown tag, a comment, a carriage return (read back as a line feed), an end tag
//! that is not the open element's. A no only costs the second pass.

use std::sync::OnceLock;

use super::depth::{flags_in, keyed_lists};

/// Elements that close an open `<p>` (in button scope) when they start.
const CLOSES_P: &[&str] = &[
    "address", "article", "aside", "blockquote", "center", "details", "dialog", "dir", "div", "dl", "fieldset", "figcaption",
    "figure", "footer", "header", "hgroup", "main", "menu", "nav", "ol", "p", "search", "section", "summary", "ul", "h1", "h2",
    "h3", "h4", "h5", "h6", "pre", "listing", "hr", "table", "li", "dd", "dt",
];

/// Elements inserted as they are in the "in body" mode (no element they close or reopen).
const PLAIN: &[&str] = &[
    "abbr", "acronym", "b", "bdi", "bdo", "big", "br", "cite", "code", "data", "del", "dfn", "em", "font", "i", "img", "ins",
    "kbd", "mark", "q", "ruby", "s", "samp", "small", "span", "strike", "strong", "sub", "sup", "time", "tt", "u", "var",
    "wbr",
];

/// Elements with no end tag.
const VOID: &[&str] = &["br", "col", "hr", "img", "wbr"];

/// Scope boundaries of "has an element in scope" among the policy's elements (and `html`,
/// the root a fragment is parsed under).
const SCOPE: &[&str] = &["caption", "html", "table", "td", "th"];

/// Special elements other than `address`, `div` and `p`: where the search for an open
/// `<li>`, `<dd>` or `<dt>` stops.
const SPECIAL_STOP: &[&str] = &[
    "article", "aside", "blockquote", "caption", "center", "col", "colgroup", "dd", "details", "dialog", "dir", "dl", "dt",
    "fieldset", "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "html", "img",
    "li", "listing", "main", "menu", "nav", "ol", "pre", "search", "section", "summary", "table", "tbody", "td", "tfoot", "th",
    "thead", "tr", "ul", "wbr", "br",
];

const HEADINGS: &[&str] = &["h1", "h2", "h3", "h4", "h5", "h6"];

const CLOSES_P_F: u16 = 1;
const PLAIN_F: u16 = 1 << 1;
const VOID_F: u16 = 1 << 2;
const SCOPE_F: u16 = 1 << 3;
const SPECIAL_STOP_F: u16 = 1 << 4;
const HEADING_F: u16 = 1 << 5;

/// Each list above with its flag.
const LISTS: [(&[&str], u16); 6] =
    [(CLOSES_P, CLOSES_P_F), (PLAIN, PLAIN_F), (VOID, VOID_F), (SCOPE, SCOPE_F), (SPECIAL_STOP, SPECIAL_STOP_F), (HEADINGS, HEADING_F)];

/// Which of the lists above `name` is in, in one lookup, names compared as numbers
/// (`depth::name_key`): comparing each tag's name with the lists string by string was
/// 1 % of a cold `mixed` sync (BENCHMARKS.md, issue 15).
fn kind(name: &str) -> u16 {
    static TABLE: OnceLock<Vec<(u128, u16)>> = OnceLock::new();
    flags_in(TABLE.get_or_init(|| keyed_lists(&LISTS)), name)
}

/// An open element: its name and `kind`.
type Open<'a> = (&'a str, u16);

/// Whether `html`, serialised by the policy, parses back to the tree it was written from.
pub(crate) fn reads_back_the_same(html: &str) -> bool {
    let bytes = html.as_bytes();
    if memchr::memchr(b'\r', bytes).is_some() {
        return false;
    }
    let mut open: Vec<Open<'_>> = Vec::with_capacity(32);
    let mut at = 0;
    loop {
        let next = memchr::memchr(b'<', &bytes[at..]).map_or(bytes.len(), |i| at + i);
        if next > at && !text_fits(open.last().map(|e| e.0), &bytes[at..next]) {
            return false;
        }
        if next == bytes.len() {
            return open.is_empty();
        }
        let Some((name, closing, end)) = tag(html, next) else { return false };
        at = end;
        if closing {
            if open.pop().map(|e| e.0) != Some(name) {
                return false;
            }
            continue;
        }
        let kind = kind(name);
        if !start_fits(&open, name, kind) {
            return false;
        }
        if kind & VOID_F == 0 {
            open.push((name, kind));
        }
    }
}

/// Whether text may stand where it is: anywhere but directly in a table part, where only
/// white space stays in place (anything else is moved before the table).
fn text_fits(current: Option<&str>, text: &[u8]) -> bool {
    match current {
        Some("table" | "tbody" | "thead" | "tfoot" | "tr" | "colgroup") => text.iter().all(|b| matches!(b, b'\t' | b'\n' | b'\x0c' | b' ')),
        _ => true,
    }
}

/// Whether a start tag of `name` (of `kind`) with `open` elements open is inserted as a
/// child of the current node, with nothing closed, reopened or moved.
fn start_fits(open: &[Open<'_>], name: &str, kind: u16) -> bool {
    let (current, current_kind) = open.last().copied().unwrap_or_else(|| ("html", self::kind("html")));
    match current {
        "table" => return matches!(name, "caption" | "colgroup" | "tbody" | "thead" | "tfoot"),
        "tbody" | "thead" | "tfoot" => return name == "tr",
        "tr" => return matches!(name, "td" | "th"),
        "colgroup" => return name == "col",
        _ => {}
    }
    // Table parts anywhere else are dropped or close a cell.
    if matches!(name, "caption" | "col" | "colgroup" | "tbody" | "td" | "tfoot" | "th" | "thead" | "tr") {
        return false;
    }
    if kind & CLOSES_P_F != 0 && in_scope(open, "p") {
        return false;
    }
    match name {
        "li" => !open_before_special(open, &["li"]),
        "dd" | "dt" => !open_before_special(open, &["dd", "dt"]),
        _ if kind & HEADING_F != 0 => current_kind & HEADING_F == 0,
        // An open `<a>` since the last cell (a marker) is closed by a new one.
        "a" => !open.iter().rev().take_while(|e| !matches!(e.0, "td" | "th" | "caption")).any(|e| e.0 == "a"),
        "rp" | "rt" => matches!(current, "ruby" | "rtc"),
        "rb" | "rtc" => current == "ruby",
        _ => kind & (CLOSES_P_F | PLAIN_F) != 0,
    }
}

/// Whether `name` is open with no scope boundary above it.
fn in_scope(open: &[Open<'_>], name: &str) -> bool {
    for &(element, kind) in open.iter().rev() {
        if element == name {
            return true;
        }
        if kind & SCOPE_F != 0 {
            return false;
        }
    }
    false
}

/// Whether one of `names` is open above every special element but `address`, `div`, `p`.
fn open_before_special(open: &[Open<'_>], names: &[&str]) -> bool {
    for (element, kind) in open.iter().rev() {
        if names.contains(element) {
            return true;
        }
        if kind & SPECIAL_STOP_F != 0 {
            return false;
        }
    }
    false
}

/// The tag at `lt`: its name, whether it is an end tag, and the offset after it. `None` for
/// anything the serialiser would not have written (a comment, an unquoted value).
fn tag(html: &str, lt: usize) -> Option<(&str, bool, usize)> {
    let bytes = html.as_bytes();
    let mut at = lt + 1;
    let closing = bytes.get(at) == Some(&b'/');
    if closing {
        at += 1;
    }
    let name_start = at;
    while at < bytes.len() && (bytes[at].is_ascii_lowercase() || bytes[at].is_ascii_digit()) {
        at += 1;
    }
    if at == name_start || !bytes[name_start].is_ascii_lowercase() {
        return None;
    }
    let name = &html[name_start..at];
    if closing {
        return (bytes.get(at) == Some(&b'>')).then_some((name, true, at + 1));
    }
    // Attributes: ` name="value"`, the value with no `"` in it.
    loop {
        match bytes.get(at)? {
            b'>' => return Some((name, false, at + 1)),
            b' ' => {
                let eq = at + 1 + memchr::memchr(b'=', &bytes[at + 1..])?;
                let attribute = &bytes[at + 1..eq];
                if attribute.is_empty() || !attribute.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b':')) {
                    return None;
                }
                if bytes.get(eq + 1) != Some(&b'"') {
                    return None;
                }
                let close = eq + 2 + memchr::memchr(b'"', &bytes[eq + 2..])?;
                at = close + 1;
            }
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::reads_back_the_same;

    #[test]
    fn a_tag_name_has_the_kind_of_every_list_it_is_in() {
        use super::*;
        let lists = LISTS;
        let mut names: Vec<String> = lists.iter().flat_map(|(list, _)| list.iter().map(|n| (*n).to_owned())).collect();
        // Near misses: a prefix, a longer name, a digit more, a NUL, too long for a key.
        let near = ["", "h", "h7", "h10", "p1", "pp", "tab", "tables", "td\0", "lix", "blockquotes", "figcaptionfigcaption"];
        names.extend(near.map(str::to_owned));
        for name in names {
            let expected = lists.iter().filter(|(list, _)| list.contains(&name.as_str())).fold(0, |all, (_, flag)| all | flag);
            assert_eq!(kind(&name), expected, "{name:?}");
        }
    }

    #[test]
    fn well_nested_policy_markup_reads_back_the_same() {
        for html in [
            "",
            "plain text &amp; more",
            "<p>a <b>b <i>c</i></b> <a href=\"https://x.example/\" rel=\"noopener noreferrer\">d</a></p><ul><li>1</li><li>2<ul><li>3</li></ul></li></ul>",
            "<table class=\"data\"><caption>T</caption><thead><tr><th>&nbsp;</th></tr></thead>\n<tbody><tr><td>a<p>b</p></td></tr></tbody></table>",
            "<figure><img src=\"https://x.example/a.jpg\" alt=\"a\"><figcaption>c</figcaption></figure>",
            "<p>a<br>b</p><pre>\n\nx</pre><div><p>x</p><div><p>y</p></div></div>",
            "<a href=\"https://x.example/\"><table><tbody><tr><td><a href=\"https://y.example/\">y</a></td></tr></tbody></table></a>",
            "<dl><dt>a</dt><dd>b<div><dl><dd>c</dd></dl></div></dd></dl>",
            "<ruby>漢<rp>(</rp><rt>kan</rt><rp>)</rp></ruby>",
        ] {
            assert!(reads_back_the_same(html), "{html}");
        }
    }

    #[test]
    fn markup_the_parser_re_nests_does_not() {
        for html in [
            "<p>a<p>b</p>c</p>",
            "<p><div>x</div></p>",
            "<li>a<li>b</li></li>",
            "<li><div><li>b</li></div></li>",
            "<dd><dt>x</dt></dd>",
            "<a href=\"https://x.example/\">x<a href=\"https://y.example/\">y</a></a>",
            "<h1><h2>x</h2></h1>",
            "<table>x</table>",
            "<table><tr><td>x</td></tr></table>",
            "<table><tbody><tr><td>x</td></tr></tbody><p>y</p></table>",
            "<table><tbody><tr>&nbsp;<td>x</td></tr></tbody></table>",
            "<td>x</td>",
            "<p>a\rb</p>",
            "<p>a<!-- c --></p>",
            "<p>a<form>b</form></p>",
            "<p>a",
            "<p>a</b></p>",
            "<p title='x'>a</p>",
            "<P>a</P>",
            "<p>a<span>b</p></span>",
            "<ruby><rt>a<rt>b</rt></rt></ruby>",
            "<p><table><tbody></tbody></table></p>",
        ] {
            assert!(!reads_back_the_same(html), "{html}");
        }
    }
}
