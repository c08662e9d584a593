//! A tree builder for markup that nests as it is written, in front of html5ever's.
//!
//! html5ever's tree builder was a tenth of sanitising a body (BENCHMARKS.md, issue 15): for
//! every token it matches the insertion mode's rules, clones formatting tags into its list,
//! and asks the sink each element's name as it walks its stack. Most feed bodies need none
//! of that: every element is closed by its own end tag, in order, so the tree is the nesting
//! as written. This builder makes that tree, with the same calls on the sink in the same
//! order as html5ever's (`parse_fragment` with a `<div>` as the context and its default options,
//! scripting on), and
//! gives up at the first token where html5ever's rules would do more than push or pop the
//! current node: an end tag that is not the current element's, a `<p>`, `<li>` or heading
//! that would close an open one, anything with a table, a form inside a form, `<pre>`,
//! `<textarea>`, SVG or MathML, and every tag it does not know to be plain. Then the byte
//! tokenizer starts again from the top with html5ever's tree builder (`tokenizer`).
//!
//! What makes it exact: html5ever's list of active formatting elements only matters when it
//! holds an element no longer open (reconstructed, or adopted), and here every formatting
//! element leaves the stack by its own end tag, which also takes it off the list. So the list
//! never holds a closed element, reconstructing never does anything, and the adoption agency
//! only ever pops the current node. The few rules that look at the list (a second `<a>`, a
//! fourth identical formatting element, `<nobr>` in scope) give up.
//! The tests hold the trees it builds to html5ever's on every corpus and generator
//! `differential` has, and the `sanitize` fuzz target holds the sanitiser to ammonia.

use std::cell::RefCell;

use html5ever::interface::{NodeOrText, TreeSink};
use html5ever::tree_builder::create_element_with_flags;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{Tag, TagKind, Token, TokenSink, TokenSinkResult};
use html5ever::{LocalName, QualName, local_name, ns};

use super::depth::{MAX_DEPTH, MAX_UNCLOSED_FORMATTING};
use super::tree::is_formatting;
use super::tokenizer::Builder;

pub(super) struct Straight<S: TreeSink> {
    pub(super) sink: S,
    state: RefCell<State<S::Handle>>,
}

struct State<H> {
    /// The stack of open elements, the fragment's `<html>` root at the bottom.
    open: Vec<(H, LocalName)>,
    /// The list of active formatting elements by name (`None`: a marker). Every entry after
    /// the last marker is an open element (the module's header).
    formatting: Vec<Option<LocalName>>,
    /// Whether html5ever's form element pointer would be set: a `<form>` is open.
    form_open: bool,
    /// How many of the open elements are tables or their parts (`is_table_part`).
    table_parts: usize,
    gave_up: bool,
}

/// What html5ever's "in body" rules do with a start tag, for the tags this builder takes.
enum Start {
    /// Closes a `<p>` in button scope, then opens.
    ClosesP,
    Heading,
    ListItem,
    Formatting,
    Anchor,
    Nobr,
    /// `applet`, `marquee`, `object`: open, with a marker in the formatting list.
    Marker,
    /// Inserted and popped at once.
    Void,
    Hr,
    Button,
    Form,
    /// The tokenizer reads its content as raw text (`xmp` closes a `<p>` first).
    Raw(RawKind),
    Xmp,
    /// Closes a `<p>` in button scope, then opens; its parts follow the table modes' rules.
    Table,
    /// Any other start tag: opens.
    Plain,
    /// What html5ever's rules do more with than this builder does.
    GiveUp,
}

