//! The relay when its log cannot be written: stderr on a full disk (`/dev/full`, which
//! refuses every write), as when the log file's disk fills under a long-running relay.
#![cfg(target_os = "linux")]

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{FixtureSite, PushEndpoint, Seeded};

/// The relay keeps serving and polling, and a breaking story still reaches its subscriber:
/// a log line that cannot be written is dropped. It used to panic at its first line (`API
/// on …`) and exit with status 101 before it served anything.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_whose_log_disk_is_full_still_serves_and_delivers() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("relay.db");
    let site = FixtureSite::start("normal");
    let push = PushEndpoint::start().await;
    let subscriber = push.add("ru");
    common::seed_subscriptions(&db, [Seeded::new("ru".into(), push.endpoint("ru"), subscriber.p256dh(), subscriber.auth_b64(), "[\"ru\"]")]);

    // Its log is where the port is said, so the port is chosen here.
    let port = common::free_port();
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").expect("/dev/full");
    let mut relay = Command::new(env!("CARGO_BIN_EXE_caliber-relay"))
        .args(["--db", db.to_str().unwrap(), "--listen", &format!("127.0.0.1:{port}"), "--site", &site.url()])
        .args(["--interval", "1", "--allow-http-endpoints", "--push-backoff-ms", "50"])
        .stdout(Stdio::null())
        .stderr(full)
        .spawn()
        .expect("the relay binary starts");
    let alive = |relay: &mut std::process::Child| {
        if let Some(status) = relay.try_wait().unwrap() {
            panic!("the relay exited ({status}) with its log on a full disk");
        }
    };

    let client = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/v1/vapid-public-key");
    let start = Instant::now();
    loop {
        alive(&mut relay);
        if client.get(&url).send().await.is_ok_and(|r| r.status() == 200) {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "the relay's API never answered");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // A few polls of the base set (the first is the baseline, which announces nothing), then
    // the breaking story.
    tokio::time::sleep(Duration::from_secs(3)).await;
    alive(&mut relay);
    assert!(push.received("ru").is_empty(), "the baseline announced something");
    site.set_mode_async("breaking").await;
    let start = Instant::now();
    while push.received("ru").is_empty() {
        alive(&mut relay);
        assert!(start.elapsed() < Duration::from_secs(20), "the breaking story never reached the subscriber");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(push.errors().is_empty(), "the endpoint could not decrypt or check: {:?}", push.errors());
    alive(&mut relay);
    relay.kill().unwrap();
    relay.wait().unwrap();
}
