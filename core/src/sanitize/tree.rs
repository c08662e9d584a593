//! One pass of the policy without ammonia's machinery: html5ever builds the tree into a flat
//! arena, and one walk over it decides each node as ammonia 4.2 does with our `Builder` and
//! writes the result out as html5ever's serialiser would. ammonia built a reference-counted
//! DOM, walked it once for `id`s and again to clean it, looked every tag and attribute up
//! in hashed sets, parsed each URL up to four times and then serialised through a generic
//! writer: three fifths of a body's sanitising beyond the tokenizer (BENCHMARKS.md, issue 15).
//!
//! Same parser (html5ever 0.40 as a fragment inside a `<div>`), same tree, the same
//! decisions in the same order, the same bytes out: the tests hold this to ammonia itself,
//! the reference, on every corpus the project has and on generated markup
//! (`sanitize::differential`). The rules, in ammonia's order, for each node:
//!
//! 1. Text is kept. Comments, doctypes and processing instructions are dropped.
//! 2. An element whose name is not an allowed tag is unwrapped (its children stay).
//!    An allowed one keeps the attributes allowed for it whose URL, if they hold one, is
//!    http(s), `mailto:` or relative.
//! 3. Every `<a>` gets `rel="noopener noreferrer"`. Then, on every element, our URL rules
//!    (`filter_url_attribute`) and then relative URLs resolved against the base
//!    (`resolve_relative`); an attribute either drops is removed the way ammonia removes it,
//!    by moving the last one into its place.
//! 4. `<script>` and `<style>` go with their content, and so does an element in a namespace
//!    it cannot reach from where it now sits (ammonia's guard against namespace confusion:
//!    under an HTML parent only `<svg>` and `<math>` may open SVG or MathML, and an HTML
//!    element must not be named like an SVG or MathML one). Since no SVG or MathML element is
//!    an allowed tag, every kept element is HTML, and so is the parent each node is checked
//!    against.

use std::cell::RefCell;

use html5ever::interface::{ElemName, ElementFlags, NodeOrText, QuirksMode, TreeSink};
use html5ever::tendril::{StrTendril, TendrilSink};
use html5ever::{Attribute, LocalName, Namespace, ParseOpts, QualName, local_name, ns};
use memchr::{memchr2, memchr3};

use super::depth::Nesting;
use super::{filter_url_attribute, is_url_attribute, resolve_relative, scheme_allowed};

/// The tags kept: ammonia's defaults without `map` and `area` (the reference policy in
/// `differential`). `tag_allowed` is this list by atoms.
pub(super) const ALLOWED_TAGS: &[&str] = &[
    "a", "abbr", "acronym", "article", "aside", "b", "bdi", "bdo", "blockquote", "br", "caption", "center", "cite", "code", "col",
    "colgroup", "data", "dd", "del", "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "footer", "h1", "h2", "h3",
    "h4", "h5", "h6", "header", "hgroup", "hr", "i", "img", "ins", "kbd", "li", "mark", "nav", "ol", "p", "pre", "q", "rp", "rt",
    "rtc", "ruby", "s", "samp", "small", "span", "strike", "strong", "sub", "summary", "sup", "table", "tbody", "td", "th", "thead",
    "time", "tr", "tt", "u", "ul", "var", "wbr",
];

/// Elements removed with their content, in any namespace.
pub(super) const CONTENT_DROPPED_TAGS: &[&str] = &["script", "style"];

