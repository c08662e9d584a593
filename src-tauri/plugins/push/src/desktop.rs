//! Desktops: no platform push (the app reads the relay's event stream instead).

use std::marker::PhantomData;

use tauri::plugin::PluginApi;
use tauri::{AppHandle, Runtime};

use crate::{Error, PushDevice, Result, ShownAlert};

pub fn init<R: Runtime, C: serde::de::DeserializeOwned>(_app: &AppHandle<R>, _api: PluginApi<R, C>) -> Push<R> {
    Push(PhantomData)
}

pub struct Push<R: Runtime>(PhantomData<fn() -> R>);

impl<R: Runtime> Push<R> {
    /// Always `Unsupported` here.
    pub async fn register(
        &self,
        _vapid_key: Option<String>,
        _on_change: impl Fn(PushDevice) + Send + Sync + 'static,
    ) -> Result<Option<PushDevice>> {
        Err(Error::Unsupported)
    }

    pub fn unregister(&self) -> Result<()> {
        Ok(())
    }

    /// Nothing is ever shown behind the app's back here.
    pub fn take_shown_alerts(&self) -> Result<Vec<ShownAlert>> {
        Ok(Vec::new())
    }
}
