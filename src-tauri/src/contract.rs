//! The UI↔Rust contract, written out as TypeScript: `ui/src/ipc/generated.ts` is rendered
//! here from the DTOs (`ts_rs::TS`), the command table below, the event names in events.rs,
//! the error kinds in error.rs and the defaults and limits in settings.rs. The UI imports
//! it instead of keeping copies.
//!
//! The checked-in file must equal `render()`: the unit test `generated_ts_is_current` fails
//! on any drift, and `UPDATE_GENERATED=1 cargo test -p caliber-app --lib generated` writes it.

use std::any::TypeId;

use caliber_core::Core;
use caliber_core::notify::{NotifyPrefs, QuietHours};
use caliber_core::{SourceKind, SyncStatus};
use ts_rs::{Config, TS};

use crate::dto::*;
use crate::error::IpcError;
use crate::events;
use crate::settings::{
    DEFAULT_SYNC_MINUTES, FALLBACK_UI_LANGUAGE, MIN_SYNC_MINUTES, NotifyPrefsPatch, Settings, SettingsPatch, TEXT_SCALE_RANGE, Theme,
    UI_LANGUAGES,
};

/// Where the generated file lives, from the workspace root.
pub const GENERATED_TS: &str = "ui/src/ipc/generated.ts";

/// One command as the UI calls it: argument names (as Tauri expects them, camelCase) with
/// their TypeScript types, and what it resolves with.
pub struct CommandSig {
    pub name: &'static str,
    /// (name, TS type, optional): `Option` arguments may be left out.
    pub args: Vec<(&'static str, String, bool)>,
    pub result: String,
}

fn is_option<T: TS + 'static>() -> bool {
    TypeId::of::<T>() != TypeId::of::<<T as TS>::OptionInnerType>()
}

/// The command table, written once: `[injected…] name(arguments…) -> result`. The injected
/// arguments (`state`, `app`, `window`) are Tauri's, not the UI's. From it come the generated
/// `Commands` and wrappers, and (in test builds) a function that only compiles when every
/// command takes exactly these arguments and resolves with this result. A unit test checks
/// that it names exactly `command_names::COMMANDS`.
macro_rules! command_table {
    ($then:ident) => {
        $then! {
            [state] list_articles(query: ArticleListQuery) -> ArticlePage;
            [state] get_article(id: i64) -> ArticleDetail;
            [state] search_articles(query: String, limit: Option<u32>) -> Vec<SearchHit>;
            [state] mark_article(id: i64, read: Option<bool>, saved: Option<bool>) -> ArticleSummary;
            [state] list_sections(edition: Option<String>) -> Vec<SectionDto>;
            [state] story_in_other_editions(id: i64) -> Vec<StoryEditionDto>;
            [state] get_settings() -> Settings;
            [state] update_settings(settings: SettingsPatch) -> Settings;
            [state] update_notify_prefs(patch: NotifyPrefsPatch) -> NotifyPrefs;
            [state] list_sources() -> Vec<SourceDto>;
            [state] add_source(url: String) -> SourceDto;
            [state] remove_source(url: String) -> SourceRemovalDto;
            [state] import_opml(text: String) -> u32;
            [state] export_opml() -> String;
            [state] list_editions() -> Vec<EditionDto>;
            [state] set_edition_followed(code: String, followed: bool) -> Vec<EditionDto>;
            [app, state] sync_now() -> SyncSummary;
            [state] storage_stats() -> StorageStats;
            [app, state] send_test_notification() -> ();
            [state] pause_alerts(minutes: u32) -> Settings;
            [window, state] share_article(id: i64) -> ();
            [state] relay_status() -> RelayStatus;
        }
    };
}

macro_rules! signatures {
    ($( [$($inj:ident),+] $name:ident ( $($arg:ident : $ty:ty),* ) -> $ret:ty; )*) => {
        /// Every command in `build_app`'s handler with its arguments and result.
        pub fn commands(cfg: &Config) -> Vec<CommandSig> {
            vec![$(
                CommandSig {
                    name: stringify!($name),
                    args: vec![$((stringify!($arg), <$ty as TS>::name(cfg), is_option::<$ty>())),*],
                    result: <$ret as TS>::name(cfg),
                }
            ),*]
        }

        /// Never called: it type-checks each call in the table against the real command.
        #[cfg(test)]
        #[allow(dead_code)]
        async fn table_matches_the_commands() {
            $( let _: crate::error::IpcResult<$ret> = crate::commands::$name($(inject::$inj()),+ $(, inject::value::<$ty>())*).await; )*
        }
    };
}

command_table!(signatures);

/// Stand-ins for `table_matches_the_commands`, which is compiled, never run.
#[cfg(test)]
mod inject {
    use tauri::{AppHandle, State, WebviewWindow, Wry};

    use crate::state::AppState;

    pub fn state() -> State<'static, AppState> {
        unreachable!()
    }
    pub fn app() -> AppHandle<Wry> {
        unreachable!()
    }
    pub fn window() -> WebviewWindow<Wry> {
        unreachable!()
    }
    pub fn value<T>() -> T {
        unreachable!()
    }
}

