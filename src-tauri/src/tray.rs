//! Desktop tray: the app keeps syncing (and alerting) with its window closed.
//! Open, sync now, pause alerts for 1 h, quit.

#[cfg(desktop)]
use tauri::{AppHandle, Manager, Runtime};

use crate::error::IpcResult;
use crate::settings::{Settings, SettingsPatch};
use crate::state::AppState;

pub fn pause_alerts(state: &AppState, minutes: u32) -> IpcResult<Settings> {
    let settings = Settings::load(&state.core, &state.system_locale)?;
    let mut prefs = settings.notifications.clone();
    prefs.paused_until = Some(chrono::Utc::now() + chrono::Duration::minutes(i64::from(minutes)));
    let updated = settings.apply(SettingsPatch { notifications: Some(prefs), ..Default::default() })?;
    updated.save(&state.core)?;
    Ok(updated)
}

#[cfg(desktop)]
pub fn install<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
    use tauri::tray::TrayIconBuilder;

    let ui_language = {
        let state = app.state::<AppState>();
        Settings::load(&state.core, &state.system_locale).map(|s| s.ui_language).unwrap_or_else(|_| crate::settings::FALLBACK_UI_LANGUAGE.into())
    };
    let [open, sync, pause, quit] = match ui_language.as_str() {
        "ru" => ["Открыть", "Обновить сейчас", "Без уведомлений 1 час", "Выйти"],
        "az" => ["Aç", "İndi yenilə", "Bildirişləri 1 saat dayandır", "Çıx"],
        "hy" => ["Բացել", "Թարմացնել հիմա", "Դադարեցնել ծանուցումները 1 ժամով", "Դուրս գալ"],
        _ => ["Open", "Sync now", "Pause alerts for 1 h", "Quit"],
    };
    let menu = Menu::with_items(
        app,
        &[
            &MenuItem::with_id(app, "open", open, true, None::<&str>)?,
            &MenuItem::with_id(app, "sync", sync, true, None::<&str>)?,
            &MenuItem::with_id(app, "pause", pause, true, None::<&str>)?,
            &PredefinedMenuItem::separator(app)?,
            &MenuItem::with_id(app, "quit", quit, true, None::<&str>)?,
        ],
    )?;
    let mut tray = TrayIconBuilder::with_id("main").tooltip("Caliber Reader").menu(&menu).on_menu_event(|app, event| match event.id().as_ref() {
        "open" => crate::notifications::open_article(app, None),
        "sync" => {
            let app = app.clone();
            tauri::async_runtime::spawn(async move {
                let _ = app.state::<AppState>().sync(&app).await;
            });
        }
        "pause" => {
            let _ = pause_alerts(&app.state::<AppState>(), 60);
        }
        "quit" => app.exit(0),
        _ => {}
    });
    if let Some(icon) = app.default_window_icon() {
        tray = tray.icon(icon.clone());
    }
    tray.build(app)?;
    Ok(())
}
