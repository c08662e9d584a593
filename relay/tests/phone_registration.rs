//! The phone's side of push (issue 16, item 5), against the real relay binary and the
//! fixture site: the app's own registration code (`Core::sync_push_subscription`, which the
//! Tauri shell calls with what UnifiedPush hands it) subscribes a Web Push endpoint on
//! 127.0.0.1 that decrypts with the phone's keys; the breaking story arrives there with its
//! link; a change of settings updates the subscription, clearing the relay deletes it; and
//! an alert the phone showed silences the same story on the app's other paths.

mod common;

use std::time::Duration;

use caliber_core::notify::NotifyPrefs;
use caliber_core::push::{PushDevice, PushOutcome, PushPrefs, ShownAlert};
use caliber_core::{Core, CoreConfig, FetchOptions, HttpClient};
use common::{FixtureSite, PushEndpoint, RelayProcess, wait_until};
use serde_json::Value;

/// Blocking waits off the runtime, so the push endpoint keeps answering.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

async fn relay_subscription(relay: &RelayProcess, id: &str) -> (u16, Value) {
    let response = reqwest::get(relay.url(&format!("/v1/subscriptions/{id}"))).await.unwrap();
    let status = response.status().as_u16();
    (status, serde_json::from_str(&response.text().await.unwrap()).unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_registered_by_the_apps_code_gets_the_breaking_story_and_clearing_the_relay_unsubscribes_it() {
    let dir = tempfile::tempdir().unwrap();
    let site = FixtureSite::start("normal");
    let push = PushEndpoint::start().await;
    // This relay polls RU, EN and AZ only.
    let relay = RelayProcess::start(&dir.path().join("relay.db"), &site.url(), &["--editions", "ru,en,az"]);
    let app_dir = dir.path().join("app");
    let core = Core::open(CoreConfig::in_data_dir(&app_dir, HttpClient::new(FetchOptions::default()))).unwrap();

    // What UnifiedPush hands the app: an endpoint and the keys it decrypts with.
    let phone = push.add("phone");
    let device = PushDevice::WebPush { endpoint: push.endpoint("phone"), p256dh: phone.p256dh(), auth: phone.auth_b64() };
    let relay_url = relay.url("/");
    // The reader follows RU and Armenian: Armenian is left out of the subscription.
    let followed: Vec<_> = Core::editions().into_iter().filter(|e| e.code == "ru" || e.code == "arm").collect();
    let mut prefs = NotifyPrefs::default();
    let wanted = PushPrefs::new(&prefs, &followed, Some("Asia/Baku"));

    let PushOutcome::Subscribed(id) = core.sync_push_subscription(&relay_url, Some(&device), &wanted).await.unwrap() else {
        panic!("the first registration subscribes")
    };
    let (status, stored) = relay_subscription(&relay, &id).await;
    assert_eq!(status, 200, "the relay knows the subscription: {stored}");
    assert_eq!(stored["editions"], serde_json::json!(["ru"]), "only the editions the relay polls");
    assert_eq!(stored["kind"], "webpush");
    assert_eq!(core.push_subscription().unwrap().map(|s| s.id), Some(id.clone()), "the id is remembered");
    // Nothing changed: nothing is sent (a start-up or a second token callback).
    assert_eq!(core.sync_push_subscription(&relay_url, Some(&device), &wanted).await.unwrap(), PushOutcome::Unchanged(id.clone()));

    // The first poll is a baseline; then the site publishes a breaking story.
    let relay = blocking(move || {
        relay.wait_polls(2);
        relay
    })
    .await;
    assert!(push.received("phone").is_empty(), "the baseline announces nothing");
    site.set_mode_async("breaking").await;
    let p = push.clone();
    blocking(move || wait_until("the breaking story on the phone", Duration::from_secs(30), || !p.received("phone").is_empty())).await;
    assert!(push.errors().is_empty(), "the phone's keys decrypt it: {:?}", push.errors());
    let alert = push.received("phone")[0].message.clone();
    assert_eq!(alert["kind"], "story");
    assert_eq!(alert["breaking"], true);
    assert_eq!(alert["title"], "Срочно: землетрясение магнитудой 5 в Каспийском море");
    let url = alert["url"].as_str().unwrap().to_owned();
    assert!(url.ends_with("/post/srochno-zemletryasenie"), "the alert carries the article's link: {alert}");

    // The phone showed it while the app was closed; the app records it when it next runs,
    // so the same story from the relay's stream (or the local poll) is not announced again.
    let shown = ShownAlert { story: alert["story"].as_str().map(str::to_owned), url: Some(url.clone()) };
    core.record_shown_alerts(std::slice::from_ref(&shown)).unwrap();
    let streamed = caliber_core::relay::RelayStory {
        edition: "ru".into(),
        title: alert["title"].as_str().unwrap().into(),
        source: "Caliber.az".into(),
        url: Some(url),
        breaking: true,
        keys: shown.keys(),
        sections: Vec::new(),
        published: chrono::Utc::now(),
    };
    let offset = chrono::FixedOffset::east_opt(0).unwrap();
    assert!(core.notify_relayed(&streamed, &prefs, offset).unwrap().is_empty(), "already shown by the phone");

    // A new keyword in Settings is sent as an update of the same subscription.
    prefs.keywords = vec!["нефть".into()];
    let wanted = PushPrefs::new(&prefs, &followed, Some("Asia/Baku"));
    assert_eq!(core.sync_push_subscription(&relay_url, Some(&device), &wanted).await.unwrap(), PushOutcome::Updated(id.clone()));
    assert_eq!(relay_subscription(&relay, &id).await.1["keywords"], serde_json::json!(["нефть"]));

    // Clearing the relay address deletes the subscription there and here.
    assert_eq!(core.sync_push_subscription("", Some(&device), &wanted).await.unwrap(), PushOutcome::Unsubscribed);
    assert_eq!(relay_subscription(&relay, &id).await.0, 404, "the relay no longer has it");
    assert_eq!(core.push_subscription().unwrap(), None);
    assert_eq!(core.sync_push_subscription("", Some(&device), &wanted).await.unwrap(), PushOutcome::Off);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscription_the_relay_dropped_is_made_again_and_a_refusal_is_a_typed_error() {
    let dir = tempfile::tempdir().unwrap();
    let site = FixtureSite::start("normal");
    let push = PushEndpoint::start().await;
    let relay = RelayProcess::start(&dir.path().join("relay.db"), &site.url(), &[]);
    let core =
        Core::open(CoreConfig::in_data_dir(&dir.path().join("app"), HttpClient::new(FetchOptions::default()))).unwrap();
    let phone = push.add("phone");
    let device = PushDevice::WebPush { endpoint: push.endpoint("phone"), p256dh: phone.p256dh(), auth: phone.auth_b64() };
    let relay_url = relay.url("");
    let mut prefs = NotifyPrefs::default();
    let ru: Vec<_> = Core::editions().into_iter().filter(|e| e.code == "ru").collect();
    let wanted = PushPrefs::new(&prefs, &ru, None);
    let PushOutcome::Subscribed(first) = core.sync_push_subscription(&relay_url, Some(&device), &wanted).await.unwrap() else {
        panic!("subscribes")
    };

    // The relay dropped it (its push service answered 410 once): the next change subscribes anew.
    let deleted = reqwest::Client::new().delete(relay.url(&format!("/v1/subscriptions/{first}"))).send().await.unwrap();
    assert_eq!(deleted.status(), 204);
    prefs.sections = vec!["Мир".into()];
    let wanted = PushPrefs::new(&prefs, &ru, None);
    let PushOutcome::Subscribed(second) = core.sync_push_subscription(&relay_url, Some(&device), &wanted).await.unwrap() else {
        panic!("a dropped subscription is made again")
    };
    assert_ne!(first, second);
    assert_eq!(relay_subscription(&relay, &second).await.1["sections"], serde_json::json!(["Мир"]));

    // A key the relay refuses is its error, with the relay's reason, and nothing is remembered as sent.
    let bad = PushDevice::WebPush { endpoint: push.endpoint("other"), p256dh: "not-a-key".into(), auth: phone.auth_b64() };
    let err = core.sync_push_subscription(&relay_url, Some(&bad), &wanted).await.unwrap_err();
    assert!(
        matches!(&err, caliber_core::Error::RelayRefused { status: 422, message, .. } if message.contains("p256dh")),
        "{err:?}"
    );
    // The new device could not subscribe; what is remembered is still the last good one.
    assert_eq!(core.push_subscription().unwrap().map(|s| s.id), Some(second.clone()));
    assert_eq!(relay_subscription(&relay, &second).await.0, 200, "and the relay still has it");
}