/// Whether `tag` is in `ALLOWED_TAGS` (compared as atoms: no hashing, no string compare).
pub(super) fn tag_allowed(tag: &LocalName) -> bool {
    matches!(
        *tag,
        local_name!("a")
            | local_name!("abbr")
            | local_name!("acronym")
            | local_name!("article")
            | local_name!("aside")
            | local_name!("b")
            | local_name!("bdi")
            | local_name!("bdo")
            | local_name!("blockquote")
            | local_name!("br")
            | local_name!("caption")
            | local_name!("center")
            | local_name!("cite")
            | local_name!("code")
            | local_name!("col")
            | local_name!("colgroup")
            | local_name!("data")
            | local_name!("dd")
            | local_name!("del")
            | local_name!("details")
            | local_name!("dfn")
            | local_name!("div")
            | local_name!("dl")
            | local_name!("dt")
            | local_name!("em")
            | local_name!("figcaption")
            | local_name!("figure")
            | local_name!("footer")
            | local_name!("h1")
            | local_name!("h2")
            | local_name!("h3")
            | local_name!("h4")
            | local_name!("h5")
            | local_name!("h6")
            | local_name!("header")
            | local_name!("hgroup")
            | local_name!("hr")
            | local_name!("i")
            | local_name!("img")
            | local_name!("ins")
            | local_name!("kbd")
            | local_name!("li")
            | local_name!("mark")
            | local_name!("nav")
            | local_name!("ol")
            | local_name!("p")
            | local_name!("pre")
            | local_name!("q")
            | local_name!("rp")
            | local_name!("rt")
            | local_name!("rtc")
            | local_name!("ruby")
            | local_name!("s")
            | local_name!("samp")
            | local_name!("small")
            | local_name!("span")
            | local_name!("strike")
            | local_name!("strong")
            | local_name!("sub")
            | local_name!("summary")
            | local_name!("sup")
            | local_name!("table")
            | local_name!("tbody")
            | local_name!("td")
            | local_name!("th")
            | local_name!("thead")
            | local_name!("time")
            | local_name!("tr")
            | local_name!("tt")
            | local_name!("u")
            | local_name!("ul")
            | local_name!("var")
            | local_name!("wbr")
    )
}

/// Attributes kept on an allowed tag: ammonia's defaults (`lang` and `title` everywhere),
/// `loading` on `<img>`, no `cite` (it holds a URL that no rule checks, and nothing needs it).
pub(super) fn attribute_allowed(tag: &LocalName, attribute: &LocalName) -> bool {
    let table_part = || matches!(*attribute, local_name!("align") | local_name!("char") | local_name!("charoff"));
    matches!(*attribute, local_name!("lang") | local_name!("title"))
        || match *tag {
            local_name!("a") => matches!(*attribute, local_name!("href") | local_name!("hreflang")),
            local_name!("bdo") => *attribute == local_name!("dir"),
            local_name!("col") | local_name!("colgroup") => table_part() || *attribute == local_name!("span"),
            local_name!("del") | local_name!("ins") => *attribute == local_name!("datetime"),
            local_name!("hr") => matches!(*attribute, local_name!("align") | local_name!("size") | local_name!("width")),
            local_name!("img") => matches!(
                *attribute,
                local_name!("align") | local_name!("alt") | local_name!("height") | local_name!("src") | local_name!("width") | local_name!("loading")
            ),
            local_name!("ol") => *attribute == local_name!("start"),
            local_name!("table") => table_part() || *attribute == local_name!("summary"),
            local_name!("tbody") | local_name!("tfoot") | local_name!("thead") | local_name!("tr") => table_part(),
            local_name!("td") => table_part() || matches!(*attribute, local_name!("colspan") | local_name!("headers") | local_name!("rowspan")),
            local_name!("th") => {
                table_part() || matches!(*attribute, local_name!("colspan") | local_name!("headers") | local_name!("rowspan") | local_name!("scope"))
            }
            _ => false,
        }
}

/// Whether a relative URL in this attribute is resolved (ammonia's `is_url_attr`): not the
/// `href` of SVG's animation elements. None of them is kept, but a `href` that does not
/// resolve would record a dropped URL, and so a second pass, that the reference does not
/// make (found by the property test at 50,000 cases: `<svg><animate href="\\">`).
fn resolves_relative(tag: &LocalName, attribute: &LocalName) -> bool {
    let animation = matches!(&**tag, "animate" | "animateMotion" | "animateTransform" | "set" | "animateColor");
    is_url_attribute(tag, attribute) && !(animation && matches!(&**attribute, "href" | "xlink:href"))
}

pub(super) fn is_relative_url(value: &str) -> bool {
    // A value starting with a scheme never parses as relative: the common case, unparsed.
    !(value.starts_with("https:") || value.starts_with("http:")) && url::Url::parse(value) == Err(url::ParseError::RelativeUrlWithoutBase)
}

