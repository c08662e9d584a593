// The app's commands get an ACL manifest (`allow-<command>` permissions), which makes Tauri
// check them like plugin commands: only windows and origins a capability names may call them.
include!("src/command_names.rs");

fn main() {
    println!("cargo:rerun-if-changed=src/command_names.rs");
    link_flite_voice_early();
    build_display_only_egl();
    let manifest = tauri_build::AppManifest::new().commands(COMMANDS);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest)).expect("tauri-build failed");
}

/// WebKitGTK's speech synthesis links flite's voices, and one of them,
/// `libflite_cmu_time_awb.so.1`, binds 31,000 of its own symbols when it is loaded. The
/// dynamic loader looks each one up through every library before it in the load order, and
/// as a dependency of WebKit it comes 82nd of 169: 15 ms of the app's start went there
/// (BENCHMARKS.md, "flite's voice"). Named by the binary itself it comes 15th or 16th.
/// Only where the system's WebKitGTK links it (Debian's and Ubuntu's do); the web
/// processes get the same by `webkit_env.rs`.
fn link_flite_voice_early() {
    const VOICE: &str = "libflite_cmu_time_awb.so.1";
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    if var("CARGO_CFG_TARGET_OS") != "linux" || var("TARGET") != var("HOST") {
        return;
    }
    let Ok(out) = std::process::Command::new("pkg-config").args(["--variable=libdir", "webkit2gtk-4.1"]).output() else {
        return;
    };
    let libdir = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let webkit = std::path::Path::new(&libdir).join("libwebkit2gtk-4.1.so.0");
    // A path that does not exist would make cargo run this script at every build.
    if !out.status.success() || libdir.is_empty() || !webkit.is_file() {
        return;
    }
    println!("cargo:rerun-if-changed={}", webkit.display());
    // Its library names (.dynstr) come within the first megabyte; the file is 90 MB.
    let mut bytes = Vec::new();
    let Ok(file) = std::fs::File::open(&webkit) else { return };
    if std::io::Read::read_to_end(&mut std::io::Read::take(file, 4 << 20), &mut bytes).is_err() {
        return;
    }
    let needed = format!("\0{VOICE}\0");
    if bytes.windows(needed.len()).any(|w| w == needed.as_bytes()) {
        println!("cargo:rustc-link-arg-bins=-Wl,--push-state,--no-as-needed,-l:{VOICE},--pop-state");
    }
}

/// The EGL vendor WebKit's processes get instead of the GPU driver's (`web_egl.rs`), built
/// as a shared library the app carries in its binary. Linux only: elsewhere WebKit is not
/// WebKitGTK and libglvnd is not there.
fn build_display_only_egl() {
    const SOURCE: &str = "egl/display_only.c";
    println!("cargo::rustc-check-cfg=cfg(display_only_egl)");
    println!("cargo:rerun-if-changed={SOURCE}");
    if std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default() != "linux" {
        return;
    }
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let library = out.join("libcaliber-egl-display-only.so");
    let compiler = cc::Build::new().opt_level(2).get_compiler();
    let status = compiler
        .to_command()
        .args(["-shared", "-fPIC", "-fvisibility=hidden", "-Wall", "-Wextra", "-Werror", "-s"])
        .arg("-Wl,-soname,libcaliber-egl-display-only.so")
        .arg("-o")
        .arg(&library)
        .arg(SOURCE)
        .status()
        .unwrap_or_else(|e| panic!("running the C compiler for {SOURCE}: {e}"));
    assert!(status.success(), "the C compiler failed on {SOURCE}");
    println!("cargo:rustc-cfg=display_only_egl");
}
