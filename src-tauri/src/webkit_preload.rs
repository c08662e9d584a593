//! WebKit's own processes started with flite's largest voice loaded first (Linux).
//!
//! WebKitGTK links flite for speech synthesis, and one voice, `libflite_cmu_time_awb.so.1`,
//! binds 31,000 of its own symbols when a process loads it. The dynamic loader looks each
//! one up through every library loaded before it, and as a dependency of WebKit it comes
//! 82nd of 169: in each of WebKit's network and web processes that was 1.8 million
//! library checks, about 10 ms, before the page could start (BENCHMARKS.md, "flite's
//! voice"). Preloaded, it comes first. The app's own process gets the same from
//! its link order (`build.rs`).
//!
//! The preload is set before any thread exists and taken away once the main window (and so
//! WebKit's processes) exists, so nothing the app opens later (the system opener, the
//! browser it starts) inherits it. A helper GTK starts before then (`dbus-launch` where
//! there is no session bus) loads the voice first too: one more library, nothing else.
//!
//! A reader's own `LD_PRELOAD` is left alone, as is a WebKitGTK that does not link that
//! voice. `CALIBER_SHELL_LOADER=1` turns it off.
#![allow(unsafe_code)]

/// Set (to anything but the empty string) to start WebKit's processes as they would start.
const SHELL_LOADER_ENV: &str = "CALIBER_SHELL_LOADER";
const PRELOAD_ENV: &str = "LD_PRELOAD";
/// By soname: WebKit's own dependency, so the loader finds it where WebKit finds it.
const VOICE: &std::ffi::CStr = c"libflite_cmu_time_awb.so.1";

/// Whether this launch preloads the voice, given its environment and whether this process
/// has the voice loaded (as WebKitGTK's dependency).
fn preloads(var: impl Fn(&str) -> Option<std::ffi::OsString>, voice_loaded: bool) -> bool {
    let set = |name: &str| var(name).is_some_and(|v| !v.is_empty());
    voice_loaded && !set(SHELL_LOADER_ENV) && var(PRELOAD_ENV).is_none()
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

/// Name the voice in `LD_PRELOAD` for the processes WebKit will start. Call first thing in
/// `main`, before any other thread exists and before anything else sets a variable, so it
/// stays the environment's last entry (see `stop`).
pub fn preload_for_webkit() {
    if !preloads(|name| std::env::var_os(name), voice_loaded()) {
        return;
    }
    // SAFETY: no other thread exists yet (the caller's contract).
    unsafe { std::env::set_var(PRELOAD_ENV, VOICE.to_str().unwrap_or_default()) };
    PRELOADED.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Whether `preload_for_webkit` set the variable (a reader's own is never taken away).
static PRELOADED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Take the preload away once WebKit's processes are started (the main window exists).
pub fn stop() {
    if !PRELOADED.swap(false, std::sync::atomic::Ordering::Relaxed) {
        return;
    }
    // SAFETY: other threads run by now (GLib's, the async runtime's). unsetenv only moves
    // the entries after this one down, in the same array, so a lookup of another name reads
    // no freed memory; and this is the environment's last entry (set first in `main`, after
    // which only shell_gl's two variables came and went), so no entry moves at all.
    unsafe { std::env::remove_var(PRELOAD_ENV) };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shell_gl::env;

    #[test]
    fn the_voice_is_preloaded_only_where_webkit_links_it_and_the_reader_preloads_nothing() {
        assert!(preloads(env(&[]), true));
        assert!(!preloads(env(&[]), false), "a WebKitGTK without flite");
        assert!(!preloads(env(&[(PRELOAD_ENV, "/usr/lib/libshim.so")]), true), "the reader's own preload");
        assert!(!preloads(env(&[(PRELOAD_ENV, "")]), true), "even an empty one is the reader's");
        assert!(!preloads(env(&[(SHELL_LOADER_ENV, "1")]), true));
        assert!(preloads(env(&[(SHELL_LOADER_ENV, "")]), true));
    }
}
