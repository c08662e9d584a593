//! Firebase Cloud Messaging, HTTP v1 API: one message per story per edition topic
//! (`caliber-<edition>`); Google fans it out to every app instance subscribed to the topic.
//! Authorised by an OAuth2 access token obtained with a service account's RS256-signed JWT
//! (RFC 7523 grant), signed by `jwt-simple` (pure Rust).

use std::path::Path;
use std::time::{Duration, Instant};

use serde::Deserialize;
use tokio::sync::Mutex;
use web_push_native::jwt_simple::prelude::*;

use super::{Alert, Delivery, RetryPolicy, send_with_retry};
use crate::error::{PushError, RelayError};

pub const SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";
pub const DEFAULT_ENDPOINT: &str = "https://fcm.googleapis.com";

/// The fields of a Google service-account key file the relay uses.
#[derive(Debug, Clone, Deserialize)]
pub struct ServiceAccount {
    pub project_id: String,
    pub private_key_id: Option<String>,
    pub private_key: String,
    pub client_email: String,
    pub token_uri: String,
}

#[derive(Serialize, Deserialize)]
pub struct TokenClaims {
    pub scope: String,
}

pub struct Fcm {
    client: reqwest::Client,
    endpoint: String,
    account: ServiceAccount,
    key: RS256KeyPair,
    retry: RetryPolicy,
    token: Mutex<Option<(String, Instant)>>,
}

pub fn topic(edition: &str) -> String {
    format!("caliber-{edition}")
}

impl Fcm {
    pub fn from_file(client: reqwest::Client, path: &Path, endpoint: &str, retry: RetryPolicy) -> Result<Self, RelayError> {
        let text = std::fs::read_to_string(path).map_err(|source| RelayError::ReadFile { path: path.into(), source })?;
        let account: ServiceAccount = serde_json::from_str(&text)
            .map_err(|e| RelayError::Config { what: "FCM service account", message: e.to_string() })?;
        Self::new(client, account, endpoint, retry)
    }

    pub fn new(client: reqwest::Client, account: ServiceAccount, endpoint: &str, retry: RetryPolicy) -> Result<Self, RelayError> {
        let mut key = RS256KeyPair::from_pem(&account.private_key)
            .map_err(|e| RelayError::Config { what: "FCM service account private_key", message: e.to_string() })?;
        if let Some(id) = &account.private_key_id {
            key = key.with_key_id(id);
        }
        Ok(Self { client, endpoint: endpoint.trim_end_matches('/').to_owned(), account, key, retry, token: Mutex::new(None) })
    }

    /// A cached access token, renewed five minutes before it expires.
    async fn access_token(&self) -> Result<String, PushError> {
        let mut cached = self.token.lock().await;
        if let Some((token, until)) = cached.as_ref()
            && Instant::now() < *until
        {
            return Ok(token.clone());
        }
        let claims = Claims::with_custom_claims(TokenClaims { scope: SCOPE.into() }, Duration::from_secs(3600).into())
            .with_issuer(&self.account.client_email)
            .with_audience(&self.account.token_uri);
        let assertion = self.key.sign(claims).map_err(|e| PushError::Auth(e.to_string()))?;
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer")
            .append_pair("assertion", &assertion)
            .finish();
        let response = self
            .client
            .post(&self.account.token_uri)
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| PushError::Auth(e.to_string()))?;
        let status = response.status();
        let text = response.text().await.map_err(|e| PushError::Auth(e.to_string()))?;
        if !status.is_success() {
            return Err(PushError::Auth(format!("token endpoint said {status}: {}", text.chars().take(200).collect::<String>())));
        }
        #[derive(Deserialize)]
        struct Token {
            access_token: String,
            expires_in: u64,
        }
        let token: Token = serde_json::from_str(&text).map_err(|e| PushError::Auth(e.to_string()))?;
        let lifetime = Duration::from_secs(token.expires_in.saturating_sub(300).max(60));
        *cached = Some((token.access_token.clone(), Instant::now() + lifetime));
        Ok(token.access_token)
    }

    /// One topic message for the edition's readers.
    pub async fn send_topic(&self, edition: &str, alert: &Alert) -> Delivery {
        let token = self.access_token().await?;
        let url = format!("{}/v1/projects/{}/messages:send", self.endpoint, self.account.project_id);
        let body = serde_json::to_vec(&message(&topic(edition), alert)).map_err(|e| PushError::Build(e.to_string()))?;
        let result = send_with_retry(
            &self.client,
            self.retry,
            || {
                self.client
                    .post(&url)
                    .bearer_auth(&token)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone())
                    .build()
                    .map_err(|e| PushError::Build(e.to_string()))
            },
            |_, _| false,
        )
        .await;
        if let Err(PushError::Rejected { status: 401, .. }) = &result {
            // A revoked token: the next alert fetches a new one.
            *self.token.lock().await = None;
        }
        result
    }
}

/// The HTTP v1 message: a visible notification plus the alert as `data` (strings only).
pub fn message(topic: &str, alert: &Alert) -> serde_json::Value {
    let (title, body) = alert.title_and_body();
    let data: serde_json::Map<String, serde_json::Value> = match serde_json::to_value(alert) {
        Ok(serde_json::Value::Object(map)) => map
            .into_iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| (k, serde_json::Value::String(v.as_str().map_or_else(|| v.to_string(), str::to_owned))))
            .collect(),
        _ => Default::default(),
    };
    let collapse = alert.collapse_key();
    serde_json::json!({
        "message": {
            "topic": topic,
            "notification": { "title": title, "body": body },
            "data": data,
            "android": { "priority": "high", "ttl": "21600s", "collapse_key": collapse, "notification": { "tag": collapse } },
            "apns": { "headers": { "apns-collapse-id": collapse } }
        }
    })
}
