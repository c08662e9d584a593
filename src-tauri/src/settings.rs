//! The reader's settings: kept in the core's database (so the CLI and the app agree), with
//! defaults from the system language. The UI mirrors theme and text size in localStorage
//! only to apply them before first paint.

use caliber_core::Core;
use caliber_core::notify::{NotifyPrefs, QuietHours};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{IpcError, IpcResult};

const KEY: &str = "app.settings";
/// The last settings text that could not be read, kept for the reader or a maintainer.
const UNREADABLE_KEY: &str = "app.settings.unreadable";
/// The background sync never runs more often than this; shorter intervals are raised to it.
pub const MIN_SYNC_MINUTES: u32 = 5;
/// Minutes between background syncs until the reader picks another interval.
pub const DEFAULT_SYNC_MINUTES: u32 = 15;
/// Text size in percent, inclusive; anything outside is refused.
pub const TEXT_SCALE_RANGE: (u32, u32) = (80, 200);
/// The interface languages, in the order Settings lists them.
pub const UI_LANGUAGES: &[&str] = &["ru", "en", "az", "hy"];
/// The interface language when the system's is none of `UI_LANGUAGES`.
pub const FALLBACK_UI_LANGUAGE: &str = "en";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    Light,
    Dark,
    System,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    pub theme: Theme,
    /// Percent, within `TEXT_SCALE_RANGE`.
    pub text_scale: u32,
    /// One of `UI_LANGUAGES`.
    #[ts(as = "UiLanguageName")]
    pub ui_language: String,
    /// Minutes between background syncs (at least `MIN_SYNC_MINUTES`).
    pub sync_interval_minutes: u32,
    /// Breaking-news alerts (the core's policy reads these); an update replaces the whole object.
    #[serde(default)]
    pub notifications: NotifyPrefs,
    /// The push relay whose event stream brings alerts sooner (`relay/`); empty: none.
    #[serde(default)]
    pub relay_url: String,
}

/// A partial update from the UI; absent fields are kept.
#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(optional_fields)]
pub struct SettingsPatch {
    pub theme: Option<Theme>,
    pub text_scale: Option<u32>,
    #[ts(as = "Option<UiLanguageName>")]
    pub ui_language: Option<String>,
    pub sync_interval_minutes: Option<u32>,
    pub notifications: Option<NotifyPrefs>,
    /// An http(s) address, or empty to stop using a relay.
    pub relay_url: Option<String>,
}

/// A change to some alert preferences (Settings → Alerts sends only what the reader touched);
/// absent fields are kept. `pausedUntil` is not here: only `pause_alerts` sets it, so a
/// pause from the tray is never overwritten by a stale copy.
#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
#[ts(optional_fields)]
pub struct NotifyPrefsPatch {
    pub enabled: Option<bool>,
    pub sections: Option<Vec<String>>,
    pub keywords: Option<Vec<String>>,
    pub languages: Option<Vec<String>>,
    pub max_age_minutes: Option<u32>,
    /// Absent: kept; `null`: quiet hours off; a value: on, with these times.
    #[serde(deserialize_with = "present")]
    #[ts(as = "Option<Option<QuietHours>>")]
    pub quiet_hours: Option<Option<QuietHours>>,
    pub max_per_hour: Option<u32>,
}

/// A field that is present deserialises to `Some`, even when it is `null` (absent stays `None`
/// through `#[serde(default)]`).
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

impl NotifyPrefsPatch {
    /// `prefs` with this change; at least one alert an hour, as `Settings::apply` keeps it.
    pub fn apply_to(self, mut prefs: NotifyPrefs) -> NotifyPrefs {
        if let Some(v) = self.enabled {
            prefs.enabled = v;
        }
        if let Some(v) = self.sections {
            prefs.sections = v;
        }
        if let Some(v) = self.keywords {
            prefs.keywords = v;
        }
        if let Some(v) = self.languages {
            prefs.languages = v;
        }
        if let Some(v) = self.max_age_minutes {
            prefs.max_age_minutes = v;
        }
        if let Some(v) = self.quiet_hours {
            prefs.quiet_hours = v;
        }
        if let Some(v) = self.max_per_hour {
            prefs.max_per_hour = v.max(1);
        }
        prefs
    }
}

