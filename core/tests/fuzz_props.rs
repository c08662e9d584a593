//! Property tests over hostile input: the fast, stable half of the fuzzing (the
//! coverage-guided half is `core/fuzz/`, see docs/reliability/fuzzing.md). Generators
//! build markup, feeds, site pages and dates the way an attacker or a broken server would;
//! the invariants are the ones the fuzz targets assert (`caliber_core::fuzzing`):
//! no panic, bounded time per input, sanitised output with no script-capable markup and
//! nothing but http(s)/mailto URLs (checked on the tree the HTML5 parser builds), and
//! sanitising twice gives what sanitising once gave.
//!
//! `PROPTEST_CASES=2000 cargo test -p caliber-core --test fuzz_props` runs longer.
//! The regression tests at the end are the fuzzers' findings, one each.

use std::time::{Duration, Instant};

use caliber_core::fuzzing::{self, PreparedArticle};
use proptest::prelude::*;
use proptest::test_runner::Config;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

/// Time one input may take in a debug build (a release fuzz run allows 5 s on its own).
const BUDGET: Duration = Duration::from_secs(3);

fn config(default_cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default_cases);
    Config { cases, failure_persistence: None, ..Config::default() }
}

fn timed<T>(what: &str, input: &impl std::fmt::Debug, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    let took = start.elapsed();
    assert!(took < BUDGET, "{what} took {took:?} on {input:?}");
    out
}

// ------------------------------------------------------------------ generators

/// `javascript:` and friends in the disguises browsers (or URL parsers) see through, and
/// ordinary URLs, relative ones and the app's own origins.
fn url_value() -> impl Strategy<Value = String> {
    let lead = prop::sample::select(vec!["", " ", "  ", "\t", "\n", "\u{0}", "\u{1}", "\u{1f}", "&#32;", "&#x09;", "\u{a0}", "\u{feff}"]);
    let scheme = prop::sample::select(vec![
        "javascript", "JaVaScRiPt", "JAVASCRIPT", "java\tscript", "java\nscript", "java\rscript", "jav&#x09;ascript",
        "&#106;avascript", "&#x6A;avascript", "&#0000106;avascript", "javascript&#58;", "vbscript", "VBScript", "data",
        "DATA", "livescript", "mocha", "file", "tauri", "ipc", "caliber-img", "http", "https", "HTTP", "mailto", "MailTo",
        "ftp", "blob",
    ]);
    let colon = prop::sample::select(vec![":", ":", ":", "&#58;", "&colon;", "&#x3a;", "%3a", "\t:", ""]);
    let rest = prop::sample::select(vec![
        "alert(1)", "//evil.example/x", "//localhost/x", "//ipc.localhost/plugin", "//caliber-img.localhost/a.png",
        "text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==", "image/svg+xml,<svg onload=alert(1)>", "x@y.z",
        "//example.org/ok", "/rooted", "../up", "?q=1", "#frag", "//LOCALHOST./", "//[::1]/", "//127.0.0.1/",
        "//tauri.localhost/", "%0aalert(1)", "&#x61;lert(1)",
    ]);
    prop_oneof![
        (lead.clone(), scheme, colon, rest.clone()).prop_map(|(l, s, c, r)| format!("{l}{s}{c}{r}")),
        (lead, rest).prop_map(|(l, r)| format!("{l}{r}")),
        "[ -~]{0,24}",
    ]
}

fn attribute() -> impl Strategy<Value = String> {
    let name = prop::sample::select(vec![
        "href", "HREF", "src", "SrC", "onclick", "onerror", "OnLoad", "onmouseover", "onfocus", "style", "srcdoc", "action",
        "formaction", "xlink:href", "poster", "data", "background", "srcset", "ping", "cite", "dynsrc", "lowsrc", "title",
        "class", "id", "rel", "target", "lang", "width", "alt", "xmlns", "is", "autofocus", "open",
    ]);
    let value = prop_oneof![
        3 => url_value(),
        1 => prop::sample::select(vec!["alert(1)", "expression(alert(1))", "x:expression(1)", "\"><script>alert(1)</script>", "'><svg onload=1>", "1 onerror=alert(1)"]).prop_map(str::to_owned),
        1 => "\\PC{0,12}",
    ];
    let quote = prop::sample::select(vec!["\"", "'", "", "`"]);
    let space = prop::sample::select(vec![" ", "\t", "\n", "/", " / ", "\u{c}"]);
    (space, name, value, quote).prop_map(|(sp, n, v, q)| {
        let v = if q.is_empty() { v.replace([' ', '>'], "") } else { v.replace(q, "") };
        format!("{sp}{n}={q}{v}{q}")
    })
}

