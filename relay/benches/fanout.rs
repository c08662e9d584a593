//! One breaking story's Web Push fan-out to N subscriptions, measured on the real relay
//! binary (BENCHMARKS.md, "Issue 16: one story's Web Push fan-out").
//!
//! For each N (`CALIBER_FANOUT_SIZES`, default "10000,100000") and each run
//! (`CALIBER_FANOUT_RUNS`, default 3), in a fresh temp dir:
//!
//! 1. the fixture site (tests/fixture-server/server.py, mode `normal`) on free ports, and a
//!    push endpoint in this process (axum on 127.0.0.1) that answers 201, counts the
//!    requests per subscription and records when each arrived;
//! 2. N Web Push subscriptions written into the relay's SQLite file (the relay's own
//!    migration, then one transaction), edition `ru`, each with its own endpoint URL
//!    (`/push/<i>`) and one of 16 subscriber key pairs;
//! 3. the relay binary (`--interval 1 --allow-http-endpoints`, push concurrency its default
//!    unless `CALIBER_FANOUT_CONCURRENCY`), left to make its baseline and settle; then idle
//!    RSS and CPU per idle poll; then the site switches to `breaking` and the bench waits
//!    for N requests and the relay's "poll:" line reporting N delivered.
//!
//! Figures: switch → first and N-th request at the endpoint, requests per second, the
//! relay's CPU (utime + stime from /proc/PID/stat) over that poll, its peak RSS (VmHWM) and
//! RSS afterwards. Each subscription must get exactly one request; a sample of bodies (every
//! 1000th subscription, the last, and the first and last to arrive) is decrypted with the
//! subscriber's keys (RFC 8291, tests/common's independent implementation) and checked.
//! Prints a markdown table and writes it to target/bench-fanout.md.

#[path = "../tests/common/mod.rs"]
mod common;

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use clap::Parser;
use common::{FixtureSite, RelayProcess, Seeded, Subscriber};

const RELAY: &str = env!("CARGO_BIN_EXE_caliber-relay");
const KEY_PAIRS: usize = 16;
const EDITION: &str = "ru";
const EDITIONS: &str = "[\"ru\"]";
const BREAKING_TITLE: &str = "Срочно: землетрясение магнитудой 5 в Каспийском море";
const TIMEOUT: Duration = Duration::from_secs(900);

// ---- the push endpoint ----

struct Endpoint {
    base: Instant,
    /// Requests per subscription index.
    counts: Vec<AtomicU32>,
    /// Nanoseconds after `base` (+1; 0: none yet) of each subscription's first request.
    arrived: Vec<AtomicU64>,
    total: AtomicUsize,
    stray: AtomicUsize,
    /// Bodies kept for decryption: index → (Content-Encoding, body).
    samples: Mutex<HashMap<usize, (String, axum::body::Bytes)>>,
    sample_every: usize,
    n: usize,
}

impl Endpoint {
    fn new(n: usize) -> Self {
        Self {
            base: Instant::now(),
            counts: (0..n).map(|_| AtomicU32::new(0)).collect(),
            arrived: (0..n).map(|_| AtomicU64::new(0)).collect(),
            total: AtomicUsize::new(0),
            stray: AtomicUsize::new(0),
            samples: Mutex::new(HashMap::new()),
            sample_every: 1000,
            n,
        }
    }

    fn at(&self, nanos: u64) -> Instant {
        self.base + Duration::from_nanos(nanos - 1)
    }
}

