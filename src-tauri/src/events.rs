//! Event names the shell emits; contract.rs writes them (`EVENTS`) and their payload types
//! (`EventPayloads`) into ui/src/ipc/generated.ts.

pub const SYNC_STARTED: &str = "sync:started";
pub const SYNC_PROGRESS: &str = "sync:progress";
pub const SYNC_DONE: &str = "sync:done";
pub const OPEN_ARTICLE: &str = "app:open-article";
pub const RELAY_STATUS: &str = "relay:status";
