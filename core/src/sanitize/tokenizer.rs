//! A byte-wise tokenizer for the markup feeds carry, feeding html5ever's own tree builder.
//!
//! html5ever's tokenizer reads tags a character at a time through its input queue: two
//! fifths of sanitising a body (BENCHMARKS.md, issue 15). This one finds each `<` and `&`
//! with `memchr`, reads a tag's name and attributes over bytes, and hands html5ever's
//! `TreeBuilder` the tokens html5ever's tokenizer would: the same tags with the same
//! lowercased names and attributes (a repeated attribute dropped), the same decoded
//! character references (html5ever's table and rules, the attribute-value ones included),
//! the same comments. Text comes in longer runs, which the tree builder treats as the same
//! characters one by one.
//!
//! It gives up, before the tree builder has seen a token it would not have, on what it
//! leaves to html5ever's tokenizer: a NUL anywhere, a `<script>` holding `<!--` (html5ever's
//! escaped script states), `<![CDATA[` inside SVG or MathML, the end of the input inside a
//! tag. Then `parse_fragment` answers `None` and the caller parses with html5ever's.
//! Everything else it reads as html5ever does: carriage returns as line feeds, comments
//! however they end, bogus comments, doctypes (which a fragment ignores), and the text of
//! `script`, `style`, `textarea`, `title` and the other elements whose start tag switches
//! the tokenizer's state, up to their own end tag.
//! The tests hold the trees it builds to html5ever's, with ammonia as the reference, on
//! every corpus and generator `differential` has (`sanitize::differential`).

use std::borrow::Cow;

use html5ever::interface::TreeSink;
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{Doctype, Tag, TagKind, Token, TokenSink, TokenSinkResult};
use html5ever::tree_builder::{TreeBuilder, TreeBuilderOpts, create_element};
use html5ever::{Attribute, LocalName, QualName, local_name, ns};
use memchr::memmem::find;
use memchr::{memchr, memchr2};

use super::depth::MAX_ATTRIBUTES;
use super::straight::Straight;

/// The tree builder the byte tokenizer feeds: html5ever's, or one that may give up
/// (`straight`), after which the tokenizer stops.
pub(super) trait Builder: TokenSink {
    fn gave_up(&self) -> bool {
        false
    }
}

impl<S: TreeSink> Builder for TreeBuilder<S::Handle, S> {}

/// Parses `html` as `html5ever::parse_fragment(sink, default options, <div>, no attributes,
/// no scripting).one(html)` does, or `None` when it meets what it leaves to html5ever.
/// With `straight_first`, `straight`'s builder reads it first, and html5ever's tree
/// builder only where that one gives up (on a new sink).
pub(super) fn parse_fragment<S: TreeSink>(html: &str, straight_first: bool, new_sink: impl Fn() -> S) -> Option<S::Output> {
    let html = preprocessed(html)?;
    if straight_first && let Some(output) = read_straight(&html, new_sink()) {
        return Some(output);
    }
    let sink = new_sink();
    let context = create_element(&sink, QualName::new(None, ns!(html), local_name!("div")), vec![]);
    let builder = TreeBuilder::new_for_fragment(sink, context, None, TreeBuilderOpts::default());
    Fragment { html: &html, bytes: html.as_bytes(), builder: &builder }.run()?;
    builder.end();
    Some(builder.sink.finish())
}

/// `parse_fragment` by `straight`'s tree builder alone: `None` where it gives up.
pub(super) fn parse_straight<S: TreeSink>(html: &str, sink: S) -> Option<S::Output> {
    read_straight(&preprocessed(html)?, sink)
}

fn read_straight<S: TreeSink>(html: &str, sink: S) -> Option<S::Output> {
    let straight = Straight::new_for_fragment(sink);
    Fragment { html, bytes: html.as_bytes(), builder: &straight }.run()?;
    (!straight.gave_up()).then(|| straight.sink.finish())
}

/// The input stream's preprocessing: a carriage return, with the line feed after it if
/// there is one, is a line feed; and a byte-order mark is dropped. `None` for a NUL (left to
/// html5ever's tokenizer).
fn preprocessed(html: &str) -> Option<Cow<'_, str>> {
    if memchr(0, html.as_bytes()).is_some() {
        return None;
    }
    let html: Cow<'_, str> = if memchr(b'\r', html.as_bytes()).is_some() { html.replace("\r\n", "\n").replace('\r', "\n").into() } else { html.into() };
    Some(match html {
        Cow::Borrowed(text) => Cow::Borrowed(text.strip_prefix('\u{feff}').unwrap_or(text)),
        Cow::Owned(text) => match text.strip_prefix('\u{feff}') {
            Some(rest) => Cow::Owned(rest.to_owned()),
            None => Cow::Owned(text),
        },
    })
}

