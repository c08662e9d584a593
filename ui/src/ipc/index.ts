// The only module that talks to Rust. Everything else imports from here.
import { invoke, convertFileSrc } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import type {
  ArticleDetail,
  ArticleListQuery,
  ArticlePage,
  ArticleSummary,
  EditionDto,
  OpenArticleEvent,
  SearchHit,
  Settings,
  SourceDto,
  SourceRemovalDto,
  StorageStats,
  SyncProgressEvent,
  SyncSummary,
} from './types';
import { EVENTS } from './types';

export * from './types';

export const listArticles = (query: ArticleListQuery) => invoke<ArticlePage>('list_articles', { query });
export const getArticle = (id: number) => invoke<ArticleDetail>('get_article', { id });
export const searchArticles = (query: string, limit = 30) => invoke<SearchHit[]>('search_articles', { query, limit });
export const markArticle = (id: number, marks: { read?: boolean; saved?: boolean }) =>
  invoke<ArticleSummary>('mark_article', { id, read: marks.read ?? null, saved: marks.saved ?? null });
export const listSections = (edition: string | null) => invoke<string[]>('list_sections', { edition });

export const getSettings = () => invoke<Settings>('get_settings');
export const updateSettings = (settings: Partial<Settings>) => invoke<Settings>('update_settings', { settings });

export const listSources = () => invoke<SourceDto[]>('list_sources');
export const addSource = (url: string) => invoke<SourceDto>('add_source', { url });
export const removeSource = (url: string) => invoke<SourceRemovalDto>('remove_source', { url });
export const importOpml = (text: string) => invoke<number>('import_opml', { text });
export const exportOpml = () => invoke<string>('export_opml');
export const listEditions = () => invoke<EditionDto[]>('list_editions');
export const setEditionFollowed = (code: string, followed: boolean) =>
  invoke<EditionDto[]>('set_edition_followed', { code, followed });

export const syncNow = () => invoke<SyncSummary>('sync_now');
/** Show a notification now (bypasses the alert policy). */
export const sendTestNotification = () => invoke<void>('send_test_notification');
/** Hold alerts back for `minutes`; they come back as one summary. */
export const pauseAlerts = (minutes: number) => invoke<Settings>('pause_alerts', { minutes });
export const storageStats = () => invoke<StorageStats>('storage_stats');

export const onSyncStarted = (handler: () => void): Promise<UnlistenFn> => listen(EVENTS.syncStarted, () => handler());
export const onSyncProgress = (handler: (e: SyncProgressEvent) => void): Promise<UnlistenFn> =>
  listen<SyncProgressEvent>(EVENTS.syncProgress, (e) => handler(e.payload));
export const onSyncDone = (handler: (e: SyncSummary) => void): Promise<UnlistenFn> =>
  listen<SyncSummary>(EVENTS.syncDone, (e) => handler(e.payload));
export const onOpenArticle = (handler: (e: OpenArticleEvent) => void): Promise<UnlistenFn> =>
  listen<OpenArticleEvent>(EVENTS.openArticle, (e) => handler(e.payload));

/** Pictures go through the app's offline store (the `caliber-img` scheme), never straight to the network. */
export function imageSrc(url: string | null | undefined): string | null {
  if (!url) return null;
  return convertFileSrc(url, 'caliber-img');
}

/** Copy text with the clipboard plugin. */
export async function copyText(text: string): Promise<void> {
  const { writeText } = await import('@tauri-apps/plugin-clipboard-manager');
  await writeText(text);
}

/** Open a URL (share targets, the original article) in the system browser. */
export async function openExternal(url: string): Promise<void> {
  const { openUrl } = await import('@tauri-apps/plugin-opener');
  await openUrl(url);
}

// ---- Additions (UI-side helpers; no new Rust commands) ----

const onPhone = () => typeof navigator !== 'undefined' && /Android|iPhone|iPad/i.test(navigator.userAgent);

/** Ask the shell for the phone's native share sheet (Rust: tauri-plugin-sharekit). */
export const shareArticle = (id: number) => invoke<void>('share_article', { id });

/** True when the platform has a system share sheet (the shell's on phones, else navigator.share). */
export function canShareNative(): boolean {
  return (hasBackend() && onPhone()) || (typeof navigator !== 'undefined' && typeof navigator.share === 'function');
}

/**
 * Open the system share sheet. Resolves false when the reader dismissed it,
 * true when shared; rejects on any other failure.
 */
export async function shareNative(data: { title: string; text?: string; url: string; id?: number }): Promise<boolean> {
  if (!canShareNative()) return false;
  if (data.id !== undefined && hasBackend() && onPhone()) {
    try {
      await shareArticle(data.id);
      return true;
    } catch {
      // No share sheet after all: fall through to the web one.
    }
  }
  if (typeof navigator.share !== 'function') return false;
  const { id: _id, ...webData } = data;
  try {
    await navigator.share(webData);
    return true;
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') return false;
    throw e;
  }
}

/** Print the current page (the print stylesheet shows only the article). */
export function printPage(): void {
  window.print();
}

/** True inside the Tauri WebView (or under test mocks). */
export function hasBackend(): boolean {
  return typeof window !== 'undefined' && typeof (window as { __TAURI_INTERNALS__?: { invoke?: unknown } }).__TAURI_INTERNALS__?.invoke === 'function';
}
