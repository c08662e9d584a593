// GENERATED from the Rust side by src-tauri/src/contract.rs: do not edit.
// Regenerate: UPDATE_GENERATED=1 cargo test -p caliber-app --lib generated
/* eslint-disable */
import { invoke } from '@tauri-apps/api/core';

// ---- Constants (settings.rs, the core's editions) ----

/** The interface languages, in the order Settings lists them. */
export const UI_LANGUAGES = ["ru", "en", "az", "hy"] as const;
export type UiLanguage = (typeof UI_LANGUAGES)[number];
/** The interface language when the system's is none of UI_LANGUAGES. */
export const FALLBACK_UI_LANGUAGE: UiLanguage = "en";
/** Shorter sync intervals are raised to this. */
export const MIN_SYNC_MINUTES = 5;
export const DEFAULT_SYNC_MINUTES = 15;
/** Text size in percent, inclusive; anything outside is refused. */
export const TEXT_SCALE_RANGE = { min: 80, max: 200 } as const;
/** Settings::defaults for a system language none of UI_LANGUAGES (ui language aside, what a first run gets). */
export const DEFAULT_SETTINGS: Settings = {
  "theme": "system",
  "textScale": 100,
  "uiLanguage": "en",
  "syncIntervalMinutes": 15,
  "notifications": {
    "enabled": true,
    "sections": [],
    "keywords": [],
    "languages": [],
    "maxAgeMinutes": 180,
    "quietHours": null,
    "maxPerHour": 4,
    "pausedUntil": null
  },
  "relayUrl": ""
};
/** NotifyPrefs::default(). */
export const DEFAULT_NOTIFY_PREFS: NotifyPrefs = {
  "enabled": true,
  "sections": [],
  "keywords": [],
  "languages": [],
  "maxAgeMinutes": 180,
  "quietHours": null,
  "maxPerHour": 4,
  "pausedUntil": null
};
/** The site's editions (list_editions says which are followed). */
export const EDITIONS: readonly EditionDto[] = [
  {
    "code": "ru",
    "name": "Русский",
    "language": "ru",
    "followed": false,
    "readIn": "На русском",
    "sectionDescriptions": {}
  },
  {
    "code": "en",
    "name": "English",
    "language": "en",
    "followed": false,
    "readIn": "Read in English",
    "sectionDescriptions": {
      "ANALYTICS": "Analytical materials of the authors of Caliber.az"
    }
  },
  {
    "code": "az",
    "name": "Azərbaycanca",
    "language": "az",
    "followed": false,
    "readIn": "Azərbaycanca oxu",
    "sectionDescriptions": {}
  },
  {
    "code": "arm",
    "name": "Հայերեն",
    "language": "hy",
    "followed": false,
    "readIn": "Հայերեն",
    "sectionDescriptions": {}
  }
];

// ---- Types (dto.rs, settings.rs, the core's model) ----

export type Theme = "light" | "dark" | "system";

export type Settings = { theme: Theme, 
/**
 * Percent, within `TEXT_SCALE_RANGE`.
 */
textScale: number, 
/**
 * One of `UI_LANGUAGES`.
 */
uiLanguage: UiLanguage, 
/**
 * Minutes between background syncs (at least `MIN_SYNC_MINUTES`).
 */
syncIntervalMinutes: number, 
/**
 * Breaking-news alerts (the core's policy reads these); an update replaces the whole object.
 */
notifications: NotifyPrefs, 
/**
 * The push relay whose event stream brings alerts sooner (`relay/`); empty: none.
 */
relayUrl: string, };

/**
 * A partial update from the UI; absent fields are kept.
 */
export type SettingsPatch = { theme?: Theme, textScale?: number, uiLanguage?: UiLanguage, syncIntervalMinutes?: number, notifications?: NotifyPrefs, 
/**
 * An http(s) address, or empty to stop using a relay.
 */
relayUrl?: string, };

/**
 * What the reader chose. Off-by-default parts are empty.
 */