/// Names of SVG and MathML elements, as ammonia 4.2 lists them, that an HTML element may
/// not carry (it would be removed with its content). Only the lower-case ones: the parser
/// lower-cases an HTML element's name, so `clipPath` and the like can never match.
/// `a`, `font`, `script`, `span`, `style` and `title` are HTML names too.
fn is_foreign_name(name: &str) -> bool {
    matches!(
        name,
        "animate" | "circle" | "defs" | "desc" | "discard" | "ellipse" | "filter" | "g" | "image" | "line" | "marker" | "mask"
            | "metadata" | "mpath" | "path" | "pattern" | "polygon" | "polyline" | "rect" | "set" | "stop" | "svg" | "switch"
            | "symbol" | "text" | "tspan" | "use" | "view"
            // MathML
            | "abs" | "and" | "annotation" | "annotation-xml" | "apply" | "approx" | "arccos" | "arccosh" | "arccot" | "arccoth"
            | "arccsc" | "arccsch" | "arcsec" | "arcsech" | "arcsin" | "arcsinh" | "arctan" | "arctanh" | "arg" | "bind" | "bvar"
            | "card" | "cartesianproduct" | "cbytes" | "ceiling" | "cerror" | "ci" | "cn" | "codomain" | "complexes" | "compose"
            | "condition" | "conjugate" | "cos" | "cosh" | "cot" | "coth" | "cs" | "csc" | "csch" | "csymbol" | "curl" | "declare"
            | "degree" | "determinant" | "diff" | "divergence" | "divide" | "domain" | "domainofapplication" | "emptyset" | "eq"
            | "equivalent" | "eulergamma" | "exists" | "exp" | "exponentiale" | "factorial" | "factorof" | "false" | "floor"
            | "fn" | "forall" | "gcd" | "geq" | "grad" | "gt" | "ident" | "imaginary" | "imaginaryi" | "implies" | "in"
            | "infinity" | "int" | "integers" | "intersect" | "interval" | "inverse" | "lambda" | "laplacian" | "lcm" | "leq"
            | "limit" | "list" | "ln" | "log" | "logbase" | "lowlimit" | "lt" | "maction" | "maligngroup" | "malignmark" | "math"
            | "matrix" | "matrixrow" | "max" | "mean" | "median" | "menclose" | "merror" | "mfenced" | "mfrac" | "mglyph" | "mi"
            | "min" | "minus" | "mlabeledtr" | "mlongdiv" | "mmultiscripts" | "mn" | "mo" | "mode" | "moment" | "momentabout"
            | "mover" | "mpadded" | "mphantom" | "mprescripts" | "mroot" | "mrow" | "ms" | "mscarries" | "mscarry" | "msgroup"
            | "msline" | "mspace" | "msqrt" | "msrow" | "mstack" | "mstyle" | "msub" | "msubsup" | "msup" | "mtable" | "mtd"
            | "mtext" | "mtr" | "munder" | "munderover" | "naturalnumbers" | "neq" | "none" | "not" | "notanumber" | "notin"
            | "notprsubset" | "notsubset" | "or" | "otherwise" | "outerproduct" | "partialdiff" | "pi" | "piece" | "piecewise"
            | "plus" | "power" | "primes" | "product" | "prsubset" | "quotient" | "rationals" | "real" | "reals" | "reln" | "rem"
            | "root" | "scalarproduct" | "sdev" | "sec" | "sech" | "selector" | "semantics" | "sep" | "setdiff" | "share" | "sin"
            | "sinh" | "subset" | "sum" | "tan" | "tanh" | "tendsto" | "times" | "transpose" | "true" | "union" | "uplimit"
            | "variance" | "vector" | "vectorproduct" | "xor"
    )
}

/// Whether `name` may stay under an HTML parent (ammonia's `check_expected_namespace`).
fn namespace_expected(name: &QualName) -> bool {
    match name.ns {
        ns!(svg) => name.local == local_name!("svg"),
        ns!(mathml) => name.local == local_name!("math"),
        ns!(html) => !is_foreign_name(&name.local),
        _ => false,
    }
}

/// Elements html5ever's serialiser writes without content or end tag.
fn is_void(name: &QualName) -> bool {
    name.ns == ns!(html)
        && matches!(
            name.local,
            local_name!("area")
                | local_name!("base")
                | local_name!("basefont")
                | local_name!("bgsound")
                | local_name!("br")
                | local_name!("col")
                | local_name!("embed")
                | local_name!("frame")
                | local_name!("hr")
                | local_name!("img")
                | local_name!("input")
                | local_name!("keygen")
                | local_name!("link")
                | local_name!("meta")
                | local_name!("param")
                | local_name!("source")
                | local_name!("track")
                | local_name!("wbr")
        )
}