async fn receive(
    State(ep): State<Arc<Endpoint>>,
    UrlPath(i): UrlPath<usize>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> StatusCode {
    if i >= ep.n {
        ep.stray.fetch_add(1, Ordering::Relaxed);
        return StatusCode::NOT_FOUND;
    }
    let now = ep.base.elapsed().as_nanos() as u64 + 1;
    let _ = ep.arrived[i].compare_exchange(0, now, Ordering::Relaxed, Ordering::Relaxed);
    ep.counts[i].fetch_add(1, Ordering::Relaxed);
    let seen = ep.total.fetch_add(1, Ordering::Relaxed) + 1;
    // Kept, not decrypted here: the endpoint shares the machine with the relay.
    if i % ep.sample_every == 0 || i == ep.n - 1 || seen == 1 || seen == ep.n {
        let encoding = headers.get("content-encoding").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        ep.samples.lock().unwrap().entry(i).or_insert((encoding, body));
    }
    StatusCode::CREATED
}

async fn start_endpoint(n: usize) -> (Arc<Endpoint>, u16) {
    let ep = Arc::new(Endpoint::new(n));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = axum::Router::new().route("/push/{i}", post(receive)).with_state(ep.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (ep, port)
}

// ---- the relay's database ----

fn seed(db: &Path, n: usize, port: u16, keys: &[Subscriber]) {
    let encoded: Vec<(String, String)> = keys.iter().map(|k| (k.p256dh(), k.auth_b64())).collect();
    common::seed_subscriptions(
        db,
        (0..n).map(|i| {
            let (p256dh, auth) = encoded[i % keys.len()].clone();
            Seeded::new(format!("bench-{i:08}"), format!("http://127.0.0.1:{port}/push/{i}"), p256dh, auth, EDITIONS)
        }),
    );
}

// ---- the relay process (common::RelayProcess) ----

fn poll_lines(relay: &RelayProcess) -> Vec<String> {
    relay.log_text().lines().filter(|l| l.contains("caliber-relay: poll:")).map(str::to_owned).collect()
}

async fn wait_for(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < timeout, "timed out after {timeout:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Requests the fixture site has answered so far.
async fn site_hits(control_port: u16) -> u64 {
    let url = format!("http://127.0.0.1:{control_port}/");
    let body: serde_json::Value = serde_json::from_str(&reqwest::get(&url).await.unwrap().text().await.unwrap()).unwrap();
    body["hits"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum()
}

// ---- one run ----

#[derive(Debug, Clone)]
struct Run {
    n: usize,
    seed_s: f64,
    idle_rss: f64,
    idle_cpu_per_poll_ms: f64,
    first_ms: f64,
    /// Switch → the relay's next poll begins (its first request to the site).
    wait_ms: f64,
    /// That poll's start → the first push.
    poll_first_ms: f64,
    last_s: f64,
    spread_s: f64,
    per_second: f64,
    poll_done_s: f64,
    cpu_s: f64,
    cpu_ms_per_push: f64,
    hwm: f64,
    rss_after: f64,
    exactly_once: bool,
    decrypted: usize,
    load: String,
}

async fn run_once(n: usize, concurrency: Option<usize>, keys: &Arc<Vec<Subscriber>>) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("relay.db");
    let site = FixtureSite::start("normal");
    let (ep, port) = start_endpoint(n).await;
    let seeding = Instant::now();
    seed(&db, n, port, keys);
    let seed_s = seeding.elapsed().as_secs_f64();

    let (relay_db, site_url) = (db.clone(), site.url());
    let extra: Vec<String> = concurrency.map(|c| vec!["--push-concurrency".into(), c.to_string()]).unwrap_or_default();
    let relay = tokio::task::spawn_blocking(move || {
        let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
        RelayProcess::start(&relay_db, &site_url, &extra)
    })
    .await
    .unwrap();
    // The baseline poll and two more: the first polls settled.
    wait_for("three polls", Duration::from_secs(120), || poll_lines(&relay).len() >= 3).await;
    let (cpu0, polls0) = (relay.cpu_seconds(), poll_lines(&relay).len());
    tokio::time::sleep(Duration::from_secs(5)).await;
    let (cpu1, polls1) = (relay.cpu_seconds(), poll_lines(&relay).len());
    let idle_cpu_per_poll_ms = (cpu1 - cpu0) * 1000.0 / (polls1 - polls0).max(1) as f64;
    let idle_rss = relay.memory_mib("VmRSS");
    assert_eq!(ep.total.load(Ordering::Relaxed), 0, "the baseline announced something");

    // Publish at a random moment of the relay's interval (its polls are phase-locked to the
    // wait above), and note when the poll that finds the story starts: its first request to
    // the site (the fixture's hit counts, read every 2 ms until they move).
    tokio::time::sleep(Duration::from_millis(rand::random_range(0..1000))).await;
    let polls_before = poll_lines(&relay).len();
    let cpu_before = relay.cpu_seconds();
    let hits_before = site_hits(site.control_port).await;
    let switched = Instant::now();
    site.set_mode_async("breaking").await;
    let control = site.control_port;
    let poll_started = tokio::spawn(async move {
        while site_hits(control).await <= hits_before {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        Instant::now()
    });
    wait_for(&format!("{n} push requests"), TIMEOUT, || ep.total.load(Ordering::Relaxed) >= n).await;
    let delivered = format!("{n} delivered");
    wait_for("the fan-out's poll line", TIMEOUT, || poll_lines(&relay)[polls_before..].iter().any(|l| l.contains(&delivered))).await;
    let poll_done_s = switched.elapsed().as_secs_f64();
    let cpu_s = relay.cpu_seconds() - cpu_before;
    // Polls in the window: the fan-out's, and any that had begun before the switch.
    let window_polls = poll_lines(&relay).len() - polls_before;
    let hwm = relay.memory_mib("VmHWM");
    // Two more polls: nothing is sent twice, and memory after the fan-out.
    let polls_now = poll_lines(&relay).len();
    wait_for("two more polls", Duration::from_secs(60), || poll_lines(&relay).len() >= polls_now + 2).await;
    let rss_after = relay.memory_mib("VmRSS");

    let times: Vec<Instant> =
        ep.arrived.iter().map(|a| a.load(Ordering::Relaxed)).filter(|&t| t > 0).map(|t| ep.at(t)).collect();
    let first = *times.iter().min().unwrap();
    let poll_started = poll_started.await.unwrap();
    let last = *times.iter().max().unwrap();
    let exactly_once = ep.counts.iter().all(|c| c.load(Ordering::Relaxed) == 1)
        && ep.total.load(Ordering::Relaxed) == n
        && ep.stray.load(Ordering::Relaxed) == 0;
    let failures: Vec<String> = poll_lines(&relay)[polls_before..]
        .iter()
        .filter(|l| !l.contains(" 0 failed") || !l.contains(" 0 removed"))
        .cloned()
        .collect();
    assert!(failures.is_empty(), "pushes failed or were removed: {failures:?}");
    assert!(
        exactly_once,
        "each subscription exactly once: total {}, stray {}, counts ≠ 1: {}",
        ep.total.load(Ordering::Relaxed),
        ep.stray.load(Ordering::Relaxed),
        ep.counts.iter().filter(|c| c.load(Ordering::Relaxed) != 1).count()
    );

    // The payload is real: decrypt the samples with their subscribers' keys.
    let samples = std::mem::take(&mut *ep.samples.lock().unwrap());
    for (i, (encoding, body)) in &samples {
        assert_eq!(encoding, "aes128gcm", "subscription {i}: Content-Encoding");
        let plain = keys[i % keys.len()].decrypt(body).unwrap_or_else(|e| panic!("subscription {i}: {e}"));
        let message: serde_json::Value = serde_json::from_slice(&plain).unwrap();
        assert_eq!(message["kind"], "story", "subscription {i}: {message}");
        assert_eq!(message["edition"], EDITION);
        assert_eq!(message["breaking"], true);
        assert_eq!(message["title"], BREAKING_TITLE);
    }
    // Two identical bodies would mean a reused salt or ephemeral key.
    let mut bodies: Vec<&[u8]> = samples.values().map(|(_, b)| &b[..]).collect();
    bodies.sort();
    bodies.dedup();
    assert_eq!(bodies.len(), samples.len(), "every request is encrypted anew");

    let spread_s = (last - first).as_secs_f64();
    let idle_polls_s = idle_cpu_per_poll_ms / 1000.0 * window_polls as f64;
    drop(relay);
    Run {
        n,
        seed_s,
        idle_rss,
        idle_cpu_per_poll_ms,
        first_ms: (first - switched).as_secs_f64() * 1000.0,
        wait_ms: (poll_started - switched).as_secs_f64() * 1000.0,
        poll_first_ms: (first - poll_started).as_secs_f64() * 1000.0,
        last_s: (last - switched).as_secs_f64(),
        spread_s,
        per_second: n as f64 / spread_s.max(1e-9),
        poll_done_s,
        cpu_s,
        // A poll's own work (sync, policy) is what an idle poll costs; the rest is per push.
        cpu_ms_per_push: (cpu_s - idle_polls_s).max(0.0) * 1000.0 / n as f64,
        hwm,
        rss_after,
        exactly_once,
        decrypted: samples.len(),
        load: loadavg(),
    }
}

// ---- the encryption alone ----

/// CPU seconds of the calling thread (utime + stime).
fn thread_cpu(tick: f64) -> f64 {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split_whitespace().collect();
    (fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()) as f64 / tick
}

/// What the relay does per subscriber before the request goes out, in-process on one thread:
/// decode the subscriber's key and auth secret, then RFC 8291 encryption (a fresh P-256 key
/// pair and salt, ECDH, HKDF, AES-128-GCM) by `web-push-native`, as `WebPush::send` does.
/// Returns CPU microseconds per message.
fn encryption_cost(keys: &[Subscriber], tick: f64) -> f64 {
    let alert = caliber_relay::push::Alert::Story {
        edition: EDITION.into(),
        title: BREAKING_TITLE.into(),
        source: "Caliber.az".into(),
        url: Some("https://caliber.az/post/srochno-zemletryasenie".into()),
        breaking: true,
        story: "img:https://caliber.az/uploads/pic2.png".into(),
    };
    let payload = serde_json::to_vec(&alert).unwrap();
    let encoded: Vec<(String, String)> = keys.iter().map(|k| (k.p256dh(), k.auth_b64())).collect();
    let n = 3000;
    let cpu = thread_cpu(tick);
    for i in 0..n {
        let (p256dh, auth) = &encoded[i % encoded.len()];
        let key = caliber_relay::push::webpush::decode_p256dh(p256dh).unwrap();
        let auth = caliber_relay::push::webpush::decode_auth(auth).unwrap();
        let uri: http::Uri = format!("http://127.0.0.1:1/push/{i}").parse().unwrap();
        let request = web_push_native::WebPushBuilder::new(uri, key, auth).build(payload.clone()).unwrap();
        std::hint::black_box(request);
    }
    (thread_cpu(tick) - cpu) * 1e6 / n as f64
}

// ---- reporting ----

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg").unwrap_or_default().split_whitespace().take(3).collect::<Vec<_>>().join(" ")
}

fn clk_tck() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let m = v.len() / 2;
    if v.len() % 2 == 1 { v[m] } else { (v[m - 1] + v[m]) / 2.0 }
}

fn env_list(name: &str, default: &str) -> Vec<usize> {
    std::env::var(name)
        .unwrap_or_else(|_| default.into())
        .split(',')
        .map(|s| s.trim().replace('_', "").parse().unwrap_or_else(|_| panic!("{name}: {s:?} is not a number")))
        .collect()
}

fn row(label: &str, r: &Run) -> String {
    format!(
        "| {} | {} | {:.0} | {:.1} | {:.0} | {:.0} | {:.0} | {:.2} | {:.2} | {:.0} | {:.2} | {:.2} | {:.3} | {:.0} | {:.0} | {} | {} |",
        r.n,
        label,
        r.idle_rss,
        r.idle_cpu_per_poll_ms,
        r.first_ms,
        r.wait_ms,
        r.poll_first_ms,
        r.last_s,
        r.spread_s,
        r.per_second,
        r.poll_done_s,
        r.cpu_s,
        r.cpu_ms_per_push,
        r.hwm,
        r.rss_after,
        if r.exactly_once { "yes" } else { "NO" },
        r.decrypted,
    )
}

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() {
    let started = Instant::now();
    let sizes = env_list("CALIBER_FANOUT_SIZES", "10000,100000");
    let runs = env_list("CALIBER_FANOUT_RUNS", "3")[0].max(1);
    let concurrency = std::env::var("CALIBER_FANOUT_CONCURRENCY").ok().map(|c| c.parse::<usize>().expect("a number"));
    let default_concurrency = caliber_relay::Config::parse_from(["caliber-relay"]).push_concurrency;
    let used = concurrency.unwrap_or(default_concurrency);
    let tick = clk_tck();
    let load_start = loadavg();
    let begun = chrono::Utc::now();
    eprintln!("fanout: relay {RELAY}, sizes {sizes:?}, {runs} run(s) each, push concurrency {used}, load {load_start}");
    let keys: Arc<Vec<Subscriber>> = Arc::new((0..KEY_PAIRS).map(|_| Subscriber::new()).collect());
    let encryption_us = encryption_cost(&keys, tick);
    eprintln!("fanout: decoding the key and encrypting one message: {encryption_us:.0} µs of CPU (one thread, in-process)");

    let mut all: Vec<Run> = Vec::new();
    for &n in &sizes {
        for k in 0..runs {
            let r = run_once(n, concurrency, &keys).await;
            eprintln!(
                "fanout: N={n} run {}: first {:.0} ms (poll start → first {:.0} ms), N-th {:.2} s, {:.0}/s, CPU {:.2} s ({:.3} ms/push), idle RSS {:.0} MiB, peak {:.0} MiB, after {:.0} MiB, load {}",
                k + 1,
                r.first_ms,
                r.poll_first_ms,
                r.last_s,
                r.per_second,
                r.cpu_s,
                r.cpu_ms_per_push,
                r.idle_rss,
                r.hwm,
                r.rss_after,
                r.load
            );
            all.push(r);
        }
    }
    let load_end = loadavg();

    let mut out = String::new();
    out += &format!(
        "Web Push fan-out of one breaking story, relay {} (release), push concurrency {used}{}, {} s poll interval, {} subscriber key pairs; {}–{} UTC; load average at start {load_start}, at end {load_end}; {} CPUs; whole bench {:.0} s.\n\n",
        env!("CARGO_PKG_VERSION"),
        if concurrency.is_none() { " (the default)" } else { "" },
        1,
        KEY_PAIRS,
        begun.format("%Y-%m-%d %H:%M"),
        chrono::Utc::now().format("%H:%M"),
        std::thread::available_parallelism().map(|p| p.get()).unwrap_or(0),
        started.elapsed().as_secs_f64()
    );
    out += "| N | run | idle RSS MiB | idle CPU per poll ms | switch → first push ms | of which: wait for the next poll ms | poll start → first push ms | switch → N-th push s | first → N-th s | pushes/s | switch → poll done s | relay CPU s | CPU ms per push | peak RSS (VmHWM) MiB | RSS after MiB | each exactly once | decrypted |\n";
    out += "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
    for &n in &sizes {
        let mine: Vec<&Run> = all.iter().filter(|r| r.n == n).collect();
        let m = |f: fn(&Run) -> f64| median(mine.iter().map(|r| f(r)).collect());
        let med = Run {
            n,
            seed_s: m(|r| r.seed_s),
            idle_rss: m(|r| r.idle_rss),
            idle_cpu_per_poll_ms: m(|r| r.idle_cpu_per_poll_ms),
            first_ms: m(|r| r.first_ms),
            wait_ms: m(|r| r.wait_ms),
            poll_first_ms: m(|r| r.poll_first_ms),
            last_s: m(|r| r.last_s),
            spread_s: m(|r| r.spread_s),
            per_second: m(|r| r.per_second),
            poll_done_s: m(|r| r.poll_done_s),
            cpu_s: m(|r| r.cpu_s),
            cpu_ms_per_push: m(|r| r.cpu_ms_per_push),
            hwm: m(|r| r.hwm),
            rss_after: m(|r| r.rss_after),
            exactly_once: mine.iter().all(|r| r.exactly_once),
            decrypted: mine.iter().map(|r| r.decrypted).sum(),
            load: String::new(),
        };
        out += &(row(&format!("**median of {}**", mine.len()), &med) + "\n");
        for (k, r) in mine.iter().enumerate() {
            out += &(row(&format!("{} (load {})", k + 1, r.load), r) + "\n");
        }
    }
    out += &format!(
        "\nDecoding a subscriber's key and encrypting one message (RFC 8291, `web-push-native`, as `WebPush::send` does), in-process on one thread: {encryption_us:.0} µs of CPU.\n"
    );
    out += "\nSeeding the subscriptions (one SQLite transaction): ";
    out += &sizes
        .iter()
        .map(|&n| format!("{n}: {:.2} s", median(all.iter().filter(|r| r.n == n).map(|r| r.seed_s).collect())))
        .collect::<Vec<_>>()
        .join(", ");
    out += ".\n";
    println!("{out}");
    let target = Path::new(RELAY).parent().and_then(Path::parent).expect("the target dir");
    let path = target.join("bench-fanout.md");
    std::fs::write(&path, &out).unwrap();
    eprintln!("fanout: wrote {}", path.display());
}
