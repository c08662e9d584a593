//! The sanitiser held to ammonia, the library it replaced (`tree`'s header; the reference is
//! `reference`): one pass of each must give the same bytes and the same record of a dropped
//! URL, on every corpus the project has and on generated markup (and on the property tests'
//! hostile HTML, `tests/fuzz_props.rs`). The same cases check the index's text made in the
//! walk (`sanitize_html_and_text`) against `html_to_text` of the HTML.

use std::collections::{HashMap, HashSet};

use html5ever::LocalName;

use super::reference::{both_passes, reference_policy};
use super::tree::{ALLOWED_TAGS, CONTENT_DROPPED_TAGS, attribute_allowed, tag_allowed};
use crate::test_support::picker;

/// One pass of ours and one of the reference give the same; and the text `sanitize_html`'s
/// walk makes for the index is what `html_to_text` reads back from its HTML.
fn assert_same(html: &str, what: &str) {
    let shown: String = html.chars().take(400).collect();
    let (ours, reference) = both_passes(html);
    assert_eq!(ours, reference, "{what}: {shown:?}");
    let base = super::BASE.with(|base| base.borrow().clone()).expect("set_base first");
    let (clean, text) = super::sanitize_html_and_text(html, &base);
    assert_eq!(text, super::html_to_text(&clean), "{what}: the walk's text of {shown:?}");
}

fn set_base(base: &str) {
    super::set_base_for_tests(&url::Url::parse(base).unwrap());
}

#[test]
fn the_policys_tables_are_the_reference_builders() {
    let reference = reference_policy();
    let tags: HashSet<&str> = ALLOWED_TAGS.iter().copied().collect();
    assert_eq!(tags, reference.clone_tags());
    assert_eq!(CONTENT_DROPPED_TAGS.iter().copied().collect::<HashSet<_>>(), reference.clone_clean_content_tags());
    assert_eq!(reference.clone_url_schemes(), HashSet::from(["http", "https", "mailto"]));
    assert_eq!(reference.get_link_rel(), Some(super::tree::LINK_REL));
    assert!(reference.clone_tag_attribute_values().is_empty() && reference.clone_set_tag_attribute_values().is_empty());
    assert!(reference.clone_generic_attribute_prefixes().is_none() && reference.clone_allowed_classes().is_empty());
    assert!(reference.is_url_relative_custom());

    let generic = reference.clone_generic_attributes();
    let by_tag: HashMap<&str, HashSet<&str>> = reference.clone_tag_attributes();
    let mut attributes: HashSet<&str> = generic.iter().copied().chain(by_tag.values().flatten().copied()).collect();
    attributes.extend(["href", "src", "rel", "style", "onclick", "onerror", "cite", "class", "id", "loading", "dir", "name", "type", "srcset"]);
    let mut names: HashSet<&str> = tags.clone();
    names.extend(by_tag.keys());
    names.extend(["script", "style", "map", "area", "svg", "math", "form", "iframe", "tfoot", "x-custom", "image", "font"]);
    for tag in &names {
        assert_eq!(tag_allowed(&LocalName::from(*tag)), tags.contains(tag), "{tag}");
        if !tags.contains(tag) {
            continue;
        }
        for attribute in &attributes {
            let expected = generic.contains(attribute) || by_tag.get(tag).is_some_and(|a| a.contains(attribute));
            assert_eq!(attribute_allowed(&LocalName::from(*tag), &LocalName::from(*attribute)), expected, "<{tag} {attribute}>");
        }
    }
}

/// Every file the project keeps as a fixture or a corpus, read as HTML.
fn corpus_files() -> Vec<(String, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    let mut dirs = vec![root.join("tests/fixtures"), root.join("../tests/fixture-server")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.metadata().unwrap().len() < 4 << 20 {
                let bytes = std::fs::read(&path).unwrap();
                files.push((path.display().to_string(), String::from_utf8_lossy(&bytes).into_owned()));
            }
        }
    }
    assert!(files.len() > 40, "the fixtures were found: {}", files.len());
    files
}

