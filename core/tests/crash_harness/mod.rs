//! Crash safety (docs/reliability/crash.md): a sync killed with SIGKILL at random moments,
//! again and again against the same database, never loses a reader's mark, never leaves a
//! half-written article or a stale index row, and the next sync finishes what was queued.
//! Also: a database on a full filesystem gives a clear "disk full" error, stays intact,
//! and syncs again once space is freed.
//!
//! The corpus is the benchmark's (`benches/corpus/gen.rs`: RSS and Atom, 4–8 KiB bodies,
//! hostile markup, 1–3 pictures each), served from 127.0.0.1 by the harness itself, and
//! changed before every sync: new items at the top of each feed, some items revised.
//! Every sync is the real `caliber` binary (or the real app) as a child process, pictures on.
//!
//! The harness shared by `tests/crash.rs` (the fast runs, part of `cargo test`) and
//! `tests/crash_long.rs` (the long ones, `test = false`, driven by `tests/proof/crash.sh`). Knobs (environment):
//!
//! | variable | default | |
//! |---|---|---|
//! | `CALIBER_CRASH_KILLS` | 100 (`cli_kills_full`), 20 (`app_kills`) | kills in the loop |
//! | `CALIBER_CRASH_FEEDS` | 50 (CLI), 20 (app) | feeds of the benchmark corpus served |
//! | `CALIBER_CRASH_WINDOW` | 40 (CLI), 60 (app) | items each feed lists |
//! | `CALIBER_CRASH_NEW` | 3 | new items per feed before each sync |
//! | `CALIBER_CRASH_SEED` | time | the kill-delay RNG's seed (printed) |
//! | `CALIBER_CLI_BINARY` | cargo's `caliber` | the CLI under test |
//! | `CALIBER_APP_BINARY` | `target/debug/caliber-app` | the app under test |
//! | `CALIBER_CRASH_REPORT` | none | append the figures (markdown) to this file |

#![allow(dead_code)]

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path as UrlPath, State};
use axum::http::{StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use rusqlite::{Connection, OptionalExtension};

include!("../../benches/corpus/gen.rs");

/// The benchmark corpus's number of feeds, for the test files.
pub(crate) const BENCH_FEEDS: usize = FEEDS;

// ---------------------------------------------------------------------------------------
// The changing corpus and its server
// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug)]
pub(crate) struct Shape {
    pub(crate) feeds: usize,
    /// Items each feed lists (newest first).
    pub(crate) window: usize,
    /// Items added at the top of every feed per generation.
    pub(crate) new_per_gen: usize,
    /// An item is revised every `revise_every` generations (about window/revise_every
    /// revisions per feed per generation).
    pub(crate) revise_every: usize,
}

/// One feed's document at generation `generation`: items `top - window + 1 ..= top`, where
/// `top` grows by `new_per_gen` each generation. Bodies come from the benchmark generator,
/// seeded per item, so an unrevised item is byte-identical from one generation to the next.
fn feed_document(vocab: &Vocab, origin: &str, shape: Shape, feed: usize, generation: usize) -> (String, &'static str, Bytes) {
    let lang = vocab.for_feed(feed);
    let top = shape.window + generation * shape.new_per_gen;
    let items: Vec<GenItem> = (0..shape.window)
        .map(|j| {
            let serial = top - j;
            let mut generator = ItemGen {
                lang,
                rng: Rng::new(SEED ^ ((feed as u64 + 1) << 32) ^ serial as u64),
                feed,
                origin,
                hostile_markup: true,
                counts: HostileCounts::default(),
            };
            let mut item = generator.item(j);
            item.guid = format!("crash{feed}-{serial}");
            item.link = format!("https://news{feed}.example.com/crash/{serial}.html");
            item.published = BASE_TIME + serial as i64 * 600 - feed as i64 * 7;
            let revision = (generation + serial) / shape.revise_every.max(1);
            if revision > 0 {
                item.title = format!("{} (rev {revision})", item.title);
                let _ = write!(item.html, "<p>Revision {revision} of item {serial}: {}.</p>", lang.word(&mut generator.rng));
            }
            item
        })
        .collect();
    if feed.is_multiple_of(2) {
        (format!("{feed}.rss"), "application/rss+xml; charset=utf-8", Bytes::from(rss_document(feed, lang, &items)))
    } else {
        (format!("{feed}.atom"), "application/atom+xml; charset=utf-8", Bytes::from(atom_document(feed, lang, &items)))
    }
}

pub(crate) struct Served {
    pub(crate) feeds: RwLock<HashMap<String, (&'static str, Bytes)>>,
    pub(crate) picture: Bytes,
    pub(crate) pictures: AtomicUsize,
}

/// The corpus server: feeds under `/feeds/NAME`, any `.jpg`/`.png`/`.webp` path a picture
/// (8–40 KiB, its size derived from the path, as in the benchmark). No validators: every
/// sync reads every document, as from a server that never says "unchanged".
pub(crate) struct CorpusServer {
    pub(crate) origin: String,
    vocab: Arc<Vocab>,
    pub(crate) shape: Shape,
    pub(crate) served: Arc<Served>,
    pub(crate) generation: usize,
}

impl CorpusServer {
    pub(crate) fn start(shape: Shape) -> CorpusServer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let origin = format!("http://{}", listener.local_addr().unwrap());
        let served = Arc::new(Served { feeds: RwLock::new(HashMap::new()), picture: Bytes::from(picture_bytes()), pictures: AtomicUsize::new(0) });
        listener.set_nonblocking(true).unwrap();
        let app = Router::new().route("/feeds/{name}", get(serve_feed)).fallback(serve_picture).with_state(served.clone());
        std::thread::Builder::new()
            .name("crash-http".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
                runtime.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                    axum::serve(listener, app).await.unwrap();
                });
            })
            .unwrap();
        let mut server = CorpusServer { origin, vocab: Arc::new(Vocab::new()), shape, served, generation: 0 };
        server.set_generation(0);
        server
    }

    pub(crate) fn urls(&self) -> Vec<String> {
        (0..self.shape.feeds).map(|f| format!("{}/feeds/{f}.{}", self.origin, if f.is_multiple_of(2) { "rss" } else { "atom" })).collect()
    }

    /// Serve generation `generation` of every feed (generated on two threads).
    pub(crate) fn set_generation(&mut self, generation: usize) {
        let (vocab, origin, shape) = (&*self.vocab, self.origin.as_str(), self.shape);
        let docs: Vec<(String, &'static str, Bytes)> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..2)
                .map(|t| {
                    s.spawn(move || {
                        (0..shape.feeds).filter(|f| f % 2 == t).map(|f| feed_document(vocab, origin, shape, f, generation)).collect::<Vec<_>>()
                    })
                })
                .collect();
            handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
        });
        *self.served.feeds.write().unwrap() = docs.into_iter().map(|(name, ct, body)| (name, (ct, body))).collect();
        self.generation = generation;
    }

    pub(crate) fn next_generation(&mut self) {
        self.set_generation(self.generation + 1);
    }
}

