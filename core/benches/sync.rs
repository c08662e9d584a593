//! End-to-end sync benchmark (see BENCHMARKS.md at the workspace root).
//!
//! One process, one run: generate a deterministic corpus (50 feeds × 200 items), serve it
//! from an in-process HTTP server, then time the real `caliber` binary (cold sync, the
//! moment 10,000 articles are stored and listable, an unchanged re-sync, an all-304
//! re-sync), `newsboat` on the same feeds, and `Core::search` over 100,000 articles.
//! Prints a table and writes it as markdown to `target/bench-sync.md`.
//!
//! Targets that are missed are reported as FAIL (the bench does not panic for those);
//! correctness checks (article count, sanitisation, 304 statuses, search results) panic.
//!
//! `CALIBER_BENCH_RUNS` overrides the number of timed runs per case (default 5).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use caliber_core::testing::{PreparedArticle, SourceUpdate, Store};
use caliber_core::{Core, CoreConfig, FetchOptions, HttpClient, Retention, SourceKind, fts_query};
use rusqlite::{Connection, OpenFlags};

const SYNC_ARTICLES: i64 = (FEEDS * ITEMS_PER_FEED) as i64;
const SEARCH_SOURCES: usize = 500;
const SEARCH_ARTICLES: usize = SEARCH_SOURCES * ITEMS_PER_FEED; // 100,000

// Targets.
const TARGET_304_MS: f64 = 50.0;
const TARGET_UNCHANGED_MS: f64 = 1000.0;
const TARGET_RSS_MIB: f64 = 100.0;
const TARGET_SEARCH_P99_MS: f64 = 30.0;

const PROXY_VARS: &[&str] = &["http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"];

include!("corpus/gen.rs");

// ---------------------------------------------------------------------------------------
// HTTP server
// ---------------------------------------------------------------------------------------

struct ServerState {
    feeds: HashMap<String, FeedDoc>,
    /// On: strong ETag + Last-Modified, conditional requests answered with 304.
    /// Off: the same bodies with 200 and no validators (a server that never says "unchanged").
    validators: AtomicBool,
    requests: AtomicU64,
    not_modified: AtomicU64,
    gzipped: AtomicU64,
    conditional: AtomicU64,
    images: AtomicU64,
    image_bytes: AtomicU64,
    /// Picture bytes: a JPEG header, then filler; each picture is a prefix of it.
    picture: Bytes,
}

#[derive(Clone, Copy, Debug, Default)]
struct ServerCounts {
    requests: u64,
    not_modified: u64,
    gzipped: u64,
    conditional: u64,
    images: u64,
    image_bytes: u64,
}

impl std::ops::Sub for ServerCounts {
    type Output = ServerCounts;
    fn sub(self, o: ServerCounts) -> ServerCounts {
        ServerCounts {
            requests: self.requests - o.requests,
            not_modified: self.not_modified - o.not_modified,
            gzipped: self.gzipped - o.gzipped,
            conditional: self.conditional - o.conditional,
            images: self.images - o.images,
            image_bytes: self.image_bytes - o.image_bytes,
        }
    }
}

struct Server {
    state: Arc<ServerState>,
    urls: Vec<String>,
}

impl Server {
    /// Bound first: the corpus needs the origin for its absolute picture URLs.
    fn bind() -> (std::net::TcpListener, String) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let origin = format!("http://{}", listener.local_addr().unwrap());
        (listener, origin)
    }

    fn start(listener: std::net::TcpListener, docs: Vec<FeedDoc>) -> Server {
        let names: Vec<String> = docs.iter().map(|d| d.name.clone()).collect();
        let picture = picture_bytes();
        let state = Arc::new(ServerState {
            feeds: docs.into_iter().map(|d| (d.name.clone(), d)).collect(),
            validators: AtomicBool::new(true),
            requests: AtomicU64::new(0),
            not_modified: AtomicU64::new(0),
            gzipped: AtomicU64::new(0),
            conditional: AtomicU64::new(0),
            images: AtomicU64::new(0),
            image_bytes: AtomicU64::new(0),
            picture: Bytes::from(picture),
        });
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new()
            .route("/feeds/{name}", get(serve_feed))
            .route("/control/validators/{mode}", get(control_validators))
            .fallback(serve_picture)
            .with_state(state.clone());
        std::thread::Builder::new()
            .name("bench-http".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                runtime.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                    axum::serve(listener, app).await.unwrap();
                });
            })
            .unwrap();
        let urls = names.iter().map(|n| format!("http://{addr}/feeds/{n}")).collect();
        Server { state, urls }
    }

    fn set_validators(&self, on: bool) {
        self.state.validators.store(on, Ordering::SeqCst);
    }

    fn counts(&self) -> ServerCounts {
        ServerCounts {
            requests: self.state.requests.load(Ordering::SeqCst),
            not_modified: self.state.not_modified.load(Ordering::SeqCst),
            gzipped: self.state.gzipped.load(Ordering::SeqCst),
            conditional: self.state.conditional.load(Ordering::SeqCst),
            images: self.state.images.load(Ordering::SeqCst),
            image_bytes: self.state.image_bytes.load(Ordering::SeqCst),
        }
    }
}

async fn control_validators(State(state): State<Arc<ServerState>>, UrlPath(mode): UrlPath<String>) -> &'static str {
    state.validators.store(mode == "on", Ordering::SeqCst);
    if mode == "on" { "validators on\n" } else { "validators off\n" }
}

/// Any `.jpg`/`.png`/`.webp` path is a picture (its size derived from the path); anything else is 404.
async fn serve_picture(State(state): State<Arc<ServerState>>, uri: axum::http::Uri) -> Response {
    state.requests.fetch_add(1, Ordering::Relaxed);
    let Some((content_type, size)) = picture_for_path(uri.path()) else {
        return Response::builder().status(StatusCode::NOT_FOUND).body(Body::empty()).unwrap();
    };
    state.images.fetch_add(1, Ordering::Relaxed);
    state.image_bytes.fetch_add(size as u64, Ordering::Relaxed);
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CACHE_CONTROL, "max-age=86400")
        .body(Body::from(state.picture.slice(..size)))
        .unwrap()
}