type Id = u32;
const NONE: Id = Id::MAX;

enum Data {
    /// The document, or a template's contents.
    Root,
    Element(Element),
    Text(StrTendril),
    /// A comment, doctype or processing instruction: never written.
    Dropped,
}

struct Element {
    name: QualName,
    attrs: Vec<Attribute>,
    template_contents: Id,
    annotation_xml_integration_point: bool,
}

struct Node {
    parent: Id,
    prev: Id,
    next: Id,
    first: Id,
    last: Id,
    data: Data,
}

/// The tree html5ever builds, as a flat arena linked by index.
struct Tree {
    nodes: RefCell<Vec<Node>>,
}

impl Tree {
    fn with_capacity(nodes: usize) -> Tree {
        let mut all = Vec::with_capacity(nodes);
        all.push(Node { parent: NONE, prev: NONE, next: NONE, first: NONE, last: NONE, data: Data::Root });
        Tree { nodes: RefCell::new(all) }
    }

    /// The node to link for `child`: the node itself, or a new text node, unless the text
    /// merged into `before` (the node it would follow).
    fn node_to_link(&self, child: NodeOrText<Id>, before: Id) -> Option<Id> {
        match child {
            NodeOrText::AppendNode(node) => Some(node),
            NodeOrText::AppendText(text) if merge_text(&mut self.nodes.borrow_mut(), before, &text) => None,
            NodeOrText::AppendText(text) => Some(self.add(Data::Text(text))),
        }
    }

    fn add(&self, data: Data) -> Id {
        let mut nodes = self.nodes.borrow_mut();
        nodes.push(Node { parent: NONE, prev: NONE, next: NONE, first: NONE, last: NONE, data });
        Id::try_from(nodes.len() - 1).expect("a document bounded by bytes has fewer nodes than u32 counts")
    }
}

fn at(nodes: &mut [Node], id: Id) -> &mut Node {
    &mut nodes[id as usize]
}

fn unlink(nodes: &mut [Node], child: Id) {
    let Node { parent, prev, next, .. } = *at(nodes, child);
    if parent == NONE {
        return;
    }
    if prev == NONE { at(nodes, parent).first = next } else { at(nodes, prev).next = next }
    if next == NONE { at(nodes, parent).last = prev } else { at(nodes, next).prev = prev }
    let node = at(nodes, child);
    (node.parent, node.prev, node.next) = (NONE, NONE, NONE);
}

fn append_child(nodes: &mut [Node], parent: Id, child: Id) {
    unlink(nodes, child);
    let last = at(nodes, parent).last;
    if last == NONE { at(nodes, parent).first = child } else { at(nodes, last).next = child }
    at(nodes, parent).last = child;
    let node = at(nodes, child);
    (node.parent, node.prev) = (parent, last);
}

fn insert_before(nodes: &mut [Node], sibling: Id, child: Id) {
    unlink(nodes, child);
    let Node { parent, prev, .. } = *at(nodes, sibling);
    if prev == NONE { at(nodes, parent).first = child } else { at(nodes, prev).next = child }
    at(nodes, sibling).prev = child;
    let node = at(nodes, child);
    (node.parent, node.prev, node.next) = (parent, prev, sibling);
}

/// Text appended to `text` when it is a text node (as the DOM merges adjacent text).
fn merge_text(nodes: &mut [Node], text: Id, more: &StrTendril) -> bool {
    if text == NONE {
        return false;
    }
    match &mut at(nodes, text).data {
        Data::Text(contents) => {
            contents.push_tendril(more);
            true
        }
        _ => false,
    }
}

/// An element's name as the tree builder asks for it (owned: the arena may grow meanwhile).
#[derive(Debug)]
struct Name {
    ns: Namespace,
    local: LocalName,
}

impl ElemName for Name {
    fn ns(&self) -> &Namespace {
        &self.ns
    }
    fn local_name(&self) -> &LocalName {
        &self.local
    }
}

