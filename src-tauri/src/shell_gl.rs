//! Mesa's GL drivers kept out of the app's own process on X11 (Linux).
//!
//! The web view draws without the GPU (`lean_web_cache` in lib.rs turns compositing off),
//! so the app's process, WebKit's UI process, never draws with GL. Yet GTK probes GLX when
//! it opens the display and WebKit opens an EGL display in the UI process too, and on a
//! machine without a GPU driver of its own each brings in Mesa's software driver and
//! LLVM: about 20 MiB of the app's proportional memory and their loading on the main
//! thread before the window exists (BENCHMARKS.md, "Mesa kept out of the shell").
//!
//! The web process still needs its EGL display (WebKitGTK aborts without one): in the same
//! sessions it gets one that draws nothing (`web_egl.rs`), and GDK's GL off for the GTK it
//! starts too (`webkit_env.rs`). The app's own process gets no EGL vendor at all: GTK is
//! started with that same `GDK_GL=disable`, and EGL's vendor list (libglvnd loads it once per
//! process, on first use) is loaded while `__EGL_VENDOR_LIBRARY_FILENAMES` names no vendor.
//! That variable then goes back to what `webkit_env.rs` gave WebKit's processes; it and
//! `GDK_GL` are gone before the app starts any other program.
//!
//! Set `CALIBER_SHELL_GL=1` to leave GL to GTK and WebKit as they choose, in every
//! process. Wayland sessions and any reader who set these variables are left alone.
#![allow(unsafe_code)]

/// Set (to anything but the empty string) to leave GL in the app's process as GTK and WebKit choose.
const SHELL_GL_ENV: &str = "CALIBER_SHELL_GL";

use crate::webkit_env::{EGL_VENDORS_ENV, GDK_GL_ENV};

/// Whether this launch keeps GL out of the app's process, given its environment.
fn keeps_gl_out(var: impl Fn(&str) -> Option<std::ffi::OsString>) -> bool {
    let set = |name: &str| var(name).is_some_and(|v| !v.is_empty());
    !set(SHELL_GL_ENV)
        // Wayland: untested there, and GTK may need EGL for the surface itself.
        && !set("WAYLAND_DISPLAY")
        && var("GDK_BACKEND").is_none_or(|b| b.is_empty() || b == "x11")
        && set("DISPLAY")
        // The reader's (or a driver's) own choice wins.
        && !set(EGL_VENDORS_ENV)
        && !set("__EGL_VENDOR_LIBRARY_DIRS")
        && !set(GDK_GL_ENV)
}

/// Whether this launch keeps GL out of the app's process (and gives WebKit's a display that
/// draws nothing). Ask before anything changes the environment: the reader's own variables decide.
pub fn keeps_gl_out_here() -> bool {
    keeps_gl_out(|name| std::env::var_os(name))
}

/// Start GTK and load EGL's vendors with GL kept out, then put back or clear the EGL
/// variable that did it. `kept_out` is `keeps_gl_out_here()`, asked first thing in `main`.
/// Call after `webkit_env::set_for_webkit`, which has then set `GDK_GL=disable` for this
/// process's GTK and WebKit's alike (and takes it away once the window exists), and before
/// any other thread exists: it changes the environment.
pub fn keep_gl_out_of_the_shell(kept_out: bool) {
    if !kept_out {
        return;
    }
    // WebKit's processes' vendor, from webkit_env.rs: this process loads none.
    let for_webkit = std::env::var_os(EGL_VENDORS_ENV);
    // SAFETY: no other thread exists yet (the caller's contract), so nothing reads the
    // environment while it changes. A variable set again keeps its place in it.
    unsafe { std::env::set_var(EGL_VENDORS_ENV, "/nonexistent/caliber-no-egl-vendor.json") };
    load_egl_vendors();
    // SAFETY: as above.
    unsafe {
        match for_webkit {
            Some(vendor) => std::env::set_var(EGL_VENDORS_ENV, vendor),
            None => std::env::remove_var(EGL_VENDORS_ENV),
        }
    }
    // GDK reads GDK_GL once, when GTK starts; tao's own gtk::init later finds it started.
    if let Err(e) = gtk::init() {
        // tao's gtk::init will fail the same way and report it.
        caliber_core::log_line!("caliber: GTK did not start ({e})");
    }
}

/// Ask libglvnd for EGL's client extensions, which makes it load its vendor list now.
fn load_egl_vendors() {
    type QueryString = unsafe extern "C" fn(*mut std::ffi::c_void, i32) -> *const std::ffi::c_char;
    const EGL_EXTENSIONS: i32 = 0x3055;
    // SAFETY: libEGL.so.1 is already mapped (WebKitGTK links it); dlsym's result is
    // eglQueryString, whose C signature QueryString matches, and EGL_NO_DISPLAY (null) with
    // EGL_EXTENSIONS is a valid call that returns a static string or null.
    unsafe {
        let lib = libc::dlopen(c"libEGL.so.1".as_ptr(), libc::RTLD_LAZY | libc::RTLD_LOCAL);
        if lib.is_null() {
            return;
        }
        let symbol = libc::dlsym(lib, c"eglQueryString".as_ptr());
        if !symbol.is_null() {
            let query: QueryString = std::mem::transmute(symbol);
            let _ = query(std::ptr::null_mut(), EGL_EXTENSIONS);
        }
        // Kept loaded: the vendor list lives in it.
    }
}

/// An environment of these variables only, as `std::env::var_os` answers (for the tests of
/// the decisions here and in `webkit_env.rs`).
#[cfg(test)]
pub(crate) fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<std::ffi::OsString> + use<> {
    let pairs: Vec<(String, std::ffi::OsString)> = pairs.iter().map(|(k, v)| (k.to_string(), v.into())).collect();
    move |name| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gl_is_kept_out_only_of_an_x11_session_whose_reader_chose_nothing() {
        assert!(keeps_gl_out(env(&[("DISPLAY", ":0")])));
        assert!(keeps_gl_out(env(&[("DISPLAY", ":0"), ("GDK_BACKEND", "x11")])));
        assert!(!keeps_gl_out(env(&[])), "no display at all");
        assert!(!keeps_gl_out(env(&[("DISPLAY", ":0"), ("WAYLAND_DISPLAY", "wayland-0")])));
        assert!(!keeps_gl_out(env(&[("DISPLAY", ":0"), ("GDK_BACKEND", "wayland")])));
        assert!(!keeps_gl_out(env(&[("DISPLAY", ":0"), (SHELL_GL_ENV, "1")])));
        assert!(!keeps_gl_out(env(&[("DISPLAY", ":0"), ("__EGL_VENDOR_LIBRARY_FILENAMES", "/x.json")])));
        assert!(!keeps_gl_out(env(&[("DISPLAY", ":0"), ("__EGL_VENDOR_LIBRARY_DIRS", "/x")])));
        assert!(!keeps_gl_out(env(&[("DISPLAY", ":0"), ("GDK_GL", "always")])));
    }
}