/// (key in the TS `EVENTS` object, event name, payload type)
fn event_table(cfg: &Config) -> Vec<(&'static str, &'static str, String)> {
    vec![
        ("syncStarted", events::SYNC_STARTED, "null".into()),
        ("syncProgress", events::SYNC_PROGRESS, SyncProgressEvent::name(cfg)),
        ("syncDone", events::SYNC_DONE, SyncSummary::name(cfg)),
        ("openArticle", events::OPEN_ARTICLE, OpenArticleEvent::name(cfg)),
        ("relayStatus", events::RELAY_STATUS, RelayStatus::name(cfg)),
    ]
}

/// JS numbers: every integer the app sends fits in 2^53.
pub fn ts_config() -> Config {
    Config::new().with_large_int("number")
}

fn decl<T: TS>(cfg: &Config, out: &mut String) {
    if let Some(docs) = T::docs() {
        out.push_str(&docs);
    }
    out.push_str("export ");
    out.push_str(&T::decl(cfg));
    out.push_str("\n\n");
}

fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).expect("constants serialise")
}

fn quoted(items: &[&str]) -> String {
    items.iter().map(|s| format!("{s:?}")).collect::<Vec<_>>().join(", ")
}

/// The whole of ui/src/ipc/generated.ts.
pub fn render() -> String {
    let cfg = &ts_config();
    let mut out = String::from(
        "// GENERATED from the Rust side by src-tauri/src/contract.rs: do not edit.\n\
         // Regenerate: UPDATE_GENERATED=1 cargo test -p caliber-app --lib generated\n\
         /* eslint-disable */\n\
         import { invoke } from '@tauri-apps/api/core';\n\n",
    );

    out.push_str("// ---- Constants (settings.rs, the core's editions) ----\n\n");
    out.push_str("/** The interface languages, in the order Settings lists them. */\n");
    out.push_str(&format!("export const UI_LANGUAGES = [{}] as const;\n", quoted(UI_LANGUAGES)));
    out.push_str("export type UiLanguage = (typeof UI_LANGUAGES)[number];\n");
    out.push_str("/** The interface language when the system's is none of UI_LANGUAGES. */\n");
    out.push_str(&format!("export const FALLBACK_UI_LANGUAGE: UiLanguage = {FALLBACK_UI_LANGUAGE:?};\n"));
    out.push_str("/** Shorter sync intervals are raised to this. */\n");
    out.push_str(&format!("export const MIN_SYNC_MINUTES = {MIN_SYNC_MINUTES};\n"));
    out.push_str(&format!("export const DEFAULT_SYNC_MINUTES = {DEFAULT_SYNC_MINUTES};\n"));
    out.push_str("/** Text size in percent, inclusive; anything outside is refused. */\n");
    out.push_str(&format!(
        "export const TEXT_SCALE_RANGE = {{ min: {}, max: {} }} as const;\n",
        TEXT_SCALE_RANGE.0, TEXT_SCALE_RANGE.1
    ));
    out.push_str("/** Settings::defaults for a system language none of UI_LANGUAGES (ui language aside, what a first run gets). */\n");
    out.push_str(&format!("export const DEFAULT_SETTINGS: Settings = {};\n", json(&Settings::defaults(FALLBACK_UI_LANGUAGE))));
    out.push_str("/** NotifyPrefs::default(). */\n");
    out.push_str(&format!("export const DEFAULT_NOTIFY_PREFS: NotifyPrefs = {};\n", json(&NotifyPrefs::default())));
    let editions: Vec<EditionDto> = Core::editions().into_iter().map(|e| EditionDto::new(e, false)).collect();
    out.push_str("/** The site's editions (list_editions says which are followed). */\n");
    out.push_str(&format!("export const EDITIONS: readonly EditionDto[] = {};\n\n", json(&editions)));

    out.push_str("// ---- Types (dto.rs, settings.rs, the core's model) ----\n\n");
    decl::<Theme>(cfg, &mut out);
    decl::<Settings>(cfg, &mut out);
    decl::<SettingsPatch>(cfg, &mut out);
    decl::<NotifyPrefs>(cfg, &mut out);
    decl::<NotifyPrefsPatch>(cfg, &mut out);
    decl::<QuietHours>(cfg, &mut out);
    decl::<ArticleSummary>(cfg, &mut out);
    decl::<ArticleDetail>(cfg, &mut out);
    decl::<Cursor>(cfg, &mut out);
    decl::<ArticleListQuery>(cfg, &mut out);
    decl::<ArticlePage>(cfg, &mut out);
    decl::<SearchHit>(cfg, &mut out);
    decl::<SourceKind>(cfg, &mut out);
    decl::<SyncStatus>(cfg, &mut out);
    decl::<SourceDto>(cfg, &mut out);
    decl::<SourceRemovalDto>(cfg, &mut out);
    decl::<EditionDto>(cfg, &mut out);
    decl::<SectionDto>(cfg, &mut out);
    decl::<StoryEditionDto>(cfg, &mut out);
    decl::<StorageStats>(cfg, &mut out);
    decl::<SyncSummary>(cfg, &mut out);
    decl::<SyncStage>(cfg, &mut out);
    decl::<SyncProgressEvent>(cfg, &mut out);
    decl::<OpenArticleEvent>(cfg, &mut out);
    decl::<RelayState>(cfg, &mut out);
    decl::<RelayStatus>(cfg, &mut out);

    out.push_str("// ---- Errors (error.rs) ----\n\n");
    let kinds: Vec<&str> = IpcError::samples().iter().map(IpcError::kind).collect();
    out.push_str(&format!("export const IPC_ERROR_KINDS = [{}] as const;\n", quoted(&kinds)));
    out.push_str("export type IpcErrorKind = (typeof IPC_ERROR_KINDS)[number];\n");
    out.push_str("/** `{kind, message}`: every command rejects with this. */\n");
    out.push_str("export type IpcError = { kind: IpcErrorKind; message: string };\n\n");

    out.push_str("// ---- Events (events.rs) ----\n\n");
    let events = event_table(cfg);
    out.push_str("export const EVENTS = {\n");
    for (key, name, _) in &events {
        out.push_str(&format!("  {key}: {name:?},\n"));
    }
    out.push_str("} as const;\n\n/** What each event carries. */\nexport type EventPayloads = {\n");
    for (_, name, payload) in &events {
        out.push_str(&format!("  {name:?}: {payload};\n"));
    }
    out.push_str("};\n\n");

    out.push_str("// ---- Commands (commands.rs; the table is in contract.rs) ----\n\n");
    let commands = commands(cfg);
    out.push_str("/** Each command's arguments and result. */\nexport type Commands = {\n");
    for c in &commands {
        out.push_str(&format!("  {}: {{ args: {}; result: {} }};\n", c.name, args_type(c), c.result));
    }
    out.push_str("};\nexport type CommandName = keyof Commands;\n");
    out.push_str(&format!(
        "export const COMMAND_NAMES = [{}] as const;\n\n",
        quoted(&commands.iter().map(|c| c.name).collect::<Vec<_>>())
    ));
    out.push_str("/** Each command's argument names; `optional` ones may be left out (Rust `Option`). */\n");
    out.push_str("export const COMMAND_ARGS: { readonly [K in CommandName]: readonly { name: string; optional: boolean }[] } = {\n");
    for c in &commands {
        let args: Vec<String> =
            c.args.iter().map(|(name, _, optional)| format!("{{ name: {:?}, optional: {optional} }}", camel(name))).collect();
        out.push_str(&format!("  {}: [{}],\n", c.name, args.join(", ")));
    }
    out.push_str("};\n\n");
    out.push_str("/** Typed wrappers over `invoke`, one per command. */\nexport const commands = {\n");
    for c in &commands {
        let fname = camel(c.name);
        if c.args.is_empty() {
            out.push_str(&format!(
                "  {fname}: (): Promise<{r}> => invoke<{r}>({n:?}),\n",
                r = c.result,
                n = c.name
            ));
        } else {
            let optional = c.args.iter().all(|(_, _, opt)| *opt);
            out.push_str(&format!(
                "  {fname}: (args{q} Commands[{n:?}]['args']): Promise<{r}> => invoke<{r}>({n:?}, args),\n",
                q = if optional { "?:" } else { ":" },
                r = c.result,
                n = c.name
            ));
        }
    }
    out.push_str("};\n");
    out
}