impl TreeSink for Tree {
    type Handle = Id;
    type Output = Self;
    type ElemName<'a> = Name;

    fn finish(self) -> Self {
        self
    }

    fn parse_error(&self, _message: std::borrow::Cow<'static, str>) {}

    fn get_document(&self) -> Id {
        0
    }

    fn elem_name<'a>(&'a self, target: &'a Id) -> Name {
        match &self.nodes.borrow()[*target as usize].data {
            Data::Element(element) => Name { ns: element.name.ns.clone(), local: element.name.local.clone() },
            _ => unreachable!("the tree builder asks only elements for their names"),
        }
    }

    fn create_element(&self, name: QualName, attrs: Vec<Attribute>, flags: ElementFlags) -> Id {
        let template_contents = if flags.template { self.add(Data::Root) } else { NONE };
        let annotation_xml_integration_point = flags.mathml_annotation_xml_integration_point;
        self.add(Data::Element(Element { name, attrs, template_contents, annotation_xml_integration_point }))
    }

    fn create_comment(&self, _text: StrTendril) -> Id {
        self.add(Data::Dropped)
    }

    fn create_pi(&self, _target: StrTendril, _data: StrTendril) -> Id {
        self.add(Data::Dropped)
    }

    fn append(&self, parent: &Id, child: NodeOrText<Id>) {
        let last = self.nodes.borrow()[*parent as usize].last;
        if let Some(child) = self.node_to_link(child, last) {
            append_child(&mut self.nodes.borrow_mut(), *parent, child);
        }
    }

    fn append_based_on_parent_node(&self, element: &Id, prev_element: &Id, child: NodeOrText<Id>) {
        if self.nodes.borrow()[*element as usize].parent == NONE {
            self.append(prev_element, child);
        } else {
            self.append_before_sibling(element, child);
        }
    }

    fn append_doctype_to_document(&self, _name: StrTendril, _public_id: StrTendril, _system_id: StrTendril) {}

    fn get_template_contents(&self, target: &Id) -> Id {
        match &self.nodes.borrow()[*target as usize].data {
            Data::Element(element) if element.template_contents != NONE => element.template_contents,
            _ => unreachable!("the tree builder asks only templates for their contents"),
        }
    }

    fn same_node(&self, x: &Id, y: &Id) -> bool {
        x == y
    }

    fn set_quirks_mode(&self, _mode: QuirksMode) {}

    fn append_before_sibling(&self, sibling: &Id, child: NodeOrText<Id>) {
        let prev = self.nodes.borrow()[*sibling as usize].prev;
        if let Some(child) = self.node_to_link(child, prev) {
            insert_before(&mut self.nodes.borrow_mut(), *sibling, child);
        }
    }

    fn add_attrs_if_missing(&self, target: &Id, attrs: Vec<Attribute>) {
        if let Data::Element(element) = &mut self.nodes.borrow_mut()[*target as usize].data {
            for attr in attrs {
                if !element.attrs.iter().any(|existing| existing.name == attr.name) {
                    element.attrs.push(attr);
                }
            }
        }
    }

    fn remove_from_parent(&self, target: &Id) {
        unlink(&mut self.nodes.borrow_mut(), *target);
    }

    fn reparent_children(&self, node: &Id, new_parent: &Id) {
        let mut nodes = self.nodes.borrow_mut();
        while nodes[*node as usize].first != NONE {
            let child = nodes[*node as usize].first;
            append_child(&mut nodes, *new_parent, child);
        }
    }

    fn is_mathml_annotation_xml_integration_point(&self, handle: &Id) -> bool {
        matches!(&self.nodes.borrow()[*handle as usize].data, Data::Element(element) if element.annotation_xml_integration_point)
    }
}

/// `link_rel` of the policy.
pub(super) const LINK_REL: &str = "noopener noreferrer";

/// Removes the attributes at `drop` (ascending) as ammonia does: each by moving the last
/// attribute into its place, the highest index first.
fn swap_remove_all(attrs: &mut Vec<Attribute>, drop: &[usize]) {
    for &i in drop.iter().rev() {
        attrs.swap_remove(i);
    }
}