fn start_kind(name: &LocalName) -> Start {
    match *name {
        local_name!("address")
        | local_name!("article")
        | local_name!("aside")
        | local_name!("blockquote")
        | local_name!("center")
        | local_name!("details")
        | local_name!("dialog")
        | local_name!("dir")
        | local_name!("div")
        | local_name!("dl")
        | local_name!("fieldset")
        | local_name!("figcaption")
        | local_name!("figure")
        | local_name!("footer")
        | local_name!("header")
        | local_name!("hgroup")
        | local_name!("main")
        | local_name!("nav")
        | local_name!("ol")
        | local_name!("p")
        | local_name!("search")
        | local_name!("section")
        | local_name!("summary")
        | local_name!("ul")
        | local_name!("menu") => Start::ClosesP,
        local_name!("h1") | local_name!("h2") | local_name!("h3") | local_name!("h4") | local_name!("h5") | local_name!("h6") => Start::Heading,
        local_name!("li") => Start::ListItem,
        local_name!("a") => Start::Anchor,
        local_name!("b")
        | local_name!("big")
        | local_name!("code")
        | local_name!("em")
        | local_name!("font")
        | local_name!("i")
        | local_name!("s")
        | local_name!("small")
        | local_name!("strike")
        | local_name!("strong")
        | local_name!("tt")
        | local_name!("u") => Start::Formatting,
        local_name!("nobr") => Start::Nobr,
        local_name!("applet") | local_name!("marquee") | local_name!("object") => Start::Marker,
        local_name!("area")
        | local_name!("br")
        | local_name!("embed")
        | local_name!("img")
        | local_name!("keygen")
        | local_name!("wbr")
        | local_name!("input")
        | local_name!("param")
        | local_name!("source")
        | local_name!("track") => Start::Void,
        local_name!("hr") => Start::Hr,
        local_name!("button") => Start::Button,
        local_name!("form") => Start::Form,
        local_name!("script") => Start::Raw(RawKind::ScriptData),
        // `noscript` too: html5ever's default options have scripting on.
        local_name!("style") | local_name!("noframes") | local_name!("iframe") | local_name!("noembed") | local_name!("noscript") => {
            Start::Raw(RawKind::Rawtext)
        }
        local_name!("title") => Start::Raw(RawKind::Rcdata),
        local_name!("xmp") => Start::Xmp,
        local_name!("table") => Start::Table,
        // Every other tag html5ever's "in body" rules (or the "in head" ones they defer to)
        // name: head and body tags, tables, lists of definitions, forms' selects, ruby,
        // foreign content, and the elements that ignore a first line feed.
        local_name!("html")
        | local_name!("base")
        | local_name!("basefont")
        | local_name!("bgsound")
        | local_name!("link")
        | local_name!("meta")
        | local_name!("template")
        | local_name!("body")
        | local_name!("frameset")
        | local_name!("pre")
        | local_name!("listing")
        | local_name!("dd")
        | local_name!("dt")
        | local_name!("plaintext")
        | local_name!("image")
        | local_name!("textarea")
        | local_name!("select")
        | local_name!("option")
        | local_name!("optgroup")
        | local_name!("rb")
        | local_name!("rtc")
        | local_name!("rp")
        | local_name!("rt")
        | local_name!("math")
        | local_name!("svg")
        | local_name!("caption")
        | local_name!("col")
        | local_name!("colgroup")
        | local_name!("frame")
        | local_name!("head")
        | local_name!("tbody")
        | local_name!("td")
        | local_name!("tfoot")
        | local_name!("th")
        | local_name!("thead")
        | local_name!("tr") => Start::GiveUp,
        _ => Start::Plain,
    }
}

