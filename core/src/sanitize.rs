//! The one HTML policy. Everything from the network passes through `sanitize_html` before
//! it is stored: no script, style, iframe, form, event handler or non-http(s) URL survives,
//! every `src` left is an absolute http(s) URL, and every `href` an absolute http(s) or a
//! `mailto:` one. Nothing may point at the app's own origins (`localhost`, `*.localhost`).

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::collections::HashSet;

use url::Url;

use tree::Builders;

pub mod depth;
#[cfg(test)]
mod differential;
mod readback;
mod straight;
mod tokenizer;
#[cfg(any(test, feature = "reference-sanitizer"))]
pub(crate) mod reference;
mod tree;

thread_local! {
    static BASE: RefCell<Option<Url>> = const { RefCell::new(None) };
    /// Set when our URL rules dropped an attribute during a pass (see `sanitize_html`).
    static URL_DROPPED: Cell<bool> = const { Cell::new(false) };
    static ONE_PASS_TAGS: Vec<u128> = one_pass_tags();
}

/// Tags after which one pass of the policy leaves a fixed point. The policy's own tags
/// keep the tree the parser built, which reads back the same, except for `table` (foster
/// parenting builds trees such as an `<a>` inside an `<a>` that read back otherwise). The
/// parser can also put a heading directly inside a heading, or a link inside a link, with
/// these tags alone, which `nests_headings` and `nests_anchors` find in the output instead. The
/// tags it drops with their content, and the ones whose content is only text (or nothing),
/// leave no element behind that could nest differently. Any other tag (a `<button>` or
/// `<object>` dropped around a `<p>` inside a `<p>`, foreign content, `<noscript>`) needs
/// the second pass.
///
/// Kept as `depth::name_key`s, sorted: a set of strings cost a hash and a lowercased copy of
/// every tag of every body. A name too long for a key is left out, so it gets the second pass.
fn one_pass_tags() -> Vec<u128> {
    let mut tags: HashSet<&str> = tree::ALLOWED_TAGS.iter().chain(tree::CONTENT_DROPPED_TAGS).copied().collect();
    tags.extend(["iframe", "noembed", "noframes", "xmp", "textarea", "title", "input"]);
    tags.remove("table");
    let mut keys: Vec<u128> = tags.into_iter().filter_map(depth::name_key).collect();
    keys.sort_unstable();
    keys
}

/// Whether `html` has a start tag outside `ONE_PASS_TAGS` (or one that is not ASCII).
/// Text that only looks like a tag (inside a script, say) counts too: a needless second
/// pass costs time, never safety.
fn needs_second_pass(html: &str) -> bool {
    let bytes = html.as_bytes();
    ONE_PASS_TAGS.with(|tags| {
        memchr::memchr_iter(b'<', bytes).any(|lt| {
            let rest = &bytes[lt + 1..];
            if !rest.first().is_some_and(u8::is_ascii_alphabetic) {
                return false;
            }
            let end = rest.iter().position(|&b| b.is_ascii_whitespace() || b == b'/' || b == b'>').unwrap_or(rest.len());
            let Ok(tag) = std::str::from_utf8(&rest[..end]) else { return true };
            depth::name_key(tag).is_none_or(|key| tags.binary_search(&key).is_err())
        })
    })
}

/// Whether the policy's output (every element closed in order) has a heading inside a
/// heading, which the parser closes when it reads it back. The policy's tags alone build
/// one: a heading opened inside a link inside a heading is moved by the adoption agency to
/// sit directly in the outer one (`<h1><a><h1><a>`, found by the `sanitize` fuzz target).
fn nests_headings(output: &str) -> bool {
    let bytes = output.as_bytes();
    let mut open = 0usize;
    for lt in memchr::memchr_iter(b'<', bytes) {
        let (end, at) = match bytes.get(lt + 1) {
            Some(b'/') => (true, lt + 2),
            _ => (false, lt + 1),
        };
        if bytes.get(at) != Some(&b'h') || !bytes.get(at + 1).is_some_and(|digit| (b'1'..=b'6').contains(digit)) {
            continue;
        }
        if !matches!(bytes.get(at + 2), Some(b'>' | b' ')) {
            continue;
        }
        if end {
            open = open.saturating_sub(1);
        } else if open > 0 {
            return true;
        } else {
            open += 1;
        }
    }
    false
}

