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

include!("../corpus/gen.rs");

mod app;
mod measure;
mod report;
mod search;
mod text;
mod server;
mod shapes;

use app::*;
use measure::*;
use report::*;
use search::*;
use server::*;
use shapes::*;

// ---------------------------------------------------------------------------------------

fn main() {
    // `cargo bench` passes `--bench`; nothing to parse.
    let t0 = Instant::now();
    let load_at_start = load_average();
    if std::env::var("CALIBER_BENCH_ONLY").is_ok_and(|v| v == "app-db") {
        // The app's 100k database alone (app.rs), for tests/e2e/bench-app.js.
        app_db(t0);
        return;
    }
    if std::env::var("CALIBER_BENCH_ONLY").is_ok_and(|v| v == "text") {
        // Sanitising and the index's text alone, on one thread (text.rs).
        text::text_bench(t0);
        return;
    }
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
        let search = measure_search(&Vocab::new(), &caliber, runs, t0);
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
    if let Some(serve) = std::env::var_os("CALIBER_BENCH_SERVE") {
        // For profiling by hand: serve the corpus until killed, or one of the shapes with
        // CALIBER_BENCH_SERVE=SHAPE:ARTICLES (e.g. mixed:20000).
        // GET /control/validators/off (or /on) switches the ETag mode.
        let serve = serve.to_string_lossy().into_owned();
        let urls = match serve.split_once(':') {
            Some((name, size)) => {
                let shape = CorpusShape::ALL.into_iter().find(|s| s.name() == name).expect("CALIBER_BENCH_SERVE: a shape's name");
                let size = size.parse().expect("CALIBER_BENCH_SERVE: a number of articles");
                server.serve(generate_shape(&vocab, &origin, shape, size).docs)
            }
            None => urls,
        };
        for url in &urls {
            println!("{url}");
        }
        log(t0, format!("serving on {origin} until killed (CALIBER_BENCH_SERVE)"));
        loop {
            std::thread::park();
        }
    }

    // The corpus shapes × sizes against newsboat (shapes.rs). Alone with
    // CALIBER_BENCH_QUICK=1 (2,000 articles, 1 run) or CALIBER_BENCH_ONLY=shapes; otherwise
    // after the cases below.
    let quick = std::env::var("CALIBER_BENCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0");
    let shape_runs: usize = std::env::var("CALIBER_BENCH_SHAPE_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(if quick { 1 } else { 3 }).max(1);
    let sizes: Vec<usize> = std::env::var("CALIBER_BENCH_SIZES")
        .ok()
        .map(|v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| if quick { vec![2000] } else { vec![2000, 10_000, 20_000] });
    let shapes: Vec<CorpusShape> = std::env::var("CALIBER_BENCH_SHAPES")
        .ok()
        .map(|v| CorpusShape::ALL.into_iter().filter(|s| v.split(',').any(|n| n.trim() == s.name())).collect())
        .unwrap_or_else(|| CorpusShape::ALL.to_vec());
    let run_all_shapes = |t0: Instant| {
        let baseline = std::env::var_os("CALIBER_BENCH_BASELINE").map(PathBuf::from);
        let rows = run_shapes(&caliber, baseline.as_deref(), newsboat.as_deref(), &server, &vocab, &origin, &sizes, &shapes, shape_runs, t0);
        let table = shapes_table(&rows);
        let before = baseline_table(&rows).map(|t| {
            let text = format!("Before and after (`CALIBER_BENCH_BASELINE` = {}):\n\n", baseline.as_ref().map_or(String::new(), |b| b.display().to_string()));
            (format!("{text}{}", t.text()), format!("{text}{}", t.markdown()))
        });
        let note = format!(
            "Shapes: medians of {shape_runs} cold `caliber sync --no-images` runs, each followed by a cold `newsboat -x reload` (8 threads) \
             on the same items: newsboat reads no JSON Feed, so it gets each JSON Feed's items as an RSS twin (the last two \
             columns: newsboat on the XML feeds alone, without them, against caliber on all the feeds and on the same XML feeds). Load average (1, 5, 15 min) at the end of the shapes: {}. Machine: {}. \
             CPU by phase comes from `CALIBER_PHASE_CPU` (thread CPU time per phase); fetch+rest is the process's CPU time less the four phases.",
            load_average(),
            machine()
        );
        (table, before, note)
    };
    if quick || std::env::var("CALIBER_BENCH_ONLY").is_ok_and(|v| v == "shapes") {
        let (table, before, note) = run_all_shapes(t0);
        let (before_text, before_md) = before.unwrap_or_default();
        println!("\n{}\n- {note}\n- Load average at the start: {load_at_start}.\n\n{before_text}", table.text());
        let out = target_dir().join("bench-shapes.md");
        let md = format!("# caliber sync benchmark: corpus shapes\n\n{}\n- {note}\n- Load average at the start: {load_at_start}.\n\n{before_md}", table.markdown());
        match std::fs::write(&out, md) {
            Ok(()) => println!("\nwritten to {}", out.display()),
            Err(e) => eprintln!("could not write {}: {e}", out.display()),
        }
        return;
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
            let (m, dir, items) = newsboat_cold(newsboat, &urls, SYNC_ARTICLES);
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
    let search = measure_search(&vocab, &caliber, runs, t0);

    // 3g. The corpus shapes (they replace the feeds the server serves).
    let (shapes_table, shapes_before, shapes_note) = run_all_shapes(t0);
    let (before_text, before_md) = shapes_before.unwrap_or_default();

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
    println!("\n{}\n- {shapes_note}\n\n{before_text}", shapes_table.text());
    for n in &notes {
        println!("- {n}");
    }
    let md = format!(
        "# caliber sync benchmark\n\n{}\n{}\n## Corpus shapes\n\n{}\n- {shapes_note}\n\n{before_md}",
        table.markdown(),
        notes.iter().map(|n| format!("- {n}\n")).collect::<String>(),
        shapes_table.markdown()
    );
    let out = target_dir().join("bench-sync.md");
    match std::fs::write(&out, md) {
        Ok(()) => println!("\nwritten to {}", out.display()),
        Err(e) => eprintln!("could not write {}: {e}", out.display()),
    }
}

