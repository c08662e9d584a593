//! Upgrades: a database written by each earlier release opens, migrates in place and keeps
//! everything the reader had — every article, read and saved mark, picture, setting and
//! breaking-news decision — then syncs. Each `fixtures/upgrade/schema-N.db` holds what a
//! reader of the release with schema N had: migrations 0001..N as they landed, filled with
//! data the `caliber` CLI synced (`fixtures/upgrade/make.py` says how); a new migration
//! adds its own file, and landed files are never remade.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use caliber_core::testing::Store;
use caliber_core::{ArticleQuery, Retention, SCHEMA_VERSION};
use common::*;
use rusqlite::Connection;

fn upgrade_fixture(version: u32) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/upgrade/schema-{version}.db"))
}

/// Everything a reader could lose, read with plain SQL so the same query works on every
/// schema. Keyed by table; each row as text.
fn reader_data(path: &Path) -> BTreeMap<&'static str, Vec<String>> {
    let conn = Connection::open(path).unwrap();
    let tables: Vec<String> =
        conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").unwrap().query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
    let has = |t: &str| tables.iter().any(|n| n == t);
    let mut data = BTreeMap::new();
    let mut rows = |key: &'static str, sql: &str| {
        let mut stmt = conn.prepare(sql).unwrap();
        let n = stmt.column_count();
        let found = stmt
            .query_map([], |r| {
                Ok((0..n)
                    .map(|i| match r.get_ref(i).unwrap() {
                        rusqlite::types::ValueRef::Null => "NULL".to_owned(),
                        rusqlite::types::ValueRef::Integer(v) => v.to_string(),
                        rusqlite::types::ValueRef::Real(v) => v.to_string(),
                        rusqlite::types::ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
                        rusqlite::types::ValueRef::Blob(b) => format!("blob:{}:{:?}", b.len(), &b[..b.len().min(8)]),
                    })
                    .collect::<Vec<_>>()
                    .join(" | "))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        data.insert(key, found);
    };
    rows("sources", "SELECT id, url, kind, title, language, etag, last_modified FROM sources ORDER BY id");
    rows(
        "articles",
        "SELECT id, source_id, guid, url, title, summary, content_html, author, categories, published_at, image_url, language, is_breaking
         FROM articles ORDER BY id",
    );
    rows("marks", "SELECT article_id, read, read_at, saved, saved_at FROM article_state ORDER BY article_id");
    if has("images") {
        rows("images", "SELECT url, content_type, bytes, size FROM images ORDER BY url");
        rows("article_images", "SELECT article_id, url FROM article_images ORDER BY article_id, url");
    }
    if has("settings") {
        rows("settings", "SELECT key, value FROM settings ORDER BY key");
    }
    if has("notified_articles") {
        rows("notified", "SELECT article_id, state, decided_at FROM notified_articles ORDER BY article_id");
        rows("notification_log", "SELECT id, sent_at FROM notification_log ORDER BY id");
    }
    data
}

fn count(path: &Path, sql: &str) -> i64 {
    Connection::open(path).unwrap().query_row(sql, [], |r| r.get(0)).unwrap()
}

/// One word of a title, long enough to search for.
/// The WAL pages after which the store's own connection checkpoints.
fn wal_autocheckpoint(path: &Path) -> i64 {
    Store::open(path).unwrap().connection().pragma_query_value(None, "wal_autocheckpoint", |r| r.get(0)).unwrap()
}

fn pragma(path: &Path, name: &str) -> i64 {
    Connection::open(path).unwrap().pragma_query_value(None, name, |r| r.get(0)).unwrap()
}

fn a_word_of(title: &str) -> String {
    title.split(|c: char| !c.is_alphanumeric()).find(|w| w.chars().count() >= 5).unwrap_or(title).to_owned()
}

