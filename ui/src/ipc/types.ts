// Mirror of the Rust DTOs in src-tauri/src/dto.rs and the event names in
// src-tauri/src/events.rs. Change both together.

export type Theme = 'light' | 'dark' | 'system';
export type UiLanguage = 'ru' | 'en' | 'az';

export interface ArticleSummary {
  id: number;
  sourceUrl: string;
  /** Who published it: the site's name only for the site's own sources. */
  sourceName: string;
  /** From one of the site's own sources: only these carry its signature and notice. */
  fromSite: boolean;
  url: string | null;
  title: string;
  summary: string | null;
  author: string | null;
  categories: string[];
  /** RFC 3339, UTC */
  publishedAt: string;
  imageUrl: string | null;
  language: string | null;
  views: number | null;
  isBreaking: boolean;
  read: boolean;
  saved: boolean;
}

export interface ArticleDetail extends ArticleSummary {
  /** Sanitised HTML; picture URLs are the originals (see imageSrc in ./index). */
  contentHtml: string | null;
}

/** Keyset cursor for the next page of a list. */
export interface Cursor {
  publishedAt: string;
  id: number;
}

export interface ArticleListQuery {
  section?: string | null;
  edition?: string | null;
  savedOnly?: boolean;
  unreadOnly?: boolean;
  before?: Cursor | null;
  limit?: number;
}

export interface ArticlePage {
  items: ArticleSummary[];
  next: Cursor | null;
}

export interface SearchHit {
  article: ArticleSummary;
  /** Escaped text with matches wrapped in <mark>…</mark>; safe to use as innerHTML. */
  snippetHtml: string;
}

export interface Settings {
  theme: Theme;
  /** Percent, 80–200, in steps of 10. */
  textScale: number;
  uiLanguage: UiLanguage;
  /** Minutes between background syncs (minimum 5). */
  syncIntervalMinutes: number;
  /** Breaking-news alerts; `updateSettings` replaces the whole object. */
  notifications: NotifyPrefs;
}

/** Mirror of caliber_core::notify::NotifyPrefs. */
export interface NotifyPrefs {
  enabled: boolean;
  /** Sections that alert besides breaking news (case-insensitive). */
  sections: string[];
  /** Words that alert when they appear in a title (case-insensitive). */
  keywords: string[];
  /** Edition languages followed for alerts; empty = all editions. */
  languages: string[];
  /** Older articles never alert. */
  maxAgeMinutes: number;
  /** Local times "HH:MM:SS" (chrono NaiveTime); may cross midnight (22:00–07:00). */
  quietHours: { start: string; end: string } | null;
  maxPerHour: number;
  /** RFC 3339, UTC. */
  pausedUntil: string | null;
}

/** NotifyPrefs::default() on the Rust side. */
export function defaultNotifyPrefs(): NotifyPrefs {
  return {
    enabled: true,
    sections: [],
    keywords: [],
    languages: [],
    maxAgeMinutes: 180,
    quietHours: null,
    maxPerHour: 4,
    pausedUntil: null,
  };
}

export interface SourceDto {
  id: number;
  url: string;
  kind: 'feed' | 'site' | null;
  title: string | null;
  lastSyncAt: string | null;
  lastStatus: 'ok' | 'not_modified' | 'error' | null;
  lastError: string | null;
}

/** What removing a source did: its unsaved articles went, its saved ones stayed. */
export interface SourceRemovalDto {
  deletedArticles: number;
  keptSaved: number;
}

export interface EditionDto {
  code: string;
  name: string;
  language: string;
  followed: boolean;
}

export interface StorageStats {
  articles: number;
  images: number;
  imageBytes: number;
  databaseBytes: number;
}

export interface SyncSummary {
  newTotal: number;
  failed: number;
  /** Every source failed to connect: the reader is offline. */
  offline: boolean;
}

/** `{kind, message}` — every command rejects with this. */
export interface IpcError {
  kind: 'notFound' | 'invalidInput' | 'network' | 'storage' | 'internal';
  message: string;
}

export const EVENTS = {
  syncStarted: 'sync:started',
  syncProgress: 'sync:progress',
  syncDone: 'sync:done',
  openArticle: 'app:open-article',
} as const;

export interface SyncProgressEvent {
  sourceId: number;
  url: string;
  stage: 'started' | 'finished' | 'failed';
  newCount: number;
  updatedCount: number;
  error: string | null;
}

export interface OpenArticleEvent {
  id: number;
}