/// html5ever's `special_tag` set, for the elements this builder opens (`isindex` among
/// them: html5ever 0.40 has no rule of its own for it, so it opens as any other tag).
fn is_special(name: &LocalName) -> bool {
    matches!(
        *name,
        local_name!("address")
            | local_name!("applet")
            | local_name!("article")
            | local_name!("aside")
            | local_name!("blockquote")
            | local_name!("button")
            | local_name!("caption")
            | local_name!("center")
            | local_name!("details")
            | local_name!("dir")
            | local_name!("div")
            | local_name!("dl")
            | local_name!("fieldset")
            | local_name!("figcaption")
            | local_name!("figure")
            | local_name!("footer")
            | local_name!("form")
            | local_name!("h1")
            | local_name!("h2")
            | local_name!("h3")
            | local_name!("h4")
            | local_name!("h5")
            | local_name!("h6")
            | local_name!("header")
            | local_name!("hgroup")
            | local_name!("html")
            | local_name!("iframe")
            | local_name!("isindex")
            | local_name!("li")
            | local_name!("main")
            | local_name!("marquee")
            | local_name!("menu")
            | local_name!("nav")
            | local_name!("noembed")
            | local_name!("noframes")
            | local_name!("noscript")
            | local_name!("object")
            | local_name!("ol")
            | local_name!("p")
            | local_name!("script")
            | local_name!("section")
            | local_name!("style")
            | local_name!("summary")
            | local_name!("table")
            | local_name!("tbody")
            | local_name!("td")
            | local_name!("tfoot")
            | local_name!("th")
            | local_name!("thead")
            | local_name!("title")
            | local_name!("tr")
            | local_name!("ul")
            | local_name!("xmp")
    )
}

/// html5ever's default scope's bounds among the elements this builder opens, and `button`
/// too for the button scope.
fn bounds_scope(name: &LocalName, button_scope: bool) -> bool {
    matches!(
        *name,
        local_name!("html")
            | local_name!("applet")
            | local_name!("marquee")
            | local_name!("object")
            | local_name!("table")
            | local_name!("caption")
            | local_name!("td")
            | local_name!("th")
    ) || (button_scope && *name == local_name!("button"))
}

/// The elements whose being open decides the insertion mode (`Mode`).
fn is_table_part(name: &LocalName) -> bool {
    matches!(
        *name,
        local_name!("table")
            | local_name!("caption")
            | local_name!("tbody")
            | local_name!("thead")
            | local_name!("tfoot")
            | local_name!("tr")
            | local_name!("td")
            | local_name!("th")
    )
}

/// html5ever's insertion mode, which this builder reads off its stack: the innermost open
/// table part says it (a cell's and a caption's content is read by the body's rules).
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Body,
    Table,
    TableBody,
    Row,
    Cell,
    Caption,
}

impl<H: Clone> State<H> {
    fn current(&self) -> &LocalName {
        &self.open.last().expect("the root stays open").1
    }

    fn push(&mut self, node: H, name: LocalName) {
        self.table_parts += usize::from(is_table_part(&name));
        self.open.push((node, name));
    }

    fn truncate(&mut self, len: usize) {
        self.table_parts -= self.open[len..].iter().filter(|(_, name)| is_table_part(name)).count();
        self.open.truncate(len);
    }

    fn mode(&self) -> Mode {
        if self.table_parts == 0 {
            return Mode::Body;
        }
        for (_, name) in self.open.iter().rev() {
            match *name {
                local_name!("td") | local_name!("th") => return Mode::Cell,
                local_name!("tr") => return Mode::Row,
                local_name!("tbody") | local_name!("thead") | local_name!("tfoot") => return Mode::TableBody,
                local_name!("caption") => return Mode::Caption,
                local_name!("table") => return Mode::Table,
                _ => {}
            }
        }
        Mode::Body
    }

    fn in_scope(&self, target: &LocalName, button_scope: bool) -> bool {
        for (_, name) in self.open.iter().rev() {
            if name == target {
                return true;
            }
            if bounds_scope(name, button_scope) {
                return false;
            }
        }
        false
    }

    /// "Close a p element" when one is in button scope: only where it is the current node
    /// (else html5ever would close what is open inside it first). `None`: give up.
    fn close_p_in_button_scope(&mut self) -> Option<()> {
        if !self.in_scope(&local_name!("p"), true) {
            return Some(());
        }
        (*self.current() == local_name!("p")).then(|| self.truncate(self.open.len() - 1))
    }

    /// The formatting list's entries after its last marker.
    fn since_marker(&self) -> &[Option<LocalName>] {
        let from = self.formatting.iter().rposition(Option::is_none).map_or(0, |marker| marker + 1);
        &self.formatting[from..]
    }
}

