// The UI↔Rust contract: everything here comes from ./generated.ts, which Rust writes
// (src-tauri/src/contract.rs; regenerate with `UPDATE_GENERATED=1 cargo test -p caliber-app --lib generated`).
// Never copy a Rust type, default, limit or name into the UI: add it to the generator.
import { DEFAULT_NOTIFY_PREFS, type NotifyPrefs } from './generated';

export * from './generated';

/** A fresh copy of NotifyPrefs::default() (safe to change). */
export function defaultNotifyPrefs(): NotifyPrefs {
  return JSON.parse(JSON.stringify(DEFAULT_NOTIFY_PREFS)) as NotifyPrefs;
}
