//! The subscription API over real HTTP on 127.0.0.1 with the relay's real SQLite file:
//! validation, body limits, rate limiting, update and unsubscribe, and what is stored.

mod common;

use caliber_relay::{Config, Relay};
use clap::Parser;
use common::Backend;
use serde_json::{Value, json};

struct Api {
    url: String,
    relay: Relay,
    client: reqwest::Client,
    _dir: tempfile::TempDir,
    _postgres: Option<common::pg::TestPostgres>,
}

async fn start(backend: Backend, extra: &[&str]) -> Api {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("relay.db");
    let (database, postgres) = common::database_args(backend);
    let mut args = vec!["caliber-relay", "--db", db.to_str().unwrap(), "--site", "http://127.0.0.1:9/"];
    args.extend(database.iter().map(String::as_str));
    args.extend_from_slice(extra);
    let relay = Relay::open(&Config::parse_from(args)).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let router = caliber_relay::api::router(relay.api.clone()).into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, router).await });
    Api { url, relay, client: reqwest::Client::new(), _dir: dir, _postgres: postgres }
}

impl Api {
    async fn send(&self, method: reqwest::Method, path: &str, body: Option<String>) -> (u16, Value) {
        let mut request = self.client.request(method, format!("{}{path}", self.url));
        if let Some(body) = body {
            request = request.header("content-type", "application/json").body(body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    async fn post(&self, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, "/v1/subscriptions", Some(body.to_string())).await
    }
}

fn web_push(endpoint: &str) -> Value {
    let sub = common::Subscriber::new();
    json!({ "endpoint": endpoint, "expirationTime": null, "keys": { "p256dh": sub.p256dh(), "auth": sub.auth_b64() } })
}

#[tokio::test]
async fn subscribe_read_update_and_unsubscribe() {
    subscription_lifecycle(Backend::Sqlite).await;
}

#[tokio::test]
async fn subscribe_read_update_and_unsubscribe_on_postgres() {
    subscription_lifecycle(Backend::Postgres).await;
}

async fn subscription_lifecycle(backend: Backend) {
    let api = start(backend, &[]).await;
    let (status, created) = api
        .post(json!({
            "webPush": web_push("https://push.example.net/wpush/v2/abc"),
            "editions": ["ru", "en"], "sections": ["Мир"], "keywords": ["нефть"],
            "quietHours": { "start": "22:00", "end": "07:00", "timeZone": "Asia/Baku" }
        }))
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 22, "128 random bits, base64url");

    let (status, shown) = api.send(reqwest::Method::GET, &format!("/v1/subscriptions/{id}"), None).await;
    assert_eq!(status, 200);
    assert_eq!(shown["editions"], json!(["ru", "en"]));
    assert_eq!(shown["quietHours"]["timeZone"], "Asia/Baku");

    let update = json!({ "editions": ["az"], "keywords": ["neft"] }).to_string();
    let (status, updated) = api.send(reqwest::Method::PUT, &format!("/v1/subscriptions/{id}"), Some(update)).await;
    assert_eq!(status, 200, "{updated}");
    let stored = api.relay.api.store.subscription(&id).await.unwrap().unwrap();
    assert_eq!(stored.prefs.editions, vec!["az"]);
    assert_eq!(stored.prefs.keywords, vec!["neft"]);
    assert!(stored.prefs.sections.is_empty() && stored.prefs.quiet_hours.is_none());
    assert_eq!(stored.endpoint, "https://push.example.net/wpush/v2/abc");

    // Subscribing the same endpoint again replaces it: a new id, the old one is void.
    let (status, again) = api.post(json!({ "webPush": web_push("https://push.example.net/wpush/v2/abc"), "editions": ["ru"] })).await;
    assert_eq!(status, 201);
    assert_ne!(again["id"], created["id"]);
    assert_eq!(api.relay.api.store.subscription_count().await.unwrap(), 1);
    assert_eq!(api.send(reqwest::Method::GET, &format!("/v1/subscriptions/{id}"), None).await.0, 404);

    let new_id = again["id"].as_str().unwrap();
    assert_eq!(api.send(reqwest::Method::DELETE, &format!("/v1/subscriptions/{new_id}"), None).await.0, 204);
    assert_eq!(api.send(reqwest::Method::DELETE, &format!("/v1/subscriptions/{new_id}"), None).await.0, 404);
    assert_eq!(api.relay.api.store.subscription_count().await.unwrap(), 0);
}

#[tokio::test]
async fn bad_input_gets_a_clear_error_and_stores_nothing() {
    bad_input(Backend::Sqlite).await;
}

#[tokio::test]
async fn bad_input_gets_a_clear_error_and_stores_nothing_on_postgres() {
    bad_input(Backend::Postgres).await;
}

async fn bad_input(backend: Backend) {
    let api = start(backend, &[]).await;
    let good = web_push("https://push.example.net/x");
    let cases = [
        (json!({ "webPush": good, "editions": [] }), "at least one edition"),
        (json!({ "webPush": good, "editions": ["fr"] }), "unknown edition \"fr\""),
        (json!({ "webPush": web_push("http://push.example.net/x"), "editions": ["ru"] }), "https"),
        (json!({ "webPush": web_push("https://user:pw@push.example.net/x"), "editions": ["ru"] }), "credentials"),
        (json!({ "webPush": { "endpoint": "https://push.example.net/x", "keys": { "p256dh": "AAAA", "auth": good["keys"]["auth"] } }, "editions": ["ru"] }), "p256dh"),
        (json!({ "webPush": { "endpoint": "https://push.example.net/x", "keys": { "p256dh": good["keys"]["p256dh"], "auth": "c2hvcnQ" } }, "editions": ["ru"] }), "auth"),
        (json!({ "webPush": good, "editions": ["ru"], "quietHours": { "start": "25:00", "end": "07:00", "timeZone": "UTC" } }), "quietHours.start"),
        (json!({ "webPush": good, "editions": ["ru"], "quietHours": { "start": "22:00", "end": "07:00", "timeZone": "Mars/Olympus" } }), "IANA"),
        (json!({ "webPush": good, "editions": ["ru"], "keywords": ["x".repeat(65)] }), "keywords"),
        (json!({ "webPush": good, "editions": ["ru"], "sections": vec!["a"; 21] }), "at most 20"),
        (json!({ "editions": ["ru"] }), "exactly one of webPush or apns"),
        (json!({ "apns": { "deviceToken": "a".repeat(64) }, "editions": ["ru"] }), "APNs is not enabled"),
    ];
    for (body, expected) in cases {
        let (status, error) = api.post(body.clone()).await;
        assert_eq!(status, 422, "{body} -> {error}");
        assert!(error["error"].as_str().unwrap().contains(expected), "{body}: {error} should mention {expected:?}");
    }
    // Unknown fields (say, an e-mail address) are refused, not silently stored.
    let (status, error) = api.post(json!({ "webPush": good, "editions": ["ru"], "email": "reader@example.com" })).await;
    assert_eq!(status, 422, "{error}");
    assert!(error["error"].as_str().unwrap().contains("unknown field `email`"), "{error}");
    let (status, _) = api.send(reqwest::Method::POST, "/v1/subscriptions", Some("{not json".into())).await;
    assert_eq!(status, 400);
    // Bodies are capped.
    let huge = json!({ "webPush": good, "editions": ["ru"], "keywords": ["x".repeat(9000)] });
    let (status, _) = api.post(huge).await;
    assert_eq!(status, 413);
    assert_eq!(api.relay.api.store.subscription_count().await.unwrap(), 0);
    assert_eq!(api.send(reqwest::Method::PUT, "/v1/subscriptions/nope", Some(json!({ "editions": ["ru"] }).to_string())).await.0, 404);
}

#[tokio::test]
async fn each_client_address_is_rate_limited() {
    let api = start(Backend::Sqlite, &["--api-rate-per-minute", "5"]).await;
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(api.send(reqwest::Method::GET, "/v1/editions", None).await.0);
    }
    assert_eq!(statuses, vec![200, 200, 200, 200, 200, 429, 429, 429]);
    let (_, error) = api.send(reqwest::Method::GET, "/v1/editions", None).await;
    assert!(error["error"].as_str().unwrap().contains("too many requests"));
}

