// Dates, relative times and sizes in the UI language (Intl only; no libraries).

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
  let rtf: Intl.RelativeTimeFormat;
  try {
    rtf = new Intl.RelativeTimeFormat(lang, { numeric: 'auto' });
  } catch {
    rtf = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
  }
  if (abs < 45) return rtf.format(0, 'second');
  if (abs < 3600) return rtf.format(Math.round(diffSec / UNITS[0][1]), 'minute');
  if (abs < 86400) return rtf.format(Math.round(diffSec / UNITS[1][1]), 'hour');
  if (abs < 7 * 86400) return rtf.format(Math.round(diffSec / UNITS[2][1]), 'day');
  return formatDate(iso, lang);
}

function dateTimeFormat(lang: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  try {
    return new Intl.DateTimeFormat(lang, options);
  } catch {
    return new Intl.DateTimeFormat('en', options);
  }
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
  try {
    return new Intl.NumberFormat(lang).format(n);
  } catch {
    return String(n);
  }
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
