//! FCM HTTP v1 topic messages and APNs token-auth requests, against local stand-ins that
//! verify the signatures (OAuth2 service-account JWT, RS256; APNs provider JWT, ES256) and
//! the payload shapes. The real services are not reachable from here.

mod common;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use caliber_relay::push::fcm::TokenClaims;
use caliber_relay::{Config, Relay};
use clap::Parser;
use common::FixtureSite;
use serde_json::{Value, json};
use web_push_native::jwt_simple::prelude::*;

const PROJECT: &str = "caliber-test";
const CLIENT_EMAIL: &str = "relay@caliber-test.iam.gserviceaccount.com";
const TEAM_ID: &str = "TEAM123456";
const KEY_ID: &str = "KEY1234567";
const BUNDLE_ID: &str = "az.caliber.reader";
const ACCESS_TOKEN: &str = "stand-in-access-token";

struct StandIn {
    google_key: RS256PublicKey,
    apple_key: ES256PublicKey,
    token_uri: String,
    tokens_issued: u32,
    fcm_messages: Vec<Value>,
    apns: Vec<(String, Value)>,
    gone_devices: HashSet<String>,
    errors: Vec<String>,
}

type Shared = Arc<Mutex<StandIn>>;

/// Google's OAuth2 token endpoint: a JWT-bearer grant signed by the service account's key.
async fn token(State(s): State<Shared>, body: String) -> (StatusCode, String) {
    let mut s = s.lock().unwrap();
    let form: std::collections::HashMap<String, String> = url::form_urlencoded::parse(body.as_bytes()).into_owned().collect();
    if form.get("grant_type").map(String::as_str) != Some("urn:ietf:params:oauth:grant-type:jwt-bearer") {
        s.errors.push(format!("token: bad grant_type in {body}"));
        return (StatusCode::BAD_REQUEST, "{}".into());
    }
    let options = VerificationOptions {
        allowed_issuers: Some(HashSet::from([CLIENT_EMAIL.to_owned()])),
        allowed_audiences: Some(HashSet::from([s.token_uri.clone()])),
        ..Default::default()
    };
    match s.google_key.verify_token::<TokenClaims>(form.get("assertion").map_or("", |a| a), Some(options)) {
        Ok(claims) if claims.custom.scope == caliber_relay::push::fcm::SCOPE && claims.expires_at.is_some() => {
            s.tokens_issued += 1;
            (StatusCode::OK, json!({ "access_token": ACCESS_TOKEN, "expires_in": 3599, "token_type": "Bearer" }).to_string())
        }
        other => {
            s.errors.push(format!("token: assertion rejected: {:?}", other.map(|c| c.custom.scope)));
            (StatusCode::UNAUTHORIZED, "{}".into())
        }
    }
}