pub(crate) async fn serve_feed(State(served): State<Arc<Served>>, UrlPath(name): UrlPath<String>) -> Response {
    let doc = served.feeds.read().unwrap().get(&name).cloned();
    match doc {
        Some((content_type, body)) => {
            Response::builder().status(StatusCode::OK).header(header::CONTENT_TYPE, content_type).body(Body::from(body)).unwrap()
        }
        None => Response::builder().status(StatusCode::NOT_FOUND).body(Body::empty()).unwrap(),
    }
}

pub(crate) async fn serve_picture(State(served): State<Arc<Served>>, uri: axum::http::Uri) -> Response {
    let Some((content_type, size)) = picture_for_path(uri.path()) else {
        return Response::builder().status(StatusCode::NOT_FOUND).body(Body::empty()).unwrap();
    };
    served.pictures.fetch_add(1, Ordering::Relaxed);
    Response::builder().status(StatusCode::OK).header(header::CONTENT_TYPE, content_type).body(Body::from(served.picture.slice(..size))).unwrap()
}

// ---------------------------------------------------------------------------------------
// The CLI and the checks
// ---------------------------------------------------------------------------------------

pub(crate) fn cli_binary() -> PathBuf {
    std::env::var_os("CALIBER_CLI_BINARY").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_caliber")))
}

pub(crate) fn caliber(db: &Path, args: &[&str]) -> std::process::Output {
    Command::new(cli_binary()).arg("--db").arg(db).args(args).env_remove("CALIBER_DATA_DIR").output().expect("run caliber")
}