/// Whether the policy's output has a link inside a link, which the parser takes apart when
/// it reads it back. The adoption agency builds one from the policy's tags alone when a
/// second `<a>` opens inside a block inside a link (found by the `sanitize` fuzz target:
/// not a fixed point).
fn nests_anchors(output: &str) -> bool {
    let bytes = output.as_bytes();
    let mut open = 0usize;
    for lt in memchr::memchr_iter(b'<', bytes) {
        match (bytes.get(lt + 1), bytes.get(lt + 2), bytes.get(lt + 3)) {
            (Some(b'a'), Some(b' ' | b'>'), _) if open > 0 => return true,
            (Some(b'a'), Some(b' ' | b'>'), _) => open += 1,
            (Some(b'/'), Some(b'a'), Some(b'>')) => open = open.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// A pass's output without unwanted controls, then with a `<pre>`'s leading line feed kept:
/// in this order, since a control between `<pre>` and its line feed hid the line feed from
/// `keep_pre_line_feeds` and was then stripped, and the next sanitise dropped the line feed
/// (`<pre>\u{8}\n`, found by the `sanitize` fuzz target).
fn finish_pass(out: String) -> String {
    let out = match strip_controls(&out) {
        Cow::Borrowed(_) => out,
        Cow::Owned(stripped) => stripped,
    };
    keep_pre_line_feeds(out)
}

/// The serialiser writes a `<pre>`'s leading line feed as it is, and the parser drops the
/// first line feed after `<pre>`: one more keeps the text a fixed point (the HTML spec's
/// serialisation did this before 2016).
fn keep_pre_line_feeds(html: String) -> String {
    if !html.contains("\n") || !html.contains("<pre") {
        return html;
    }
    let mut out = String::with_capacity(html.len() + 16);
    let mut rest = html.as_str();
    while let Some(at) = rest.find("<pre") {
        let Some(gt) = rest[at..].find('>') else { break };
        let open_end = at + gt + 1;
        out.push_str(&rest[..open_end]);
        let is_pre = matches!(rest.as_bytes().get(at + 4), Some(b'>' | b' '));
        if is_pre && rest[open_end..].starts_with('\n') {
            out.push('\n');
        }
        rest = &rest[open_end..];
    }
    out.push_str(rest);
    out
}

/// A relative URL resolved against the base, when that gives an http(s) URL; `None` drops
/// the attribute (and records that a URL was dropped).
fn resolve_relative(relative: &str) -> Option<String> {
    BASE.with(|base| {
        let base = base.borrow();
        let absolute = base.as_ref().and_then(|base| base.join(relative).ok()).filter(|a| matches!(a.scheme(), "http" | "https"));
        if absolute.is_none() {
            URL_DROPPED.with(|dropped| dropped.set(true));
        }
        absolute.map(String::from)
    })
}

/// Our rules for an attribute holding a URL (`is_url_attribute`), after the policy's
/// schemes: `None` drops it (and records that a URL was dropped).
fn filter_url_attribute<'v>(element: &str, attribute: &str, value: &'v str) -> Option<Cow<'v, str>> {
    // A value the browser reads otherwise than written is checked again as it reads it:
    // the policy's schemes were checked on the value as written.
    let read = url_allowed(element, attribute, value)
        .then(|| url_as_the_browser_reads_it(value))
        .filter(|read| matches!(read, Cow::Borrowed(_)) || scheme_allowed(read));
    if read.is_none() {
        URL_DROPPED.with(|dropped| dropped.set(true));
    }
    read
}

/// The URL schemes an attribute may hold: http(s), `mailto:`, or none (a relative URL,
/// resolved against the base later).
fn scheme_allowed(value: &str) -> bool {
    if plain_http_host(value).is_some() {
        return true;
    }
    match Url::parse(value) {
        Ok(url) => matches!(url.scheme(), "http" | "https" | "mailto"),
        Err(error) => error == url::ParseError::RelativeUrlWithoutBase,
    }
}

/// Whether a URL attribute may stay: never to the app's own origins, `mailto:` only as a
/// link. `value` may be relative (it is resolved after this filter).
fn url_allowed(element: &str, attribute: &str, value: &str) -> bool {
    if let Some(host) = plain_http_host(value) {
        return !is_local_host(host);
    }
    if is_plain_relative_path(value)
        && let Some(base_is_local) = BASE.with(|base| base.borrow().as_ref().and_then(http_base_is_local))
    {
        return !base_is_local;
    }
    let resolved = BASE.with(|base| match base.borrow().as_ref() {
        Some(base) => base.join(value.trim()),
        None => Url::parse(value.trim()),
    });
    let Ok(url) = resolved else { return true };
    if url.scheme() == "mailto" {
        return element == "a" && attribute == "href";
    }
    !url.host_str().is_some_and(is_local_host)
}

/// The host of `value` when it is an absolute http(s) URL plain enough to read without the
/// URL parser, which then reads it as written, against any base or none: `http://` or
/// `https://`, a host name of lower-case letters, digits, `-` and `.` (no empty label, none
/// starting `xn--`, which IDNA checks, the last starting with a letter, so not an IPv4
/// address), a port of up to five digits, then `/` or the end; no space, control or
/// backslash anywhere. Each URL attribute was parsed three times (for its scheme, our rules,
/// and whether it is relative): a seventh of sanitising (BENCHMARKS.md, issue 15).
/// `a_plain_url_is_read_as_the_url_parser_reads_it` holds this to the parser.
pub(super) fn plain_http_host(value: &str) -> Option<&str> {
    let rest = value.strip_prefix("https://").or_else(|| value.strip_prefix("http://"))?;
    let bytes = rest.as_bytes();
    // One pass over the host: its labels, each checked as it starts.
    let mut end = 0;
    let mut label = 0;
    while let Some(&b) = bytes.get(end) {
        match b {
            b'a'..=b'z' | b'0'..=b'9' | b'-' => {}
            b'.' if end > label => label = end + 1,
            b'.' => return None,
            _ => break,
        }
        if end == label && bytes[label..].starts_with(b"xn--") {
            return None;
        }
        end += 1;
    }
    // The last label is not empty and starts with a letter (so the host is no number).
    if !bytes.get(label).is_some_and(u8::is_ascii_lowercase) || label >= end {
        return None;
    }
    let mut after = end;
    if bytes.get(after) == Some(&b':') {
        let digits = bytes[after + 1..].iter().take_while(|b| b.is_ascii_digit()).count();
        if !(1..=5).contains(&digits) || rest[after + 1..after + 1 + digits].parse::<u32>().ok()? > 65535 {
            return None;
        }
        after += 1 + digits;
    }
    let plain_rest = bytes.get(after).is_none_or(|&b| b == b'/') && !has_space_control_or_backslash(&bytes[after..]);
    plain_rest.then_some(&rest[..end])
}

/// What the URL parser drops, skips or reads as `/` somewhere in a URL (outside our plain forms).
fn has_space_control_or_backslash(bytes: &[u8]) -> bool {
    bytes.iter().any(|&b| b <= b' ' || b == b'\\')
}

/// Whether `value` is a relative URL that keeps its base's scheme and host, plainly enough
/// to tell without the URL parser: not empty, no space, control or backslash, not `//…`,
/// and no `:` before its first `/`, `?` or `#` (so no scheme).
pub(super) fn is_plain_relative_path(value: &str) -> bool {
    let bytes = value.as_bytes();
    let before_path = bytes.iter().position(|&b| matches!(b, b'/' | b'?' | b'#')).unwrap_or(bytes.len());
    !bytes.is_empty()
        && !bytes.starts_with(b"//")
        && !bytes[..before_path].contains(&b':')
        && !has_space_control_or_backslash(bytes)
}

/// For an http(s) base with a host, whether that host is one of ours (`is_local_host`): what
/// `url_allowed` says of every plain relative path against it. `None` for any other base.
fn http_base_is_local(base: &Url) -> Option<bool> {
    if !matches!(base.scheme(), "http" | "https") {
        return None;
    }
    base.host_str().map(is_local_host)
}

/// A URL attribute without the spaces and controls a browser ignores around it, and
/// `mailto:` in lower case: what is stored is what the link does (found by fuzzing: a site
/// page's `href=" MailTo:…"` was kept as written). Only C0 controls and space: the URL
/// parser keeps DEL, so `\u{7f}javascript:x` is a relative link, and trimming DEL as well
/// made it `javascript:x` (found by the `feed` fuzz target).
fn url_as_the_browser_reads_it(value: &str) -> Cow<'_, str> {
    let trimmed = value.trim_matches(|c: char| c <= ' ');
    // The URL parser drops tabs and line breaks anywhere in a URL: `mailto\t:x` is a
    // `mailto:` link (found by the property test at 50,000 cases).
    let url = if trimmed.contains(['\t', '\n', '\r']) { Cow::Owned(trimmed.replace(['\t', '\n', '\r'], "")) } else { Cow::Borrowed(trimmed) };
    match url.get(..7) {
        Some(scheme) if scheme.eq_ignore_ascii_case("mailto:") && scheme != "mailto:" => Cow::Owned(format!("mailto:{}", &url[7..])),
        _ if url.len() != value.len() => Cow::Owned(url.into_owned()),
        _ => Cow::Borrowed(value),
    }
}

