//! The environment WebKit's own processes start with (Linux): flite's largest voice
//! preloaded, JavaScriptCore in its small-memory mode without its fourth tier, and, where
//! `shell_gl.rs` keeps GL out of the app, an EGL display that draws nothing (`web_egl.rs`).
//!
//! - *The voice.* WebKitGTK links flite for speech synthesis, and one voice,
//!   `libflite_cmu_time_awb.so.1`, binds 31,000 of its own symbols when a process loads it.
//!   The dynamic loader looks each one up through every library loaded before it, and as a
//!   dependency of WebKit it comes 82nd of 169: in each of WebKit's network and web
//!   processes that was 1.8 million library checks, about 10 ms, before the page could
//!   start (BENCHMARKS.md, "flite's voice"). Preloaded, it comes first. The app's own
//!   process gets the same from its link order (`build.rs`). A reader's own `LD_PRELOAD` is
//!   left alone, as is a WebKitGTK that does not link that voice; `CALIBER_SHELL_LOADER=1`
//!   turns it off.
//! - *JavaScriptCore.* `JSC_forceMiniVMMode=1` (the heap grows by a smaller factor between
//!   collections, as JavaScriptCore does under memory pressure) and `JSC_useFTLJIT=0` (no
//!   fourth, optimising tier: the list's code stops at the third). After a reader searched
//!   and scrolled 1,000 cards at 100,000 articles the three processes held 274 MiB
//!   instead of 307; scrolling's 95th-percentile frame took 23 ms instead of 21, and a
//!   keystroke's results came as soon (BENCHMARKS.md, "JavaScriptCore's small-memory
//!   mode"). A variable the reader set is left as it is;
//!   `CALIBER_WEB_JSC_DEFAULTS=1` leaves both off.
//!
//! The variables are set before any thread exists and taken away, last first, once the main
//! window (and so WebKit's processes) exists, so nothing the app opens later (the system
//! opener, the browser it starts) inherits them. A helper GTK starts before then
//! (`dbus-launch` where there is no session bus) gets them too: one more library and two
//! options it never reads.
#![allow(unsafe_code)]

use std::ffi::OsString;
use std::path::Path;
use std::sync::Mutex;

/// Set (to anything but the empty string) to start WebKit's processes without the preload.
const SHELL_LOADER_ENV: &str = "CALIBER_SHELL_LOADER";
/// Set (to anything but the empty string) to give WebKit's processes JavaScriptCore's defaults.
const WEB_JSC_DEFAULTS_ENV: &str = "CALIBER_WEB_JSC_DEFAULTS";
const PRELOAD_ENV: &str = "LD_PRELOAD";
/// By soname: WebKit's own dependency, so the loader finds it where WebKit finds it.
const VOICE: &std::ffi::CStr = c"libflite_cmu_time_awb.so.1";
const JSC_OPTIONS: [(&str, &str); 2] = [("JSC_forceMiniVMMode", "1"), ("JSC_useFTLJIT", "0")];
/// libglvnd's list of EGL vendors: the display-only one (`web_egl.rs`).
pub(crate) const EGL_VENDORS_ENV: &str = "__EGL_VENDOR_LIBRARY_FILENAMES";
/// GDK's GL: off for the app's own GTK (`shell_gl.rs`) and for WebKit's processes alike.
pub(crate) const GDK_GL_ENV: &str = "GDK_GL";

/// The variables this launch gives WebKit's processes, in the order they are set, given its
/// environment, whether this process has the voice loaded (as WebKitGTK's dependency),
/// whether GL is kept out of the app (`shell_gl.rs`) and the display-only EGL vendor's
/// file, if it has one (`web_egl.rs`).
fn for_webkit(
    var: impl Fn(&str) -> Option<OsString>,
    voice_loaded: bool,
    gl_kept_out: bool,
    egl_vendor: Option<&Path>,
) -> Vec<(&'static str, OsString)> {
    let set = |name: &str| var(name).is_some_and(|v| !v.is_empty());
    let mut vars: Vec<(&'static str, OsString)> = Vec::new();
    if voice_loaded && !set(SHELL_LOADER_ENV) && var(PRELOAD_ENV).is_none() {
        vars.push((PRELOAD_ENV, VOICE.to_str().unwrap_or_default().into()));
    }
    if !set(WEB_JSC_DEFAULTS_ENV) {
        vars.extend(JSC_OPTIONS.into_iter().filter(|(name, _)| var(name).is_none()).map(|(name, value)| (name, value.into())));
    }
    // shell_gl.rs decided, on the reader's own variables, that GL stays out: for the app's
    // GTK, which it starts next, and for the web process's, where GDK would probe GLX
    // (Mesa's driver and LLVM again) unless an earlier GTK process on the X server left its
    // finding on the root window. The vendor file exists only then.
    if gl_kept_out {
        vars.push((GDK_GL_ENV, "disable".into()));
    }
    if let Some(file) = egl_vendor {
        vars.push((EGL_VENDORS_ENV, file.into()));
    }
    vars
}

/// Whether this process has the voice loaded (WebKitGTK linked it); loads nothing.
fn voice_loaded() -> bool {
    // SAFETY: RTLD_NOLOAD only looks the name up among loaded objects; a handle it returns
    // holds a reference that dlclose gives back.
    unsafe {
        let handle = libc::dlopen(VOICE.as_ptr(), libc::RTLD_LAZY | libc::RTLD_NOLOAD);
        if handle.is_null() {
            return false;
        }
        libc::dlclose(handle);
        true
    }
}

/// The names `set_for_webkit` set, in order (a reader's own are never taken away).
static SET: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());

