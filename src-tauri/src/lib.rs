//! caliber-app: the Tauri shell. Thin commands over caliber-core, the picture scheme,
//! the background sync loop, and desktop-only plugins registered behind `cfg(desktop)`.

pub mod command_names;
pub mod commands;
pub mod contract;
pub mod dto;
pub mod error;
pub mod events;
pub mod image_scheme;
pub mod navigation;
pub mod notifications;
pub mod push;
pub mod relay_client;
#[cfg(any(target_os = "linux", windows))]
mod scheme;
pub mod settings;
#[cfg(target_os = "linux")]
pub mod shell_gl;
pub mod state;
pub mod tray;
#[cfg(display_only_egl)]
mod web_egl;
#[cfg(target_os = "linux")]
pub mod webkit_env;

use std::path::PathBuf;
use std::time::Duration;

use tauri::{AppHandle, Builder, Manager, Runtime};

use crate::settings::{DEFAULT_SYNC_MINUTES, MIN_SYNC_MINUTES, Settings};
use crate::state::AppState;

/// Environment variable that overrides the data dir (tests, portable installs).
pub const DATA_DIR_ENV: &str = "CALIBER_DATA_DIR";

/// Everything but the platform plugins: commands, state, the picture scheme, the sync loop.
/// Generic over the runtime so commands run on the mock runtime in tests.
/// `shell`: the tray and deep links of a real desktop session (off on the mock runtime).
pub fn build_app<R: Runtime>(builder: Builder<R>, data_dir: Option<PathBuf>, shell: bool) -> Builder<R> {
    builder
        .plugin(tauri_plugin_clipboard_manager::init())
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_caliber_push::init())
        .plugin(navigation::guard())
        .register_asynchronous_uri_scheme_protocol(image_scheme::SCHEME, image_scheme::handle)
        // Each command here must be listed in command_names.rs too (the app's ACL manifest).
        .invoke_handler(tauri::generate_handler![
            commands::list_articles,
            commands::get_article,
            commands::search_articles,
            commands::mark_article,
            commands::list_sections,
            commands::story_in_other_editions,
            commands::get_settings,
            commands::update_settings,
            commands::update_notify_prefs,
            commands::list_sources,
            commands::add_source,
            commands::remove_source,
            commands::import_opml,
            commands::export_opml,
            commands::list_editions,
            commands::set_edition_followed,
            commands::sync_now,
            commands::storage_stats,
            commands::send_test_notification,
            commands::pause_alerts,
            commands::share_article,
            commands::relay_status,
        ])
        .setup(move |app| {
            let data_dir = match data_dir.clone() {
                Some(dir) => dir,
                None => app.path().app_data_dir()?,
            };
            let locale = sys_locale::get_locale().unwrap_or_else(|| "en".into());
            let state = AppState::open(data_dir.clone(), locale).map_err(|e| Box::new(e) as Box<dyn std::error::Error>)?;
            app.manage(state);
            create_main_window(app)?;
            // WebKit's processes are started: what the app starts from now on gets none of their variables.
            #[cfg(target_os = "linux")]
            webkit_env::stop();
            #[cfg(target_os = "android")]
            notifications::create_channel(app.handle());
            if shell {
                #[cfg(desktop)]
                desktop_setup(app, &data_dir);
                #[cfg(mobile)]
                mobile_setup(app);
                spawn_sync_loop(app.handle().clone());
                relay_client::spawn(app.handle().clone());
            }
            Ok(())
        })
}

/// The "main" window from `tauri.conf.json` (`create: false` there), built here because
/// only a window built in code can refuse new windows ("Open Link in New Window",
/// `window.open`) and send their links to the system browser.
fn create_main_window<R: Runtime>(app: &mut tauri::App<R>) -> tauri::Result<()> {
    let Some(config) = app.config().app.windows.iter().find(|w| w.label == "main").cloned() else {
        return Ok(());
    };
    if app.get_webview_window(&config.label).is_some() {
        return Ok(());
    }
    let builder = tauri::WebviewWindowBuilder::from_config(app.handle(), &config)?;
    #[cfg(desktop)]
    let builder = builder.on_new_window(navigation::new_window_handler(app.handle()));
    let window = builder.build()?;
    lean_web_cache(&window);
    Ok(())
}