#[test]
fn every_fixture_and_corpus_file_comes_out_as_the_reference_gives_it() {
    set_base("https://caliber.az/post/some-article");
    for (name, text) in corpus_files() {
        assert_same(&text, &name);
        // Its escaped markup unescaped too, as a feed's `<description>` holds it.
        if text.contains("&lt;") {
            assert_same(&text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&amp;", "&"), &name);
        }
    }
}

#[test]
fn every_hostile_payload_comes_out_as_the_reference_gives_it() {
    set_base("http://127.0.0.1:8765/feeds/hostile.xml");
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixture-server/hostile/corpus.json");
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let payloads = doc["payloads"].as_array().unwrap();
    assert!(payloads.len() > 50);
    for payload in payloads {
        let html = payload["value"].as_str().unwrap().replace("{HOST}", "http://127.0.0.1:8765");
        assert_same(&html, payload["name"].as_str().unwrap());
    }
}

/// Pieces of markup the generator strings together: every kind of element the policy
/// treats differently, in every namespace, with the URLs and text that its rules look at.
const PIECES: &[&str] = &[
    "<p>", "</p>", "<div>", "</div>", "<a href=\"/x\">", "<a href=\"//localhost/y\" lang=\"en\">", "<a href=\"javascript:alert(1)\">",
    "<a href=\" MailTo:me@example.org\" title=\"t\">", "<a href=\"mailto\t:x\">", "</a>", "<b>", "</b>", "<i>", "</i>", "<span>", "</span>",
    "<img src=\"a.png\" alt=\"&quot;q&quot;\" onerror=\"x()\">", "<img src=\"http://ipc.localhost/x\" width=\"2\" height=\"3\" alt=\"a\">",
    "<img src=\"mailto:a@b\" loading=\"lazy\">", "<img src=\"data:image/png;base64,AA\">", "<img src=\"ftp://x/y\" alt=b>", "<img src=\"http://[::1/\">",
    "<table>", "</table>", "<tr>", "<td colspan=2 onclick=x>", "</td>", "<th scope=col>", "<tbody>", "<tfoot align=left>", "<caption>",
    "<col span=2>", "<colgroup>", "<ul>", "<li>", "</li>", "<ol start=3>", "<dl><dt>t<dd>d", "<pre>", "\n", "</pre>", "<pre>\n\nx",
    "<script>alert(1)</script>", "<style>p{}</style>", "<script src=\"//localhost/s.js\">", "<svg>", "</svg>", "<svg><a href=\"/s\">",
    "<svg><script>x</script>", "<svg><foreignObject><p>f</p></foreignObject>", "<svg><desc><b>d</b></desc>", "<svg><style>s</style>",
    "<svg><title><img src=x>", "<math>", "</math>", "<math><mi>m</mi><mtext><b>t</b></mtext>", "<math><annotation-xml encoding=\"text/html\"><p>h",
    "<math><annotation-xml encoding=\"TEXT/HTML\"><b>", "<math><annotation-xml><svg>", "<math><mo><img src=1>", "<math><style><img src=2>",
    "<circle>c</circle>", "<text>t</text>", "<image src=\"/i.png\">", "<set>", "<mi>", "<font color=red>", "<x-custom id=a>", "<template><b>t</b></template>",
    "<select><option>o<selectedcontent>s</selectedcontent></select>", "<noscript><p>n</p></noscript>", "<iframe src=\"/f\"><b>i</b></iframe>",
    "<xmp><b>x</b></xmp>", "<textarea>t<b></textarea>", "<title>t</title>", "<plaintext>", "<noembed>e</noembed>", "<button><p>b</button>",
    "<object data=\"/o\"><p>o</p></object>", "<form action=\"//localhost\"><input formaction=\"/f\"></form>", "<video poster=\"/p.jpg\">",
    "<blockquote cite=\"/c\">", "<q cite=x>", "<del cite=/d datetime=2020>", "<ins>", "<bdo dir=rtl>", "<hr size=1 noshade>", "<br>", "<br/>", "</br>",
    "<wbr>", "<area href=/a>", "<map name=m>", "<base href=\"http://evil/\">", "<meta http-equiv=refresh>", "<link rel=stylesheet href=/s>",
    "<!-- c -->", "<!--", "-->", "<!DOCTYPE html>", "<?php x ?>", "<![CDATA[x]]>", "<html lang=en>", "<body onload=x>", "<head>",
    "text ", "Бакı ", "«ə» ", "&amp;", "&nbsp;", "\u{a0}", "&lt;", "<", ">", "\"", "'", "&", "&#13;", "\r", "&#0;", "\u{1b}", "&bogus;", "&#x85;", "\u{85}",
    "<A HREF=\"/UP\">", "<P CLASS=x>", "<h1>", "</h1>", "<h2>", "<figure><figcaption>c</figcaption>", "<details><summary>s</summary>",
    "<ruby>r<rt>t</rt><rp>(</rp>", "<time datetime=2020>", "<center>", "<strike>", "<tt>", "<abbr title=\"a&amp;b\">", "<acronym>",
    "<a href=\"https://example.org/a b?c=&quot;d&quot;#e\">", "<a href=\"HTTP://EXAMPLE.ORG/\">", "<a href=\"?q=1\">", "<a href=\"#top\">",
    "<a href=\"\">", "<a href=\"\u{1}javascript:x\">", "<a href=\"java&#09;script:x\">", "<a href=\"//example.org/x\">", "<a ping=/p href=/h>",
    // SVG's animation elements: ammonia resolves no relative `href` of theirs.
    "<svg><animate href=\"\\\\\">", "<svg><set xlink:href=\"//\">", "<svg><animateMotion href=\"//\">",
    // A DEL is no space to the URL parser (found by the feed fuzz target).
    "<a href=\"\u{7f}javascript:alert(1)\">", "<img src=\"\u{7f}aVaScRiPt:x\">",
];

#[test]
fn generated_markup_comes_out_as_the_reference_gives_it() {
    let mut pick = picker(0x5a17_12ee_d1ff_0001);
    for (case, base) in ["https://caliber.az/post/a", "http://127.0.0.1:9/feed.xml", "https://example.org/"].iter().cycle().take(30_000).enumerate() {
        set_base(base);
        let html: String = (0..1 + pick(24)).map(|_| PIECES[pick(PIECES.len())]).collect();
        assert_same(&html, &format!("case {case}"));
    }
}

/// Markup at the level of characters: tag names, attribute syntax, references and
/// comments cut anywhere, for what the pieces above put together only whole.
#[test]
fn character_soup_comes_out_as_the_reference_gives_it() {
    const BITS: &[&str] = &[
        "<", ">", "</", "/>", "=", "\"", "'", " ", "\n", "&", ";", "#", "x", "a", "p", "b", "img", "src", "href", "svg", "math", "table",
        "td", "tr", "li", "pre", "script", "style", "select", "template", "mi", "title", "!--", "--", "?", "javascript:", "//localhost",
        "http://h/", "mailto:", "nbsp", "amp", "lt", "\u{a0}", "ə", "\r", "\u{0}", "=\"/", "1", "\u{b}", "\u{c}", "\u{85}", "\u{2028}",
        "&#11;", "&#133;", "\t",
    ];
    let mut pick = picker(0x50_0b_5e_ed);
    set_base("https://caliber.az/post/a");
    for case in 0..20_000 {
        let html: String = (0..pick(60)).map(|_| BITS[pick(BITS.len())]).collect();
        assert_same(&html, &format!("case {case}"));
    }
}

/// Every name html5ever knows as an atom (661 element and attribute names of HTML, SVG and
/// MathML, as it writes them), opened as an element in HTML, inside `<svg>` and inside
/// `<math>`: the tables `tree` copies from ammonia (allowed tags, the SVG and MathML names an
/// HTML element may not carry) against the reference, beyond the names the cases above use.
#[test]
fn every_element_name_the_parser_knows_comes_out_as_the_reference_gives_it() {
    use string_cache::StaticAtomSet;
    let names = html5ever::LocalNameStaticSet::get().atoms;
    assert!(names.len() > 600 && names.contains(&"foreignObject") && names.contains(&"annotation-xml"), "{}", names.len());
    set_base("https://caliber.az/post/a");
    for name in names.iter().filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')) {
        for html in [
            format!("<p>a<{name} title=\"t\" href=\"/h\">x</{name}>b</p>"),
            format!("<svg><{name}>x<b>y</b></{name}></svg>z"),
            format!("<math><{name}>x<b>y</b></{name}></math>z"),
        ] {
            assert_same(&html, name);
        }
    }
}