async fn upgrade_keeps_everything(version: u32) {
    let original = upgrade_fixture(version);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("caliber.db");
    std::fs::copy(&original, &path).unwrap();
    let old_version: u32 = Connection::open(&path).unwrap().pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
    assert_eq!(old_version, version, "fixture schema-{version}.db is at schema {old_version}");

    let page_size_before = pragma(&path, "page_size");
    let before = reader_data(&path);
    let articles = before["articles"].len();
    assert!(articles >= 10, "schema-{version}.db holds {articles} articles: a fixture worth testing has more");
    assert!(before["marks"].iter().any(|m| m.split(" | ").nth(3) == Some("1")), "schema-{version}.db has a saved article");

    // Retention off: the fixtures' articles are old, and pruning is not what is under test.
    let core = open_core_with(dir.path(), fast_options(), Retention { max_per_source: None, max_age: None });
    assert_eq!(Store::open_read_only(&path).unwrap().schema_version().unwrap(), SCHEMA_VERSION);
    let after = reader_data(&path);
    for (table, rows) in &before {
        assert_eq!(&after[table], rows, "schema {version} → {SCHEMA_VERSION}: {table} changed by the upgrade");
    }

    // The reader sees the same marks through the front door.
    for mark in &before["marks"] {
        let f: Vec<&str> = mark.split(" | ").collect();
        let article = core.article(f[0].parse().unwrap()).unwrap();
        assert_eq!((article.read, article.saved), (f[1] == "1", f[3] == "1"), "marks of article {}", f[0]);
    }
    let saved = core.articles(&ArticleQuery { saved_only: true, limit: Some(1000), ..Default::default() }).unwrap();
    assert_eq!(saved.len(), before["marks"].iter().filter(|m| m.split(" | ").nth(3) == Some("1")).count());

    // A sync (its sources are long gone: errors, nothing lost) finishes anything queued,
    // and a new source syncs into the upgraded file.
    let server = TestServer::start().await;
    server.route("/new.xml", Route::fixture("rss2.xml", RSS));
    add(&core, &[server.url("/new.xml")]);
    let report = sync(&core).await;
    assert!(report_for(&report, &server.url("/new.xml")).new > 0);
    assert_eq!(Store::open_read_only(&path).unwrap().unindexed_count().unwrap(), 0);
    let after_sync = reader_data(&path);
    assert_eq!(after_sync["marks"], before["marks"], "a sync after the upgrade kept every mark");
    for row in &before["articles"] {
        assert!(after_sync["articles"].contains(row), "article kept through the first sync: {row}");
    }
    if let Some(settings) = before.get("settings") {
        assert_eq!(&after_sync["settings"], settings);
    }

    // The file keeps the page size it was made with (only new databases get 8 KiB pages),
    // and still checkpoints every 40 MB of WAL.
    assert_eq!(pragma(&path, "page_size"), page_size_before, "schema {version}: the upgrade changed the page size");
    assert_eq!(wal_autocheckpoint(&path), 40_960_000 / page_size_before);

    // Every old article is in the index, and found by a word of its title.
    assert_eq!(count(&path, "SELECT count(*) FROM articles a WHERE NOT EXISTS (SELECT 1 FROM articles_fts f WHERE f.rowid = a.id)"), 0);
    Connection::open(&path).unwrap().execute("INSERT INTO articles_fts (articles_fts) VALUES ('integrity-check')", []).unwrap();
    for row in &before["articles"] {
        let f: Vec<&str> = row.split(" | ").collect();
        let (id, title) = (f[0].parse::<i64>().unwrap(), f[4]);
        let word = a_word_of(title);
        let hits = core.search(&word, 200).unwrap();
        assert!(hits.iter().any(|h| h.article.id == id), "schema {version}: “{title}” found by “{word}”");
    }
}

/// A new database is made with 8 KiB pages (a cold sync writes fewer, fuller pages:
/// BENCHMARKS.md, "8 KiB pages"), checkpoints after the same 40 MB of WAL as a 4 KiB one,
/// and syncs, lists and finds its articles.
#[tokio::test(flavor = "multi_thread")]
async fn a_new_database_has_8_kib_pages_and_checkpoints_after_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("caliber.db");
    let core = open_core_with(dir.path(), fast_options(), Retention::default());
    assert_eq!(pragma(&path, "page_size"), 8192);
    assert_eq!(wal_autocheckpoint(&path), 5_000);
    let server = TestServer::start().await;
    server.route("/new.xml", Route::fixture("rss2.xml", RSS));
    add(&core, &[server.url("/new.xml")]);
    let report = sync(&core).await;
    assert_eq!(report_for(&report, &server.url("/new.xml")).new, 3);
    let listed = core.articles(&ArticleQuery { limit: Some(10), ..Default::default() }).unwrap();
    assert_eq!(listed.len(), 3);
    let word = a_word_of(&listed[0].title);
    assert!(core.search(&word, 10).unwrap().iter().any(|h| h.article.id == listed[0].id), "“{}” found by “{word}”", listed[0].title);
    assert_eq!(pragma(&path, "page_size"), 8192, "still 8 KiB after a sync");
}

