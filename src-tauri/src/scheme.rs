//! The `caliber://` scheme registered with the desktop (Linux, Windows) for a plain binary.
//!
//! On Linux tauri-plugin-deep-link's `register_all` runs two programs to completion
//! (`update-desktop-database`, `xdg-mime`): about 10 ms on a bare X server, far longer where
//! `xdg-mime` goes through a desktop's own tools. Run in `setup` it held the main thread,
//! which serves the page's files and IPC, just as the page loads. So it runs on a thread of
//! its own, and once per binary: a marker in the data dir names the binary last registered,
//! and a launch of the same binary does nothing (nor takes the links back from an app the
//! reader has chosen since). A moved binary (a new AppImage path), or a desktop entry
//! removed since, registers again.

use std::path::{Path, PathBuf};

use tauri::{AppHandle, Runtime};

const MARKER: &str = "scheme-registered";

/// What the desktop entry runs: the AppImage when run from one, else this binary.
fn registered_exec<R: Runtime>(app: &AppHandle<R>) -> Option<String> {
    #[cfg(target_os = "linux")]
    if let Some(appimage) = tauri::Manager::env(app).appimage {
        return Some(appimage.to_string_lossy().into_owned());
    }
    let _ = app;
    tauri::utils::platform::current_exe().ok().map(|exe| exe.to_string_lossy().into_owned())
}

/// Whether the scheme must be registered for `exec`, given the marker's contents.
pub fn needs_registering(marker: Option<&str>, exec: &str) -> bool {
    marker.is_none_or(|registered| registered.trim_end_matches('\n') != exec)
}

fn marker_path(data_dir: &Path) -> PathBuf {
    data_dir.join(MARKER)
}

/// Whether the desktop entry the plugin writes is gone (a reader or a cleaner removed it):
/// then the marker is not enough, and the scheme is registered again.
#[cfg(target_os = "linux")]
fn desktop_entry_missing<R: Runtime>(app: &AppHandle<R>) -> bool {
    use tauri::Manager;
    let Some(name) = tauri::utils::platform::current_exe().ok().and_then(|exe| exe.file_name().map(|n| n.to_string_lossy().into_owned())) else {
        return true;
    };
    app.path().data_dir().is_ok_and(|dir| !dir.join("applications").join(format!("{name}-handler.desktop")).exists())
}

#[cfg(windows)]
fn desktop_entry_missing<R: Runtime>(_app: &AppHandle<R>) -> bool {
    false
}

/// Registers the scheme on a thread of its own unless this binary already did; the marker
/// is written only once the registration succeeded, so a failed one is tried next launch.
pub fn register_in_background<R: Runtime>(app: &AppHandle<R>, data_dir: &Path) {
    let Some(exec) = registered_exec(app) else { return };
    let marker = marker_path(data_dir);
    if !needs_registering(std::fs::read_to_string(&marker).ok().as_deref(), &exec) && !desktop_entry_missing(app) {
        return;
    }
    let app = app.clone();
    let spawned = std::thread::Builder::new().name("scheme-registration".into()).spawn(move || {
        use tauri_plugin_deep_link::DeepLinkExt;
        match app.deep_link().register_all() {
            Ok(()) => {
                let _ = std::fs::write(&marker, format!("{exec}\n"));
            }
            Err(e) => caliber_core::log_line!("caliber: caliber:// links not registered ({e})"),
        }
    });
    if let Err(e) = spawned {
        caliber_core::log_line!("caliber: caliber:// links not registered ({e})");
    }
}

#[cfg(test)]
mod tests {
    use super::needs_registering;

    #[test]
    fn the_scheme_is_registered_once_per_binary_path() {
        assert!(needs_registering(None, "/opt/caliber-app"), "never registered");
        assert!(!needs_registering(Some("/opt/caliber-app\n"), "/opt/caliber-app"), "same binary");
        assert!(needs_registering(Some("/opt/caliber-app\n"), "/home/r/Caliber.AppImage"), "moved");
        assert!(needs_registering(Some(""), "/opt/caliber-app"), "an empty marker");
    }
}