/// One pass with our byte tokenizer (where it reads the markup) and one with html5ever's
/// alone give the same bytes and text; whether ours read it.
fn assert_same_tree(html: &str, what: &str) -> bool {
    use super::tree::{Builders, Output, byte_tokenizer_reads, policy_pass_by_html5ever_into, policy_pass_into};
    let (mut ours, mut ours_text, mut theirs, mut theirs_text) = (Vec::new(), String::new(), Vec::new(), String::new());
    let ours_deepest = policy_pass_into(html, &mut Output { html: &mut ours, text: Some(&mut ours_text) }, Builders::Any).expect("html5ever's reads anything");
    let theirs_deepest = policy_pass_by_html5ever_into(html, &mut Output { html: &mut theirs, text: Some(&mut theirs_text) });
    let shown: String = html.chars().take(400).collect();
    assert_eq!(String::from_utf8_lossy(&ours), String::from_utf8_lossy(&theirs), "{what}: {shown:?}");
    assert_eq!((ours_text, ours_deepest), (theirs_text, theirs_deepest), "{what}: {shown:?}");
    byte_tokenizer_reads(html)
}

/// The tokenizer `sanitize::tokenizer` replaces html5ever's with, held to it on every
/// fixture and corpus file, and shown to read most of them itself (were it to give up on
/// everything, the sanitiser would be as right and as slow as before).
#[test]
fn the_byte_tokenizer_builds_the_trees_html5evers_builds_from_every_fixture_and_reads_most() {
    set_base("https://caliber.az/post/some-article");
    let (mut cases, mut read) = (0, 0);
    for (name, text) in corpus_files() {
        let unescaped = text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&amp;", "&");
        for html in [text.as_str(), unescaped.as_str()] {
            let tokenized = assert_same_tree(html, &name);
            // Pictures and other binary files hold NULs, which are html5ever's to read.
            if !html.contains('\0') {
                cases += 1;
                read += usize::from(tokenized);
            }
        }
    }
    assert!(cases > 60 && read * 10 >= cases * 9, "the byte tokenizer read {read} of {cases}");
    // The bodies of the site's own pages and feeds, which are what a sync mostly reads.
    for body in ["<p>Baku &amp; Ganja: &laquo;talks&raquo; &#8212; day&nbsp;2</p>", "<figure><img src=\"/a.jpg\" alt='x'><figcaption>c</figcaption></figure><!-- wp:paragraph --><p>a<br/>b</p>"] {
        assert!(assert_same_tree(body, body), "read by html5ever: {body}");
    }
}