pub(crate) fn caliber_ok(db: &Path, args: &[&str]) -> String {
    let out = caliber(db, args);
    assert!(out.status.success(), "caliber {args:?} failed: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub(crate) fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The reader's marks set before the run: every one must survive every kill.
#[derive(Debug, Default, Clone)]
pub(crate) struct Marks {
    pub(crate) read: Vec<i64>,
    pub(crate) saved: Vec<i64>,
}

/// Mark a spread of articles read, saved, or both (through the CLI).
pub(crate) fn set_marks(db: &Path, count: usize) -> Marks {
    let conn = Connection::open(db).unwrap();
    let ids: Vec<i64> = conn.prepare("SELECT id FROM articles ORDER BY id").unwrap().query_map([], |r| r.get(0)).unwrap().map(|r| r.unwrap()).collect();
    drop(conn);
    assert!(ids.len() >= count, "{} articles to mark, need {count}", ids.len());
    let step = ids.len() / count;
    let mut marks = Marks::default();
    for (k, &id) in ids.iter().step_by(step).take(count).enumerate() {
        let id_text = id.to_string();
        match k % 3 {
            0 => {
                caliber_ok(db, &["mark", &id_text, "--read"]);
                marks.read.push(id);
            }
            1 => {
                caliber_ok(db, &["mark", &id_text, "--save"]);
                marks.saved.push(id);
            }
            _ => {
                caliber_ok(db, &["mark", &id_text, "--read", "--save"]);
                marks.read.push(id);
                marks.saved.push(id);
            }
        }
    }
    marks
}

/// What the database looked like after a kill.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct DbState {
    pub(crate) articles: i64,
    pub(crate) queued: i64,
    pub(crate) images: i64,
    /// Bytes in the WAL when the process died (before anything reopened the database).
    pub(crate) wal_bytes: u64,
}

/// Whether article `id`'s index row has every word of `title` in its title column. Word by
/// word: the index keeps no positions (migration 0012), so it answers no phrase.
fn found_by_title(conn: &Connection, id: i64, title: &str) -> bool {
    let words: Vec<String> =
        title.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(|w| format!("title:\"{w}\"")).collect();
    if words.is_empty() {
        return true;
    }
    conn.query_row("SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?1 AND rowid = ?2", rusqlite::params![words.join(" AND "), id], |r| {
        r.get::<_, i64>(0)
    })
    .optional()
    .ok()
    .flatten()
    .is_some()
}

/// Every invariant the issue names; `Err` lists each one broken.
pub(crate) fn check_db(db: &Path, marks: &Marks) -> Result<DbState, Vec<String>> {
    let wal_bytes = std::fs::metadata(db.with_extension("db-wal")).map(|m| m.len()).unwrap_or(0);
    let conn = Connection::open(db).map_err(|e| vec![format!("open: {e}")])?;
    let mut failures = Vec::new();
    let one = |sql: &str| -> Result<i64, String> { conn.query_row(sql, [], |r| r.get(0)).map_err(|e| format!("{sql}: {e}")) };
    let mut expect_zero = |what: &str, sql: &str| match one(sql) {
        Ok(0) => {}
        Ok(n) => failures.push(format!("{what}: {n}")),
        Err(e) => failures.push(e),
    };
    expect_zero("articles without a title", "SELECT count(*) FROM articles WHERE title IS NULL OR title = ''");
    // A body is sanitised after its article is listed (store/pending.rs): until then it waits.
    expect_zero(
        "articles without a body, none waiting",
        "SELECT count(*) FROM articles WHERE (content_html IS NULL OR content_html = '') AND id NOT IN (SELECT article_id FROM pending_bodies)",
    );
    expect_zero("waiting bodies without an article", "SELECT count(*) FROM pending_bodies WHERE article_id NOT IN (SELECT id FROM articles)");
    expect_zero(
        "new articles indexed or queued before their body is sanitised",
        "SELECT count(*) FROM pending_bodies p JOIN articles a ON a.id = p.article_id WHERE a.content_html IS NULL
           AND (p.article_id IN (SELECT article_id FROM index_queue) OR p.article_id IN (SELECT rowid FROM articles_fts))",
    );
    expect_zero("articles without a summary", "SELECT count(*) FROM articles WHERE summary IS NULL OR summary = ''");
    expect_zero("index rows without an article", "SELECT count(*) FROM articles_fts WHERE rowid NOT IN (SELECT id FROM articles)");
    expect_zero("queue rows without an article", "SELECT count(*) FROM index_queue WHERE article_id NOT IN (SELECT id FROM articles)");
    expect_zero(
        "articles neither indexed nor queued",
        "SELECT count(*) FROM articles WHERE id NOT IN (SELECT rowid FROM articles_fts) AND id NOT IN (SELECT article_id FROM index_queue)
           AND id NOT IN (SELECT article_id FROM pending_bodies)",
    );
    expect_zero("articles both indexed and queued", "SELECT count(*) FROM index_queue WHERE article_id IN (SELECT rowid FROM articles_fts)");
    expect_zero("picture links without an article", "SELECT count(*) FROM article_images WHERE article_id NOT IN (SELECT id FROM articles)");
    expect_zero("half-written pictures", "SELECT count(*) FROM images WHERE size != length(bytes) OR size = 0 OR content_type = ''");
    expect_zero("marks without an article", "SELECT count(*) FROM article_state WHERE article_id NOT IN (SELECT id FROM articles)");
    // The index keeps no text (migration 0010): its row must match the article's title.
    match conn.prepare("SELECT a.id, a.title FROM articles a WHERE a.id IN (SELECT rowid FROM articles_fts)").and_then(|mut stmt| {
        stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))).and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
    }) {
        Ok(indexed) => {
            let other_titles = indexed.iter().filter(|(id, title)| !found_by_title(&conn, *id, title)).count();
            if other_titles != 0 {
                failures.push(format!("index rows with another title than their article: {other_titles}"));
            }
        }
        Err(e) => failures.push(format!("indexed titles: {e}")),
    }
    // A waiting body in a file beside the database (migration 0009): the file was written
    // before the row committed, so it is there, with every byte the row names.
    match conn.prepare("SELECT file, file_offset + file_length FROM pending_bodies WHERE file IS NOT NULL").and_then(|mut stmt| {
        stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))).and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
    }) {
        Ok(spilled) => {
            let mut bodies = db.as_os_str().to_owned();
            bodies.push(".bodies");
            let dir = std::path::PathBuf::from(bodies);
            for (file, end) in spilled {
                let len = std::fs::metadata(dir.join(&file)).map(|m| m.len() as i64).unwrap_or(-1);
                if len < end {
                    failures.push(format!("waiting body past the end of its file {file} ({len} bytes, needs {end})"));
                }
            }
        }
        Err(e) => failures.push(format!("pending body files: {e}")),
    }
    match conn.query_row("PRAGMA integrity_check", [], |r| r.get::<_, String>(0)) {
        Ok(ok) if ok == "ok" => {}
        Ok(other) => failures.push(format!("integrity_check: {other}")),
        Err(e) => failures.push(format!("integrity_check: {e}")),
    }
    match conn.prepare("PRAGMA foreign_key_check").and_then(|mut s| s.query_map([], |_| Ok(())).map(|rows| rows.count())) {
        Ok(0) => {}
        Ok(n) => failures.push(format!("foreign_key_check: {n} rows")),
        Err(e) => failures.push(format!("foreign_key_check: {e}")),
    }
    if let Err(e) = conn.execute("INSERT INTO articles_fts (articles_fts) VALUES ('integrity-check')", []) {
        failures.push(format!("FTS5 integrity-check: {e}"));
    }
    for &id in &marks.read {
        let read: Option<i64> = conn.query_row("SELECT read FROM article_state WHERE article_id = ?1", [id], |r| r.get(0)).optional().unwrap_or(None);
        if read != Some(1) {
            failures.push(format!("read mark of article {id} lost ({read:?})"));
        }
    }
    for &id in &marks.saved {
        let saved: Option<i64> = conn.query_row("SELECT saved FROM article_state WHERE article_id = ?1", [id], |r| r.get(0)).optional().unwrap_or(None);
        if saved != Some(1) {
            failures.push(format!("saved mark of article {id} lost ({saved:?})"));
        }
    }
    let state = DbState {
        articles: one("SELECT count(*) FROM articles").unwrap_or(-1),
        // Queued for the index, or with a body waiting to be sanitised first.
        queued: one("SELECT (SELECT count(*) FROM index_queue) + (SELECT count(*) FROM pending_bodies)").unwrap_or(-1),
        images: one("SELECT count(*) FROM images").unwrap_or(-1),
        wal_bytes,
    };
    if failures.is_empty() { Ok(state) } else { Err(failures) }
}

