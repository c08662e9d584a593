//! A phone's subscription at the push relay (`relay/`, `POST /v1/subscriptions`): what the
//! platform hands the app (a UnifiedPush / Web Push endpoint with its keys, or an APNs
//! device token) plus the reader's alert settings become one subscription, created, updated
//! or deleted as they change. The subscription is remembered in the core's settings table
//! (its id is the reader's only handle at the relay), so each call sends only what changed.
//! Also what a relayed alert the phone already showed leaves behind: its story keys,
//! recorded as notified so the app's own sync does not announce the story again.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::fetch::HttpClient;
use crate::notify::NotifyPrefs;

/// Where the subscription is kept (`Core::setting`).
pub(crate) const SUBSCRIPTION_KEY: &str = "push.subscription";

/// How the relay reaches this device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum PushDevice {
    /// A Web Push endpoint (a UnifiedPush distributor on Android) and its RFC 8291 keys,
    /// base64url: `p256dh` the device's P-256 public key, `auth` its 16-byte secret.
    #[serde(rename_all = "camelCase")]
    WebPush { endpoint: String, p256dh: String, auth: String },
    /// An APNs device token, hex.
    #[serde(rename_all = "camelCase")]
    Apns { device_token: String },
}

/// Quiet hours as the relay takes them: local "HH:MM" in an IANA time zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RelayQuietHours {
    pub start: String,
    pub end: String,
    pub time_zone: String,
}

/// What the reader wants pushed: the relay's subscription preferences.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PushPrefs {
    pub editions: Vec<String>,
    pub sections: Vec<String>,
    pub keywords: Vec<String>,
    pub quiet_hours: Option<RelayQuietHours>,
}

impl PushPrefs {
    /// The reader's alert settings for the relay. `followed`: the editions followed;
    /// `prefs.languages` (languages, not edition codes: Armenian is edition `arm`, language
    /// `hy`) narrows them as it does local alerts. Alerts switched off want
    /// nothing (no editions). Quiet hours need the device's IANA zone (`time_zone`);
    /// without one they are left to the phone (the relay would send during them).
    pub fn new(prefs: &NotifyPrefs, followed: &[crate::Edition], time_zone: Option<&str>) -> Self {
        if !prefs.enabled {
            return Self::default();
        }
        let editions = followed
            .iter()
            .filter(|e| prefs.languages.is_empty() || prefs.languages.contains(&e.language))
            .map(|e| e.code.clone())
            .collect();
        let quiet_hours = match (prefs.quiet_hours, time_zone) {
            (Some(q), Some(zone)) if !zone.is_empty() => Some(RelayQuietHours {
                start: q.start.format("%H:%M").to_string(),
                end: q.end.format("%H:%M").to_string(),
                time_zone: zone.to_owned(),
            }),
            _ => None,
        };
        Self { editions, sections: prefs.sections.clone(), keywords: prefs.keywords.clone(), quiet_hours }
    }

    /// Only the editions the relay polls (it refuses others).
    fn within(mut self, polled: &[String]) -> Self {
        self.editions.retain(|e| polled.contains(e));
        self
    }
}

/// The subscription as remembered: where, for which device, with what, under which id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PushSubscription {
    pub relay_url: String,
    pub device: PushDevice,
    /// What the reader wanted (before narrowing to the relay's editions): a change is
    /// noticed without asking the relay.
    pub prefs: PushPrefs,
    pub id: String,
}

/// What `Core::sync_push_subscription` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushOutcome {
    /// Nothing to subscribe (no relay, no device yet, nothing wanted) and nothing was.
    Off,
    /// Subscribed anew, with this id.
    Subscribed(String),
    /// The preferences changed and were sent.
    Updated(String),
    /// The relay already has this.
    Unchanged(String),
    /// The subscription was deleted at the relay (relay cleared, alerts off, nothing followed).
    Unsubscribed,
}

/// An alert the phone showed by itself (the app was not running): `story` is the payload's
/// story key, `url` its link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShownAlert {
    #[serde(default)]
    pub story: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
}

impl ShownAlert {
    /// The keys the local policy knows the story by (`notify::story_keys`: `img:…`, `url:…`).
    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.story.iter().filter(|k| !k.is_empty()).cloned().collect();
        if let Some(url) = self.url.as_deref().filter(|u| !u.is_empty()) {
            let key = format!("url:{url}");
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
        keys
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SubscribeBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    web_push: Option<WebPushBody<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    apns: Option<ApnsBody<'a>>,
    #[serde(flatten)]
    prefs: &'a PushPrefs,
}

#[derive(Serialize)]
struct WebPushBody<'a> {
    endpoint: &'a str,
    keys: WebPushKeys<'a>,
}

#[derive(Serialize)]
struct WebPushKeys<'a> {
    p256dh: &'a str,
    auth: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ApnsBody<'a> {
    device_token: &'a str,
}

