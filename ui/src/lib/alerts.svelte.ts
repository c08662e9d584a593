// Breaking-news alert preferences (Settings → Alerts). The database is the source of truth;
// each change sends only the fields it changes (update_notify_prefs), so nothing else the
// reader or the tray set meanwhile is overwritten.
import {
  defaultNotifyPrefs,
  getSettings,
  pauseAlerts,
  updateNotifyPrefs,
  type NotifyPrefs,
  type NotifyPrefsPatch,
} from '../ipc';
import { errorMessage } from './errors';
import { showToast } from './toast.svelte';

export const MIN_PER_HOUR = 1;
export const MAX_PER_HOUR = 20;
export const PAUSE_MINUTES = 60;

/** What the reader edits; `pausedUntil` only changes through pauseAlerts. */
export type AlertsPatch = NotifyPrefsPatch;

export const alerts = $state({
  prefs: null as NotifyPrefs | null,
  error: null as string | null,
});

/** Fill in fields an older backend may not send. */
function normalize(n: Partial<NotifyPrefs> | null | undefined): NotifyPrefs {
  return { ...defaultNotifyPrefs(), ...n };
}

// Saves run one after another, so quick successive changes reach Rust in order.
let queue: Promise<unknown> = Promise.resolve();
let pending = 0;

function enqueue<T>(job: () => Promise<T>): Promise<T> {
  const run = queue.then(job);
  queue = run.catch(() => {});
  return run;
}

export async function loadAlerts(): Promise<void> {
  try {
    const s = await getSettings();
    alerts.prefs = normalize(s.notifications);
    alerts.error = null;
  } catch (e) {
    alerts.error = errorMessage(e);
  }
}

/** "a, b ,, c " → ["a", "b", "c"] */
export function parseKeywords(text: string): string[] {
  return text
    .split(',')
    .map((k) => k.trim())
    .filter((k) => k.length > 0);
}

/** `<input type="time">` value ("22:00", maybe "22:00:30") → chrono NaiveTime "22:00:00"; null if invalid. */
export function toNaiveTime(value: string): string | null {
  const m = /^([01]\d|2[0-3]):([0-5]\d)/.exec(value);
  return m ? `${m[1]}:${m[2]}:00` : null;
}

/** "22:00:00" → "22:00" for `<input type="time">`. */
export function fromNaiveTime(value: string): string {
  return value.slice(0, 5);
}

/**
 * Apply a change locally at once, then store it. On failure the stored state is
 * reloaded and the error shown. Resolves false on failure.
 */
export async function saveAlerts(patch: AlertsPatch): Promise<boolean> {
  alerts.prefs = { ...normalize($state.snapshot(alerts.prefs)), ...patch } as NotifyPrefs;
  pending++;
  try {
    const stored = await enqueue(() => updateNotifyPrefs(patch));
    if (pending === 1) alerts.prefs = normalize(stored);
    return true;
  } catch (e) {
    showToast(errorMessage(e));
    if (pending === 1) await loadAlerts();
    return false;
  } finally {
    pending--;
  }
}

/** Hold alerts back for a while (they come back as one summary). */
export async function pauseAlertsFor(minutes: number = PAUSE_MINUTES): Promise<boolean> {
  try {
    const s = await enqueue(() => pauseAlerts(minutes));
    const until = normalize(s.notifications).pausedUntil;
    if (alerts.prefs) alerts.prefs.pausedUntil = until;
    else alerts.prefs = normalize(s.notifications);
    return true;
  } catch (e) {
    showToast(errorMessage(e));
    return false;
  }
}

export function resetAlerts(): void {
  alerts.prefs = null;
  alerts.error = null;
  queue = Promise.resolve();
  pending = 0;
}