/// Whether a picture URL from a feed or page (an article's cover) may be stored: http(s) only,
/// and never the app's own origins, the rule `sanitize_html` holds HTML to.
pub(crate) fn picture_url_allowed(url: &str) -> bool {
    Url::parse(url.trim()).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && !u.host_str().is_some_and(is_local_host))
}

/// `localhost` and its subdomains: in the app, `ipc.localhost`, `tauri.localhost` and
/// `caliber-img.localhost` are its own origins (and the rest loop back to this machine).
fn is_local_host(host: &str) -> bool {
    // Compared without a lower-cased copy: this runs for every URL attribute.
    const LOCAL: &[u8] = b"localhost";
    let host = host.trim_end_matches('.').as_bytes();
    let Some(label_start) = host.len().checked_sub(LOCAL.len()) else { return false };
    host[label_start..].eq_ignore_ascii_case(LOCAL) && (label_start == 0 || host[label_start - 1] == b'.')
}

/// Attributes ammonia treats as URLs (`is_url_attr` there; its exceptions for SVG's
/// animation elements never meet an element the policy keeps).
fn is_url_attribute(element: &str, attribute: &str) -> bool {
    matches!(attribute, "href" | "src" | "xlink:href")
        || matches!((element, attribute), ("form", "action") | ("object", "data") | ("button" | "input", "formaction") | ("a", "ping") | ("video", "poster"))
}

/// Sanitise untrusted HTML, resolving relative URLs against `base`. Tags nested deeper
/// than `depth::MAX_DEPTH` are dropped (their text stays): parsing deep nesting is quadratic.
pub fn sanitize_html(html: &str, base: &Url) -> String {
    sanitize(html, base, None, true)
}

/// `sanitize_html`, and the text of what it returns exactly as `html_to_text` reads it back:
/// made in the same walk, so the index's text needs no second parse of the body.
pub fn sanitize_html_and_text(html: &str, base: &Url) -> (String, String) {
    let mut text = String::new();
    let html = sanitize(html, base, Some(&mut text), true);
    let trimmed = text.trim_end().len();
    text.truncate(trimmed);
    (html, text)
}

/// Passes of the policy after the second while the output does not read back as written:
/// each undoes one level of what the parser re-nests, and nothing nests deeper than the
/// bound. The fuzz findings needed one, then (links in blocks in links, many levels deep)
/// more than three; an input that needs them all costs that many passes, and only such an
/// input.
const MORE_PASSES: usize = depth::MAX_DEPTH;

/// `bound_again`: whether output nested deeper than the bound may be cleaned once more.
fn sanitize(html: &str, base: &Url, text: Option<&mut String>, bound_again: bool) -> String {
    sanitize_with(html, base, text, bound_again, false)
}

/// `bound_first`: `depth::bound` before any tree builder, as before `straight` (the tests
/// compare the two).
fn sanitize_with(html: &str, base: &Url, mut text: Option<&mut String>, bound_again: bool, bound_first: bool) -> String {
    BASE.with(|b| *b.borrow_mut() = Some(base.clone()));
    // Removing an element keeps its children, which can leave markup the parser nests
    // differently when it reads it back (a `<p>` inside a `<p>`, found by fuzzing): then a
    // second pass cleans the tree the web view will actually build. Only then: the second
    // pass was a quarter of all sanitising (see `needs_second_pass`).
    // And only when the first pass's output would not read back as the tree it was
    // written from (`readback`): a dropped `<form>` or `<picture>`, or a well-formed table,
    // leaves markup that does. A carriage return (`&#13;`) reads back as a line feed.
    // An attribute our URL rules drop is removed as ammonia removes it, by `swap_remove`,
    // which moves the element's last attribute into its place: a second pass would put them
    // back in order, so the first pass's output is not a fixed point (found by the property
    // test at 50,000 cases: `<a href="//localhost/x" lang="x">`). Then the second pass is made.
    URL_DROPPED.with(|dropped| dropped.set(false));
    // Markup that nests as written is read as it is by `straight`, which gives up past
    // `depth`'s bounds: the tree it builds is within them, so `depth::bound`'s pass (a tenth
    // of sanitising) is not needed. Anything else is bounded first, for html5ever's tree
    // builder, whose rules walk its whole stack at almost every tag.
    let straight = if bound_first { None } else { policy_pass_with(html, text.as_deref_mut(), Builders::Straight) };
    let (html, (mut clean, mut deepest)) = match straight {
        Some(pass) => (Cow::Borrowed(html), pass),
        None => {
            let bounded = depth::bound(html);
            let builders = if bound_first { Builders::Any } else { Builders::Html5ever };
            let pass = policy_pass_with(&bounded, text.as_deref_mut(), builders).expect("html5ever's tree builder reads anything");
            (bounded, pass)
        }
    };
    let dropped = URL_DROPPED.with(Cell::get);
    let suspect = needs_second_pass(&html) || clean.contains('\r') || nests_headings(&clean) || nests_anchors(&clean);
    if dropped || (suspect && !readback::reads_back_the_same(&clean)) {
        // The second pass's tree can itself read back otherwise: the adoption agency moved a
        // heading into a heading again (found by the `sanitize` fuzz target). Then more
        // passes, until one reads back as it was written, or gives what it was given (a
        // fixed point `readback`, which errs on the side of a pass, does not see: without
        // this check much generated markup took every pass, 20 times the time).
        for pass in 0..=MORE_PASSES {
            if pass > 0 && readback::reads_back_the_same(&clean) {
                break;
            }
            if let Some(text) = text.as_deref_mut() {
                text.clear();
            }
            let (next, next_deepest) = policy_pass_with(&clean, text.as_deref_mut(), Builders::Any).expect("html5ever's tree builder reads anything");
            let settled = next == clean;
            (clean, deepest) = (next, next_deepest);
            if settled {
                break;
            }
        }
    }
    // `depth::bound` models the parser's stack closely enough to keep the tree within
    // MAX_DEPTH, but not exactly: nested tables with foster-parented markup came out one
    // element deeper, and the next sanitise cut them (not a fixed point; found by the
    // `sanitize` fuzz target). So did formatting: an `</a>` the parser ignores (an
    // `<object>` stands between) let 32 more formatting elements open inside the `<a>`
    // (found by it too). Such output is bounded and cleaned once more.
    if deepest.beyond_bound() && bound_again {
        if let Some(text) = text.as_deref_mut() {
            text.clear();
        }
        clean = sanitize_with(&clean, base, text, false, bound_first);
    }
    // No control character is left: each pass strips them after parsing (`finish_pass`),
    // where `&#27;` has become one too.
    clean
}