/// The subscribe request's JSON (`relay/src/api.rs` `SubscribeRequest`).
pub fn subscribe_body(device: &PushDevice, prefs: &PushPrefs) -> serde_json::Value {
    let body = match device {
        PushDevice::WebPush { endpoint, p256dh, auth } => SubscribeBody {
            web_push: Some(WebPushBody { endpoint, keys: WebPushKeys { p256dh, auth } }),
            apns: None,
            prefs,
        },
        PushDevice::Apns { device_token } => {
            SubscribeBody { web_push: None, apns: Some(ApnsBody { device_token }), prefs }
        }
    };
    serde_json::to_value(body).expect("a subscription serialises")
}

fn api_url(base: &str, path: &str) -> Result<String> {
    Ok(crate::relay::api_url(base, path)?.into())
}

fn refused(url: &str, status: u16, body: &[u8]) -> Error {
    // The relay says what was wrong as {"error": "…"}.
    let message = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned))
        .unwrap_or_else(|| String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned());
    Error::RelayRefused { url: url.to_owned(), status, message }
}

/// One request to the relay's API whose answer, with a status in `accepted`, is JSON.
async fn relay_json<T: serde::de::DeserializeOwned>(
    http: &HttpClient,
    method: reqwest::Method,
    url: &str,
    body: Option<Vec<u8>>,
    accepted: &[u16],
) -> Result<T> {
    let (status, answer) = http.relay_request(method, url, body).await?;
    if !accepted.contains(&status) {
        return Err(refused(url, status, &answer));
    }
    serde_json::from_slice(&answer).map_err(|e| refused(url, status, e.to_string().as_bytes()))
}

/// The relay's VAPID public key (the `applicationServerKey` a distributor may ask for).
pub async fn vapid_public_key(http: &HttpClient, relay_url: &str) -> Result<String> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Key {
        public_key: String,
    }
    let url = api_url(relay_url, "vapid-public-key")?;
    let key: Key = relay_json(http, reqwest::Method::GET, &url, None, &[200]).await?;
    Ok(key.public_key)
}

/// The editions the relay polls.
pub async fn relay_editions(http: &HttpClient, relay_url: &str) -> Result<Vec<String>> {
    let url = api_url(relay_url, "editions")?;
    relay_json(http, reqwest::Method::GET, &url, None, &[200]).await
}

/// `POST /v1/subscriptions`: the new subscription's id.
pub async fn subscribe(http: &HttpClient, relay_url: &str, device: &PushDevice, prefs: &PushPrefs) -> Result<String> {
    #[derive(Deserialize)]
    struct Created {
        id: String,
    }
    let url = api_url(relay_url, "subscriptions")?;
    let body = serde_json::to_vec(&subscribe_body(device, prefs)).expect("JSON");
    let created: Created = relay_json(http, reqwest::Method::POST, &url, Some(body), &[201, 200]).await?;
    Ok(created.id)
}

/// `PUT /v1/subscriptions/{id}`: `false` when the relay no longer knows the id (it drops
/// subscriptions whose endpoint is gone, and a re-subscription voids the old id).
pub async fn update(http: &HttpClient, relay_url: &str, id: &str, prefs: &PushPrefs) -> Result<bool> {
    let url = api_url(relay_url, &format!("subscriptions/{id}"))?;
    let body = serde_json::to_vec(prefs).expect("JSON");
    let (status, answer) = http.relay_request(reqwest::Method::PUT, &url, Some(body)).await?;
    match status {
        200..=299 => Ok(true),
        404 => Ok(false),
        _ => Err(refused(&url, status, &answer)),
    }
}

/// `DELETE /v1/subscriptions/{id}`; one the relay no longer knows is as good as deleted.
pub async fn unsubscribe(http: &HttpClient, relay_url: &str, id: &str) -> Result<()> {
    let url = api_url(relay_url, &format!("subscriptions/{id}"))?;
    let (status, answer) = http.relay_request(reqwest::Method::DELETE, &url, None).await?;
    match status {
        200..=299 | 404 => Ok(()),
        _ => Err(refused(&url, status, &answer)),
    }
}