/// FCM HTTP v1 `messages:send`.
async fn fcm_send(State(s): State<Shared>, Path(target): Path<String>, headers: HeaderMap, body: String) -> (StatusCode, String) {
    let mut s = s.lock().unwrap();
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(&format!("Bearer {ACCESS_TOKEN}")) {
        s.errors.push("fcm: missing or wrong bearer token".into());
        return (StatusCode::UNAUTHORIZED, "{}".into());
    }
    if target != format!("{PROJECT}/messages:send") {
        s.errors.push(format!("fcm: wrong path {target}"));
        return (StatusCode::NOT_FOUND, "{}".into());
    }
    let Ok(message) = serde_json::from_str::<Value>(&body) else {
        s.errors.push("fcm: body is not JSON".into());
        return (StatusCode::BAD_REQUEST, "{}".into());
    };
    let m = &message["message"];
    let topic_ok = m["topic"].as_str().is_some_and(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.~%".contains(&b)));
    let data_ok = m["data"].as_object().is_some_and(|d| d.values().all(Value::is_string));
    let shape_ok = topic_ok
        && data_ok
        && m["notification"]["title"].is_string()
        && m["notification"]["body"].is_string()
        && m["token"].is_null()
        && m["android"]["priority"] == "high";
    if !shape_ok {
        s.errors.push(format!("fcm: bad message shape {message}"));
        return (StatusCode::BAD_REQUEST, "{}".into());
    }
    s.fcm_messages.push(message);
    (StatusCode::OK, json!({ "name": format!("projects/{PROJECT}/messages/{}", s.fcm_messages.len()) }).to_string())
}

/// APNs `POST /3/device/<token>` with a provider authentication token.
async fn apns_send(State(s): State<Shared>, Path(device): Path<String>, headers: HeaderMap, body: String) -> (StatusCode, String) {
    let mut s = s.lock().unwrap();
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let jwt = header("authorization").strip_prefix("bearer ").unwrap_or("").to_owned();
    let kid_ok = Token::decode_metadata(&jwt).ok().and_then(|m| m.key_id().map(str::to_owned)).as_deref() == Some(KEY_ID);
    let options = VerificationOptions { allowed_issuers: Some(HashSet::from([TEAM_ID.to_owned()])), ..Default::default() };
    let claims = s.apple_key.verify_token::<NoCustomClaims>(&jwt, Some(options));
    if !kid_ok || claims.as_ref().map_or(true, |c| c.issued_at.is_none()) {
        s.errors.push(format!("apns: bad provider token (kid ok: {kid_ok}, {:?})", claims.err()));
        return (StatusCode::FORBIDDEN, json!({ "reason": "InvalidProviderToken" }).to_string());
    }
    if header("apns-topic") != BUNDLE_ID || header("apns-push-type") != "alert" {
        s.errors.push("apns: wrong apns-topic or apns-push-type".into());
        return (StatusCode::BAD_REQUEST, json!({ "reason": "BadTopic" }).to_string());
    }
    if s.gone_devices.contains(&device) {
        return (StatusCode::GONE, json!({ "reason": "Unregistered", "timestamp": 0 }).to_string());
    }
    match serde_json::from_str::<Value>(&body) {
        Ok(payload) if payload["aps"]["alert"]["title"].is_string() && body.len() <= 4096 => {
            s.apns.push((device, payload));
            (StatusCode::OK, String::new())
        }
        _ => {
            s.errors.push(format!("apns: bad payload {body}"));
            (StatusCode::BAD_REQUEST, json!({ "reason": "PayloadEmpty" }).to_string())
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fcm_topic_messages_and_apns_requests_are_signed_and_shaped_as_the_services_require() {
    let dir = tempfile::tempdir().unwrap();
    let google = RS256KeyPair::generate(2048).unwrap();
    let apple = ES256KeyPair::generate();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let state: Shared = Arc::new(Mutex::new(StandIn {
        google_key: google.public_key(),
        apple_key: apple.public_key(),
        token_uri: format!("{base}/token"),
        tokens_issued: 0,
        fcm_messages: Vec::new(),
        apns: Vec::new(),
        gone_devices: HashSet::from(["b".repeat(64)]),
        errors: Vec::new(),
    }));
    let app = axum::Router::new()
        .route("/token", post(token))
        .route("/v1/projects/{*target}", post(fcm_send))
        .route("/3/device/{device}", post(apns_send))
        .with_state(state.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let account = dir.path().join("service-account.json");
    std::fs::write(
        &account,
        json!({
            "type": "service_account", "project_id": PROJECT, "private_key_id": "k1",
            "private_key": google.to_pem().unwrap(), "client_email": CLIENT_EMAIL, "token_uri": format!("{base}/token"),
        })
        .to_string(),
    )
    .unwrap();
    let p8 = dir.path().join("AuthKey.p8");
    std::fs::write(&p8, apple.to_pem().unwrap()).unwrap();

    let site = FixtureSite::start("normal");
    let db = dir.path().join("relay.db");
    let config = Config::parse_from([
        "caliber-relay", "--db", db.to_str().unwrap(), "--site", &site.url(), "--editions", "ru,en",
        "--fcm-service-account", account.to_str().unwrap(), "--fcm-endpoint", &base,
        "--apns-key", p8.to_str().unwrap(), "--apns-key-id", KEY_ID, "--apns-team-id", TEAM_ID,
        "--apns-topic", BUNDLE_ID, "--apns-endpoint", &base, "--push-backoff-ms", "20",
    ]);
    let relay = Relay::open(&config).await.unwrap();

    // Two iPhones through the real API: one live, one the service no longer knows.
    let api = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api_url = format!("http://127.0.0.1:{}", api.local_addr().unwrap().port());
    let router = caliber_relay::api::router(relay.api.clone()).into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(async move { axum::serve(api, router).await });
    let client = reqwest::Client::new();
    let mut ids = Vec::new();
    for device in ["a".repeat(64), "b".repeat(64)] {
        let response = client
            .post(format!("{api_url}/v1/subscriptions"))
            .header("content-type", "application/json")
            .body(json!({ "apns": { "deviceToken": device }, "editions": ["ru"] }).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        ids.push(serde_json::from_str::<Value>(&response.text().await.unwrap()).unwrap()["id"].as_str().unwrap().to_owned());
    }

    let first = relay.poller.tick(chrono::Utc::now()).await.unwrap();
    assert_eq!((first.stories, first.topic_messages), (0, 0), "the first poll is a baseline: {first:?}");
    site.set_mode_async("breaking").await;
    let tick = relay.poller.tick(chrono::Utc::now()).await.unwrap();

    {
        // The stand-ins' record, read and let go before the store is asked again.
        let s = state.lock().unwrap();
        assert!(s.errors.is_empty(), "the stand-ins rejected: {:?}", s.errors);
        assert_eq!(s.tokens_issued, 1);
        // One topic message for the one breaking story of the RU edition (the ordinary one,
        // wanted by nobody, is not announced).
        assert_eq!(s.fcm_messages.len(), 1, "{:?}", s.fcm_messages);
        let m = &s.fcm_messages[0]["message"];
        assert_eq!(m["topic"], "caliber-ru");
        assert_eq!(m["notification"]["title"], "⚡ Срочно: землетрясение магнитудой 5 в Каспийском море");
        assert_eq!(m["data"]["kind"], "story");
        assert_eq!(m["data"]["breaking"], "true");
        assert!(m["data"]["url"].as_str().unwrap().ends_with("/post/srochno-zemletryasenie"));
        // APNs: the live device got it; the unregistered one was removed.
        assert_eq!(s.apns.len(), 1);
        assert_eq!(s.apns[0].0, "a".repeat(64));
        assert_eq!(s.apns[0].1["aps"]["alert"]["title"], "⚡ Срочно: землетрясение магнитудой 5 в Каспийском море");
        assert_eq!(s.apns[0].1["caliber"]["edition"], "ru");
        assert_eq!((tick.stories, tick.topic_messages, tick.delivered, tick.removed), (1, 1, 1, 1), "{tick:?}");
    }
    assert!(relay.api.store.subscription(&ids[0]).await.unwrap().is_some());
    assert!(relay.api.store.subscription(&ids[1]).await.unwrap().is_none(), "410 Unregistered removes the device");
}