export type NotifyPrefs = { enabled: boolean, 
/**
 * Sections that alert besides breaking news (case-insensitive).
 */
sections: Array<string>, 
/**
 * Words that alert when they appear in a title (case-insensitive).
 */
keywords: Array<string>, 
/**
 * Languages of the editions followed for alerts; empty means all.
 */
languages: Array<string>, 
/**
 * Older articles never alert.
 */
maxAgeMinutes: number, 
/**
 * Local time, may cross midnight (22:00–07:00).
 */
quietHours: QuietHours | null, maxPerHour: number, 
/**
 * "Pause alerts for 1 h" from the tray.
 */
pausedUntil: string | null, };

/**
 * A change to some alert preferences (Settings → Alerts sends only what the reader touched);
 * absent fields are kept. `pausedUntil` is not here: only `pause_alerts` sets it, so a
 * pause from the tray is never overwritten by a stale copy.
 */
export type NotifyPrefsPatch = { enabled?: boolean, sections?: Array<string>, keywords?: Array<string>, languages?: Array<string>, maxAgeMinutes?: number, 
/**
 * Absent: kept; `null`: quiet hours off; a value: on, with these times.
 */
quietHours?: QuietHours | null, maxPerHour?: number, };

export type QuietHours = { start: string, end: string, };

export type ArticleSummary = { id: number, sourceUrl: string, 
/**
 * Who published it (the site's name only for its own sources).
 */
sourceName: string, 
/**
 * From one of the site's own sources: only these carry its signature and notice.
 */
fromSite: boolean, url: string | null, title: string, summary: string | null, author: string | null, categories: Array<string>, 
/**
 * RFC 3339, UTC.
 */
publishedAt: string, imageUrl: string | null, language: string | null, views: number | null, isBreaking: boolean, read: boolean, saved: boolean, };

export type ArticleDetail = { 
/**
 * Sanitised HTML; picture URLs are the originals (see imageSrc in ui/src/ipc).
 */
contentHtml: string | null, id: number, sourceUrl: string, 
/**
 * Who published it (the site's name only for its own sources).
 */
sourceName: string, 
/**
 * From one of the site's own sources: only these carry its signature and notice.
 */
fromSite: boolean, url: string | null, title: string, summary: string | null, author: string | null, categories: Array<string>, 
/**
 * RFC 3339, UTC.
 */
publishedAt: string, imageUrl: string | null, language: string | null, views: number | null, isBreaking: boolean, read: boolean, saved: boolean, };

/**
 * Keyset cursor for the next page of a list.
 */
export type Cursor = { publishedAt: string, id: number, };

export type ArticleListQuery = { section?: string | null, edition?: string | null, savedOnly?: boolean | null, unreadOnly?: boolean | null, before?: Cursor | null, limit?: number | null, };

export type ArticlePage = { items: Array<ArticleSummary>, next: Cursor | null, };

export type SearchHit = { article: ArticleSummary, 
/**
 * Escaped text with matches wrapped in <mark>…</mark>; safe to use as innerHTML.
 */
snippetHtml: string, };

export type SourceKind = "feed" | "site";

export type SyncStatus = "ok" | "not_modified" | "error";

export type SourceDto = { id: number, url: string, kind: SourceKind | null, title: string | null, lastSyncAt: string | null, lastStatus: SyncStatus | null, lastError: string | null, };

/**
 * What removing a source did: its unsaved articles went, its saved ones stayed.
 */
export type SourceRemovalDto = { deletedArticles: number, keptSaved: number, };

export type EditionDto = { code: string, name: string, language: string, followed: boolean, 
/**
 * "Read in English": the offer to read a story in this edition, in its language.
 */
readIn: string, 
/**
 * Section name → the site's description of it, where it gives one (list_sections
 * already matches them to sections; here for the mock backend).
 */
sectionDescriptions: { [key in string]: string }, };

/**
 * A section of an edition and the site's description of it, where it gives one.
 */
export type SectionDto = { name: string, description: string | null, };

/**
 * The article's story in another edition the reader follows.
 */
export type StoryEditionDto = { articleId: number, title: string, editionCode: string, 
/**
 * The edition's language (for `lang`), and its offer in that language: "Read in English".
 */
language: string, readIn: string, };

export type StorageStats = { articles: number, images: number, imageBytes: number, databaseBytes: number, };