/// Only its name is used: the generated `UiLanguage` (a union of `UI_LANGUAGES`) in field types.
#[derive(TS)]
#[ts(rename = "UiLanguage")]
pub struct UiLanguageName;

/// The interface language for a system locale ("ru-RU" → "ru").
pub fn ui_language_for(locale: &str) -> &'static str {
    let base = locale.split(['-', '_']).next().unwrap_or("").to_ascii_lowercase();
    UI_LANGUAGES.iter().copied().find(|l| *l == base).unwrap_or(FALLBACK_UI_LANGUAGE)
}

impl Settings {
    pub fn defaults(system_locale: &str) -> Self {
        Self {
            theme: Theme::System,
            text_scale: 100,
            ui_language: ui_language_for(system_locale).into(),
            sync_interval_minutes: DEFAULT_SYNC_MINUTES,
            notifications: NotifyPrefs::default(),
            relay_url: String::new(),
        }
    }

    pub fn load(core: &Core, system_locale: &str) -> IpcResult<Self> {
        let defaults = Self::defaults(system_locale);
        let Some(json) = core.setting(KEY)? else { return Ok(defaults) };
        if let Ok(settings) = serde_json::from_str(&json) {
            return Ok(settings);
        }
        // Unreadable (an older or newer build, a hand edit, a bad disk): keep every field that
        // still reads, and the original text under its own key, so the next save cannot be
        // what loses it; say so where a maintainer looks.
        let (settings, dropped) = Self::salvage(&json, defaults);
        if core.setting(UNREADABLE_KEY)?.as_deref() != Some(json.as_str()) {
            core.set_setting(UNREADABLE_KEY, &json)?;
            caliber_core::log_line!(
                "caliber: the saved settings could not be read; kept what could be ({}), the rest is back to defaults; the original is kept as setting {UNREADABLE_KEY:?}",
                if dropped.is_empty() { "nothing was readable".to_owned() } else { format!("reset: {}", dropped.join(", ")) }
            );
        }
        Ok(settings)
    }

    /// The fields of `json` that read, over `defaults`; the names of those that did not.
    fn salvage(json: &str, defaults: Self) -> (Self, Vec<String>) {
        let Ok(serde_json::Value::Object(stored)) = serde_json::from_str::<serde_json::Value>(json) else {
            return (defaults, vec!["everything".into()]);
        };
        let serde_json::Value::Object(mut merged) = serde_json::to_value(&defaults).expect("settings serialise") else {
            unreachable!("settings serialise as an object")
        };
        let mut dropped = Vec::new();
        for (field, value) in stored {
            let Some(default) = merged.insert(field.clone(), value) else { continue };
            if serde_json::from_value::<Self>(serde_json::Value::Object(merged.clone())).is_err() {
                merged.insert(field.clone(), default);
                dropped.push(field);
            }
        }
        let settings = serde_json::from_value(serde_json::Value::Object(merged)).unwrap_or(defaults);
        (settings, dropped)
    }

    pub fn apply(mut self, patch: SettingsPatch) -> IpcResult<Self> {
        if let Some(theme) = patch.theme {
            self.theme = theme;
        }
        if let Some(scale) = patch.text_scale {
            if !(TEXT_SCALE_RANGE.0..=TEXT_SCALE_RANGE.1).contains(&scale) {
                let (min, max) = TEXT_SCALE_RANGE;
                return Err(IpcError::InvalidInput(format!("text size {scale}% is outside {min}–{max}%")));
            }
            self.text_scale = scale;
        }
        if let Some(lang) = patch.ui_language {
            if !UI_LANGUAGES.contains(&lang.as_str()) {
                return Err(IpcError::InvalidInput(format!("unknown interface language {lang:?}")));
            }
            self.ui_language = lang;
        }
        if let Some(minutes) = patch.sync_interval_minutes {
            self.sync_interval_minutes = minutes.max(MIN_SYNC_MINUTES);
        }
        if let Some(url) = patch.relay_url {
            let url = url.trim();
            if !url.is_empty() {
                caliber_core::relay::check_relay_url(url).map_err(|e| IpcError::InvalidInput(e.to_string()))?;
            }
            self.relay_url = url.to_owned();
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