impl<S: TreeSink> Straight<S>
where
    S::Handle: Clone,
{
    /// The builder for a fragment in a `<div>`: the sink's document gets the `<html>` root,
    /// as html5ever's `TreeBuilder::new_for_fragment` gives it.
    pub(super) fn new_for_fragment(sink: S) -> Straight<S> {
        let root = create_element_with_flags(&sink, QualName::new(None, ns!(html), local_name!("html")), vec![], false);
        sink.append(&sink.get_document(), NodeOrText::AppendNode(root.clone()));
        let state = State { open: vec![(root, local_name!("html"))], formatting: Vec::new(), form_open: false, table_parts: 0, gave_up: false };
        Straight { sink, state: RefCell::new(state) }
    }

    /// A new element for `tag` appended to the current node; opened unless `void`.
    fn insert(&self, state: &mut State<S::Handle>, tag: Tag, void: bool) {
        let element = create_element_with_flags(&self.sink, QualName::new(None, ns!(html), tag.name.clone()), tag.attrs, tag.had_duplicate_attributes);
        let parent = &state.open.last().expect("the root stays open").0;
        self.sink.append(parent, NodeOrText::AppendNode(element.clone()));
        if !void {
            state.push(element, tag.name);
        }
    }

    fn start_tag(&self, state: &mut State<S::Handle>, tag: Tag) -> Option<TokenSinkResult<S::Handle>> {
        match start_kind(&tag.name) {
            Start::ClosesP => state.close_p_in_button_scope()?,
            Start::Heading => {
                state.close_p_in_button_scope()?;
                if matches!(*state.current(), local_name!("h1") | local_name!("h2") | local_name!("h3") | local_name!("h4") | local_name!("h5") | local_name!("h6")) {
                    return None;
                }
            }
            Start::ListItem => {
                for (at, (_, name)) in state.open.iter().enumerate().rev() {
                    if *name == local_name!("li") {
                        // An open `<li>` is closed, with the `<p>`s above it (implied end
                        // tags); anything else above it would be closed too.
                        if state.open[at + 1..].iter().any(|(_, above)| *above != local_name!("p")) {
                            return None;
                        }
                        state.truncate(at);
                        break;
                    }
                    if is_special(name) && !matches!(*name, local_name!("address") | local_name!("div") | local_name!("p")) {
                        break;
                    }
                }
                state.close_p_in_button_scope()?;
            }
            Start::Anchor | Start::Formatting => {
                let since_marker = state.since_marker();
                // A second `<a>` runs the adoption agency; a fourth element of a name drops
                // the first from the list (the "Noah's Ark" clause, which compares their
                // attributes too: giving up on the name alone is on the safe side).
                let same = since_marker.iter().filter(|entry| entry.as_ref() == Some(&tag.name)).count();
                if (tag.name == local_name!("a") && same > 0) || same >= 3 {
                    return None;
                }
                state.formatting.push(Some(tag.name.clone()));
            }
            Start::Nobr => {
                if state.in_scope(&local_name!("nobr"), false) || state.since_marker().iter().filter(|entry| entry.as_ref() == Some(&tag.name)).count() >= 3 {
                    return None;
                }
                state.formatting.push(Some(tag.name.clone()));
            }
            Start::Marker => {
                self.insert(state, tag, false);
                state.formatting.push(None);
                return Some(TokenSinkResult::Continue);
            }
            Start::Void => {
                self.insert(state, tag, true);
                return Some(TokenSinkResult::Continue);
            }
            Start::Hr => {
                state.close_p_in_button_scope()?;
                self.insert(state, tag, true);
                return Some(TokenSinkResult::Continue);
            }
            Start::Button => {
                if state.in_scope(&local_name!("button"), false) {
                    return None;
                }
            }
            Start::Form => {
                if state.form_open {
                    return None;
                }
                state.close_p_in_button_scope()?;
                state.form_open = true;
            }
            Start::Raw(kind) => {
                self.insert(state, tag, false);
                return Some(TokenSinkResult::RawData(kind));
            }
            Start::Xmp => {
                state.close_p_in_button_scope()?;
                self.insert(state, tag, false);
                return Some(TokenSinkResult::RawData(RawKind::Rawtext));
            }
            Start::Table => state.close_p_in_button_scope()?,
            Start::Plain => {}
            Start::GiveUp => return None,
        }
        self.insert(state, tag, false);
        Some(TokenSinkResult::Continue)
    }

    /// An end tag: only the current element's own, which pops it (and its formatting
    /// entry, or its marker). For the tags whose rules first generate implied end tags, the
    /// `<p>`s and `<li>`s above it are closed first; html5ever's rules do the same then.
    fn end_tag(&self, state: &mut State<S::Handle>, tag: &Tag) -> Option<()> {
        let name = &tag.name;
        let closes_implied = matches!(start_kind(name), Start::ClosesP | Start::Heading | Start::ListItem | Start::Marker | Start::Button | Start::Form);
        let at = if closes_implied {
            state.open.iter().rposition(|(_, open)| open == name || !matches!(*open, local_name!("p") | local_name!("li")))?
        } else {
            state.open.len() - 1
        };
        if at == 0 || state.open[at].1 != *name {
            return None;
        }
        if is_formatting(name) {
            // The current node's entry is the list's last (the module's header).
            if state.formatting.last() != Some(&Some(name.clone())) {
                return None;
            }
            state.formatting.pop();
        } else if matches!(*name, local_name!("applet") | local_name!("marquee") | local_name!("object")) {
            if state.formatting.last() != Some(&None) {
                return None;
            }
            state.formatting.pop();
        } else if *name == local_name!("form") {
            state.form_open = false;
        }
        state.truncate(at);
        Some(())
    }

    /// A tag inside a table but not in a cell or caption (`Mode::Table`, `TableBody`,
    /// `Row`), where the current node is the table part the mode is named after. Only the
    /// parts of a well-formed table: what html5ever would move out of the table (foster
    /// parenting), or close implicitly, gives up. A `<tr>` right in a `<table>` gets the
    /// `<tbody>` html5ever makes for it.
    fn table_tag(&self, state: &mut State<S::Handle>, mode: Mode, tag: Tag) -> Option<()> {
        match (mode, tag.kind, &tag.name) {
            (Mode::Table, TagKind::StartTag, &local_name!("caption")) => {
                state.formatting.push(None);
                self.insert(state, tag, false);
            }
            (Mode::Table, TagKind::StartTag, &(local_name!("tbody") | local_name!("thead") | local_name!("tfoot")))
            | (Mode::TableBody, TagKind::StartTag, &local_name!("tr")) => self.insert(state, tag, false),
            (Mode::Table, TagKind::StartTag, &local_name!("tr")) => {
                self.insert(state, Tag { kind: TagKind::StartTag, name: local_name!("tbody"), self_closing: false, attrs: Vec::new(), had_duplicate_attributes: false }, false);
                self.insert(state, tag, false);
            }
            (Mode::Row, TagKind::StartTag, &(local_name!("td") | local_name!("th"))) => {
                self.insert(state, tag, false);
                state.formatting.push(None);
            }
            (Mode::Table, TagKind::EndTag, &local_name!("table"))
            | (Mode::TableBody, TagKind::EndTag, &(local_name!("tbody") | local_name!("thead") | local_name!("tfoot")))
            | (Mode::Row, TagKind::EndTag, &local_name!("tr"))
                if *state.current() == tag.name =>
            {
                state.truncate(state.open.len() - 1);
            }
            // The end of a table whose body was not closed (or was made for its rows).
            (Mode::TableBody, TagKind::EndTag, &local_name!("table")) if state.open[state.open.len() - 2].1 == local_name!("table") => {
                state.truncate(state.open.len() - 2);
            }
            _ => return None,
        }
        Some(())
    }

    /// A tag in a cell or a caption that ends it or another table part; `None` for the ones
    /// it leaves to the body's rules.
    fn cell_or_caption_tag(&self, state: &mut State<S::Handle>, mode: Mode, tag: &Tag) -> Option<Option<()>> {
        let ends_it = match mode {
            Mode::Cell => matches!(tag.name, local_name!("td") | local_name!("th")),
            _ => tag.name == local_name!("caption"),
        };
        if tag.kind == TagKind::EndTag && ends_it {
            // Its own end tag, once the `<p>`s and `<li>`s in it are closed; and the
            // formatting list cleared to its marker, which is the last entry.
            let at = state.open.iter().rposition(|(_, open)| !matches!(*open, local_name!("p") | local_name!("li")))?;
            if state.open[at].1 != tag.name || state.formatting.last() != Some(&None) {
                return Some(None);
            }
            state.formatting.pop();
            state.truncate(at);
            return Some(Some(()));
        }
        let other_part = matches!(
            tag.name,
            local_name!("caption")
                | local_name!("col")
                | local_name!("colgroup")
                | local_name!("tbody")
                | local_name!("td")
                | local_name!("tfoot")
                | local_name!("th")
                | local_name!("thead")
                | local_name!("tr")
        );
        let ends_table = tag.kind == TagKind::EndTag && matches!(tag.name, local_name!("table") | local_name!("body") | local_name!("html"));
        // Either closes the cell or caption first, or is ignored: given up.
        (other_part || ends_table).then_some(None)
    }
}

