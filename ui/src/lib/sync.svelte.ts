// Sync state: progress of the current run, the last result, and connectivity.
import { listSources, onSyncDone, onSyncProgress, onSyncStarted, syncNow, type SyncProgressEvent, type SyncSummary } from '../ipc';
import { errorMessage } from './errors';
import { subscribe } from './events';
import { showToast } from './toast.svelte';

export const sync = $state({
  running: false,
  /** Sources done (finished or failed) in this run. */
  finished: 0,
  /** Sources in this run; 0 while unknown. */
  total: 0,
  /** New articles so far in this run (or the final count once done). */
  newCount: 0,
  failed: 0,
  /** Sources that answered in the last run (only then is anything "up to date"). */
  reached: 0,
  /** Show the "N new" summary for a few seconds after a run. */
  showSummary: false,
  /** The last sync reported that every source failed to connect. */
  offline: false,
  /** navigator.onLine */
  online: true,
  /** Bumped after a run that brought new articles, so lists reload. */
  generation: 0,
});

let summaryTimer: ReturnType<typeof setTimeout> | undefined;

export function resetSync(): void {
  clearTimeout(summaryTimer);
  sync.running = false;
  sync.finished = 0;
  sync.total = 0;
  sync.newCount = 0;
  sync.failed = 0;
  sync.reached = 0;
  sync.showSummary = false;
  sync.offline = false;
  sync.online = typeof navigator === 'undefined' ? true : navigator.onLine !== false;
  sync.generation = 0;
}

export function isOfflineShown(): boolean {
  return !sync.online || sync.offline;
}

function begin(): void {
  if (sync.running) return;
  clearTimeout(summaryTimer);
  sync.running = true;
  sync.finished = 0;
  sync.total = 0;
  sync.newCount = 0;
  sync.failed = 0;
  sync.showSummary = false;
  listSources()
    .then((sources) => {
      if (sync.running) sync.total = sources.length;
    })
    .catch(() => {});
}

function progress(e: SyncProgressEvent): void {
  if (!sync.running) begin();
  if (e.stage === 'finished' || e.stage === 'failed') sync.finished++;
  if (e.stage === 'failed') sync.failed++;
  sync.newCount += e.newCount;
}

function finish(summary: SyncSummary): void {
  const wasRunning = sync.running;
  sync.running = false;
  sync.offline = summary.offline;
  sync.newCount = summary.newTotal;
  sync.failed = summary.failed;
  sync.reached = summary.reached;
  // The command's result and the sync:done event both arrive; count the run once.
  if (wasRunning && summary.newTotal > 0) sync.generation++;
  sync.showSummary = true;
  clearTimeout(summaryTimer);
  // Failures stay longer: the summary offers their details.
  summaryTimer = setTimeout(
    () => {
      sync.showSummary = false;
    },
    summary.failed > 0 ? 10000 : 4000,
  );
}

/**
 * The command's result and the sync:done event both report a run: the first one
 * finishes it, the second only refreshes the offline flag. A done event with no run
 * in progress (and none just finished) is a background run we missed the start of.
 */
function acceptSummary(summary: SyncSummary): void {
  if (sync.running) {
    finish(summary);
  } else if (sync.showSummary) {
    sync.offline = summary.offline;
  } else {
    sync.running = true;
    finish(summary);
  }
}

/** Sync every source now (sync-now button, `r`, pull-to-refresh). */
export async function runSync(): Promise<SyncSummary | null> {
  begin();
  try {
    const summary = await syncNow();
    acceptSummary(summary);
    return summary;
  } catch (e) {
    sync.running = false;
    showToast(errorMessage(e));
    return null;
  }
}

/** Listen to the Rust side's sync events (background syncs report here too). */
export function startSyncEvents(): () => void {
  const stops = [
    subscribe(() => onSyncStarted(() => begin())),
    subscribe(() => onSyncProgress((e) => progress(e))),
    subscribe(() => onSyncDone((s) => acceptSummary(s))),
  ];
  return () => stops.forEach((stop) => stop());
}

export function watchConnectivity(): () => void {
  const update = () => {
    sync.online = navigator.onLine !== false;
  };
  update();
  window.addEventListener('online', update);
  window.addEventListener('offline', update);
  return () => {
    window.removeEventListener('online', update);
    window.removeEventListener('offline', update);
  };
}