#[tokio::test]
async fn the_relay_database_migrates_once_and_refuses_a_newer_schema() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("relay.db");
    let store = caliber_relay::store::SqliteStore::open(&db).unwrap();
    assert_eq!(store.schema_version().unwrap(), caliber_relay::store::RELAY_SCHEMA_VERSION);
    drop(store);
    // Opening again applies nothing twice.
    let store = caliber_relay::store::SqliteStore::open(&db).unwrap();
    assert_eq!(store.schema_version().unwrap(), caliber_relay::store::RELAY_SCHEMA_VERSION);
    drop(store);
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute("INSERT INTO relay_schema (version) VALUES (99)", []).unwrap();
    drop(conn);
    let error = caliber_relay::store::SqliteStore::open(&db).err().expect("a newer schema is refused");
    assert!(error.to_string().contains("schema version 99 is newer"), "{error}");
}

#[tokio::test]
async fn the_postgres_schema_migrates_once_and_refuses_a_newer_one() {
    use caliber_relay::store::PgStore;
    use caliber_relay::store::postgres::PG_SCHEMA_VERSION;
    let server = common::pg::TestPostgres::start();
    let url = server.database("relay");
    // Three relays starting together migrate once (the migration holds an advisory lock).
    let (a, b, c) = tokio::join!(PgStore::connect(&url), PgStore::connect(&url), PgStore::connect(&url));
    for store in [a, b, c] {
        assert_eq!(store.unwrap().schema_version().await.unwrap(), PG_SCHEMA_VERSION);
    }
    assert_eq!(server.sql("relay", "SELECT count(*) FROM relay_schema"), PG_SCHEMA_VERSION.to_string());
    server.sql("relay", "INSERT INTO relay_schema (version) VALUES (99)");
    let error = PgStore::connect(&url).await.err().expect("a newer schema is refused");
    assert!(error.to_string().contains("schema version 99 is newer"), "{error}");
}

#[test]
fn ports_are_read_back_from_the_lines_the_servers_print() {
    assert_eq!(common::fixture_ports("fixture site on http://127.0.0.1:40123/ (control on :40124)\n"), Some((40123, 40124)));
    assert_eq!(common::fixture_ports("fixture site on http://127.0.0.1:0/ (control on :x)"), None);
    assert_eq!(common::relay_port("caliber-relay: store opened\ncaliber-relay: API on http://127.0.0.1:39001/, polling http://x every 1 s\n"), Some(39001));
    assert_eq!(common::relay_port("caliber-relay: cannot listen"), None);
}