/// `sanitize_html_and_text` with `depth::bound` before any tree builder, as before
/// `straight` read markup unbounded (the tests compare the two).
#[cfg(test)]
fn sanitize_html_and_text_bounded_first(html: &str, base: &Url) -> (String, String) {
    let mut text = String::new();
    let html = sanitize_with(html, base, Some(&mut text), true, true);
    let trimmed = text.trim_end().len();
    text.truncate(trimmed);
    (html, text)
}

/// Sets the thread's base for a pass of the policy on its own (tests, `fuzzing`).
#[cfg(any(test, feature = "reference-sanitizer"))]
pub(crate) fn set_base_for_tests(base: &Url) {
    BASE.with(|b| *b.borrow_mut() = Some(base.clone()));
}

/// The trees `straight`'s builder (where it reads `html` to the end) and html5ever's tree
/// builder make of `html`, written out node by node (the `sanitize` fuzz target compares them).
#[cfg(any(test, feature = "reference-sanitizer"))]
pub(crate) fn straight_and_html5ever_trees(html: &str) -> (Option<String>, Option<String>) {
    tree::straight_and_html5ever_trees(html)
}

/// One pass of the policy (`BASE` set), for the tests and the reference.
#[cfg(any(test, feature = "reference-sanitizer"))]
fn policy_pass(html: &str) -> String {
    policy_pass_with(html, None, Builders::Any).expect("html5ever's tree builder reads anything").0
}

/// One pass of the policy, its text also pushed to `text` when asked (`tree::Output`), and
/// how deep what it wrote nests; `None` (nothing written) where `builders` give up.
fn policy_pass_with(html: &str, text: Option<&mut String>, builders: Builders) -> Option<(String, depth::Nesting)> {
    let mut out = Vec::with_capacity(html.len());
    let deepest = tree::policy_pass_into(html, &mut tree::Output { html: &mut out, text }, builders)?;
    debug_assert!(std::str::from_utf8(&out).is_ok(), "the pass writes UTF-8");
    // SAFETY: the pass writes only whole `str`s (names, attribute values and text are
    // `StrTendril`s, escapes are ASCII), so `out` is UTF-8. Checking it again was 3 % of
    // sanitising a body (BENCHMARKS.md, issue 15).
    #[allow(unsafe_code)]
    let out = unsafe { String::from_utf8_unchecked(out) };
    Some((finish_pass(out), deepest))
}

/// Whether `c` is a control character no stored text keeps: C0 but tab, line feed and
/// carriage return, DEL, C1. Terminals act on them (an ESC sequence can set the clipboard),
/// and U+0002/U+0003 are the search's match markers.
fn is_unwanted_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// `text` without unwanted control characters (borrowed when it has none).
pub fn strip_controls(text: &str) -> Cow<'_, str> {
    if !has_unwanted_control(text.as_bytes()) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(text.chars().filter(|&c| !is_unwanted_control(c)).collect())
}

