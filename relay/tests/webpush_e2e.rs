//! The relay binary against the fixture site, with Web Push delivered to a local push
//! endpoint that decrypts each message with the subscriber's own keys (RFC 8291) and checks
//! the VAPID signature (RFC 8292).

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::{Backend, FixtureSite, PushEndpoint, RelayProcess, wait_until};
use serde_json::{Value, json};
use web_push_native::jwt_simple::prelude::*;

async fn subscribe(client: &reqwest::Client, relay: &RelayProcess, push: &PushEndpoint, name: &str, prefs: Value) -> String {
    let sub = push.add(name);
    let mut body = json!({ "webPush": { "endpoint": push.endpoint(name), "keys": { "p256dh": sub.p256dh(), "auth": sub.auth_b64() } } });
    body.as_object_mut().unwrap().extend(prefs.as_object().unwrap().clone());
    let response = client
        .post(relay.url("/v1/subscriptions"))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "subscribe {name}: {}", response.text().await.unwrap());
    let created: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    created["id"].as_str().unwrap().to_owned()
}

fn titles(push: &PushEndpoint, name: &str) -> Vec<String> {
    push.received(name).iter().map(|r| r.message["title"].as_str().unwrap_or("").to_owned()).collect()
}

/// Run blocking waits off the runtime so the push endpoint keeps answering.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_breaking_story_reaches_web_push_subscribers_encrypted_once_and_only_those_who_want_it() {
    breaking_story_once(Backend::Sqlite).await;
}

/// The same on PostgreSQL; the restart there is on a fresh machine (an empty --db): what
/// was announced and what the site already had are in the shared database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_breaking_story_reaches_web_push_subscribers_encrypted_once_and_only_those_who_want_it_on_postgres() {
    breaking_story_once(Backend::Postgres).await;
}

