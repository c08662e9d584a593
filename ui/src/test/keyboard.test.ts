import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import App from '../App.svelte';
import { lists } from '../lib/lists.svelte';
import { startAt, useBackend } from './harness';

const key = (k: string, target: Element = document.body) => fireEvent.keyDown(target, { key: k });

describe('keyboard shortcuts', () => {
  it('j/k move the selection, o opens, j/k in the reader go to next/previous, s saves', async () => {
    const backend = useBackend();
    startAt('#/');
    render(App);
    await waitFor(() => expect(screen.getAllByTestId('article-card')).toHaveLength(30));

    await key('j');
    await waitFor(() => expect(lists.selectedId).toBe(1));
    await key('j');
    await waitFor(() => expect(lists.selectedId).toBe(2));
    expect(document.activeElement?.getAttribute('data-id')).toBe('2');
    await key('k');
    await waitFor(() => expect(lists.selectedId).toBe(1));

    await key('o');
    await waitFor(() => expect(screen.getByTestId('article-title').textContent).toBe(backend.articles[0].title));
    expect(window.location.hash).toBe('#/article/1');

    await key('j');
    await waitFor(() => expect(window.location.hash).toBe('#/article/2'));
    await waitFor(() => expect(screen.getByTestId('article-title').textContent).toBe(backend.articles[1].title));

    await key('s');
    await waitFor(() => expect(backend.articles[1].saved).toBe(true));
    expect(screen.getByTestId('save-toggle').getAttribute('aria-pressed')).toBe('true');
  });

  it('/ focuses search, r syncs, ? opens the help dialog and Escape closes it', async () => {
    const backend = useBackend();
    render(App);
    await key('/');
    const input = await screen.findByTestId('search-input');
    await waitFor(() => expect(document.activeElement).toBe(input));

    // typing in an input is not a shortcut
    await key('r', input);
    await key('?', input);
    expect(backend.callsOf('sync_now')).toHaveLength(0);
    expect(screen.queryByRole('dialog')).toBeNull();

    (input as HTMLInputElement).blur();
    await key('r');
    await waitFor(() => expect(backend.callsOf('sync_now')).toHaveLength(1));

    await key('?');
    const dialog = await screen.findByRole('dialog');
    expect(dialog.textContent).toContain('Keyboard shortcuts');
    await fireEvent.keyDown(dialog, { key: 'Escape' });
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
  });

  it('ignores keys with modifiers', async () => {
    const backend = useBackend();
    render(App);
    await fireEvent.keyDown(document.body, { key: 'r', ctrlKey: true });
    expect(backend.callsOf('sync_now')).toHaveLength(0);
  });
});
