// Shared with build.rs (by `include!`), so keep it plain: no imports, no attributes.

/// Every command in `build_app`'s `generate_handler!`. build.rs turns each into the app ACL
/// permission `allow-<name>`; with an app manifest present, Tauri checks every app command
/// against the capabilities, so only the "main" window on the app's own origin may call
/// them (`capabilities/default.json`). A command missing here is refused at run time.
pub const COMMANDS: &[&str] = &[
    "list_articles",
    "get_article",
    "search_articles",
    "mark_article",
    "list_sections",
    "story_in_other_editions",
    "get_settings",
    "update_settings",
    "update_notify_prefs",
    "list_sources",
    "add_source",
    "remove_source",
    "import_opml",
    "export_opml",
    "list_editions",
    "set_edition_followed",
    "sync_now",
    "storage_stats",
    "send_test_notification",
    "pause_alerts",
    "share_article",
    "relay_status",
];