/// The same on the generated markup and character soup the reference is held to, and on
/// soup of what the byte tokenizer decides itself: references with and without `;` (in
/// text and in attributes, where `&amp=` stays), attribute syntax, comments, `</>`, and a
/// `<pre>`'s first line feed after them.
#[test]
fn the_byte_tokenizer_builds_the_trees_html5evers_builds_from_generated_markup() {
    const BITS: &[&str] = &[
        "&", "amp", "amp;", "AMP", "not", "notin;", "noti", "#", "#x", "x", "X", "0", "1", "9", "a", "F", ";", "=", "\"", "'", " ", "\t", "\n",
        "<a href=", "<img alt=", "<p title=", "<b", ">", "/>", "/", "</", "</b>", "</p>", "<p>", "lt", "gt", "nbsp", "NewLine;", "\u{feff}",
        "<!--", "-->", "--!>", "-", "!", "<!", "</>", "&#10", "<pre>", "<listing>", "`", "ə", "<", "?", "\u{c}", "&#128", "&#x80;", "&#0;",
        "&#xD800;", "&#99999999999;", "&#x110000", "<P CLASS=", "<a HREF", "<svg>", "<math>", "<table>", "<td>", "<script>", "<textarea>",
    ];
    let mut pick = picker(0x70_6b_e1_2e);
    set_base("https://caliber.az/post/a");
    let mut read = 0;
    for case in 0..20_000 {
        let html: String = (0..pick(40)).map(|_| BITS[pick(BITS.len())]).collect();
        read += usize::from(assert_same_tree(&html, &format!("bits {case}")));
    }
    assert!(read > 5_000, "the byte tokenizer read {read} of 20,000");
    let mut pick = picker(0x5a17_12ee_d1ff_0002);
    for case in 0..10_000 {
        let html: String = (0..1 + pick(24)).map(|_| PIECES[pick(PIECES.len())]).collect();
        assert_same_tree(&html, &format!("pieces {case}"));
    }
}

