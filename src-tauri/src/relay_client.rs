//! The push relay as a source of alerts (Settings → Alerts → Relay URL): while an address
//! is set, one task keeps the relay's event stream open and shows each breaking story it
//! sends through the reader's own policy (`Core::notify_relayed`: the same dedupe tables as
//! the local poll, so each story is announced once, by whichever sees it first). When the
//! relay cannot be reached it retries with backoff (1 s doubling to a minute) and says
//! "unreachable"; the local poll goes on alerting as without a relay.

use std::sync::Mutex;
use std::time::Duration;

use caliber_core::relay::{self, RelayEvent, StreamEnd};
use chrono::Offset;
use tauri::{AppHandle, Emitter, Manager, Runtime};

use crate::dto::{RelayState, RelayStatus};
use crate::events;
use crate::settings::Settings;
use crate::state::AppState;

/// The relay sends a keep-alive every 15 s by default: three missed ones mean a dead link.
pub const IDLE: Duration = Duration::from_secs(45);
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// The client's status and its wake-up, kept in `AppState`.
pub struct RelayHandle {
    status: Mutex<RelayStatus>,
    changed: tokio::sync::Notify,
}

impl Default for RelayHandle {
    fn default() -> Self {
        Self { status: Mutex::new(RelayStatus { state: RelayState::Off, error: None, revision: 0 }), changed: tokio::sync::Notify::new() }
    }
}

