//! Fan-out to the platforms' push services. Each engine delivers one alert; the poll loop
//! decides who gets what. Every request is retried on 429 and 5xx with backoff (honouring a
//! bounded `Retry-After`), and a subscription the service calls gone is reported as such.

pub mod apns;
pub mod fcm;
pub mod webpush;

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::PushError;

/// What a device is told. The same JSON is the Web Push payload (encrypted), the FCM `data`
/// and the APNs custom keys, so one client parser serves every platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Alert {
    #[serde(rename_all = "camelCase")]
    Story {
        edition: String,
        title: String,
        source: String,
        url: Option<String>,
        breaking: bool,
        /// Identifies the story across editions (clients may collapse on it).
        story: String,
    },
    /// "N more stories": held back by the rate limit or by the reader's quiet hours.
    #[serde(rename_all = "camelCase")]
    Summary { edition: Option<String>, count: u32 },
}

impl Alert {
    /// The visible notification's title and body, for services that show it themselves.
    pub fn title_and_body(&self) -> (String, String) {
        match self {
            Alert::Story { title, source, breaking, .. } => {
                (if *breaking { format!("⚡ {title}") } else { title.clone() }, source.clone())
            }
            Alert::Summary { count, .. } => {
                ("Caliber".into(), format!("{count} more {}", if *count == 1 { "story" } else { "stories" }))
            }
        }
    }

    /// A short collapse key: the same story from two editions replaces, never stacks.
    pub fn collapse_key(&self) -> String {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        match self {
            Alert::Story { story, .. } => story.hash(&mut h),
            Alert::Summary { .. } => "summary".hash(&mut h),
        }
        format!("{:016x}", h.finish())
    }
}

/// How requests are retried.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub attempts: u32,
    pub backoff_base: Duration,
    /// A longer `Retry-After` is not waited for.
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self { attempts: 4, backoff_base: Duration::from_millis(500), max_wait: Duration::from_secs(30) }
    }
}

impl RetryPolicy {
    fn wait(&self, attempt: u32, retry_after: Option<&reqwest::header::HeaderValue>) -> Duration {
        let told = retry_after.and_then(|v| v.to_str().ok()).and_then(|s| s.trim().parse::<u64>().ok()).map(Duration::from_secs);
        told.unwrap_or(self.backoff_base * 2u32.saturating_pow(attempt)).min(self.max_wait)
    }
}

/// What one delivery came to.
pub type Delivery = Result<(), PushError>;

/// Send with retries: `make` builds a fresh request per attempt (Web Push encrypts anew).
/// 404/410 are `Gone`; other 4xx are `Rejected` at once; 429, 5xx and network errors retry.
pub(crate) async fn send_with_retry(
    client: &reqwest::Client,
    policy: RetryPolicy,
    mut make: impl FnMut() -> Result<reqwest::Request, PushError>,
    gone: impl Fn(u16, &str) -> bool,
) -> Delivery {
    let mut last = String::new();
    for attempt in 0..policy.attempts.max(1) {
        let request = make()?;
        match client.execute(request).await {
            Ok(response) => {
                let status = response.status().as_u16();
                if response.status().is_success() {
                    return Ok(());
                }
                let retry_after = response.headers().get(reqwest::header::RETRY_AFTER).cloned();
                let body: String = response.text().await.unwrap_or_default().chars().take(300).collect();
                if gone(status, &body) {
                    return Err(PushError::Gone { status });
                }
                if status != 429 && status < 500 {
                    return Err(PushError::Rejected { status, body });
                }
                last = format!("{status} {body}");
                if attempt + 1 < policy.attempts {
                    tokio::time::sleep(policy.wait(attempt, retry_after.as_ref())).await;
                }
            }
            Err(e) => {
                last = e.to_string();
                if attempt + 1 < policy.attempts {
                    tokio::time::sleep(policy.wait(attempt, None)).await;
                }
            }
        }
    }
    Err(PushError::GaveUp { attempts: policy.attempts.max(1), last })
}