/// What the byte tokenizer decides itself, one case each, and whether it reads the case or
/// leaves it to html5ever: a parse error keeps a `<pre>`'s first line feed (as a token, the
/// error is what the `<pre>` ignores), attribute references stay as written before `=` or a
/// letter, carriage returns read as line feeds, raw text ends only at its own end tag, and
/// what it leaves (a script's `<!--`, SVG's CDATA, a NUL) is html5ever's.
#[test]
fn the_byte_tokenizer_agrees_with_html5ever_on_each_rule_it_implements() {
    set_base("https://caliber.az/post/a");
    for (html, read) in [
        ("<pre>\nx</pre>", true),
        ("<pre>&#10x</pre>", true),
        ("<pre></>\nx</pre><pre><!---->\ny</pre>", true),
        ("<a href=\"/s?a=1&amp=2&ampx&amp;y&notit;\" title='&notin;&not'>&notit; &Amp; &amp</a>", true),
        ("<p title=a&#x41;&#65&#0;&#x110000;&#128;>&#xD800;&#99999999999;&#;&#x;</p>", true),
        ("a\r\nb\rc<p\rclass=x\r\n>d</p>", true),
        ("<p a=1 A=2 b c=\"3\"d/e/>x</P a>", true),
        ("<script>x</scriptx></script><p>after</p>", true),
        ("<textarea>&amp;</textarea ><title>a</titlex></TITLE>b", true),
        ("<style>p{}</style><iframe>i</iframe><noscript><b>n</b></noscript><xmp>&amp;</xmp><plaintext><b>", true),
        ("<!DOCTYPE html><?xml x?><!x><!----><!--><!---->c<!--a--!>d</ x>e<!--f", true),
        ("<!--a--!>b-->c<!--d-->e--!>f<!--g---->h<!--i--!-->j<!--k-!>l-->m<!--n--", true),
        ("<meta charset=utf-8><p>x", true),
        ("<script><!--</script>x--></script>y", false),
        ("<svg><![CDATA[x]]></svg>", false),
        ("a\0b", false),
        ("<p title=\"unclosed", false),
    ] {
        assert_eq!(assert_same_tree(html, html), read, "read by the byte tokenizer: {html:?}");
    }
}

/// `straight`'s tree and html5ever's tree builder's are the same wherever `straight` reads
/// the markup to the end, node by node; whether it did.
fn assert_same_straight_tree(html: &str, what: &str) -> bool {
    let (straight, html5ever) = super::tree::straight_and_html5ever_trees(html);
    let Some(straight) = straight else { return false };
    let shown: String = html.chars().take(400).collect();
    assert_eq!(Some(&straight), html5ever.as_ref(), "{what}: {shown:?}");
    true
}

/// The tree builder `sanitize::straight` puts in front of html5ever's, held to it on every
/// fixture and corpus file, and shown to read most of the bodies a sync reads (were it to
/// give up on everything, the sanitiser would be as right and as slow as before).
#[test]
fn the_straight_builder_builds_the_trees_html5evers_builds_from_every_fixture() {
    set_base("https://caliber.az/post/some-article");
    let (mut cases, mut read) = (0, 0);
    for (name, text) in corpus_files() {
        let unescaped = text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&amp;", "&");
        for html in [text.as_str(), unescaped.as_str()] {
            cases += 1;
            read += usize::from(assert_same_straight_tree(html, &name));
            assert_same_tree(html, &name);
        }
    }
    // Whole pages and feeds have `<head>`s, tables and `<pre>`s: it reads some of them.
    assert!(cases > 60 && read > 5, "the straight builder read {read} of {cases}");
    // The bodies of the site's own pages and feeds, which are what a sync mostly reads.
    for body in [
        "<p>Baku &amp; Ganja: &laquo;talks&raquo; &#8212; day&nbsp;2</p>",
        "<figure><img src=\"/a.jpg\" alt='x'><figcaption>c</figcaption></figure><!-- wp:paragraph --><p>a<br/>b</p>",
        "<p><a href=\"/x\">link <strong>bold</strong></a> and <em>more</em></p>\n<ul><li>one</li><li>two</li></ul><blockquote><p>q</p></blockquote><h2>Head</h2>",
    ] {
        assert!(assert_same_straight_tree(body, body), "given up: {body}");
    }
}