/// Set the variables for the processes WebKit will start. Call first thing in `main`,
/// before any other thread exists and before anything else sets a variable, so they stay
/// the environment's last entries (see `stop`). `gl_kept_out` is `shell_gl::keeps_gl_out_here()`,
/// asked before: then WebKit's processes get the display-only EGL vendor.
pub fn set_for_webkit(gl_kept_out: bool) {
    #[cfg(display_only_egl)]
    let egl_vendor = if gl_kept_out { crate::web_egl::vendor_file() } else { None };
    #[cfg(not(display_only_egl))]
    let egl_vendor: Option<std::path::PathBuf> = None;
    let vars = for_webkit(|name| std::env::var_os(name), voice_loaded(), gl_kept_out, egl_vendor.as_deref());
    let mut set = SET.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    for (name, value) in vars {
        // SAFETY: no other thread exists yet (the caller's contract).
        unsafe { std::env::set_var(name, value) };
        set.push(name);
    }
}

/// Take the variables away once WebKit's processes are started (the main window exists).
pub fn stop() {
    let mut set = SET.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    // Last first: each is then the environment's last entry when it goes.
    while let Some(name) = set.pop() {
        // SAFETY: other threads run by now (GLib's, the async runtime's). unsetenv only moves
        // the entries after this one down, in the same array, so a lookup of another name
        // reads no freed memory; and this is the environment's last entry (set first in
        // `main`, after which shell_gl only set the EGL variable again in its place, or made
        // it come and go; taken away last first), so no entry moves.
        unsafe { std::env::remove_var(name) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shell_gl::env;

    const JSC: [(&str, &str); 2] = [("JSC_forceMiniVMMode", "1"), ("JSC_useFTLJIT", "0")];
    const VOICE_PRELOAD: (&str, &str) = ("LD_PRELOAD", "libflite_cmu_time_awb.so.1");

    fn web(var: impl Fn(&str) -> Option<OsString>, voice_loaded: bool) -> Vec<(&'static str, OsString)> {
        for_webkit(var, voice_loaded, false, None)
    }

    fn expect(pairs: &[(&'static str, &str)]) -> Vec<(&'static str, OsString)> {
        pairs.iter().map(|&(name, value)| (name, value.into())).collect()
    }

    #[test]
    fn the_voice_is_preloaded_only_where_webkit_links_it_and_the_reader_preloads_nothing() {
        assert_eq!(web(env(&[]), true), expect(&[VOICE_PRELOAD, JSC[0], JSC[1]]));
        assert_eq!(web(env(&[]), false), expect(&JSC), "a WebKitGTK without flite");
        assert_eq!(web(env(&[(PRELOAD_ENV, "/usr/lib/libshim.so")]), true), expect(&JSC), "the reader's own preload");
        assert_eq!(web(env(&[(PRELOAD_ENV, "")]), true), expect(&JSC), "even an empty one is the reader's");
        assert_eq!(web(env(&[(SHELL_LOADER_ENV, "1")]), true), expect(&JSC));
        assert_eq!(web(env(&[(SHELL_LOADER_ENV, "")]), true), expect(&[VOICE_PRELOAD, JSC[0], JSC[1]]));
    }

    #[test]
    fn javascriptcore_gets_its_small_memory_mode_unless_the_reader_chose_an_option_or_the_defaults() {
        assert_eq!(web(env(&[("JSC_useFTLJIT", "1")]), false), expect(&[JSC[0]]), "the reader's own setting wins");
        assert_eq!(web(env(&[("JSC_forceMiniVMMode", "")]), false), expect(&[JSC[1]]), "even an empty one is the reader's");
        assert_eq!(web(env(&[(WEB_JSC_DEFAULTS_ENV, "1")]), false), expect(&[]));
        assert_eq!(web(env(&[(WEB_JSC_DEFAULTS_ENV, "1")]), true), expect(&[VOICE_PRELOAD]));
        assert_eq!(web(env(&[(WEB_JSC_DEFAULTS_ENV, "")]), false), expect(&JSC));
    }

    #[test]
    fn where_gl_is_kept_out_webkits_processes_get_no_gdk_gl_and_the_display_only_egl_vendor_if_written() {
        let vendor = Path::new("/run/user/1000/caliber-reader/egl-display-only-0123.json");
        let no_gl = (GDK_GL_ENV, "disable");
        assert_eq!(
            for_webkit(env(&[]), false, true, Some(vendor)),
            expect(&[JSC[0], JSC[1], no_gl, (EGL_VENDORS_ENV, "/run/user/1000/caliber-reader/egl-display-only-0123.json")])
        );
        assert_eq!(
            for_webkit(env(&[(WEB_JSC_DEFAULTS_ENV, "1")]), false, true, Some(vendor)),
            expect(&[no_gl, (EGL_VENDORS_ENV, vendor.to_str().unwrap())])
        );
        assert_eq!(for_webkit(env(&[]), false, true, None), expect(&[JSC[0], JSC[1], no_gl]), "the vendor could not be written");
        assert_eq!(for_webkit(env(&[]), false, false, None), expect(&JSC));
    }
}