fn args_type(c: &CommandSig) -> String {
    if c.args.is_empty() {
        return "Record<string, never>".into();
    }
    let fields: Vec<String> = c
        .args
        .iter()
        .map(|(name, ty, optional)| format!("{}{}: {ty}", camel(name), if *optional { "?" } else { "" }))
        .collect();
    format!("{{ {} }}", fields.join("; "))
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn generated_path() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join(GENERATED_TS)
    }

    #[test]
    fn generated_ts_is_current() {
        let path = generated_path();
        let fresh = render();
        if std::env::var_os("UPDATE_GENERATED").is_some() {
            std::fs::write(&path, &fresh).expect("write generated.ts");
            return;
        }
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            current == fresh,
            "{GENERATED_TS} is stale: the Rust DTOs, commands, events or settings changed.\n\
             Regenerate it with `UPDATE_GENERATED=1 cargo test -p caliber-app --lib generated` and commit it."
        );
    }

    #[test]
    fn generated_command_table_names_every_command_once() {
        let mut table: Vec<&str> = commands(&ts_config()).iter().map(|c| c.name).collect();
        let mut registered = crate::command_names::COMMANDS.to_vec();
        table.sort_unstable();
        registered.sort_unstable();
        assert_eq!(table, registered, "contract.rs's command table and command_names.rs disagree");
    }
}
