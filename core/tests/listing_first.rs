//! Listable at parse speed (issue 15): a sync commits what the list shows (title, summary,
//! date, section, picture) as soon as a feed is parsed, and sanitises and indexes bodies
//! after. In between, no reader (the UI and the CLI read through `Core`; search) sees an
//! unsanitised body, and a sync that stops there leaves a database the next sync completes.

mod common;

use caliber_core::testing::{Store, sync_listing_only};
use caliber_core::{ArticleQuery, Core, SyncStatus};
use common::*;

/// What a raw body of the fixtures holds and a sanitised one never does.
const UNSANITISED: &[&str] = &["<script", "onclick", "onmouseover", "javascript:", "<iframe", "<form", "<style", "style=", "steal("];

fn assert_nothing_unsanitised(what: &str, text: &str) {
    let lower = text.to_ascii_lowercase();
    for banned in UNSANITISED {
        assert!(!lower.contains(banned), "{what}: {banned:?} in {text}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn between_listing_and_bodies_no_reader_sees_an_unsanitised_body_and_the_next_sync_completes() {
    let server = TestServer::start().await;
    let feeds = [("/hostile.xml", "hostile.xml", RSS), ("/rss2.xml", "rss2.xml", RSS), ("/atom.xml", "atom.xml", ATOM), ("/feed.json", "feed.json", JSON_FEED), ("/ru.xml", "ru-windows-1251.xml", RSS)];
    for (path, file, content_type) in feeds {
        server.route(path, Route::fixture(file, content_type));
    }
    let (dir, core) = temp_core(fast_options());
    let urls: Vec<String> = feeds.iter().map(|(path, _, _)| server.url(path)).collect();
    add(&core, &urls);

    // Phase 1 only: every source written, no body sanitised yet.
    let report = sync_listing_only(&core).await.unwrap();
    assert!(report.sources.iter().all(|s| s.status == SyncStatus::Ok), "{report:?}");
    let listed = core.articles(&ArticleQuery { limit: Some(500), ..Default::default() }).unwrap();
    let stored: u32 = report.sources.iter().map(|s| s.new).sum();
    assert_eq!(listed.len(), stored as usize, "every stored article is listed before any body is sanitised");
    assert!(listed.len() >= 10, "{listed:?}");
    for article in &listed {
        assert!(!article.title.trim().is_empty(), "listed without a title: {article:?}");
        let opened = core.article(article.id).unwrap();
        assert_eq!(opened.content_html, None, "a body before it was sanitised: {opened:?}");
        for (what, text) in [("title", Some(&opened.title)), ("summary", opened.summary.as_ref()), ("author", opened.author.as_ref())] {
            assert_nothing_unsanitised(what, text.map_or("", |t| t.as_str()));
        }
    }
    let hostile = article_by_guid(&articles_of(&core, &urls[0]), "hostile-1");
    assert_eq!(hostile.summary.as_deref(), Some("A perfectly ordinary teaser."), "the list's summary is there at once");
    assert_eq!(hostile.image_url.as_deref(), Some(server.url("/pics/photo.jpg").as_str()), "the list's picture is there at once");
    // Search holds no body text yet (it is indexed once sanitised), and never script text.
    assert!(core.search("Outro", 10).unwrap().is_empty(), "a body word is searchable before its body can be opened");
    assert!(core.search("owned", 10).unwrap().is_empty());
    {
        let store = Store::open(&dir.path().join("caliber.db")).unwrap();
        assert_eq!(store.pending_body_count().unwrap(), stored as i64, "each body waits in the store");
    }

    // The next sync (every feed unchanged) finishes what the first one left.
    let report = sync(&core).await;
    assert!(report.sources.iter().all(|s| matches!(s.status, SyncStatus::Ok | SyncStatus::NotModified)), "{report:?}");
    let store = Store::open(&dir.path().join("caliber.db")).unwrap();
    assert_eq!((store.pending_body_count().unwrap(), store.unindexed_count().unwrap()), (0, 0), "nothing left waiting");
    for article in core.articles(&ArticleQuery { limit: Some(500), ..Default::default() }).unwrap() {
        let opened = core.article(article.id).unwrap();
        let html = opened.content_html.unwrap_or_else(|| panic!("no body after the completing sync: {}", article.title));
        assert_nothing_unsanitised(&article.title, &html);
    }
    let hostile = core.article(hostile.id).unwrap();
    assert!(hostile.content_html.as_deref().is_some_and(|h| h.contains("Outro text stays.")), "{hostile:?}");
    assert_eq!(core.search("Outro", 10).unwrap().len(), 1, "the body is searchable once sanitised");
    assert!(core.search("owned", 10).unwrap().is_empty(), "script text is never indexed");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_updated_article_keeps_its_sanitised_body_until_the_new_one_is_sanitised() {
    let server = TestServer::start().await;
    let first = rss("Updates", &[("u-1", "A story", "<p>First version.</p><script>steal()</script>", "Mon, 02 Jun 2025 08:00:00 GMT")]);
    server.route("/feed.xml", Route::body(first, RSS));
    let (_dir, core) = temp_core(fast_options());
    let url = server.url("/feed.xml");
    add(&core, std::slice::from_ref(&url));
    sync(&core).await;
    let id = article_by_guid(&articles_of(&core, &url), "u-1").id;
    assert_eq!(core.article(id).unwrap().content_html.as_deref(), Some("<p>First version.</p>"));

    let second = rss("Updates", &[("u-1", "A story", "<p>Second version.</p><script>steal()</script>", "Mon, 02 Jun 2025 08:00:00 GMT")]);
    server.route("/feed.xml", Route::body(second, RSS));
    sync_listing_only(&core).await.unwrap();
    assert_eq!(core.article(id).unwrap().content_html.as_deref(), Some("<p>First version.</p>"), "the old, sanitised body meanwhile");
    assert!(core.search("Second", 10).unwrap().is_empty(), "the new text is not searchable before it is sanitised");
    sync(&core).await;
    assert_eq!(core.article(id).unwrap().content_html.as_deref(), Some("<p>Second version.</p>"));
    assert_eq!(core.search("Second", 10).unwrap().len(), 1);
}

/// The hostile fixture feed served and listed, its bodies still waiting (server, data dir, core, URL).
async fn hostile_feed_listed() -> (TestServer, tempfile::TempDir, Core, String) {
    let server = TestServer::start().await;
    server.route("/hostile.xml", Route::fixture("hostile.xml", RSS));
    let (dir, core) = temp_core(fast_options());
    let url = server.url("/hostile.xml");
    add(&core, std::slice::from_ref(&url));
    sync_listing_only(&core).await.unwrap();
    (server, dir, core, url)
}

/// The files beside the database in `caliber.db.bodies/` (store/pending.rs).
fn body_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    match std::fs::read_dir(dir.join("caliber.db.bodies")) {
        Ok(entries) => entries.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    }
}

/// Bodies wait in files beside the database, not in it (the writer stores where they are);
/// the database holds none of their bytes; once sanitised, the files go.
#[tokio::test(flavor = "multi_thread")]
async fn waiting_bodies_are_files_beside_the_database_removed_once_sanitised() {
    let server = TestServer::start().await;
    server.route("/hostile.xml", Route::fixture("hostile.xml", RSS));
    server.route("/ru.xml", Route::fixture("ru-windows-1251.xml", RSS));
    let (dir, core) = temp_core(fast_options());
    let urls = [server.url("/hostile.xml"), server.url("/ru.xml")];
    add(&core, &urls);

    let report = sync_listing_only(&core).await.unwrap();
    let stored: u32 = report.sources.iter().map(|s| s.new).sum();
    let files = body_files(dir.path());
    assert_eq!(files.len(), 2, "one file per document: {files:?}");
    let spilled = files.iter().map(|f| std::fs::read_to_string(f).unwrap()).collect::<String>();
    assert!(spilled.contains("Outro text stays.") && spilled.contains("<script"), "the raw bodies are in the files");
    let db = rusqlite::Connection::open(dir.path().join("caliber.db")).unwrap();
    let (rows, in_db, in_files): (i64, i64, i64) = db
        .query_row("SELECT count(*), sum(length(html)), count(file) FROM pending_bodies", [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap();
    assert_eq!((rows, in_db, in_files), (stored as i64, 0, stored as i64), "every waiting body is in a file, none in the database");

    sync(&core).await;
    assert_eq!(body_files(dir.path()), Vec::<std::path::PathBuf>::new(), "sanitised: the files are gone");
    let hostile = article_by_guid(&articles_of(&core, &urls[0]), "hostile-1");
    let html = core.article(hostile.id).unwrap().content_html.unwrap();
    assert!(html.contains("Outro text stays.") && !html.contains("<script"), "{html}");
    let ru = articles_of(&core, &urls[1]);
    assert!(ru.iter().all(|a| core.article(a.id).unwrap().content_html.is_some_and(|h| !h.contains('\u{fffd}'))), "Cyrillic bodies read back whole");
}

/// A body file that went missing (deleted by hand, a damaged disk) costs that body alone:
/// the article keeps its summary, the sync carries on, nothing unsanitised appears.
/// A stray file no row names is removed once a day old, never sooner (a sync in another
/// process may not have committed the rows that name it yet).
#[tokio::test(flavor = "multi_thread")]
async fn a_missing_body_file_costs_its_bodies_only_and_strays_go_after_a_day() {
    let (_server, dir, core, url) = hostile_feed_listed().await;
    for file in body_files(dir.path()) {
        std::fs::remove_file(file).unwrap();
    }
    let bodies = dir.path().join("caliber.db.bodies");
    let (fresh, old) = (bodies.join("fresh-stray.html"), bodies.join("old-stray.html"));
    std::fs::write(&fresh, "<p>a sync in another process</p>").unwrap();
    std::fs::write(&old, "<p>left by a killed sync</p>").unwrap();
    let day_and_more = std::time::SystemTime::now() - std::time::Duration::from_secs(25 * 3600);
    std::fs::File::options().write(true).open(&old).unwrap().set_modified(day_and_more).unwrap();

    let report = sync(&core).await;
    assert!(report.sources.iter().all(|s| matches!(s.status, SyncStatus::Ok | SyncStatus::NotModified)), "{report:?}");
    let store = Store::open(&dir.path().join("caliber.db")).unwrap();
    assert_eq!(store.pending_body_count().unwrap(), 0, "nothing left waiting");
    let hostile = article_by_guid(&articles_of(&core, &url), "hostile-1");
    let opened = core.article(hostile.id).unwrap();
    assert_eq!(opened.content_html, None, "no body, not a broken one");
    assert_eq!(opened.summary.as_deref(), Some("A perfectly ordinary teaser."));
    assert!(fresh.exists(), "a fresh stray may be another sync's: kept");
    assert!(!old.exists(), "a stray over a day old is removed");
}

/// A body the previous version left waiting in the database itself (before migration
/// 0009, or when its file could not be written) is sanitised as before.
#[tokio::test(flavor = "multi_thread")]
async fn a_body_waiting_in_the_database_itself_is_still_sanitised() {
    let (_server, dir, core, url) = hostile_feed_listed().await;
    // Each row made as the previous version wrote it: the HTML in the row, no file.
    let db = rusqlite::Connection::open(dir.path().join("caliber.db")).unwrap();
    let rows: Vec<(i64, String, i64, i64)> = db
        .prepare("SELECT article_id, file, file_offset, file_length FROM pending_bodies")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(!rows.is_empty());
    for (id, file, offset, length) in rows {
        let bytes = std::fs::read(dir.path().join("caliber.db.bodies").join(&file)).unwrap();
        let html = std::str::from_utf8(&bytes[offset as usize..(offset + length) as usize]).unwrap();
        db.execute("UPDATE pending_bodies SET html = ?2, file = NULL, file_offset = NULL, file_length = NULL WHERE article_id = ?1", rusqlite::params![id, html])
            .unwrap();
    }
    for file in body_files(dir.path()) {
        std::fs::remove_file(file).unwrap();
    }

    sync(&core).await;
    let hostile = article_by_guid(&articles_of(&core, &url), "hostile-1");
    let html = core.article(hostile.id).unwrap().content_html.unwrap();
    assert!(html.contains("Outro text stays.") && !html.contains("<script"), "{html}");
    assert_eq!(core.search("Outro", 10).unwrap().len(), 1);
}

/// Where the bodies' directory cannot be made (here a file stands in its place; a read-only
/// or full disk alike), the bodies wait in the database as before: the sync succeeds and
/// every body is sanitised in the end.
#[tokio::test(flavor = "multi_thread")]
async fn bodies_wait_in_the_database_when_their_directory_cannot_be_made() {
    let server = TestServer::start().await;
    server.route("/hostile.xml", Route::fixture("hostile.xml", RSS));
    let (dir, core) = temp_core(fast_options());
    std::fs::write(dir.path().join("caliber.db.bodies"), b"not a directory").unwrap();
    let url = server.url("/hostile.xml");
    add(&core, std::slice::from_ref(&url));
    sync_listing_only(&core).await.unwrap();
    let db = rusqlite::Connection::open(dir.path().join("caliber.db")).unwrap();
    let (rows, inline): (i64, i64) = db
        .query_row("SELECT count(*), count(*) FILTER (WHERE file IS NULL AND length(html) > 0) FROM pending_bodies", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    assert!(rows > 0 && inline == rows, "{inline} of {rows} waiting bodies in the database");

    let report = sync(&core).await;
    assert!(report.sources.iter().all(|s| matches!(s.status, SyncStatus::Ok | SyncStatus::NotModified)), "{report:?}");
    let hostile = article_by_guid(&articles_of(&core, &url), "hostile-1");
    let html = core.article(hostile.id).unwrap().content_html.unwrap();
    assert!(html.contains("Outro text stays.") && !html.contains("<script"), "{html}");
    assert_eq!(std::fs::read(dir.path().join("caliber.db.bodies")).unwrap(), b"not a directory", "the file in the way is left alone");
}