/// Nested markup as feeds write it, every kind of tag `straight` takes and some it does not,
/// closed in order mostly and out of order sometimes, with text, comments and references.
fn nested_markup(pick: &mut impl FnMut(usize) -> usize, depth: usize, out: &mut String) {
    const TAGS: &[&str] = &[
        "p", "div", "span", "a href=\"/x\"", "a", "b", "i", "em", "strong", "code", "font color=red", "nobr", "s", "u", "small", "big", "tt",
        "strike", "ul", "ol", "li", "blockquote cite=\"/c\"", "h1", "h2", "h6", "figure", "figcaption", "section", "article", "aside",
        "details", "summary", "dl", "dialog", "center", "menu", "search", "address", "header", "footer", "main", "nav", "hgroup", "dir",
        "fieldset", "object data=/o", "applet", "marquee", "button", "form action=/f", "x-custom", "noscript", "sub", "sup", "q", "abbr",
        "time", "mark", "picture", "label", "ins", "del", "bdo dir=rtl", "table", "pre", "textarea", "select", "svg", "math", "dd", "dt",
        "template", "ruby", "rt", "caption", "td", "tr", "isindex",
    ];
    const LEAVES: &[&str] = &[
        "text ", "Бакı «ə» ", "&amp; &lt;b&gt; &nbsp;", " ", "\n", "<br>", "<br/>", "<img src=\"/i.png\" alt=\"&quot;\">", "<hr>", "<wbr>",
        "<input type=text>", "<source srcset=/s>", "<embed src=/e>", "<area href=/a>", "<param name=p>", "<track src=/t>", "<keygen>",
        "<!-- c -->", "<script>alert('</b>')</script>", "<style>p{}</style>", "<iframe src=/f><b>i</b></iframe>", "<noembed>n</noembed>",
        "<noframes>f</noframes>", "<title>t &amp; t</title>", "<xmp><i>x</i></xmp>", "</p>", "</b>", "</li>", "</div>", "</x-custom>",
        "<image src=x>", "<!DOCTYPE html>", "</br>", "<meta charset=utf-8>", "<link rel=x>", "<p>", "<li>", "<a>", "<b>",
    ];
    for _ in 0..pick(5) {
        if depth < 5 && pick(12) == 0 {
            // A table as feeds write them, with or without its sections and caption, with
            // whitespace between its parts and markup in its cells.
            out.push_str(["<table>", "<table class=\"data\">\n", "<table><caption>c <b>d</b></caption>"][pick(3)]);
            let sections = pick(3);
            for section in 0..1 + pick(2) {
                let name = ["thead", "tbody", "tfoot"][section % 3];
                if sections > 0 {
                    out.push_str(&format!("<{name}>"));
                }
                for _ in 0..1 + pick(3) {
                    out.push_str(["<tr>", " <tr>", "<tr>\n"][pick(3)]);
                    for _ in 0..1 + pick(3) {
                        let cell = ["td", "th"][pick(2)];
                        out.push_str(&format!("<{cell}>"));
                        nested_markup(pick, depth + 2, out);
                        if pick(8) != 0 {
                            out.push_str(&format!("</{cell}>"));
                        }
                    }
                    if pick(8) != 0 {
                        out.push_str("</tr>");
                    }
                }
                if sections > 1 {
                    out.push_str(&format!("</{name}>"));
                }
            }
            out.push_str(["</table>", "</table>\n", " </table>", "x</table>"][pick(4)]);
            continue;
        }
        if depth >= 6 || pick(3) == 0 {
            out.push_str(LEAVES[pick(LEAVES.len())]);
            continue;
        }
        let tag = TAGS[pick(TAGS.len())];
        let name = tag.split(' ').next().unwrap();
        out.push('<');
        out.push_str(tag);
        out.push('>');
        nested_markup(pick, depth + 1, out);
        // Mostly its own end tag; sometimes none, or another's.
        match pick(12) {
            0 => {}
            1 => out.push_str(&format!("</{}>", TAGS[pick(TAGS.len())].split(' ').next().unwrap())),
            _ => out.push_str(&format!("</{name}>")),
        }
    }
}

#[test]
fn the_straight_builder_builds_the_trees_html5evers_builds_from_generated_markup() {
    set_base("https://caliber.az/post/a");
    let mut pick = picker(0x57_2a_19_47);
    let (mut read, cases) = (0, 30_000);
    for case in 0..cases {
        let mut html = String::new();
        nested_markup(&mut pick, 0, &mut html);
        read += usize::from(assert_same_straight_tree(&html, &format!("nested {case}")));
        assert_same_tree(&html, &format!("nested {case}"));
    }
    assert!(read * 4 > cases, "the straight builder read {read} of {cases}");
    let mut pick = picker(0x5a17_12ee_d1ff_0003);
    for case in 0..10_000 {
        let html: String = (0..1 + pick(24)).map(|_| PIECES[pick(PIECES.len())]).collect();
        assert_same_straight_tree(&html, &format!("pieces {case}"));
    }
}

