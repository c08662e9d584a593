import { emit } from '@tauri-apps/api/event';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import App from '../App.svelte';
import { EVENTS } from '../ipc';
import { useBackend } from './harness';

describe('sync and offline', () => {
  it('shows the offline banner when syncNow resolves offline:true, hides it after a successful sync', async () => {
    const backend = useBackend({ syncResult: { newTotal: 0, failed: 1, reached: 0, offline: true } });
    render(App);
    await waitFor(() => expect(screen.getAllByTestId('article-card').length).toBeGreaterThan(0));
    expect(screen.queryByTestId('offline-banner')).toBeNull();

    await fireEvent.click(screen.getByTestId('sync-now'));
    expect(await screen.findByTestId('offline-banner')).toBeTruthy();
    expect(backend.callsOf('sync_now')).toHaveLength(1);

    backend.syncResult = { newTotal: 2, failed: 0, reached: 1, offline: false };
    await fireEvent.click(screen.getByTestId('sync-now'));
    await waitFor(() => expect(screen.queryByTestId('offline-banner')).toBeNull());
    expect(await screen.findByText('2 new')).toBeTruthy();
  });

  it('offline, only the banner speaks: no "up to date", no failure count over it', async () => {
    useBackend({ syncResult: { newTotal: 0, failed: 2, reached: 0, offline: true } });
    render(App);
    await waitFor(() => expect(screen.getAllByTestId('article-card').length).toBeGreaterThan(0));
    await fireEvent.click(screen.getByTestId('sync-now'));
    expect(await screen.findByTestId('offline-banner')).toBeTruthy();
    await waitFor(() => expect(screen.queryByTestId('sync-status')).toBeNull());
    expect(screen.queryByText(/Up to date|failed/)).toBeNull();
  });

  it('"up to date" only when a source answered; failures offer their details in Settings', async () => {
    const backend = useBackend({ syncResult: { newTotal: 0, failed: 2, reached: 0, offline: false } });
    render(App);
    await waitFor(() => expect(screen.getAllByTestId('article-card').length).toBeGreaterThan(0));
    await fireEvent.click(screen.getByTestId('sync-now'));
    expect((await screen.findByTestId('sync-status')).textContent).toContain('No source could be reached · 2 sources failed');
    expect(screen.queryByTestId('offline-banner')).toBeNull();

    backend.syncResult = { newTotal: 0, failed: 1, reached: 2, offline: false };
    await fireEvent.click(screen.getByTestId('sync-now'));
    await waitFor(() => expect(screen.getByTestId('sync-status').textContent).toContain('Up to date · 1 source failed'));
    await fireEvent.click(screen.getByTestId('sync-details'));
    expect(await screen.findByRole('heading', { name: 'Sources' })).toBeTruthy();
    expect(window.location.hash).toBe('#/settings');
  });

  it('shows the banner while navigator.onLine is false', async () => {
    useBackend();
    render(App);
    expect(screen.queryByTestId('offline-banner')).toBeNull();
    Object.defineProperty(navigator, 'onLine', { configurable: true, get: () => false });
    window.dispatchEvent(new Event('offline'));
    expect(await screen.findByTestId('offline-banner')).toBeTruthy();
    Object.defineProperty(navigator, 'onLine', { configurable: true, get: () => true });
    window.dispatchEvent(new Event('online'));
    await waitFor(() => expect(screen.queryByTestId('offline-banner')).toBeNull());
  });

  it('a sync:done event saying offline shows the banner', async () => {
    useBackend();
    render(App);
    await new Promise((r) => setTimeout(r, 20));
    await emit(EVENTS.syncDone, { newTotal: 0, failed: 3, reached: 0, offline: true });
    expect(await screen.findByTestId('offline-banner')).toBeTruthy();
  });

  it('reports progress from sync events and reloads the list when new articles arrived', async () => {
    const backend = useBackend();
    render(App);
    await waitFor(() => expect(screen.getAllByTestId('article-card').length).toBeGreaterThan(0));
    await new Promise((r) => setTimeout(r, 20));
    const before = backend.callsOf('list_articles').length;

    await emit(EVENTS.syncStarted, null);
    expect(await screen.findByRole('progressbar')).toBeTruthy();
    await emit(EVENTS.syncProgress, {
      sourceId: 1,
      url: 'https://caliber.az/rss.xml',
      stage: 'finished',
      newCount: 3,
      updatedCount: 0,
      error: null,
    });
    expect(await screen.findByText('Syncing… · 3 new')).toBeTruthy();
    await emit(EVENTS.syncDone, { newTotal: 3, failed: 0, reached: 2, offline: false });
    expect(await screen.findByText('3 new')).toBeTruthy();
    expect(screen.queryByRole('progressbar')).toBeNull();
    await waitFor(() => expect(backend.callsOf('list_articles').length).toBe(before + 1));
  });

  it('pull-to-refresh at the top of the list calls syncNow', async () => {
    const backend = useBackend();
    render(App);
    await waitFor(() => expect(screen.getAllByTestId('article-card').length).toBeGreaterThan(0));
    const list = document.querySelector('.article-list')!;
    const touch = (y: number) => ({ touches: [{ clientX: 10, clientY: y }], changedTouches: [{ clientX: 10, clientY: y }] });
    await fireEvent.touchStart(list, touch(100));
    await fireEvent.touchMove(list, touch(180));
    await fireEvent.touchMove(list, touch(260));
    expect(screen.getByText('Release to refresh')).toBeTruthy();
    await fireEvent.touchEnd(list, touch(260));
    await waitFor(() => expect(backend.callsOf('sync_now')).toHaveLength(1));
  });

  it('a failing sync shows the IpcError message', async () => {
    useBackend({ failures: { sync_now: { kind: 'internal', message: 'sync already running' } } });
    render(App);
    await fireEvent.click(screen.getByTestId('sync-now'));
    expect((await screen.findByTestId('toast')).textContent).toBe('sync already running');
  });
});