/// `is_unwanted_control` over UTF-8 bytes, without decoding characters (this runs over
/// every body): C0 and DEL are single bytes, C1 is 0xC2 then 0x80–0x9F. Checking for 0xC2
/// alone sent every Russian body («», no-break spaces) to a second, char-by-char scan.
///
/// 32 bytes at a time, without a branch per byte (the compiler vectorizes the `fold`): a
/// block with any such byte, or with 0xC2 (Russian text's «» and no-break spaces), gets
/// the exact check, with the byte after the block for a 0xC2 at its end.
fn has_unwanted_control(bytes: &[u8]) -> bool {
    const BLOCK: usize = 32;
    let exact = |at: usize, len: usize| {
        bytes[at..at + len].iter().enumerate().any(|(i, &b)| {
            (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r'))
                || b == 0x7f
                || (b == 0xc2 && bytes.get(at + i + 1).is_some_and(|n| (0x80..=0x9f).contains(n)))
        })
    };
    let mut at = 0;
    for block in bytes.chunks_exact(BLOCK) {
        let suspect = block.iter().fold(0u8, |acc, &b| {
            let control = (b < 0x20) & (b != b'\t') & (b != b'\n') & (b != b'\r');
            acc | u8::from(control | (b == 0x7f) | (b == 0xc2))
        });
        if suspect != 0 && exact(at, BLOCK) {
            return true;
        }
        at += BLOCK;
    }
    exact(at, bytes.len() - at)
}

/// Parse an untrusted page or fragment for querying, its nesting bounded first (see `depth`).
pub fn parse_document(html: &str) -> dom_query::Document {
    dom_query::Document::from(depth::bound(html).as_ref())
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
    while let Some(lt) = memchr::memchr(b'<', rest.as_bytes()) {
        if out.len() >= max_bytes {
            rest = "";
            break;
        }
        push_text(&mut out, &rest[..lt]);
        let tag = &rest[lt..];
        // A comment is no text (a feed's raw HTML has them; a sanitised body has none).
        if let Some(comment) = tag.strip_prefix("<!--") {
            rest = comment.find("-->").map_or("", |end| &comment[end + 3..]);
            continue;
        }
        let Some(gt) = memchr::memchr(b'>', tag.as_bytes()) else {
            rest = "";
            break;
        };
        let name = tag[1..gt].trim_start_matches('/').split(|c: char| c.is_whitespace() || c == '/').next().unwrap_or("");
        rest = &tag[gt + 1..];
        if name.eq_ignore_ascii_case("script") || name.eq_ignore_ascii_case("style") {
            // Searched in place: lower-casing the rest at every script would be quadratic.
            rest = match find_ascii_case_insensitive(rest, "</", name) {
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
    if let Cow::Owned(stripped) = strip_controls(&out) {
        return stripped;
    }
    out
}

/// Byte offset of the first `prefix` followed by `name` (ASCII case-insensitive) in `text`.
fn find_ascii_case_insensitive(text: &str, prefix: &str, name: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    memchr::memmem::find_iter(bytes, prefix.as_bytes()).find(|&i| {
        bytes.get(i + prefix.len()..i + prefix.len() + name.len()).is_some_and(|n| n.eq_ignore_ascii_case(name.as_bytes()))
    })
}

/// A text node's text as `html_to_text` reads it out of the serialised HTML: without the
/// controls `sanitize_html` strips, its whitespace collapsed.
fn push_plain_text(out: &mut String, text: &str) {
    push_collapsed(out, &strip_controls(text));
}

fn push_text(out: &mut String, text: &str) {
    let mut rest = text;
    while !rest.is_empty() {
        let (chunk, after) = match memchr::memchr(b'&', rest.as_bytes()) {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        push_collapsed(out, chunk);
        if after.is_empty() {
            break;
        }
        // Only as far as the longest name could end: a `;` looked for in all the rest made
        // text with many `&` and no `;` (query strings) quadratic.
        let end = memchr::memchr(b';', &after.as_bytes()[..after.len().min(11)]);
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

/// `s` with every run of whitespace (Unicode's White_Space, as `char::is_whitespace`) as one
/// space, never two in a row in `out` nor one at its start. This runs over every stored
/// body, so it scans bytes and copies text in runs as long as it can: a lone ASCII space
/// between words stays in the run, and only other whitespace, or a space after a space,
/// ends one. (A word-by-word `split_whitespace` decoded every character and copied each
/// word on its own: three times slower on English and Russian bodies.)
fn push_collapsed(out: &mut String, s: &str) {
    let bytes = s.as_bytes();
    let mut copied = 0;
    let mut at = 0;
    while at < bytes.len() {
        // Most blocks of text are words and lone spaces: inside a run they stay in it whole.
        // Otherwise the block's first byte that may end the run is the next to look at (a
        // `«`, `—` or `“` starts with such a byte, and a byte at a time from there was a
        // third of the policy's walk on Russian bodies).
        if at > copied && at + RUN_BLOCK <= bytes.len() {
            let ends = run_ends(&bytes[at - 1..at + RUN_BLOCK]);
            if ends == 0 {
                at += RUN_BLOCK;
                continue;
            }
            at += ends.trailing_zeros() as usize;
        }
        let byte = bytes[at];
        if !MAY_START_WHITESPACE[usize::from(byte)] {
            at += 1;
            continue;
        }
        // A lone space after a word stays in the run; any other whitespace ends it below.
        if byte == b' ' {
            let after_space = if at > copied { bytes[at - 1] == b' ' } else { out.is_empty() || out.ends_with(' ') };
            if !after_space {
                at += 1;
                continue;
            }
        }
        let space = whitespace_len(&bytes[at..]);
        if space == 0 {
            at += 1;
            continue;
        }
        out.push_str(&s[copied..at]);
        if !out.is_empty() && !out.ends_with(' ') {
            out.push(' ');
        }
        at += space;
        copied = at;
    }
    out.push_str(&s[copied..]);
}

/// Bytes `push_collapsed` checks at once (the check below vectorizes).
const RUN_BLOCK: usize = 32;

/// The bytes of the last `RUN_BLOCK` of `with_previous` (the byte before them first) that
/// may end a run, one bit each from the lowest: a byte that may start whitespace but a
/// space, or a space after a space. Without a branch per byte (it vectorizes): a byte at a
/// time, this loop was 3 % of a cold sync's CPU (BENCHMARKS.md, issue 15).
fn run_ends(with_previous: &[u8]) -> u32 {
    let (previous, block) = (&with_previous[..RUN_BLOCK], &with_previous[1..=RUN_BLOCK]);
    previous.iter().zip(block).enumerate().fold(0u32, |ends, (i, (&before, &byte))| {
        let ends_here = (byte.wrapping_sub(b'\t') <= b'\r' - b'\t') | (byte == 0xC2) | (byte.wrapping_sub(0xE1) <= 2) | ((byte == b' ') & (before == b' '));
        ends | (u32::from(ends_here) << i)
    })
}

/// The bytes a whitespace character can start with (see `whitespace_len`).
static MAY_START_WHITESPACE: [bool; 256] = {
    let mut may = [false; 256];
    let starts = [b'\t', b'\n', 0x0B, 0x0C, b'\r', b' ', 0xC2, 0xE1, 0xE2, 0xE3];
    let mut i = 0;
    while i < starts.len() {
        may[starts[i] as usize] = true;
        i += 1;
    }
    may
};

/// The length in bytes of the whitespace character `bytes` starts with; 0 when it starts
/// with anything else (a continuation byte included). The White_Space characters outside
/// ASCII are U+0085, U+00A0, U+1680, U+2000–U+200A, U+2028, U+2029, U+202F, U+205F, U+3000.
fn whitespace_len(bytes: &[u8]) -> usize {
    match bytes {
        [b'\t' | b'\n' | 0x0B | 0x0C | b'\r' | b' ', ..] => 1,
        [0xC2, 0x85 | 0xA0, ..] => 2,
        [0xE1, 0x9A, 0x80, ..] | [0xE3, 0x80, 0x80, ..] | [0xE2, 0x81, 0x9F, ..] => 3,
        [0xE2, 0x80, 0x80..=0x8A | 0xA8 | 0xA9 | 0xAF, ..] => 3,
        _ => 0,
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

    /// The URL parser's reading of every value the fast paths of `url_allowed`,
    /// `scheme_allowed` and `is_relative_url` answer without it: the same scheme and host,
    /// against every base. Values built from pieces that sit on each rule's edge.
    #[test]
    fn a_plain_url_is_read_as_the_url_parser_reads_it() {
        let bases = ["https://example.org/news/feed.xml", "http://caliber.az/a/b?c#d", "https://ipc.localhost/x/", "http://127.0.0.1:9/feed", "https://xn--80ak6aa92e.com/"]
            .map(|base| Url::parse(base).unwrap());
        let starts = ["http://", "https://", "HTTP://", "https:/", "https:", "http:\\", "//", "/", "", "./", "../", "?", "#", "mailto:", "javascript:", " http://"];
        let hosts = ["caliber.az", "a", "localhost", "x.localhost", "ipc.localhost.", "127.0.0.1", "0x7f", "1.2.3.4a", "a.0x1", "xn--80ak6aa92e.com", "xn--a", "a..b", ".a", "a.", "-a-", "a1", "1a", "Ab", "a_b", "é.az", "a%41", "a@b", "", "localhost:"];
        let ports = ["", ":80", ":0080", ":", ":65535", ":65536", ":123456", ":x"];
        let tails = ["", "/", "/x/../y?q=1#f", "?q", "#f", "\\x", "@evil.localhost/", " /x", "\t/", "/\u{7f}", "/é", "/%2e%2e/", ":x/y", "//z"];
        let (mut plain, mut relative, mut values) = (0, 0, 0);
        for start in starts {
            for host in hosts {
                for port in ports {
                    for tail in tails {
                        let value = format!("{start}{host}{port}{tail}");
                        values += 1;
                        let relative_by_parsing = Url::parse(&value) == Err(url::ParseError::RelativeUrlWithoutBase);
                        assert_eq!(tree::is_relative_url(&value), relative_by_parsing, "{value:?}");
                        if let Some(fast_host) = plain_http_host(&value) {
                            plain += 1;
                            let parsed = Url::parse(&value).unwrap_or_else(|e| panic!("{value:?}: {e}"));
                            assert!(matches!(parsed.scheme(), "http" | "https"), "{value:?}");
                            assert_eq!(parsed.host_str(), Some(fast_host), "{value:?}");
                            assert!(matches!(url_as_the_browser_reads_it(&value), Cow::Borrowed(_)), "{value:?}");
                            for base in &bases {
                                assert_eq!(base.join(&value).as_ref(), Ok(&parsed), "{value:?} against {base}");
                            }
                        }
                        if is_plain_relative_path(&value) {
                            relative += 1;
                            assert_eq!(Url::parse(&value), Err(url::ParseError::RelativeUrlWithoutBase), "{value:?}");
                            for base in &bases {
                                let joined = base.join(&value).unwrap_or_else(|e| panic!("{value:?} against {base}: {e}"));
                                assert_eq!((joined.scheme(), joined.host_str()), (base.scheme(), base.host_str()), "{value:?} against {base}");
                                assert_eq!(http_base_is_local(base), base.host_str().map(is_local_host), "{base}");
                            }
                        }
                    }
                }
            }
        }
        // Both fast paths answer for hundreds of the values, and leave most to the parser.
        assert!(plain > 200 && plain < values / 4, "{plain} of {values} plain");
        assert!(relative > 200 && relative < values / 2, "{relative} of {values} relative");
        for (host, local) in [("localhost", true), ("LocalHost.", true), ("x.LOCALHOST", true), ("a.b.localhost..", true), ("xlocalhost", false), ("localhost.x", false), ("", false), ("ocalhost", false), ("caliber.az", false)] {
            assert_eq!(is_local_host(host), local, "{host:?}");
        }
        // And give the answers the parser gives, in the sanitiser.
        set_base_for_tests(&Url::parse("https://caliber.az/en/").unwrap());
        assert!(url_allowed("a", "href", "https://caliber.az/x") && !url_allowed("a", "href", "https://ipc.localhost/x"));
        assert!(!url_allowed("img", "src", "http://caliber-img.localhost:8080/x"));
        assert!(url_allowed("a", "href", "/en/x") && url_allowed("a", "href", "x?y"));
        set_base_for_tests(&Url::parse("http://localhost:9/").unwrap());
        assert!(!url_allowed("a", "href", "/en/x") && !url_allowed("a", "href", "x?y"));
        assert!(!tree::is_relative_url("https://caliber.az/x") && tree::is_relative_url("/x"));
    }

    #[test]
    fn a_start_tag_gets_the_second_pass_exactly_when_it_is_no_one_pass_tag() {
        // The set of names the lookup by keys replaced, as the reference.
        let one_pass: HashSet<String> = {
            let policy = reference::reference_policy();
            let mut tags: HashSet<String> = policy.clone_tags().into_iter().chain(policy.clone_clean_content_tags()).map(str::to_owned).collect();
            tags.extend(["iframe", "noembed", "noframes", "xmp", "textarea", "title", "input"].map(str::to_owned));
            tags.remove("table");
            tags
        };
        let mut names: Vec<String> = one_pass.iter().cloned().collect();
        let others = ["table", "button", "object", "noscript", "svg", "math", "form", "blink", "my-element", "h7", "a0", "bb", "spa", "spans", "blockquoteblockquote", "aé", "p\u{0}"];
        names.extend(others.map(str::to_owned));
        for name in names {
            let expected = !one_pass.contains(&name.to_ascii_lowercase());
            let shouted: String = name.chars().enumerate().map(|(i, c)| if i % 2 == 0 { c.to_ascii_uppercase() } else { c }).collect();
            for written in [name.clone(), name.to_ascii_uppercase(), shouted] {
                for html in [format!("<{written}>x"), format!("a <{written} class=\"y\">b"), format!("<p>a</p><{written}/>"), format!("<{written}\tid=x>")] {
                    assert_eq!(needs_second_pass(&html), expected, "{html:?}");
                }
            }
        }
        assert!(!needs_second_pass("a < b, 1<2, <!-- x --> </div>"), "no start tag, no second pass");
    }

    #[test]
    fn every_control_character_and_only_those_is_found_in_the_bytes() {
        // Every code point up to U+0800 (all one- and two-byte sequences, C1 and the
        // 0xC2 letters around it), then the same next to text the way bodies have them.
        for c in (0..0x800u32).filter_map(char::from_u32) {
            for text in [c.to_string(), format!("«а{c}б» ")] {
                assert_eq!(has_unwanted_control(text.as_bytes()), text.chars().any(is_unwanted_control), "U+{:04X}", c as u32);
            }
        }
        // At every offset of a long text, across the 32-byte blocks the scan takes at once:
        // a C1 control split over a block's end is two bytes in two blocks.
        for c in ['\u{1b}', '\u{7f}', '\u{85}', '\u{9f}', '\u{a0}', '«', '\t', '\n', '\r', 'x'] {
            for filler in ["a", "ж"] {
                for at in 0..80 {
                    let text = format!("{}{c}{}", filler.repeat(at), "b".repeat(70));
                    assert_eq!(has_unwanted_control(text.as_bytes()), text.chars().any(is_unwanted_control), "U+{:04X} after {at} × {filler}", c as u32);
                }
            }
        }
        assert!(matches!(strip_controls("«Баку»\u{a0}— ©"), Cow::Borrowed(_)), "text without controls is not copied");
        assert_eq!(strip_controls("a\u{85}b\u{9f}c\u{a0}d\u{1b}[0m\te"), "abc\u{a0}d[0m\te");
    }

    /// The word-by-word collapsing it replaced, as the reference.
    fn collapsed_by_words(out: &mut String, s: &str) {
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

    #[test]
    fn whitespace_is_collapsed_in_bytes_exactly_as_char_is_whitespace_says() {
        // Every code point of the BMP alone, inside a word, between spaces, at the ends and
        // after two spaces, each appended to nothing, to a word and to a word ending in a space.
        for c in (0..0x1_0000u32).filter_map(char::from_u32) {
            for text in [c.to_string(), format!("а{c}б"), format!(" {c} x"), format!("{c}{c}a{c}"), format!("a  {c} b")] {
                for before in ["", "слово", "word "] {
                    let (mut fast, mut reference) = (before.to_owned(), before.to_owned());
                    push_collapsed(&mut fast, &text);
                    collapsed_by_words(&mut reference, &text);
                    assert_eq!(fast, reference, "U+{:04X} in {text:?} after {before:?}", c as u32);
                }
            }
        }
        assert_eq!(html_to_text("<p>Bakı\u{a0}\u{a0}— \u{3000}xəbər</p>\n\n<p>\u{2003}son</p>"), "Bakı — xəbər son");
    }

    #[test]
    fn long_text_is_collapsed_exactly_as_char_is_whitespace_says_wherever_its_whitespace_falls() {
        // Words and lone spaces longer than a block of `push_collapsed`, with whitespace
        // (or a look-alike byte) put at every offset around the blocks' edges.
        let words = "Baku news ağ Ölkə «Новости» дня — the day's report in full ";
        let odd = ["  ", "\t", "\n", "\r\n", "\u{a0}", "\u{2003}", "\u{3000}", "\u{1680}", "\u{85}", "«", "—", "…", "\u{e1}", "ア", " \u{a0} "];
        for insert in odd {
            for offset in 0..(2 * RUN_BLOCK + 3) {
                for lead in ["", " ", "  x"] {
                    let mut text = format!("{lead}{words}{words}{words}");
                    let mut at = offset.min(text.len());
                    while !text.is_char_boundary(at) {
                        at += 1;
                    }
                    text.insert_str(at, insert);
                    for before in ["", "слово", "word "] {
                        let (mut fast, mut reference) = (before.to_owned(), before.to_owned());
                        push_collapsed(&mut fast, &text);
                        collapsed_by_words(&mut reference, &text);
                        assert_eq!(fast, reference, "{insert:?} at {at} of {text:?} after {before:?}");
                    }
                }
            }
        }
    }

    /// Markup whose first clean reads back as another tree: each must be a fixed point
    /// after one `sanitize_html`, whether it took one pass of the policy or two.
    #[test]
    fn sanitised_html_is_a_fixed_point_with_one_pass_or_two() {
        let cases = [
            // Foster parenting: an <a> inside an <a> (policy tags only, two passes).
            "<a href=\"/1\">x<table><a href=\"/2\">y</a></table></a>",
            // A dropped <button> or <object> leaves a <p> inside a <p> (two passes).
            "<p>a<button><p>b</p></button>c</p>",
            "<p>a<object><p>b</p></object>c</p>",
            // A <pre>'s leading line feeds: the parser drops one at each read.
            "<pre>\n\n\nx</pre>",
            "<pre lang=\"en\">\n\ny</pre><p>z</p>",
            // One pass: policy tags, dropped scripts and styles, text-only elements.
            "<p>a<script>x()</script><style>p{}</style><iframe src=\"/f\">t</iframe><b>b<i>c</b>d</i></p><ul><li>1<li>2</ul>",
            // A carriage return from a character reference reads back as a line feed.
            "<p>a&#13;b</p>",
            "<pre>&#13;\nx</pre>",
            // Dropped elements that leave markup which reads back the same (one pass).
            "<figure><picture><source srcset=\"/a.webp\"><img src=\"/a.jpg\"></picture><figcaption>c</figcaption></figure>",
            "<p>x</p><form action=\"/s\"><input name=\"e\"><button>OK</button></form><div style=\"top:0\"><object data=\"m.swf\"></object></div>",
            "<table><caption>t</caption><thead><tr><th>&nbsp;</th></tr></thead><tbody><tr><td>a</td></tr></tbody></table>",
            // ... and ones that may not (two passes where they do not).
            "<ul><li>a<form><li>b</form></li></ul>",
            "<p>a<object><div>b</div></object></p>",
            // (foster parenting moves the text and paragraph before the table: one pass)
            "<table><tr><td>a</td></tr>b<p>c</p></table>",
            "<a href=\"/1\">x<button><a href=\"/2\">y</a></button></a>",
        ];
        for html in cases {
            let once = sanitize_html(html, &base());
            assert_eq!(sanitize_html(&once, &base()), once, "not a fixed point: {html:?} gave {once:?}");
        }
        // The second pass is skipped where the first pass's output reads back the same.
        BASE.with(|b| *b.borrow_mut() = Some(base()));
        for (html, one_pass) in [(cases[8], true), (cases[9], true), (cases[10], true), (cases[11], false), (cases[12], false), (cases[13], true), (cases[14], true), (cases[0], false), (cases[6], false), (cases[1], false)] {
            assert_eq!(readback::reads_back_the_same(&policy_pass(html)), one_pass, "{html} gave {}", policy_pass(html));
        }
        assert!(!needs_second_pass("<p>a<script>x()</script><iframe>t</iframe><img src=x><B>b</B></p>"));
        for html in ["<table><tr><td>x</td></tr></table>", "<p><button>", "<svg><p>", "<noscript><p>", "<x-custom>", "<form><p>"] {
            assert!(needs_second_pass(html), "{html}");
        }
    }

    #[test]
    fn an_attribute_dropped_for_its_url_leaves_a_fixed_point() {
        // The policy removes the attributes our URL rules drop as ammonia does, by swapping the
        // element's last attribute into their place; the order a second pass gives must be the stored one.
        for html in [
            r#"<a href="//localhost/x" lang="javascript:alert(1)">"#,
            r#"<p><a href="http://ipc.localhost/plugin:opener|open_url" title="t" lang="en">x</a></p>"#,
            r#"<img src="http://localhost/a.png" alt="a" width="10" height="5">"#,
            r#"<img src="mailto:x@example.org" alt="m" title="t">"#,
        ] {
            let once = sanitize_html(html, &base());
            assert_eq!(sanitize_html(&once, &base()), once, "not a fixed point: {html:?} gave {once:?}");
            assert!(!once.contains("localhost") && !once.contains("mailto"), "{once}");
        }
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
    fn mailto_links_stay_but_never_as_pictures() {
        let clean = sanitize_html(r#"<a href="mailto:desk@caliber.az?subject=Hi">write</a><img src="mailto:x@y.z"><a href="MAILTO:a@b.c">b</a>"#, &base());
        assert!(clean.contains(r#"href="mailto:desk@caliber.az?subject=Hi""#), "{clean}");
        assert!(clean.contains(r#"href="mailto:a@b.c""#), "{clean}");
        assert!(!clean.contains("x@y.z"), "{clean}");
    }

    #[test]
    fn links_and_pictures_to_the_apps_own_origins_are_removed() {
        let dirty = r#"<a href="http://ipc.localhost/plugin:opener|open_url">ipc</a>
            <img src="http://caliber-img.localhost/https%3A%2F%2Fx.example%2Fa.jpg">
            <a href="tauri://localhost/index.html">tauri</a><a href="https://tauri.localhost/">win</a>
            <a href="http://localhost:1420/">dev</a><img src="HTTP://Caliber-Img.LOCALHOST./b.png">
            <a href="https://localhost.example/">fine</a><img src="https://cdn.example/c.jpg">"#;
        let clean = sanitize_html(dirty, &base());
        assert!(!clean.to_ascii_lowercase().contains("localhost/") && !clean.contains("localhost:"), "{clean}");
        assert!(!clean.to_ascii_lowercase().contains(".localhost"), "{clean}");
        assert!(clean.contains(r#"href="https://localhost.example/""#) && clean.contains(r#"src="https://cdn.example/c.jpg""#), "{clean}");
        assert!(clean.contains(">ipc</a>") && clean.contains(">dev</a>"), "the text of a removed link stays: {clean}");
        // A relative URL on a page served from localhost points there too.
        let local = sanitize_html(r#"<a href="/admin">a</a>"#, &Url::parse("http://localhost:8080/feed.xml").unwrap());
        assert!(!local.contains("localhost"), "{local}");
    }

    /// A feed's `media:thumbnail url="http://caliber-img.localhost/…"` (the hostile corpus's
    /// `picture-localhost`) was stored as the cover: picture URLs follow the HTML's rule.
    #[test]
    fn picture_urls_are_web_urls_off_the_apps_own_origins() {
        for ok in ["https://caliber.az/uploads/a.jpg", "http://127.0.0.1:8765/hostile/pic/ok.png", "https://localhost.example/p.png"] {
            assert!(picture_url_allowed(ok), "{ok}");
        }
        for bad in [
            "http://caliber-img.localhost/http%3A%2F%2F127.0.0.1%3A8765%2Fhostile%2Fpic%2Fevil.svg",
            "HTTP://Caliber-Img.LOCALHOST./b.png",
            "http://localhost:1420/x.png",
            "http://ipc.localhost/plugin:opener|open_url",
            "caliber-img://localhost/https%3A%2F%2Fx.example%2Fa.svg",
            "javascript:alert(1)",
            "data:image/svg+xml,<svg/>",
            "not a url",
        ] {
            assert!(!picture_url_allowed(bad), "{bad}");
        }
    }

    /// Found by the `feed` fuzz target: `\u{7f}aVaScRiPt:alert(1)` passed the schemes as a
    /// relative URL, then lost its DEL and was stored as a link of another scheme (with
    /// `javascript:` after the DEL, a script link).
    #[test]
    fn trimming_a_url_never_gives_it_a_scheme_the_policy_refuses() {
        for value in ["\u{7f}javascript:alert(1)", "\u{7f}aVaScRiPt:alert(1)", "\u{7f}\u{7f} vbscript:x", "\u{7f}data:text/html,x", " \u{7f}javascript:x "] {
            let clean = sanitize_html(&format!("<p><a href=\"{value}\">a</a><img src=\"{value}\"></p>"), &base());
            assert!(crate::fuzzing::sanitized_violations(&clean).is_empty(), "{value:?} gave {clean}");
        }
    }

    #[test]
    fn mailto_links_are_stored_as_the_browser_reads_them() {
        let clean = sanitize_html(r#"<a href=" MailTo:desk@caliber.az ">a</a><a href="	https://caliber.az/x">b</a>"#, &base());
        assert!(clean.contains(r#"href="mailto:desk@caliber.az""#) && clean.contains(r#"href="https://caliber.az/x""#), "{clean}");
        // Tabs and line breaks inside a URL are dropped by the browser, so by us.
        let clean = sanitize_html("<a href=\"mailto\t:desk@caliber.az\">a</a><a href=\"https://cali\nber.az/\ry\">b</a>", &base());
        assert!(clean.contains(r#"href="mailto:desk@caliber.az""#) && clean.contains(r#"href="https://caliber.az/y""#), "{clean}");
        assert!(crate::fuzzing::sanitized_violations(&clean).is_empty(), "{clean}");
    }

    #[test]
    fn control_characters_are_never_kept() {
        let dirty = "<p>a\u{1b}]52;c;ZXZpbA==\u{7}b \u{2}c\u{3} &#27;[31m d\u{9b}e\tf\u{7f}</p>";
        let clean = sanitize_html(dirty, &base());
        assert_eq!(clean, "<p>a]52;c;ZXZpbA==b c [31m de\tf</p>");
        assert_eq!(html_to_text(dirty), "a]52;c;ZXZpbA==b c [31m de f");
        assert_eq!(html_to_text("x &#2;y&#x3;"), "x y");
    }

    /// Depth of the elements in serialised HTML (every non-void element closed, as
    /// ammonia writes it).
    fn max_depth(html: &str) -> usize {
        let void = ["br", "img", "hr", "wbr", "col", "area", "input", "source", "track"];
        let (mut depth, mut max) = (0usize, 0usize);
        for (i, _) in html.match_indices('<') {
            let rest = &html[i + 1..];
            if rest.starts_with('/') {
                depth = depth.saturating_sub(1);
            } else {
                let name: String = rest.chars().take_while(char::is_ascii_alphanumeric).collect();
                if !void.contains(&name.as_str()) {
                    depth += 1;
                    max = max.max(depth);
                }
            }
        }
        max
    }

    /// 100,000 nested `<div>`s took 40 s (quadratic in html5ever) before the nesting was
    /// bounded; what is kept is the text and the first `MAX_DEPTH` levels.
    #[test]
    fn deep_nesting_is_cut_at_the_bound_and_its_text_kept() {
        let n = 100_000;
        let mut html = String::with_capacity(n * 20);
        for i in 0..n {
            html.push_str(&format!("<div>w{i} "));
        }
        html.push_str(&"</div>".repeat(n));
        html.push_str("<p>after</p>");
        let clean = sanitize_html(&html, &base());
        assert!(max_depth(&clean) <= depth::MAX_DEPTH, "depth {}", max_depth(&clean));
        let text = html_to_text(&clean);
        assert!(text.starts_with("w0 w1 w2 ") && text.ends_with(&format!("w{} after", n - 1)), "{}", &text[text.len() - 40..]);
        assert_eq!(text.split(' ').count(), n + 1, "every word is kept");
    }

    /// Nestings the parser keeps open though they look closed (or never look opened).
    #[test]
    fn nesting_tricks_are_cut_at_the_bound_too() {
        let n = 20_000;
        for unit in [
            "<div/>",                    // `/>` does not close an HTML element
            "<span><div></span>",        // an end tag cannot close past a `div`
            "<p><b x=1></p>",           // formatting reopened in every later block
            "<svg><div/>",               // leaves SVG: the div is HTML and stays open
            "<!--><div>",                // `<!-->` is a whole comment
            "<a title='</a>'><i>",       // `>` and end tags in a quoted value are text
            "<table><td>",               // tbody and tr are inserted
            "<q><button></q>",
        ] {
            let html = unit.repeat(n);
            let clean = sanitize_html(&html, &base());
            assert!(max_depth(&clean) <= depth::MAX_DEPTH + 32, "{unit}: depth {}", max_depth(&clean));
        }
    }

    #[test]
    fn ordinary_markup_passes_the_bound_unchanged() {
        let article = "<p>Intro <b>bold</b> <a href=\"/x\" title='a > b'>link</a><br><img src=i.jpg></p>\
            <ul><li>one<li>two</ul><table><tr><td>a<td>b</table><p>open paragraph<p>next<!-- <div> -->\
            <script>if (a < b) document.write('<div>')</script><svg><circle r=1/></svg>"
            .repeat(400);
        assert!(matches!(depth::bound(&article), Cow::Borrowed(_)));
    }

    #[test]
    fn truncation_cuts_at_a_word() {
        assert_eq!(truncate_words("one two three four", 9), "one two…");
        assert_eq!(truncate_words("short", 9), "short");
    }
}