#[tokio::test(flavor = "multi_thread")]
async fn schema_1_database_upgrades_keeping_everything() {
    upgrade_keeps_everything(1).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn schema_2_database_upgrades_keeping_everything() {
    upgrade_keeps_everything(2).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn schema_3_database_upgrades_keeping_everything() {
    upgrade_keeps_everything(3).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn schema_4_database_upgrades_keeping_everything() {
    upgrade_keeps_everything(4).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn schema_5_database_upgrades_keeping_everything() {
    upgrade_keeps_everything(5).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn schema_6_database_upgrades_keeping_everything() {
    upgrade_keeps_everything(6).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn schema_7_database_upgrades_keeping_everything() {
    upgrade_keeps_everything(7).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn schema_8_database_upgrades_keeping_everything() {
    upgrade_keeps_everything(8).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn schema_9_database_upgrades_keeping_everything() {
    upgrade_keeps_everything(9).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn schema_10_database_upgrades_keeping_everything() {
    upgrade_keeps_everything(10).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn schema_11_database_upgrades_keeping_everything() {
    upgrade_keeps_everything(11).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn schema_12_database_upgrades_keeping_everything() {
    upgrade_keeps_everything(12).await;
}

/// Migration 0012 rebuilds the index from the articles. One whose body still waits to be
/// sanitised is neither indexed from what the feed sent nor queued: the next sync sanitises
/// it, and only then is it found.
#[tokio::test(flavor = "multi_thread")]
async fn an_article_whose_body_waits_is_indexed_only_once_sanitised_after_the_index_is_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("caliber.db");
    std::fs::copy(upgrade_fixture(11), &path).unwrap();
    let waiting: i64 = {
        let conn = Connection::open(&path).unwrap();
        let id = conn.query_row("SELECT min(id) FROM articles", [], |r| r.get(0)).unwrap();
        // As a sync killed after listing it leaves it: no body yet, not indexed, not queued.
        conn.execute_batch(&format!(
            "DELETE FROM articles_fts WHERE rowid = {id};
             UPDATE articles SET content_html = NULL WHERE id = {id};
             INSERT INTO pending_bodies (article_id, html, base) VALUES
                 ({id}, '<p>Zanzibarquux at the port.</p><script>stolen()</script>', 'https://old.example/');"
        ))
        .unwrap();
        id
    };

    let core = open_core_with(dir.path(), fast_options(), Retention { max_per_source: None, max_age: None });
    assert_eq!(count(&path, &format!("SELECT count(*) FROM index_queue WHERE article_id = {waiting}")), 0);
    assert_eq!(count(&path, "SELECT count(*) FROM articles WHERE id NOT IN (SELECT rowid FROM articles_fts)"), 1, "all but it indexed at once");
    assert!(core.search("zanzibarquux", 10).unwrap().is_empty());

    sync(&core).await;
    let found: Vec<i64> = core.search("zanzibarquux", 10).unwrap().iter().map(|h| h.article.id).collect();
    assert_eq!(found, [waiting]);
    let body = core.article(waiting).unwrap().content_html.unwrap_or_default();
    assert!(body.contains("Zanzibarquux") && !body.contains("stolen"), "{body}");
}

/// The app opens an upgraded database without rebuilding its index (that would hold its
/// window: 5 s at 100,000 articles) and indexes once the window shows: until then search
/// misses the old articles, after `index_pending` it finds every one, and reading works
/// throughout. The CLI's `Core::open` (the default) still indexes at once (the tests above).
#[test]
fn the_app_opens_an_upgraded_database_at_once_and_indexes_it_afterwards() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("caliber.db");
    std::fs::copy(upgrade_fixture(11), &path).unwrap();
    let titles: Vec<(i64, String)> = {
        let conn = Connection::open(&path).unwrap();
        let mut stmt = conn.prepare("SELECT id, title FROM articles ORDER BY id").unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect()
    };
    assert!(titles.len() >= 10);

    let mut config = config(dir.path(), fast_options(), Retention { max_per_source: None, max_age: None });
    config.index_at_open = false;
    let core = caliber_core::Core::open(config).unwrap();
    assert_eq!(Store::open_read_only(&path).unwrap().schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(Store::open_read_only(&path).unwrap().unindexed_count().unwrap(), titles.len() as i64, "every article waits for the index");
    let (id, title) = &titles[0];
    let word = a_word_of(title);
    assert!(core.search(&word, 200).unwrap().iter().all(|h| h.article.id != *id), "not found before it is indexed");
    assert_eq!(core.article(*id).unwrap().title, *title, "the article reads meanwhile");

    assert_eq!(core.index_pending().unwrap(), titles.len() as u64);
    assert_eq!(Store::open_read_only(&path).unwrap().unindexed_count().unwrap(), 0);
    for (id, title) in &titles {
        let word = a_word_of(title);
        assert!(core.search(&word, 200).unwrap().iter().any(|h| h.article.id == *id), "“{title}” found by “{word}”");
    }
    assert_eq!(core.index_pending().unwrap(), 0, "indexing again finds nothing to do");
}

/// A new migration must come with a database written by the release before it.
#[test]
fn every_schema_has_an_upgrade_fixture() {
    for version in 1..=SCHEMA_VERSION {
        assert!(upgrade_fixture(version).exists(), "missing fixtures/upgrade/schema-{version}.db: run core/tests/fixtures/upgrade/make.py {version} and check it in");
    }
}

/// A fixture nobody opens proves nothing: schema 7 had its file for a release before a test
/// upgraded it.
#[test]
fn every_upgrade_fixture_has_its_test() {
    let this_file = include_str!("upgrades.rs");
    for version in 1..=SCHEMA_VERSION {
        let call = format!("upgrade_keeps_everything({version}).await");
        assert!(this_file.contains(&call), "no test upgrades schema-{version}.db: add one calling {call}");
    }
}