/// Where `straight` reads the markup itself and where it leaves it to html5ever's tree
/// builder, one case each; every case it reads builds html5ever's tree.
#[test]
fn the_straight_builder_gives_up_where_html5evers_rules_do_more_than_push_and_pop() {
    set_base("https://caliber.az/post/a");
    for (html, read) in [
        ("<p>a<p>b</p>", true),
        ("<li>a<li>b<ul><li>c</ul>", true),
        ("<li><p>a<li>b</li><div><p>c<li>d</div>", true),
        ("<h2><p>a</h2><object><p>b</object><form><p>c</form><button><li>d</button>", true),
        ("<div><p>a</p>b<hr><img src=x>c</div>", true),
        ("<b><b><b>x</b></b></b>", true),
        ("<a href=/1>a</a><a href=/2>b</a>", true),
        ("<object><b>x</b></object><b>y</b>", true),
        ("<form><input><button>b</button></form><form></form>", true),
        ("<p><script>x</p>y</script><style>s</style>z</p>", true),
        ("<x-custom><noscript><p>n</p></noscript></x-custom>", true),
        ("<li>a<isindex><li>b</li></isindex></li>", true),
        ("<p>a<table class=t><caption>c</caption><thead><tr><th>&nbsp;</th></tr></thead><tbody><tr><td>1 <b>2</b></td></tr></tbody></table>", true),
        ("<table> <tr><td><p>a</td><th><table><tr><td>b</td></tr></table></th></tr>\n</table>", true),
        ("<table><tbody><tr><td>a</td></tr></table>", true),
        ("<p><b>a<p>b", false),
        ("<p><div>a</div></p>", false),
        ("<a>a<a>b", false),
        ("<b><b><b><b>x", false),
        ("<b>a</i>", false),
        ("<b><p>a</b>b</p>", false),
        ("<h1>a<h2>b", false),
        ("<nobr>a<nobr>b", false),
        ("<button>a<button>b", false),
        ("<form>a<form>b", false),
        ("<li><b>a<li>b", false),
        ("<li>a<dialog><li>c", false),
        ("<span><p>a</span>", false),
        ("<h2><p>a</h3>", false),
        ("<object><b>x</object>", false),
        ("<table><tr><td>x</table>", false),
        ("<table>x<tr><td>y</td></tr></table>", false),
        ("<table><b>x</b></table>", false),
        ("<table><td>x</td></table>", false),
        ("<table><tr><td>a<td>b</tr></table>", false),
        ("<table><tr><td><b>a</td></tr></table>", false),
        ("<table><thead><tr><th>a</th></tr><tbody></table>", false),
        ("<table><caption>a<tr></table>", false),
        ("<pre>\nx</pre>", false),
        ("<textarea>\nx</textarea>", false),
        ("<svg><b>x</b></svg>", false),
        ("<dl><dt>a<dd>b</dl>", false),
        ("</p>", false),
        ("a</br>b", false),
        ("<!DOCTYPE html><p>x", false),
    ] {
        assert_eq!(assert_same_straight_tree(html, html), read, "read by the straight builder: {html:?}");
        assert_same_tree(html, html);
    }
}


/// Markup `straight` reads is no longer bounded first (`sanitize`): where `depth::bound`
/// leaves it as it is, the output is the one bounding first gave, byte for byte, with the same
/// text; where it would cut it, `straight` has either given up (and it is bounded first after
/// all) or built a tree within the bounds, and the output is a fixed point within them.
fn assert_same_as_bounded_first(html: &str, what: &str) {
    let base = super::BASE.with(|base| base.borrow().clone()).expect("set_base first");
    let ours = super::sanitize_html_and_text(html, &base);
    let shown: String = html.chars().take(400).collect();
    if matches!(super::depth::bound(html), std::borrow::Cow::Borrowed(_)) {
        assert_eq!(ours, super::sanitize_html_and_text_bounded_first(html, &base), "{what}: {shown:?}");
    } else {
        assert_eq!(super::sanitize_html(&ours.0, &base), ours.0, "{what}: not a fixed point: {shown:?}");
        assert!(!deepest(&ours.0).beyond_bound(), "{what}: beyond the bounds: {shown:?}");
    }
}

