//! What a reader trusts the app with, against feeds that misbehave: saved articles outlive
//! their source, no feed speaks for another site, and no feed makes the app fetch without
//! end, reach private addresses, or hold a sync past its deadline.

mod common;

use std::time::{Duration, Instant};

use caliber_core::notify::{Notice, NotifyPrefs};
use caliber_core::testing::{PreparedArticle, SourceUpdate, Store};
use caliber_core::{ArticleQuery, Core, Retention, SCHEMA_VERSION, SyncStatus};
use common::*;

const RSS: &str = "application/rss+xml";
const HTML: &str = "text/html; charset=utf-8";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n-a-picture-of-eighty-bytes-------------------------------------------------";

/// An RSS document with (guid, title, link, body) items, all dated now-ish.
fn feed(title: &str, items: &[(&str, &str, &str, &str)]) -> String {
    let mut xml = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>{title}</title><link>https://gen.example/</link><description>d</description>");
    for (i, (guid, title, link, body)) in items.iter().enumerate() {
        xml.push_str(&format!(
            "<item><guid isPermaLink=\"false\">{guid}</guid><title>{title}</title><link>{link}</link>\
             <pubDate>Mon, 01 Jun 2026 {:02}:00:00 GMT</pubDate><description><![CDATA[{body}]]></description></item>",
            10 + i % 10
        ));
    }
    xml + "</channel></rss>"
}

fn core_with(dir: &std::path::Path, options: caliber_core::FetchOptions, full_text: bool, images: bool) -> Core {
    let mut config = config(dir, options, Retention::default());
    config.full_text = full_text;
    config.images.enabled = images;
    Core::open(config).unwrap()
}

/// A page with enough text to replace a feed's summary.
fn article_page(title: &str) -> String {
    let para = "The reader asked for this page through a feed item that carried only a summary. ".repeat(12);
    format!("<html><head><title>{title}</title></head><body><article><h1>{title}</h1><p>{para}</p><p>{para}</p></article></body></html>")
}

fn saved(core: &Core) -> Vec<caliber_core::Article> {
    core.articles(&ArticleQuery { saved_only: true, ..Default::default() }).unwrap()
}

// ---- saved articles outlive their source ----

