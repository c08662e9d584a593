//! Web Push: RFC 8030 delivery, RFC 8291 `aes128gcm` payload encryption and RFC 8292 VAPID,
//! all by the `web-push-native` crate (RustCrypto, no OpenSSL). Covers browsers and
//! UnifiedPush distributors on Android without Google services.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64ct::{Base64UrlUnpadded, Encoding};
use web_push_native::jwt_simple::prelude::*;
use web_push_native::{Auth, WebPushBuilder, p256};

use super::{Alert, Delivery, RetryPolicy, send_with_retry};
use crate::error::PushError;

/// How long a push service keeps an undelivered alert: stale news is not news.
const TTL: Duration = Duration::from_secs(6 * 3600);
/// RFC 8292 allows at most 24 hours; a token is reused per push service for an hour.
const VAPID_LIFETIME: Duration = Duration::from_secs(12 * 3600);
const VAPID_REUSE: Duration = Duration::from_secs(3600);
/// RFC 8030 §7.2 asks push services to accept at least 4096 bytes of payload.
const MAX_PAYLOAD: usize = 3800;

pub struct WebPush {
    client: reqwest::Client,
    vapid: ES256KeyPair,
    subject: String,
    retry: RetryPolicy,
    /// VAPID header per push-service origin, with when it was signed.
    tokens: Mutex<HashMap<String, (String, Instant)>>,
}

impl WebPush {
    pub fn new(client: reqwest::Client, vapid: ES256KeyPair, subject: String, retry: RetryPolicy) -> Self {
        Self { client, vapid, subject, retry, tokens: Mutex::new(HashMap::new()) }
    }

    /// `Authorization: vapid t=…, k=…` (RFC 8292). Signed here rather than by
    /// `WebPushBuilder::with_vapid`, whose `aud` drops a non-default port: the audience must
    /// be the push resource's origin, port included.
    fn vapid_header(&self, endpoint: &str) -> Result<String, PushError> {
        let origin = url::Url::parse(endpoint).map_err(|e| PushError::Build(e.to_string()))?.origin().ascii_serialization();
        let mut tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((header, signed)) = tokens.get(&origin)
            && signed.elapsed() < VAPID_REUSE
        {
            return Ok(header.clone());
        }
        let claims = Claims::create(VAPID_LIFETIME.into()).with_audience(&origin).with_subject(&self.subject);
        let token = self.vapid.sign(claims).map_err(|e| PushError::Auth(e.to_string()))?;
        let header = format!("vapid t={token}, k={}", self.public_key());
        tokens.insert(origin, (header.clone(), Instant::now()));
        Ok(header)
    }

    /// The application server key a browser passes to `pushManager.subscribe`.
    pub fn public_key(&self) -> String {
        Base64UrlUnpadded::encode_string(&self.vapid.public_key().public_key().to_bytes_uncompressed())
    }

    pub async fn send(&self, endpoint: &str, p256dh: &str, auth: &str, alert: &Alert) -> Delivery {
        let builder = builder(endpoint, p256dh, auth)?.with_valid_duration(TTL);
        let authorization = http::HeaderValue::from_str(&self.vapid_header(endpoint)?).map_err(|e| PushError::Build(e.to_string()))?;
        let payload = payload(alert);
        let urgency = match alert {
            Alert::Story { breaking: true, .. } => "high",
            _ => "normal",
        };
        send_with_retry(
            &self.client,
            self.retry,
            || {
                let mut request = builder.build(payload.clone()).map_err(|e| PushError::Build(e.to_string()))?;
                request.headers_mut().insert("Urgency", http::HeaderValue::from_static(urgency));
                request.headers_mut().insert(http::header::AUTHORIZATION, authorization.clone());
                reqwest::Request::try_from(request).map_err(|e| PushError::Build(e.to_string()))
            },
            |status, _| status == 404 || status == 410,
        )
        .await
    }
}

fn builder(endpoint: &str, p256dh: &str, auth: &str) -> Result<WebPushBuilder, PushError> {
    let uri: http::Uri = endpoint.parse().map_err(|e: http::uri::InvalidUri| PushError::Build(e.to_string()))?;
    let key = decode_p256dh(p256dh).ok_or_else(|| PushError::Build("bad p256dh key".into()))?;
    let auth = decode_auth(auth).ok_or_else(|| PushError::Build("bad auth secret".into()))?;
    Ok(WebPushBuilder::new(uri, key, auth))
}

/// The subscriber's P-256 public key (base64url, uncompressed point), if valid.
pub fn decode_p256dh(text: &str) -> Option<p256::PublicKey> {
    let bytes = Base64UrlUnpadded::decode_vec(text.trim_end_matches('=')).ok()?;
    if bytes.len() != 65 {
        return None;
    }
    p256::PublicKey::from_sec1_bytes(&bytes).ok()
}

/// The subscriber's 16-byte auth secret (base64url), if valid.
pub fn decode_auth(text: &str) -> Option<Auth> {
    let bytes = Base64UrlUnpadded::decode_vec(text.trim_end_matches('=')).ok()?;
    (bytes.len() == 16).then(|| Auth::clone_from_slice(&bytes))
}

/// The alert as JSON, with a long title cut so the payload fits every push service.
fn payload(alert: &Alert) -> Vec<u8> {
    let mut alert = alert.clone();
    loop {
        let bytes = serde_json::to_vec(&alert).unwrap_or_default();
        if bytes.len() <= MAX_PAYLOAD {
            return bytes;
        }
        match &mut alert {
            Alert::Story { title, .. } if title.chars().count() > 40 => {
                let keep = title.chars().count() * 3 / 4;
                *title = title.chars().take(keep).collect::<String>() + "…";
            }
            Alert::Story { url, .. } if url.is_some() => *url = None,
            _ => return bytes,
        }
    }
}

/// A fresh VAPID key pair (its private half is kept in the relay's database).
pub fn generate_vapid() -> ES256KeyPair {
    ES256KeyPair::generate()
}

pub fn vapid_from_base64(text: &str) -> Option<ES256KeyPair> {
    ES256KeyPair::from_bytes(&Base64UrlUnpadded::decode_vec(text.trim()).ok()?).ok()
}

pub fn vapid_to_base64(key: &ES256KeyPair) -> String {
    Base64UrlUnpadded::encode_string(&key.to_bytes())
}
