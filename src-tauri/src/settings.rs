//! The reader's settings: kept in the core's database (so the CLI and the app agree), with
//! defaults from the system language. The UI mirrors theme and text size in localStorage
//! only to apply them before first paint.

use caliber_core::Core;
use caliber_core::notify::NotifyPrefs;
use serde::{Deserialize, Serialize};

use crate::error::{IpcError, IpcResult};

const KEY: &str = "app.settings";
pub const MIN_SYNC_MINUTES: u32 = 5;
pub const TEXT_SCALE_RANGE: (u32, u32) = (80, 200);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    Light,
    Dark,
    System,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    pub theme: Theme,
    pub text_scale: u32,
    pub ui_language: String,
    pub sync_interval_minutes: u32,
    /// Breaking-news alerts (the core's policy reads these).
    #[serde(default)]
    pub notifications: NotifyPrefs,
}

/// A partial update from the UI; absent fields are kept.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SettingsPatch {
    pub theme: Option<Theme>,
    pub text_scale: Option<u32>,
    pub ui_language: Option<String>,
    pub sync_interval_minutes: Option<u32>,
    pub notifications: Option<NotifyPrefs>,
}

pub fn ui_language_for(locale: &str) -> &'static str {
    match locale.split(['-', '_']).next().unwrap_or("").to_ascii_lowercase().as_str() {
        "ru" => "ru",
        "az" => "az",
        _ => "en",
    }
}

impl Settings {
    pub fn defaults(system_locale: &str) -> Self {
        Self {
            theme: Theme::System,
            text_scale: 100,
            ui_language: ui_language_for(system_locale).into(),
            sync_interval_minutes: 15,
            notifications: NotifyPrefs::default(),
        }
    }

    pub fn load(core: &Core, system_locale: &str) -> IpcResult<Self> {
        Ok(match core.setting(KEY)? {
            Some(json) => serde_json::from_str(&json).unwrap_or_else(|_| Self::defaults(system_locale)),
            None => Self::defaults(system_locale),
        })
    }

    pub fn apply(mut self, patch: SettingsPatch) -> IpcResult<Self> {
        if let Some(theme) = patch.theme {
            self.theme = theme;
        }
        if let Some(scale) = patch.text_scale {
            if !(TEXT_SCALE_RANGE.0..=TEXT_SCALE_RANGE.1).contains(&scale) {
                return Err(IpcError::InvalidInput(format!("text size {scale}% is outside 80–200%")));
            }
            self.text_scale = scale;
        }
        if let Some(lang) = patch.ui_language {
            if !["ru", "en", "az"].contains(&lang.as_str()) {
                return Err(IpcError::InvalidInput(format!("unknown interface language {lang:?}")));
            }
            self.ui_language = lang;
        }
        if let Some(minutes) = patch.sync_interval_minutes {
            self.sync_interval_minutes = minutes.max(MIN_SYNC_MINUTES);
        }
        if let Some(mut notifications) = patch.notifications {
            notifications.max_per_hour = notifications.max_per_hour.max(1);
            self.notifications = notifications;
        }
        Ok(self)
    }

    pub fn save(&self, core: &Core) -> IpcResult<()> {
        let json = serde_json::to_string(self).map_err(|e| IpcError::Internal(e.to_string()))?;
        Ok(core.set_setting(KEY, &json)?)
    }
}
