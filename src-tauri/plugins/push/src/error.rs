/// What can go wrong between the app and the platform's push service.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Desktops have no push registration here (they use the relay's event stream).
    #[error("push registration is only on Android and iOS")]
    Unsupported,
    /// The native side refused or failed (no distributor, permission denied, no network).
    #[cfg(mobile)]
    #[error(transparent)]
    Native(#[from] tauri::plugin::mobile::PluginInvokeError),
    /// The native side answered something this build cannot read.
    #[error("unreadable answer from the native push plugin: {0}")]
    Answer(#[from] serde_json::Error),
}

pub type Result<T> = std::result::Result<T, Error>;
