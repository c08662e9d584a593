import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import App from '../App.svelte';
import { nextTheme, prefs } from '../lib/prefs.svelte';
import { media } from './setup';
import { useBackend } from './harness';
import bootSrc from '../../public/boot.js?raw';
import { cssRule } from './appCss';

const scaleVar = () => document.documentElement.style.getPropertyValue('--text-scale');
const theme = () => document.documentElement.dataset.theme;

describe('text scaling', () => {
  it('A+ raises the scale in 10% steps, persists it, and stops at 200%', async () => {
    const backend = useBackend();
    render(App);
    await waitFor(() => expect(backend.callsOf('get_settings')).toHaveLength(1));

    await fireEvent.click(screen.getByTestId('text-larger'));
    expect(prefs.textScale).toBe(110);
    expect(window.localStorage.getItem('caliber.textScale')).toBe('110');
    expect(scaleVar()).toBe('1.1');
    await waitFor(() =>
      expect(backend.callsOf('update_settings').at(-1)?.args).toEqual({ settings: { textScale: 110 } }),
    );
    expect(backend.settings.textScale).toBe(110);

    for (let i = 0; i < 15; i++) await fireEvent.click(screen.getByTestId('text-larger'));
    expect(prefs.textScale).toBe(200);
    expect(window.localStorage.getItem('caliber.textScale')).toBe('200');
    expect(scaleVar()).toBe('2');
    expect(screen.getByTestId('text-larger').getAttribute('aria-disabled')).toBe('true');
    const updates = backend.callsOf('update_settings').length;
    await fireEvent.click(screen.getByTestId('text-larger'));
    expect(prefs.textScale).toBe(200);
    expect(backend.callsOf('update_settings')).toHaveLength(updates);
  });

  it('A- lowers the scale and stops at 80%', async () => {
    const backend = useBackend();
    render(App);
    for (let i = 0; i < 5; i++) await fireEvent.click(screen.getByTestId('text-smaller'));
    expect(prefs.textScale).toBe(80);
    expect(window.localStorage.getItem('caliber.textScale')).toBe('80');
    expect(scaleVar()).toBe('0.8');
    await waitFor(() => expect(backend.settings.textScale).toBe(80));
    expect(screen.getByTestId('text-smaller').getAttribute('aria-disabled')).toBe('true');
  });

  it('takes the database value when localStorage is empty, and keeps the local one otherwise', async () => {
    let backend = useBackend({ settings: { textScale: 150 } });
    const { unmount } = render(App);
    await waitFor(() => expect(prefs.textScale).toBe(150));
    expect(window.localStorage.getItem('caliber.textScale')).toBe('150');
    expect(scaleVar()).toBe('1.5');
    unmount();

    window.localStorage.setItem('caliber.textScale', '120');
    backend = useBackend({ settings: { textScale: 150 } });
    render(App);
    await waitFor(() => expect(backend.settings.textScale).toBe(120));
    expect(prefs.textScale).toBe(120);
  });
});

describe('themes', () => {
  it('theme toggle cycles light → dark → system, sets html[data-theme] and persists', async () => {
    window.localStorage.setItem('caliber.theme', 'light');
    const backend = useBackend({ settings: { theme: 'light' } });
    render(App);
    expect(theme()).toBe('light');

    const toggle = screen.getByTestId('theme-toggle');
    await fireEvent.click(toggle);
    expect(theme()).toBe('dark');
    expect(window.localStorage.getItem('caliber.theme')).toBe('dark');
    await waitFor(() => expect(backend.callsOf('update_settings').at(-1)?.args).toEqual({ settings: { theme: 'dark' } }));
    expect(backend.settings.theme).toBe('dark');

    // system → follows prefers-color-scheme (light here), and follows its changes
    await fireEvent.click(toggle);
    expect(window.localStorage.getItem('caliber.theme')).toBe('system');
    expect(theme()).toBe('light');
    await waitFor(() => expect(backend.settings.theme).toBe('system'));
    media.setDark(true);
    expect(theme()).toBe('dark');

    await fireEvent.click(toggle);
    expect(theme()).toBe('light');
    expect(window.localStorage.getItem('caliber.theme')).toBe('light');
  });

  it('every press of the toggle visibly switches day/night', async () => {
    useBackend();
    render(App);
    expect(window.localStorage.getItem('caliber.theme')).toBeNull(); // "system", light OS
    const toggle = screen.getByTestId('theme-toggle');
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) {
      const before = theme();
      await fireEvent.click(toggle);
      expect(theme()).not.toBe(before);
      seen.push(window.localStorage.getItem('caliber.theme')!);
    }
    expect(seen).toEqual(['dark', 'system', 'dark', 'system']);
    expect(nextTheme('light')).toBe('dark');
    media.setDark(true);
    expect(nextTheme('system')).toBe('light');
    expect(nextTheme('light')).toBe('dark');
    expect(nextTheme('dark')).toBe('light');
  });

  it('the database theme wins when localStorage is empty', async () => {
    useBackend({ settings: { theme: 'dark' } });
    render(App);
    await waitFor(() => expect(theme()).toBe('dark'));
    expect(window.localStorage.getItem('caliber.theme')).toBe('dark');
  });

  it('settings offers light / night / system', async () => {
    const backend = useBackend();
    window.location.hash = '#/settings';
    render(App);
    await fireEvent.click(await screen.findByLabelText('Night'));
    expect(theme()).toBe('dark');
    await waitFor(() => expect(backend.settings.theme).toBe('dark'));
  });
});

describe('boot.js (before first paint)', () => {
  const boot = () => new Function(bootSrc)();

  it('applies the stored theme and text scale', () => {
    window.localStorage.setItem('caliber.theme', 'dark');
    window.localStorage.setItem('caliber.textScale', '150');
    boot();
    expect(theme()).toBe('dark');
    expect(scaleVar()).toBe('1.5');
  });

  it('resolves system through prefers-color-scheme and ignores bad values', () => {
    window.localStorage.setItem('caliber.theme', 'system');
    window.localStorage.setItem('caliber.textScale', '999');
    media.dark = true;
    boot();
    expect(theme()).toBe('dark');
    expect(scaleVar()).toBe('1');
    media.dark = false;
    window.localStorage.removeItem('caliber.theme');
    boot();
    expect(theme()).toBe('light');
  });

  it('names no system-ui font in WebKitGTK (the app on Linux), and only there', () => {
    const userAgents: [string, string | undefined][] = [
      ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/605.1.15 (KHTML, like Gecko)', 'webkitgtk'],
      ['Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/UD1A; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0.0.0 Mobile Safari/537.36', undefined],
      ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)', undefined],
      ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148', undefined],
      ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0', undefined],
    ];
    try {
      for (const [ua, stack] of userAgents) {
        delete document.documentElement.dataset.fontStack;
        Object.defineProperty(window.navigator, 'userAgent', { configurable: true, get: () => ua });
        boot();
        expect(document.documentElement.dataset.fontStack, ua).toBe(stack);
      }
    } finally {
      delete (window.navigator as { userAgent?: string }).userAgent;
      delete document.documentElement.dataset.fontStack;
    }
    // The stylesheet's answer to it: sans-serif alone there, system-ui first elsewhere.
    expect(cssRule(":root[data-font-stack='webkitgtk']")).toMatch(/--font-sans: sans-serif;/);
    expect(cssRule(":root[data-font-stack='webkitgtk']")).not.toMatch(/system-ui|Iowan/);
    expect(cssRule(':root')).toMatch(/--font-sans: system-ui, sans-serif;/);
  });
});
