// Dates, relative times and sizes in the UI language (Intl only; no libraries).

/** Formatters by kind, language and options. Building one is the costly part in WebKit
 * (ICU opens its locale data and pattern generator each time): two per card made a list's
 * first 30 cards wait for 60 of them (issue 15, BENCHMARKS.md). */
const formatters = new Map<string, unknown>();

/** `make(lang)`, made once per (kind, lang, options); when `lang` is refused, the English one. */
export function cachedFormatter<T>(kind: string, lang: string, options: object, make: (lang: string) => T): T {
  const key = `${kind}\u0000${lang}\u0000${JSON.stringify(options)}`;
  let formatter = formatters.get(key) as T | undefined;
  if (formatter === undefined) {
    try {
      formatter = make(lang);
    } catch {
      formatter = make('en');
    }
    formatters.set(key, formatter);
  }
  return formatter;
}

const RELATIVE: Intl.RelativeTimeFormatOptions = { numeric: 'auto' };

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['minute', 60],
  ['hour', 3600],
  ['day', 86400],
];

/** "5 minutes ago" / "5 минут назад" / "5 dəqiqə əvvəl"; older than a week → a short date. */
export function relativeTime(iso: string, lang: string, now: number = Date.now()): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  const diffSec = Math.round((t - now) / 1000);
  const abs = Math.abs(diffSec);
  const rtf = cachedFormatter('relative', lang, RELATIVE, (l) => new Intl.RelativeTimeFormat(l, RELATIVE));
  if (abs < 45) return rtf.format(0, 'second');
  if (abs < 3600) return rtf.format(Math.round(diffSec / UNITS[0][1]), 'minute');
  if (abs < 86400) return rtf.format(Math.round(diffSec / UNITS[1][1]), 'hour');
  if (abs < 7 * 86400) return rtf.format(Math.round(diffSec / UNITS[2][1]), 'day');
  return formatDate(iso, lang);
}

function dateTimeFormat(lang: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  // A formatter keeps the time zone it was made in: one made before the reader's machine
  // changed zones (a trip) must not be reused, so the zone's offset now is in the key.
  const kind = `date ${new Date().getTimezoneOffset()}`;
  return cachedFormatter(kind, lang, options, (l) => new Intl.DateTimeFormat(l, options));
}

/** Local date and time, e.g. "10 September 2025 at 15:00". */
export function formatDateTime(iso: string, lang: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  return dateTimeFormat(lang, { dateStyle: 'long', timeStyle: 'short' }).format(t);
}

export function formatDate(iso: string, lang: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  return dateTimeFormat(lang, { dateStyle: 'medium' }).format(t);
}

export function formatNumber(n: number, lang: string): string {
  return cachedFormatter('number', lang, {}, (l) => new Intl.NumberFormat(l)).format(n);
}

export function formatBytes(bytes: number, lang: string): string {
  const units = ['byte', 'kilobyte', 'megabyte', 'gigabyte'] as const;
  let value = bytes;
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i++;
  }
  const digits = value < 10 && i > 0 ? 1 : 0;
  try {
    return new Intl.NumberFormat(lang, {
      style: 'unit',
      unit: units[i],
      unitDisplay: 'short',
      maximumFractionDigits: digits,
    }).format(value);
  } catch {
    return `${value.toFixed(digits)} ${['B', 'KB', 'MB', 'GB'][i]}`;
  }
}

/** Local time of day, e.g. "15:00" / "3:00 PM". */
export function formatTime(iso: string, lang: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  return dateTimeFormat(lang, { timeStyle: 'short' }).format(t);
}

/** A language code in the UI language ("az" → "Azerbaijani"), capitalised; null if unknown. */
export function languageName(code: string, lang: string): string | null {
  try {
    const name = new Intl.DisplayNames([lang], { type: 'language', fallback: 'none' }).of(code);
    return name ? name.charAt(0).toLocaleUpperCase(lang) + name.slice(1) : null;
  } catch {
    return null;
  }
}