fn tag_name() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "script", "SCRIPT", "ScRiPt", "svg", "math", "iframe", "a", "A", "img", "IMG", "style", "base", "meta", "form",
        "template", "noscript", "object", "embed", "link", "input", "button", "textarea", "select", "option", "table", "td",
        "tr", "p", "div", "span", "b", "i", "em", "strong", "ul", "li", "pre", "code", "blockquote", "h1", "video", "audio",
        "source", "picture", "frameset", "frame", "xmp", "plaintext", "noembed", "noframes", "title", "foreignObject",
        "desc", "mtext", "annotation-xml", "mglyph", "malignmark", "animate", "set", "use", "image", "isindex", "keygen",
        "details", "dialog", "marquee", "applet", "param", "body", "html", "head",
    ])
}

/// Leaves: text with markup characters, comments, CDATA, entities, broken tags.
fn leaf() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-zA-Z0-9 <>&;/=\"'!?-]{0,20}",
        1 => "\\PC{0,16}",
        1 => prop::sample::select(vec![
            "<!-- <script>alert(1)</script> -->", "<!--><script>alert(1)</script>-->", "<!---->", "<!-- --!><img src=x onerror=1>",
            "<![CDATA[<script>alert(1)</script>]]>", "<![CDATA[", "]]>", "<?xml version='1.0'?>", "<?php x ?>",
            "<!DOCTYPE html>", "&lt;script&gt;alert(1)&lt;/script&gt;", "&#60;script&#62;", "&amp;lt;", "&#x0;", "&#27;",
            "&#0;", "&#x110000;", "&#128;", "&nbsp", "&NotANamedEntity;", "<", "</", "<a", "</a", "<script", "</script",
            "</script >", "</ script>", "<scr<script>ipt>", "<<script>>", "<img/src=x/onerror=alert(1)>",
            "<svg><script>alert(1)</script>", "<math><mi><mglyph><style><img src=x onerror=1>", "<noscript><p title=\"</noscript><img src=x onerror=1>\">",
            "<style><img src=x onerror=1></style>", "<template><script>1</script></template>", "<a href=\"javascript:1\">",
            "<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>", "\u{1b}[31m", "\u{2}\u{3}",
            "\u{9b}", "\u{7f}", "\u{0}",
        ]).prop_map(str::to_owned),
    ]
}

/// Elements of the tags above with hostile attributes and children, sometimes unclosed.
fn node() -> impl Strategy<Value = String> {
    leaf().prop_recursive(6, 48, 6, |inner| {
        (tag_name(), prop::collection::vec(attribute(), 0..4), prop::collection::vec(inner, 0..5), 0u8..4, any::<bool>()).prop_map(
            |(tag, attrs, children, close, self_closing)| {
                let mut s = format!("<{tag}{}{}>", attrs.concat(), if self_closing { "/" } else { "" });
                for c in children {
                    s.push_str(&c);
                }
                match close {
                    0 => {}
                    1 => s.push_str(&format!("</{}>", tag.to_ascii_uppercase())),
                    _ => s.push_str(&format!("</{tag}>")),
                }
                s
            },
        )
    })
}

/// Deep or long runs of one unit: the nesting bound and the parser's quadratic corners.
fn nesting() -> impl Strategy<Value = String> {
    // From 20: runs of 33 to 128 tags are where the bounds' thresholds meet.
    let unit = prop::sample::select(vec![
        "<div>", "<svg>", "<math>", "<table><td>", "<div/>", "<!--><div>", "<q><button>",
        "<ul><li>", "<select><option>", "<span>", "<template>", "<object>",
        "<b>", "<a href=\"https://x.example/\">", "<font>", "<em>", "<p><b>",
    ]);
    (unit, 20usize..400, prop::collection::vec(node(), 0..3)).prop_map(|(u, n, tail)| format!("{}{}", u.repeat(n), tail.concat()))
}

/// Hostile HTML: generated trees, deep nesting, random text, random bytes read as UTF-8.
fn hostile_html() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => prop::collection::vec(node(), 1..6).prop_map(|v| v.concat()),
        1 => nesting(),
        1 => "\\PC{0,200}",
        1 => any::<String>(),
        1 => prop::collection::vec(any::<u8>(), 0..300).prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
    ]
}

