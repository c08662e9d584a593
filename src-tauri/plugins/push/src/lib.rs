//! Push on phones for Caliber Reader. The native halves register with the platform's push
//! service and show what arrives while the app is closed:
//! - Android (`android/`, Kotlin): UnifiedPush. The distributor gives a Web Push endpoint
//!   and keys (`PushDevice::WebPush`); the connector decrypts each message (RFC 8291) and
//!   `CaliberPushService` shows it on the "breaking-news" channel, opening
//!   `caliber://open?url=<article link>` when tapped.
//! - iOS (`ios/`, Swift): APNs. Authorisation, `registerForRemoteNotifications`, the device
//!   token (`PushDevice::Apns`) from the app delegate callback; iOS shows the alert itself
//!   and a tap opens the same deep link from the payload's `caliber.url`.
//!
//! Both remember what they showed ([`ShownAlert`]) until the app takes it
//! ([`Push::take_shown_alerts`]) and records it as announced. The app (not the web view)
//! drives this plugin; on desktops it registers nothing.

use tauri::plugin::{Builder, TauriPlugin};
use tauri::{Manager, Runtime};

pub use caliber_core::push::{PushDevice, ShownAlert};

#[cfg(desktop)]
mod desktop;
mod error;
#[cfg(mobile)]
mod mobile;

#[cfg(desktop)]
pub use desktop::Push;
pub use error::{Error, Result};
#[cfg(mobile)]
pub use mobile::Push;

/// The plugin's name (its permissions are `caliber-push:…`).
pub const NAME: &str = "caliber-push";

/// Access to the plugin from anything that reaches the app.
pub trait PushExt<R: Runtime> {
    fn push(&self) -> &Push<R>;
}

impl<R: Runtime, T: Manager<R>> PushExt<R> for T {
    fn push(&self) -> &Push<R> {
        self.state::<Push<R>>().inner()
    }
}

pub fn init<R: Runtime>() -> TauriPlugin<R> {
    Builder::new(NAME)
        .setup(|app, api| {
            #[cfg(mobile)]
            let push = mobile::init(app, api)?;
            #[cfg(desktop)]
            let push = desktop::init(app, api);
            app.manage(push);
            Ok(())
        })
        .build()
}
