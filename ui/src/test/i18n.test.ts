import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import App from '../App.svelte';
import { formatDateTime, relativeTime } from '../lib/format';
import { dictionaries } from '../lib/messages';
import { detectLanguage, prefs } from '../lib/prefs.svelte';
import { startAt, useBackend } from './harness';

describe('i18n', () => {
  it('every language has every string', () => {
    const keys = Object.keys(dictionaries.en).sort();
    for (const lang of ['ru', 'az', 'hy'] as const) {
      expect(Object.keys(dictionaries[lang]).sort()).toEqual(keys);
      for (const k of keys) {
        expect(typeof dictionaries[lang][k as keyof typeof dictionaries.en]).toBe(
          typeof dictionaries.en[k as keyof typeof dictionaries.en],
        );
      }
    }
  });

  it('dates and plurals switch language at once, the formatters kept per language and options', () => {
    const now = Date.parse('2026-01-10T12:00:00Z');
    const twoHoursAgo = '2026-01-10T10:00:00Z';
    const old = '2025-12-01T10:00:00Z';
    expect(relativeTime(twoHoursAgo, 'ru', now)).toBe('2 часа назад');
    expect(relativeTime(twoHoursAgo, 'en', now)).toBe('2 hours ago');
    expect(relativeTime(twoHoursAgo, 'ru', now)).toBe('2 часа назад');
    // Older than a week: a date, not a relative time, in each language.
    expect(relativeTime(old, 'en', now)).toBe(new Intl.DateTimeFormat('en', { dateStyle: 'medium' }).format(Date.parse(old)));
    expect(relativeTime(old, 'ru', now)).toBe(new Intl.DateTimeFormat('ru', { dateStyle: 'medium' }).format(Date.parse(old)));
    // A language Intl refuses falls back to English rather than failing the card.
    expect(relativeTime(twoHoursAgo, 'not a language!', now)).toBe('2 hours ago');
    expect(dictionaries.ru.newCount(5)).toBe('5 новых');
    expect(dictionaries.en.newCount(5)).toBe('5 new');
  });

  it('a date and time follows the machine into another time zone (formatters are kept, not their zone)', () => {
    const saved = process.env.TZ;
    try {
      process.env.TZ = 'UTC';
      expect(formatDateTime('2026-01-10T10:00:00Z', 'ru')).toContain('10:00');
      process.env.TZ = 'Asia/Baku';
      expect(formatDateTime('2026-01-10T10:00:00Z', 'ru')).toContain('14:00');
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });

  it('site strings in the three languages', () => {
    expect(dictionaries.ru.views(179)).toBe('Просмотров: 179');
    expect(dictionaries.en.views(179)).toBe('Views: 179');
    expect(dictionaries.az.views(179)).toBe('Baxış: 179');
    expect(dictionaries.ru.linkCopied).toBe('Ссылка скопирована');
    expect(dictionaries.en.linkCopied).toBe('Link copied');
    expect(dictionaries.az.linkCopied).toBe('Link kopyalandı');
    expect(dictionaries.en.attribution).toBe('Any use of materials is allowed only if there is a hyperlink to Caliber.az');
    expect(dictionaries.ru.newCount(1)).toBe('1 новая');
    expect(dictionaries.ru.newCount(3)).toBe('3 новые');
    expect(dictionaries.ru.newCount(5)).toBe('5 новых');
  });

  it('Armenian: the site\'s strings, the "Link copied" toast and Armenian plural rules', () => {
    expect(dictionaries.hy.linkCopied).toBe('Հղումը պատճենվեց');
    expect(dictionaries.hy.views(88)).toBe('Դիտումներ: 88');
    // Intl.PluralRules('hy'): 0 and 1 are "one", the rest "other"; numbers in Armenian grouping.
    expect(new Intl.PluralRules('hy').select(1)).toBe('one');
    expect(dictionaries.hy.syncFailedSources(1)).toBe('Սխալ 1 աղբյուրում');
    expect(dictionaries.hy.syncFailedSources(2)).toBe('Սխալ 2 աղբյուրներում');
    expect(dictionaries.hy.resultsCount(12000)).toBe(`${new Intl.NumberFormat('hy').format(12000)} արդյունք`);
    const armenian = /[\u0531-\u0587]/;
    for (const [key, value] of Object.entries(dictionaries.hy)) {
      if (typeof value !== 'string' || ['appName', 'statusOk'].includes(key)) continue;
      expect(value, key).toMatch(armenian);
    }
  });

  it('uses the language from getSettings and switches strings from Settings', async () => {
    const backend = useBackend({ settings: { uiLanguage: 'ru' } });
    startAt('#/settings');
    render(App);
    await waitFor(() => expect(screen.getByTestId('nav-saved').textContent).toContain('Сохранённые'));
    expect(document.documentElement.lang).toBe('ru');

    const select = screen.getByLabelText('Язык интерфейса') as HTMLSelectElement;
    select.value = 'az';
    await fireEvent.change(select);
    expect(screen.getByTestId('nav-saved').textContent).toContain('Saxlanılanlar');
    expect(document.documentElement.lang).toBe('az');
    expect(window.localStorage.getItem('caliber.uiLanguage')).toBe('az');
    await waitFor(() => expect(backend.settings.uiLanguage).toBe('az'));

    select.value = 'hy';
    await fireEvent.change(select);
    expect(screen.getByTestId('nav-saved').textContent).toContain('Պահպանված');
    expect(document.documentElement.lang).toBe('hy');
    await waitFor(() => expect(backend.settings.uiLanguage).toBe('hy'));

    select.value = 'en';
    await fireEvent.change(select);
    expect(screen.getByTestId('nav-saved').textContent).toContain('Saved');
    expect(screen.getByRole('heading', { level: 1, name: 'Settings' })).toBeTruthy();
  });

  it('falls back to navigator.language, then English', () => {
    const spy = (langs: string[]) =>
      Object.defineProperty(navigator, 'languages', { configurable: true, get: () => langs });
    spy(['az-AZ', 'en-US']);
    expect(detectLanguage()).toBe('az');
    spy(['de-DE']);
    Object.defineProperty(navigator, 'language', { configurable: true, get: () => 'de-DE' });
    expect(detectLanguage()).toBe('en');
    spy(['ru']);
    expect(detectLanguage()).toBe('ru');
    delete (navigator as { languages?: unknown }).languages;
    delete (navigator as { language?: unknown }).language;
    expect(prefs.uiLanguage).toBeDefined();
  });

  it('relative times in the UI language', () => {
    const now = Date.parse('2026-06-25T14:00:00Z');
    expect(relativeTime('2026-06-25T13:55:00Z', 'en', now)).toBe('5 minutes ago');
    expect(relativeTime('2026-06-25T13:55:00Z', 'ru', now)).toBe('5 минут назад');
    expect(relativeTime('2026-06-25T11:00:00Z', 'en', now)).toBe('3 hours ago');
    expect(relativeTime('2026-06-24T13:00:00Z', 'en', now)).toBe('yesterday');
    expect(relativeTime('2026-06-25T13:59:50Z', 'en', now)).toBe('now');
  });
});
