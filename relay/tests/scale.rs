//! The relay with many subscriptions (the figures are `benches/fanout.rs`, BENCHMARKS.md).

mod common;

use common::{FixtureSite, RelayProcess, Seeded};

/// A poll that brings nothing new must not read every subscription. Working out the
/// editions' sections and keywords (`Store::interests`, a scan of every subscription's JSON
/// per edition) on every poll, whether or not anything had arrived, cost 866 ms of CPU per
/// poll here (200,000 subscriptions), 32 ms without it; 207 ms per poll at 100,000 in the
/// release bench.
#[test]
fn an_idle_poll_does_not_scan_200k_subscriptions() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("relay.db");
    common::seed_subscriptions(
        &db,
        (0..200_000).map(|i| Seeded {
            sections: "[\"культура\"]",
            keywords: "[\"нефть\"]",
            ..Seeded::new(format!("s{i}"), format!("https://push.example/{i}"), "key".into(), "auth".into(), "[\"ru\",\"en\"]")
        }),
    );

    let site = FixtureSite::start("normal");
    let relay = RelayProcess::start(&db, &site.url(), &[]);
    // The baseline, then idle polls: the site is unchanged (conditional GET, 304).
    relay.wait_polls(2);
    let (cpu, polls) = (relay.cpu_seconds(), relay.polls());
    relay.wait_polls(5);
    let per_poll = (relay.cpu_seconds() - cpu) / (relay.polls() - polls) as f64;
    eprintln!("an idle poll with 200,000 subscriptions: {:.0} ms of CPU", per_poll * 1000.0);
    assert!(per_poll < 0.15, "an idle poll took {:.0} ms of CPU with 200,000 subscriptions:\n{}", per_poll * 1000.0, relay.log_text());
}

/// A push service that is down must not hold the poll for every subscriber's retries (with
/// 100,000 of them about 1.5 hours at the default backoff, during which no story went out to
/// anyone and no poll ran). 5,000 subscriptions on a push service that refuses connections
/// and, last in line, one reader on a working one: the reader gets the breaking story
/// promptly, and the relay says it gave up on the dead service. Without the give-up it took
/// the reader about 30 s here (5,000 × 4 attempts with 50/100/200 ms waits, 64 at a time).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_service_that_is_down_does_not_hold_up_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("relay.db");
    let push = common::PushEndpoint::start().await;
    let reader = push.add("reader");
    let dead = common::free_port(); // nothing listens there: connections are refused
    let (p256dh, auth) = (reader.p256dh(), reader.auth_b64());
    let dead_ones = (0..5_000).map(|i| {
        let endpoint = format!("http://127.0.0.1:{dead}/push/{i}");
        Seeded::new(format!("dead{i:05}"), endpoint, p256dh.clone(), auth.clone(), "[\"ru\"]")
    });
    let last_in_line = Seeded::new("zz-reader".into(), push.endpoint("reader"), p256dh.clone(), auth.clone(), "[\"ru\"]");
    common::seed_subscriptions(&db, dead_ones.chain([last_in_line]));

    let site = common::FixtureSite::start("normal");
    let site_url = site.url();
    let relay = tokio::task::spawn_blocking(move || {
        let relay = RelayProcess::start(&db, &site_url, &[]);
        relay.wait_polls(2);
        relay
    })
    .await
    .unwrap();
    site.set_mode_async("breaking").await;
    let published = std::time::Instant::now();
    let p = push.clone();
    tokio::task::spawn_blocking(move || {
        common::wait_until("the reader's push", std::time::Duration::from_secs(60), || !p.received("reader").is_empty())
    })
    .await
    .unwrap();
    let took = published.elapsed();
    // The fan-out, and so the poll, ends: the next poll is not held up either.
    let log = relay.log.clone();
    tokio::task::spawn_blocking(move || {
        common::wait_until("the poll that carried the story to end", std::time::Duration::from_secs(60), || {
            std::fs::read_to_string(&log).unwrap_or_default().contains(" 1 delivered")
        })
    })
    .await
    .unwrap();
    let done = published.elapsed();
    eprintln!("the reader on the working push service got the story {took:?} after it was published; the poll ended after {done:?}");
    let log = relay.log_text();
    assert!(log.contains("deliveries in a row") && log.contains("more not tried in this fan-out"), "{log}");
    assert!(log.contains("1 delivered") && log.contains("5000 failed"), "{log}");
    assert!(done < std::time::Duration::from_secs(10), "the poll took {done:?} behind a dead push service:\n{log}");
    assert_eq!(push.received("reader").len(), 1);
}
