// The only module that talks to Rust. Everything else imports from here.
import { convertFileSrc } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import { commands, EVENTS, type ArticleListQuery, type EventPayloads, type NotifyPrefsPatch, type SettingsPatch } from './generated';

export * from './types';

// Thin, UI-shaped calls over the generated, typed command wrappers.
export const listArticles = (query: ArticleListQuery) => commands.listArticles({ query });
export const getArticle = (id: number) => commands.getArticle({ id });
export const searchArticles = (query: string, limit = 30) => commands.searchArticles({ query, limit });
export const markArticle = (id: number, marks: { read?: boolean; saved?: boolean }) =>
  commands.markArticle({ id, read: marks.read ?? null, saved: marks.saved ?? null });
/** An edition's sections (all editions' with `null`), each with the site's description where it gives one. */
export const listSections = (edition: string | null) => commands.listSections({ edition });
/** The same story in the reader's other editions (a local lookup: works offline). */
export const storyInOtherEditions = (id: number) => commands.storyInOtherEditions({ id });

export const getSettings = () => commands.getSettings();
export const updateSettings = (settings: SettingsPatch) => commands.updateSettings({ settings });
/** Change only the alert preferences named; resolves with all of them as stored. */
export const updateNotifyPrefs = (patch: NotifyPrefsPatch) => commands.updateNotifyPrefs({ patch });

export const listSources = () => commands.listSources();
/** Follow a URL. One already followed (after Rust normalises it) comes back as that source, not an error. */
export const addSource = (url: string) => commands.addSource({ url });
export const removeSource = (url: string) => commands.removeSource({ url });
export const importOpml = (text: string) => commands.importOpml({ text });
export const exportOpml = () => commands.exportOpml();
export const listEditions = () => commands.listEditions();
export const setEditionFollowed = (code: string, followed: boolean) => commands.setEditionFollowed({ code, followed });

export const syncNow = () => commands.syncNow();
/** Show a notification now (bypasses the alert policy). */
export const sendTestNotification = () => commands.sendTestNotification();
/** Hold alerts back for `minutes`; they come back as one summary. */
export const pauseAlerts = (minutes: number) => commands.pauseAlerts({ minutes });
export const storageStats = () => commands.storageStats();
/** Whether the push relay's event stream is open (`relay:status` says when it changes). */
export const relayStatus = () => commands.relayStatus();

type Payload<E extends keyof EventPayloads> = EventPayloads[E];

export const onSyncStarted = (handler: () => void): Promise<UnlistenFn> => listen(EVENTS.syncStarted, () => handler());
export const onSyncProgress = (handler: (e: Payload<typeof EVENTS.syncProgress>) => void): Promise<UnlistenFn> =>
  listen<Payload<typeof EVENTS.syncProgress>>(EVENTS.syncProgress, (e) => handler(e.payload));
export const onSyncDone = (handler: (e: Payload<typeof EVENTS.syncDone>) => void): Promise<UnlistenFn> =>
  listen<Payload<typeof EVENTS.syncDone>>(EVENTS.syncDone, (e) => handler(e.payload));
export const onOpenArticle = (handler: (e: Payload<typeof EVENTS.openArticle>) => void): Promise<UnlistenFn> =>
  listen<Payload<typeof EVENTS.openArticle>>(EVENTS.openArticle, (e) => handler(e.payload));

export const onRelayStatus = (handler: (e: Payload<typeof EVENTS.relayStatus>) => void): Promise<UnlistenFn> =>
  listen<Payload<typeof EVENTS.relayStatus>>(EVENTS.relayStatus, (e) => handler(e.payload));

/** Pictures go through the app's offline store (the `caliber-img` scheme), never straight to the network. */
export function imageSrc(url: string | null | undefined): string | null {
  if (!url) return null;
  return convertFileSrc(url, 'caliber-img');
}

/** A picture scaled by the app to a box `cssWidth` pixels wide (cards): the web view then
 * decodes a few KB instead of the whole cover (`?w=` in device pixels, see image_scheme.rs). */
export function thumbnailSrc(url: string | null | undefined, cssWidth: number): string | null {
  const src = imageSrc(url);
  if (!src) return null;
  const ratio = typeof window !== 'undefined' && window.devicePixelRatio > 0 ? window.devicePixelRatio : 1;
  return `${src}?w=${Math.ceil(cssWidth * ratio)}`;
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

// ---- Sharing, printing and backend detection ----

const onPhone = () => typeof navigator !== 'undefined' && /Android|iPhone|iPad/i.test(navigator.userAgent);

/** Ask the shell for the phone's native share sheet (Rust: tauri-plugin-sharekit). */
export const shareArticle = (id: number) => commands.shareArticle({ id });

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