/// Steps 2 and 3 of the rules on one element: its attributes as they will be written (for
/// an element that is not kept, what is left only matters for the URL rules' record of a
/// dropped URL).
fn clean_attributes(element: &mut Element, kept: bool) {
    let tag = &element.name.local;
    let attrs = &mut element.attrs;
    if kept {
        attrs.retain(|attr| {
            let name = &attr.name.local;
            attribute_allowed(tag, name) && (!is_url_attribute(tag, name) || scheme_allowed(&attr.value))
        });
    }
    if *tag == local_name!("a") {
        attrs.push(Attribute { name: QualName::new(None, ns!(), local_name!("rel")), value: StrTendril::from_slice(LINK_REL) });
    }
    let mut drop = Vec::new();
    for (i, attr) in attrs.iter_mut().enumerate() {
        if !is_url_attribute(tag, &attr.name.local) {
            continue;
        }
        match filter_url_attribute(tag, &attr.name.local, &attr.value) {
            None => drop.push(i),
            Some(value) if *value != *attr.value => attr.value = StrTendril::from_slice(&value),
            Some(_) => {}
        }
    }
    swap_remove_all(attrs, &drop);
    drop.clear();
    for (i, attr) in attrs.iter_mut().enumerate() {
        if resolves_relative(tag, &attr.name.local) && is_relative_url(&attr.value) {
            match resolve_relative(&attr.value) {
                Some(absolute) => attr.value = StrTendril::from_slice(&absolute),
                None => drop.push(i),
            }
        }
    }
    swap_remove_all(attrs, &drop);
}

/// `text` escaped as html5ever's serialiser escapes it: `&`, `<`, `>` and the no-break
/// space everywhere, `"` in attribute values.
fn push_escaped(out: &mut Vec<u8>, text: &str, in_attribute: bool) {
    let bytes = text.as_bytes();
    let quote = if in_attribute { b'"' } else { b'<' };
    let find_angle = |from: usize| memchr3(quote, b'<', b'>', &bytes[from..]).map_or(bytes.len(), |i| from + i);
    let mut angle = find_angle(0);
    let (mut written, mut from) = (0, 0);
    loop {
        let next = memchr2(b'&', 0xC2, &bytes[from..angle]).map_or(angle, |i| from + i);
        if next == bytes.len() {
            break;
        }
        let (escape, len) = match bytes[next] {
            b'&' => ("&amp;", 1),
            b'"' => ("&quot;", 1),
            b'<' => ("&lt;", 1),
            b'>' => ("&gt;", 1),
            0xC2 if bytes.get(next + 1) == Some(&0xA0) => ("&nbsp;", 2),
            _ => {
                from = next + 1;
                continue;
            }
        };
        out.extend_from_slice(&bytes[written..next]);
        out.extend_from_slice(escape.as_bytes());
        (written, from) = (next + len, next + len);
        if next == angle {
            angle = find_angle(from);
        }
    }
    out.extend_from_slice(&bytes[written..]);
}

fn push_start_tag(out: &mut Vec<u8>, element: &Element) {
    out.push(b'<');
    out.extend_from_slice(element.name.local.as_bytes());
    for attr in &element.attrs {
        out.push(b' ');
        match attr.name.ns {
            ns!() => {}
            ns!(xml) => out.extend_from_slice(b"xml:"),
            ns!(xmlns) if attr.name.local != local_name!("xmlns") => out.extend_from_slice(b"xmlns:"),
            ns!(xmlns) => {}
            ns!(xlink) => out.extend_from_slice(b"xlink:"),
            _ => out.extend_from_slice(b"unknown_namespace:"),
        }
        out.extend_from_slice(attr.name.local.as_bytes());
        out.extend_from_slice(b"=\"");
        push_escaped(out, &attr.value, true);
        out.push(b'"');
    }
    out.push(b'>');
}

/// Where a pass writes: the HTML, and (when asked) its text as `html_to_text` would read it
/// back, made from the same walk instead of parsing the HTML again for the index.
pub(super) struct Output<'a> {
    pub(super) html: &'a mut Vec<u8>,
    pub(super) text: Option<&'a mut String>,
}