/// After the loop: one sync to the end; nothing left queued, every article searchable.
pub(crate) fn final_sync_and_search(db: &Path, marks: &Marks) -> Result<DbState, Vec<String>> {
    let out = caliber(db, &["sync"]);
    if !out.status.success() {
        return Err(vec![format!("final sync failed: {}", String::from_utf8_lossy(&out.stderr))]);
    }
    let state = check_db(db, marks)?;
    let mut failures = Vec::new();
    if state.queued != 0 {
        failures.push(format!("{} articles still queued after a complete sync", state.queued));
    }
    let conn = Connection::open(db).unwrap();
    let indexed: i64 = conn.query_row("SELECT count(*) FROM articles_fts", [], |r| r.get(0)).unwrap();
    if indexed != state.articles {
        failures.push(format!("{indexed} index rows for {} articles", state.articles));
    }
    // Each article found by its own title, through the index (a sample of every 50th).
    let titles: Vec<(i64, String)> = conn
        .prepare("SELECT id, title FROM articles WHERE id % 50 = 0")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    for (id, title) in &titles {
        if !found_by_title(&conn, *id, title) {
            failures.push(format!("article {id} not found by its title"));
        }
    }
    // And through the CLI, by a title word of the newest article.
    let newest: String = conn.query_row("SELECT title FROM articles ORDER BY id DESC LIMIT 1", [], |r| r.get(0)).unwrap();
    let word = newest.split_whitespace().max_by_key(|w| w.chars().count()).unwrap_or("").to_string();
    let hits = caliber_ok(db, &["search", &word, "--json", "--limit", "5"]);
    if !hits.contains("\"id\"") {
        failures.push(format!("`caliber search {word}` found nothing"));
    }
    if failures.is_empty() { Ok(state) } else { Err(failures) }
}

