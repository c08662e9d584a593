//! The per-edition rate limit and the subscriber's quiet hours, over time: the relay's poll
//! is driven in-process with chosen clock times, against the fixture site and a decrypting
//! push endpoint.

mod common;

use caliber_relay::{Config, Relay};
use chrono::{Duration, Utc};
use clap::Parser;
use common::{Backend, FixtureSite, PushEndpoint};
use serde_json::json;

async fn subscribe(store: &caliber_relay::store::Store, push: &PushEndpoint, name: &str, quiet: Option<(String, String)>) {
    let sub = push.add(name);
    store
        .subscribe(
            name,
            &caliber_relay::store::NewSubscription {
                kind: caliber_relay::store::Kind::Webpush,
                endpoint: push.endpoint(name),
                p256dh: Some(sub.p256dh()),
                auth: Some(sub.auth_b64()),
                prefs: serde_json::from_value(json!({
                    "editions": ["ru"], "sections": ["культура"],
                    "quietHours": quiet.map(|(start, end)| json!({ "start": start, "end": end, "timeZone": "Europe/London" })),
                }))
                .unwrap(),
            },
        )
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_the_hourly_limit_and_in_quiet_hours_stories_come_later_as_one_summary() {
    limit_and_quiet_hours(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_the_hourly_limit_and_in_quiet_hours_stories_come_later_as_one_summary_on_postgres() {
    limit_and_quiet_hours(Backend::Postgres).await;
}

async fn limit_and_quiet_hours(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let site = FixtureSite::start("normal");
    let push = PushEndpoint::start().await;
    let db = dir.path().join("relay.db");
    let (database, _postgres) = common::database_args(backend);
    let site_url = site.url();
    let mut args = vec![
        "caliber-relay", "--db", db.to_str().unwrap(), "--site", &site_url, "--editions", "ru",
        "--max-per-hour", "1", "--allow-http-endpoints",
    ];
    args.extend(database.iter().map(String::as_str));
    let config = Config::parse_from(args);
    let relay = Relay::open(&config).await.unwrap();
    assert!(relay.poller.store.try_lead().await.unwrap(), "the only relay polls");
    let now = Utc::now();
    let store = &relay.api.store;
    // Quiet from an hour ago until two hours from now (London time).
    let london = |t: chrono::DateTime<Utc>| t.with_timezone(&chrono_tz::Europe::London).format("%H:%M").to_string();
    subscribe(store, &push, "awake", None).await;
    subscribe(store, &push, "asleep", Some((london(now - Duration::hours(1)), london(now + Duration::hours(2))))).await;

    relay.poller.tick(now).await.unwrap();
    site.set_mode_async("breaking").await;
    let tick = relay.poller.tick(now).await.unwrap();
    // Two stories for these readers (the breaking one, and one in their section); the limit
    // is one an hour: the newest goes now, the other is held for the edition.
    assert_eq!(tick.stories, 1, "{tick:?}");
    let titles = |name: &str| push.received(name).iter().map(|r| r.message.clone()).collect::<Vec<_>>();
    assert_eq!(titles("awake").len(), 1);
    assert_eq!(titles("awake")[0]["title"], "Срочно: землетрясение магнитудой 5 в Каспийском море");
    assert!(titles("asleep").is_empty(), "quiet hours");
    assert_eq!(tick.held, 1);

    // Within the hour, nothing more.
    relay.poller.tick(now + Duration::minutes(30)).await.unwrap();
    assert_eq!(titles("awake").len(), 1);

    // An hour later the held story comes as a summary; the sleeper is still asleep.
    let later = now + Duration::minutes(61);
    let tick = relay.poller.tick(later).await.unwrap();
    assert_eq!(tick.summaries, 1, "{tick:?}");
    assert_eq!(titles("awake")[1], json!({ "kind": "summary", "edition": "ru", "count": 1 }));
    assert!(titles("asleep").is_empty());

    // Quiet hours over: one summary of everything held back for this reader.
    relay.poller.tick(now + Duration::minutes(150)).await.unwrap();
    assert_eq!(titles("asleep"), vec![json!({ "kind": "summary", "edition": null, "count": 2 })]);
    // …and only once.
    relay.poller.tick(now + Duration::minutes(160)).await.unwrap();
    assert_eq!(titles("asleep").len(), 1);
    assert_eq!(titles("awake").len(), 2);
    assert!(push.errors().is_empty(), "{:?}", push.errors());
}
