//! The Caliber.az site adapter, full text, pictures offline, discovery and OPML, against
//! fixture pages modelled on the real site, served on 127.0.0.1.

mod common;

use caliber_core::{Article, ArticleQuery, Core, CoreConfig, HttpClient, ImageOptions, SourceKind, SyncStatus};
use common::{Route, TestServer, fast_options, rfc3339};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/site");

/// Serve the fixture site: `/` and `/en/` listings, article pages, pictures, feeds.
async fn site_server() -> TestServer {
    let server = TestServer::start().await;
    let host = server.addr.to_string();
    let read = |p: &str| std::fs::read(format!("{FIXTURES}/{p}")).unwrap_or_else(|e| panic!("{p}: {e}"));
    let html = "text/html; charset=utf-8";
    server.route("/", Route::body(read("ru/index.html"), html));
    server.route("/en/", Route::body(read("en/index.html"), html));
    for slug in ["baku-forum", "neft-ceny", "gyandzha-park", "redesign"] {
        server.route(&format!("/post/{slug}"), Route::body(read(&format!("ru/post/{slug}.html")), html));
    }
    for slug in ["cica-baku", "caspian-energy"] {
        server.route(&format!("/en/post/{slug}"), Route::body(read(&format!("en/post/{slug}.html")), html));
    }
    server.route("/arm/", Route::body(read("arm/index.html"), html));
    for slug in ["cica-baku", "kaspyan-mijancq"] {
        server.route(&format!("/arm/post/{slug}"), Route::body(read(&format!("arm/post/{slug}.html")), html));
    }
    // The site's zoom icon (inside .post_body on the real site): a picture, never an article's.
    server.route("/templates/Default/api/zoom.png", Route::body(read("uploads/pic1.png"), "image/png"));
    for i in 1..=6 {
        server.route(&format!("/uploads/pic{i}.png"), Route::body(read(&format!("uploads/pic{i}.png")), "image/png"));
    }
    for page in ["ru/changed-listing.html", "ru/no-cards.html", "other-article.html", "tiny-page.html", "discover.html"] {
        server.route(&format!("/{page}"), Route::body(read(page), html));
    }
    for feed in ["rss.xml", "other-feed.xml", "sources.opml"] {
        let text = String::from_utf8(read(feed)).unwrap().replace("HOST", &host);
        server.route(&format!("/{feed}"), Route::body(text, "application/xml"));
    }
    // A page that is not a picture, to check the content-type check.
    server.route("/uploads/fake.png", Route::body("<html>not an image</html>", html));
    server
}

fn core_in(dir: &std::path::Path, images: ImageOptions) -> Core {
    let mut config = CoreConfig::at(dir.join("caliber.db"), HttpClient::new(fast_options()));
    config.images = images;
    Core::open(config).unwrap()
}

fn all(core: &Core) -> Vec<Article> {
    core.articles(&ArticleQuery { limit: Some(1000), ..Default::default() }).unwrap()
}

