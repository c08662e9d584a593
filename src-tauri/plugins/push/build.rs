// No command is exposed to the web view: the app drives the plugin from Rust
// (`run_mobile_plugin`), so there are no command permissions to generate. The helper also
// sets `cfg(mobile)`/`cfg(desktop)` and, for Android, hands the Gradle module in
// `android/` to the app's build; the Swift package in `ios/` is built only on a Mac.
const COMMANDS: &[&str] = &[];

fn main() {
    tauri_plugin::Builder::new(COMMANDS).android_path("android").ios_path("ios").build();
}