#[tokio::test(flavor = "multi_thread")]
async fn removing_a_source_keeps_saved_articles_their_pictures_and_read_marks() {
    let server = TestServer::start().await;
    let pic = |n: u32| server.url(&format!("/pic-{n}.png"));
    for n in 1..=3 {
        server.route(&format!("/pic-{n}.png"), Route::body(PNG, "image/png"));
    }
    let items: Vec<(String, String, String, String)> = (1..=3)
        .map(|n| (format!("g{n}"), format!("Story {n}"), format!("https://news.example/{n}"), format!("<p>Story {n}.</p><img src=\"{}\">", pic(n))))
        .collect();
    let refs: Vec<(&str, &str, &str, &str)> = items.iter().map(|(a, b, c, d)| (a.as_str(), b.as_str(), c.as_str(), d.as_str())).collect();
    server.route("/feed.xml", Route::body(feed("News", &refs), RSS));
    let dir = tempfile::tempdir().unwrap();
    let core = core_with(dir.path(), fast_options(), false, true);
    let url = server.url("/feed.xml");
    add(&core, std::slice::from_ref(&url));
    sync(&core).await;
    assert_eq!(core.image_stats().unwrap().0, 3);

    let keep = article_by_guid(&articles_of(&core, &url), "g1");
    core.mark(keep.id, Some(true), Some(true)).unwrap();
    let read_only = article_by_guid(&articles_of(&core, &url), "g2");
    core.mark(read_only.id, Some(true), None).unwrap();

    let removed = core.remove_source(&url).unwrap().expect("the source was followed");
    assert_eq!((removed.deleted_articles, removed.kept_saved), (2, 1));
    assert!(core.sources().unwrap().is_empty(), "the source is no longer listed");
    let kept = saved(&core);
    assert_eq!(kept.iter().map(|a| a.id).collect::<Vec<_>>(), [keep.id]);
    assert!(kept[0].read && kept[0].saved, "its marks stay: {:?}", kept[0]);
    assert!(core.image(&pic(1)).unwrap().is_some(), "its picture stays for offline reading");
    assert!(core.remove_source(&url).unwrap().is_none(), "removed once, it is not there to remove again");

    // A removed source is not synced.
    let report = sync(&core).await;
    assert!(report.sources.is_empty(), "{report:?}");
    assert_eq!(server.hits("/feed.xml"), 1);

    // Followed again, it syncs from scratch; the saved article is the same one, still saved.
    let (_, new) = core.add_sources(std::slice::from_ref(&url), None).unwrap().remove(0);
    assert!(new, "re-adding a removed source counts as adding it");
    let report = sync(&core).await;
    assert_eq!(report_for(&report, &url).status, SyncStatus::Ok);
    assert_eq!(articles_of(&core, &url).len(), 3);
    let again = core.article(keep.id).unwrap();
    assert!(again.saved && again.read);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_saved_article_unsaved_after_its_source_was_removed_goes_at_the_next_sync() {
    let server = TestServer::start().await;
    server.route("/feed.xml", Route::body(feed("News", &[("g1", "One", "https://news.example/1", "<p>One.</p>")]), RSS));
    let (_dir, core) = temp_core(fast_options());
    let url = server.url("/feed.xml");
    add(&core, std::slice::from_ref(&url));
    sync(&core).await;
    let a = articles_of(&core, &url).remove(0);
    core.mark(a.id, None, Some(true)).unwrap();
    core.remove_source(&url).unwrap();
    core.mark(a.id, None, Some(false)).unwrap();
    sync(&core).await;
    assert!(core.article(a.id).is_err(), "nothing keeps it once the reader unsaved it");
}

#[test]
fn no_statement_can_delete_a_saved_article() {
    let dir = tempfile::tempdir().unwrap();
    let core = open_core(dir.path(), fast_options());
    let (source, _) = core.add_sources(&["https://news.example/feed.xml".into()], None).unwrap().remove(0);
    let mut store = Store::open(core.db_path()).unwrap();
    let written = store.write_source(source.id, &SourceUpdate::default(), &[prepared("a", "Kept")], Retention::default(), chrono::Utc::now()).unwrap();
    core.mark(written.changed_ids[0], None, Some(true)).unwrap();

    let conn = rusqlite::Connection::open(core.db_path()).unwrap();
    conn.pragma_update(None, "foreign_keys", "ON").unwrap();
    for statement in ["DELETE FROM sources", "DELETE FROM articles"] {
        let err = conn.execute(statement, []).expect_err(statement);
        assert!(err.to_string().contains("saved article"), "{statement}: {err}");
    }
    assert_eq!(saved(&core).len(), 1);
}

fn prepared(guid: &str, title: &str) -> PreparedArticle {
    prepared_article(&format!("https://caliber.az/en/post/{guid}"), guid, title, &format!("<p>{title}</p>"))
}

#[test]
fn unfollowing_an_edition_keeps_its_saved_articles() {
    let (_dir, core) = temp_core(fast_options());
    let sources = core.follow_edition("en").unwrap();
    let listing = sources.iter().map(|(s, _)| s).find(|s| s.url.ends_with("/en/")).unwrap().clone();
    let mut store = Store::open(core.db_path()).unwrap();
    let written = store
        .write_source(listing.id, &SourceUpdate::default(), &[prepared("a", "Saved story"), prepared("b", "Other story")], Retention::default(), chrono::Utc::now())
        .unwrap();
    core.mark(written.changed_ids[0], None, Some(true)).unwrap();

    let removed = core.unfollow_edition("en").unwrap();
    assert_eq!((removed.deleted_articles, removed.kept_saved), (1, 1));
    assert!(core.sources().unwrap().is_empty());
    assert_eq!(saved(&core).iter().map(|a| a.title.as_str()).collect::<Vec<_>>(), ["Saved story"]);
    assert!(core.follow_edition("en").unwrap().iter().all(|(_, new)| *new), "following again adds it back");
}

/// A database of the previous release (schema 5): a saved article survives its source.
#[test]
fn schema_5_database_keeps_saved_articles_when_their_source_is_removed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("caliber.db");
    {
        let conn = database_at_schema(&path, 5);
        conn.execute_batch(
            "INSERT INTO sources (id, url, kind, title, created_at, last_status) VALUES
                 (1, 'https://old.example/rss.xml', 'feed', 'Old Feed', 1717000000, 'ok');
             INSERT INTO articles (id, source_id, guid, url, title, categories, published_at, content_hash, first_seen_at) VALUES
                 (7, 1, 'old-1', 'https://old.example/a', 'Saved long ago', '[]', 1717000000, x'00', 1717000000),
                 (8, 1, 'old-2', 'https://old.example/b', 'Never saved', '[]', 1717000000, x'00', 1717000000);
             INSERT INTO article_state (article_id, read, saved, saved_at) VALUES (7, 1, 1, 1717000000);",
        )
        .unwrap();
    }
    let core = open_core(dir.path(), fast_options());
    assert_eq!(Store::open_read_only(&path).unwrap().schema_version().unwrap(), SCHEMA_VERSION);
    let removed = core.remove_source("https://old.example/rss.xml").unwrap().unwrap();
    assert_eq!((removed.deleted_articles, removed.kept_saved), (1, 1));
    let kept = core.article(7).unwrap();
    assert!(kept.saved && kept.read);
    assert_eq!(kept.title, "Saved long ago");
    assert!(core.article(8).is_err());
}