async fn serve_feed(State(state): State<Arc<ServerState>>, UrlPath(name): UrlPath<String>, headers: HeaderMap) -> Response {
    state.requests.fetch_add(1, Ordering::Relaxed);
    let Some(doc) = state.feeds.get(&name) else {
        return Response::builder().status(StatusCode::NOT_FOUND).body(Body::empty()).unwrap();
    };
    let validators = state.validators.load(Ordering::SeqCst);
    let header = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    let if_none_match = header(header::IF_NONE_MATCH);
    let if_modified_since = header(header::IF_MODIFIED_SINCE);
    if if_none_match.is_some() || if_modified_since.is_some() {
        state.conditional.fetch_add(1, Ordering::Relaxed);
    }
    let gzip = header(header::ACCEPT_ENCODING).is_some_and(|v| v.contains("gzip"));
    if validators {
        // If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2).
        let unchanged = match if_none_match {
            Some(tags) => tags.split(',').map(|t| t.trim().trim_start_matches("W/")).any(|t| t == "*" || t == doc.etag || t == doc.etag_gzip),
            None => if_modified_since == Some(doc.last_modified.as_str()),
        };
        if unchanged {
            state.not_modified.fetch_add(1, Ordering::Relaxed);
            return Response::builder()
                .status(StatusCode::NOT_MODIFIED)
                .header(header::ETAG, if gzip { &doc.etag_gzip } else { &doc.etag })
                .header(header::LAST_MODIFIED, &doc.last_modified)
                .body(Body::empty())
                .unwrap();
        }
    }
    let mut response = Response::builder().status(StatusCode::OK).header(header::CONTENT_TYPE, doc.content_type).header(header::VARY, "Accept-Encoding");
    if validators {
        response = response.header(header::ETAG, if gzip { &doc.etag_gzip } else { &doc.etag }).header(header::LAST_MODIFIED, &doc.last_modified);
    }
    if gzip {
        state.gzipped.fetch_add(1, Ordering::Relaxed);
        response.header(header::CONTENT_ENCODING, "gzip").body(Body::from(doc.gzip.clone())).unwrap()
    } else {
        response.body(Body::from(doc.body.clone())).unwrap()
    }
}

// ---------------------------------------------------------------------------------------
// Child processes: wall time, peak RSS, "stored and listable"
// ---------------------------------------------------------------------------------------

struct Measured {
    wall: Duration,
    peak_rss_kib: Option<u64>,
    cpu_user_s: Option<f64>,
    cpu_sys_s: Option<f64>,
    stdout: String,
    /// When `articles` first had the expected number of rows (polled every 5 ms).
    listable: Option<Duration>,
}

const GNU_TIME: &str = "/usr/bin/time";

/// Run `program args` to completion, timing it. With `poll`, a second thread polls the
/// database read-only every 5 ms for `count(*) FROM articles >= n`.
fn run_measured(program: &Path, args: &[&str], envs: &[(&str, &Path)], poll: Option<(&Path, i64)>) -> Measured {
    let scratch = tempfile::tempdir().unwrap();
    let rss_file = scratch.path().join("rusage");
    let use_time = Path::new(GNU_TIME).exists();
    let mut cmd = if use_time {
        let mut c = Command::new(GNU_TIME);
        c.arg("-f").arg("%M %U %S").arg("-o").arg(&rss_file).arg(program);
        c
    } else {
        Command::new(program)
    };
    cmd.args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    for var in PROXY_VARS {
        cmd.env_remove(var);
    }
    for (k, v) in envs {
        cmd.env(k, v);
    }

    let done = AtomicBool::new(false);
    let hwm = AtomicU64::new(0);
    let t0 = Instant::now();
    let (output, wall, listable) = std::thread::scope(|s| {
        let poller = poll.map(|(db, rows)| {
            let done = &done;
            s.spawn(move || poll_rows(db, rows, t0, done))
        });
        let child = cmd.spawn().unwrap_or_else(|e| panic!("spawn {}: {e}", program.display()));
        let hwm_poller = (!use_time).then(|| {
            let (pid, done, hwm) = (child.id(), &done, &hwm);
            s.spawn(move || poll_vm_hwm(pid, done, hwm))
        });
        let output = child.wait_with_output().unwrap();
        let wall = t0.elapsed();
        done.store(true, Ordering::SeqCst);
        let listable = poller.and_then(|p| p.join().unwrap()).map(|l| l.min(wall));
        if let Some(p) = hwm_poller {
            p.join().unwrap();
        }
        (output, wall, listable)
    });
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        panic!(
            "{} {:?} failed ({}):\nstdout: {}\nstderr: {}",
            program.display(),
            args,
            output.status,
            stdout.chars().take(2000).collect::<String>(),
            String::from_utf8_lossy(&output.stderr).chars().take(4000).collect::<String>()
        );
    }
    // GNU time's last line: "%M %U %S" (peak RSS in KiB, user and system CPU seconds).
    let text = if use_time { std::fs::read_to_string(&rss_file).unwrap_or_default() } else { String::new() };
    let fields: Vec<&str> = text.lines().last().unwrap_or("").split_whitespace().collect();
    let peak_rss_kib = if use_time { fields.first().and_then(|v| v.parse().ok()) } else { Some(hwm.load(Ordering::SeqCst)).filter(|&v| v > 0) };
    let cpu_user_s = fields.get(1).and_then(|v| v.parse().ok());
    let cpu_sys_s = fields.get(2).and_then(|v| v.parse().ok());
    Measured { wall, peak_rss_kib, cpu_user_s, cpu_sys_s, stdout, listable }
}

