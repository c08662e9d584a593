// Shared test helpers: a fake Rust side behind mockIPC, and state resets.
import { mockConvertFileSrc, mockIPC } from '@tauri-apps/api/mocks';
import { createFakeBackend, sampleArticles, type FakeBackend, type FakeBackendOptions } from '../ipc/mock/backend';
import { resetAlerts } from '../lib/alerts.svelte';
import { resetEditions } from '../lib/editions.svelte';
import { lists } from '../lib/lists.svelte';
import { initPrefs } from '../lib/prefs.svelte';
import { resetRelay } from '../lib/relay.svelte';
import { resetSearch } from '../lib/search.svelte';
import { resetSync } from '../lib/sync.svelte';
import { hideToast } from '../lib/toast.svelte';
import { ui } from '../lib/ui.svelte';

export const NOW = Date.parse('2026-06-25T14:00:00Z');

/** Install the fake backend (45 sample articles unless given) and return it. */
export function useBackend(opts: FakeBackendOptions = {}): FakeBackend {
  const backend = createFakeBackend({ articles: sampleArticles(45, NOW), ...opts });
  mockIPC((cmd, args) => backend.handle(cmd, args), { shouldMockEvents: true });
  mockConvertFileSrc('linux');
  return backend;
}

export function resetAppState(): void {
  resetSync();
  resetSearch();
  resetEditions();
  resetAlerts();
  resetRelay();
  lists.source = null;
  lists.selectedId = null;
  ui.helpOpen = false;
  ui.searchFocus = 0;
  hideToast();
  document.documentElement.removeAttribute('data-theme');
  document.documentElement.removeAttribute('style');
  initPrefs();
}

export function startAt(hash: string): void {
  window.location.hash = hash;
}
