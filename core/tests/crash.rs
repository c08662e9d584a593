//! Crash safety, the fast runs (part of `cargo test`): 10 SIGKILLs of `caliber sync` over a
//! small corpus, 3 of the real app while it syncs, and a database on a full filesystem. The harness and its knobs are in
//! `crash_harness/`; the long runs are `crash_long.rs` (docs/reliability/crash.md).

mod crash_harness;

use crash_harness::*;
use std::io::Write as _;

/// 10 kills over a small corpus: part of `cargo test`.
#[test]
fn cli_kills_fast() {
    let shape = Shape { feeds: 8, window: 30, new_per_gen: 3, revise_every: 6 };
    let figures = run_cli_kills(env_usize("CALIBER_CRASH_FAST_KILLS", 10), shape);
    figures.report();
    assert!(figures.failures.is_empty(), "{:#?}", figures.failures);
}

/// 3 kills of the real app while it syncs (`target/debug/caliber-app`, built by
/// `cargo test --workspace` before any test runs; `CALIBER_APP_BINARY` names another).
/// Here rather than in `crash_long.rs`: a run of that file alone (`--test crash_long`)
/// resolves the dependencies' features differently and rebuilt half the tree, 7 minutes of
/// `./dev test` on 2 cores.
#[test]
fn app_kills_fast() {
    let shape = Shape { feeds: 6, window: 30, new_per_gen: 3, revise_every: 25 };
    let figures = run_app_kills(env_usize("CALIBER_CRASH_FAST_APP_KILLS", 3), shape);
    figures.report();
    assert!(figures.failures.is_empty(), "{:#?}", figures.failures);
}

/// A sync that fills the disk says so, in words, and stops; the database stays intact with
/// every mark; once there is room again the next sync stores and indexes everything.
#[test]
fn disk_full_is_reported_and_recovered() {
    let fs = SmallFs::mount(64 * 1024);
    let db = fs.path().join("caliber.db");
    let shape = Shape { feeds: 4, window: 60, new_per_gen: 30, revise_every: 4 };
    let mut server = CorpusServer::start(shape);
    let marks = seed(&db, &server);
    check_db(&db, &marks).expect("seeded database");
    let before = check_db(&db, &marks).unwrap();

    // Room for a few pages more, not for 120 new articles and their pictures.
    let used = fs.used_kib();
    fs.resize(used + 192);
    let mut messages = Vec::new();
    for attempt in 0..2 {
        server.next_generation();
        let out = caliber(&db, &["sync"]);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        println!("sync on a full disk (attempt {attempt}): {}; stderr: {stderr}", out.status);
        assert!(!out.status.success(), "a sync on a full disk must fail; stdout: {}", String::from_utf8_lossy(&out.stdout));
        assert!(stderr.contains("the disk is full"), "unclear error on a full disk: {stderr}");
        messages.push(stderr.trim().to_string());
        let state = check_db(&db, &marks).unwrap_or_else(|f| panic!("database damaged by a full disk: {f:#?}"));
        assert!(state.articles >= before.articles, "articles lost: {} → {}", before.articles, state.articles);
    }
    // The reader can still read and mark while the disk is full.
    caliber_ok(&db, &["articles", "--limit", "5"]);

    fs.resize(256 * 1024);
    server.next_generation();
    let out = caliber_ok(&db, &["sync"]);
    println!("sync after space was freed: {}", out.trim());
    let after = final_sync_and_search(&db, &marks).unwrap_or_else(|f| panic!("after space was freed: {f:#?}"));
    assert!(after.articles >= before.articles + (shape.feeds * shape.new_per_gen * 2) as i64, "{} articles after, {} before", after.articles, before.articles);
    let text = format!(
        "### Disk full\n\n| figure | value |\n|---|---|\n| filesystem | tmpfs, 64 MiB for the seed sync, then {} KiB ({} used + 192) |\n| corpus | {} feeds × {} items, +{} new per feed per sync, pictures on |\n| error (CLI stderr) | `{}` |\n| after the failed syncs | integrity_check ok, FTS5 integrity-check ok, {} marks kept, {} articles |\n| after resizing to 256 MiB | sync ok; {} articles, all indexed; {} pictures |\n",
        used + 192,
        used,
        shape.feeds,
        shape.window,
        shape.new_per_gen,
        messages[0],
        marks.read.len() + marks.saved.len(),
        before.articles,
        after.articles,
        after.images
    );
    println!("{text}");
    if let Some(path) = std::env::var_os("CALIBER_CRASH_REPORT") {
        let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path).unwrap();
        let _ = writeln!(f, "{text}");
    }
}
