//! WebKit's web process given an EGL display that draws nothing, instead of Mesa's (Linux).
//!
//! The web view draws without the GPU (compositing off, `lean_web_cache` in lib.rs), and
//! WebKitGTK's web process never makes a GL context then. It still aborts without an EGL
//! display, and on a machine whose only driver is Mesa's, opening one loads Mesa's driver
//! and LLVM: 25 MiB of the web process's proportional memory after a reader scrolled,
//! about a tenth of the app's (BENCHMARKS.md, "a display that draws nothing").
//!
//! `egl/display_only.c` is an EGL vendor for libglvnd that opens displays, offers no
//! configs and refuses every context and surface. build.rs compiles it into this binary;
//! at launch it is written to the reader's runtime directory (or, where it cannot be
//! loaded from there, the cache) under a name made from its bytes, with the JSON file
//! libglvnd reads, and `webkit_env.rs` names that file in `__EGL_VENDOR_LIBRARY_FILENAMES`
//! for WebKit's processes only. It goes with `shell_gl.rs` (the same sessions, the same
//! `CALIBER_SHELL_GL=1` to turn both off): the app's own process loads no vendor at all.
//! If the files can be neither written nor loaded, WebKit gets the system's driver as before.
#![allow(unsafe_code)]

use std::io::Write;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

/// The vendor library, as build.rs compiled it.
const LIBRARY: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/libcaliber-egl-display-only.so"));

/// Where the files may go, in order: the session's runtime directory (private, in memory),
/// then the reader's cache.
fn directories(var: impl Fn(&str) -> Option<std::ffi::OsString>) -> Vec<PathBuf> {
    let absolute = |name: &str| var(name).map(PathBuf::from).filter(|p| p.is_absolute());
    let cache = absolute("XDG_CACHE_HOME").or_else(|| absolute("HOME").map(|home| home.join(".cache")));
    [absolute("XDG_RUNTIME_DIR"), cache].into_iter().flatten().map(|base| base.join("caliber-reader")).collect()
}

/// The vendor's two files, as written.
#[derive(Debug, PartialEq)]
struct Installed {
    library: PathBuf,
    /// libglvnd's description of the vendor, naming `library`.
    json: PathBuf,
}

/// Write the vendor library and its JSON file into `dir` (made private if it is new), each
/// left as it is when a launch before wrote the same bytes.
fn install(dir: &Path, library: &[u8]) -> std::io::Result<Installed> {
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    // Named by content: an app of another version running beside this one keeps its own.
    let stem = format!("egl-display-only-{:016x}", fnv1a(library));
    let library_path = dir.join(format!("lib{stem}.so"));
    write_unless_same(&library_path, library)?;
    let name = library_path.to_str().ok_or_else(|| std::io::Error::other("the directory's name is not UTF-8"))?;
    let json = format!(
        "{{\"file_format_version\": \"1.0.0\", \"ICD\": {{\"library_path\": {}}}}}\n",
        serde_json::Value::from(name)
    );
    let json_path = dir.join(format!("{stem}.json"));
    write_unless_same(&json_path, json.as_bytes())?;
    Ok(Installed { library: library_path, json: json_path })
}

/// Write `bytes` to `path` through a temporary file and a rename, so a process loading it
/// never reads half of it; nothing is written when the file already holds them.
fn write_unless_same(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if std::fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(());
    }
    let temporary = path.with_extension(format!("tmp{}", std::process::id()));
    let written = std::fs::File::create(&temporary).and_then(|mut file| file.write_all(bytes));
    written.and_then(|()| std::fs::rename(&temporary, path)).inspect_err(|_| {
        let _ = std::fs::remove_file(&temporary);
    })
}

/// FNV-1a, 64 bits: a name that changes with the library's bytes (not a defence: the
/// directory is the reader's own).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// Write the display-only vendor out for WebKit's processes; the JSON file to name in
/// `__EGL_VENDOR_LIBRARY_FILENAMES`, or `None` (logged) when it can be neither written nor
/// loaded in any of the directories.
pub(crate) fn vendor_file() -> Option<PathBuf> {
    let mut failures = Vec::new();
    for dir in directories(|name| std::env::var_os(name)) {
        match install(&dir, LIBRARY).and_then(|files| loads(&files.library).map(|()| files.json)) {
            Ok(json) => return Some(json),
            Err(e) => failures.push(format!("{}: {e}", dir.display())),
        }
    }
    if failures.is_empty() {
        failures.push("no runtime or cache directory".into());
    }
    caliber_core::log_line!("caliber: WebKit gets the system's EGL driver ({})", failures.join("; "));
    None
}