/// Bring the relay in line with what is wanted, given what was done before (`stored`).
/// Returns what it did and what to remember (`None`: no subscription). On an error nothing
/// changed that the caller must forget: the stored subscription is still right, and the next
/// call tries again.
pub(crate) async fn reconcile(
    http: &HttpClient,
    stored: Option<PushSubscription>,
    relay_url: &str,
    device: Option<&PushDevice>,
    wanted: &PushPrefs,
) -> Result<(PushOutcome, Option<PushSubscription>)> {
    let relay_url = relay_url.trim();
    let device = match device {
        Some(device) if !relay_url.is_empty() && !wanted.editions.is_empty() => device,
        _ => {
            return Ok(match stored {
                Some(old) => {
                    unsubscribe(http, &old.relay_url, &old.id).await?;
                    (PushOutcome::Unsubscribed, None)
                }
                None => (PushOutcome::Off, None),
            });
        }
    };
    let same_place = stored.as_ref().filter(|old| old.relay_url == relay_url && &old.device == device);
    if let Some(old) = same_place
        && old.prefs == *wanted
    {
        return Ok((PushOutcome::Unchanged(old.id.clone()), stored));
    }
    let sent = wanted.clone().within(&relay_editions(http, relay_url).await?);
    if sent.editions.is_empty() {
        // The relay polls none of the editions followed: nothing to be pushed from there.
        if let Some(old) = stored {
            unsubscribe(http, &old.relay_url, &old.id).await?;
            return Ok((PushOutcome::Unsubscribed, None));
        }
        return Ok((PushOutcome::Off, None));
    }
    let remember = |id: String| PushSubscription { relay_url: relay_url.to_owned(), device: device.clone(), prefs: wanted.clone(), id };
    if let Some(old) = same_place
        && update(http, relay_url, &old.id, &sent).await?
    {
        return Ok((PushOutcome::Updated(old.id.clone()), Some(remember(old.id.clone()))));
    }
    let id = subscribe(http, relay_url, device, &sent).await?;
    // Another relay or a new endpoint: the old subscription would go on pushing (or failing)
    // there. Removed after the new one exists, so a refused subscription leaves the old one
    // working. A relay that cannot be reached now drops it by itself once its push service
    // answers 404/410.
    if let Some(old) = stored.as_ref().filter(|old| old.id != id)
        && let Err(e) = unsubscribe(http, &old.relay_url, &old.id).await
    {
        crate::log_line!("caliber: push: could not remove the old subscription at {}: {e}", old.relay_url);
    }
    Ok((PushOutcome::Subscribed(id.clone()), Some(remember(id))))
}

#[cfg(test)]
mod tests {
    use chrono::NaiveTime;

    use super::*;
    use crate::notify::QuietHours;

    #[test]
    fn the_readers_alert_settings_become_the_relays_preferences() {
        let mut prefs = NotifyPrefs {
            sections: vec!["Мир".into()],
            keywords: vec!["нефть".into()],
            quiet_hours: Some(QuietHours {
                start: NaiveTime::from_hms_opt(22, 0, 0).unwrap(),
                end: NaiveTime::from_hms_opt(7, 30, 0).unwrap(),
            }),
            ..NotifyPrefs::default()
        };
        let followed: Vec<crate::Edition> =
            crate::Core::editions().into_iter().filter(|e| ["ru", "en", "arm"].contains(&e.code.as_str())).collect();
        let push = PushPrefs::new(&prefs, &followed, Some("Asia/Baku"));
        assert_eq!(push.editions, vec!["ru".to_owned(), "en".to_owned(), "arm".to_owned()]);
        assert_eq!(
            push.quiet_hours,
            Some(RelayQuietHours { start: "22:00".into(), end: "07:30".into(), time_zone: "Asia/Baku".into() })
        );
        // Without a zone the relay could not place the hours: they stay on the phone.
        assert_eq!(PushPrefs::new(&prefs, &followed, None).quiet_hours, None);
        prefs.languages = vec!["en".into(), "hy".into()];
        assert_eq!(PushPrefs::new(&prefs, &followed, None).editions, vec!["en".to_owned(), "arm".to_owned()], "by language");
        prefs.enabled = false;
        assert!(PushPrefs::new(&prefs, &followed, None).editions.is_empty(), "alerts off: nothing pushed");
    }

    #[test]
    fn the_subscribe_body_is_what_the_relay_reads() {
        let prefs = PushPrefs { editions: vec!["ru".into()], ..PushPrefs::default() };
        let web = PushDevice::WebPush { endpoint: "https://up.example/x".into(), p256dh: "BP".into(), auth: "au".into() };
        assert_eq!(
            subscribe_body(&web, &prefs),
            serde_json::json!({"webPush": {"endpoint": "https://up.example/x", "keys": {"p256dh": "BP", "auth": "au"}},
                "editions": ["ru"], "sections": [], "keywords": [], "quietHours": null})
        );
        let apns = PushDevice::Apns { device_token: "ab12".into() };
        assert_eq!(subscribe_body(&apns, &prefs)["apns"], serde_json::json!({"deviceToken": "ab12"}));
        assert_eq!(api_url("https://relay.example/caliber", "subscriptions/x").unwrap(), "https://relay.example/caliber/v1/subscriptions/x");
        assert_eq!(api_url("http://127.0.0.1:8780/", "editions").unwrap(), "http://127.0.0.1:8780/v1/editions");
    }

    #[test]
    fn a_shown_alert_is_known_by_its_story_key_and_its_link() {
        let alert = ShownAlert { story: Some("img:cover.jpg".into()), url: Some("https://caliber.az/post/1".into()) };
        assert_eq!(alert.keys(), vec!["img:cover.jpg".to_owned(), "url:https://caliber.az/post/1".to_owned()]);
        let only_link = ShownAlert { story: Some("url:https://caliber.az/post/1".into()), url: Some("https://caliber.az/post/1".into()) };
        assert_eq!(only_link.keys(), vec!["url:https://caliber.az/post/1".to_owned()]);
    }
}
