//! What the reader's library does with synced articles: updates in place, search in the
//! site's three languages, retention, reads during a sync, and the database's schema.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use caliber_core::testing::Store;
use caliber_core::{ArticleQuery, Core, Error, FetchOptions, Retention, SCHEMA_VERSION, SyncStatus};
use common::*;

// ---- updates ----

/// Two items of a desk's feed; the update tests change the first.
fn desk_feed() -> String {
    rss(
        "Desk",
        &[
            ("u-1", "Parliament debates water tariffs", "<p>Deputies discussed the tariffs.</p>", "Tue, 10 Jun 2025 08:00:00 GMT"),
            ("u-2", "Weather stays warm", "<p>Sunny all week.</p>", "Tue, 10 Jun 2025 07:00:00 GMT"),
        ],
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn updated_item_is_counted_as_updated_keeps_marks_and_is_reindexed() {
    let server = TestServer::start().await;
    let v1 = desk_feed();
    server.route("/desk.xml", Route::body(v1, RSS));
    let (_dir, core) = temp_core(fast_options());
    let url = server.url("/desk.xml");
    add(&core, std::slice::from_ref(&url));
    assert_eq!(report_for(&sync(&core).await, &url).new, 2);

    let original = article_by_guid(&articles_of(&core, &url), "u-1");
    let marked = core.mark(original.id, Some(true), Some(true)).unwrap();
    assert!(marked.read && marked.saved);

    let v2 = rss(
        "Desk",
        &[
            ("u-1", "Parliament approves water tariffs", "<p>Deputies approved the new tariffs.</p>", "Tue, 10 Jun 2025 08:00:00 GMT"),
            ("u-2", "Weather stays warm", "<p>Sunny all week.</p>", "Tue, 10 Jun 2025 07:00:00 GMT"),
        ],
    );
    server.route("/desk.xml", Route::body(v2, RSS));
    let report = sync(&core).await;
    let r = report_for(&report, &url);
    assert_eq!((r.status, r.new, r.updated), (SyncStatus::Ok, 0, 1), "{r:?}");
    assert_eq!(r.changed_article_ids, [original.id]);

    let articles = articles_of(&core, &url);
    assert_eq!(articles.len(), 2, "updated in place, no duplicate row");
    let updated = article_by_guid(&articles, "u-1");
    assert_eq!(updated.id, original.id);
    assert_eq!(updated.title, "Parliament approves water tariffs");
    assert!(updated.content_html.as_deref().unwrap().contains("approved the new tariffs"));
    assert!(updated.read && updated.saved, "the reader's marks survive the update");
    assert_eq!(updated.first_seen_at, original.first_seen_at);

    let ids = |q: &str| core.search(q, 10).unwrap().into_iter().map(|h| h.article.id).collect::<Vec<_>>();
    assert_eq!(ids("approves"), [original.id], "new title indexed");
    assert_eq!(ids("approved"), [original.id], "new body indexed");
    assert!(ids("debates").is_empty(), "old title gone from the index");
    assert!(ids("discussed").is_empty(), "old body gone from the index");
    assert_eq!(core.articles(&ArticleQuery { saved_only: true, ..Default::default() }).unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn unchanged_feed_without_validators_stores_nothing_new() {
    let server = TestServer::start().await;
    server.route("/plain.xml", Route::fixture("rss2.xml", RSS));
    let (_dir, core) = temp_core(fast_options());
    let url = server.url("/plain.xml");
    add(&core, std::slice::from_ref(&url));
    let first = articles_of(&core, &url);
    assert!(first.is_empty());
    sync(&core).await;
    let before = articles_of(&core, &url);

    let report = sync(&core).await;
    let r = report_for(&report, &url);
    assert_eq!((r.status, r.new, r.updated), (SyncStatus::Ok, 0, 0), "{r:?}");
    assert!(r.changed_article_ids.is_empty());
    assert!(!r.first_sync);
    assert_eq!(articles_of(&core, &url), before);
}

/// A server that sends no validators but the same bytes: the document is not parsed again
/// (the unchanged re-sync stays a download). Any change in the bytes is read in full.
#[tokio::test(flavor = "multi_thread")]
async fn identical_feed_document_is_not_parsed_again_and_a_changed_one_is() {
    let server = TestServer::start().await;
    server.route("/same.xml", Route::fixture("rss2.xml", RSS));
    let (_dir, core) = temp_core(fast_options());
    let url = server.url("/same.xml");
    add(&core, std::slice::from_ref(&url));
    let stored = report_for(&sync(&core).await, &url).new;
    assert!(stored > 1);

    // Take one article out behind the store's back: parsing the same document again would
    // bring it back as new; skipping it leaves it out.
    let victim = articles_of(&core, &url)[0].id;
    let store = Store::open(core.db_path()).unwrap();
    store.connection().execute("DELETE FROM articles WHERE id = ?1", [victim]).unwrap();
    let r = report_for(&sync(&core).await, &url).clone();
    assert_eq!((r.status, r.new, r.updated), (SyncStatus::Ok, 0, 0), "{r:?}");
    assert_eq!(articles_of(&core, &url).len() as u32, stored - 1);

    // One byte different: parsed, and the missing item is stored again.
    let mut changed = std::fs::read_to_string(fixture_path("rss2.xml")).unwrap();
    changed.push('\n');
    server.route("/same.xml", Route::body(changed, RSS));
    let r = report_for(&sync(&core).await, &url).clone();
    assert_eq!((r.status, r.new), (SyncStatus::Ok, 1), "{r:?}");
}

/// Upgrading from a version that named documents by SHA-256 (before issue 15's XXH3): the
/// stored id no longer matches, so the same document is parsed once more, and its items,
/// still named by SHA-256, are all found unchanged: nothing is new, updated or lost.
#[tokio::test(flavor = "multi_thread")]
async fn a_document_id_stored_by_the_previous_version_costs_one_parse_and_changes_nothing() {
    use sha2::{Digest, Sha256};
    let server = TestServer::start().await;
    server.route("/same.xml", Route::fixture("rss2.xml", RSS));
    let (_dir, core) = temp_core(fast_options());
    let url = server.url("/same.xml");
    add(&core, std::slice::from_ref(&url));
    let stored = report_for(&sync(&core).await, &url).new;
    assert!(stored > 1);
    let before = articles_of(&core, &url);

    let document = std::fs::read(fixture_path("rss2.xml")).unwrap();
    let store = Store::open(core.db_path()).unwrap();
    let id_now: Vec<u8> = store.connection().query_row("SELECT body_hash FROM sources", [], |r| r.get(0)).unwrap();
    let old_id = Sha256::digest(&document)[..16].to_vec();
    assert_ne!(id_now, old_id, "documents are no longer named by SHA-256");
    store.connection().execute("UPDATE sources SET body_hash = ?1", [&old_id]).unwrap();

    // Parsed again (an article taken out behind the store's back comes back), and the rest
    // are unchanged: their own ids did not change with the document's.
    let victim = before[0].id;
    store.connection().execute("DELETE FROM articles WHERE id = ?1", [victim]).unwrap();
    let r = report_for(&sync(&core).await, &url).clone();
    assert_eq!((r.status, r.new, r.updated), (SyncStatus::Ok, 1, 0), "{r:?}");
    let after = articles_of(&core, &url);
    assert_eq!(after.len(), before.len());
    let stable = |list: &[caliber_core::Article]| {
        list.iter().filter(|a| a.title != before[0].title).map(|a| (a.id, a.title.clone(), a.content_html.clone())).collect::<Vec<_>>()
    };
    assert_eq!(stable(&after), stable(&before));
    let id_after: Vec<u8> = store.connection().query_row("SELECT body_hash FROM sources", [], |r| r.get(0)).unwrap();
    assert_eq!(id_after, id_now, "the new id is stored");
}

/// Upgrading from a version that named items by SHA-256: an item it stored and the feed
/// still carries unchanged is not an update (no rewrite, no notification), and one that did
/// change is.
#[tokio::test(flavor = "multi_thread")]
async fn items_stored_by_the_previous_version_are_unchanged_until_they_change() {
    let server = TestServer::start().await;
    let v1 = desk_feed();
    server.route("/desk.xml", Route::body(v1.clone(), RSS));
    let (_dir, core) = temp_core(fast_options());
    let url = server.url("/desk.xml");
    add(&core, std::slice::from_ref(&url));
    assert_eq!(report_for(&sync(&core).await, &url).new, 2);

    // The database as the previous version left it: SHA-256 ids, no document id.
    let store = Store::open(core.db_path()).unwrap();
    for (guid, id) in caliber_core::testing::item_ids_before_xxh3(v1.as_bytes(), &url) {
        let changed = store.connection().execute("UPDATE articles SET content_hash = ?1 WHERE guid = ?2", rusqlite::params![&id[..], guid]).unwrap();
        assert_eq!(changed, 1, "{guid}");
    }
    store.connection().execute("UPDATE sources SET body_hash = NULL", []).unwrap();
    let r = report_for(&sync(&core).await, &url).clone();
    assert_eq!((r.status, r.new, r.updated), (SyncStatus::Ok, 0, 0), "the same items: {r:?}");

    // u-1 changes: updated, and only it.
    let v2 = v1.replace("debates", "approves");
    server.route("/desk.xml", Route::body(v2, RSS));
    let r = report_for(&sync(&core).await, &url).clone();
    assert_eq!((r.status, r.new, r.updated), (SyncStatus::Ok, 0, 1), "{r:?}");
    assert_eq!(article_by_guid(&articles_of(&core, &url), "u-1").title, "Parliament approves water tariffs");
}

// ---- search ----

async fn searchable_core(server: &TestServer) -> (tempfile::TempDir, Core) {
    server.route("/az.xml", Route::fixture("az.xml", RSS));
    server.route("/ru.xml", Route::fixture("ru-windows-1251.xml", RSS));
    server.route("/en.xml", Route::fixture("rss2.xml", RSS));
    let (dir, core) = temp_core(fast_options());
    add(&core, &[server.url("/az.xml"), server.url("/ru.xml"), server.url("/en.xml")]);
    assert_eq!(sync(&core).await.new_total(), 10);
    (dir, core)
}

fn titles(core: &Core, query: &str) -> Vec<String> {
    let mut titles: Vec<String> = core.search(query, 20).unwrap().into_iter().map(|h| h.article.title).collect();
    titles.sort();
    titles
}

#[tokio::test(flavor = "multi_thread")]
async fn search_russian_is_case_insensitive() {
    let server = TestServer::start().await;
    let (_dir, core) = searchable_core(&server).await;
    let forum = "Баку примет международный форум по энергетике";
    assert_eq!(titles(&core, "БАКУ"), [forum]);
    assert_eq!(titles(&core, "баку"), [forum]);
    assert_eq!(titles(&core, "Форум ЭНЕРГЕТИКЕ"), [forum], "every word must match");
    assert_eq!(titles(&core, "выстав"), ["В Тбилиси открылась выставка «Весна» — вход бесплатный"], "prefix as you type");
    assert_eq!(titles(&core, "столицу"), [forum], "the body is indexed");
    assert!(titles(&core, "Москва").is_empty());

    let hit = core.search("баку", 1).unwrap().remove(0);
    assert!(hit.snippet.contains(&format!("{}Баку{}", caliber_core::MARK_START, caliber_core::MARK_END)), "{:?}", hit.snippet);
}

/// Search as you type: a search no longer wanted when its turn comes is not run, and says so;
/// one still wanted answers as `search` does.
#[tokio::test(flavor = "multi_thread")]
async fn search_if_skips_a_search_typed_over() {
    let server = TestServer::start().await;
    let (_dir, core) = searchable_core(&server).await;
    let asked = std::cell::Cell::new(0);
    let typed_over = core.search_if("баку", 20, || {
        asked.set(asked.get() + 1);
        false
    });
    assert_eq!(typed_over.unwrap().map(|h| h.len()), None);
    assert_eq!(asked.get(), 1, "asked once the database was ours");
    let wanted: Vec<i64> = core.search_if("баку", 20, || true).unwrap().unwrap().into_iter().map(|h| h.article.id).collect();
    let plain: Vec<i64> = core.search("баку", 20).unwrap().into_iter().map(|h| h.article.id).collect();
    assert_eq!(wanted, plain);
    assert_eq!(wanted.len(), 1);
}

/// Regression: a word needing folding next to another word made an FTS5 syntax error
/// (`"yeni" ("Bakıda" OR "bakida")` has no implicit AND) and the search failed.
#[tokio::test(flavor = "multi_thread")]
async fn search_folded_word_next_to_other_words_finds_the_article() {
    let server = TestServer::start().await;
    let (_dir, core) = searchable_core(&server).await;
    assert_eq!(titles(&core, "yeni Bakıda"), ["Bakıda yeni metro stansiyası açıldı"]);
    assert_eq!(titles(&core, "metro bakida"), ["Bakıda yeni metro stansiyası açıldı"]);
}

/// The snippet shows where the words matched: the title when only the title has them,
/// the body otherwise.
#[tokio::test(flavor = "multi_thread")]
async fn search_snippet_comes_from_the_part_that_matched() {
    let server = TestServer::start().await;
    let (_dir, core) = searchable_core(&server).await;
    let (start, end) = (caliber_core::MARK_START, caliber_core::MARK_END);
    let title_only = core.search("festivalı", 5).unwrap();
    assert_eq!(title_only.len(), 1);
    assert!(title_only[0].snippet.contains(&format!("{start}festivalı{end}")), "{:?}", title_only[0].snippet);
    assert!(title_only[0].snippet.contains("ipək"), "the title's words around it: {:?}", title_only[0].snippet);
    let body = core.search("sərnişinə", 5).unwrap();
    assert_eq!(body.len(), 1);
    assert!(body[0].snippet.contains(&format!("{start}sərnişinə{end}")), "{:?}", body[0].snippet);
    assert!(body[0].snippet.contains("Xətai"), "{:?}", body[0].snippet);
}

/// The index keeps no copy of the articles' text (migration 0010: a third of what a cold
/// sync wrote); the snippets a reader sees are made from the articles themselves
/// (`store/snippet.rs`), on a read-only connection too, the same each time.
#[tokio::test(flavor = "multi_thread")]
async fn the_index_keeps_no_copy_of_the_text_and_snippets_still_show_the_words() {
    let server = TestServer::start().await;
    let (_dir, core) = searchable_core(&server).await;
    let store = Store::open_read_only(core.db_path()).unwrap();
    let tables: Vec<String> = store
        .connection()
        .prepare("SELECT name FROM sqlite_master WHERE name LIKE 'articles_fts%' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert!(tables.contains(&"articles_fts".to_string()), "{tables:?}");
    assert!(!tables.contains(&"articles_fts_content".to_string()), "the index keeps its own copy of the text: {tables:?}");
    let (start, end) = (caliber_core::MARK_START, caliber_core::MARK_END);
    for _ in 0..2 {
        let body = store.search("sərnişinə", 5).unwrap();
        assert_eq!(body.len(), 1);
        assert!(body[0].snippet.contains(&format!("{start}sərnişinə{end}")), "{:?}", body[0].snippet);
        assert!(body[0].snippet.contains("Xətai"), "{:?}", body[0].snippet);
        let other = store.search("festivalı", 5).unwrap();
        assert!(other[0].snippet.contains(&format!("{start}festivalı{end}")) && !other[0].snippet.contains("Xətai"), "{:?}", other[0].snippet);
    }
}

/// Russian text is written with "е" for "ё" as often as not; a search must not care.
#[tokio::test(flavor = "multi_thread")]
async fn search_russian_yo_and_ye_match_each_other() {
    let server = TestServer::start().await;
    let (_dir, core) = searchable_core(&server).await;
    let festival = "Ёлки и ёжики: в Ереване готовят зимний фестиваль";
    assert_eq!(titles(&core, "ёлки"), [festival]);
    assert_eq!(titles(&core, "елки"), [festival]);
}

#[tokio::test(flavor = "multi_thread")]
async fn search_english_is_case_insensitive_with_prefixes() {
    let server = TestServer::start().await;
    let (_dir, core) = searchable_core(&server).await;
    assert_eq!(titles(&core, "GENEVA"), ["BREAKING: Ceasefire talks resume in Geneva"]);
    assert_eq!(titles(&core, "pipeline"), ["Baku hosts regional energy forum"], "prefix of \"pipelines\"");
    assert_eq!(titles(&core, "Energy Forum"), ["Baku hosts regional energy forum"]);
    assert_eq!(titles(&core, "baku"), ["Baku hosts regional energy forum"]);
    assert!(titles(&core, "ceasefire budget").is_empty(), "all words must match");
}

#[tokio::test(flavor = "multi_thread")]
async fn search_azerbaijani_is_case_and_diacritic_insensitive() {
    let server = TestServer::start().await;
    let (_dir, core) = searchable_core(&server).await;
    let sheki = "Şəkidə ipək festivalı: gözəl çiçəklər və ağ şallar";
    let icheri = "İçərişəhərdə Gülüstan konserti keçiriləcək";
    assert_eq!(titles(&core, "Şəkidə"), [sheki]);
    assert_eq!(titles(&core, "ŞƏKİDƏ"), [sheki]);
    assert_eq!(titles(&core, "şəkidə"), [sheki]);
    assert_eq!(titles(&core, "çiçəklər"), [sheki]);
    assert_eq!(titles(&core, "ÇİÇƏKLƏR"), [sheki]);
    assert_eq!(titles(&core, "içərişəhər"), [icheri], "lower-case i finds capital İ, as a prefix");
    assert_eq!(titles(&core, "İÇƏRİŞƏHƏRDƏ"), [icheri]);
    // Typed without the Azerbaijani letters (ü → u, ç → c, ş → s, ğ → g, ö → o).
    assert_eq!(titles(&core, "gulustan"), [icheri]);
    assert_eq!(titles(&core, "GÜLÜSTAN"), [icheri]);
    assert_eq!(titles(&core, "ciçəklər"), [sheki]);
    assert_eq!(titles(&core, "gozəl"), [sheki]);
    assert_eq!(titles(&core, "ag sallar"), [sheki]);
    assert_eq!(titles(&core, "muğam"), [icheri], "the body is indexed");
}

/// Azerbaijani has dotted İ/i and dotless I/ı. Upper-case text ("BAKIDA", as in breaking
/// headlines) and a reader's lower-case query ("bakıda") must find each other, and so
/// must text typed without the Azerbaijani letters ("baki").
#[tokio::test(flavor = "multi_thread")]
async fn search_azerbaijani_dotless_i_matches_capital_i() {
    let server = TestServer::start().await;
    let (_dir, core) = searchable_core(&server).await;
    let metro = "Bakıda yeni metro stansiyası açıldı";
    let wind = "SON DƏQİQƏ: BAKIDA GÜCLÜ KÜLƏK ƏSİR";
    assert_eq!(titles(&core, "bakıda"), [metro, wind]);
    assert_eq!(titles(&core, "BAKIDA"), [metro, wind]);
    assert_eq!(titles(&core, "bakida"), [metro, wind]);
}

#[tokio::test(flavor = "multi_thread")]
async fn search_with_quotes_and_operators_never_errors() {
    let server = TestServer::start().await;
    let (_dir, core) = searchable_core(&server).await;
    for query in [
        "\"Baku AND (", "-*", "*", "\"", "\"\"", "'", "(", ")", "AND", "OR", "NOT", "NEAR(", "NEAR(baku forum, 2)",
        "title:baku", "baku*", "^baku", "{title summary}: baku", "baku -forum", "+baku", "col:", ":", "\\", "%", "_",
        "'; DROP TABLE articles; --", "Баку\" OR \"", "ə*ə", "🔥 Baku", "\u{0}", "   ", "", &"baku ".repeat(500),
    ] {
        let result = core.search(query, 10);
        assert!(result.is_ok(), "search {query:?} failed: {:?}", result.err());
    }
    assert_eq!(titles(&core, "\"Baku"), ["Baku hosts regional energy forum"]);
    assert_eq!(titles(&core, "baku*"), ["Baku hosts regional energy forum"]);
    assert_eq!(titles(&core, "(Geneva)"), ["BREAKING: Ceasefire talks resume in Geneva"]);
    assert_eq!(core.articles(&ArticleQuery::default()).unwrap().len(), 10, "nothing dropped");
}

/// Regression: a word of characters the index's tokenizer ignores (Ⓐ is alphanumeric to
/// Rust, a symbol to unicode61) made an empty phrase, and the search failed with
/// "caliber_bm25: one document frequency per phrase expected".
#[tokio::test(flavor = "multi_thread")]
async fn search_ignores_words_the_index_has_no_token_for() {
    let server = TestServer::start().await;
    let (_dir, core) = searchable_core(&server).await;
    let baku = ["Baku hosts regional energy forum"];
    assert_eq!(titles(&core, "baku Ⓐ"), baku);
    assert_eq!(titles(&core, "Ⓐ baku ⓩ🄰"), baku);
    assert_eq!(titles(&core, "energy Ⓐ forum"), baku);
    assert_eq!(titles(&core, "Ⓐ"), Vec::<String>::new());
    assert_eq!(titles(&core, "ⒶⒷ regio"), baku, "the last word typed is still a prefix");
}

/// A word Rust keeps whole and the index's tokenizer cuts in two ("bakuⒶforum") was a
/// phrase of two tokens, which an index without positions (migration 0012) refuses: the
/// search failed. Each piece is now a word of its own.
#[tokio::test(flavor = "multi_thread")]
async fn search_takes_a_word_the_index_cuts_in_pieces_as_its_pieces() {
    let server = TestServer::start().await;
    let (_dir, core) = searchable_core(&server).await;
    let baku = ["Baku hosts regional energy forum"];
    assert_eq!(titles(&core, "bakuⒶhosts"), baku);
    assert_eq!(titles(&core, "bakuⒶforum energy"), baku, "pieces need not be side by side");
    assert_eq!(titles(&core, "hostsⒶregio"), baku, "the last piece typed is a prefix");
    assert_eq!(titles(&core, "bakuⒶgeneva"), Vec::<String>::new(), "every piece must match");
}

// ---- retention ----

fn dated_feed(ids: std::ops::RangeInclusive<u32>) -> String {
    let items: Vec<(String, String, String)> = ids
        .map(|i| {
            let date = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2025, 6, i, 8, 0, 0).unwrap().to_rfc2822();
            (format!("r-{i}"), format!("Retention story {i}"), date)
        })
        .collect();
    let refs: Vec<(&str, &str, &str, &str)> =
        items.iter().map(|(g, t, d)| (g.as_str(), t.as_str(), "<p>Body.</p>", d.as_str())).collect();
    rss("Retention", &refs)
}

fn guids(core: &Core, url: &str) -> Vec<String> {
    articles_of(core, url).into_iter().map(|a| a.guid).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn retention_keeps_the_newest_per_source_and_never_deletes_saved() {
    let server = TestServer::start().await;
    server.route("/ret.xml", Route::body(dated_feed(1..=5), RSS));
    let dir = tempfile::tempdir().unwrap();
    let retention = Retention { max_per_source: Some(3), max_age: None };
    let core = open_core_with(dir.path(), fast_options(), retention);
    let url = server.url("/ret.xml");
    add(&core, std::slice::from_ref(&url));

    sync(&core).await;
    assert_eq!(guids(&core, &url), ["r-5", "r-4", "r-3"], "the 3 newest of 5");

    // Save the oldest kept one; the feed moves on by two newer items.
    let saved = article_by_guid(&articles_of(&core, &url), "r-3");
    core.mark(saved.id, None, Some(true)).unwrap();
    server.route("/ret.xml", Route::body(dated_feed(3..=7), RSS));
    sync(&core).await;
    assert_eq!(guids(&core, &url), ["r-7", "r-6", "r-5", "r-3"], "3 newest plus the saved one");
    assert!(core.article(saved.id).unwrap().saved);

    // The feed shrinks to one item; an explicit retention pass keeps the saved one too.
    server.route("/ret.xml", Route::body(dated_feed(7..=7), RSS));
    sync(&core).await;
    core.apply_retention().unwrap();
    assert_eq!(guids(&core, &url), ["r-7", "r-6", "r-5", "r-3"]);

    // Unsaved, it is the oldest beyond the limit and goes.
    core.mark(saved.id, None, Some(false)).unwrap();
    core.apply_retention().unwrap();
    assert_eq!(guids(&core, &url), ["r-7", "r-6", "r-5"]);
}

/// Items retention dropped while they are still in the feed are not news: a sync of the
/// unchanged feed reports nothing new and names no article that does not exist.
#[tokio::test(flavor = "multi_thread")]
async fn retention_pruned_items_are_not_reported_as_new_again() {
    let server = TestServer::start().await;
    server.route("/ret.xml", Route::body(dated_feed(1..=5), RSS));
    let dir = tempfile::tempdir().unwrap();
    let core = open_core_with(dir.path(), fast_options(), Retention { max_per_source: Some(3), max_age: None });
    let url = server.url("/ret.xml");
    add(&core, std::slice::from_ref(&url));
    sync(&core).await;
    assert_eq!(guids(&core, &url), ["r-5", "r-4", "r-3"]);

    let report = sync(&core).await;
    let r = report_for(&report, &url);
    assert_eq!((r.status, r.new, r.updated), (SyncStatus::Ok, 0, 0), "{r:?}");
    for id in &r.changed_article_ids {
        assert!(core.article(*id).is_ok(), "report names article {id}, which retention deleted");
    }
    assert_eq!(guids(&core, &url), ["r-5", "r-4", "r-3"]);
}

// ---- concurrency ----

#[tokio::test(flavor = "multi_thread")]
async fn reads_and_marks_during_a_sync_never_see_database_locked() {
    let server = TestServer::start().await;
    server.route("/seed.xml", Route::fixture("rss2.xml", RSS));
    let dir = tempfile::tempdir().unwrap();
    let core = open_core(dir.path(), fast_options());
    add(&core, &[server.url("/seed.xml")]);
    sync(&core).await;

    // A larger sync: several sources of a few hundred items each.
    let sources = 6;
    let per_source = 250;
    let body = "<p>".to_owned() + &"Lorem ipsum dolor sit amet, consectetur adipiscing elit. ".repeat(12) + "</p>";
    for s in 0..sources {
        let items: Vec<(String, String, String)> = (0..per_source)
            .map(|i| (format!("big{s}-{i}"), format!("Big story {s}/{i}"), format!("Mon, 09 Jun 2025 {:02}:{:02}:00 GMT", i / 60, i % 60)))
            .collect();
        let refs: Vec<(&str, &str, &str, &str)> = items.iter().map(|(g, t, d)| (g.as_str(), t.as_str(), body.as_str(), d.as_str())).collect();
        server.route(&format!("/big{s}.xml"), Route::body(rss(&format!("Big {s}"), &refs), RSS));
    }
    let urls: Vec<String> = (0..sources).map(|s| server.url(&format!("/big{s}.xml"))).collect();
    add(&core, &urls);

    let seed_id = core.articles(&ArticleQuery::default()).unwrap()[0].id;
    let db_path = core.db_path().to_owned();
    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let (done, db_path, dir) = (done.clone(), db_path.clone(), dir.path().to_owned());
        tokio::task::spawn_blocking(move || {
            let other = open_core(&dir, fast_options());
            let read_only = Store::open_read_only(&db_path).unwrap();
            let (mut rounds, mut errors, mut max_seen) = (0u32, Vec::new(), 0usize);
            while !done.load(Ordering::SeqCst) || rounds < 3 {
                let listed = other.articles(&ArticleQuery { limit: Some(100), ..Default::default() });
                match &listed {
                    Ok(list) => max_seen = max_seen.max(list.len()),
                    Err(e) => errors.push(format!("articles: {e}")),
                }
                if let Err(e) = read_only.articles(&ArticleQuery { limit: Some(20), unread_only: true, ..Default::default() }) {
                    errors.push(format!("read-only articles: {e}"));
                }
                if let Err(e) = other.search("story", 10) {
                    errors.push(format!("search: {e}"));
                }
                if let Err(e) = other.mark(seed_id, Some(rounds % 2 == 0), None) {
                    errors.push(format!("mark: {e}"));
                }
                if let Err(e) = other.sources() {
                    errors.push(format!("sources: {e}"));
                }
                rounds += 1;
            }
            (rounds, errors, max_seen)
        })
    };
    let report = sync(&core).await;
    done.store(true, Ordering::SeqCst);
    let (rounds, errors, max_seen) = reader.await.unwrap();

    assert!(errors.is_empty(), "{} errors in {rounds} rounds, e.g. {:?}", errors.len(), &errors[..errors.len().min(3)]);
    assert!(rounds >= 3 && max_seen > 0);
    for url in &urls {
        let r = report_for(&report, url);
        assert_eq!((r.status, r.new, r.error.as_deref()), (SyncStatus::Ok, per_source, None), "{r:?}");
    }
    assert_eq!(core.articles(&ArticleQuery::default()).unwrap().len(), 3 + sources * per_source as usize);
}

// ---- schema ----

#[test]
fn fresh_database_reports_the_current_schema_version() {
    let dir = tempfile::tempdir().unwrap();
    let core = open_core(dir.path(), fast_options());
    assert_eq!(core.sources().unwrap(), []);
    let store = Store::open_read_only(core.db_path()).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    let mode: String = store.connection().pragma_query_value(None, "journal_mode", |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal", "readers can read while a sync writes");
}

#[tokio::test(flavor = "multi_thread")]
async fn reopening_an_existing_database_keeps_its_data() {
    let server = TestServer::start().await;
    server.route("/keep.xml", Route::fixture("az.xml", RSS).with_etag("\"keep-1\""));
    let dir = tempfile::tempdir().unwrap();
    let url = server.url("/keep.xml");
    let (articles, sources) = {
        let core = open_core(dir.path(), fast_options());
        add(&core, std::slice::from_ref(&url));
        sync(&core).await;
        let first = articles_of(&core, &url)[0].id;
        core.mark(first, Some(true), Some(true)).unwrap();
        (articles_of(&core, &url), core.sources().unwrap())
    };
    assert_eq!(articles.len(), 4);

    let core = open_core(dir.path(), fast_options());
    assert_eq!(articles_of(&core, &url), articles);
    assert_eq!(core.sources().unwrap(), sources);
    assert!(articles[0].read && articles[0].saved);
    assert_eq!(titles(&core, "metro"), ["Bakıda yeni metro stansiyası açıldı"]);
    assert_eq!(Store::open_read_only(core.db_path()).unwrap().schema_version().unwrap(), SCHEMA_VERSION);
    // Its validators survived too: the next sync is conditional.
    let r = sync(&core).await.sources.remove(0);
    assert_eq!(r.status, SyncStatus::NotModified);
}

/// A database written by the first release (schema 1) is migrated in place.
#[test]
fn schema_1_database_is_migrated_keeping_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("caliber.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(include_str!("../src/store/migrations/0001_init.sql")).unwrap();
        conn.execute_batch(
            "PRAGMA user_version = 1;
             INSERT INTO sources (id, url, kind, title, created_at, last_status) VALUES
                 (1, 'https://old.example/rss.xml', 'feed', 'Old Feed', 1717000000, 'ok');
             INSERT INTO articles (id, source_id, guid, url, title, summary, content_html, categories, published_at,
                 content_hash, first_seen_at) VALUES
                 (7, 1, 'old-1', 'https://old.example/a', 'Caspian ferry schedule changes', 'Ferries now sail daily.',
                  '<p>Ferries now sail daily.</p>', '[\"Transport\"]', 1717000000, x'00112233445566778899aabbccddeeff', 1717000000);
             INSERT INTO articles_fts (rowid, title, summary, body) VALUES
                 (7, 'Caspian ferry schedule changes', 'Ferries now sail daily.', 'Ferries now sail daily.');
             INSERT INTO article_state (article_id, read, saved) VALUES (7, 1, 1);",
        )
        .unwrap();
    }

    let core = open_core(dir.path(), fast_options());
    assert_eq!(Store::open_read_only(&path).unwrap().schema_version().unwrap(), SCHEMA_VERSION);
    let article = core.article(7).unwrap();
    assert_eq!(article.title, "Caspian ferry schedule changes");
    assert_eq!(article.categories, ["Transport"]);
    assert_eq!(article.source_url, "https://old.example/rss.xml");
    assert!(article.read && article.saved);
    assert_eq!(titles(&core, "ferry"), ["Caspian ferry schedule changes"]);
    assert_eq!(core.sources().unwrap()[0].title.as_deref(), Some("Old Feed"));
}

/// A database written by the previous release (schema 4, index rows written with the
/// articles) keeps every article searchable and has nothing waiting to be indexed.
#[tokio::test(flavor = "multi_thread")]
async fn schema_4_database_is_migrated_and_stays_searchable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("caliber.db");
    {
        let conn = database_at_schema(&path, 4);
        conn.execute_batch(
            "INSERT INTO sources (id, url, kind, title, created_at, last_status) VALUES
                 (1, 'https://old.example/rss.xml', 'feed', 'Old Feed', 1717000000, 'ok');
             INSERT INTO articles (id, source_id, guid, url, title, summary, content_html, categories, published_at,
                 content_hash, first_seen_at) VALUES
                 (7, 1, 'old-1', 'https://old.example/a', 'Caspian ferry schedule changes', 'Ferries now sail daily.',
                  '<p>Ferries now sail daily.</p>', '[]', 1717000000, x'00112233445566778899aabbccddeeff', 1717000000);
             INSERT INTO articles_fts (rowid, title, summary, body, folded) VALUES
                 (7, 'Caspian ferry schedule changes', 'Ferries now sail daily.', 'Ferries now sail daily.', '');",
        )
        .unwrap();
    }

    let core = open_core(dir.path(), fast_options());
    let store = Store::open_read_only(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(store.unindexed_count().unwrap(), 0);
    assert_eq!(titles(&core, "ferry"), ["Caspian ferry schedule changes"]);

    // And the migrated database syncs: new articles are listed and then found.
    let server = TestServer::start().await;
    server.route("/az.xml", Route::fixture("az.xml", RSS));
    add(&core, &[server.url("/az.xml")]);
    assert_eq!(sync(&core).await.new_total(), 4);
    assert_eq!(titles(&core, "metro"), ["Bakıda yeni metro stansiyası açıldı"]);
    assert_eq!(titles(&core, "ferry"), ["Caspian ferry schedule changes"]);
}

fn prepared(guid: &str, title: &str, body: &str) -> caliber_core::testing::PreparedArticle {
    prepared_article(&format!("https://queue.example/{guid}"), guid, title, body)
}

/// Articles are listed as soon as their source's transaction commits; the index follows.
/// A sync that dies in between leaves them queued, and the next sync indexes them.
#[tokio::test(flavor = "multi_thread")]
async fn articles_are_listed_before_indexing_and_an_interrupted_index_is_finished_by_the_next_sync() {
    let server = TestServer::start().await;
    server.route("/q.xml", Route::fixture("rss2.xml", RSS));
    let dir = tempfile::tempdir().unwrap();
    let url = server.url("/q.xml");
    let core = open_core(dir.path(), fast_options());
    add(&core, std::slice::from_ref(&url));
    let source_id = core.sources().unwrap()[0].id;

    // What the sync writer does before it is killed: the articles' transaction only.
    let mut store = Store::open(core.db_path()).unwrap();
    let written = store
        .write_source(
            source_id,
            &Default::default(),
            &[prepared("q-1", "Caspian caviar quotas", "<p>Sturgeon stocks recover.</p>")],
            Retention::default(),
            chrono::Utc::now(),
        )
        .unwrap();
    drop(store);
    assert_eq!(written.new, 1);
    assert_eq!(articles_of(&core, &url).len(), 1, "listable right away");
    assert!(titles(&core, "sturgeon").is_empty(), "not yet indexed");
    assert_eq!(Store::open_read_only(core.db_path()).unwrap().unindexed_count().unwrap(), 1);

    // The next sync (which stores the feed's own items too) finishes the job.
    sync(&core).await;
    assert_eq!(titles(&core, "sturgeon"), ["Caspian caviar quotas"]);
    assert_eq!(Store::open_read_only(core.db_path()).unwrap().unindexed_count().unwrap(), 0);
    // Even when the feed brings nothing new.
    let mut store = Store::open(core.db_path()).unwrap();
    store
        .write_source(source_id, &Default::default(), &[prepared("q-22", "Tbilisi tram line", "<p>Trams return.</p>")], Retention::default(), chrono::Utc::now())
        .unwrap();
    drop(store);
    let r = sync(&core).await.sources.remove(0);
    assert_eq!((r.new, r.updated), (0, 0), "{r:?}");
    assert_eq!(titles(&core, "trams"), ["Tbilisi tram line"]);
}

/// Indexing that fails (here: a trigger standing in for a full disk) is reported, keeps
/// the stored articles listable, and leaves them queued for the next sync.
#[tokio::test(flavor = "multi_thread")]
async fn a_failed_index_step_is_reported_and_loses_nothing() {
    let server = TestServer::start().await;
    server.route("/idx.xml", Route::fixture("rss2.xml", RSS));
    let (_dir, core) = temp_core(fast_options());
    let url = server.url("/idx.xml");
    add(&core, std::slice::from_ref(&url));
    let store = Store::open(core.db_path()).unwrap();
    store
        .connection()
        .execute_batch(
            "CREATE TRIGGER index_fails BEFORE DELETE ON index_queue BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;",
        )
        .unwrap();

    let report = sync(&core).await;
    let stored = report_for(&report, &url).new;
    assert!(stored > 0, "{report:?}");
    let error = report.index_error.as_deref().expect("the index error is reported");
    assert!(error.contains("search index") && error.contains("disk is full"), "{error}");
    assert_eq!(articles_of(&core, &url).len() as u32, stored, "listable all the same");
    assert_eq!(store.unindexed_count().unwrap(), i64::from(stored));

    store.connection().execute_batch("DROP TRIGGER index_fails").unwrap();
    let report = sync(&core).await;
    assert_eq!(report.index_error, None);
    assert_eq!(store.unindexed_count().unwrap(), 0);
    let first = &articles_of(&core, &url)[0];
    let word = first.title.split_whitespace().max_by_key(|w| w.len()).unwrap().to_owned();
    assert!(core.search(&word, 20).unwrap().iter().any(|h| h.article.id == first.id), "{word:?} finds {:?}", first.title);
}

/// An update waiting for the index must not be found by its old words.
#[test]
fn queued_update_is_not_found_by_its_old_text() {
    let dir = tempfile::tempdir().unwrap();
    let core = open_core(dir.path(), fast_options());
    core.add_sources(&["https://queue.example/feed.xml".into()], Some(caliber_core::SourceKind::Feed)).unwrap();
    let source_id = core.sources().unwrap()[0].id;
    let mut store = Store::open(core.db_path()).unwrap();
    let write = |store: &mut Store, article| {
        store.write_source(source_id, &Default::default(), &[article], Retention::default(), chrono::Utc::now()).unwrap()
    };
    write(&mut store, prepared("u", "Old headline", "<p>Glaciers retreat.</p>"));
    store.index_pending().unwrap();
    assert_eq!(titles(&core, "glaciers"), ["Old headline"]);

    let mut changed = prepared("u", "New headline", "<p>Orchards bloom.</p>");
    changed.hash = [9; 16];
    assert_eq!(write(&mut store, changed).updated, 1);
    assert!(titles(&core, "glaciers").is_empty(), "old text gone at once");
    assert!(titles(&core, "orchards").is_empty(), "new text not indexed yet");
    assert_eq!(store.index_pending().unwrap(), 1);
    assert_eq!(titles(&core, "orchards"), ["New headline"]);
    assert!(titles(&core, "glaciers").is_empty());
}

/// A migration that fails names itself and says what SQLite said, without the SQL file.
#[test]
fn failed_migration_names_the_migration_not_its_sql() {
    let dir = tempfile::tempdir().unwrap();
    drop(open_core(dir.path(), fast_options()));
    let path = dir.path().join("caliber.db");
    // 0005 again over its own tables: "table index_queue already exists".
    rusqlite::Connection::open(&path).unwrap().pragma_update(None, "user_version", 4).unwrap();

    let http = caliber_core::HttpClient::new(FetchOptions::default());
    let message = match Core::open(caliber_core::CoreConfig::at(path, http)) {
        Err(e @ Error::Migration { .. }) => e.to_string(),
        Err(other) => panic!("expected a migration error, got {other}"),
        Ok(_) => panic!("the migration did not fail"),
    };
    assert!(message.contains("0005") && message.contains("index_queue already exists"), "{message}");
    assert!(!message.contains("CREATE") && !message.contains("--") && message.len() < 200, "{message}");
}

#[test]
fn database_from_a_newer_version_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    drop(open_core(dir.path(), fast_options()));
    let path = dir.path().join("caliber.db");
    let newer = SCHEMA_VERSION + 1;
    rusqlite::Connection::open(&path).unwrap().pragma_update(None, "user_version", newer).unwrap();

    let http = caliber_core::HttpClient::new(FetchOptions::default());
    match Core::open(caliber_core::CoreConfig::at(path.clone(), http)) {
        Err(Error::SchemaTooNew { found, known }) => assert_eq!((found, known), (newer, SCHEMA_VERSION)),
        Err(other) => panic!("expected SchemaTooNew, got {other}"),
        Ok(_) => panic!("a newer database was opened"),
    }
    let version: u32 = rusqlite::Connection::open(&path).unwrap().pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
    assert_eq!(version, newer);
}