/// A date as a feed or a broken server might write one.
fn date_text() -> impl Strategy<Value = String> {
    let year = prop_oneof![
        Just("2025".to_owned()),
        (0i64..100).prop_map(|y| format!("{y:02}")),
        (-99_999i64..1_000_000).prop_map(|y| y.to_string()),
        any::<i64>().prop_map(|y| y.to_string()),
        (1i64..99999).prop_map(|y| format!("+{y}")),
    ];
    let small = || prop_oneof![(0u32..100).prop_map(|n| format!("{n:02}")), (0u32..10).prop_map(|n| n.to_string()), any::<u32>().prop_map(|n| n.to_string())];
    let month = prop::sample::select(vec!["Jan", "Feb", "Mar", "Dec", "January", "DECEMBER", "Foo", "Ma", "Jun"]);
    let zone = prop::sample::select(vec!["", "Z", "z", "+00:00", "-05:00", "+14:00", "-12:00", "+2359", "-99:99", "+9", "GMT", "UT", "EST", "PDT", "+", "-", "XYZ", "+0400"]);
    let day_name = prop::sample::select(vec!["", "Mon, ", "Sun ", "Xyz, ", "Tue,"]);
    prop_oneof![
        (year.clone(), small(), small(), small(), small(), small(), zone.clone())
            .prop_map(|(y, mo, d, h, mi, s, z)| format!("{y}-{mo}-{d}T{h}:{mi}:{s}{z}")),
        (year.clone(), small(), small(), zone.clone()).prop_map(|(y, mo, d, z)| format!("{y}{mo}{d}T{mo}{d}{z}")),
        (year.clone(), small()).prop_map(|(y, mo)| format!("{y}-{mo}")),
        year.clone(),
        (day_name, small(), month.clone(), year.clone(), small(), small(), small(), zone)
            .prop_map(|(w, d, m, y, h, mi, s, z)| format!("{w}{d} {m} {y} {h}:{mi}:{s} {z}")),
        (month, small(), year).prop_map(|(m, d, y)| format!("{m} {d} {y} 10:00")),
        "[0-9:.,TZ +-]{0,30}",
        "\\PC{0,30}",
    ]
}

/// A date as the site prints one (three languages, today/yesterday, dotted).
fn site_time_text() -> impl Strategy<Value = String> {
    let month = prop::sample::select(vec!["Июня", "января", "September", "Sentyabr", "dekabr", "DECEMBER", "мая", "xyz"]);
    let num = || prop_oneof![(0i64..40).prop_map(|n| n.to_string()), (-100i64..100_000).prop_map(|n| n.to_string()), any::<i64>().prop_map(|n| n.to_string())];
    let time = || prop_oneof![Just("17:24".to_owned()), (0u32..100, 0u32..100).prop_map(|(h, m)| format!("{h}:{m:02}")), "[0-9:]{0,8}"];
    prop_oneof![
        (num(), month, num(), time()).prop_map(|(d, m, y, t)| format!("{d} {m} {y}, {t}")),
        (num(), num(), num(), time()).prop_map(|(d, m, y, t)| format!("{d}.{m}.{y} {t}")),
        (prop::sample::select(vec!["Сегодня", "Вчера", "Today", "Yesterday", "Bu gün", "Dünən"]), time()).prop_map(|(w, t)| format!("{w} {t}")),
        "\\PC{0,30}",
    ]
}

/// Text a feed may put in a title, author or category: markup, entities, controls.
fn feed_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z <>&;]{0,20}",
        "\\PC{0,20}",
        leaf(),
        Just("\u{1b}]52;c;ZXZpbA==\u{7}Title\u{2}x\u{3}".to_owned()),
        Just("&lt;script&gt;alert(1)&lt;/script&gt;".to_owned()),
    ]
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn cdata(s: &str) -> String {
    format!("<![CDATA[{}]]>", s.replace("]]>", "]]]]><![CDATA[>"))
}

#[derive(Debug, Clone)]
struct GenItem {
    title: String,
    link: String,
    body: String,
    date: String,
    author: String,
    category: String,
    image: String,
    escaped: bool,
}

fn gen_item() -> impl Strategy<Value = GenItem> {
    (feed_text(), url_value(), hostile_html(), date_text(), feed_text(), feed_text(), url_value(), any::<bool>()).prop_map(
        |(title, link, body, date, author, category, image, escaped)| GenItem { title, link, body, date, author, category, image, escaped },
    )
}