/// WebKitGTK's default cache model (web browser) keeps every picture a page has shown,
/// decoded, in the web process's memory cache long after it left the screen: after a
/// reader scrolled 1,000 cards that was most of 860 MiB. The document-viewer model keeps
/// what is on the page, and our pictures are served again from the app's own store
/// (`caliber-img`) when scrolled back to (BENCHMARKS.md, the app at 100k articles).
///
/// Compositing is off too: a page of text and small pictures gains little from layers,
/// and without them the web process held 200 MiB less after searching and scrolling at
/// 100k articles, and a scrolling frame took 13 ms instead of 66 (BENCHMARKS.md, "WebKit
/// compositing off, shipped"). WebDriver screenshots then need a drawing to happen
/// (`tests/e2e/harness.js`).
#[cfg(target_os = "linux")]
fn lean_web_cache<R: Runtime>(window: &tauri::WebviewWindow<R>) {
    use webkit2gtk::{CacheModel, HardwareAccelerationPolicy, SettingsExt, WebContextExt, WebViewExt};
    let _ = window.with_webview(|webview| {
        let view = webview.inner();
        if let Some(context) = view.context() {
            context.set_cache_model(CacheModel::DocumentViewer);
        }
        if let Some(settings) = WebViewExt::settings(&view) {
            settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
        }
    });
}

#[cfg(not(target_os = "linux"))]
fn lean_web_cache<R: Runtime>(_window: &tauri::WebviewWindow<R>) {}

/// Sync at start-up, then on the reader's interval; after a failed or offline sync, try
/// again sooner (1, 2, 4 … minutes) but never more often than the interval. A jump of the
/// wall clock past the monotonic one means the machine slept: sync on wake.
fn spawn_sync_loop<R: Runtime>(app: AppHandle<R>) {
    const TICK: Duration = Duration::from_secs(30);
    const LAUNCH_SYNC_WAIT: Duration = Duration::from_secs(3);
    // Time for the web view to lay out and paint that first list and its pictures: on 2
    // cores a sync started sooner made one launch in three paint its first card a second
    // late (BENCHMARKS.md, the app at 100k).
    const FIRST_PAINT_GRACE: Duration = Duration::from_secs(1);
    tauri::async_runtime::spawn(async move {
        // The launch's sync (500 sources are 500 requests and their writes, on 2 cores)
        // starts once the window has its first list, so it never delays the stored articles
        // the reader opened the app to see; at the latest after LAUNCH_SYNC_WAIT.
        let state = app.state::<AppState>();
        let _ = tokio::time::timeout(LAUNCH_SYNC_WAIT, state.first_list_served.notified()).await;
        tokio::time::sleep(FIRST_PAINT_GRACE).await;
        // What waits for the index: after an update that rebuilt it, every article (left by
        // `Core::open`, AppState::open: 5 s at 100,000 articles); after a sync killed while
        // indexing, the rest; usually nothing. Searching finds them once this is done; a
        // failure leaves them to the sync, which reports it.
        let core = state.core.clone();
        let _ = tauri::async_runtime::spawn_blocking(move || core.index_pending()).await;
        let mut failures: u32 = 0;
        let mut launch = true;
        loop {
            let state = app.state::<AppState>();
            let ok = if std::mem::take(&mut launch) {
                state.launch_sync(&app).await
            } else {
                state::reached_every_source(&state.sync(&app).await)
            };
            failures = if ok { 0 } else { failures.saturating_add(1) };
            let interval = Settings::load(&state.core, &state.system_locale)
                .map(|s| s.sync_interval_minutes)
                .unwrap_or(DEFAULT_SYNC_MINUTES)
                .max(MIN_SYNC_MINUTES);
            let minutes = if ok { interval } else { (1u32 << failures.min(6).saturating_sub(1)).min(interval) };
            let due = std::time::SystemTime::now() + Duration::from_secs(u64::from(minutes) * 60);
            loop {
                let before = std::time::SystemTime::now();
                tokio::time::sleep(TICK).await;
                let slept = std::time::SystemTime::now().duration_since(before).unwrap_or_default();
                let woke = slept > TICK + Duration::from_secs(60);
                if woke || std::time::SystemTime::now() >= due {
                    break;
                }
            }
        }
    });
}

