//! Event names the shell emits; mirrored in ui/src/ipc/types.ts (`EVENTS`).

pub const SYNC_STARTED: &str = "sync:started";
pub const SYNC_PROGRESS: &str = "sync:progress";
pub const SYNC_DONE: &str = "sync:done";
pub const OPEN_ARTICLE: &str = "app:open-article";
