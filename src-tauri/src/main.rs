// No console window on Windows in release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    caliber_core::malloc::tune_allocator(caliber_core::malloc::Host::App);
    caliber_app_lib::run()
}
