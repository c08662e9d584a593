// No console window on Windows in release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // First: the reader's own variables decide, then variables are set for WebKit's
    // processes, before any thread exists.
    #[cfg(target_os = "linux")]
    let gl_kept_out = caliber_app_lib::shell_gl::keeps_gl_out_here();
    #[cfg(target_os = "linux")]
    caliber_app_lib::webkit_env::set_for_webkit(gl_kept_out);
    caliber_core::malloc::tune_allocator(caliber_core::malloc::Host::App);
    #[cfg(target_os = "linux")]
    caliber_app_lib::shell_gl::keep_gl_out_of_the_shell(gl_kept_out);
    caliber_app_lib::run()
}
