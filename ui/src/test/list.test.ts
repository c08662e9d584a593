import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import App from '../App.svelte';
import { FakeIntersectionObserver } from './setup';
import { EDITIONS } from '../ipc';
import { sampleArticles } from '../ipc/mock/backend';
import { NOW, startAt, useBackend } from './harness';

describe('home list', () => {
  it('renders cards from listArticles and loads the next page on the scroll sentinel', async () => {
    const backend = useBackend();
    startAt('#/');
    render(App);

    await waitFor(() => expect(screen.getAllByTestId('article-card')).toHaveLength(30));
    const first = backend.callsOf('list_articles')[0];
    expect(first.args.query).toMatchObject({ edition: null, section: null, limit: 30 });
    expect(first.args.query).not.toHaveProperty('before');

    const cards = screen.getAllByTestId('article-card');
    expect(cards[0].textContent).toContain(backend.articles[0].title);
    expect(cards[0].getAttribute('href')).toBe('#/article/1');
    // picture through the offline image scheme, scaled by the app to the 112 px card box
    const img = cards[0].querySelector('img');
    expect(img?.getAttribute('src')).toBe(`caliber-img://localhost/${encodeURIComponent(backend.articles[0].imageUrl!)}?w=112`);
    expect(img?.getAttribute('loading')).toBe('lazy');

    FakeIntersectionObserver.intersectAll();

    await waitFor(() => expect(screen.getAllByTestId('article-card')).toHaveLength(45));
    const calls = backend.callsOf('list_articles');
    expect(calls).toHaveLength(2);
    expect(calls[1].args.query).toMatchObject({
      before: { publishedAt: backend.articles[29].publishedAt, id: 30 },
    });
    expect(screen.getByText('You are all caught up')).toBeTruthy();
  });

  it('marks unread articles and breaking news', async () => {
    const backend = useBackend();
    render(App);
    await waitFor(() => expect(screen.getAllByTestId('article-card').length).toBeGreaterThan(0));
    const cards = screen.getAllByTestId('article-card');
    const unreadIdx = backend.articles.findIndex((a) => !a.read);
    const readIdx = backend.articles.findIndex((a) => a.read);
    expect(cards[unreadIdx].querySelector('[aria-label="Unread"]')).not.toBeNull();
    expect(cards[readIdx].querySelector('[aria-label="Unread"]')).toBeNull();
    const breaking = backend.articles.findIndex((a) => a.isBreaking);
    expect(cards[breaking].textContent).toContain('Breaking');
  });

  it('shows an article read and saved in the list beside the reader, on a loaded page too', async () => {
    // The list keeps its articles raw (not deeply reactive): marks reach its cards only
    // because the list replaces the article (issue 15, the list's memory per article).
    const backend = useBackend();
    render(App);
    await waitFor(() => expect(screen.getAllByTestId('article-card')).toHaveLength(30));
    FakeIntersectionObserver.intersectAll();
    await waitFor(() => expect(screen.getAllByTestId('article-card')).toHaveLength(45));
    const card = (id: number) => screen.getAllByTestId('article-card').find((c) => c.getAttribute('href') === `#/article/${id}`)!;
    for (const id of [backend.articles.find((a) => !a.read)!.id, backend.articles.slice(30).find((a) => !a.read)!.id]) {
      expect(card(id).querySelector('[aria-label="Unread"]')).not.toBeNull();
      await fireEvent.click(card(id));
      const title = backend.articles.find((a) => a.id === id)!.title;
      await waitFor(() => expect(screen.getByTestId('article-title').textContent).toBe(title));
      await waitFor(() => expect(card(id).querySelector('[aria-label="Unread"]')).toBeNull());
      expect(card(id).textContent).not.toContain('Saved');
      await fireEvent.click(screen.getByTestId('save-toggle'));
      await waitFor(() => expect(card(id).textContent).toContain('Saved'));
    }
  });

  it('shows the empty state and the error state with the IpcError message', async () => {
    useBackend({ articles: [] });
    const { unmount } = render(App);
    expect(await screen.findByText('No articles yet — sync to fetch the news')).toBeTruthy();
    unmount();

    useBackend({ failures: { list_articles: { kind: 'storage', message: 'database is locked' } } });
    render(App);
    expect(await screen.findByText('database is locked')).toBeTruthy();
  });

  it('filters by edition and section', async () => {
    const backend = useBackend();
    render(App);
    await waitFor(() => expect(screen.getAllByTestId('article-card')).toHaveLength(30));
    await fireEvent.click(await screen.findByRole('button', { name: 'EN' }));
    await waitFor(() =>
      expect(backend.callsOf('list_articles').at(-1)?.args.query).toMatchObject({ edition: 'en', section: null }),
    );
    await waitFor(() => expect(backend.callsOf('list_sections').at(-1)?.args).toEqual({ edition: 'en' }));
    await fireEvent.click(await screen.findByRole('button', { name: 'Breaking' }));
    await waitFor(() =>
      expect(backend.callsOf('list_articles').at(-1)?.args.query).toMatchObject({ edition: 'en', section: 'Breaking' }),
    );
    await waitFor(() => {
      const cards = screen.getAllByTestId('article-card');
      expect(cards.length).toBeGreaterThan(0);
      for (const c of cards) expect(c.textContent).toContain('Breaking');
    });
    expect(window.localStorage.getItem('caliber.edition')).toBe('en');
  });

  it('with several editions followed, sections are grouped by edition, never one mixed row', async () => {
    const backend = useBackend();
    render(App);
    await waitFor(() => expect(screen.getAllByTestId('section-row')).toHaveLength(3));
    const rows = screen.getAllByTestId('section-row');
    expect(rows.map((r) => r.dataset.edition)).toEqual(['ru', 'en', 'az']);
    const chips = (row: HTMLElement) => [...row.querySelectorAll('button')].map((b) => b.textContent?.trim());
    expect(chips(rows[0])).toContain('АНАЛИТИКА');
    expect(chips(rows[0])).not.toContain('ANALYTICS');
    expect(chips(rows[1])).toContain('ANALYTICS');
    expect(chips(rows[1])).not.toContain('АНАЛИТИКА');
    expect(rows[1].getAttribute('aria-label')).toBe('Sections: English');
    expect(rows[1].getAttribute('lang')).toBe('en');

    // A section picked in a row chooses its edition too; the site's description shows under it.
    await fireEvent.click(screen.getByRole('button', { name: 'ANALYTICS' }));
    await waitFor(() =>
      expect(backend.callsOf('list_articles').at(-1)?.args.query).toMatchObject({ edition: 'en', section: 'ANALYTICS' }),
    );
    await waitFor(() => expect(screen.getAllByTestId('section-row')).toHaveLength(1));
    expect(screen.getByTestId('section-description').textContent?.trim()).toBe('Analytical materials of the authors of Caliber.az');
    expect(screen.getByTestId('section-description').getAttribute('lang')).toBe('en');

    // A section the site describes nowhere has no description.
    await fireEvent.click(screen.getByRole('button', { name: 'ECONOMY' }));
    await waitFor(() => expect(backend.callsOf('list_articles').at(-1)?.args.query).toMatchObject({ section: 'ECONOMY' }));
    expect(screen.queryByTestId('section-description')).toBeNull();
  });

  it('with no edition followed (the site\'s listings added by hand), the editions with articles are on the home screen', async () => {
    useBackend({ editions: EDITIONS.map((e) => ({ ...e, followed: false })) });
    render(App);
    await waitFor(() => expect(screen.getAllByTestId('section-row')).toHaveLength(3));
    const tabs = [...screen.getByTestId('edition-switch').querySelectorAll('button[data-edition]')];
    expect(tabs.map((t) => t.getAttribute('data-edition'))).toEqual(['ru', 'en', 'az']);
  });

  it('sections of feeds in no edition\'s language still get one row', async () => {
    const articles = sampleArticles(6, NOW).map((a) => ({ ...a, language: 'de', categories: ['Politik'] }));
    useBackend({ articles, editions: EDITIONS.map((e) => ({ ...e, followed: false })) });
    render(App);
    expect(await screen.findByRole('button', { name: 'Politik' })).toBeTruthy();
    expect(screen.queryByTestId('edition-switch')).toBeNull();
  });

  it('saved list asks for saved articles only', async () => {
    const backend = useBackend();
    startAt('#/saved');
    render(App);
    await waitFor(() => expect(screen.getAllByTestId('article-card').length).toBeGreaterThan(0));
    expect(backend.callsOf('list_articles').at(-1)?.args.query).toMatchObject({ savedOnly: true });
    const saved = backend.articles.filter((a) => a.saved).length;
    expect(screen.getAllByTestId('article-card')).toHaveLength(saved);
  });

  it('draws a screenful of cards first, then the rest of the window once that is painted', async () => {
    // A scroller 800 px high (jsdom has no layout): a screenful is 8 cards at the 112 px
    // estimate, the first drawing 2 more; the full window follows after the first paint.
    Object.defineProperty(HTMLElement.prototype, 'clientHeight', {
      configurable: true,
      get(this: HTMLElement) {
        return this.hasAttribute('data-scroll') ? 800 : 0;
      },
    });
    try {
      useBackend();
      startAt('#/');
      render(App);
      const counts: number[] = [];
      await waitFor(() => {
        counts.push(screen.queryAllByTestId('article-card').length);
        expect(counts.at(-1)).toBeGreaterThan(0);
      });
      expect(counts.at(-1)).toBe(10);
      await waitFor(() => expect(screen.getAllByTestId('article-card')).toHaveLength(30));
    } finally {
      // jsdom's own getter is on Element.prototype, untouched: removing ours restores it.
      delete (HTMLElement.prototype as { clientHeight?: number }).clientHeight;
    }
  });
});
