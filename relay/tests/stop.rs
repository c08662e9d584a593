//! Stopping the relay binary (SIGTERM, as systemd and `docker stop` do) while it polls.

mod common;

use std::process::Command;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{FixtureSite, RelayProcess, Seeded, Subscriber};

/// A push service that accepts connections and never answers holds the fan-out (the
/// client's timeout is 30 s per attempt, four attempts). A SIGTERM then must stop the relay
/// at once. It used to be lost: the relay listened for it only between polls, with a
/// listener made afresh each turn, so one that came during a poll was never seen, and
/// the process ran on (found by the fan-out bench: a relay killed mid-fan-out to 100,000
/// dead endpoints ignored three SIGTERMs over 20 minutes).
#[test]
fn sigterm_during_a_fan_out_stops_the_relay_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("relay.db");
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://127.0.0.1:{}/push/silent", silent.local_addr().unwrap().port());
    let (connected, connection) = mpsc::channel();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in silent.incoming().flatten() {
            held.push(stream);
            let _ = connected.send(());
        }
    });
    let subscriber = Subscriber::new();
    common::seed_subscriptions(&db, [Seeded::new("s".into(), endpoint, subscriber.p256dh(), subscriber.auth_b64(), "[\"ru\"]")]);

    let site = FixtureSite::start("normal");
    let mut relay = RelayProcess::start(&db, &site.url(), &[]);
    relay.wait_polls(2);
    site.set_mode("breaking");
    connection.recv_timeout(Duration::from_secs(20)).expect("the fan-out reaches the silent push service");

    let status = Command::new("kill").args(["-TERM", &relay.pid().to_string()]).status().unwrap();
    assert!(status.success());
    let start = Instant::now();
    while relay.exited().is_none() {
        assert!(start.elapsed() < Duration::from_secs(5), "the relay ignored SIGTERM during a fan-out:\n{}", relay.log_text());
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(relay.log_text().contains("caliber-relay: stopped"), "{}", relay.log_text());
}
