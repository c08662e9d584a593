//! Child processes (wall time, peak RSS, CPU, "stored and listable"), the checks of a
//! caliber run, and the caliber and newsboat cases.

use super::*;

// Child processes: wall time, peak RSS, "stored and listable"
// ---------------------------------------------------------------------------------------

pub(crate) struct Measured {
    pub(crate) wall: Duration,
    pub(crate) peak_rss_kib: Option<u64>,
    pub(crate) cpu_user_s: Option<f64>,
    pub(crate) cpu_sys_s: Option<f64>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
    /// When `articles` first had the expected number of rows (polled every 5 ms).
    pub(crate) listable: Option<Duration>,
}

pub(crate) const GNU_TIME: &str = "/usr/bin/time";

/// Run `program args` to completion, timing it. With `poll`, a second thread polls the
/// database read-only every 5 ms for `count(*) FROM articles >= n`.
pub(crate) fn run_measured(program: &Path, args: &[&str], envs: &[(&str, &Path)], poll: Option<(&Path, i64)>) -> Measured {
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
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
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
    Measured { wall, peak_rss_kib, cpu_user_s, cpu_sys_s, stdout, stderr, listable }
}

pub(crate) fn poll_rows(db: &Path, rows: i64, t0: Instant, done: &AtomicBool) -> Option<Duration> {
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
pub(crate) fn poll_vm_hwm(pid: u32, done: &AtomicBool, hwm: &AtomicU64) {
    while !done.load(Ordering::SeqCst) {
        if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status"))
            && let Some(kib) = status.lines().find_map(|l| l.strip_prefix("VmHWM:")).and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            hwm.fetch_max(kib, Ordering::SeqCst);
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

pub(crate) fn run_quiet(program: &Path, args: &[&str]) -> String {
    let mut cmd = Command::new(program);
    cmd.args(args).stdin(Stdio::null());
    for var in PROXY_VARS {
        cmd.env_remove(var);
    }
    let out = cmd.output().unwrap_or_else(|e| panic!("spawn {}: {e}", program.display()));
    assert!(out.status.success(), "{} {:?} failed: {}", program.display(), args, String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub(crate) struct SyncJson {
    pub(crate) statuses: HashMap<String, usize>,
    pub(crate) new: u64,
    pub(crate) updated: u64,
    pub(crate) sources: usize,
    pub(crate) errors: Vec<String>,
}

pub(crate) fn parse_sync_json(stdout: &str) -> SyncJson {
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

pub(crate) fn assert_all_status(json: &SyncJson, status: &str, what: &str) {
    assert_eq!(json.sources, FEEDS, "{what}: expected {FEEDS} sources in the report");
    assert_eq!(json.statuses.get(status).copied().unwrap_or(0), FEEDS, "{what}: every source must report {status:?}; got {:?}; errors: {:?}", json.statuses, json.errors);
}

/// The stored corpus after a cold sync: count, sanitisation, absolute URLs, search.
pub(crate) fn verify_cold_db(db: &Path) {
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
    let core = Core::open(CoreConfig::at(db.to_path_buf(), HttpClient::new(FetchOptions::default()))).unwrap();
    for word in ["government", "minister economy", "правительство", "Президент"] {
        let hits = core.search(word, 20).unwrap();
        assert!(!hits.is_empty(), "search for {word:?} found nothing after the cold sync");
    }
}

// ---------------------------------------------------------------------------------------
// Statistics and the report

/// Fresh database, add the 50 sources (untimed), time `caliber sync --json` (with or without
/// pictures) while polling for 10,000 rows, then check the result (untimed).
pub(crate) fn cold_sync(caliber: &Path, server: &Server, urls: &[String], images: bool) -> (Measured, tempfile::TempDir, ServerCounts) {
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

pub(crate) fn log_cold(t0: Instant, what: &str, m: &Measured) {
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
pub(crate) fn nb_args(dir: &Path) -> Vec<String> {
    let path = |name: &str| dir.join(name).to_str().unwrap().to_owned();
    vec!["-x".into(), "reload".into(), "-u".into(), path("urls"), "-c".into(), path("cache.db"), "-C".into(), path("config")]
}

/// newsboat's home is the run's own directory (nothing is read from or written to ~).
pub(crate) fn nb_envs(dir: &Path) -> [(&'static str, &Path); 3] {
    [("HOME", dir), ("XDG_CONFIG_HOME", dir), ("XDG_DATA_HOME", dir)]
}

/// A fresh directory with the urls file, a config (`reload-threads 8`) and no cache; one timed reload.
pub(crate) fn newsboat_cold(newsboat: &Path, urls: &[String], expected: i64) -> (Measured, tempfile::TempDir, i64) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("urls"), urls.join("\n") + "\n").unwrap();
    std::fs::write(dir.path().join("config"), "# caliber bench: every feed is on 127.0.0.1\nreload-threads 8\n").unwrap();
    let args = nb_args(dir.path());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let m = run_measured(newsboat, &args, &nb_envs(dir.path()), None);
    let conn = Connection::open_with_flags(dir.path().join("cache.db"), OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let items: i64 = conn.query_row("SELECT count(*) FROM rss_item", [], |r| r.get(0)).unwrap();
    assert_eq!(items, expected, "newsboat stored a different number of items; the comparison would not be fair");
    (m, dir, items)
}

pub(crate) fn newsboat_version(newsboat: Option<&Path>) -> String {
    newsboat
        .and_then(|p| Command::new(p).arg("-v").output().ok())
        .map(|o| String::from_utf8_lossy(&o.stdout).lines().next().unwrap_or("").split(" - ").next().unwrap_or("").trim().to_owned())
        .unwrap_or_default()
}
