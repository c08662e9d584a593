//! Android and iOS: the Kotlin / Swift plugin, called through Tauri's mobile bridge.

use serde::{Deserialize, Serialize};
use tauri::ipc::{Channel, InvokeResponseBody};
use tauri::plugin::{PluginApi, PluginHandle};
use tauri::{AppHandle, Runtime};

use crate::{PushDevice, Result, ShownAlert};

#[cfg(target_os = "ios")]
tauri::ios_plugin_binding!(init_plugin_caliber_push);

pub fn init<R: Runtime, C: serde::de::DeserializeOwned>(_app: &AppHandle<R>, api: PluginApi<R, C>) -> Result<Push<R>> {
    #[cfg(target_os = "android")]
    let handle = api.register_android_plugin("app.caliber.push", "PushPlugin")?;
    #[cfg(target_os = "ios")]
    let handle = api.register_ios_plugin(init_plugin_caliber_push)?;
    Ok(Push(handle))
}

pub struct Push<R: Runtime>(PluginHandle<R>);

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RegisterArgs {
    /// The relay's VAPID public key (UnifiedPush passes it to the distributor; APNs ignores it).
    vapid_key: Option<String>,
    /// Later registrations (a new endpoint or token) come through here while the app runs.
    on_change: Channel<serde_json::Value>,
}

#[derive(Deserialize)]
struct Registered {
    /// The registration known now, if the platform already gave one.
    registration: Option<PushDevice>,
}

#[derive(Deserialize)]
struct Shown {
    alerts: Vec<ShownAlert>,
}

impl<R: Runtime> Push<R> {
    /// Ask the platform for push (Android: pick the UnifiedPush distributor and register;
    /// iOS: ask the reader's permission and register with APNs). Answers the registration
    /// already known, if any; each later one goes to `on_change`.
    /// Async: on iOS the answer waits for the reader to allow notifications.
    pub async fn register(
        &self,
        vapid_key: Option<String>,
        on_change: impl Fn(PushDevice) + Send + Sync + 'static,
    ) -> Result<Option<PushDevice>> {
        let on_change = Channel::new(move |body: InvokeResponseBody| {
            match body.deserialize::<PushDevice>() {
                Ok(device) => on_change(device),
                Err(e) => caliber_core::log_line!("caliber: push: unreadable registration from the platform: {e}"),
            }
            Ok(())
        });
        let registered: Registered = self.0.run_mobile_plugin_async("register", RegisterArgs { vapid_key, on_change }).await?;
        Ok(registered.registration)
    }

    /// Stop receiving pushes on this device (the relay address was cleared).
    pub fn unregister(&self) -> Result<()> {
        Ok(self.0.run_mobile_plugin("unregister", ())?)
    }

    /// The alerts the phone showed by itself since the last call (each returned once).
    pub fn take_shown_alerts(&self) -> Result<Vec<ShownAlert>> {
        let shown: Shown = self.0.run_mobile_plugin("takeShownAlerts", ())?;
        Ok(shown.alerts)
    }
}