// ---- no feed speaks for another site ----

#[tokio::test(flavor = "multi_thread")]
async fn a_third_party_feed_cannot_take_a_sites_story_or_its_name() {
    let server = TestServer::start().await;
    let port = server.url("/").trim_start_matches("http://127.0.0.1:").trim_end_matches('/').to_owned();
    // The "site" is on localhost; the copycat feed is on another host (127.0.0.1).
    let site_feed = format!("http://localhost:{port}/own.xml");
    let story = format!("http://localhost:{port}/post/story");
    server.route("/own.xml", Route::body(feed("The Site", &[("own-1", "The real story", &story, "<p>Real.</p>")]), RSS));
    server.route("/third.xml", Route::body(feed("Copycat", &[("fake-1", "BREAKING: the fake story", &story, "<p>Fake.</p>")]), RSS));
    let copycat = server.url("/third.xml");
    let (_dir, core) = temp_core(fast_options());
    add(&core, std::slice::from_ref(&copycat));
    sync(&core).await;
    add(&core, std::slice::from_ref(&site_feed));
    let report = sync(&core).await;
    assert_eq!(report_for(&report, &site_feed).new, 1, "the site's own story is stored though a copy came first");
    let real = articles_of(&core, &site_feed).remove(0);
    assert_eq!(real.title, "The real story");
    let fake = articles_of(&core, &copycat).remove(0);
    assert_eq!(fake.source_name, "Copycat", "named by its real source");
    assert!(!fake.from_site && !real.from_site, "neither is Caliber.az");

    // A later "breaking" item of the copycat is announced under the copycat's name.
    server.route(
        "/third.xml",
        Route::body(
            feed("Copycat", &[("fake-1", "BREAKING: the fake story", &story, "<p>Fake.</p>"), ("fake-2", "BREAKING: another", &format!("http://localhost:{port}/post/2"), "<p>x</p>")]),
            RSS,
        ),
    );
    let report = sync(&core).await;
    let prefs = NotifyPrefs { max_age_minutes: u32::MAX, ..Default::default() };
    let notices = core.notifications_for(&report, &prefs, chrono::FixedOffset::east_opt(4 * 3600).unwrap()).unwrap();
    match notices.as_slice() {
        [Notice::Article { source, .. }] => assert_eq!(source, "Copycat"),
        other => panic!("one article notice expected: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_look_alike_listing_is_named_by_its_host_not_as_the_site() {
    let server = TestServer::start().await;
    server.route("/", Route::fixture("site/ru/index.html", HTML));
    for slug in ["baku-forum", "neft-ceny", "gyandzha-park", "redesign"] {
        server.route(&format!("/post/{slug}"), Route::fixture(&format!("site/ru/post/{slug}.html"), HTML));
    }
    let (_dir, core) = temp_core(fast_options());
    let listing = server.url("/");
    core.add_sources(std::slice::from_ref(&listing), Some(caliber_core::SourceKind::Site)).unwrap();
    sync(&core).await;
    assert_eq!(core.sources().unwrap()[0].title.as_deref(), Some("127.0.0.1"));
}

// ---- no feed makes the app fetch without end, or where it may not ----

#[tokio::test(flavor = "multi_thread")]
async fn a_feed_cannot_make_the_app_fetch_more_than_its_cap_of_pages() {
    let server = TestServer::start().await;
    let items: Vec<(String, String, String)> = (0..300).map(|n| (format!("i{n}"), format!("Item {n}"), server.url(&format!("/page/{n}")))).collect();
    for n in 0..300 {
        server.route(&format!("/page/{n}"), Route::body(article_page(&format!("Item {n}")), HTML));
    }
    let refs: Vec<(&str, &str, &str, &str)> = items.iter().map(|(g, t, l)| (g.as_str(), t.as_str(), l.as_str(), "Short.")).collect();
    server.route("/many.xml", Route::body(feed("Many", &refs), RSS));
    let dir = tempfile::tempdir().unwrap();
    let options = fast_options();
    let cap = options.max_derived_fetches;
    let core = core_with(dir.path(), options, true, false);
    add(&core, &[server.url("/many.xml")]);
    let report = sync(&core).await;
    assert_eq!(report.new_total(), 300, "every item is stored");
    let fetched: usize = (0..300).map(|n| server.hits(&format!("/page/{n}"))).sum();
    assert!(fetched > 0 && fetched <= cap, "{fetched} pages fetched for one feed; the cap is {cap}");
}

#[tokio::test(flavor = "multi_thread")]
async fn derived_fetches_never_reach_private_addresses_of_other_hosts() {
    let server = TestServer::start().await;
    let port = server.url("/").trim_start_matches("http://127.0.0.1:").trim_end_matches('/').to_owned();
    let elsewhere = |path: &str| format!("http://localhost:{port}{path}");
    server.route("/own-page", Route::body(article_page("Own page"), HTML));
    server.route("/own.png", Route::body(PNG, "image/png"));
    server.route("/unlinked.png", Route::body(PNG, "image/png"));
    server.route("/secret-page", Route::body(article_page("Secret"), HTML));
    server.route("/secret.png", Route::body(PNG, "image/png"));
    server.route("/secret-redirected", Route::body(article_page("Secret"), HTML));
    server.route("/bounce", Route::redirect(302, &elsewhere("/secret-redirected")));
    let items = [
        ("a", "Own page", server.url("/own-page"), format!("Short. <img src=\"{}\">", server.url("/own.png"))),
        ("b", "Secret page", elsewhere("/secret-page"), format!("Short. <img src=\"{}\">", elsewhere("/secret.png"))),
        ("c", "Bounce", server.url("/bounce"), "Short.".to_owned()),
    ];
    let refs: Vec<(&str, &str, &str, &str)> = items.iter().map(|(g, t, l, b)| (*g, *t, l.as_str(), b.as_str())).collect();
    server.route("/feed.xml", Route::body(feed("Feed", &refs), RSS));
    let dir = tempfile::tempdir().unwrap();
    let core = core_with(dir.path(), fast_options(), true, true);
    let url = server.url("/feed.xml");
    add(&core, std::slice::from_ref(&url));
    let report = sync(&core).await;
    assert_eq!(report_for(&report, &url).new, 3, "every item is stored, with the feed's text where a page was refused");

    assert_eq!(server.hits("/own-page"), 1, "the source's own host is the reader's choice");
    assert_eq!(server.hits("/own.png"), 1);
    for refused in ["/secret-page", "/secret.png", "/secret-redirected"] {
        assert_eq!(server.hits(refused), 0, "{refused} is on a private address of another host");
    }
    let b = article_by_guid(&articles_of(&core, &url), "b");
    assert_eq!(b.summary.as_deref(), Some("Short."));

    // Asked for by the reader's window: only pictures stored articles show, reached the same way.
    assert_eq!(core.fetch_image(&elsewhere("/secret.png")).await.unwrap(), None);
    assert_eq!(core.fetch_image(&server.url("/unlinked.png")).await.unwrap(), None);
    assert_eq!(server.hits("/secret.png") + server.hits("/unlinked.png"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_source_that_drips_is_cut_at_its_deadline_and_the_others_still_sync() {
    let server = TestServer::start().await;
    server.route("/drip.xml", Route::Trickle);
    server.route("/ok.xml", Route::body(feed("Fine", &[("f1", "Fine", "https://news.example/f1", "<p>Fine.</p>")]), RSS));
    let options = caliber_core::FetchOptions { source_deadline: Duration::from_secs(2), ..fast_options() };
    let (_dir, core) = temp_core(options);
    let (drip, ok) = (server.url("/drip.xml"), server.url("/ok.xml"));
    add(&core, &[drip.clone(), ok.clone()]);
    let started = Instant::now();
    let report = sync(&core).await;
    let took = started.elapsed();
    let dripped = report_for(&report, &drip);
    assert_eq!(dripped.status, SyncStatus::Error);
    assert!(dripped.error.as_deref().unwrap_or("").contains("deadline"), "{dripped:?}");
    assert_eq!(report_for(&report, &ok).new, 1);
    // Without a deadline: 2 attempts × the 3 s timeout. With it, about 2 s.
    assert!(took < Duration::from_secs(5), "one source held the sync for {took:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn pages_not_read_by_the_deadline_leave_the_feed_text_and_the_items_stored() {
    let server = TestServer::start().await;
    let items: Vec<(String, String, String)> = (0..6).map(|n| (format!("s{n}"), format!("Slow {n}"), server.url(&format!("/slow/{n}")))).collect();
    for n in 0..6 {
        server.route(&format!("/slow/{n}"), Route::slow(Duration::from_secs(20), Route::body(article_page("Slow"), HTML)));
    }
    let refs: Vec<(&str, &str, &str, &str)> = items.iter().map(|(g, t, l)| (g.as_str(), t.as_str(), l.as_str(), "Feed text.")).collect();
    server.route("/slow.xml", Route::body(feed("Slow pages", &refs), RSS));
    let options = caliber_core::FetchOptions { source_deadline: Duration::from_secs(2), total_timeout: Duration::from_secs(30), ..fast_options() };
    let dir = tempfile::tempdir().unwrap();
    let core = core_with(dir.path(), options, true, false);
    let url = server.url("/slow.xml");
    add(&core, std::slice::from_ref(&url));
    let report = sync(&core).await;
    let r = report_for(&report, &url);
    assert_eq!((r.status, r.new), (SyncStatus::Ok, 6), "{r:?}");
    assert!(articles_of(&core, &url).iter().all(|a| a.summary.as_deref() == Some("Feed text.")));
}

#[tokio::test(flavor = "multi_thread")]
async fn pictures_fetched_for_display_are_trimmed_to_the_cap() {
    let server = TestServer::start().await;
    let items: Vec<(String, String, String, String)> = (1..=3)
        .map(|n| {
            server.route(&format!("/p{n}.png"), Route::body(PNG, "image/png"));
            (format!("g{n}"), format!("Story {n}"), format!("https://news.example/{n}"), format!("<p>x</p><img src=\"{}\">", server.url(&format!("/p{n}.png"))))
        })
        .collect();
    let refs: Vec<(&str, &str, &str, &str)> = items.iter().map(|(a, b, c, d)| (a.as_str(), b.as_str(), c.as_str(), d.as_str())).collect();
    server.route("/feed.xml", Route::body(feed("Pictures", &refs), RSS));
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path(), fast_options(), Retention::default());
    config.images.enabled = false;
    config.images.cap_bytes = 2 * PNG.len() as u64;
    let core = Core::open(config).unwrap();
    add(&core, &[server.url("/feed.xml")]);
    sync(&core).await;
    for n in 1..=3 {
        assert!(core.fetch_image(&server.url(&format!("/p{n}.png"))).await.unwrap().is_some(), "picture {n} is shown");
    }
    let (_, bytes) = core.image_stats().unwrap();
    assert!(bytes as u64 <= 2 * PNG.len() as u64, "{bytes} bytes stored; the cap is {}", 2 * PNG.len());
}