export type SyncSummary = { newTotal: number, failed: number, 
/**
 * Sources that answered (with news or without): "up to date" is only said when some did.
 */
reached: number, 
/**
 * Every source failed to connect: the reader is offline.
 */
offline: boolean, };

/**
 * Where one source's sync is.
 */
export type SyncStage = "started" | "finished" | "failed";

/**
 * Payload of `sync:progress`, once per source and stage.
 */
export type SyncProgressEvent = { sourceId: number, url: string, stage: SyncStage, newCount: number, updatedCount: number, error: string | null, };

/**
 * Payload of `app:open-article` (a notification or deep link asks to show an article).
 */
export type OpenArticleEvent = { id: number, };

/**
 * Whether the push relay's event stream is open (Settings shows it; `relay:status` on change).
 */
export type RelayState = "off" | "connecting" | "connected" | "unreachable";

export type RelayStatus = { state: RelayState, 
/**
 * Why it is unreachable, as the network said it.
 */
error: string | null, 
/**
 * Counts the changes since launch. A `relay:status` event and a `relay_status` reply
 * travel by different channels and can arrive in either order: the higher is the newer.
 */
revision: number, };

// ---- Errors (error.rs) ----

export const IPC_ERROR_KINDS = ["notFound", "invalidInput", "network", "storage", "internal", "superseded"] as const;
export type IpcErrorKind = (typeof IPC_ERROR_KINDS)[number];
/** `{kind, message}`: every command rejects with this. */
export type IpcError = { kind: IpcErrorKind; message: string };

// ---- Events (events.rs) ----

export const EVENTS = {
  syncStarted: "sync:started",
  syncProgress: "sync:progress",
  syncDone: "sync:done",
  openArticle: "app:open-article",
  relayStatus: "relay:status",
} as const;

/** What each event carries. */
export type EventPayloads = {
  "sync:started": null;
  "sync:progress": SyncProgressEvent;
  "sync:done": SyncSummary;
  "app:open-article": OpenArticleEvent;
  "relay:status": RelayStatus;
};

// ---- Commands (commands.rs; the table is in contract.rs) ----

/** Each command's arguments and result. */
export type Commands = {
  list_articles: { args: { query: ArticleListQuery }; result: ArticlePage };
  get_article: { args: { id: number }; result: ArticleDetail };
  search_articles: { args: { query: string; limit?: number | null }; result: Array<SearchHit> };
  mark_article: { args: { id: number; read?: boolean | null; saved?: boolean | null }; result: ArticleSummary };
  list_sections: { args: { edition?: string | null }; result: Array<SectionDto> };
  story_in_other_editions: { args: { id: number }; result: Array<StoryEditionDto> };
  get_settings: { args: Record<string, never>; result: Settings };
  update_settings: { args: { settings: SettingsPatch }; result: Settings };
  update_notify_prefs: { args: { patch: NotifyPrefsPatch }; result: NotifyPrefs };
  list_sources: { args: Record<string, never>; result: Array<SourceDto> };
  add_source: { args: { url: string }; result: SourceDto };
  remove_source: { args: { url: string }; result: SourceRemovalDto };
  import_opml: { args: { text: string }; result: number };
  export_opml: { args: Record<string, never>; result: string };
  list_editions: { args: Record<string, never>; result: Array<EditionDto> };
  set_edition_followed: { args: { code: string; followed: boolean }; result: Array<EditionDto> };
  sync_now: { args: Record<string, never>; result: SyncSummary };
  storage_stats: { args: Record<string, never>; result: StorageStats };
  send_test_notification: { args: Record<string, never>; result: null };
  pause_alerts: { args: { minutes: number }; result: Settings };
  share_article: { args: { id: number }; result: null };
  relay_status: { args: Record<string, never>; result: RelayStatus };
};
export type CommandName = keyof Commands;
export const COMMAND_NAMES = ["list_articles", "get_article", "search_articles", "mark_article", "list_sections", "story_in_other_editions", "get_settings", "update_settings", "update_notify_prefs", "list_sources", "add_source", "remove_source", "import_opml", "export_opml", "list_editions", "set_edition_followed", "sync_now", "storage_stats", "send_test_notification", "pause_alerts", "share_article", "relay_status"] as const;

