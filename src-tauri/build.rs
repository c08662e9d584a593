// The app's commands get an ACL manifest (`allow-<command>` permissions), which makes Tauri
// check them like plugin commands: only windows and origins a capability names may call them.
include!("src/command_names.rs");

fn main() {
    println!("cargo:rerun-if-changed=src/command_names.rs");
    let manifest = tauri_build::AppManifest::new().commands(COMMANDS);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest)).expect("tauri-build failed");
}