// ---------------------------------------------------------------------------------------
// The kill loop
// ---------------------------------------------------------------------------------------

/// A seeded xorshift for the kill delays (not the corpus's generator: its seed is printed).
pub(crate) fn kill_rng_seed() -> u64 {
    std::env::var("CALIBER_CRASH_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64
    })
}

/// Where a kill landed.
#[derive(Debug, Default)]
pub(crate) struct Figures {
    pub(crate) host: &'static str,
    pub(crate) seed: u64,
    pub(crate) shape: Option<Shape>,
    pub(crate) kills: usize,
    pub(crate) finished_before_kill: usize,
    /// ms into the sync (or into the app's life) when the SIGKILL was sent.
    pub(crate) delays_ms: Vec<u64>,
    /// The WAL held data when the process died.
    pub(crate) wal_nonempty: usize,
    /// Some but not all sources had committed when the process died (CLI only).
    pub(crate) mid_sources: usize,
    /// Articles were left queued for the index.
    pub(crate) queue_nonempty: usize,
    /// Articles stored by the killed syncs (before they died).
    pub(crate) articles_added: i64,
    pub(crate) failures: Vec<String>,
    pub(crate) reference_ms: u64,
    pub(crate) final_articles: i64,
    pub(crate) final_images: i64,
    pub(crate) total: Duration,
}

impl Figures {
    /// One last sync runs to the end: it must leave nothing queued and find what it stored.
    fn finish(mut self, db: &Path, marks: &Marks, t0: Instant) -> Self {
        match final_sync_and_search(db, marks) {
            Ok(state) => {
                self.final_articles = state.articles;
                self.final_images = state.images;
            }
            Err(f) => self.failures.extend(f.into_iter().map(|f| format!("final sync: {f}"))),
        }
        self.total = t0.elapsed();
        self
    }

    /// What one kill left: its figures and a line on stdout, or each invariant it broke.
    fn record_kill(&mut self, label: &str, delay: Duration, progress: &str, checked: Result<DbState, Vec<String>>, last: &mut DbState) {
        let at = delay.as_millis();
        match checked {
            Ok(state) => {
                self.wal_nonempty += usize::from(state.wal_bytes > 0);
                self.queue_nonempty += usize::from(state.queued > 0);
                self.articles_added += state.articles - last.articles;
                println!(
                    "{label} {:>3} at {at:>5} ms: {progress}WAL {:>9} B, {:>6} articles (+{}), {:>5} queued, {:>6} pictures",
                    self.kills,
                    state.wal_bytes,
                    state.articles,
                    state.articles - last.articles,
                    state.queued,
                    state.images
                );
                *last = state;
            }
            Err(f) => {
                println!("{label} {} at {at} ms: FAILED {f:?}", self.kills);
                self.failures.extend(f.into_iter().map(|f| format!("{label} {} ({at} ms): {f}", self.kills)));
            }
        }
    }

