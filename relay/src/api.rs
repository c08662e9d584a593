//! The subscription API (axum). Input is validated before anything is stored; bodies are
//! capped; each client address is rate-limited (in memory only: addresses are never stored).

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde::{Deserialize, Serialize};

use crate::push::{apns, webpush};
use crate::store::{Kind, NewSubscription, Prefs, Store};

/// A subscribe request is a few hundred bytes; nothing legitimate comes near this.
pub const MAX_BODY_BYTES: usize = 8 * 1024;
const MAX_LIST: usize = 20;
const MAX_WORD: usize = 64;
const MAX_ENDPOINT: usize = 1024;

pub struct ApiState {
    pub store: Arc<Store>,
    pub editions: Vec<String>,
    /// `None` when Web Push is off.
    pub vapid_public_key: Option<String>,
    pub apns_enabled: bool,
    /// Plain-http push endpoints are refused unless this is set (tests, a local distributor).
    pub allow_http_endpoints: bool,
    pub limiter: DefaultKeyedRateLimiter<IpAddr>,
    /// The breaking-news event stream (`GET /v1/events`, sse.rs).
    pub events: Arc<crate::sse::Hub>,
}

impl ApiState {
    pub fn limiter(per_minute: u32) -> DefaultKeyedRateLimiter<IpAddr> {
        let per_minute = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        RateLimiter::keyed(Quota::per_minute(per_minute))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Invalid(String),
    #[error("no such subscription")]
    NotFound,
    #[error("too many requests; try again in a minute")]
    TooMany,
    #[error("internal error")]
    Internal(#[from] crate::error::RelayError),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match &self {
            ApiError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::TooMany => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(e) => {
                caliber_core::log_line!("caliber-relay: API: {e}");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        (status, Json(serde_json::json!({ "error": self.to_string() }))).into_response()
    }
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::Invalid(message.into())
}

/// Body errors (bad JSON, unknown fields, too large) as the same JSON error shape.
#[allow(clippy::result_large_err)] // the rejection goes straight back to the client as the handler's response
fn body<T>(payload: Result<Json<T>, JsonRejection>) -> Result<T, Response> {
    payload.map(|Json(v)| v).map_err(|rejection| {
        let status = rejection.status();
        (status, Json(serde_json::json!({ "error": rejection.body_text() }))).into_response()
    })
}

/// `PushSubscription.toJSON()` as a browser or UnifiedPush distributor gives it.
#[derive(Debug, Deserialize)]
pub struct WebPushSubscription {
    pub endpoint: String,
    pub keys: WebPushKeys,
}

#[derive(Debug, Deserialize)]
pub struct WebPushKeys {
    pub p256dh: String,
    pub auth: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApnsDevice {
    pub device_token: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SubscribeRequest {
    pub web_push: Option<WebPushSubscription>,
    pub apns: Option<ApnsDevice>,
    pub editions: Vec<String>,
    #[serde(default)]
    pub sections: Vec<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub quiet_hours: Option<crate::store::QuietHours>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionView {
    pub id: String,
    pub kind: Kind,
    #[serde(flatten)]
    pub prefs: Prefs,
}

pub fn router(state: Arc<ApiState>) -> Router {
    Router::new()
        .route("/v1/subscriptions", post(subscribe))
        .route("/v1/subscriptions/{id}", get(show).put(update).delete(unsubscribe))
        .route("/v1/vapid-public-key", get(vapid_public_key))
        .route("/v1/editions", get(editions))
        .route("/v1/status", get(status))
        .route("/v1/events", get(crate::sse::events))
        .route("/healthz", get(|| async { "ok" }))
        .layer(middleware::from_fn_with_state(state.clone(), rate_limit))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

async fn rate_limit(
    State(state): State<Arc<ApiState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    if state.limiter.check_key(&peer.ip()).is_err() {
        return ApiError::TooMany.into_response();
    }
    next.run(request).await
}

/// Which store this relay uses, and whether it is the one polling the site (with PostgreSQL,
/// one relay process of several; with SQLite, always).
async fn status(State(state): State<Arc<ApiState>>) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "database": state.store.backend(), "polling": state.store.leading() }))
}

async fn editions(State(state): State<Arc<ApiState>>) -> Json<Vec<String>> {
    Json(state.editions.clone())
}

async fn vapid_public_key(State(state): State<Arc<ApiState>>) -> Result<Json<serde_json::Value>, ApiError> {
    let key = state.vapid_public_key.clone().ok_or_else(|| invalid("Web Push is not enabled on this relay"))?;
    Ok(Json(serde_json::json!({ "publicKey": key })))
}

async fn subscribe(
    State(state): State<Arc<ApiState>>,
    payload: Result<Json<SubscribeRequest>, JsonRejection>,
) -> Result<Response, Response> {
    let request = body(payload)?;
    let prefs =
        Prefs { editions: request.editions, sections: request.sections, keywords: request.keywords, quiet_hours: request.quiet_hours };
    let new = (|| {
        validate_prefs(&prefs, &state.editions)?;
        match (request.web_push, request.apns) {
            (Some(web), None) => {
                if state.vapid_public_key.is_none() {
                    return Err(invalid("Web Push is not enabled on this relay"));
                }
                validate_endpoint(&web.endpoint, state.allow_http_endpoints)?;
                webpush::decode_p256dh(&web.keys.p256dh)
                    .ok_or_else(|| invalid("keys.p256dh must be a base64url P-256 public key (65 bytes, uncompressed)"))?;
                webpush::decode_auth(&web.keys.auth).ok_or_else(|| invalid("keys.auth must be 16 bytes, base64url"))?;
                Ok(NewSubscription {
                    kind: Kind::Webpush,
                    endpoint: web.endpoint,
                    p256dh: Some(web.keys.p256dh),
                    auth: Some(web.keys.auth),
                    prefs: prefs.clone(),
                })
            }
            (None, Some(device)) => {
                if !state.apns_enabled {
                    return Err(invalid("APNs is not enabled on this relay"));
                }
                if !apns::valid_device_token(&device.device_token) {
                    return Err(invalid("apns.deviceToken must be the device token in hex"));
                }
                Ok(NewSubscription {
                    kind: Kind::Apns,
                    endpoint: device.device_token.to_ascii_lowercase(),
                    p256dh: None,
                    auth: None,
                    prefs: prefs.clone(),
                })
            }
            _ => Err(invalid("give exactly one of webPush or apns")),
        }
    })()
    .map_err(IntoResponse::into_response)?;
    let id = new_id();
    state.store.subscribe(&id, &new).await.map_err(|e| ApiError::from(e).into_response())?;
    Ok((StatusCode::CREATED, Json(SubscriptionView { id, kind: new.kind, prefs })).into_response())
}

async fn show(State(state): State<Arc<ApiState>>, Path(id): Path<String>) -> Result<Json<SubscriptionView>, ApiError> {
    let sub = state.store.subscription(&id).await?.ok_or(ApiError::NotFound)?;
    Ok(Json(SubscriptionView { id: sub.id, kind: sub.kind, prefs: sub.prefs }))
}

async fn update(
    State(state): State<Arc<ApiState>>,
    Path(id): Path<String>,
    payload: Result<Json<Prefs>, JsonRejection>,
) -> Result<Response, Response> {
    let prefs = body(payload)?;
    validate_prefs(&prefs, &state.editions).map_err(IntoResponse::into_response)?;
    let kind = state.store.subscription(&id).await.map_err(|e| ApiError::from(e).into_response())?.map(|s| s.kind);
    let Some(kind) = kind else { return Err(ApiError::NotFound.into_response()) };
    if !state.store.update(&id, &prefs).await.map_err(|e| ApiError::from(e).into_response())? {
        return Err(ApiError::NotFound.into_response());
    }
    Ok(Json(SubscriptionView { id, kind, prefs }).into_response())
}

async fn unsubscribe(State(state): State<Arc<ApiState>>, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    if state.store.unsubscribe(&id).await? { Ok(StatusCode::NO_CONTENT) } else { Err(ApiError::NotFound) }
}

/// 128 random bits, base64url: the subscriber's bearer handle.
fn new_id() -> String {
    use base64ct::{Base64UrlUnpadded, Encoding};
    let bytes: [u8; 16] = rand::random();
    Base64UrlUnpadded::encode_string(&bytes)
}

fn validate_endpoint(endpoint: &str, allow_http: bool) -> Result<(), ApiError> {
    if endpoint.len() > MAX_ENDPOINT {
        return Err(invalid(format!("endpoint is longer than {MAX_ENDPOINT} characters")));
    }
    let url = url::Url::parse(endpoint).map_err(|e| invalid(format!("endpoint is not a URL: {e}")))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_http => {}
        _ => return Err(invalid("endpoint must be an https URL")),
    }
    if url.host_str().is_none_or(str::is_empty) || !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("endpoint must name a host and carry no credentials"));
    }
    Ok(())
}