fn poll_rows(db: &Path, rows: i64, t0: Instant, done: &AtomicBool) -> Option<Duration> {
    let open = || {
        let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX).ok()?;
        conn.busy_timeout(Duration::from_millis(50)).ok()?;
        Some(conn)
    };
    let mut conn = open();
    loop {
        // Check the flag first, then look once more: a count seen after the child exited
        // is clamped to the child's wall time by the caller.
        let finished = done.load(Ordering::SeqCst);
        match conn.as_ref().map(|c| c.query_row("SELECT count(*) FROM articles", [], |r| r.get::<_, i64>(0))) {
            Some(Ok(n)) if n >= rows => return Some(t0.elapsed()),
            Some(Ok(_)) => {}
            // Before the writer has created the WAL index, a read-only connection cannot read.
            _ => conn = open(),
        }
        if finished {
            return None;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Fallback when GNU time is not installed: the child's VmHWM, polled (a lower bound).
fn poll_vm_hwm(pid: u32, done: &AtomicBool, hwm: &AtomicU64) {
    while !done.load(Ordering::SeqCst) {
        if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status"))
            && let Some(kib) = status.lines().find_map(|l| l.strip_prefix("VmHWM:")).and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            hwm.fetch_max(kib, Ordering::SeqCst);
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn run_quiet(program: &Path, args: &[&str]) -> String {
    let mut cmd = Command::new(program);
    cmd.args(args).stdin(Stdio::null());
    for var in PROXY_VARS {
        cmd.env_remove(var);
    }
    let out = cmd.output().unwrap_or_else(|e| panic!("spawn {}: {e}", program.display()));
    assert!(out.status.success(), "{} {:?} failed: {}", program.display(), args, String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

// ---------------------------------------------------------------------------------------
// caliber checks
// ---------------------------------------------------------------------------------------

struct SyncJson {
    statuses: HashMap<String, usize>,
    new: u64,
    updated: u64,
    sources: usize,
    errors: Vec<String>,
}

fn parse_sync_json(stdout: &str) -> SyncJson {
    let v: serde_json::Value = serde_json::from_str(stdout).unwrap_or_else(|e| panic!("sync --json output is not JSON ({e}): {stdout}"));
    let sources = v["sources"].as_array().expect("sources array");
    let mut out = SyncJson { statuses: HashMap::new(), new: 0, updated: 0, sources: sources.len(), errors: Vec::new() };
    for s in sources {
        *out.statuses.entry(s["status"].as_str().unwrap_or("?").to_owned()).or_default() += 1;
        out.new += s["new"].as_u64().unwrap_or(0);
        out.updated += s["updated"].as_u64().unwrap_or(0);
        if let Some(e) = s["error"].as_str() {
            out.errors.push(format!("{}: {e}", s["url"]));
        }
    }
    out
}

fn assert_all_status(json: &SyncJson, status: &str, what: &str) {
    assert_eq!(json.sources, FEEDS, "{what}: expected {FEEDS} sources in the report");
    assert_eq!(json.statuses.get(status).copied().unwrap_or(0), FEEDS, "{what}: every source must report {status:?}; got {:?}; errors: {:?}", json.statuses, json.errors);
}

/// The stored corpus after a cold sync: count, sanitisation, absolute URLs, search.
fn verify_cold_db(db: &Path) {
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let count: i64 = conn.query_row("SELECT count(*) FROM articles", [], |r| r.get(0)).unwrap();
    assert_eq!(count, SYNC_ARTICLES, "articles stored after the cold sync");
    let fts: i64 = conn.query_row("SELECT count(*) FROM articles_fts", [], |r| r.get(0)).unwrap();
    assert_eq!(fts, SYNC_ARTICLES, "rows in the full-text index after the cold sync");
    let with_html: i64 = conn.query_row("SELECT count(*) FROM articles WHERE length(content_html) > 1000", [], |r| r.get(0)).unwrap();
    assert_eq!(with_html, SYNC_ARTICLES, "every article keeps its (sanitised) body");
    // One pass over the bodies. LIKE is case-insensitive for ASCII, so JaVaScRiPt: is caught too.
    let banned = ["<script", "javascript:", "<iframe", "<style", "onclick", "onerror", "onmouseover", "<form", "<object", "style="];
    let relative = ["src=\"/", "href=\"/", "src=\"img/", "href=\"../"];
    let patterns: Vec<&str> = banned.iter().chain(relative.iter()).copied().collect();
    let sql = format!(
        "SELECT {} FROM articles",
        (1..=patterns.len()).map(|i| format!("COALESCE(sum(content_html LIKE '%' || ?{i} || '%'), 0)")).collect::<Vec<_>>().join(", ")
    );
    let counts: Vec<i64> = conn
        .query_row(&sql, rusqlite::params_from_iter(&patterns), |r| (0..patterns.len()).map(|i| r.get(i)).collect())
        .unwrap();
    for (pattern, n) in patterns.iter().zip(counts) {
        if banned.contains(pattern) {
            assert_eq!(n, 0, "{n} stored articles still contain {pattern:?} after sanitising");
        } else {
            assert_eq!(n, 0, "{n} stored articles still have a relative URL ({pattern})");
        }
    }
    let russian: i64 = conn.query_row("SELECT count(*) FROM articles WHERE language = 'ru'", [], |r| r.get(0)).unwrap();
    assert_eq!(russian, SYNC_ARTICLES / 5, "Russian articles (language from the feed)");
    drop(conn);
    let core = Core::open(CoreConfig::at(db.to_path_buf(), HttpClient::new(FetchOptions::default()).unwrap())).unwrap();
    for word in ["government", "minister economy", "правительство", "Президент"] {
        let hits = core.search(word, 20).unwrap();
        assert!(!hits.is_empty(), "search for {word:?} found nothing after the cold sync");
    }
}

// ---------------------------------------------------------------------------------------
// Statistics and the report
// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy)]
struct Stats {
    median: f64,
    min: f64,
    max: f64,
}

fn stats(values: &[f64]) -> Stats {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let median = if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 };
    Stats { median, min: v[0], max: v[n - 1] }
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn fmt_ms(v: f64) -> String {
    if v >= 10_000.0 {
        format!("{:.1} s", v / 1000.0)
    } else if v >= 1000.0 {
        format!("{:.2} s", v / 1000.0)
    } else if v >= 100.0 {
        format!("{v:.0} ms")
    } else if v >= 10.0 {
        format!("{v:.1} ms")
    } else {
        format!("{v:.2} ms")
    }
}

fn fmt_pct(p: f64) -> String {
    if p >= 1.0 { format!("{p:.0}") } else { format!("{p:.3}") }
}

fn fmt_mib(kib: f64) -> String {
    format!("{:.1} MiB", kib / 1024.0)
}

struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn new(header: &[&str]) -> Self {
        Table { header: header.iter().map(|s| s.to_string()).collect(), rows: Vec::new() }
    }
    fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }
    fn text(&self) -> String {
        let widths: Vec<usize> = (0..self.header.len())
            .map(|i| self.rows.iter().map(|r| r[i].chars().count()).chain([self.header[i].chars().count()]).max().unwrap_or(0))
            .collect();
        let line = |cells: &[String]| {
            cells.iter().enumerate().map(|(i, c)| format!("{c:<w$}", w = widths[i])).collect::<Vec<_>>().join("  ").trim_end().to_owned()
        };
        let mut out = line(&self.header) + "\n";
        out += &widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().join("  ");
        out.push('\n');
        for r in &self.rows {
            out += &line(r);
            out.push('\n');
        }
        out
    }
    fn markdown(&self) -> String {
        let mut out = format!("| {} |\n", self.header.join(" | "));
        out += &format!("|{}\n", self.header.iter().map(|_| "---|").collect::<String>());
        for r in &self.rows {
            out += &format!("| {} |\n", r.iter().map(|c| c.replace('|', "\\|")).collect::<Vec<_>>().join(" | "));
        }
        out
    }
}

fn verdict(pass: bool) -> String {
    if pass { "PASS".into() } else { "FAIL".into() }
}

fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    // target/<profile>/deps/sync-<hash>
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.ancestors().nth(3).map(Path::to_path_buf))
        .filter(|p| p.join("CACHEDIR.TAG").exists())
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

fn caliber_binary() -> PathBuf {
    match option_env!("CARGO_BIN_EXE_caliber") {
        Some(path) => PathBuf::from(path),
        None => target_dir().join("release/caliber"),
    }
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| c.lines().find_map(|l| l.strip_prefix("model name").map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned())))
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| m.lines().next().and_then(|l| l.split_whitespace().nth(1)).and_then(|k| k.parse::<u64>().ok()))
        .map_or(String::new(), |kib| format!(", {:.0} GiB RAM", kib as f64 / 1024.0 / 1024.0));
    format!("{cores} cores, {cpu}{mem}")
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg").unwrap_or_default().split_whitespace().take(3).collect::<Vec<_>>().join(" ")
}

fn log(t0: Instant, msg: impl AsRef<str>) {
    eprintln!("[{:>6.1}s] {}", t0.elapsed().as_secs_f64(), msg.as_ref());
}

// ---------------------------------------------------------------------------------------
// The search corpus: 100,000 articles
// ---------------------------------------------------------------------------------------