fn is_space(byte: u8) -> bool {
    matches!(byte, b'\t' | b'\n' | b'\x0C' | b' ')
}

/// The position of the first byte from `from` on that `stop` accepts; `None` at the end of
/// the input (inside a tag, where the byte tokenizer gives up).
fn first_of(bytes: &[u8], from: usize, stop: impl Fn(u8) -> bool) -> Option<usize> {
    bytes.get(from..)?.iter().position(|&byte| stop(byte)).map(|found| from + found)
}

struct Fragment<'a, S: Builder> {
    html: &'a str,
    bytes: &'a [u8],
    builder: &'a S,
}

impl<S: Builder> Fragment<'_, S> {
    /// Feeds the whole input; `None` as soon as it is outside the subset.
    fn run(&self) -> Option<()> {
        let mut text_start = 0;
        let mut at = 0;
        while let Some(found) = memchr2(b'<', b'&', &self.bytes[at..]) {
            let mark = at + found;
            // What starts at `mark`, sent after the text before it: each returns where the
            // text goes on. Or the text goes on through `mark` itself.
            let markup: fn(&Self, usize) -> Option<usize> = match (self.bytes[mark], self.bytes.get(mark + 1), self.bytes.get(mark + 2)) {
                (b'&', ..) => match char_ref(&self.html[mark + 1..], false) {
                    Some(reference) => {
                        self.text(text_start, mark)?;
                        at = self.reference(mark, &reference)?;
                        text_start = at;
                        continue;
                    }
                    // A literal `&`.
                    None => {
                        at = mark + 1;
                        continue;
                    }
                },
                (_, Some(b'!'), _) => Self::markup_declaration,
                (_, Some(b'/'), Some(byte)) if byte.is_ascii_alphabetic() => |this, mark| this.tag(mark + 2, TagKind::EndTag),
                // `</>` is dropped, with a parse error (which the tree builder counts as a
                // token: it ends the line feed a `<pre>` may ignore).
                (_, Some(b'/'), Some(b'>')) => |this, mark| {
                    this.send(Token::ParseError("</>".into()))?;
                    Some(mark + 3)
                },
                (_, Some(b'/'), Some(_)) => |this, mark| this.bogus_comment(mark + 2),
                (_, Some(byte), _) if byte.is_ascii_alphabetic() => |this, mark| this.tag(mark + 1, TagKind::StartTag),
                (_, Some(b'?'), _) => |this, mark| this.bogus_comment(mark + 1),
                // `<` or `</` at the end is text.
                (_, None, _) | (_, Some(b'/'), None) => break,
                // `<` before anything else is text, after a parse error.
                (_, Some(_), _) => |this, mark| {
                    this.send(Token::ParseError("<".into()))?;
                    Some(mark)
                },
            };
            self.text(text_start, mark)?;
            text_start = markup(self, mark)?;
            at = text_start.max(mark + 1);
        }
        self.text(text_start, self.bytes.len())?;
        self.send(Token::EOFToken)
    }

    fn send(&self, token: Token) -> Option<()> {
        (matches!(self.builder.process_token(token, 1), TokenSinkResult::Continue) && !self.builder.gave_up()).then_some(())
    }

    /// A decoded reference at `mark` (its `&`), after html5ever's parse error for it if it
    /// has one (a parse error is a token to the tree builder: it ends the line feed a
    /// `<pre>` or `<textarea>` may ignore); the position after it.
    fn reference(&self, mark: usize, reference: &CharRef) -> Option<usize> {
        if reference.error {
            self.send(Token::ParseError("character reference".into()))?;
        }
        let mut chars = StrTendril::new();
        reference.push_to(&mut chars);
        self.send(Token::CharacterTokens(chars))?;
        Some(mark + 1 + reference.len)
    }

    /// Text from `from` to `to` with its references decoded (RCDATA: `<title>`, `<textarea>`).
    fn text_and_references(&self, from: usize, to: usize) -> Option<()> {
        let (mut text_start, mut at) = (from, from);
        while let Some(found) = memchr(b'&', &self.bytes[at..to]) {
            let mark = at + found;
            match char_ref(&self.html[mark + 1..to], false) {
                Some(reference) => {
                    self.text(text_start, mark)?;
                    at = self.reference(mark, &reference)?;
                    text_start = at;
                }
                None => at = mark + 1,
            }
        }
        self.text(text_start, to)
    }

    /// The text of an element whose start tag switched html5ever's tokenizer to `kind`,
    /// up to its own end tag (`</name` and a space, `/` or `>`, in any case) or the end;
    /// the position of that end tag's `<`.
    fn raw_text(&self, from: usize, name: &LocalName, kind: RawKind) -> Option<usize> {
        let bytes = self.bytes;
        let mut search = from;
        let end = loop {
            let Some(found) = find(&bytes[search..], b"</") else { break bytes.len() };
            let lt = search + found;
            let name_end = lt + 2 + name.len();
            if bytes.get(lt + 2..name_end).is_some_and(|candidate| candidate.eq_ignore_ascii_case(name.as_bytes()))
                && matches!(bytes.get(name_end), Some(b'\t' | b'\n' | b'\x0C' | b' ' | b'/' | b'>'))
            {
                break lt;
            }
            search = lt + 2;
        };
        match kind {
            RawKind::Rcdata => self.text_and_references(from, end)?,
            RawKind::Rawtext => self.text(from, end)?,
            // `<!--` inside a script opens html5ever's escaped states, where a `</script>`
            // may not end it: left to html5ever.
            RawKind::ScriptData if find(&bytes[from..end], b"<!--").is_none() => self.text(from, end)?,
            RawKind::ScriptData | RawKind::ScriptDataEscaped(_) => return None,
        }
        Some(end)
    }

    fn text(&self, from: usize, to: usize) -> Option<()> {
        if from == to {
            return Some(());
        }
        self.send(Token::CharacterTokens(StrTendril::from_slice(&self.html[from..to])))
    }

    /// What starts with `<!` at `at`: a comment, a doctype (which the tree builder ignores
    /// inside a fragment), or a bogus comment; the position after it.
    fn markup_declaration(&self, at: usize) -> Option<usize> {
        let rest = &self.bytes[at + 2..];
        if rest.starts_with(b"--") {
            return self.comment(at + 4);
        }
        if rest.get(..7).is_some_and(|word| word.eq_ignore_ascii_case(b"doctype")) {
            // Every doctype state ends the token at the first `>` (or the end).
            let end = memchr(b'>', rest).map_or(self.bytes.len(), |gt| at + 2 + gt + 1);
            self.send(Token::DoctypeToken(Doctype::default()))?;
            return Some(end);
        }
        // `<![CDATA[` is a section of text in SVG or MathML, a bogus comment elsewhere.
        if rest.starts_with(b"[CDATA[") && self.builder.adjusted_current_node_present_but_not_in_html_namespace() {
            return None;
        }
        self.bogus_comment(at + 2)
    }

    /// A comment whose text starts at `from` (after `<!--`): it ends at the first `-->` or
    /// `--!>`, or at once with `>` or `->`; the position after it.
    fn comment(&self, from: usize) -> Option<usize> {
        let rest = &self.html[from..];
        for empty in [">", "->"] {
            if rest.starts_with(empty) {
                self.send(Token::CommentToken(StrTendril::new()))?;
                return Some(from + empty.len());
            }
        }
        let bytes = rest.as_bytes();
        // The first `--` followed by `>` or `!>`: searched from here on only as far as that
        // end (looking for each kind of end over the whole rest made many comments quadratic).
        let mut search = 0;
        let found = loop {
            let Some(dashes) = find(&bytes[search..], b"--").map(|at| search + at) else { break None };
            match bytes.get(dashes + 2..) {
                Some([b'>', ..]) => break Some((dashes, 3)),
                Some([b'!', b'>', ..]) => break Some((dashes, 4)),
                _ => search = dashes + 1,
            }
        };
        let (end, close) = found.unwrap_or_else(|| {
            // At the end of the input, what is left (but the dashes that began an end).
            let end = rest.len() - (rest.len() - rest.trim_end_matches('-').len()).min(2);
            (end, rest.len() - end)
        });
        self.send(Token::CommentToken(StrTendril::from_slice(&rest[..end])))?;
        Some(from + end + close)
    }

    /// A bogus comment whose text starts at `from`: up to the first `>` or the end; the
    /// position after it.
    fn bogus_comment(&self, from: usize) -> Option<usize> {
        let end = memchr(b'>', &self.bytes[from..]).map_or(self.bytes.len(), |gt| from + gt);
        self.send(Token::CommentToken(StrTendril::from_slice(&self.html[from..end])))?;
        Some((end + 1).min(self.bytes.len()))
    }

    /// A tag whose name starts at `name_at`; the position after its `>`.
    fn tag(&self, name_at: usize, kind: TagKind) -> Option<usize> {
        let bytes = self.bytes;
        let mut at = first_of(bytes, name_at + 1, |byte| is_space(byte) || matches!(byte, b'/' | b'>'))?;
        let name = lowercase_name(&self.html[name_at..at]);
        let mut tag = Tag { kind, name, self_closing: false, attrs: Vec::new(), had_duplicate_attributes: false };
        let mut written_attributes = 0;
        // html5ever's states from "before attribute name" on. "After attribute name" and
        // "after attribute value (quoted)" differ from it only by what "before attribute
        // name" does anyway, so they come back to it.
        loop {
            let byte = *bytes.get(at)?;
            match byte {
                _ if is_space(byte) => at += 1,
                b'>' => {
                    at += 1;
                    break;
                }
                // Self-closing start tag: a `/` not before `>` is ignored.
                b'/' => {
                    at += 1;
                    if *bytes.get(at)? == b'>' {
                        tag.self_closing = true;
                        at += 1;
                        break;
                    }
                }
                // An attribute's name: its first character whatever it is (`=` and quotes
                // too), then up to space, `/`, `>` or `=`.
                _ => {
                    let name_at = at;
                    at = first_of(bytes, at + 1, |byte| is_space(byte) || matches!(byte, b'/' | b'>' | b'='))?;
                    let name = lowercase_name(&self.html[name_at..at]);
                    at = first_of(bytes, at, |byte| !is_space(byte))?;
                    let mut value = StrTendril::new();
                    if bytes[at] == b'=' {
                        at = first_of(bytes, at + 1, |byte| !is_space(byte))?;
                        match bytes[at] {
                            quote @ (b'"' | b'\'') => {
                                let end = at + 1 + memchr(quote, &bytes[at + 1..])?;
                                value = attribute_value(&self.html[at + 1..end]);
                                at = end + 1;
                            }
                            b'>' => {}
                            _ => {
                                let start = at;
                                at = first_of(bytes, at, |byte| is_space(byte) || byte == b'>')?;
                                value = attribute_value(&self.html[start..at]);
                            }
                        }
                    }
                    // Each attribute is compared with all before it: past `depth`'s bound
                    // on them, the markup is left to be bounded first.
                    written_attributes += 1;
                    if written_attributes > MAX_ATTRIBUTES {
                        return None;
                    }
                    if tag.attrs.iter().any(|attribute| attribute.name.local == name) {
                        tag.had_duplicate_attributes = true;
                    } else {
                        tag.attrs.push(Attribute { name: QualName::new(None, ns!(), name), value });
                    }
                }
            }
        }
        let name = tag.name.clone();
        let result = self.builder.process_token(Token::TagToken(tag), 1);
        if self.builder.gave_up() {
            return None;
        }
        match result {
            // The tree builder's `Script` only says a `</script>` ended a script.
            TokenSinkResult::Continue | TokenSinkResult::Script(_) => Some(at),
            TokenSinkResult::RawData(kind) => self.raw_text(at, &name, kind),
            TokenSinkResult::Plaintext => {
                self.text(at, self.bytes.len())?;
                Some(self.bytes.len())
            }
            // A `<meta charset>`: html5ever's parser reads on, and so does this one.
            TokenSinkResult::EncodingIndicator(_) => Some(at),
        }
    }
}