impl Output<'_> {
    fn text(&mut self, text: &str) {
        push_escaped(self.html, text, false);
        if let Some(plain) = self.text.as_deref_mut() {
            super::push_plain_text(plain, text);
        }
    }

    /// A tag is a word break in the text.
    fn tag_break(&mut self) {
        if let Some(plain) = self.text.as_deref_mut()
            && !plain.is_empty()
            && !plain.ends_with(' ')
        {
            plain.push(' ');
        }
    }

    fn start_tag(&mut self, element: &Element) {
        push_start_tag(self.html, element);
        self.tag_break();
    }

    fn end_tag(&mut self, name: &LocalName) {
        self.html.extend_from_slice(b"</");
        self.html.extend_from_slice(name.as_bytes());
        self.html.push(b'>');
        self.tag_break();
    }
}

/// The tree builders a pass may use.
#[derive(Clone, Copy)]
pub(super) enum Builders {
    /// `straight`'s alone: the pass gives up (`None`, nothing written) where it does.
    Straight,
    /// `straight`'s, then html5ever's where it gives up.
    Any,
    /// html5ever's alone (where `straight` gave up on the same markup).
    Html5ever,
}

/// One pass of the policy over `html`, written to `out` (URL rules read the thread's base).
/// Returns how deep the elements it wrote nest (void ones included), and its formatting
/// elements alone; `None` only for `Builders::Straight` giving up.
pub(super) fn policy_pass_into(html: &str, out: &mut Output<'_>, builders: Builders) -> Option<Nesting> {
    Some(policy_walk_into(parse(html, builders)?, out))
}

/// `html` parsed as a fragment inside a `<div>`: by our tokenizer when it can, else by
/// html5ever's; into `straight`'s tree builder or html5ever's, as `builders` says.
fn parse(html: &str, builders: Builders) -> Option<Tree> {
    // About one node per 40 bytes of an article's markup.
    let capacity = html.len() / 40 + 8;
    let new_tree = || Tree::with_capacity(capacity);
    match builders {
        Builders::Straight => super::tokenizer::parse_straight(html, new_tree()),
        Builders::Any => Some(super::tokenizer::parse_fragment(html, true, new_tree).unwrap_or_else(|| parse_by_html5ever(html, capacity))),
        Builders::Html5ever => Some(super::tokenizer::parse_fragment(html, false, new_tree).unwrap_or_else(|| parse_by_html5ever(html, capacity))),
    }
}

fn parse_by_html5ever(html: &str, capacity: usize) -> Tree {
    let context = QualName::new(None, ns!(html), local_name!("div"));
    html5ever::parse_fragment(Tree::with_capacity(capacity), ParseOpts::default(), context, vec![], false).one(html)
}

/// `policy_pass_into` with html5ever's tokenizer only (the tests compare the two).
#[cfg(test)]
pub(super) fn policy_pass_by_html5ever_into(html: &str, out: &mut Output<'_>) -> Nesting {
    policy_walk_into(parse_by_html5ever(html, 8), out)
}

/// Whether our tokenizer reads `html` to the end (else html5ever's does).
#[cfg(test)]
pub(super) fn byte_tokenizer_reads(html: &str) -> bool {
    super::tokenizer::parse_fragment(html, false, || Tree::with_capacity(8)).is_some()
}

/// The tree `straight`'s builder makes of `html` (if it reads it to the end) and the one
/// html5ever's tree builder makes from the byte tokenizer's tokens, written out node by node.
#[cfg(any(test, feature = "reference-sanitizer"))]
pub(super) fn straight_and_html5ever_trees(html: &str) -> (Option<String>, Option<String>) {
    let straight = super::tokenizer::parse_straight(html, Tree::with_capacity(8));
    let html5ever = super::tokenizer::parse_fragment(html, false, || Tree::with_capacity(8));
    (straight.map(|tree| dump(&tree)), html5ever.map(|tree| dump(&tree)))
}

