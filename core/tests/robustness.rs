//! Hostile and broken documents: what is stored is safe, and what cannot be read is
//! refused with a clear error while everything stored before stays.

mod common;

use caliber_core::{SourceKind, SyncStatus};
use common::*;

#[tokio::test(flavor = "multi_thread")]
async fn hostile_html_is_sanitised_and_every_link_is_absolute_http() {
    let server = TestServer::start().await;
    server.route("/hostile.xml", Route::fixture("hostile.xml", RSS));
    let (_dir, core) = temp_core(fast_options());
    let url = server.url("/hostile.xml");
    add(&core, std::slice::from_ref(&url));

    let report = sync(&core).await;
    assert_eq!(report_for(&report, &url).status, SyncStatus::Ok, "{report:?}");
    let article = article_by_guid(&articles_of(&core, &url), "hostile-1");
    let html = article.content_html.as_deref().expect("content stored");
    let lower = html.to_ascii_lowercase();
    for banned in [
        "<script", "<style", "<iframe", "<form", "<input", "<button", "<object", "<embed", "<svg", "<meta", "<base",
        "<link", "onclick", "onmouseover", "onerror", "onload", "javascript:", "vbscript:", "data:", "style=",
        "formaction", "alert(", "steal(", "display: none", "evil.example",
    ] {
        assert!(!lower.contains(banned), "{banned:?} survived in {html}");
    }
    assert!(html.contains("Intro text stays.") && html.contains("Outro text stays.") && html.contains("styled block"), "{html}");

    let hrefs = attr_values(html, "href");
    let srcs = attr_values(html, "src");
    assert!(!hrefs.is_empty() && !srcs.is_empty(), "{html}");
    for value in hrefs.iter().chain(&srcs) {
        assert!(value.starts_with("http://") || value.starts_with("https://"), "not absolute http(s): {value:?} in {html}");
    }
    // Relative URLs are resolved against the feed's URL; good links stay as they were.
    for expected in [
        server.url("/relative/page.html"),
        server.url("/rooted/page.html"),
        server.url("/pics/photo.jpg"),
        "http://cdn.legit.example/lib.html".to_owned(),
        "https://ok.example/story".to_owned(),
    ] {
        assert!(hrefs.contains(&expected) || srcs.contains(&expected), "{expected} missing from {html}");
    }
    for attr in ["action", "formaction", "poster", "xlink:href", "ping", "background", "srcset"] {
        assert!(attr_values(html, attr).is_empty(), "{attr} survived in {html}");
    }

    // Text derived from the content carries no script either.
    let summary = article.summary.as_deref().unwrap_or("");
    assert!(!summary.contains("alert") && !summary.contains("steal"), "{summary}");
    assert_eq!(article.image_url.as_deref(), Some(server.url("/pics/photo.jpg").as_str()), "data: images are never the cover");
    let hits = core.search("owned", 10).unwrap();
    assert!(hits.is_empty(), "script text is not indexed: {hits:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn truncated_feed_is_refused_and_previous_articles_stay() {
    let server = TestServer::start().await;
    server.route("/politics.xml", Route::fixture("rss2.xml", RSS));
    let (_dir, core) = temp_core(fast_options());
    let url = server.url("/politics.xml");
    add(&core, std::slice::from_ref(&url));
    assert_eq!(report_for(&sync(&core).await, &url).new, 3);
    let before = articles_of(&core, &url);

    // The same feed, cut in the middle of an item (after a complete new one).
    server.route("/politics.xml", Route::fixture("truncated.xml", RSS));
    let report = sync(&core).await;
    let r = report_for(&report, &url);
    assert_eq!((r.status, r.new, r.updated), (SyncStatus::Error, 0, 0), "{r:?}");
    let error = r.error.as_deref().unwrap();
    assert!(error.contains("truncated"), "{error}");

    let after = articles_of(&core, &url);
    assert_eq!(after, before, "nothing stored from the truncated document, nothing lost");
    assert!(!after.iter().any(|a| a.guid == "caliber-1004" || a.guid == "caliber-1005"));
    let source = &core.sources().unwrap()[0];
    assert_eq!(source.last_status, Some(SyncStatus::Error));
    assert_eq!(source.last_error.as_deref(), Some(error));
    assert_eq!(source.consecutive_failures, 1);
    assert_eq!(source.title.as_deref(), Some("Caliber.Az — Politics"));
}

#[tokio::test(flavor = "multi_thread")]
async fn html_page_instead_of_a_feed_is_reported_as_not_a_feed() {
    let server = TestServer::start().await;
    server.route("/rss.xml", Route::fixture("not-a-feed.html", HTML));
    // The same page claiming to be a feed: the body, not the header, decides.
    server.route("/lying.xml", Route::fixture("not-a-feed.html", RSS));
    let (_dir, core) = temp_core(fast_options());
    let urls = [server.url("/rss.xml"), server.url("/lying.xml")];
    core.add_sources(&urls, Some(SourceKind::Feed)).unwrap();

    let report = sync(&core).await;
    for url in &urls {
        let r = report_for(&report, url);
        assert_eq!((r.status, r.new), (SyncStatus::Error, 0), "{r:?}");
        let error = r.error.as_deref().unwrap();
        assert!(error.contains("not a feed") && error.contains("HTML page"), "{error}");
        assert!(articles_of(&core, url).is_empty());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn web_page_announcing_no_feed_is_reported_as_not_a_feed() {
    let server = TestServer::start().await;
    let page = "<!DOCTYPE html><html><head><title>Welcome</title></head><body><p>Hello</p></body></html>";
    server.route("/", Route::body(page, HTML));
    let (_dir, core) = temp_core(fast_options());
    let url = server.url("/");
    add(&core, std::slice::from_ref(&url));

    let r = sync(&core).await.sources.remove(0);
    assert_eq!(r.status, SyncStatus::Error, "{r:?}");
    assert!(r.error.as_deref().unwrap().contains("not a feed"), "{r:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn empty_and_garbage_bodies_are_clear_errors() {
    let server = TestServer::start().await;
    server.route("/empty.xml", Route::body("  \n", RSS));
    server.route("/garbage.xml", Route::body("this is not xml at all", RSS));
    server.route("/fine.xml", Route::fixture("az.xml", RSS));
    let (_dir, core) = temp_core(fast_options());
    let (empty, garbage, fine) = (server.url("/empty.xml"), server.url("/garbage.xml"), server.url("/fine.xml"));
    core.add_sources(&[empty.clone(), garbage.clone(), fine.clone()], Some(SourceKind::Feed)).unwrap();

    let report = sync(&core).await;
    let r = report_for(&report, &empty);
    assert_eq!(r.status, SyncStatus::Error);
    assert!(r.error.as_deref().unwrap().contains("empty"), "{r:?}");
    let r = report_for(&report, &garbage);
    assert_eq!(r.status, SyncStatus::Error);
    assert!(r.error.as_deref().unwrap().contains(&garbage), "the error names the URL: {r:?}");
    assert_eq!(report_for(&report, &fine).new, 4);
}

/// `cite` (blockquote, q, del, ins) is a URL attribute like `href`: the policy "no
/// non-http(s) URL survives, every URL left is absolute" applies to it too.
#[tokio::test(flavor = "multi_thread")]
async fn cite_urls_follow_the_same_policy_as_href() {
    let server = TestServer::start().await;
    let body = r#"<blockquote cite="javascript:alert(1)">first</blockquote><q cite="/sources/interview.html">second</q>"#;
    server.route("/cite.xml", Route::body(rss("cite", &[("cite-1", "Quotes", body, "Tue, 10 Jun 2025 08:00:00 GMT")]), RSS));
    let (_dir, core) = temp_core(fast_options());
    let url = server.url("/cite.xml");
    add(&core, std::slice::from_ref(&url));
    sync(&core).await;

    let html = article_by_guid(&articles_of(&core, &url), "cite-1").content_html.unwrap();
    assert!(!html.contains("javascript:"), "{html}");
    for value in attr_values(&html, "cite") {
        assert!(value.starts_with("http://") || value.starts_with("https://"), "cite={value:?} in {html}");
    }
}

/// A text field the reader sees keeps no control character (tab, CR and LF aside).
fn has_control(text: &str) -> bool {
    text.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

/// Control characters in a feed — ESC sequences that drive a terminal, OSC 52 that writes
/// its clipboard, U+0002/U+0003 that are the search's own match markers — are not stored.
#[tokio::test(flavor = "multi_thread")]
async fn control_characters_from_a_feed_are_not_stored_and_never_mark_a_match() {
    let server = TestServer::start().await;
    let feed = serde_json::json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Esc\u{1b}[2J News",
        "items": [{
            "id": "ctl-1",
            "url": "https://legit.example/ctl",
            "title": "\u{1b}]52;c;ZXZpbA==\u{7}Zebrafish \u{2}swim\u{3} fast\u{1b}[0m",
            "summary": "A \u{2}teaser\u{3} about zebrafish\u{9b}31m",
            "content_html": "<p>Zebrafish\u{1b}[31m regrow &#27;[1m fins, \u{2}not a match\u{3}, like zebrafish do.</p>",
            "authors": [{"name": "Ann\u{1b}[8m Author"}],
            "tags": ["sci\u{7}ence", "\u{1b}"],
            "date_published": "2025-06-10T08:00:00Z"
        }]
    });
    server.route("/ctl.json", Route::body(feed.to_string(), "application/feed+json"));
    let (_dir, core) = temp_core(fast_options());
    let url = server.url("/ctl.json");
    add(&core, std::slice::from_ref(&url));
    assert_eq!(report_for(&sync(&core).await, &url).status, SyncStatus::Ok);

    let a = article_by_guid(&articles_of(&core, &url), "ctl-1");
    assert_eq!(a.title, "]52;c;ZXZpbA==Zebrafish swim fast[0m");
    assert_eq!(a.author.as_deref(), Some("Ann[8m Author"));
    assert_eq!(a.categories, ["science"]);
    let html = a.content_html.as_deref().unwrap();
    for text in [a.summary.as_deref().unwrap(), html] {
        assert!(!has_control(text), "{text:?}");
    }
    assert!(html.contains("Zebrafish[31m regrow [1m fins, not a match, like zebrafish do."), "{html:?}");
    assert_eq!(core.sources().unwrap()[0].title.as_deref(), Some("Esc[2J News"));

    // Markers only around what matched.
    let hits = core.search("zebrafish", 10).unwrap();
    assert_eq!(hits.len(), 1);
    let snippet = &hits[0].snippet;
    let (starts, ends) = (snippet.matches(caliber_core::MARK_START).count(), snippet.matches(caliber_core::MARK_END).count());
    assert!(starts > 0 && starts == ends, "{snippet:?}");
    for (i, _) in snippet.match_indices(caliber_core::MARK_START) {
        let marked = &snippet[i + 1..];
        assert!(marked.to_lowercase().starts_with(&format!("zebrafish{}", caliber_core::MARK_END)), "{snippet:?}");
    }
}
