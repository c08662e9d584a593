//! caliber-app: the Tauri shell. Thin commands over caliber-core, the picture scheme,
//! the background sync loop, and desktop-only plugins registered behind `cfg(desktop)`.

pub mod commands;
pub mod dto;
pub mod error;
pub mod events;
pub mod image_scheme;
pub mod settings;
pub mod state;

use std::path::PathBuf;
use std::time::Duration;

use tauri::{AppHandle, Builder, Manager, Runtime};

use crate::settings::{MIN_SYNC_MINUTES, Settings};
use crate::state::AppState;

/// Environment variable that overrides the data dir (tests, portable installs).
pub const DATA_DIR_ENV: &str = "CALIBER_DATA_DIR";

/// Everything but the platform plugins: commands, state, the picture scheme, the sync loop.
/// Generic over the runtime so commands run on the mock runtime in tests.
pub fn build_app<R: Runtime>(builder: Builder<R>, data_dir: Option<PathBuf>, background_sync: bool) -> Builder<R> {
    builder
        .plugin(tauri_plugin_clipboard_manager::init())
        .plugin(tauri_plugin_opener::init())
        .register_asynchronous_uri_scheme_protocol(image_scheme::SCHEME, image_scheme::handle)
        .invoke_handler(tauri::generate_handler![
            commands::list_articles,
            commands::get_article,
            commands::search_articles,
            commands::mark_article,
            commands::list_sections,
            commands::get_settings,
            commands::update_settings,
            commands::list_sources,
            commands::add_source,
            commands::remove_source,
            commands::import_opml,
            commands::export_opml,
            commands::list_editions,
            commands::set_edition_followed,
            commands::sync_now,
            commands::storage_stats,
        ])
        .setup(move |app| {
            let data_dir = match data_dir.clone() {
                Some(dir) => dir,
                None => app.path().app_data_dir()?,
            };
            let locale = sys_locale::get_locale().unwrap_or_else(|| "en".into());
            let state = AppState::open(data_dir, locale).map_err(|e| Box::new(e) as Box<dyn std::error::Error>)?;
            app.manage(state);
            if background_sync {
                spawn_sync_loop(app.handle().clone());
            }
            Ok(())
        })
}

/// Sync at start-up, then on the reader's interval; after a failed or offline sync, try
/// again sooner (1, 2, 4 … minutes) but never more often than that.
fn spawn_sync_loop<R: Runtime>(app: AppHandle<R>) {
    tauri::async_runtime::spawn(async move {
        let mut failures: u32 = 0;
        loop {
            let state = app.state::<AppState>();
            let ok = matches!(state.sync(&app).await, Ok((_, summary)) if !summary.offline && summary.failed == 0);
            failures = if ok { 0 } else { failures.saturating_add(1) };
            let interval = Settings::load(&state.core, &state.system_locale)
                .map(|s| s.sync_interval_minutes)
                .unwrap_or(15)
                .max(MIN_SYNC_MINUTES);
            let minutes = if ok { interval } else { (1u32 << failures.min(6).saturating_sub(1)).min(interval) };
            tokio::time::sleep(Duration::from_secs(u64::from(minutes) * 60)).await;
        }
    });
}

#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    let data_dir = std::env::var_os(DATA_DIR_ENV).filter(|d| !d.is_empty()).map(PathBuf::from);
    let builder = desktop_plugins(tauri::Builder::default());
    build_app(builder, data_dir, true)
        .run(tauri::generate_context!())
        .expect("error while running Caliber Reader");
}

#[cfg(desktop)]
fn desktop_plugins<R: Runtime>(builder: Builder<R>) -> Builder<R> {
    builder
        // First, so a second launch focuses the running window instead of opening another.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            if let Some(window) = app.get_webview_window("main") {
                let _ = window.unminimize();
                let _ = window.show();
                let _ = window.set_focus();
            }
        }))
        .plugin(tauri_plugin_window_state::Builder::default().build())
}

#[cfg(mobile)]
fn desktop_plugins<R: Runtime>(builder: Builder<R>) -> Builder<R> {
    builder
}