    pub(crate) fn summary(&self) -> String {
        let mut d = self.delays_ms.clone();
        d.sort_unstable();
        let pick = |p: f64| d.get(((d.len() as f64 - 1.0) * p).round() as usize).copied().unwrap_or(0);
        let mut s = String::new();
        let _ = writeln!(s, "### {} kills (seed {})\n", self.host, self.seed);
        let _ = writeln!(s, "| figure | value |\n|---|---|");
        if let Some(shape) = self.shape {
            let _ = writeln!(
                s,
                "| corpus | {} feeds × {} items listed, +{} new items per feed and ~{} revised per feed before each sync, pictures on |",
                shape.feeds,
                shape.window,
                shape.new_per_gen,
                shape.window / shape.revise_every.max(1)
            );
        }
        let _ = writeln!(s, "| whole sync (the delays are drawn over it; last value) | {} ms |", self.reference_ms);
        let _ = writeln!(s, "| SIGKILLs sent | {} |", self.kills);
        let _ = writeln!(s, "| runs that finished before their kill time | {} |", self.finished_before_kill);
        let _ = writeln!(s, "| kill time min / median / max | {} / {} / {} ms |", pick(0.0), pick(0.5), pick(1.0));
        let _ = writeln!(s, "| kill time p10 / p90 | {} / {} ms |", pick(0.1), pick(0.9));
        let _ = writeln!(s, "| kills with a non-empty WAL left behind | {} |", self.wal_nonempty);
        if self.host == "CLI" {
            let _ = writeln!(s, "| kills while sources were being committed (some written, not all) | {} |", self.mid_sources);
        }
        let _ = writeln!(s, "| kills that left articles queued for the index | {} |", self.queue_nonempty);
        let _ = writeln!(s, "| articles stored by the killed syncs before they died | {} |", self.articles_added);
        let _ = writeln!(s, "| after the final sync | {} articles, all indexed; {} pictures |", self.final_articles, self.final_images);
        let _ = writeln!(s, "| failures | {} |", self.failures.len());
        let _ = writeln!(s, "| wall time | {:.0} s |", self.total.as_secs_f64());
        for f in self.failures.iter().take(20) {
            let _ = writeln!(s, "\n- FAILURE: {f}");
        }
        s
    }

    pub(crate) fn report(&self) {
        let text = self.summary();
        println!("{text}");
        if let Some(path) = std::env::var_os("CALIBER_CRASH_REPORT") {
            let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path).unwrap();
            let _ = writeln!(f, "{text}");
        }
    }
}

/// Seed a database with a first sync of generation 0 and mark articles; returns the marks.
pub(crate) fn seed(db: &Path, server: &CorpusServer) -> Marks {
    let urls = server.urls();
    let mut args = vec!["sources", "add", "--kind", "feed"];
    args.extend(urls.iter().map(String::as_str));
    caliber_ok(db, &args);
    caliber_ok(db, &["sync"]);
    set_marks(db, 30)
}

/// One sync of `cli_binary()` killed `delay` after its start; `None` if it finished first.
/// Returns whether it was killed, and how many sources it had reported done.
pub(crate) fn cli_sync_killed_after(db: &Path, delay: Duration) -> (bool, usize, std::process::ExitStatus, Duration) {
    let mut child = Command::new(cli_binary())
        .arg("--db")
        .arg(db)
        .arg("sync")
        .env_remove("CALIBER_DATA_DIR")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn caliber sync");
    let stdout = child.stdout.take().unwrap();
    let done = Arc::new(AtomicUsize::new(0));
    let reader = {
        let done = done.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.contains("/feeds/") {
                    done.fetch_add(1, Ordering::SeqCst);
                }
            }
        })
    };
    let started = Instant::now();
    let killed = loop {
        if let Some(_status) = child.try_wait().unwrap() {
            break false;
        }
        if started.elapsed() >= delay {
            child.kill().unwrap(); // SIGKILL
            break true;
        }
        std::thread::sleep(Duration::from_millis(1).min(delay.saturating_sub(started.elapsed())));
    };
    let elapsed = started.elapsed();
    let status = child.wait().unwrap();
    let _ = reader.join();
    (killed, done.load(Ordering::SeqCst), status, elapsed)
}

pub(crate) fn run_cli_kills(kills: usize, shape: Shape) -> Figures {
    let t0 = Instant::now();
    let seed_value = kill_rng_seed();
    println!("crash harness (CLI): seed {seed_value}, {kills} kills, {shape:?}, caliber = {}", cli_binary().display());
    let mut rng = Rng::new(seed_value);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("caliber.db");
    let mut server = CorpusServer::start(shape);
    let marks = seed(&db, &server);
    let mut figures = Figures { host: "CLI", seed: seed_value, shape: Some(shape), ..Default::default() };
    if let Err(f) = check_db(&db, &marks) {
        figures.failures.extend(f.into_iter().map(|f| format!("after seeding: {f}")));
    }
    // A reference sync to the end: the kill delays are drawn over its duration.
    server.next_generation();
    let started = Instant::now();
    caliber_ok(&db, &["sync"]);
    figures.reference_ms = started.elapsed().as_millis() as u64;
    let mut last = check_db(&db, &marks).unwrap_or_default();
    println!("reference sync: {} ms, {} articles", figures.reference_ms, last.articles);
    while figures.kills < kills {
        server.next_generation();
        let delay = Duration::from_millis((rng.unit() * figures.reference_ms as f64) as u64);
        let (killed, sources_done, status, elapsed) = cli_sync_killed_after(&db, delay);
        if !killed {
            figures.finished_before_kill += 1;
            // Later syncs are shorter than the reference (it stored pictures for every new
            // article): draw the next delays over what a whole sync takes now.
            figures.reference_ms = (elapsed.as_millis() as u64).max(100);
            match check_db(&db, &marks) {
                Ok(state) => last = state,
                Err(f) => figures.failures.extend(f.into_iter().map(|f| format!("after a finished sync: {f}"))),
            }
            if !status.success() {
                figures.failures.push(format!("generation {}: sync failed on its own ({status})", server.generation));
            }
            continue;
        }
        figures.kills += 1;
        figures.delays_ms.push(delay.as_millis() as u64);
        if sources_done > 0 && sources_done < shape.feeds {
            figures.mid_sources += 1;
        }
        let progress = format!("{:>2}/{} sources done, ", sources_done, shape.feeds);
        figures.record_kill("kill", delay, &progress, check_db(&db, &marks), &mut last);
    }
    server.next_generation();
    figures.finish(&db, &marks, t0)
}