/** Each command's argument names; `optional` ones may be left out (Rust `Option`). */
export const COMMAND_ARGS: { readonly [K in CommandName]: readonly { name: string; optional: boolean }[] } = {
  list_articles: [{ name: "query", optional: false }],
  get_article: [{ name: "id", optional: false }],
  search_articles: [{ name: "query", optional: false }, { name: "limit", optional: true }],
  mark_article: [{ name: "id", optional: false }, { name: "read", optional: true }, { name: "saved", optional: true }],
  list_sections: [{ name: "edition", optional: true }],
  story_in_other_editions: [{ name: "id", optional: false }],
  get_settings: [],
  update_settings: [{ name: "settings", optional: false }],
  update_notify_prefs: [{ name: "patch", optional: false }],
  list_sources: [],
  add_source: [{ name: "url", optional: false }],
  remove_source: [{ name: "url", optional: false }],
  import_opml: [{ name: "text", optional: false }],
  export_opml: [],
  list_editions: [],
  set_edition_followed: [{ name: "code", optional: false }, { name: "followed", optional: false }],
  sync_now: [],
  storage_stats: [],
  send_test_notification: [],
  pause_alerts: [{ name: "minutes", optional: false }],
  share_article: [{ name: "id", optional: false }],
  relay_status: [],
};

/** Typed wrappers over `invoke`, one per command. */
export const commands = {
  listArticles: (args: Commands["list_articles"]['args']): Promise<ArticlePage> => invoke<ArticlePage>("list_articles", args),
  getArticle: (args: Commands["get_article"]['args']): Promise<ArticleDetail> => invoke<ArticleDetail>("get_article", args),
  searchArticles: (args: Commands["search_articles"]['args']): Promise<Array<SearchHit>> => invoke<Array<SearchHit>>("search_articles", args),
  markArticle: (args: Commands["mark_article"]['args']): Promise<ArticleSummary> => invoke<ArticleSummary>("mark_article", args),
  listSections: (args?: Commands["list_sections"]['args']): Promise<Array<SectionDto>> => invoke<Array<SectionDto>>("list_sections", args),
  storyInOtherEditions: (args: Commands["story_in_other_editions"]['args']): Promise<Array<StoryEditionDto>> => invoke<Array<StoryEditionDto>>("story_in_other_editions", args),
  getSettings: (): Promise<Settings> => invoke<Settings>("get_settings"),
  updateSettings: (args: Commands["update_settings"]['args']): Promise<Settings> => invoke<Settings>("update_settings", args),
  updateNotifyPrefs: (args: Commands["update_notify_prefs"]['args']): Promise<NotifyPrefs> => invoke<NotifyPrefs>("update_notify_prefs", args),
  listSources: (): Promise<Array<SourceDto>> => invoke<Array<SourceDto>>("list_sources"),
  addSource: (args: Commands["add_source"]['args']): Promise<SourceDto> => invoke<SourceDto>("add_source", args),
  removeSource: (args: Commands["remove_source"]['args']): Promise<SourceRemovalDto> => invoke<SourceRemovalDto>("remove_source", args),
  importOpml: (args: Commands["import_opml"]['args']): Promise<number> => invoke<number>("import_opml", args),
  exportOpml: (): Promise<string> => invoke<string>("export_opml"),
  listEditions: (): Promise<Array<EditionDto>> => invoke<Array<EditionDto>>("list_editions"),
  setEditionFollowed: (args: Commands["set_edition_followed"]['args']): Promise<Array<EditionDto>> => invoke<Array<EditionDto>>("set_edition_followed", args),
  syncNow: (): Promise<SyncSummary> => invoke<SyncSummary>("sync_now"),
  storageStats: (): Promise<StorageStats> => invoke<StorageStats>("storage_stats"),
  sendTestNotification: (): Promise<null> => invoke<null>("send_test_notification"),
  pauseAlerts: (args: Commands["pause_alerts"]['args']): Promise<Settings> => invoke<Settings>("pause_alerts", args),
  shareArticle: (args: Commands["share_article"]['args']): Promise<null> => invoke<null>("share_article", args),
  relayStatus: (): Promise<RelayStatus> => invoke<RelayStatus>("relay_status"),
};