#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    let data_dir = std::env::var_os(DATA_DIR_ENV).filter(|d| !d.is_empty()).map(PathBuf::from);
    let builder = platform_plugins(tauri::Builder::default());
    build_app(builder, data_dir, true)
        .run(tauri::generate_context!())
        .expect("error while running Caliber Reader");
}

/// Under WebDriver (tauri-driver sets this), the window closes for real and no second
/// instance is redirected, so each test session starts a fresh process.
#[cfg(desktop)]
fn under_automation() -> bool {
    std::env::var_os("TAURI_AUTOMATION").is_some()
}

/// Desktops: single instance (a second launch or a caliber:// link reaches the running
/// window), window state, deep links, and closing to the tray.
#[cfg(desktop)]
fn platform_plugins<R: Runtime>(builder: Builder<R>) -> Builder<R> {
    let builder = if under_automation() {
        builder
    } else {
        // First, so a second launch (or a caliber:// link) reaches the running window.
        builder.plugin(tauri_plugin_single_instance::init(|app, args, _cwd| {
            let target = args.iter().find_map(|a| notifications::target_from_deep_link(a));
            notifications::open_target(app, target.unwrap_or(notifications::ClickTarget::Home));
        }))
    };
    builder
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .plugin(tauri_plugin_deep_link::init())
        .on_window_event(|window, event| {
            // Closing the window keeps the app in the tray, syncing and alerting.
            if let tauri::WindowEvent::CloseRequested { api, .. } = event
                && !under_automation()
                && window.app_handle().tray_by_id("main").is_some()
            {
                api.prevent_close();
                let _ = window.hide();
            }
        })
}

/// Deep links and the tray, once the app's state exists.
#[cfg(desktop)]
fn desktop_setup<R: Runtime>(app: &mut tauri::App<R>, data_dir: &std::path::Path) {
    use tauri_plugin_deep_link::DeepLinkExt;
    let handle = app.handle().clone();
    app.deep_link().on_open_url(move |event| {
        let target = event.urls().iter().find_map(|u| notifications::target_from_deep_link(u.as_str()));
        notifications::open_target(&handle, target.unwrap_or(notifications::ClickTarget::Home));
    });
    // Installed packages register the scheme; a plain binary registers itself, off the
    // main thread (which serves the page) and once per binary path (scheme.rs).
    #[cfg(any(target_os = "linux", windows))]
    scheme::register_in_background(app.handle(), data_dir);
    #[cfg(not(any(target_os = "linux", windows)))]
    let _ = data_dir;
    if let Err(e) = tray::install(app.handle()) {
        caliber_core::log_line!("caliber: no tray icon ({e}); closing the window will quit");
    }
}

/// Phones: deep links and the system share sheet (no tray, window state or single instance).
#[cfg(mobile)]
fn platform_plugins<R: Runtime>(builder: Builder<R>) -> Builder<R> {
    builder.plugin(tauri_plugin_deep_link::init()).plugin(tauri_plugin_sharekit::init())
}

/// Phones: a tap on a notification comes back as a `caliber://` link (the app's own
/// `caliber://article/<id>`, a relayed alert's `caliber://open?url=…`), also when it started
/// the app; and the push registration task.
#[cfg(mobile)]
fn mobile_setup<R: Runtime>(app: &mut tauri::App<R>) {
    use tauri_plugin_deep_link::DeepLinkExt;
    let handle = app.handle().clone();
    let open = move |urls: &[url::Url]| {
        if let Some(target) = urls.iter().find_map(|u| notifications::target_from_deep_link(u.as_str())) {
            notifications::open_target(&handle, target);
        }
    };
    if let Ok(Some(urls)) = app.deep_link().get_current() {
        open(&urls);
    }
    app.deep_link().on_open_url(move |event| open(&event.urls()));
    push::spawn(app.handle().clone());
}