/// RSS 2.0, Atom or JSON Feed documents whose every field is hostile.
fn hostile_feed() -> impl Strategy<Value = Vec<u8>> {
    (0u8..3, feed_text(), prop::collection::vec(gen_item(), 1..4)).prop_map(|(kind, title, items)| {
        let body = |i: &GenItem| if i.escaped { xml_escape(&i.body) } else { cdata(&i.body) };
        match kind {
            0 => {
                let mut s = format!("<?xml version=\"1.0\"?><rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:media=\"http://search.yahoo.com/mrss/\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\"><channel><title>{}</title>", xml_escape(&title));
                for i in &items {
                    s.push_str(&format!(
                        "<item><title>{}</title><link>{}</link><description>{}</description><content:encoded>{}</content:encoded><pubDate>{}</pubDate><dc:creator>{}</dc:creator><category>{}</category><media:content url=\"{}\" medium=\"image\"/></item>",
                        xml_escape(&i.title), xml_escape(&i.link), body(i), body(i), xml_escape(&i.date), xml_escape(&i.author),
                        xml_escape(&i.category), xml_escape(&i.image).replace('"', "&quot;"),
                    ));
                }
                s.push_str("</channel></rss>");
                s.into_bytes()
            }
            1 => {
                let mut s = format!("<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:base=\"{}\"><title type=\"html\">{}</title>", xml_escape(&items[0].link).replace('"', "&quot;"), xml_escape(&title));
                for (n, i) in items.iter().enumerate() {
                    s.push_str(&format!(
                        "<entry><id>tag:x,{n}</id><title type=\"html\">{}</title><link rel=\"alternate\" href=\"{}\"/><updated>{}</updated><published>{}</published><author><name>{}</name></author><category term=\"{}\"/><summary type=\"html\">{}</summary><content type=\"{}\">{}</content></entry>",
                        xml_escape(&i.title), xml_escape(&i.link).replace('"', "&quot;"), xml_escape(&i.date), xml_escape(&i.date),
                        xml_escape(&i.author), xml_escape(&i.category).replace('"', "&quot;"), body(i),
                        if i.escaped { "html" } else { "xhtml" }, if i.escaped { body(i) } else { format!("<div xmlns=\"http://www.w3.org/1999/xhtml\">{}</div>", body(i)) },
                    ));
                }
                s.push_str("</feed>");
                s.into_bytes()
            }
            _ => {
                let items: Vec<serde_json::Value> = items
                    .iter()
                    .enumerate()
                    .map(|(n, i)| {
                        serde_json::json!({
                            "id": format!("{n}"), "url": i.link, "title": i.title, "content_html": i.body, "summary": i.body,
                            "date_published": i.date, "authors": [{"name": i.author}], "tags": [i.category], "image": i.image,
                        })
                    })
                    .collect();
                serde_json::json!({"version": "https://jsonfeed.org/version/1.1", "title": title, "items": items}).to_string().into_bytes()
            }
        }
    })
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{name}")).unwrap_or_else(|e| panic!("{name}: {e}"))
}

const FEED_FIXTURES: &[&str] = &[
    "atom.xml", "az.xml", "feed.json", "hostile.xml", "rss091.xml", "rss1.rdf", "rss2.xml", "ru-windows-1251.xml", "truncated.xml",
    "site/rss.xml", "site/other-feed.xml",
];

const SITE_ARTICLES: &[&str] =
    &["site/ru/post/baku-forum.html", "site/ru/post/gyandzha-park.html", "site/ru/post/neft-ceny.html", "site/ru/post/redesign.html", "site/en/post/cica-baku.html", "site/en/post/caspian-energy.html", "site/other-article.html"];

const SITE_LISTINGS: &[&str] = &["site/ru/index.html", "site/en/index.html", "site/ru/changed-listing.html", "site/ru/no-cards.html"];