// ---------------------------------------------------------------------------------------
// The app
// ---------------------------------------------------------------------------------------

pub(crate) fn app_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("CALIBER_APP_BINARY") {
        return PathBuf::from(path);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("debug/caliber-app")
}

/// Every process below `root` (by /proc's parent links).
pub(crate) fn descendants(root: u32) -> Vec<(u32, String)> {
    let mut parent_of = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { continue };
        // "pid (comm) state ppid ..."; comm may hold spaces and parentheses.
        let Some(close) = stat.rfind(')') else { continue };
        let comm = stat[stat.find('(').unwrap_or(0) + 1..close].to_string();
        let ppid: u32 = stat[close + 2..].split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
        parent_of.push((pid, ppid, comm));
    }
    let mut found = Vec::new();
    let mut frontier = vec![root];
    while let Some(p) = frontier.pop() {
        for (pid, ppid, comm) in &parent_of {
            if *ppid == p {
                found.push((*pid, comm.clone()));
                frontier.push(*pid);
            }
        }
    }
    found
}

/// SIGKILL by pid (kill(1): no libc binding needed).
pub(crate) fn sigkill(pid: u32) {
    let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
}

/// The app under `xvfb-run -a dbus-run-session`, with its data dir.
pub(crate) struct RunningApp {
    pub(crate) wrapper: Child,
    pub(crate) app_pid: Option<u32>,
}

impl RunningApp {
    pub(crate) fn launch(data_dir: &Path) -> RunningApp {
        let wrapper = Command::new("xvfb-run")
            .args(["-a", "-s", "-screen 0 1280x800x24", "dbus-run-session", "--"])
            .arg(app_binary())
            .env("CALIBER_DATA_DIR", data_dir)
            .env("LANG", "en_US.UTF-8")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("xvfb-run (apt install xvfb xauth dbus)");
        RunningApp { wrapper, app_pid: None }
    }

