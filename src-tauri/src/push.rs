//! Push on phones: while Settings has a relay address, the platform registration
//! (tauri-plugin-caliber-push: UnifiedPush on Android, APNs on iOS) is subscribed at that
//! relay with the reader's editions, sections, keywords and quiet hours
//! (`Core::sync_push_subscription`), updated when they change and deleted when the address
//! is cleared. Alerts the phone showed by itself are recorded as announced before the app
//! announces anything (`record_shown`). Desktops have no registration: the task is not
//! started there, and `record_shown` finds nothing.

use std::sync::Mutex;
use std::time::Duration;

use caliber_core::Core;
use caliber_core::push::{PushDevice, PushPrefs};
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_caliber_push::Push;

use crate::error::IpcResult;
use crate::settings::Settings;
use crate::state::AppState;

/// The platform registration as last handed over, and the task's wake-up.
#[derive(Default)]
pub struct PushHandle {
    device: Mutex<Option<PushDevice>>,
    changed: tokio::sync::Notify,
}

impl PushHandle {
    /// Settings or followed editions changed: bring the relay's copy up to date.
    pub fn changed(&self) {
        self.changed.notify_one();
    }

    fn remember(&self, device: PushDevice) {
        *self.device.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(device);
    }

    /// A new registration while the app runs: remembered, and the task woken.
    fn set_device(&self, device: PushDevice) {
        self.remember(device);
        self.changed.notify_one();
    }

    fn device(&self) -> Option<PushDevice> {
        self.device.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }
}

/// What the reader wants pushed: the followed editions (narrowed by the alert languages),
/// sections, keywords, and quiet hours in the device's time zone; nothing with alerts off.
pub fn wanted(core: &Core, settings: &Settings, time_zone: Option<&str>) -> IpcResult<PushPrefs> {
    let followed: Vec<caliber_core::Edition> = core.editions_followed()?.into_iter().filter(|(_, on)| *on).map(|(e, _)| e).collect();
    Ok(PushPrefs::new(&settings.notifications, &followed, time_zone))
}

/// Record the alerts the phone showed while the app was closed (or in the background), so
/// neither the local poll nor the relay's stream announces those stories again.
pub fn record_shown<R: Runtime>(app: &AppHandle<R>) {
    let Some(push) = app.try_state::<Push<R>>() else { return };
    let Some(state) = app.try_state::<AppState>() else { return };
    match push.take_shown_alerts() {
        Ok(alerts) if !alerts.is_empty() => {
            if let Err(e) = state.core.record_shown_alerts(&alerts) {
                caliber_core::log_line!("caliber: push: could not record the alerts shown: {e}");
            }
        }
        Ok(_) => {}
        Err(e) => caliber_core::log_line!("caliber: push: {e}"),
    }
}

/// Whether relayed alerts reach this device by push (so the event stream only records them).
pub fn active(core: &Core) -> bool {
    cfg!(mobile) && core.push_subscription().ok().flatten().is_some()
}

/// After a failed attempt (relay down, no network): try again after this long, or sooner
/// on a change.
const RETRY: Duration = Duration::from_secs(5 * 60);

/// The registration task (phones): register with the platform for the relay's address,
/// then keep the relay's subscription in line with the settings.
pub fn spawn<R: Runtime>(app: AppHandle<R>) {
    tauri::async_runtime::spawn(async move {
        let state = app.state::<AppState>();
        let mut registered_for: Option<String> = None;
        loop {
            record_shown(&app);
            let failed = match sync_once(&app, &state, &mut registered_for).await {
                Ok(()) => false,
                Err(e) => {
                    caliber_core::log_line!("caliber: push: {e}");
                    true
                }
            };
            if failed {
                tokio::select! {
                    () = tokio::time::sleep(RETRY) => {}
                    () = state.push.changed.notified() => {}
                }
            } else {
                state.push.changed.notified().await;
            }
        }
    });
}

#[derive(Debug, thiserror::Error)]
enum PushTaskError {
    #[error(transparent)]
    Ipc(#[from] crate::error::IpcError),
    #[error(transparent)]
    Core(#[from] caliber_core::Error),
    #[error("the phone's push service: {0}")]
    Platform(#[from] tauri_plugin_caliber_push::Error),
}

async fn sync_once<R: Runtime>(app: &AppHandle<R>, state: &AppState, registered_for: &mut Option<String>) -> Result<(), PushTaskError> {
    let settings = Settings::load(&state.core, &state.system_locale)?;
    let relay_url = settings.relay_url.clone();
    let push = app.state::<Push<R>>();
    if relay_url.is_empty() {
        if registered_for.take().is_some() {
            push.unregister()?;
        }
    } else if registered_for.as_deref() != Some(relay_url.as_str()) {
        // UnifiedPush registers with the relay's VAPID key, so each relay is a registration.
        let vapid = state.core.relay_vapid_key(&relay_url).await.ok();
        ask_notification_permission(app);
        let handle = app.clone();
        let known = push
            .register(vapid, move |device| {
                if let Some(state) = handle.try_state::<AppState>() {
                    state.push.set_device(device);
                }
            })
            .await?;
        if let Some(device) = known {
            state.push.remember(device);
        }
        *registered_for = Some(relay_url.clone());
    }
    // Until the platform answers, the device of the last subscription still stands.
    let device = state.push.device().or_else(|| state.core.push_subscription().ok().flatten().map(|s| s.device));
    let zone = iana_time_zone::get_timezone().ok();
    let wanted = wanted(&state.core, &settings, zone.as_deref())?;
    let outcome = state.core.sync_push_subscription(&relay_url, device.as_ref(), &wanted).await?;
    caliber_core::log_line!("caliber: push: {outcome:?}");
    Ok(())
}

/// Android 13+ shows nothing without the reader's consent, also for what the push service
/// shows with the app closed: ask once, before registering.
#[cfg(target_os = "android")]
fn ask_notification_permission<R: Runtime>(app: &AppHandle<R>) {
    use tauri_plugin_notification::{NotificationExt, PermissionState};
    let notification = app.notification();
    if !matches!(notification.permission_state(), Ok(PermissionState::Granted)) {
        let _ = notification.request_permission();
    }
}

/// iOS asks in the plugin's `register` (with the APNs registration); desktops do not register.
#[cfg(not(target_os = "android"))]
fn ask_notification_permission<R: Runtime>(_app: &AppHandle<R>) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_followed_editions_and_alert_settings_are_what_is_pushed() {
        let dir = tempfile::tempdir().unwrap();
        let http = caliber_core::HttpClient::new(caliber_core::FetchOptions::default());
        let core = Core::open(caliber_core::CoreConfig::in_data_dir(dir.path(), http)).unwrap();
        core.follow_edition("ru").unwrap();
        core.follow_edition("arm").unwrap();
        let mut settings = Settings::defaults("ru-RU");
        settings.notifications.keywords = vec!["нефть".into()];
        let pushed = wanted(&core, &settings, Some("Asia/Baku")).unwrap();
        let mut editions = pushed.editions.clone();
        editions.sort();
        assert_eq!(editions, vec!["arm".to_owned(), "ru".to_owned()]);
        assert_eq!(pushed.keywords, vec!["нефть".to_owned()]);
        settings.notifications.enabled = false;
        assert!(wanted(&core, &settings, None).unwrap().editions.is_empty(), "alerts off: no subscription");
        assert!(!active(&core), "no subscription here");
    }
}