/// One edit of a document: delete, duplicate, overwrite, insert hostile bytes, truncate.
#[derive(Debug, Clone)]
enum Mutation {
    Delete(usize, usize),
    Duplicate(usize, usize),
    Overwrite(usize, u8),
    Insert(usize, Vec<u8>),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let snippet = prop_oneof![
        hostile_html().prop_map(String::into_bytes),
        prop::collection::vec(any::<u8>(), 1..8),
        prop::sample::select(vec!["<", "&", "]]>", "<![CDATA[", "</item>", "<item>", "</channel>", "\"", "{", "}", "]", "\\u0000", "\u{feff}", "<?xml version='1.0' encoding='utf-16'?>", "&#0;", "&lt;", "<!DOCTYPE x [<!ENTITY a \"&a;&a;\">]>&a;"]).prop_map(|s| s.as_bytes().to_vec()),
    ];
    prop_oneof![
        (any::<usize>(), 1usize..64).prop_map(|(a, n)| Mutation::Delete(a, n)),
        (any::<usize>(), 1usize..256).prop_map(|(a, n)| Mutation::Duplicate(a, n)),
        (any::<usize>(), any::<u8>()).prop_map(|(a, b)| Mutation::Overwrite(a, b)),
        (any::<usize>(), snippet).prop_map(|(a, s)| Mutation::Insert(a, s)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn mutate(mut doc: Vec<u8>, edits: &[Mutation]) -> Vec<u8> {
    for edit in edits {
        let len = doc.len().max(1);
        match edit {
            Mutation::Delete(at, n) => {
                let at = at % len;
                let end = (at + n).min(doc.len());
                doc.drain(at.min(end)..end);
            }
            Mutation::Duplicate(at, n) => {
                let at = at % len;
                let end = (at + n).min(doc.len());
                let copy = doc[at.min(end)..end].to_vec();
                let tail = doc.split_off(end);
                doc.extend(copy);
                doc.extend(tail);
            }
            Mutation::Overwrite(at, b) => {
                if !doc.is_empty() {
                    doc[at % len] = *b;
                }
            }
            Mutation::Insert(at, s) => {
                let at = (at % len).min(doc.len());
                let tail = doc.split_off(at);
                doc.extend(s);
                doc.extend(tail);
            }
            Mutation::Truncate(at) => doc.truncate(at % len),
        }
    }
    doc
}

fn assert_sanitised(input: &str, out: &str) {
    let violations = fuzzing::sanitized_violations(out);
    assert!(violations.is_empty(), "{violations:#?}\n input: {input:?}\noutput: {out:?}");
}

fn assert_article(input: &impl std::fmt::Debug, a: &PreparedArticle) {
    let violations = fuzzing::article_violations(a);
    assert!(violations.is_empty(), "{violations:#?}\n input: {input:?}\narticle: {a:?}");
}

fn check_feed(body: &[u8]) {
    let parsed = timed("parse_feed", &String::from_utf8_lossy(body), || fuzzing::parse_feed(body, fuzzing::BASE));
    if let Ok((title, articles)) = parsed {
        if let Some(t) = &title {
            assert!(!t.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')), "feed title {t:?}");
        }
        for a in &articles {
            assert_article(&String::from_utf8_lossy(body), a);
        }
    }
}

fn check_site_page(html: &str) {
    if let Ok(a) = timed("site_article", &html, || fuzzing::site_article(html)) {
        assert_article(&html, &a);
    }
    if let Ok(cards) = timed("site_listing", &html, || fuzzing::site_listing(html)) {
        for card in &cards {
            let violations = fuzzing::card_violations(card);
            assert!(violations.is_empty(), "{violations:#?}\n input: {html:?}\ncard: {card:?}");
        }
    }
}

/// An article page of the site's layout with hostile parts.
fn hostile_site_page() -> impl Strategy<Value = String> {
    (feed_text(), site_time_text(), hostile_html(), url_value(), feed_text()).prop_map(|(title, time, body, cover, section)| {
        format!(
            "<html><body><div class=\"post_categoty\">{section}</div><h1 class=\"post_title\">{title}</h1><div class=\"post_time\">{time}</div>\
             <div class=\"post_cover\" style=\"background-image: url('{cover}')\"></div><div class=\"post_body\">{body}</div>\
             <div class=\"float_block\"><a href=\"{cover}\"><div class=\"float_block_title\">{title}</div></a><div class=\"float_block_time\">{time}</div>\
             <div style=\"background-image: url({cover})\"></div></div></body></html>"
        )
    })
}

// ------------------------------------------------------------------ properties

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn sanitised_output_has_no_script_capable_markup_and_is_idempotent(html in hostile_html()) {
        let out = timed("sanitize", &html, || fuzzing::sanitize(&html));
        assert_sanitised(&html, &out);
        // The index's text made in the same walk is what the HTML reads back as.
        let (with_text, text) = fuzzing::sanitize_and_text(&html);
        prop_assert_eq!(&with_text, &out);
        prop_assert_eq!(&text, &fuzzing::index_text(&out), "the walk's text of {:?}", html);
        let twice = timed("sanitize", &out, || fuzzing::sanitize(&out));
        prop_assert_eq!(&twice, &out, "not idempotent on {:?}", html);
        // The text for the index and summaries never panics either.
        let _ = caliber_core::html_to_text(&html);
    }
}

proptest! {
    #![proptest_config(config(256))]

    /// The sanitiser writes, byte for byte, what ammonia (the library it replaced, now the
    /// reference) wrote for the same policy, and drops a URL exactly when it did.
    #[test]
    fn one_pass_of_the_policy_gives_what_the_reference_gives(html in hostile_html()) {
        let (ours, reference) = timed("sanitize", &html, || fuzzing::policy_and_reference_pass(&html));
        prop_assert_eq!(ours, reference, "on {:?}", html);
    }
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn hostile_feeds_parse_or_fail_cleanly_and_store_only_safe_articles(body in hostile_feed()) {
        check_feed(&body);
    }

    #[test]
    fn mutated_fixture_feeds_parse_or_fail_cleanly(
        which in 0..FEED_FIXTURES.len(),
        edits in prop::collection::vec(mutation(), 1..6),
    ) {
        let doc = mutate(fixture(FEED_FIXTURES[which]), &edits);
        check_feed(&doc);
    }

    #[test]
    fn arbitrary_bytes_parse_or_fail_cleanly(body in prop_oneof![
        prop::collection::vec(any::<u8>(), 0..512),
        "\\PC{0,256}".prop_map(String::into_bytes),
        prop::collection::vec(any::<u8>(), 0..256).prop_map(|b| { let mut d = b"<rss><channel><item>".to_vec(); d.extend(b); d }),
        prop::collection::vec(any::<u8>(), 0..256).prop_map(|b| { let mut d = b"{\"version\":\"https://jsonfeed.org/version/1\",\"items\":[".to_vec(); d.extend(b); d }),
    ]) {
        check_feed(&body);
    }

    #[test]
    fn mutated_site_pages_never_panic_and_yield_safe_articles(
        which in 0..SITE_ARTICLES.len() + SITE_LISTINGS.len(),
        edits in prop::collection::vec(mutation(), 1..6),
    ) {
        let name = SITE_ARTICLES.iter().chain(SITE_LISTINGS).nth(which).unwrap();
        let doc = mutate(fixture(name), &edits);
        check_site_page(&String::from_utf8_lossy(&doc));
    }

    #[test]
    fn hostile_site_pages_never_panic_and_yield_safe_articles(html in hostile_site_page()) {
        check_site_page(&html);
    }
}

proptest! {
    #![proptest_config(config(1024))]

    #[test]
    fn feed_dates_are_in_range_or_none(text in date_text()) {
        if let Some(d) = fuzzing::parse_date(&text) {
            prop_assert!(fuzzing::feed_date_in_range(d), "{:?} read as {:?}", text, d);
        }
    }

    #[test]
    fn site_dates_are_in_range_or_none(text in site_time_text()) {
        if let Some(d) = fuzzing::parse_site_time(&text) {
            prop_assert!(fuzzing::site_date_in_range(d), "{:?} read as {:?}", text, d);
        }
    }
}

// ------------------------------------------------------------------ regressions
// One test per finding of the fuzzers (docs/reliability/fuzzing.md), named after what it
// protects.

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    chrono::Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

/// Found by `feed_dates_are_in_range_or_none`: a year of five digits (or 0) was read as
/// such, and an item dated 20250 would sit atop every list for good.
#[test]
fn feed_dates_outside_four_digit_years_are_unreadable() {
    for text in ["20250-06-10T08:00:00Z", "120250610T080000Z", "10 Jun 99999 10:00 GMT", "Mon, 10 Jun 20250 08:00:00 +0000", "0000-01-01T00:00:00+01:00", "99999"] {
        assert_eq!(fuzzing::parse_date(text), None, "{text}");
    }
    assert_eq!(fuzzing::parse_date("9999-12-31T00:00:00Z"), Some(utc(9999, 12, 31, 0, 0)));
    assert_eq!(fuzzing::parse_date("10 Jun 25 10:00 GMT"), Some(utc(2025, 6, 10, 10, 0)));
}

/// Found by `site_dates_are_in_range_or_none`: "25.06.26" was read as the year 26.
#[test]
fn site_dates_with_two_digit_years_are_this_century() {
    assert_eq!(fuzzing::parse_site_time("25.06.26 17:24"), Some(utc(2026, 6, 25, 13, 24)));
    assert_eq!(fuzzing::parse_site_time("25.06.1900 17:24"), None);
    assert_eq!(fuzzing::parse_site_time("25.06.2026 17:24"), Some(utc(2026, 6, 25, 13, 24)));
}

/// Found by the `sanitize` fuzz target (a mutated fixture page): the output held a `<p>`
/// inside a `<p>`, which the parser reads back as two, so sanitising again changed it.
#[test]
fn sanitising_is_idempotent_when_removed_elements_leave_nested_paragraphs() {
    let input = String::from_utf8_lossy(&fixture("fuzz/sanitize-not-idempotent.bin")).into_owned();
    let once = fuzzing::sanitize(&input);
    assert_eq!(fuzzing::sanitize(&once), once);
    assert_sanitised(&input, &once);
}

/// Found by the property test above (3,000 cases): a `</P>` with no `<p>` open, 128 table
/// parts deep, made the parser insert an empty `<p>` past the depth bound, which the next
/// sanitise cut.
#[test]
fn sanitising_is_idempotent_when_a_stray_end_p_opens_a_paragraph_past_the_depth_bound() {
    let input = String::from_utf8_lossy(&fixture("fuzz/sanitize-stray-end-p-past-depth.bin")).into_owned();
    let once = fuzzing::sanitize(&input);
    assert_eq!(fuzzing::sanitize(&once), once);
    assert_sanitised(&input, &once);
}

/// Found by the `sanitize` fuzz target (a mutated fixture page): the adoption agency put a
/// link inside a link, from the policy's own tags, which the parser takes apart when it reads
/// it back, so sanitising again changed it.
#[test]
fn sanitising_is_idempotent_when_the_parser_puts_a_link_inside_a_link() {
    let input = String::from_utf8_lossy(&fixture("fuzz/sanitize-links-nested-by-the-adoption-agency.bin")).into_owned();
    let once = fuzzing::sanitize(&input);
    assert_eq!(fuzzing::sanitize(&once), once);
    assert_sanitised(&input, &once);
}

/// Found by the `sanitize` fuzz target after the fix above: links in blocks in links, many
/// levels deep, needed more passes than the three the sanitiser allowed after the second.
#[test]
fn sanitising_is_idempotent_when_links_nest_in_blocks_many_levels_deep() {
    let input = String::from_utf8_lossy(&fixture("fuzz/sanitize-links-nested-many-levels-deep.bin")).into_owned();
    let once = fuzzing::sanitize(&input);
    assert_eq!(fuzzing::sanitize(&once), once);
    assert_sanitised(&input, &once);
}

/// Found by the `feed` fuzz target: an RSS date in the year 21025 was stored as such.
#[test]
fn feed_items_dated_beyond_four_digit_years_are_stored_undated() {
    let (_, articles) = fuzzing::parse_feed(&fixture("fuzz/feed-year-21025.bin"), fuzzing::BASE).unwrap();
    for a in &articles {
        assert_article(&"feed-year-21025.bin", a);
    }
}

/// Found by the `date` fuzz target: a zone of four bytes that are not ASCII digits
/// ("+0\u{fffd}") was sliced by bytes inside a character, and parsing panicked.
#[test]
fn feed_dates_with_non_ascii_zones_are_unreadable_not_a_panic() {
    assert_eq!(fuzzing::parse_date("10 Jun 2024 08:00 +0\u{fffd}"), None);
    assert_eq!(fuzzing::parse_date("2024-06-10T08:00:00+€0"), None);
    let text = String::from_utf8_lossy(&fixture("fuzz/date-zone-not-ascii.bin")).into_owned();
    let _ = fuzzing::parse_date(&text);
    let _ = fuzzing::parse_site_time(&text);
}

/// Found by the `feed` fuzz target after the fixes above: an XML declaration whose
/// encoding is unquoted and starts with a non-ASCII letter (`encoding=срочная`) was sliced
/// inside that letter, and parsing panicked.
#[test]
fn xml_declaration_with_unquoted_non_ascii_encoding_is_not_a_panic() {
    let _ = fuzzing::parse_feed("<?xml version=\"1.0\" encoding=срочная?><rss><channel><item><title>a</title></item></channel></rss>".as_bytes(), fuzzing::BASE);
    let _ = fuzzing::parse_feed(&fixture("fuzz/feed-encoding-unquoted-cyrillic.bin"), fuzzing::BASE);
}

/// Found by the `feed` fuzz target (2026-12-05, built with coverage on stable): a DEL before
/// `aVaScRiPt:` in a link. As a relative URL it passed the schemes; trimming it as a control
/// then stored a link of another scheme (`javascript:` itself with the `J` left in). The URL
/// parser, and so the browser, keeps DEL.
#[test]
fn a_del_before_a_scheme_never_leaves_a_link_of_that_scheme() {
    check_feed(&fixture("fuzz/feed-del-before-a-scheme.bin"));
    let with_j = String::from_utf8_lossy(&fixture("fuzz/feed-del-before-a-scheme.bin")).replace("\u{7f}aVaScRiPt", "\u{7f}JaVaScRiPt");
    check_feed(with_j.as_bytes());
}

/// Found by the `sanitize` fuzz target (2026-12-05, built with coverage on stable): tables
/// nested past the depth bound, with markup the parser fosters out of them, came out one
/// element deeper than the bound, and the next sanitise cut that element. Nothing unsafe
/// survived; the stored HTML was not a fixed point.
#[test]
fn nested_tables_past_the_bound_sanitise_idempotently() {
    let input = String::from_utf8_lossy(&fixture("fuzz/sanitize-nested-tables-not-idempotent.bin")).into_owned();
    let once = fuzzing::sanitize(&input);
    assert_sanitised(&input, &once);
    assert_eq!(fuzzing::sanitize(&once), once);
    let (with_text, text) = fuzzing::sanitize_and_text(&input);
    assert_eq!((with_text, text), (once.clone(), fuzzing::index_text(&once)));
}

/// Found by the `sanitize` fuzz target (2026-12-05, the run that judged the byte tokenizer;
/// html5ever's own tokenizer builds the same trees): a heading opened inside a link inside
/// a heading, which the adoption agency moves to sit directly in the outer heading. The
/// parser closes the outer heading when it reads that back, so sanitising again changed
/// the output: `<h1>` was taken as a tag one pass leaves a fixed point, and the fixture
/// page needs a third pass after the second.
#[test]
fn headings_the_adoption_agency_nests_sanitise_idempotently() {
    for input in ["<h1><a><h1><a>".to_owned(), String::from_utf8_lossy(&fixture("fuzz/sanitize-headings-renested.bin")).into_owned()] {
        let once = fuzzing::sanitize(&input);
        assert_sanitised(&input, &once);
        assert_eq!(fuzzing::sanitize(&once), once, "{input:?}");
    }
}

/// Found by the `sanitize` fuzz target (2026-12-05, the same run): a control character
/// between `<pre>` and its first line feed hid that line feed from the pass that keeps it,
/// and was then stripped, so the next sanitise dropped the line feed.
#[test]
fn a_control_before_a_pres_first_line_feed_sanitises_idempotently() {
    for input in ["<pre>\u{8}\n".to_owned(), "<pre>&#8;\nx</pre>".to_owned(), String::from_utf8_lossy(&fixture("fuzz/sanitize-control-before-pre-line-feed.bin")).into_owned()] {
        let once = fuzzing::sanitize(&input);
        assert_sanitised(&input, &once);
        assert_eq!(fuzzing::sanitize(&once), once, "{input:?}");
    }
}

/// Found by the `sanitize` fuzz target (2026-12-05): an `</a>` the parser ignores, because
/// an `<object>` stands between it and its `<a>`, was counted as closing the `<a>`. So the
/// depth bound let 32 more formatting elements open inside it, 33 in all, and the next
/// sanitise cut the innermost one: the stored HTML was not a fixed point.
#[test]
fn formatting_opened_inside_a_link_its_end_tag_cannot_close_sanitises_idempotently() {
    for input in [
        format!("<a><object></a>{}", "<s>x".repeat(40)),
        format!("<b><object></b>{}", "<i>x ".repeat(40)),
        String::from_utf8_lossy(&fixture("fuzz/sanitize-open-deep-formatting-not-idempotent.bin")).into_owned(),
    ] {
        let once = fuzzing::sanitize(&input);
        assert_sanitised(&input, &once);
        assert_eq!(fuzzing::sanitize(&once), once, "{input:?}");
    }
}

/// Found by `sanitised_output_has_no_script_capable_markup_and_is_idempotent`: more than 32
/// unclosed `<b>` (the depth bound's `MAX_UNCLOSED_FORMATTING`) but fewer than 128 tags
/// skipped the bound, came out as that many nested `<b>`s, and the next sanitise cut them
/// to 32. Nothing unsafe survived; the stored HTML was not a fixed point.
#[test]
fn deep_unclosed_formatting_sanitises_idempotently() {
    let input = "<b>".repeat(100);
    let once = fuzzing::sanitize(&input);
    assert_sanitised(&input, &once);
    assert_eq!(fuzzing::sanitize(&once), once);
}

/// Found by the `feed` fuzz target in `./dev proof`: text before an XML declaration that
/// names an encoding made feed-rs's XML reader (quick-xml) panic. A panic in the parser is
/// now the document's error.
#[test]
fn text_before_an_xml_declaration_is_a_malformed_feed_not_a_panic() {
    let result = fuzzing::parse_feed(&fixture("fuzz/feed-text-before-xml-declaration.bin"), fuzzing::BASE);
    assert!(result.is_err(), "{result:?}");
    // And a declaration whose version holds bytes that are not UTF-8, naming windows-1251.
    let _ = fuzzing::parse_feed(&fixture("fuzz/feed-declaration-with-bad-bytes.bin"), fuzzing::BASE);
}