/// A tag or attribute name as html5ever makes it: ASCII letters lowercased.
fn lowercase_name(name: &str) -> LocalName {
    if name.bytes().any(|byte| byte.is_ascii_uppercase()) {
        LocalName::from(name.to_ascii_lowercase())
    } else {
        LocalName::from(name)
    }
}

/// An attribute's value with its character references decoded (attribute rules).
fn attribute_value(raw: &str) -> StrTendril {
    let Some(first) = memchr(b'&', raw.as_bytes()) else {
        return StrTendril::from_slice(raw);
    };
    let mut value = StrTendril::from_slice(&raw[..first]);
    let mut at = first;
    while at < raw.len() {
        let Some(found) = memchr(b'&', &raw.as_bytes()[at..]) else {
            value.push_slice(&raw[at..]);
            break;
        };
        let mark = at + found;
        value.push_slice(&raw[at..mark]);
        match char_ref(&raw[mark + 1..], true) {
            Some(reference) => {
                reference.push_to(&mut value);
                at = mark + 1 + reference.len;
            }
            None => {
                value.push_char('&');
                at = mark + 1;
            }
        }
    }
    value
}

/// A decoded character reference: one or two characters.
struct CharRef {
    first: char,
    second: Option<char>,
    /// Bytes it took after the `&`.
    len: usize,
    /// Whether html5ever reports a parse error for it.
    error: bool,
}