impl<S: TreeSink> TokenSink for Straight<S>
where
    S::Handle: Clone,
{
    type Handle = S::Handle;

    fn process_token(&self, token: Token, _line_number: u64) -> TokenSinkResult<S::Handle> {
        let mut state = self.state.borrow_mut();
        if state.gave_up {
            return TokenSinkResult::Continue;
        }
        let mode = state.mode();
        let in_table = matches!(mode, Mode::Table | Mode::TableBody | Mode::Row);
        let outcome = match token {
            // Text right in a table is inserted there if it is all whitespace; other text
            // html5ever moves out of the table.
            Token::CharacterTokens(text) if in_table && text.bytes().any(|byte| !byte.is_ascii_whitespace()) => None,
            Token::CharacterTokens(text) => {
                self.sink.append(&state.open.last().expect("the root stays open").0, NodeOrText::AppendText(text));
                Some(TokenSinkResult::Continue)
            }
            Token::CommentToken(text) => {
                let comment = self.sink.create_comment(text);
                self.sink.append(&state.open.last().expect("the root stays open").0, NodeOrText::AppendNode(comment));
                Some(TokenSinkResult::Continue)
            }
            Token::TagToken(tag) if in_table => self.table_tag(&mut state, mode, tag).map(|()| TokenSinkResult::Continue),
            Token::TagToken(tag) => match mode {
                Mode::Cell | Mode::Caption if let Some(done) = self.cell_or_caption_tag(&mut state, mode, &tag) => done.map(|()| TokenSinkResult::Continue),
                _ => match tag.kind {
                    TagKind::StartTag => self.start_tag(&mut state, tag),
                    TagKind::EndTag => self.end_tag(&mut state, &tag).map(|()| TokenSinkResult::Continue),
                },
            },
            // Parse errors change no tree here (no element that ignores a first line feed is
            // opened), and the end leaves it as it is.
            Token::ParseError(_) | Token::EOFToken => Some(TokenSinkResult::Continue),
            Token::DoctypeToken(_) | Token::NullCharacterToken => None,
        };
        // Past `depth`'s bounds the markup is left to be bounded first: so a tree built here
        // is within them, and every rule here costs at most a walk of 129 open elements.
        let within_bounds = || state.open.len() <= MAX_DEPTH + 1 && state.formatting.iter().flatten().count() <= MAX_UNCLOSED_FORMATTING;
        match outcome {
            Some(result) if within_bounds() => result,
            _ => {
                state.gave_up = true;
                TokenSinkResult::Continue
            }
        }
    }
}

impl<S: TreeSink> Builder for Straight<S>
where
    S::Handle: Clone,
{
    fn gave_up(&self) -> bool {
        self.state.borrow().gave_up
    }
}