fn build_search_db(vocab: &Vocab, path: &Path) -> usize {
    let now = chrono::Utc::now();
    let (tx, rx) = std::sync::mpsc::sync_channel::<(String, Vec<PreparedArticle>)>(4);
    std::thread::scope(|s| {
        // Generation on one core, SQLite writes on the other.
        s.spawn(move || {
            for source in 0..SEARCH_SOURCES {
                let feed = source % FEEDS + FEEDS; // same language split, other hosts than the sync corpus
                let lang = vocab.for_feed(source);
                let mut generator = ItemGen {
                    lang,
                    rng: Rng::new(SEED ^ 0x5ea7c4 ^ ((source as u64 + 1) * 0x2000_0003)),
                    feed,
                    origin: "https://static.example.com",
                    hostile_markup: false,
                    counts: HostileCounts::default(),
                };
                let articles = (0..ITEMS_PER_FEED)
                    .map(|j| {
                        let g = generator.item(j);
                        let mut hash = [0u8; 16];
                        hash[..8].copy_from_slice(&(source as u64).to_le_bytes());
                        hash[8..].copy_from_slice(&(j as u64).to_le_bytes());
                        PreparedArticle {
                            guid: format!("{}-{source}", g.guid),
                            // Unique per source: the store keeps one copy of a URL seen through two sources.
                            url: Some(format!("https://search{source}.example.com/{}/{j}.html", lang.code)),
                            title: g.title,
                            summary: Some(g.summary),
                            content_html: Some(g.html),
                            author: Some(g.author.to_owned()),
                            categories: g.categories.iter().map(|c| c.to_string()).collect(),
                            published_at: Some(datetime(g.published - (source / FEEDS) as i64 * 3600)),
                            updated_at: None,
                            image_url: None,
                            language: Some(lang.code.to_owned()),
                            views: None,
                            is_breaking: false,
                            hash,
                        }
                    })
                    .collect();
                if tx.send((format!("https://search{source}.example.com/feed.xml"), articles)).is_err() {
                    return;
                }
            }
        });
        let mut store = Store::open(path).unwrap();
        let mut written = 0;
        for (url, articles) in rx {
            let (source, _) = store.add_source(&url, Some(SourceKind::Feed), now).unwrap();
            let outcome = store.write_source(source.id, &SourceUpdate::default(), &articles, Retention::default(), now).unwrap();
            store.index_pending().unwrap();
            written += outcome.new as usize;
        }
        written
    })
}

/// Bump when the generated articles change, so a cached search database is rebuilt.
const GENERATOR_VERSION: u32 = 1;

/// A fingerprint of the schema the store creates today: the SQL of a freshly migrated
/// database. Keyed on this rather than on the schema version, a cached database is rebuilt
/// even when a migration is edited in place.
fn schema_fingerprint() -> String {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("schema.db")).unwrap();
    let sql: String = store
        .connection()
        .query_row("SELECT group_concat(COALESCE(sql, ''), ';') FROM (SELECT sql FROM sqlite_master ORDER BY type, name)", [], |r| r.get(0))
        .unwrap();
    format!("{:08x}", fnv1a(sql.as_bytes()) as u32)
}

/// The 100,000-article database: built once into target/ and reused while the schema and
/// the generator are unchanged (`CALIBER_BENCH_REBUILD=1` forces a rebuild, e.g. after a
/// change to what `write_source` writes). Returns the path and, when built by this run,
/// how long that took.
fn search_db(vocab: &Vocab) -> (PathBuf, Option<Duration>) {
    let path = target_dir().join(format!("bench-search-100k-{}-gen{GENERATOR_VERSION}.db", schema_fingerprint()));
    let rebuild = std::env::var_os("CALIBER_BENCH_REBUILD").is_some_and(|v| !v.is_empty() && v != "0");
    if !rebuild && path.exists() {
        let complete = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .and_then(|c| c.query_row("SELECT (SELECT count(*) FROM articles) = ?1 AND (SELECT count(*) FROM articles_fts) = ?1", [SEARCH_ARTICLES as i64], |r| r.get::<_, bool>(0)))
            .unwrap_or(false);
        if complete {
            return (path, None);
        }
    }
    // Build next to it, then rename: an interrupted build never looks complete.
    let building = path.with_extension("building");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", building.display()));
    }
    let start = Instant::now();
    let written = build_search_db(vocab, &building);
    assert_eq!(written, SEARCH_ARTICLES, "search corpus size");
    // The store's connection is closed: the WAL is checkpointed and removed.
    let _ = std::fs::remove_file(&path);
    std::fs::rename(&building, &path).unwrap();
    (path, Some(start.elapsed()))
}

struct SearchOutcome {
    rows: Vec<Vec<String>>,
    note: String,
}