    /// The app's pid once it has started (waits up to 30 s).
    pub(crate) fn app_pid(&mut self) -> Option<u32> {
        let until = Instant::now() + Duration::from_secs(30);
        while self.app_pid.is_none() && Instant::now() < until {
            self.app_pid = descendants(self.wrapper.id()).into_iter().find(|(_, comm)| comm.starts_with("caliber-app")).map(|(p, _)| p);
            if self.app_pid.is_none() {
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        self.app_pid
    }

    /// SIGKILL the app itself (not the wrappers), then let xvfb-run tear Xvfb down.
    pub(crate) fn kill(mut self) {
        if let Some(pid) = self.app_pid() {
            sigkill(pid);
        }
        let until = Instant::now() + Duration::from_secs(20);
        while Instant::now() < until {
            if self.wrapper.try_wait().unwrap().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        for (pid, _) in descendants(self.wrapper.id()) {
            sigkill(pid);
        }
        let _ = self.wrapper.kill();
        let _ = self.wrapper.wait();
    }
}

/// Poll until every source has synced since `since` (unix s) and nothing is queued.
pub(crate) fn wait_app_synced(db: &Path, feeds: usize, since: i64, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if let Ok(conn) = Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY) {
            let synced: i64 = conn.query_row("SELECT count(*) FROM sources WHERE last_sync_at >= ?1", [since], |r| r.get(0)).unwrap_or(0);
            let queued: i64 = conn
                .query_row("SELECT (SELECT count(*) FROM index_queue) + (SELECT count(*) FROM pending_bodies)", [], |r| r.get(0))
                .unwrap_or(1);
            if synced as usize >= feeds && queued == 0 {
                return Some(started.elapsed());
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

/// Unix seconds after every earlier sync's `last_sync_at` (waits into the next second).
pub(crate) fn next_second() -> i64 {
    let now = now_unix();
    while now_unix() == now {
        std::thread::sleep(Duration::from_millis(10));
    }
    now + 1
}

pub(crate) fn now_unix() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

pub(crate) fn run_app_kills(kills: usize, shape: Shape) -> Figures {
    let t0 = Instant::now();
    let app = app_binary();
    assert!(app.exists(), "no app binary at {} (build it, or set CALIBER_APP_BINARY)", app.display());
    let seed_value = kill_rng_seed();
    println!("crash harness (app): seed {seed_value}, {kills} kills, {shape:?}, app = {}", app.display());
    let mut rng = Rng::new(seed_value);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("caliber.db");
    let mut server = CorpusServer::start(shape);
    let marks = seed(&db, &server);
    let mut figures = Figures { host: "app", seed: seed_value, shape: Some(shape), ..Default::default() };
    // Reference: the app's life from launch to its start-up sync written and indexed, plus
    // a margin for its pictures.
    server.next_generation();
    let since = next_second();
    let started = Instant::now();
    let running = RunningApp::launch(dir.path());
    let synced = wait_app_synced(&db, shape.feeds, since, Duration::from_secs(300));
    running.kill();
    let Some(synced) = synced else {
        figures.failures.push("the app's start-up sync did not finish within 300 s".into());
        return figures;
    };
    figures.reference_ms = (synced.as_millis() as u64) * 5 / 4;
    println!("reference: app launch to sync done {} ms (in {} ms)", synced.as_millis(), started.elapsed().as_millis());
    let mut last = match check_db(&db, &marks) {
        Ok(state) => state,
        Err(f) => {
            figures.failures.extend(f.into_iter().map(|f| format!("after the reference run: {f}")));
            DbState::default()
        }
    };
    while figures.kills < kills {
        server.next_generation();
        let delay = Duration::from_millis((rng.unit() * figures.reference_ms as f64) as u64);
        let mut running = RunningApp::launch(dir.path());
        let launched = Instant::now();
        if running.app_pid().is_none() {
            figures.failures.push("the app did not start".into());
            running.kill();
            break;
        }
        while launched.elapsed() < delay {
            std::thread::sleep(Duration::from_millis(1));
        }
        running.kill(); // SIGKILL to the app's own pid, found above
        figures.kills += 1;
        figures.delays_ms.push(delay.as_millis() as u64);
        figures.record_kill("app kill", delay, "", check_db(&db, &marks), &mut last);
    }
    // The next start-up sync (the app's own) completes and indexes what was queued.
    server.next_generation();
    let since = next_second();
    let running = RunningApp::launch(dir.path());
    let synced = wait_app_synced(&db, shape.feeds, since, Duration::from_secs(300));
    // Let its pictures finish before the final check.
    std::thread::sleep(Duration::from_millis(figures.reference_ms / 2));
    running.kill();
    if synced.is_none() {
        figures.failures.push("the app's sync after the kills did not finish".into());
    }
    figures.finish(&db, &marks, t0)
}


// ---------------------------------------------------------------------------------------
// A full disk
// ---------------------------------------------------------------------------------------

/// A small tmpfs mounted for the test, unmounted on drop. Needs root (as in CI); without it
/// the test fails and says so, it does not skip.
pub(crate) struct SmallFs {
    pub(crate) dir: tempfile::TempDir,
}

impl SmallFs {
    pub(crate) fn mount(kib: u64) -> SmallFs {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={kib}k,mode=0755"), "caliber-crash-test"])
            .arg(dir.path())
            .output()
            .expect("run mount");
        assert!(
            out.status.success(),
            "the disk-full test mounts a small tmpfs and needs root (CI runs as root); mount said: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
        SmallFs { dir }
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    pub(crate) fn resize(&self, kib: u64) {
        let out = Command::new("mount").args(["-o", &format!("remount,size={kib}k")]).arg(self.path()).output().expect("run mount");
        assert!(out.status.success(), "remount to {kib} KiB: {}", String::from_utf8_lossy(&out.stderr).trim());
    }

    /// KiB in use (statvfs through df: no libc binding needed).
    pub(crate) fn used_kib(&self) -> u64 {
        let out = Command::new("df").args(["-k", "--output=used"]).arg(self.path()).output().expect("run df");
        String::from_utf8_lossy(&out.stdout).lines().nth(1).and_then(|l| l.trim().parse().ok()).expect("df output")
    }
}

impl Drop for SmallFs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.dir.path()).status();
    }
}

