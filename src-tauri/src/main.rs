// No console window on Windows in release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // First: it sets variables for WebKit's processes, before any thread exists.
    #[cfg(target_os = "linux")]
    caliber_app_lib::webkit_env::set_for_webkit();
    caliber_core::malloc::tune_allocator(caliber_core::malloc::Host::App);
    #[cfg(target_os = "linux")]
    caliber_app_lib::shell_gl::keep_gl_out_of_the_shell();
    caliber_app_lib::run()
}