pub fn validate_prefs(prefs: &Prefs, known_editions: &[String]) -> Result<(), ApiError> {
    if prefs.editions.is_empty() {
        return Err(invalid("editions must name at least one edition"));
    }
    for e in &prefs.editions {
        if !known_editions.contains(e) {
            return Err(invalid(format!("unknown edition {e:?}; this relay serves {}", known_editions.join(", "))));
        }
    }
    for (name, words) in [("sections", &prefs.sections), ("keywords", &prefs.keywords)] {
        if words.len() > MAX_LIST {
            return Err(invalid(format!("{name}: at most {MAX_LIST}")));
        }
        if let Some(w) = words.iter().find(|w| w.trim().is_empty() || w.chars().count() > MAX_WORD || w.chars().any(char::is_control)) {
            return Err(invalid(format!("{name}: {w:?} must be 1 to {MAX_WORD} printable characters")));
        }
    }
    if let Some(q) = &prefs.quiet_hours {
        for (name, t) in [("start", &q.start), ("end", &q.end)] {
            chrono::NaiveTime::parse_from_str(t, "%H:%M")
                .map_err(|_| invalid(format!("quietHours.{name} must be HH:MM (24-hour), not {t:?}")))?;
        }
        q.time_zone
            .parse::<chrono_tz::Tz>()
            .map_err(|_| invalid(format!("quietHours.timeZone {:?} is not an IANA time zone", q.time_zone)))?;
    }
    Ok(())
}