/// Whether `library` loads here. A web process whose only vendor fails to load aborts (no
/// EGL display), so a directory where a library cannot be mapped to run (mounted `noexec`)
/// must fall back to the system's driver.
fn loads(library: &Path) -> std::io::Result<()> {
    let path = std::ffi::CString::new(library.as_os_str().as_encoded_bytes()).map_err(std::io::Error::other)?;
    // SAFETY: the library is display_only.c as built: it has no constructors of its own,
    // so loading it runs none of its code; the handle is closed at once.
    unsafe {
        let handle = libc::dlopen(path.as_ptr(), libc::RTLD_LAZY | libc::RTLD_LOCAL);
        if handle.is_null() {
            let reason = libc::dlerror();
            let reason = if reason.is_null() { "dlopen failed".into() } else { std::ffi::CStr::from_ptr(reason).to_string_lossy() };
            return Err(std::io::Error::other(reason.into_owned()));
        }
        libc::dlclose(handle);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shell_gl::env;
    use std::ffi::{CStr, c_char, c_int, c_void};
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn the_files_go_to_the_runtime_directory_or_else_the_cache() {
        let dirs = |pairs: &[(&str, &str)]| directories(env(pairs));
        let runtime = [("XDG_RUNTIME_DIR", "/run/user/1000"), ("XDG_CACHE_HOME", "/c"), ("HOME", "/home/r")];
        assert_eq!(dirs(&runtime), [PathBuf::from("/run/user/1000/caliber-reader"), "/c/caliber-reader".into()]);
        assert_eq!(dirs(&runtime[1..]), [PathBuf::from("/c/caliber-reader")]);
        assert_eq!(dirs(&runtime[2..]), [PathBuf::from("/home/r/.cache/caliber-reader")]);
        assert_eq!(dirs(&[("XDG_RUNTIME_DIR", "relative"), ("HOME", "/h")]), [PathBuf::from("/h/.cache/caliber-reader")]);
        assert_eq!(dirs(&[]), Vec::<PathBuf>::new());
    }

    #[test]
    fn a_second_launch_keeps_the_files_and_another_library_gets_its_own() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("caliber-reader");
        let first = install(&dir, b"library one").unwrap();
        let text = std::fs::read_to_string(&first.json).unwrap();
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        let library = PathBuf::from(parsed["ICD"]["library_path"].as_str().unwrap());
        assert_eq!(library, first.library, "the JSON file names the library");
        assert_eq!(std::fs::read(&library).unwrap(), b"library one");
        assert_eq!(std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777, 0o700, "private");
        let modified = std::fs::metadata(&library).unwrap().modified().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert_eq!(install(&dir, b"library one").unwrap(), first);
        assert_eq!(std::fs::metadata(&library).unwrap().modified().unwrap(), modified, "not written again");
        let other = install(&dir, b"library two").unwrap();
        assert_ne!(other.library, first.library);
        assert_ne!(other.json, first.json);
        assert_eq!(std::fs::read(&library).unwrap(), b"library one", "the first is left to its app");
        let names: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 4, "two libraries and their JSON files, no temporary left: {names:?}");
    }

    #[test]
    fn a_library_that_cannot_be_loaded_is_an_error_so_webkit_keeps_the_systems_driver() {
        let tmp = tempfile::tempdir().unwrap();
        let files = install(tmp.path(), b"not a shared library").unwrap();
        let error = loads(&files.library).unwrap_err();
        assert!(error.to_string().contains("libegl-display-only-"), "{error}");
        assert!(loads(&install(tmp.path(), LIBRARY).unwrap().library).is_ok());
    }

    #[test]
    fn an_unwritable_directory_is_an_error_not_a_crash() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("a file");
        std::fs::write(&file, b"").unwrap();
        assert!(install(&file.join("caliber-reader"), LIBRARY).is_err());
    }

    /// libglvnd's half of the vendor ABI, as `display_only.c` declares it.
    #[repr(C)]
    #[derive(Default)]
    struct Imports {
        get_platform_display: Option<unsafe extern "C" fn(u32, *mut c_void, *const isize) -> *mut c_void>,
        get_supports_api: Option<unsafe extern "C" fn(u32) -> u32>,
        get_vendor_string: Option<unsafe extern "C" fn(c_int) -> *const c_char>,
        get_proc_address: Option<unsafe extern "C" fn(*const c_char) -> *mut c_void>,
        get_dispatch_address: Option<unsafe extern "C" fn(*const c_char) -> *mut c_void>,
        set_dispatch_index: Option<unsafe extern "C" fn(*const c_char, c_int)>,
        optional: [usize; 5],
    }

    #[test]
    fn the_built_vendor_opens_a_surfaceless_display_and_refuses_a_context() {
        const EGL_PLATFORM_SURFACELESS_MESA: u32 = 0x31DD;
        const EGL_BAD_CONFIG: i32 = 0x3005;
        let tmp = tempfile::tempdir().unwrap();
        let files = install(tmp.path(), LIBRARY).unwrap();
        let parsed: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(files.json).unwrap()).unwrap();
        let path = std::ffi::CString::new(parsed["ICD"]["library_path"].as_str().unwrap()).unwrap();
        // SAFETY: the library is display_only.c as built; each symbol is cast to the C
        // signature that file gives it, and called with arguments that signature allows.
        unsafe {
            let lib = libc::dlopen(path.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL);
            assert!(!lib.is_null(), "the written library loads");
            let main = libc::dlsym(lib, c"__egl_Main".as_ptr());
            assert!(!main.is_null(), "it exports libglvnd's entry point");
            type Main = unsafe extern "C" fn(u32, *const c_void, *mut c_void, *mut Imports) -> u32;
            let main: Main = std::mem::transmute(main);
            let mut imports = Imports::default();
            assert_eq!(main(2 << 16, std::ptr::null(), std::ptr::null_mut(), &mut imports), 0, "another ABI major is refused");
            assert_eq!(main(2, std::ptr::null(), std::ptr::null_mut(), &mut imports), 1);
            let platforms = CStr::from_ptr(imports.get_vendor_string.unwrap()(0)).to_str().unwrap();
            assert!(platforms.split(' ').any(|p| p == "EGL_MESA_platform_surfaceless"), "{platforms}");
            let display = imports.get_platform_display.unwrap()(EGL_PLATFORM_SURFACELESS_MESA, std::ptr::null_mut(), std::ptr::null());
            assert!(!display.is_null());
            let function = |name: &CStr| imports.get_proc_address.unwrap()(name.as_ptr());
            type Initialize = unsafe extern "C" fn(*mut c_void, *mut i32, *mut i32) -> u32;
            let initialize: Initialize = std::mem::transmute(function(c"eglInitialize"));
            let (mut major, mut minor) = (0, 0);
            assert_eq!(initialize(display, &mut major, &mut minor), 1);
            assert_eq!((major, minor), (1, 5));
            type ChooseConfig = unsafe extern "C" fn(*mut c_void, *const i32, *mut *mut c_void, i32, *mut i32) -> u32;
            let choose: ChooseConfig = std::mem::transmute(function(c"eglChooseConfig"));
            let mut count = -1;
            assert_eq!(choose(display, std::ptr::null(), std::ptr::null_mut(), 0, &mut count), 1);
            assert_eq!(count, 0, "no configs");
            type CreateContext = unsafe extern "C" fn(*mut c_void, *mut c_void, *mut c_void, *const i32) -> *mut c_void;
            let create: CreateContext = std::mem::transmute(function(c"eglCreateContext"));
            assert!(create(display, std::ptr::null_mut(), std::ptr::null_mut(), std::ptr::null()).is_null());
            type GetError = unsafe extern "C" fn() -> i32;
            let get_error: GetError = std::mem::transmute(function(c"eglGetError"));
            assert_eq!(get_error(), EGL_BAD_CONFIG);
            assert!(function(c"glClear").is_null(), "no GL");
        }
    }
}
