// Dev-only: lets `npm run dev` run in a plain browser (no Tauri) against the in-memory
// backend. main.ts imports this dynamically behind `import.meta.env.DEV`, so it never
// reaches a production build.
import { mockIPC } from '@tauri-apps/api/mocks';
import { emit } from '@tauri-apps/api/event';
import { EVENTS } from '../types';
import { createFakeBackend, sampleArticles } from './backend';

/** A local SVG placeholder instead of a network picture. */
function placeholder(url: string): string {
  let h = 0;
  for (let i = 0; i < url.length; i++) h = (h * 31 + url.charCodeAt(i)) >>> 0;
  const hue = h % 360;
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 160 90">` +
    `<rect width="160" height="90" fill="hsl(${hue} 45% 45%)"/>` +
    `<circle cx="120" cy="28" r="12" fill="hsl(${hue} 60% 75%)"/>` +
    `<path d="M0 90 L50 40 L85 75 L110 55 L160 90Z" fill="hsl(${hue} 40% 28%)"/></svg>`;
  return `data:image/svg+xml,${encodeURIComponent(svg)}`;
}

export function installDevBackend(): void {
  const backend = createFakeBackend({ articles: sampleArticles(60, Date.now()) });
  let syncs = 0;
  mockIPC(
    async (cmd, args) => {
      if (cmd === 'sync_now') {
        syncs++;
        await emit(EVENTS.syncStarted, null);
        for (const source of backend.sources) {
          await new Promise((r) => setTimeout(r, 400));
          await emit(EVENTS.syncProgress, {
            sourceId: source.id,
            url: source.url,
            stage: 'finished',
            newCount: syncs === 1 ? 0 : 1,
            updatedCount: 0,
            error: null,
          });
        }
        const offline = !navigator.onLine;
        const n = backend.sources.length;
        const summary = { newTotal: 0, failed: offline ? n : 0, reached: offline ? 0 : n, offline };
        await emit(EVENTS.syncDone, summary);
        return summary;
      }
      return backend.handle(cmd, args);
    },
    { shouldMockEvents: true },
  );
  const internals = (window as unknown as { __TAURI_INTERNALS__: Record<string, unknown> }).__TAURI_INTERNALS__;
  internals.convertFileSrc = (url: string) => placeholder(url);
  (window as unknown as { __CALIBER_DEV_BACKEND__: unknown }).__CALIBER_DEV_BACKEND__ = backend;
}