async fn breaking_story_once(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("relay.db");
    let site = FixtureSite::start("normal");
    let push = PushEndpoint::start().await;
    let (database, _postgres) = common::database_args(backend);
    let database: Vec<&str> = database.iter().map(String::as_str).collect();
    let relay = RelayProcess::start(&db, &site.url(), &database);
    let client = reqwest::Client::new();

    let vapid: Value =
        serde_json::from_str(&client.get(relay.url("/v1/vapid-public-key")).send().await.unwrap().text().await.unwrap()).unwrap();
    let vapid_key = vapid["publicKey"].as_str().unwrap().to_owned();

    let now_utc = chrono::Utc::now();
    let quiet_now = json!({
        "start": (now_utc - chrono::Duration::hours(1)).format("%H:%M").to_string(),
        "end": (now_utc + chrono::Duration::hours(1)).format("%H:%M").to_string(),
        "timeZone": "UTC",
    });
    subscribe(&client, &relay, &push, "ru", json!({ "editions": ["ru"] })).await;
    let gone = subscribe(&client, &relay, &push, "gone", json!({ "editions": ["ru"] })).await;
    push.gone("gone", 410);
    subscribe(&client, &relay, &push, "busy", json!({ "editions": ["ru"] })).await;
    push.script("busy", &[429, 503]);
    subscribe(&client, &relay, &push, "en-only", json!({ "editions": ["en"] })).await;
    subscribe(&client, &relay, &push, "culture", json!({ "editions": ["ru"], "sections": ["Культура"] })).await;
    subscribe(&client, &relay, &push, "carpets", json!({ "editions": ["ru"], "keywords": ["ковров"] })).await;
    subscribe(&client, &relay, &push, "asleep", json!({ "editions": ["ru"], "quietHours": quiet_now })).await;

    // The first poll is a baseline: the base set of articles announces nothing.
    let r = relay;
    let r = blocking(move || {
        r.wait_polls(2);
        r
    })
    .await;
    assert!(push.received("ru").is_empty(), "baseline announced {:?}", titles(&push, "ru"));

    site.set_mode_async("breaking").await;
    let p = push.clone();
    blocking(move || wait_until("the breaking story at the push endpoint", Duration::from_secs(20), || !p.received("ru").is_empty())).await;
    let r = blocking(move || {
        r.wait_polls(1);
        r
    })
    .await;
    assert!(push.errors().is_empty(), "the endpoint could not decrypt or check: {:?}", push.errors());

    let got = push.received("ru");
    assert_eq!(got.len(), 1, "one alert: {:?}", titles(&push, "ru"));
    let story = &got[0].message;
    assert_eq!(story["kind"], "story");
    assert_eq!(story["edition"], "ru");
    assert_eq!(story["breaking"], true);
    assert_eq!(story["title"], "Срочно: землетрясение магнитудой 5 в Каспийском море");
    assert!(story["url"].as_str().unwrap().ends_with("/post/srochno-zemletryasenie"), "{story}");
    let headers = &got[0].headers;
    assert_eq!(headers["urgency"], "high");
    assert_eq!(headers["ttl"], "21600");

    // VAPID (RFC 8292): "vapid t=JWT, k=KEY", signed by the key the relay publishes, for
    // this push service's origin.
    let authorization = headers["authorization"].to_str().unwrap();
    let (t, k) = authorization
        .strip_prefix("vapid t=")
        .and_then(|rest| rest.split_once(", k="))
        .unwrap_or_else(|| panic!("not a VAPID header: {authorization}"));
    assert_eq!(k, vapid_key);
    let key = ES256PublicKey::from_bytes(&base64ct::Base64UrlUnpadded::decode_vec(k).unwrap()).unwrap();
    let origin = format!("http://127.0.0.1:{}", push.port);
    let options = VerificationOptions { allowed_audiences: Some(HashSet::from([origin])), ..Default::default() };
    let claims = key.verify_token::<NoCustomClaims>(t, Some(options)).expect("a valid VAPID signature for this origin");
    assert_eq!(claims.subject.as_deref(), Some("mailto:relay@caliber.invalid"));
    let exp = claims.expires_at.expect("a VAPID token expires").as_secs();
    let now = chrono::Utc::now().timestamp() as u64;
    assert!(exp > now && exp <= now + 24 * 3600, "RFC 8292: exp within 24 hours");
    use base64ct::Encoding;

    // 429 then 503, then accepted: retried with backoff, delivered once.
    assert_eq!(titles(&push, "busy"), titles(&push, "ru"));
    assert_eq!(push.requests("busy"), 3);
    // 410: the subscription is removed, and the relay stops sending to it.
    let status = client.get(relay_url(&r, &format!("/v1/subscriptions/{gone}"))).send().await.unwrap().status();
    assert_eq!(status, 404, "a gone endpoint's subscription is removed");
    // Another edition's reader hears nothing; quiet hours hold the story back.
    assert!(push.received("en-only").is_empty());
    assert!(push.received("asleep").is_empty());
    // A followed section and a followed word bring the ordinary story too.
    let mut culture = titles(&push, "culture");
    culture.sort();
    assert_eq!(culture, vec!["В Баку открылась выставка ковров", "Срочно: землетрясение магнитудой 5 в Каспийском море"]);
    assert_eq!(titles(&push, "carpets").len(), 2);

    // A restart repeats nothing.
    let gone_requests = push.requests("gone");
    r.kill();
    let db = if backend == Backend::Postgres { dir.path().join("another-machine.db") } else { db };
    let relay = RelayProcess::start(&db, &site.url(), &database);
    let relay = blocking(move || {
        relay.wait_polls(3);
        relay
    })
    .await;
    assert_eq!(push.received("ru").len(), 1, "repeated after a restart: {:?}", titles(&push, "ru"));
    assert_eq!(push.received("culture").len(), 2);
    assert_eq!(push.requests("gone"), gone_requests);

    // The same story in two editions reaches a reader of both once, a reader of one once.
    subscribe(&client, &relay, &push, "both", json!({ "editions": ["ru", "en"], "sections": ["общество", "society"] })).await;
    subscribe(&client, &relay, &push, "society-en", json!({ "editions": ["en"], "sections": ["Society"] })).await;
    site.set_mode_async("new").await;
    let p = push.clone();
    blocking(move || wait_until("the bridge story", Duration::from_secs(20), || !p.received("society-en").is_empty())).await;
    let relay = blocking(move || {
        relay.wait_polls(2);
        relay
    })
    .await;
    assert_eq!(titles(&push, "society-en"), vec!["Baku to build a new bridge"]);
    assert_eq!(push.received("both").len(), 1, "one alert for one story in two editions: {:?}", titles(&push, "both"));
    assert!(relay.log_text().contains("caliber-relay: poll:"));
}

fn relay_url(relay: &RelayProcess, path: &str) -> String {
    relay.url(path)
}
