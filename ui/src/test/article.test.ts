import { emit } from '@tauri-apps/api/event';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import App from '../App.svelte';
import { EVENTS } from '../ipc';
import { shareTargets } from '../lib/share';
import { showToast, toast } from '../lib/toast.svelte';
import { sampleArticles } from '../ipc/mock/backend';
import { NOW, startAt, useBackend } from './harness';

afterEach(() => {
  vi.useRealTimers();
});

async function openArticle(id: number, opts: Parameters<typeof useBackend>[0] = {}) {
  const backend = useBackend(opts);
  startAt(`#/article/${id}`);
  render(App);
  const a = backend.articles.find((x) => x.id === id)!;
  await waitFor(() => expect(screen.getByTestId('article-title').textContent).toBe(a.title));
  return { backend, article: a };
}

describe('article view', () => {
  it('offers the same story in the other editions followed, each in its own language, and opens it', async () => {
    const articles = sampleArticles(6, NOW);
    // Article 2 (English) is article 1's (Russian) story: same cover picture, 37 minutes apart.
    articles[1].imageUrl = articles[0].imageUrl;
    const { backend } = await openArticle(1, { articles });
    const offer = await screen.findByTestId('other-editions');
    expect(offer.getAttribute('aria-label')).toBe('This story in your other editions');
    const links = screen.getAllByTestId('read-in');
    expect(links.map((l) => l.textContent?.trim())).toEqual(['Read in English']);
    expect(links[0].getAttribute('lang')).toBe('en');
    expect(backend.callsOf('story_in_other_editions')[0].args).toEqual({ id: 1 });
    await fireEvent.click(links[0]);
    await waitFor(() => expect(screen.getByTestId('article-title').textContent).toBe(articles[1].title));
    await waitFor(() => expect(screen.getAllByTestId('read-in').map((l) => l.textContent?.trim())).toEqual(['На русском']));
  });

  it('offers nothing when no other edition has the story', async () => {
    const { backend } = await openArticle(3);
    await waitFor(() => expect(backend.callsOf('story_in_other_editions')).toHaveLength(1));
    expect(screen.queryByTestId('other-editions')).toBeNull();
  });

  it('opens from the hash route with section, local date, author, views, body and cover', async () => {
    const { backend, article } = await openArticle(2);
    expect(backend.callsOf('get_article')[0].args).toEqual({ id: 2 });
    const title = screen.getByTestId('article-title');
    expect(title.tagName).toBe('H1');
    const reader = title.closest('article')!;
    expect(reader.textContent).toContain(article.categories[0]);
    expect(reader.textContent).toContain('Caliber.Az');
    expect(reader.textContent).toContain(`Views: ${article.views}`);
    const time = reader.querySelector('time')!;
    expect(time.getAttribute('datetime')).toBe(article.publishedAt);
    expect(time.textContent).toMatch(/2026/);
    // body pictures go through the offline store, never the network
    const body = screen.getByTestId('article-body');
    const img = body.querySelector('img')!;
    expect(img.getAttribute('src')).toBe(
      `caliber-img://localhost/${encodeURIComponent('https://img.caliber.az/media/body-2.jpg')}`,
    );
    expect(body.querySelectorAll('img[src^="http"]')).toHaveLength(0);
    // attribution
    expect(screen.getByText('Any use of materials is allowed only if there is a hyperlink to Caliber.az')).toBeTruthy();
    // print-only source line carries the canonical link
    expect(reader.querySelector('.print-source')?.textContent).toBe(`Source: ${article.url}`);
  });

  it('is marked read when opened', async () => {
    const { backend } = await openArticle(4);
    expect(backend.callsOf('get_article')).toHaveLength(1);
    await waitFor(() => expect(backend.callsOf('mark_article')[0]?.args).toEqual({ id: 4, read: true, saved: null }));
    expect(backend.articles.find((a) => a.id === 4)!.read).toBe(true);
  });

  it('save toggle marks and unmarks the article', async () => {
    const { backend } = await openArticle(1);
    const save = screen.getByTestId('save-toggle');
    expect(save.getAttribute('aria-pressed')).toBe('false');
    await fireEvent.click(save);
    await waitFor(() => expect(save.getAttribute('aria-pressed')).toBe('true'));
    expect(backend.callsOf('mark_article').at(-1)?.args).toEqual({ id: 1, read: null, saved: true });
    await fireEvent.click(save);
    await waitFor(() => expect(save.getAttribute('aria-pressed')).toBe('false'));
    expect(backend.articles[0].saved).toBe(false);
  });

  it('copy link writes the canonical URL with the clipboard plugin and shows a localised toast', async () => {
    const { backend, article } = await openArticle(1, { settings: { uiLanguage: 'ru' } });
    await waitFor(() => expect(document.documentElement.lang).toBe('ru'));
    await fireEvent.click(screen.getByTestId('copy-link'));
    await waitFor(() => expect(backend.callsOf('plugin:clipboard-manager|write_text')).toHaveLength(1));
    expect(backend.callsOf('plugin:clipboard-manager|write_text')[0].args).toMatchObject({ text: article.url });
    const t = await screen.findByTestId('toast');
    expect(t.textContent).toBe('Ссылка скопирована');
    expect(t.getAttribute('role')).toBe('status');
    expect(t.getAttribute('aria-live')).toBe('polite');
  });

  it('toast text follows the UI language and hides after ~3 s', async () => {
    const { backend } = await openArticle(1, { settings: { uiLanguage: 'az' } });
    await waitFor(() => expect(document.documentElement.lang).toBe('az'));
    await fireEvent.click(screen.getByTestId('copy-link'));
    await waitFor(() => expect(backend.clipboard).toHaveLength(1));
    expect((await screen.findByTestId('toast')).textContent).toBe('Link kopyalandı');

    vi.useFakeTimers();
    showToast('Link copied');
    expect(toast.message).toBe('Link copied');
    vi.advanceTimersByTime(2900);
    expect(toast.message).toBe('Link copied');
    vi.advanceTimersByTime(200);
    expect(toast.message).toBeNull();
  });

  it('share menu links carry the encoded canonical URL and open externally', async () => {
    const { backend, article } = await openArticle(2);
    const menu = screen.getByTestId('share-menu');
    const enc = encodeURIComponent(article.url!);
    const hrefs = [...menu.querySelectorAll('a')].map((a) => a.getAttribute('href')!);
    expect(hrefs).toHaveLength(5);
    for (const h of hrefs) expect(h).toContain(enc);
    expect(hrefs[0]).toBe(`https://x.com/intent/post?url=${enc}&text=${encodeURIComponent(article.title)}`);
    expect(hrefs[1]).toBe(`https://www.facebook.com/sharer/sharer.php?u=${enc}`);
    expect(hrefs[2]).toMatch(/^https:\/\/t\.me\/share\/url\?url=/);
    expect(hrefs[3]).toMatch(/^https:\/\/wa\.me\/\?text=/);
    expect(hrefs[4]).toMatch(/^mailto:\?subject=/);

    await fireEvent.click(menu.querySelector('a[data-share="telegram"]')!);
    await waitFor(() => expect(backend.opened).toEqual([hrefs[2]]));
    expect(backend.callsOf('plugin:opener|open_url')[0].args).toMatchObject({ url: hrefs[2] });
  });

  it('print calls window.print; the system share sheet appears when navigator.share exists', async () => {
    const share = vi.fn().mockResolvedValue(undefined);
    Object.defineProperty(navigator, 'share', { configurable: true, value: share });
    const print = vi.spyOn(window, 'print').mockImplementation(() => {});
    try {
      const { article } = await openArticle(1);
      const menu = screen.getByTestId('share-menu');
      await fireEvent.click(menu.querySelector('[data-share="print"]')!);
      expect(print).toHaveBeenCalledOnce();
      await fireEvent.click(menu.querySelector('[data-share="system"]')!);
      expect(share).toHaveBeenCalledWith({ title: article.title, text: article.title, url: article.url });
    } finally {
      delete (navigator as { share?: unknown }).share;
    }
  });

  it('links in the body and "open original" go through the opener', async () => {
    const { backend, article } = await openArticle(1);
    const link = screen.getByTestId('article-body').querySelector('a')!;
    expect(link.getAttribute('target')).toBe('_blank');
    await fireEvent.click(link);
    await waitFor(() => expect(backend.opened).toContain('https://caliber.az/'));
    await fireEvent.click(screen.getByRole('link', { name: /Open original/ }));
    await waitFor(() => expect(backend.opened).toContain(article.url));
  });

  it('prev/next follow the current list', async () => {
    const backend = useBackend();
    startAt('#/');
    render(App);
    await waitFor(() => expect(screen.getAllByTestId('article-card')).toHaveLength(30));
    window.location.hash = '#/article/2';
    await waitFor(() => expect(screen.getByTestId('article-title').textContent).toBe(backend.articles[1].title));
    const next = screen.getByRole('link', { name: new RegExp(`Next.*${backend.articles[2].title.slice(0, 10)}`) });
    expect(next.getAttribute('href')).toBe('#/article/3');
    const prev = screen.getByRole('link', { name: new RegExp(`Previous`) });
    expect(prev.getAttribute('href')).toBe('#/article/1');
  });

  it('swipe left/right on touch goes to the next/previous article', async () => {
    const backend = useBackend();
    startAt('#/');
    render(App);
    await waitFor(() => expect(screen.getAllByTestId('article-card')).toHaveLength(30));
    window.location.hash = '#/article/2';
    await waitFor(() => expect(screen.getByTestId('article-title').textContent).toBe(backend.articles[1].title));
    const reader = screen.getByTestId('article-title').closest('article')!;
    const at = (x: number, y = 300) => ({ touches: [{ clientX: x, clientY: y }], changedTouches: [{ clientX: x, clientY: y }] });
    await fireEvent.touchStart(reader, at(300));
    await fireEvent.touchEnd(reader, at(150));
    await waitFor(() => expect(window.location.hash).toBe('#/article/3'));
    await waitFor(() => expect(screen.getByTestId('article-title').textContent).toBe(backend.articles[2].title));
    await fireEvent.touchStart(screen.getByTestId('article-title').closest('article')!, at(100));
    await fireEvent.touchEnd(screen.getByTestId('article-title').closest('article')!, at(260));
    await waitFor(() => expect(window.location.hash).toBe('#/article/2'));
    // a mostly vertical gesture is a scroll, not a swipe
    await fireEvent.touchStart(reader, at(300, 100));
    await fireEvent.touchEnd(reader, at(200, 400));
    await new Promise((r) => setTimeout(r, 20));
    expect(window.location.hash).toBe('#/article/2');
  });

  it('shows the IpcError message when the article cannot be loaded', async () => {
    useBackend();
    startAt('#/article/999');
    render(App);
    expect(await screen.findByText('article 999 not found')).toBeTruthy();
    expect(screen.getByText('This article is not available')).toBeTruthy();
  });

  it('opens the article a notification asks for (app:open-article)', async () => {
    const backend = useBackend();
    startAt('#/');
    render(App);
    await waitFor(() => expect(screen.getAllByTestId('article-card').length).toBeGreaterThan(0));
    await new Promise((r) => setTimeout(r, 20)); // let the listeners register
    await emit(EVENTS.openArticle, { id: 7 });
    await waitFor(() => expect(screen.getByTestId('article-title').textContent).toBe(backend.articles[6].title));
    expect(window.location.hash).toBe('#/article/7');
  });
});

describe('share targets', () => {
  it('encode the canonical URL and title', () => {
    const url = 'https://caliber.az/en/post/cica-and-security?x=1&y=2';
    const title = 'CICA & security: Baku';
    const t = shareTargets(url, title);
    const enc = encodeURIComponent(url);
    expect(t.map((x) => x.id)).toEqual(['x', 'facebook', 'telegram', 'whatsapp', 'email']);
    for (const x of t) expect(x.href).toContain(enc);
    expect(t[0].href).toBe(`https://x.com/intent/post?url=${enc}&text=CICA%20%26%20security%3A%20Baku`);
    expect(t[3].href).toBe(`https://wa.me/?text=${encodeURIComponent(`${title} ${url}`)}`);
    expect(t[4].href).toBe(`mailto:?subject=${encodeURIComponent(title)}&body=${encodeURIComponent(`${title}\n\n${url}`)}`);
  });
});