fn by_title(articles: &[Article], start: &str) -> Article {
    articles.iter().find(|a| a.title.starts_with(start)).unwrap_or_else(|| panic!("no article {start:?} in {:?}", articles.iter().map(|a| &a.title).collect::<Vec<_>>())).clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn russian_listing_stores_every_article_in_full_without_ads() {
    let server = site_server().await;
    let dir = tempfile::tempdir().unwrap();
    let core = core_in(dir.path(), ImageOptions::default());
    core.add_sources(&[server.url("/")], Some(SourceKind::Site)).unwrap();
    let report = core.run_once(|_| {}).await.unwrap();
    assert_eq!(report.sources[0].status, SyncStatus::Ok, "{:?}", report.sources[0].error);
    assert_eq!(report.sources[0].new, 3);

    let articles = all(&core);
    assert_eq!(articles.len(), 3);
    let forum = by_title(&articles, "Срочно: В Баку");
    let body = forum.content_html.clone().unwrap();
    assert!(body.contains("Международный форум открылся в Баку"), "{body}");
    assert!(body.contains("Организаторы ожидают более 500 гостей"), "last paragraph kept: {body}");
    for unwanted in ["КУПИТЬ", "Advertisement", "trackAd", "<script", "Просмотров", "Caliber.Az</", "post_title", "A+"] {
        assert!(!body.contains(unwanted), "{unwanted} left in body: {body}");
    }
    assert!(!body.contains("Срочно: В Баку открылся"), "title is not repeated in the body");
    assert_eq!(rfc3339(forum.published_at), "2026-06-25T13:24:00Z", "17:24 Baku time is 13:24 UTC");
    assert_eq!(forum.views, Some(179));
    assert_eq!(forum.categories, vec!["МИР".to_owned()]);
    assert_eq!(forum.author.as_deref(), Some("Caliber.Az"));
    assert_eq!(forum.image_url.as_deref(), Some(server.url("/uploads/pic1.png").as_str()));
    assert_eq!(forum.url.as_deref(), Some(server.url("/post/baku-forum").as_str()));
    assert!(forum.is_breaking, "«Срочно:» marks breaking news");
    assert_eq!(by_title(&articles, "Цены на нефть").views, Some(1024), "«Просмотров: 1 024»");

    // Cover and body pictures are stored; the body keeps the original URL.
    assert!(body.contains(&server.url("/uploads/pic4.png")), "{body}");
    for pic in ["pic1", "pic2", "pic3", "pic4"] {
        let (content_type, bytes) = core.image(&server.url(&format!("/uploads/{pic}.png"))).unwrap().expect(pic);
        assert_eq!(content_type, "image/png");
        assert!(bytes.starts_with(b"\x89PNG"), "{pic}");
    }
    let (count, bytes) = core.image_stats().unwrap();
    assert_eq!(count, 4);
    assert!(bytes > 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn english_edition_reads_english_dates_and_views() {
    let server = site_server().await;
    let dir = tempfile::tempdir().unwrap();
    let core = core_in(dir.path(), ImageOptions::default());
    core.add_sources(&[server.url("/en/")], Some(SourceKind::Site)).unwrap();
    let report = core.run_once(|_| {}).await.unwrap();
    assert_eq!(report.sources[0].new, 2, "{:?}", report.sources[0].error);
    let articles = all(&core);
    let cica = by_title(&articles, "CICA and security");
    assert_eq!(rfc3339(cica.published_at), "2025-09-10T11:00:00Z");
    assert_eq!(cica.views, Some(265));
    assert_eq!(cica.categories, vec!["ANALYTICS".to_owned()]);
    assert_eq!(cica.language.as_deref(), Some("en"));
    assert!(cica.content_html.unwrap().contains("held outside China for the first time"));
    assert_eq!(by_title(&articles, "Caspian energy").views, Some(1201), "«Views: 1,201»");
}

#[tokio::test(flavor = "multi_thread")]
async fn armenian_edition_reads_armenian_dates_and_is_searchable_in_any_case() {
    let server = site_server().await;
    let dir = tempfile::tempdir().unwrap();
    let core = core_in(dir.path(), ImageOptions { enabled: false, ..Default::default() });
    core.add_sources(&[server.url("/arm/")], Some(SourceKind::Site)).unwrap();
    let report = core.run_once(|_| {}).await.unwrap();
    assert_eq!((report.sources[0].status, report.sources[0].new), (SyncStatus::Ok, 2), "{:?}", report.sources[0].error);
    let articles = all(&core);
    let cica = by_title(&articles, "ԱՓՎՄԽ-ն և անվտանգությունը");
    assert_eq!(rfc3339(cica.published_at), "2025-09-10T14:10:00Z", "«10 Սեպտեմբերի 2025 18:10» is Baku time");
    assert_eq!(cica.language.as_deref(), Some("hy"));
    assert_eq!(cica.categories, vec!["ՎԵՐԼՈՒԾՈՒԹՅՈՒՆ".to_owned()]);
    assert_eq!(cica.views, Some(88));
    assert!(!cica.content_html.unwrap().contains("գովազդ"), "the ad block is dropped");
    let corridor = by_title(&articles, "Կասպյան էներգետիկ");
    assert_eq!(rfc3339(corridor.published_at), "2025-09-09T07:45:00Z", "«9 սեպտեմբերի 2025 թ., 11:45»");
    assert_eq!(corridor.views, Some(1024));

    let found = |q: &str| core.search(q, 10).unwrap().into_iter().map(|h| h.article.id).collect::<Vec<_>>();
    for query in ["Բաքու", "բաքու", "ԲԱՔՈՒ"] {
        assert_eq!(found(query), [cica.id], "{query}");
    }
    // "և" is one letter in lower case and two ("ԵՎ") in upper case.
    for query in ["Երևան", "երևան", "ԵՐԵՎԱՆ", "երեվան"] {
        assert_eq!(found(query), [cica.id], "{query}");
    }
    assert_eq!(found("խողովակաշարեր"), [corridor.id], "the body is indexed");
    assert_eq!(found("ՏՆՏԵՍ"), Vec::<i64>::new(), "sections are not searched as words of the text");
}

#[tokio::test(flavor = "multi_thread")]
async fn interface_pictures_are_not_stored_and_a_repeated_picture_is_shown_once() {
    let server = site_server().await;
    let dir = tempfile::tempdir().unwrap();
    let core = core_in(dir.path(), ImageOptions::default());
    core.add_sources(&[server.url("/en/")], Some(SourceKind::Site)).unwrap();
    core.run_once(|_| {}).await.unwrap();
    let body = by_title(&all(&core), "CICA and security").content_html.unwrap();
    assert!(!body.contains("zoom.png") && !body.contains("/templates/"), "{body}");
    assert_eq!(body.matches("/uploads/pic6.png").count(), 1, "pic6 twice in the page, once in the body: {body}");
    assert!(!body.contains("Analytical materials"), "the section block below the article is not its body: {body}");
    assert_eq!(server.hits("/templates/Default/api/zoom.png"), 0, "the icon is never downloaded");
    assert!(core.image(&server.url("/uploads/pic6.png")).unwrap().is_some(), "the article's own picture is");
}

/// The same story in the reader's other editions: the English and Armenian translations
/// share their cover picture and are hours apart; the Russian article with the English
/// one's picture is nine months older and is another story.
#[tokio::test(flavor = "multi_thread")]
async fn the_same_story_is_found_in_the_other_editions_followed() {
    let server = site_server().await;
    let dir = tempfile::tempdir().unwrap();
    let core = core_in(dir.path(), ImageOptions { enabled: false, ..Default::default() });
    core.add_sources(&[server.url("/"), server.url("/en/"), server.url("/arm/")], Some(SourceKind::Site)).unwrap();
    core.run_once(|_| {}).await.unwrap();
    let articles = all(&core);
    let en = by_title(&articles, "CICA and security");
    let hy = by_title(&articles, "ԱՓՎՄԽ-ն և անվտանգությունը");
    let others = |id: i64| {
        core.story_in_other_editions(id).unwrap().into_iter().map(|s| (s.edition.code, s.article_id, s.edition.read_in)).collect::<Vec<_>>()
    };
    assert_eq!(others(en.id), [("arm".to_owned(), hy.id, "Հայերեն".to_owned())]);
    assert_eq!(others(hy.id), [("en".to_owned(), en.id, "Read in English".to_owned())]);
    let energy = by_title(&articles, "Caspian energy");
    let corridor = by_title(&articles, "Կասպյան էներգետիկ");
    let oil = by_title(&articles, "Цены на нефть");
    assert_eq!(energy.image_url, oil.image_url, "the fixture reuses the picture");
    assert_eq!(others(energy.id), [("arm".to_owned(), corridor.id, "Հայերեն".to_owned())]);
    assert!(others(oil.id).is_empty(), "nine months apart: another story");
    assert!(others(by_title(&articles, "В Гяндже").id).is_empty(), "no translation stored");

    // Saved, then its edition unfollowed: the Armenian article is still offered its English
    // story, but the Armenian edition is no longer offered from the English one.
    core.mark(hy.id, None, Some(true)).unwrap();
    core.remove_source(&server.url("/arm/")).unwrap();
    assert!(others(en.id).is_empty(), "the Armenian edition is not followed any more");
    assert_eq!(others(hy.id), [("en".to_owned(), en.id, "Read in English".to_owned())]);
    assert!(matches!(core.story_in_other_editions(999_999), Err(caliber_core::Error::ArticleNotFound(999_999))));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_listing_page_is_detected_without_a_kind() {
    let server = site_server().await;
    let dir = tempfile::tempdir().unwrap();
    let core = core_in(dir.path(), ImageOptions { enabled: false, ..Default::default() });
    core.add_sources(&[server.url("/en/")], None).unwrap();
    let report = core.run_once(|_| {}).await.unwrap();
    assert_eq!(report.sources[0].new, 2, "{:?}", report.sources[0].error);
    assert_eq!(core.sources().unwrap()[0].kind, Some(SourceKind::Site));
}

#[tokio::test(flavor = "multi_thread")]
async fn second_sync_does_not_fetch_article_pages_again() {
    let server = site_server().await;
    let dir = tempfile::tempdir().unwrap();
    let core = core_in(dir.path(), ImageOptions::default());
    core.add_sources(&[server.url("/")], Some(SourceKind::Site)).unwrap();
    core.run_once(|_| {}).await.unwrap();
    let report = core.run_once(|_| {}).await.unwrap();
    assert_eq!((report.sources[0].new, report.sources[0].updated), (0, 0));
    assert_eq!(server.hits("/post/baku-forum"), 1);
    assert_eq!(server.hits("/uploads/pic1.png"), 1, "pictures are fetched once");
}

#[tokio::test(flavor = "multi_thread")]
async fn changed_article_layout_names_the_selector_and_stores_nothing_of_that_page() {
    let server = site_server().await;
    let dir = tempfile::tempdir().unwrap();
    let core = core_in(dir.path(), ImageOptions { enabled: false, ..Default::default() });
    core.add_sources(&[server.url("/ru/changed-listing.html")], Some(SourceKind::Site)).unwrap();
    let report = core.run_once(|_| {}).await.unwrap();
    let source = &report.sources[0];
    assert_eq!(source.status, SyncStatus::Ok, "the page that still matches is stored");
    assert_eq!(source.new, 1);
    let error = source.error.as_deref().unwrap_or_default();
    assert!(error.contains(".post_body") && error.contains("/post/redesign"), "{error}");
    let articles = all(&core);
    assert!(articles.iter().all(|a| a.title != "Редизайн сайта"));
    assert_eq!(core.sources().unwrap()[0].last_error.as_deref(), Some(error));
    // The unread page is tried again next time (validators were not kept).
    core.run_once(|_| {}).await.unwrap();
    assert_eq!(server.hits("/post/redesign"), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn listing_without_cards_is_a_clear_error() {
    let server = site_server().await;
    let dir = tempfile::tempdir().unwrap();
    let core = core_in(dir.path(), ImageOptions { enabled: false, ..Default::default() });
    core.add_sources(&[server.url("/ru/no-cards.html")], Some(SourceKind::Site)).unwrap();
    let report = core.run_once(|_| {}).await.unwrap();
    assert_eq!(report.sources[0].status, SyncStatus::Error);
    let error = report.sources[0].error.clone().unwrap();
    assert!(error.contains(".float_block") && error.contains("layout"), "{error}");
    assert!(all(&core).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn feed_items_get_full_text_and_one_story_is_stored_once() {
    let server = site_server().await;
    let dir = tempfile::tempdir().unwrap();
    let core = core_in(dir.path(), ImageOptions { enabled: false, ..Default::default() });
    core.add_sources(&[server.url("/rss.xml")], None).unwrap();
    core.add_sources(&[server.url("/")], Some(SourceKind::Site)).unwrap();
    let report = core.run_once(|_| {}).await.unwrap();
    assert!(report.sources.iter().all(|s| s.status == SyncStatus::Ok), "{report:?}");
    let articles = all(&core);
    assert_eq!(articles.len(), 3, "feed and listing reach the same three stories: {:?}", articles.iter().map(|a| (&a.title, &a.source_url)).collect::<Vec<_>>());
    let forum = by_title(&articles, "Срочно: В Баку");
    let body = forum.content_html.unwrap();
    assert!(body.contains("Организаторы ожидают"), "full text, not the feed's one-line summary: {body}");
    assert!(!body.contains("КУПИТЬ"));
}

#[tokio::test(flavor = "multi_thread")]
async fn other_sites_use_readability_and_keep_a_longer_feed_text() {
    let server = site_server().await;
    let dir = tempfile::tempdir().unwrap();
    let core = core_in(dir.path(), ImageOptions { enabled: false, ..Default::default() });
    core.add_sources(&[server.url("/other-feed.xml")], None).unwrap();
    core.run_once(|_| {}).await.unwrap();
    let articles = all(&core);
    let long = by_title(&articles, "The long read");
    let body = long.content_html.unwrap();
    assert!(body.contains("Paragraph 11 of the long read"), "{body}");
    assert!(!body.contains("Related: other stories") && !body.contains("About</a>"), "page chrome dropped: {body}");
    let teaser = by_title(&articles, "Teaser that is longer");
    assert!(teaser.content_html.unwrap().contains("good deal longer than the page"));
}

#[tokio::test(flavor = "multi_thread")]
async fn pictures_are_evicted_beyond_the_cap_but_never_for_saved_articles() {
    let server = site_server().await;
    let dir = tempfile::tempdir().unwrap();
    {
        let core = core_in(dir.path(), ImageOptions::default());
        core.add_sources(&[server.url("/")], Some(SourceKind::Site)).unwrap();
        core.run_once(|_| {}).await.unwrap();
        let articles = all(&core);
        core.mark(by_title(&articles, "Цены на нефть").id, Some(true), Some(true)).unwrap();
        core.mark(by_title(&articles, "В Гяндже").id, Some(true), None).unwrap();
        assert_eq!(core.image_stats().unwrap().0, 4);
    }
    let pic_size = std::fs::metadata(format!("{FIXTURES}/uploads/pic1.png")).unwrap().len();
    let core = core_in(dir.path(), ImageOptions { cap_bytes: pic_size, ..Default::default() });
    evict_to(dir.path(), pic_size);
    let (count, _) = core.image_stats().unwrap();
    assert!(core.image(&server.url("/uploads/pic2.png")).unwrap().is_some(), "the saved article's cover stays");
    assert_eq!(count, 1, "everything else is evicted to get under the cap");

    // Even a cap of zero keeps the saved article's pictures.
    let core = core_in(dir.path(), ImageOptions { cap_bytes: 0, ..Default::default() });
    evict_to(dir.path(), 0);
    assert!(core.image(&server.url("/uploads/pic2.png")).unwrap().is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn least_recently_read_pictures_go_first() {
    let server = site_server().await;
    let dir = tempfile::tempdir().unwrap();
    {
        let core = core_in(dir.path(), ImageOptions::default());
        core.add_sources(&[server.url("/")], Some(SourceKind::Site)).unwrap();
        core.run_once(|_| {}).await.unwrap();
    }
    let pic_size = std::fs::metadata(format!("{FIXTURES}/uploads/pic1.png")).unwrap().len();
    // Read the park story "later" than the others were first seen.
    let mut config = CoreConfig::at(dir.path().join("caliber.db"), HttpClient::new(fast_options()));
    config.clock = std::sync::Arc::new(caliber_core::FixedClock(chrono::Utc::now() + chrono::Duration::hours(1)));
    config.images = ImageOptions { cap_bytes: pic_size, ..Default::default() };
    let core = Core::open(config).unwrap();
    core.mark(by_title(&all(&core), "В Гяндже").id, Some(true), None).unwrap();
    evict_to(dir.path(), pic_size);
    assert!(core.image(&server.url("/uploads/pic3.png")).unwrap().is_some(), "the most recently read article's cover is kept");
    assert_eq!(core.image_stats().unwrap().0, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_web_page_added_as_a_source_becomes_the_feed_it_announces() {
    let server = site_server().await;
    let dir = tempfile::tempdir().unwrap();
    let core = core_in(dir.path(), ImageOptions { enabled: false, ..Default::default() });
    core.add_sources(&[server.url("/discover.html")], None).unwrap();
    let report = core.run_once(|_| {}).await.unwrap();
    assert_eq!(report.sources[0].status, SyncStatus::Ok, "{:?}", report.sources[0].error);
    assert_eq!(report.sources[0].url, server.url("/other-feed.xml"));
    assert_eq!(core.sources().unwrap()[0].url, server.url("/other-feed.xml"));
    assert_eq!(all(&core).len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn opml_import_and_export_round_trip() {
    let server = site_server().await;
    let dir = tempfile::tempdir().unwrap();
    let core = core_in(dir.path(), ImageOptions { enabled: false, ..Default::default() });
    let opml = std::fs::read_to_string(format!("{FIXTURES}/sources.opml")).unwrap().replace("HOST", &server.addr.to_string());
    let import = core.import_opml(&opml).unwrap();
    assert_eq!((import.added.len(), import.rejected.len()), (2, 0));
    let exported = core.export_opml().unwrap();
    let dir2 = tempfile::tempdir().unwrap();
    let other = core_in(dir2.path(), ImageOptions { enabled: false, ..Default::default() });
    other.import_opml(&exported).unwrap();
    let urls = |c: &Core| c.sources().unwrap().into_iter().map(|s| s.url).collect::<Vec<_>>();
    assert_eq!(urls(&core), urls(&other));
    assert!(core.import_opml("<html>nope</html>").is_err());
}

#[test]
fn opml_import_adds_the_good_outlines_and_reports_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let core = core_in(dir.path(), ImageOptions { enabled: false, ..Default::default() });
    let opml = r#"<opml version="1.0"><body>
        <outline text="A" xmlUrl="https://a.example/rss"/><outline text="Bad" xmlUrl="feed://b.example/rss"/>
        <outline text="No URL" xmlUrl=" "/><outline text="C" xmlUrl="https://c.example/atom#top"/></body></opml>"#;
    let import = core.import_opml(opml).unwrap();
    let added: Vec<(&str, bool)> = import.added.iter().map(|(s, new)| (s.url.as_str(), *new)).collect();
    assert_eq!(added, [("https://a.example/rss", true), ("https://c.example/atom", true)]);
    let rejected: Vec<&str> = import.rejected.iter().map(|r| r.outline.as_str()).collect();
    assert_eq!(rejected, ["feed://b.example/rss", "No URL"]);
    assert!(import.rejected[0].reason.contains("http"), "{:?}", import.rejected[0]);
    assert_eq!(core.sources().unwrap().len(), 2);
    assert!(core.import_opml("<opml><body><outline text=\"folder only\"/></body></opml>").is_err(), "no feed outline at all");
}

#[test]
fn editions_default_to_the_system_language_else_english() {
    assert_eq!(Core::default_edition("ru-RU").code, "ru");
    assert_eq!(Core::default_edition("az_AZ.UTF-8").code, "az");
    assert_eq!(Core::default_edition("hy_AM.UTF-8").code, "arm");
    assert_eq!(Core::default_edition("de-DE").code, "en");
    let codes: Vec<String> = Core::editions().into_iter().map(|e| e.code).collect();
    assert_eq!(codes, ["ru", "en", "az", "arm"]);
}

#[test]
fn following_an_edition_adds_its_feed_and_listing_once() {
    let dir = tempfile::tempdir().unwrap();
    let core = core_in(dir.path(), ImageOptions::default());
    assert!(core.add_default_sources("ru_RU.UTF-8").unwrap());
    let sources = core.sources().unwrap();
    let urls: Vec<&str> = sources.iter().map(|s| s.url.as_str()).collect();
    assert_eq!(urls, ["https://caliber.az/rss.xml", "https://caliber.az/"]);
    assert!(!core.add_default_sources("en").unwrap(), "never over the reader's sources");
    core.follow_edition("en").unwrap();
    assert!(core.sources().unwrap().iter().any(|s| s.url == "https://caliber.az/en/" && s.kind == Some(SourceKind::Site)));
    assert!(core.follow_edition("xx").is_err());
}

/// An 800×450 cover (what the card thumbnails are made from), as a PNG.
fn cover_png() -> Vec<u8> {
    let cover = image::RgbImage::from_fn(800, 450, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
    let mut png = Vec::new();
    image::DynamicImage::ImageRgb8(cover).write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
    png
}

/// A synced article whose cover is `/cover.png` on `server`; returns the cover's URL.
async fn synced_with_cover(server: &TestServer, core: &Core) -> String {
    let cover_url = server.url("/cover.png");
    server.route("/cover.png", Route::body(cover_png(), "image/png"));
    let body = format!("<p>The cover below.</p><img src=\"{cover_url}\">");
    let feed = common::rss("Covers", &[("c1", "A story with a cover", &body, "Mon, 30 Nov 2026 08:00:00 GMT")]);
    server.route("/covers.xml", Route::body(feed, "application/rss+xml"));
    core.add_sources(&[server.url("/covers.xml")], None).unwrap();
    core.run_once(|_| {}).await.unwrap();
    assert!(core.image(&cover_url).unwrap().is_some(), "the cover is stored by the sync");
    cover_url
}

fn thumbnail_rows(dir: &std::path::Path) -> i64 {
    rusqlite::Connection::open(dir.join("caliber.db")).unwrap().query_row("SELECT count(*) FROM thumbnails", [], |r| r.get(0)).unwrap()
}

/// A card's thumbnail is made once, not on every launch: the next run serves the one kept
/// with the picture without decoding the picture again (each launch used to make its first
/// screenful's thumbnails anew), and it goes when its picture goes.
#[tokio::test(flavor = "multi_thread")]
async fn a_card_thumbnail_made_once_is_served_by_the_next_launch_and_goes_with_its_picture() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (cover_url, made) = {
        let core = core_in(dir.path(), ImageOptions::default());
        let cover_url = synced_with_cover(&server, &core).await;
        let (content_type, made) = core.fetch_thumbnail(&cover_url, 224).await.unwrap().unwrap();
        assert_eq!(content_type, "image/jpeg");
        let size = image::ImageReader::new(std::io::Cursor::new(&made)).with_guessed_format().unwrap().into_dimensions().unwrap();
        assert_eq!(size, (299, 168), "scaled to cover a 224-pixel card");
        (cover_url, made)
    };
    assert_eq!(thumbnail_rows(dir.path()), 1);

    // The stored picture no longer decodes: only a kept thumbnail can still be served.
    let db = rusqlite::Connection::open(dir.path().join("caliber.db")).unwrap();
    db.execute("UPDATE images SET bytes = x'00' WHERE url = ?1", [&cover_url]).unwrap();
    let core = core_in(dir.path(), ImageOptions::default());
    let (content_type, served) = core.fetch_thumbnail(&cover_url, 224).await.unwrap().unwrap();
    assert_eq!((content_type.as_str(), served == made), ("image/jpeg", true), "the next launch serves the kept thumbnail");
    assert_eq!(core.fetch_thumbnail(&cover_url, 112).await.unwrap().unwrap().0, "image/png", "another size is made from the picture, which no longer decodes: served as it is");

    // Evicted with its picture.
    evict_to(dir.path(), 0);
    assert_eq!(core.image(&cover_url).unwrap(), None);
    assert_eq!(thumbnail_rows(dir.path()), 0, "no thumbnail outlives its picture");
}

/// A sync's writer holds the write lock up to a second at a time (and a slow device longer):
/// a card's picture is served without waiting for it, and kept another time.
#[tokio::test(flavor = "multi_thread")]
async fn a_thumbnail_is_served_at_once_while_a_sync_holds_the_write_lock() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let core = core_in(dir.path(), ImageOptions::default());
    let cover_url = synced_with_cover(&server, &core).await;
    let writer = rusqlite::Connection::open(dir.path().join("caliber.db")).unwrap();
    writer.execute_batch("BEGIN IMMEDIATE").unwrap();
    let asked = std::time::Instant::now();
    let (content_type, _) = core.fetch_thumbnail(&cover_url, 224).await.unwrap().unwrap();
    // The connection's busy timeout is 5 s: well under it means it did not wait for the lock.
    assert!(asked.elapsed() < std::time::Duration::from_secs(3), "waited {:?} for the writer", asked.elapsed());
    assert_eq!(content_type, "image/jpeg");
    writer.execute_batch("COMMIT").unwrap();
    assert_eq!(thumbnail_rows(dir.path()), 0, "not kept this time");
    let core = core_in(dir.path(), ImageOptions::default());
    core.fetch_thumbnail(&cover_url, 224).await.unwrap().unwrap();
    assert_eq!(thumbnail_rows(dir.path()), 1, "kept by the next launch");
}

/// The thumbnails kept with the pictures are on the reader's disk too: Settings' storage
/// figure counts them, and so does the pictures' cap (a picture over it goes with its
/// thumbnails). Before, neither did, and the cap was not what the disk held.
#[tokio::test(flavor = "multi_thread")]
async fn kept_thumbnails_count_in_the_pictures_size_and_towards_their_cap() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let core = core_in(dir.path(), ImageOptions::default());
    let cover_url = synced_with_cover(&server, &core).await;
    let (_, picture_bytes) = core.image_stats().unwrap();
    assert_eq!(picture_bytes, cover_png().len() as i64);
    let (_, small) = core.fetch_thumbnail(&cover_url, 112).await.unwrap().unwrap();
    let (_, large) = core.fetch_thumbnail(&cover_url, 224).await.unwrap().unwrap();
    assert_eq!(thumbnail_rows(dir.path()), 2);
    assert_eq!(core.image_stats().unwrap(), (1, picture_bytes + (small.len() + large.len()) as i64), "one picture, stored with its two thumbnails");

    // A cap that holds the picture alone, not with its thumbnails: it is over the cap.
    evict_to(dir.path(), picture_bytes as u64);
    assert_eq!(core.image(&cover_url).unwrap(), None, "evicted");
    assert_eq!((core.image_stats().unwrap(), thumbnail_rows(dir.path())), ((0, 0), 0));
}

/// Trim the stored pictures to `cap_bytes`, as a sync does after downloading.
fn evict_to(dir: &std::path::Path, cap_bytes: u64) {
    caliber_core::testing::Store::open(&dir.join("caliber.db")).unwrap().evict_images(cap_bytes).unwrap();
}