/// Time `Core::search` over the 100,000-article database; table rows and a note.
fn measure_search(vocab: &Vocab, runs: usize, t0: Instant) -> SearchOutcome {
    let (search_db, build_time) = search_db(vocab);
    let db_size = std::fs::metadata(&search_db).map(|m| m.len()).unwrap_or(0);
    let build_note = match build_time {
        Some(t) => format!("written by this run in {}", fmt_ms(ms(t))),
        None => format!("reused from an earlier run: {}", search_db.display()),
    };
    log(t0, format!("search corpus: {SEARCH_ARTICLES} articles, {:.0} MiB, {build_note}", db_size as f64 / 1048576.0));
    let classes = search_queries(vocab);
    let df_conn = Connection::open_with_flags(&search_db, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let core = Core::open(CoreConfig::at(search_db.clone(), HttpClient::new(FetchOptions::default()).unwrap())).unwrap();
    let reps = (runs * 2).max(10);
    let mut class_results = Vec::new();
    // Warm-up pass: one untimed search per query (pages into the OS cache), and how many
    // documents each query matches.
    let mut doc_freq: Vec<Vec<f64>> = Vec::new();
    let mut warm_up_ms: HashMap<String, f64> = HashMap::new();
    for class in &classes {
        let mut dfs = Vec::new();
        for q in &class.queries {
            let t = Instant::now();
            let hits = core.search(q, 20).unwrap();
            warm_up_ms.insert(q.clone(), ms(t.elapsed()));
            assert!(!hits.is_empty(), "search for {q:?} over {SEARCH_ARTICLES} articles found nothing");
            let fts = fts_query(q).unwrap();
            let n: i64 = df_conn.query_row("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?1", [&fts], |r| r.get(0)).unwrap();
            dfs.push(n as f64 * 100.0 / SEARCH_ARTICLES as f64);
        }
        doc_freq.push(dfs);
    }
    // Round robin over all queries, `reps` rounds; a query that has used up its time budget
    // (after at least 2 timed runs) sits out the remaining rounds, so a pathological query
    // cannot take minutes. Its samples still count.
    const QUERY_BUDGET_MS: f64 = 500.0;
    let mut samples: Vec<Vec<f64>> = vec![Vec::new(); classes.len()];
    let mut slowest: Vec<(f64, String)> = Vec::new();
    let mut spent: HashMap<String, (usize, f64)> = HashMap::new();
    for _ in 0..reps {
        for (ci, class) in classes.iter().enumerate() {
            for q in &class.queries {
                let (n, total) = spent.get(q).copied().unwrap_or((0, 0.0));
                // At least 2 timed runs; 1 for a query whose untimed run alone took the budget.
                let min_runs = if warm_up_ms.get(q).is_some_and(|&w| w > QUERY_BUDGET_MS) { 1 } else { 2 };
                if n >= min_runs && total > QUERY_BUDGET_MS {
                    continue;
                }
                let t = Instant::now();
                let hits = core.search(q, 20).unwrap();
                let elapsed = ms(t.elapsed());
                std::hint::black_box(hits);
                samples[ci].push(elapsed);
                slowest.push((elapsed, q.clone()));
                spent.insert(q.clone(), (n + 1, total + elapsed));
            }
        }
    }
    let budget_limited: Vec<String> = {
        let mut v: Vec<(&String, &(usize, f64))> = spent.iter().filter(|(_, (n, _))| *n < reps).collect();
        v.sort_by(|a, b| b.1.1.total_cmp(&a.1.1));
        v.iter().map(|(q, (n, _))| format!("{q:?} {n}")).collect()
    };
    slowest.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut per_query_max: Vec<(f64, String)> = Vec::new();
    for (t, q) in &slowest {
        if !per_query_max.iter().any(|(_, seen)| seen == q) {
            per_query_max.push((*t, q.clone()));
        }
        if per_query_max.len() == 5 {
            break;
        }
    }
    for (ci, class) in classes.iter().enumerate() {
        let mut s = samples[ci].clone();
        s.sort_by(f64::total_cmp);
        let dfs = &doc_freq[ci];
        let (df_min, df_max) = dfs.iter().fold((f64::MAX, 0.0f64), |(lo, hi), &d| (lo.min(d), hi.max(d)));
        class_results.push((class.name, class.queries.len(), s.len(), percentile(&s, 50.0), percentile(&s, 99.0), s[s.len() - 1], df_min, df_max));
    }
    let mut all: Vec<f64> = samples.iter().flatten().copied().collect();
    all.sort_by(f64::total_cmp);
    let total_queries: usize = classes.iter().map(|c| c.queries.len()).sum();
    log(t0, format!("search: {total_queries} queries, up to {reps} runs each, {} timed searches, p50 {}, p99 {}", all.len(), fmt_ms(percentile(&all, 50.0)), fmt_ms(percentile(&all, 99.0))));

    let mut rows = Vec::new();
    for &(name, nq, ns, p50, p99, max, df_min, df_max) in &class_results {
        rows.push(vec![
            format!("search p50 / p99: {name} — {nq} queries, {ns} searches, matching {}–{}% of docs", fmt_pct(df_min), fmt_pct(df_max)),
            format!("{} / {}", fmt_ms(p50), fmt_ms(p99)),
            "".into(),
            format!("{}", fmt_ms(max)),
            format!("p99 < {}", fmt_ms(TARGET_SEARCH_P99_MS)),
            verdict(p99 < TARGET_SEARCH_P99_MS),
            "—".into(),
            "—".into(),
        ]);
    }
    rows.push(vec![
        format!("search p50 / p99: all {total_queries} queries ({} searches)", all.len()),
        format!("{} / {}", fmt_ms(percentile(&all, 50.0)), fmt_ms(percentile(&all, 99.0))),
        fmt_ms(all[0]),
        fmt_ms(all[all.len() - 1]),
        format!("p99 < {}", fmt_ms(TARGET_SEARCH_P99_MS)),
        verdict(percentile(&all, 99.0) < TARGET_SEARCH_P99_MS),
        "—".into(),
        "—".into(),
    ]);

    let note = format!(
        "Search: {SEARCH_ARTICLES} articles ({SEARCH_SOURCES} sources × {ITEMS_PER_FEED}, same generator without hostile markup, stored \
         via Store::write_source; {:.0} MiB database, {build_note}). `Core::search(query, 20)`, {reps} runs of each query, round robin, \
         after one untimed run; a query sits out the remaining rounds once it has used 0.5 s (after at least 2 runs, or 1 when its untimed run took longer than that){}. \
         The percentage is the share of documents matching `fts_query(q)` (every word; the last also as a prefix when it is long enough). Slowest single searches: {}.",
        db_size as f64 / 1048576.0,
        if budget_limited.is_empty() { String::new() } else { format!("; runs of those that did: {}", budget_limited.join(", ")) },
        per_query_max.iter().map(|(t, q)| format!("{q:?} {}", fmt_ms(*t))).collect::<Vec<_>>().join(", ")
    );
    SearchOutcome { rows, note }
}

struct QueryClass {
    name: &'static str,
    queries: Vec<String>,
}

fn search_queries(vocab: &Vocab) -> Vec<QueryClass> {
    let en_rare = |k: usize| vocab.en.rare[k * 997 % EN_RARE_POOL].clone();
    let ru_rare = |k: usize| vocab.ru.rare[k * 613 % RU_RARE_POOL].clone();
    let common = ["the", "said", "government", "minister", "people", "president", "year", "officials", "country", "percent", "police", "economy", "market", "week", "company"];
    let common2 = [
        "government minister", "president said", "economy market", "police officials", "the government", "people year",
        "country percent", "company week", "said the", "minister president",
    ];
    vec![
        QueryClass { name: "1 word, common (most English docs)", queries: common.iter().map(|s| s.to_string()).collect() },
        QueryClass { name: "1 word, rare (a few docs)", queries: (1..=15).map(en_rare).collect() },
        QueryClass { name: "2 words, both common", queries: common2.iter().map(|s| s.to_string()).collect() },
        QueryClass { name: "2 words, common + rare", queries: (0..10).map(|i| format!("{} {}", common[i], en_rare(100 + i))).collect() },
        QueryClass {
            name: "Cyrillic (1-2 words, common and rare)",
            queries: vec![
                "правительство".into(), "президент".into(), "министр страны".into(), "экономика рынок".into(), "рублей".into(),
                ru_rare(1), ru_rare(2), ru_rare(3), format!("президент {}", ru_rare(4)), format!("в {}", ru_rare(5)),
            ],
        },
    ]
}

// ---------------------------------------------------------------------------------------
// main
// ---------------------------------------------------------------------------------------

fn main() {
    // `cargo bench` passes `--bench`; nothing to parse.
    let t0 = Instant::now();
    let load_at_start = load_average();
    let runs: usize = std::env::var("CALIBER_BENCH_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(5).max(1);
    // The cold sync that also downloads every picture is the slowest case; fewer runs of it
    // keep the bench within a few minutes (CALIBER_BENCH_IMAGE_RUNS overrides).
    let image_runs: usize = std::env::var("CALIBER_BENCH_IMAGE_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(1).max(1);
    // newsboat's reload without validators is a reference only (it re-stores every item).
    let nb_unchanged_runs = 1;
    let caliber = caliber_binary();
    assert!(caliber.exists(), "caliber binary not found at {}", caliber.display());
    let newsboat = ["/usr/bin/newsboat", "/usr/local/bin/newsboat"].iter().map(PathBuf::from).find(|p| p.exists());
    log(t0, format!("caliber: {}; newsboat: {}; runs per case: {runs}", caliber.display(), newsboat.as_ref().map_or("not installed".into(), |p| p.display().to_string())));
    if !Path::new(GNU_TIME).exists() {
        log(t0, "warning: /usr/bin/time (apt package `time`) missing; peak RSS is polled from /proc (a lower bound)");
    }

    if std::env::var("CALIBER_BENCH_ONLY").is_ok_and(|v| v == "search") {
        // Search alone (for work on the index): no server, no syncs, no markdown file.
        let search = measure_search(&Vocab::new(), runs, t0);
        let mut table = Table::new(&["measurement", "median", "min", "max", "target", "result", "newsboat (median)", "caliber ÷ newsboat"]);
        for row in search.rows {
            table.row(row);
        }
        println!("\n{}\n- {}", table.text(), search.note);
        return;
    }

    // 1. Corpus (the server is bound first: absolute picture URLs point at it).
    let (listener, origin) = Server::bind();
    let vocab = Vocab::new();
    let corpus = Corpus::generate(&vocab, &origin);
    log(t0, format!(
        "corpus: {FEEDS} feeds × {ITEMS_PER_FEED} items, {:.1} MiB XML ({:.1} MiB gzip), item bodies {:.1} KiB on average",
        corpus.raw_bytes as f64 / 1048576.0, corpus.gzip_bytes as f64 / 1048576.0, corpus.html_bytes as f64 / SYNC_ARTICLES as f64 / 1024.0
    ));
    let corpus_summary = format!(
        "{FEEDS} feeds × {ITEMS_PER_FEED} items = {SYNC_ARTICLES} articles ({} RSS 2.0 + {} Atom; {} articles in Russian). \
         {:.1} MiB of XML, {:.1} MiB gzipped on the wire; bodies {:.1} KiB of HTML on average (4–8 KiB). \
         Hostile markup in {} items: {} <script>, {} javascript: URLs, {} <iframe>, {} event handlers, {} style attributes/elements.",
        FEEDS / 2, FEEDS / 2, corpus.russian_items,
        corpus.raw_bytes as f64 / 1048576.0, corpus.gzip_bytes as f64 / 1048576.0, corpus.html_bytes as f64 / SYNC_ARTICLES as f64 / 1024.0,
        corpus.hostile.items_with_any, corpus.hostile.script, corpus.hostile.javascript, corpus.hostile.iframe, corpus.hostile.event_handlers, corpus.hostile.style
    );

    // 2. Server.
    let server = Server::start(listener, corpus.docs);
    let urls = server.urls.clone();
    if std::env::var_os("CALIBER_BENCH_SERVE").is_some() {
        // For profiling by hand: serve the corpus until killed.
        // GET /control/validators/off (or /on) switches the ETag mode.
        for url in &urls {
            println!("{url}");
        }
        log(t0, format!("serving on {origin} until killed (CALIBER_BENCH_SERVE)"));
        loop {
            std::thread::park();
        }
    }

    // 3a/b and 3e (cold). Cold syncs into an empty database, feeds only (`--no-images`:
    // newsboat downloads no pictures either), interleaved with newsboat's cold reloads so
    // that both see the same machine; then the default sync, which also stores pictures.
    let mut cold = Vec::new();
    let mut nb_cold = Vec::new();
    let mut nb_items = 0i64;
    let mut nb_dir = None;
    for _ in 0..runs {
        let (m, _dir, _) = cold_sync(&caliber, &server, &urls, false);
        log_cold(t0, "caliber cold sync --no-images", &m);
        cold.push(m);
        if let Some(newsboat) = &newsboat {
            let (m, dir, items) = newsboat_cold(newsboat, &urls);
            log_cold(t0, "newsboat cold reload", &m);
            nb_items = items;
            nb_cold.push(m);
            nb_dir = Some(dir);
        }
    }
    let mut cold_images = Vec::new();
    let mut image_counts = ServerCounts::default();
    let mut stored_images = (0i64, 0i64);
    let mut keep_dir = None;
    for _ in 0..image_runs {
        let (m, dir, served) = cold_sync(&caliber, &server, &urls, true);
        log_cold(t0, &format!("caliber cold sync with pictures ({} pictures, {:.0} MiB served)", served.images, served.image_bytes as f64 / 1048576.0), &m);
        let conn = Connection::open_with_flags(dir.path().join("caliber.db"), OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
        stored_images = conn.query_row("SELECT count(*), COALESCE(sum(size), 0) FROM images", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
        assert!(stored_images.0 > 0, "the default sync stored no pictures");
        image_counts = served;
        cold_images.push(m);
        keep_dir = Some(dir);
    }
    let cold_dir = keep_dir.unwrap();
    let cold_db = cold_dir.path().join("caliber.db");
    let cold_db_arg = cold_db.to_str().unwrap();

    // 3c. Unchanged re-sync (the default command, on the database of a default cold sync):
    // same bodies, 200, no validators: download, parse, nothing to write. One untimed warm-up.
    server.set_validators(false);
    let mut unchanged = Vec::new();
    for run in 0..=runs {
        let m = run_measured(&caliber, &["--db", cold_db_arg, "sync", "--json"], &[], None);
        let json = parse_sync_json(&m.stdout);
        assert_all_status(&json, "ok", "unchanged re-sync");
        assert_eq!((json.new, json.updated), (0, 0), "unchanged re-sync must find 0 new / 0 updated");
        if run > 0 {
            unchanged.push(m);
        }
    }
    log(t0, format!("caliber unchanged re-sync: median {}", fmt_ms(stats(&unchanged.iter().map(|m| ms(m.wall)).collect::<Vec<_>>()).median)));

    // 3d. All-304 re-sync: one sync to store the validators, then every source answers 304.
    server.set_validators(true);
    let m = run_measured(&caliber, &["--db", cold_db_arg, "sync", "--json"], &[], None);
    let json = parse_sync_json(&m.stdout);
    assert_all_status(&json, "ok", "re-sync that stores validators");
    assert_eq!((json.new, json.updated), (0, 0), "re-sync that stores validators must find nothing new");
    let mut all304 = Vec::new();
    let mut all304_no_images = Vec::new();
    for run in 0..=runs {
        for (images, into) in [(true, &mut all304), (false, &mut all304_no_images)] {
            let before = server.counts();
            let mut args = vec!["--db", cold_db_arg, "sync", "--json"];
            if !images {
                args.push("--no-images");
            }
            let m = run_measured(&caliber, &args, &[], None);
            let served = server.counts() - before;
            let json = parse_sync_json(&m.stdout);
            assert_all_status(&json, "not_modified", "all-304 re-sync");
            assert_eq!(served.not_modified, FEEDS as u64, "all-304 re-sync: the server must have answered 304 to every feed");
            assert_eq!(served.requests, FEEDS as u64, "all-304 re-sync: one request per feed, nothing else");
            if run > 0 {
                into.push(m);
            }
        }
    }
    log(t0, format!(
        "caliber all-304 re-sync: median {} ({} with --no-images)",
        fmt_ms(stats(&all304.iter().map(|m| ms(m.wall)).collect::<Vec<_>>()).median),
        fmt_ms(stats(&all304_no_images.iter().map(|m| ms(m.wall)).collect::<Vec<_>>()).median)
    ));
    drop(cold_dir);

    // 3e (warm). newsboat on the cache of its last cold reload: an unchanged reload (no
    // validators), then warm reloads with validators. newsboat 2.21 sends If-None-Match only
    // from its third reload, so two warm-up reloads come first.
    let mut nb_warm = Vec::new();
    let mut nb_unchanged = Vec::new();
    let mut nb_warm_304 = 0u64;
    let mut nb_warm_requests = 0u64;
    if let (Some(newsboat), Some(dir)) = (&newsboat, &nb_dir) {
        let args = nb_args(dir.path());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let envs = nb_envs(dir.path());
        server.set_validators(false);
        for _ in 0..nb_unchanged_runs {
            nb_unchanged.push(run_measured(newsboat, &args, &envs, None));
        }
        server.set_validators(true);
        for _ in 0..2 {
            run_measured(newsboat, &args, &envs, None);
        }
        let before = server.counts();
        for _ in 0..runs {
            nb_warm.push(run_measured(newsboat, &args, &envs, None));
        }
        let served = server.counts() - before;
        nb_warm_304 = served.not_modified;
        nb_warm_requests = served.requests;
        log(t0, format!(
            "newsboat unchanged reload: median {}; warm reload: median {} ({} of {} requests answered 304)",
            fmt_ms(stats(&nb_unchanged.iter().map(|m| ms(m.wall)).collect::<Vec<_>>()).median),
            fmt_ms(stats(&nb_warm.iter().map(|m| ms(m.wall)).collect::<Vec<_>>()).median),
            nb_warm_304,
            nb_warm_requests
        ));
    }
    drop(nb_dir);

    // 3f. Search over 100,000 articles.
    let search = measure_search(&vocab, runs, t0);

    // 4. Report.
    let wall = |v: &[Measured]| stats(&v.iter().map(|m| ms(m.wall)).collect::<Vec<_>>());
    let listable = |v: &[Measured]| stats(&v.iter().map(|m| ms(m.listable.unwrap_or(m.wall))).collect::<Vec<_>>());
    let rss = |v: &[Measured]| {
        let kib: Vec<f64> = v.iter().filter_map(|m| m.peak_rss_kib.map(|k| k as f64)).collect();
        (!kib.is_empty()).then(|| stats(&kib))
    };
    let cpu = |v: &[Measured]| stats(&v.iter().map(|m| m.cpu_user_s.unwrap_or(0.0) + m.cpu_sys_s.unwrap_or(0.0)).collect::<Vec<_>>());
    let unchanged_s = wall(&unchanged);
    let s304 = wall(&all304);
    let nb = (!nb_cold.is_empty()).then(|| (wall(&nb_cold), wall(&nb_warm), wall(&nb_unchanged), rss(&nb_cold), cpu(&nb_cold)));
    let ratio = |ours: f64, theirs: Option<f64>| theirs.map_or("—".into(), |t| format!("{:.2}×", ours / t));

    let mut table = Table::new(&["measurement", "median", "min", "max", "target", "result", "newsboat (median)", "caliber ÷ newsboat"]);
    let timed_row = |name: &str, s: Stats, target: String, pass: Option<bool>, nb_median: Option<f64>| {
        vec![
            name.to_owned(),
            fmt_ms(s.median),
            fmt_ms(s.min),
            fmt_ms(s.max),
            target,
            pass.map_or("—".into(), verdict),
            nb_median.map_or("—".into(), fmt_ms),
            ratio(s.median, nb_median),
        ]
    };
    let nb_cold_median = nb.as_ref().map(|n| n.0.median);
    let nb_rss = nb.as_ref().and_then(|n| n.3).map(|s| s.median);
    for (label, measured, like_newsboat) in
        [("cold sync --no-images", &cold, true), ("cold sync, default (+ pictures)", &cold_images, false)]
    {
        let total = wall(measured);
        let listed = listable(measured);
        // newsboat downloads no pictures: only the sync without them is held to its time.
        let (target, pass) = if like_newsboat {
            (
                nb_cold_median.map_or("< newsboat cold".into(), |n| format!("< newsboat cold ({})", fmt_ms(n))),
                nb_cold_median.map(|n| total.median < n),
            )
        } else {
            ("(info: also fetches pictures)".into(), None)
        };
        table.row(timed_row(
            &format!("{label}: 10,000 articles fetched, sanitised, stored, indexed ({} runs)", measured.len()),
            total,
            target,
            pass,
            nb_cold_median,
        ));
        table.row(timed_row(
            &format!("{label}: stored and listable (10,000 rows visible)"),
            listed,
            nb_cold_median.map_or("< ½ newsboat cold".into(), |n| format!("< ½ newsboat cold ({})", fmt_ms(n / 2.0))),
            nb_cold_median.map(|n| listed.median < n / 2.0),
            nb_cold_median,
        ));
        table.row(match rss(measured) {
            Some(r) => vec![
                format!("{label}: peak RSS"),
                fmt_mib(r.median),
                fmt_mib(r.min),
                fmt_mib(r.max),
                format!("< {TARGET_RSS_MIB:.0} MiB"),
                verdict(r.median / 1024.0 < TARGET_RSS_MIB),
                nb_rss.map_or("—".into(), fmt_mib),
                ratio(r.median, nb_rss),
            ],
            None => vec![format!("{label}: peak RSS"), "?".into(), "?".into(), "?".into(), format!("< {TARGET_RSS_MIB:.0} MiB"), "not measured".into(), "—".into(), "—".into()],
        });
        let c = cpu(measured);
        table.row(vec![
            format!("{label}: CPU time (user+sys)"),
            format!("{:.2} s", c.median),
            format!("{:.2} s", c.min),
            format!("{:.2} s", c.max),
            "(info)".into(),
            "—".into(),
            nb.as_ref().map_or("—".into(), |n| format!("{:.2} s", n.4.median)),
            nb.as_ref().map_or("—".into(), |n| format!("{:.2}×", c.median / n.4.median)),
        ]);
    }
    table.row(timed_row(
        "unchanged re-sync (200, no validators, 0 new/0 updated)",
        unchanged_s,
        format!("< {}", fmt_ms(TARGET_UNCHANGED_MS)),
        Some(unchanged_s.median < TARGET_UNCHANGED_MS),
        nb.as_ref().map(|n| n.2.median),
    ));
    table.row(timed_row(
        "all-304 re-sync, default (50 × not_modified)",
        s304,
        format!("< {}", fmt_ms(TARGET_304_MS)),
        Some(s304.median < TARGET_304_MS),
        nb.as_ref().map(|n| n.1.median),
    ));
    let s304_no_images = wall(&all304_no_images);
    table.row(timed_row(
        "all-304 re-sync --no-images (50 × not_modified)",
        s304_no_images,
        format!("< {}", fmt_ms(TARGET_304_MS)),
        Some(s304_no_images.median < TARGET_304_MS),
        nb.as_ref().map(|n| n.1.median),
    ));
    for row in search.rows {
        table.row(row);
    }

    let mut notes = Vec::new();
    notes.push(format!(
        "Machine: {}. Runs: {runs} per case (cold syncs interleaved with newsboat's cold reloads; re-syncs after one untimed warm-up), \
         {image_runs} for the cold sync with pictures, {nb_unchanged_runs} for newsboat's unchanged reload; median, min and max of those runs. \
         Load average (1, 5, 15 min) at the start: {load_at_start}; at the end: {} (other work on the machine skews the numbers).",
        machine(),
        load_average()
    ));
    notes.push(format!("Corpus: {corpus_summary}"));
    notes.push(format!(
        "Pictures: every item has 1–3 (relative, protocol-relative and absolute URLs, all on the bench server, 8–40 KiB each). \
         The default `caliber sync` downloaded {} pictures ({:.0} MiB) per cold run and kept {} ({:.0} MiB) after its size cap. \
         The unchanged and all-304 re-syncs run the default command on the database of a default cold sync.",
        image_counts.images,
        image_counts.image_bytes as f64 / 1048576.0,
        stored_images.0,
        stored_images.1 as f64 / 1048576.0,
    ));
    if let Some(n) = &nb {
        notes.push(format!(
            "{}: `newsboat -x reload` with `reload-threads 8`, fresh cache per cold run ({} items stored); its column for the all-304 \
             rows is a reload on a warm cache after 2 warm-up reloads ({} of {} requests answered 304); for the unchanged re-sync, a reload \
             with validators off ({}). newsboat stores the raw HTML: it neither sanitises nor builds a full-text index, and downloads no pictures.",
            newsboat_version(newsboat.as_deref()),
            nb_items,
            nb_warm_304,
            nb_warm_requests,
            fmt_ms(n.2.median),
        ));
    } else {
        notes.push("newsboat is not installed: the comparisons are not measured (`apt-get install newsboat`).".into());
    }
    notes.push(search.note);
    notes.push(format!("Total bench time: {}.", fmt_ms(ms(t0.elapsed()))));

    println!("\ncaliber sync benchmark\n");
    println!("{}", table.text());
    for n in &notes {
        println!("- {n}");
    }
    let md = format!(
        "# caliber sync benchmark\n\n{}\n{}\n",
        table.markdown(),
        notes.iter().map(|n| format!("- {n}\n")).collect::<String>()
    );
    let out = target_dir().join("bench-sync.md");
    match std::fs::write(&out, md) {
        Ok(()) => println!("\nwritten to {}", out.display()),
        Err(e) => eprintln!("could not write {}: {e}", out.display()),
    }
}

/// Fresh database, add the 50 sources (untimed), time `caliber sync --json` (with or without
/// pictures) while polling for 10,000 rows, then check the result (untimed).
fn cold_sync(caliber: &Path, server: &Server, urls: &[String], images: bool) -> (Measured, tempfile::TempDir, ServerCounts) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("caliber.db");
    let db_arg = db.to_str().unwrap();
    let mut add = vec!["--db", db_arg, "sources", "add"];
    add.extend(urls.iter().map(String::as_str));
    run_quiet(caliber, &add);
    let mut sync = vec!["--db", db_arg, "sync", "--json"];
    if !images {
        sync.push("--no-images");
    }
    let before = server.counts();
    let m = run_measured(caliber, &sync, &[], Some((&db, SYNC_ARTICLES)));
    let served = server.counts() - before;
    let json = parse_sync_json(&m.stdout);
    assert_all_status(&json, "ok", "cold sync");
    assert_eq!(json.new, SYNC_ARTICLES as u64, "cold sync: new articles reported");
    assert_eq!(served.gzipped, FEEDS as u64, "cold sync: every feed should be fetched with gzip");
    if !images {
        assert_eq!(served.requests, FEEDS as u64, "cold sync --no-images: one request per feed, nothing else");
    }
    verify_cold_db(&db);
    (m, dir, served)
}

fn log_cold(t0: Instant, what: &str, m: &Measured) {
    log(t0, format!(
        "{what}: {}{}, peak RSS {}, cpu {:.2}+{:.2} s",
        fmt_ms(ms(m.wall)),
        m.listable.map_or(String::new(), |l| format!(" (listable at {})", fmt_ms(ms(l)))),
        m.peak_rss_kib.map_or("?".into(), |k| fmt_mib(k as f64)),
        m.cpu_user_s.unwrap_or(f64::NAN),
        m.cpu_sys_s.unwrap_or(f64::NAN),
    ));
}

/// `newsboat -x reload` on the urls file, cache and config in `dir`.
fn nb_args(dir: &Path) -> Vec<String> {
    let path = |name: &str| dir.join(name).to_str().unwrap().to_owned();
    vec!["-x".into(), "reload".into(), "-u".into(), path("urls"), "-c".into(), path("cache.db"), "-C".into(), path("config")]
}

/// newsboat's home is the run's own directory (nothing is read from or written to ~).
fn nb_envs(dir: &Path) -> [(&'static str, &Path); 3] {
    [("HOME", dir), ("XDG_CONFIG_HOME", dir), ("XDG_DATA_HOME", dir)]
}

/// A fresh directory with the urls file, a config (`reload-threads 8`) and no cache; one timed reload.
fn newsboat_cold(newsboat: &Path, urls: &[String]) -> (Measured, tempfile::TempDir, i64) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("urls"), urls.join("\n") + "\n").unwrap();
    std::fs::write(dir.path().join("config"), "# caliber bench: every feed is on 127.0.0.1\nreload-threads 8\n").unwrap();
    let args = nb_args(dir.path());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let m = run_measured(newsboat, &args, &nb_envs(dir.path()), None);
    let conn = Connection::open_with_flags(dir.path().join("cache.db"), OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let items: i64 = conn.query_row("SELECT count(*) FROM rss_item", [], |r| r.get(0)).unwrap();
    assert_eq!(items, SYNC_ARTICLES, "newsboat stored a different number of items; the comparison would not be fair");
    (m, dir, items)
}

fn newsboat_version(newsboat: Option<&Path>) -> String {
    newsboat
        .and_then(|p| Command::new(p).arg("-v").output().ok())
        .map(|o| String::from_utf8_lossy(&o.stdout).lines().next().unwrap_or("").split(" - ").next().unwrap_or("").trim().to_owned())
        .unwrap_or_default()
}