impl CharRef {
    fn push_to(&self, text: &mut StrTendril) {
        text.push_char(self.first);
        if let Some(second) = self.second {
            text.push_char(second);
        }
    }
}

/// The character reference after a `&` (`rest` starts after it), decoded as html5ever's
/// `CharRefTokenizer` decodes it; `None` when the `&` stays a `&` (and what follows is
/// read again as it is).
fn char_ref(rest: &str, in_attribute: bool) -> Option<CharRef> {
    match *rest.as_bytes().first()? {
        b'#' => numeric_char_ref(rest),
        byte if byte.is_ascii_alphanumeric() => named_char_ref(rest, in_attribute),
        _ => None,
    }
}

fn numeric_char_ref(rest: &str) -> Option<CharRef> {
    let bytes = rest.as_bytes();
    let (base, digits_at) = match bytes.get(1) {
        Some(b'x' | b'X') => (16, 2),
        _ => (10, 1),
    };
    let mut at = digits_at;
    let (mut number, mut too_big) = (0u32, false);
    while let Some(digit) = bytes.get(at).and_then(|&byte| char::from(byte).to_digit(base)) {
        number = number.wrapping_mul(base);
        if number > 0x10FFFF {
            too_big = true;
        }
        number = number.wrapping_add(digit);
        at += 1;
    }
    if at == digits_at {
        return None;
    }
    let mut error = bytes.get(at) != Some(&b';');
    if !error {
        at += 1;
    }
    let as_is = |n: u32| char::from_u32(n).unwrap_or('\u{fffd}');
    let (first, bad) = match number {
        n if n > 0x10FFFF || too_big => ('\u{fffd}', true),
        0x00 | 0xD800..=0xDFFF => ('\u{fffd}', true),
        0x80..=0x9F => (html5ever::data::C1_REPLACEMENTS[(number - 0x80) as usize].unwrap_or(as_is(number)), true),
        0x01..=0x08 | 0x0B | 0x0D..=0x1F | 0x7F | 0xFDD0..=0xFDEF => (as_is(number), true),
        n if n & 0xFFFE == 0xFFFE => (as_is(n), true),
        n => (as_is(n), false),
    };
    error |= bad;
    Some(CharRef { first, second: None, len: at, error })
}

/// The longest entity name `rest` starts with, as html5ever matches it: a character at a
/// time while what it has read is the start of some name in its table.
fn named_char_ref(rest: &str, in_attribute: bool) -> Option<CharRef> {
    let mut matched: Option<((u32, u32), usize)> = None;
    let mut read = rest.len();
    for (at, c) in rest.char_indices() {
        let end = at + c.len_utf8();
        match html5ever::data::NAMED_ENTITIES.get(&rest[..end]) {
            Some(&found) => {
                if found.0 != 0 {
                    matched = Some((found, end));
                }
            }
            None => {
                read = end;
                break;
            }
        }
    }
    let ((first, second), len) = matched?;
    let semicolon = rest.as_bytes()[len - 1] == b';';
    let next = if len == read { None } else { rest[len..].chars().next() };
    // In an attribute, `&amp=` or `&ampx` without its `;` is left as it is (a URL's query).
    if !semicolon && in_attribute && next.is_some_and(|c| c == '=' || c.is_ascii_alphanumeric()) {
        return None;
    }
    let decode = |n: u32| char::from_u32(n).unwrap_or('\u{fffd}');
    Some(CharRef { first: decode(first), second: (second != 0).then(|| decode(second)), len, error: !semicolon })
}
