import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import App from '../App.svelte';
import { SEARCH_DEBOUNCE_MS } from '../lib/search.svelte';
import { startAt, useBackend } from './harness';

describe('search', () => {
  it('debounces typing and renders highlighted snippets', async () => {
    const backend = useBackend();
    startAt('#/search');
    render(App);
    const input = (await screen.findByTestId('search-input')) as HTMLInputElement;
    await waitFor(() => expect(document.activeElement).toBe(input));

    for (const q of ['Б', 'Ба', 'Бак', 'Баку']) {
      await fireEvent.input(input, { target: { value: q } });
    }
    expect(backend.callsOf('search_articles')).toHaveLength(0);
    await new Promise((r) => setTimeout(r, SEARCH_DEBOUNCE_MS + 50));
    await waitFor(() => expect(backend.callsOf('search_articles')).toHaveLength(1));
    expect(backend.callsOf('search_articles')[0].args).toEqual({ query: 'Баку', limit: 50 });

    const results = await screen.findAllByTestId('search-result');
    expect(results.length).toBeGreaterThan(0);
    const marks = results[0].querySelectorAll('.snippet mark');
    expect(marks.length).toBeGreaterThan(0);
    expect(marks[0].textContent?.toLowerCase()).toBe('баку');
    expect(results[0].getAttribute('href')).toMatch(/^#\/article\/\d+$/);
    expect(screen.getByText(/\d+ results?/)).toBeTruthy();
  });

  it('snippets are inserted as markup only as given (escaped text stays text)', async () => {
    const backend = useBackend();
    backend.articles[0].title = 'Tom & <b>Jerry</b> in Baku';
    startAt('#/search');
    render(App);
    const input = await screen.findByTestId('search-input');
    await fireEvent.input(input, { target: { value: 'Jerry' } });
    const results = await screen.findAllByTestId('search-result', {}, { timeout: 2000 });
    const snippet = results[0].querySelector('.snippet')!;
    expect(snippet.querySelector('b')).toBeNull();
    expect(snippet.textContent).toContain('<b>');
    expect(snippet.querySelector('mark')?.textContent).toBe('Jerry');
  });

  it('says when nothing is found, and clears with an empty query', async () => {
    useBackend();
    startAt('#/search');
    render(App);
    const input = await screen.findByTestId('search-input');
    await fireEvent.input(input, { target: { value: 'zzzzqqq' } });
    expect(await screen.findByText('Nothing found for “zzzzqqq”', {}, { timeout: 2000 })).toBeTruthy();
    await fireEvent.input(input, { target: { value: '' } });
    expect(await screen.findByText(/Search works offline/, {}, { timeout: 2000 })).toBeTruthy();
  });
});
