//! Three real relay processes on one real PostgreSQL server (a throw-away cluster) and the
//! fixture site: exactly one polls the site; when it is SIGKILLed another takes over within
//! one interval, and a breaking story published meanwhile reaches the subscriber exactly
//! once — and not again when that poller is killed too and the last one takes over.

mod common;

use std::time::{Duration, Instant};

use common::{FixtureSite, PushEndpoint, RelayProcess, wait_until};
use serde_json::{Value, json};

/// Seconds between polls (and so the take-over bound).
const INTERVAL: u64 = 2;

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

/// Which relays say they poll (`GET /v1/status`).
async fn polling(client: &reqwest::Client, relays: &[&RelayProcess]) -> Vec<bool> {
    let mut answers = Vec::new();
    for relay in relays {
        let status: Value = match client.get(relay.url("/v1/status")).send().await {
            Ok(r) => serde_json::from_str(&r.text().await.unwrap_or_default()).unwrap_or(Value::Null),
            Err(_) => Value::Null,
        };
        answers.push(status["polling"] == true);
    }
    answers
}

/// Requests the site saw for the RU feed (each poll fetches it once).
async fn feed_requests(client: &reqwest::Client, site: &FixtureSite) -> usize {
    let response = client.get(format!("http://127.0.0.1:{}/log", site.control_port)).send().await.unwrap();
    let log: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    log["log"].as_array().unwrap().iter().filter(|r| r["path"].as_str().is_some_and(|p| p.starts_with("/rss.xml"))).count()
}

/// Wait until exactly one of `relays` polls; its index and how long that took.
async fn one_poller(client: &reqwest::Client, relays: &[&RelayProcess], within: Duration) -> (usize, Duration) {
    let start = Instant::now();
    loop {
        let answers = polling(client, relays).await;
        assert!(answers.iter().filter(|p| **p).count() <= 1, "two relays poll at once: {answers:?}");
        if let Some(i) = answers.iter().position(|p| *p) {
            return (i, start.elapsed());
        }
        assert!(start.elapsed() < within, "no relay took over within {within:?}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_relay_polls_and_another_takes_over_within_an_interval_when_it_is_killed() {
    let server = common::pg::TestPostgres::start();
    let url = server.database("relay");
    let site = FixtureSite::start("normal");
    let push = PushEndpoint::start().await;
    let client = reqwest::Client::new();
    // Each process has its own copy of the site (as on separate machines); they start together.
    let dir = tempfile::tempdir().unwrap();
    let starting: Vec<_> = ["a", "b", "c"]
        .iter()
        .map(|name| {
            let (db, site, url) = (dir.path().join(format!("{name}.db")), site.url(), url.clone());
            std::thread::spawn(move || {
                let args = ["--database", url.as_str(), "--editions", "ru", "--api-rate-per-minute", "100000"];
                RelayProcess::start_every(&db, &site, INTERVAL, &args)
            })
        })
        .collect();
    let mut relays: Vec<Option<RelayProcess>> = starting.into_iter().map(|t| Some(t.join().unwrap())).collect();

    // A reader subscribes through one relay (not necessarily the poller): all share it.
    let sub = push.add("reader");
    let body = json!({ "webPush": { "endpoint": push.endpoint("reader"), "keys": { "p256dh": sub.p256dh(), "auth": sub.auth_b64() } }, "editions": ["ru"] });
    let response = client
        .post(relays[2].as_ref().unwrap().url("/v1/subscriptions"))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);

    // Exactly one polls; after its baseline, the site sees one feed request per interval.
    let live: Vec<&RelayProcess> = relays.iter().flatten().collect();
    let (first, _) = one_poller(&client, &live, Duration::from_secs(30)).await;
    let poller = relays[first].take().unwrap();
    let poller = blocking(move || {
        poller.wait_polls(1);
        poller
    })
    .await;
    let requests_before = feed_requests(&client, &site).await;
    let polls_before = poller.polls();
    let poller = blocking(move || {
        poller.wait_polls(2);
        poller
    })
    .await;
    let polls = poller.polls() - polls_before;
    let requests = feed_requests(&client, &site).await - requests_before;
    // (± 1: a request may fall just before or after either count.)
    assert!(requests <= polls + 1 && requests + 1 >= polls, "{requests} feed requests in {polls} polls: only one relay polls");
    for other in relays.iter().flatten() {
        assert_eq!(other.polls(), 0, "a standby relay polled:\n{}", other.log_text());
        assert!(other.log_text().contains("standing by"), "{}", other.log_text());
    }
    assert!(push.received("reader").is_empty(), "the baseline announced something");

    // Kill the poller (no goodbye: SIGKILL), and publish a breaking story at once.
    poller.kill();
    let killed = Instant::now();
    site.set_mode_async("breaking").await;
    let live: Vec<&RelayProcess> = relays.iter().flatten().collect();
    let (second, takeover) = one_poller(&client, &live, Duration::from_secs(INTERVAL + 10)).await;
    let p = push.clone();
    blocking(move || wait_until("the breaking story", Duration::from_secs(30), || !p.received("reader").is_empty())).await;
    let delivered = killed.elapsed();
    eprintln!("take-over: polling again {takeover:?} after the kill; the story delivered {delivered:?} after it");
    assert!(
        takeover <= Duration::from_secs(INTERVAL) + Duration::from_millis(1500),
        "took {takeover:?} to take over; the interval is {INTERVAL} s"
    );
    let second_index = relays.iter().enumerate().filter(|(_, r)| r.is_some()).nth(second).unwrap().0;
    let poller = relays[second_index].take().unwrap();
    let poller = blocking(move || {
        poller.wait_polls(1);
        poller
    })
    .await;
    assert!(poller.log_text().contains("this relay polls now"), "{}", poller.log_text());
    let got = push.received("reader");
    assert_eq!(got.len(), 1, "exactly once: {:?}", got.iter().map(|r| r.message.clone()).collect::<Vec<_>>());
    assert_eq!(got[0].message["title"], "Срочно: землетрясение магнитудой 5 в Каспийском море");
    assert!(push.errors().is_empty(), "{:?}", push.errors());

    // Kill that one too: the last relay, whose copy of the site is still empty, takes over
    // and announces nothing again (the shared history and baseline say it was done).
    poller.kill();
    let live: Vec<&RelayProcess> = relays.iter().flatten().collect();
    assert_eq!(live.len(), 1);
    let (_, takeover_again) = one_poller(&client, &live, Duration::from_secs(INTERVAL + 10)).await;
    eprintln!("second take-over: {takeover_again:?}");
    let last = relays.into_iter().flatten().next().unwrap();
    let last = blocking(move || {
        last.wait_polls(2);
        last
    })
    .await;
    assert_eq!(push.received("reader").len(), 1, "repeated after the second take-over");
    assert!(last.log_text().contains("caliber-relay: poll:"));
    drop(server);
}
