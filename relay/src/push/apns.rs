//! Apple Push Notification service with token-based authentication: each request carries
//! an ES256 JWT (`iss` = team id, `kid` = key id) signed with the team's .p8 key, renewed
//! every 50 minutes (Apple refuses tokens older than an hour).

use std::path::Path;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;
use web_push_native::jwt_simple::prelude::*;

use super::{Alert, Delivery, RetryPolicy, send_with_retry};
use crate::error::{PushError, RelayError};

pub const DEFAULT_ENDPOINT: &str = "https://api.push.apple.com";
const TOKEN_LIFETIME: Duration = Duration::from_secs(50 * 60);

pub struct Apns {
    client: reqwest::Client,
    endpoint: String,
    key: ES256KeyPair,
    team_id: String,
    /// The app's bundle id.
    topic: String,
    retry: RetryPolicy,
    token: Mutex<Option<(String, Instant)>>,
}

impl Apns {
    #[allow(clippy::too_many_arguments)]
    pub fn from_file(
        client: reqwest::Client,
        key_path: &Path,
        key_id: &str,
        team_id: &str,
        topic: &str,
        endpoint: &str,
        retry: RetryPolicy,
    ) -> Result<Self, RelayError> {
        let pem = std::fs::read_to_string(key_path).map_err(|source| RelayError::ReadFile { path: key_path.into(), source })?;
        let key = ES256KeyPair::from_pem(&pem)
            .map_err(|e| RelayError::Config { what: "APNs key (.p8)", message: e.to_string() })?
            .with_key_id(key_id);
        Ok(Self {
            client,
            endpoint: endpoint.trim_end_matches('/').to_owned(),
            key,
            team_id: team_id.to_owned(),
            topic: topic.to_owned(),
            retry,
            token: Mutex::new(None),
        })
    }

    async fn token(&self) -> Result<String, PushError> {
        let mut cached = self.token.lock().await;
        if let Some((token, since)) = cached.as_ref()
            && since.elapsed() < TOKEN_LIFETIME
        {
            return Ok(token.clone());
        }
        // Apple wants exactly `iss` and `iat`.
        let mut claims = Claims::create(Duration::from_secs(3600).into()).with_issuer(&self.team_id);
        claims.expires_at = None;
        claims.invalid_before = None;
        let token = self.key.sign(claims).map_err(|e| PushError::Auth(e.to_string()))?;
        *cached = Some((token.clone(), Instant::now()));
        Ok(token)
    }

    pub async fn send(&self, device_token: &str, alert: &Alert) -> Delivery {
        let token = self.token().await?;
        let url = format!("{}/3/device/{device_token}", self.endpoint);
        let body = serde_json::to_vec(&payload(alert)).map_err(|e| PushError::Build(e.to_string()))?;
        let collapse = alert.collapse_key();
        send_with_retry(
            &self.client,
            self.retry,
            || {
                self.client
                    .post(&url)
                    .header(reqwest::header::AUTHORIZATION, format!("bearer {token}"))
                    .header("apns-topic", &self.topic)
                    .header("apns-push-type", "alert")
                    .header("apns-priority", "10")
                    .header("apns-expiration", (chrono::Utc::now().timestamp() + 6 * 3600).to_string())
                    .header("apns-collapse-id", &collapse)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone())
                    .build()
                    .map_err(|e| PushError::Build(e.to_string()))
            },
            // 410: the token is no longer active; 400 BadDeviceToken: it never was.
            |status, body| status == 410 || (status == 400 && body.contains("BadDeviceToken")),
        )
        .await
    }
}

/// The APNs payload: the visible alert in `aps`, the alert itself beside it for the app.
pub fn payload(alert: &Alert) -> serde_json::Value {
    let (title, body) = alert.title_and_body();
    let mut value = serde_json::json!({
        "aps": { "alert": { "title": title, "body": body }, "sound": "default", "thread-id": "caliber" }
    });
    if let (Some(map), Ok(serde_json::Value::Object(custom))) = (value.as_object_mut(), serde_json::to_value(alert)) {
        map.insert("caliber".into(), serde_json::Value::Object(custom));
    }
    value
}

/// An APNs device token: 64 or more hex digits.
pub fn valid_device_token(token: &str) -> bool {
    (64..=200).contains(&token.len()) && token.bytes().all(|b| b.is_ascii_hexdigit())
}