/// How deep `html` (the policy's output: every element closed, in order) nests.
fn deepest(html: &str) -> super::depth::Nesting {
    let (mut depth, mut deepest) = (super::depth::Nesting::default(), super::depth::Nesting::default());
    let void = ["br", "img", "hr", "wbr", "source", "col", "area"];
    for tag in html.split('<').skip(1) {
        let name: String = tag.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '/').collect();
        let formatting = |n: &str| super::depth::is_formatting(n);
        if let Some(name) = name.strip_prefix('/') {
            depth.elements -= 1;
            depth.formatting -= usize::from(formatting(name));
        } else if !void.contains(&name.as_str()) && !name.is_empty() {
            depth.elements += 1;
            depth.formatting += usize::from(formatting(&name));
            deepest.elements = deepest.elements.max(depth.elements);
            deepest.formatting = deepest.formatting.max(depth.formatting);
        }
    }
    deepest
}

#[test]
fn markup_read_unbounded_comes_out_as_bounded_first_or_within_the_bounds() {
    set_base("https://caliber.az/post/some-article");
    for (name, text) in corpus_files() {
        assert_same_as_bounded_first(&text, &name);
        assert_same_as_bounded_first(&text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&amp;", "&"), &name);
    }
    let mut pick = picker(0xb0_0d_ed_01);
    for case in 0..5_000 {
        let mut html = String::new();
        nested_markup(&mut pick, 0, &mut html);
        assert_same_as_bounded_first(&html, &format!("nested {case}"));
        let html: String = (0..1 + pick(24)).map(|_| PIECES[pick(PIECES.len())]).collect();
        assert_same_as_bounded_first(&html, &format!("pieces {case}"));
    }
    // Deep: repeated markup around both bounds, nested as written or not.
    let unit = ["<div>", "<b>", "<span>", "<li><p>a", "<p><b>", "<table><tr><td>", "<object>", "<a href=/x>", "<i><em>", "<ul><li>"];
    for unit in unit {
        for times in [16, 31, 32, 33, 64, 127, 128, 129, 200] {
            let open = unit.repeat(times);
            assert_same_as_bounded_first(&open, &format!("{unit} x {times}"));
            let names: Vec<&str> = unit.split('<').skip(1).map(|t| t.split(['>', ' ']).next().unwrap()).collect();
            let ends: String = names.iter().rev().map(|name| format!("</{name}>")).collect();
            let closed = format!("{open}x{}", ends.repeat(times));
            assert_same_as_bounded_first(&closed, &format!("{unit} x {times}, closed"));
        }
    }
}

#[test]
fn markup_past_the_bounds_is_still_bounded_when_it_nests_as_written() {
    let base = url::Url::parse("https://caliber.az/post/a").unwrap();
    // 129 nested `<div>`s: `straight` gives up, and the 129th is dropped as before.
    let divs = format!("{}x{}", "<div>".repeat(129), "</div>".repeat(129));
    assert_eq!(super::sanitize_html(&divs, &base).matches("<div>").count(), 128);
    // 33 nested `<b>`s: 32 kept.
    let bolds = format!("{}x{}", "<b>".repeat(33), "</b>".repeat(33));
    assert_eq!(super::sanitize_html(&bolds, &base).matches("<b>").count(), 32);
    // A tag with more attributes than the bound: left to be bounded first, as before.
    let attributes: String = (0..300).map(|i| format!(" a{i}=1")).collect();
    for html in [format!("<p{attributes} title=t>x</p>"), format!("{}<p{attributes} title=t>x</p>", "<br>".repeat(40))] {
        assert!(super::tree::straight_and_html5ever_trees(&html).0.is_none(), "read by the straight builder");
        assert_eq!(super::sanitize_html_and_text(&html, &base), super::sanitize_html_and_text_bounded_first(&html, &base));
    }
    assert_eq!(super::sanitize_html(&format!("{}<p{attributes} title=t>x</p>", "<br>".repeat(40)), &base), format!("{}<p>x</p>", "<br>".repeat(40)));
    // What the bound's model of the parser counts deeper than the parser builds it, and
    // `straight` reads as the parser does: every list item is kept now.
    let items = "<li><p>a".repeat(300);
    assert!(matches!(super::depth::bound(&items), std::borrow::Cow::Owned(_)));
    let clean = super::sanitize_html(&items, &base);
    assert_eq!(clean.matches("<li>").count(), 300);
    assert_eq!(super::sanitize_html(&clean, &base), clean);
}