impl RelayHandle {
    pub fn status(&self) -> RelayStatus {
        self.status.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// The address or the followed editions changed: drop the stream and start again.
    pub fn reconnect(&self) {
        self.changed.notify_one();
    }

    fn set<R: Runtime>(&self, app: &AppHandle<R>, state: RelayState, error: Option<String>) {
        if let Some(changed) = self.change(state, error) {
            let _ = app.emit(events::RELAY_STATUS, changed);
        }
    }

    /// The new status, numbered, when it differs from the current one.
    fn change(&self, state: RelayState, error: Option<String>) -> Option<RelayStatus> {
        let mut current = self.status.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if current.state == state && current.error == error {
            return None;
        }
        *current = RelayStatus { state, error, revision: current.revision + 1 };
        Some(current.clone())
    }
}

/// Backoff after `failures` failed attempts in a row: 1, 2, 4 … 60 s.
pub fn backoff(failures: u32) -> Duration {
    Duration::from_secs(1u64 << failures.saturating_sub(1).min(6)).min(MAX_BACKOFF)
}

pub fn spawn<R: Runtime>(app: AppHandle<R>) {
    tauri::async_runtime::spawn(async move {
        let state = app.state::<AppState>();
        let relay = &state.relay;
        let mut failures: u32 = 0;
        let mut last_event_id: Option<String> = None;
        let mut last_url = String::new();
        loop {
            let settings = match Settings::load(&state.core, &state.system_locale) {
                Ok(s) => s,
                Err(e) => {
                    caliber_core::log_line!("caliber: relay: cannot read the settings: {e}");
                    relay.changed.notified().await;
                    continue;
                }
            };
            if settings.relay_url.is_empty() {
                relay.set(&app, RelayState::Off, None);
                failures = 0;
                relay.changed.notified().await;
                continue;
            }
            if settings.relay_url != last_url {
                // Another relay's event ids mean nothing here.
                last_event_id = None;
                last_url = settings.relay_url.clone();
            }
            let followed: Vec<String> = match state.core.editions_followed() {
                Ok(list) => list.into_iter().filter(|(_, followed)| *followed).map(|(e, _)| e.code).collect(),
                Err(_) => Vec::new(),
            };
            let url = match relay::events_url(&settings.relay_url, &followed) {
                Ok(url) => url,
                Err(e) => {
                    relay.set(&app, RelayState::Unreachable, Some(e.to_string()));
                    relay.changed.notified().await;
                    continue;
                }
            };
            if failures == 0 && relay.status().state != RelayState::Connected {
                relay.set(&app, RelayState::Connecting, None);
            }
            let resume = last_event_id.clone();
            let mut opened = false;
            let on_event = |event: RelayEvent| match event {
                RelayEvent::Ready { .. } => {
                    opened = true;
                    relay.set(&app, RelayState::Connected, None);
                }
                RelayEvent::Story { id, story } => {
                    if id.is_some() {
                        last_event_id = id;
                    }
                    // Only editions the reader follows (the stream may be all of them).
                    if !followed.is_empty() && !followed.contains(&story.edition) {
                        return;
                    }
                    if crate::push::active(&state.core) {
                        // The phone shows it from the push message: only remember it here.
                        let shown = caliber_core::push::ShownAlert { story: story.keys.first().cloned(), url: story.url.clone() };
                        if let Err(e) = state.core.record_shown_alerts(&[shown]) {
                            caliber_core::log_line!("caliber: relay: {e}");
                        }
                        return;
                    }
                    crate::push::record_shown(&app);
                    let Ok(settings) = Settings::load(&state.core, &state.system_locale) else { return };
                    let offset = chrono::Local::now().offset().fix();
                    match state.core.notify_relayed(&story, &settings.notifications, offset) {
                        Ok(notices) => crate::notifications::deliver_relayed(&app, notices, &settings.ui_language, story.url.clone()),
                        Err(e) => caliber_core::log_line!("caliber: relay: {e}"),
                    }
                }
            };
            let outcome = tokio::select! {
                outcome = state.core.follow_relay(&url, resume.as_deref(), IDLE, on_event) => Some(outcome),
                () = relay.changed.notified() => None,
            };
            if opened {
                failures = 0;
            }
            match outcome {
                None => failures = 0,
                Some(Ok(end)) => {
                    // The relay closed the stream (a restart) or it went silent: reconnect now.
                    if matches!(end, StreamEnd::Silent) {
                        caliber_core::log_line!("caliber: relay: the stream went silent; reconnecting");
                    }
                    relay.set(&app, RelayState::Connecting, None);
                    failures = failures.saturating_add(1);
                    wait_or_change(relay, backoff(failures)).await;
                }
                // Cut off after it was open (a relay restart): the next attempt says which.
                Some(Err(e)) if opened => {
                    caliber_core::log_line!("caliber: relay: the stream broke ({e}); reconnecting");
                    relay.set(&app, RelayState::Connecting, None);
                    failures = failures.saturating_add(1);
                    wait_or_change(relay, backoff(failures)).await;
                }
                Some(Err(e)) => {
                    failures = failures.saturating_add(1);
                    relay.set(&app, RelayState::Unreachable, Some(e.to_string()));
                    wait_or_change(relay, backoff(failures)).await;
                }
            }
        }
    });
}

async fn wait_or_change(relay: &RelayHandle, wait: Duration) {
    tokio::select! {
        () = tokio::time::sleep(wait) => {}
        () = relay.changed.notified() => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_status_change_is_numbered_higher_and_a_repeat_is_not_a_change() {
        let relay = RelayHandle::default();
        assert_eq!(relay.status().revision, 0);
        let connecting = relay.change(RelayState::Connecting, None).expect("a change");
        let connected = relay.change(RelayState::Connected, None).expect("a change");
        assert!(connecting.revision < connected.revision);
        assert_eq!(relay.change(RelayState::Connected, None), None);
        let down = relay.change(RelayState::Unreachable, Some("refused".into())).expect("a change");
        let other_error = relay.change(RelayState::Unreachable, Some("timed out".into())).expect("a new error is a change");
        assert!(down.revision < other_error.revision);
        assert_eq!(relay.status(), other_error);
    }

    #[test]
    fn backoff_doubles_to_a_minute() {
        let waits: Vec<u64> = (1..=9).map(|n| backoff(n).as_secs()).collect();
        assert_eq!(waits, vec![1, 2, 4, 8, 16, 32, 60, 60, 60]);
    }
}