/// Every node in document order: elements with their attributes, text, and what is dropped.
#[cfg(any(test, feature = "reference-sanitizer"))]
fn dump(tree: &Tree) -> String {
    use std::fmt::Write;
    fn node(nodes: &[Node], id: Id, depth: usize, out: &mut String) {
        let indent = "  ".repeat(depth);
        match &nodes[id as usize].data {
            Data::Root => {}
            Data::Element(element) => {
                let attrs: Vec<String> = element.attrs.iter().map(|a| format!("{}={:?}", a.name.local, &*a.value)).collect();
                let _ = writeln!(out, "{indent}<{:?} {}> {}", element.name.ns, element.name.local, attrs.join(" "));
            }
            Data::Text(text) => {
                let _ = writeln!(out, "{indent}{:?}", &**text);
            }
            Data::Dropped => {
                let _ = writeln!(out, "{indent}(dropped)");
            }
        }
        let mut child = nodes[id as usize].first;
        while child != NONE {
            node(nodes, child, depth + 1, out);
            child = nodes[child as usize].next;
        }
    }
    let mut out = String::new();
    node(&tree.nodes.borrow(), 0, 0, &mut out);
    out
}

/// `depth::is_formatting` by atoms: looked up by name, it was 1–2 % of sanitising.
pub(super) fn is_formatting(name: &LocalName) -> bool {
    matches!(
        *name,
        local_name!("a")
            | local_name!("b")
            | local_name!("big")
            | local_name!("code")
            | local_name!("em")
            | local_name!("font")
            | local_name!("i")
            | local_name!("nobr")
            | local_name!("s")
            | local_name!("small")
            | local_name!("strike")
            | local_name!("strong")
            | local_name!("tt")
            | local_name!("u")
    )
}

#[cfg(test)]
#[test]
fn formatting_elements_by_atom_are_the_depth_bounds_formatting_elements() {
    for name in ALLOWED_TAGS.iter().chain(CONTENT_DROPPED_TAGS).chain(&["nobr", "big", "font", "tt", "strike", "x-b", "bb"]) {
        assert_eq!(is_formatting(&LocalName::from(*name)), super::depth::is_formatting(name), "{name}");
    }
}

/// The policy's walk over a parsed tree (`policy_pass_into`).
fn policy_walk_into(tree: Tree, out: &mut Output<'_>) -> Nesting {
    let mut nodes = tree.nodes.into_inner();
    // The fragment's `<html>` root, the first child of the document.
    let root = nodes[0].first;
    enum Step {
        Visit(Id),
        /// The end of a kept element: its end tag, unless it is void; whether it is a
        /// formatting element.
        Close(Id, bool),
    }
    let mut steps: Vec<Step> = Vec::with_capacity(64);
    let push_children = |steps: &mut Vec<Step>, nodes: &[Node], parent: Id| {
        let mut child = nodes[parent as usize].last;
        while child != NONE {
            steps.push(Step::Visit(child));
            child = nodes[child as usize].prev;
        }
    };
    push_children(&mut steps, &nodes, root);
    // Inside a kept void element nothing is written (none has content from the parser).
    let mut void_depth = 0usize;
    let (mut depth, mut deepest) = (Nesting::default(), Nesting::default());
    while let Some(step) = steps.pop() {
        let id = match step {
            Step::Visit(id) => id,
            Step::Close(id, formatting) => {
                let Data::Element(element) = &nodes[id as usize].data else { unreachable!("only elements are closed") };
                depth.elements -= 1;
                depth.formatting -= usize::from(formatting);
                if is_void(&element.name) {
                    void_depth -= 1;
                } else if void_depth == 0 {
                    out.end_tag(&element.name.local);
                }
                continue;
            }
        };
        match &mut nodes[id as usize].data {
            Data::Text(text) => {
                if void_depth == 0 {
                    out.text(text);
                }
            }
            Data::Root | Data::Dropped => push_children(&mut steps, &nodes, id),
            Data::Element(element) => {
                let kept = tag_allowed(&element.name.local);
                clean_attributes(element, kept);
                let name = &element.name;
                // CONTENT_DROPPED_TAGS
                if matches!(name.local, local_name!("script") | local_name!("style")) || !namespace_expected(name) {
                    continue;
                }
                if kept {
                    if void_depth == 0 {
                        out.start_tag(element);
                    }
                    let formatting = is_formatting(&element.name.local);
                    depth.elements += 1;
                    depth.formatting += usize::from(formatting);
                    deepest.elements = deepest.elements.max(depth.elements);
                    deepest.formatting = deepest.formatting.max(depth.formatting);
                    if is_void(&element.name) {
                        void_depth += 1;
                    }
                    steps.push(Step::Close(id, formatting));
                }
                push_children(&mut steps, &nodes, id);
            }
        }
    }
    deepest
}
