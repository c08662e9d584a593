// Reader preferences: theme, text size, UI language, sync interval.
// Theme and text size live in localStorage (read by public/boot.js before first paint)
// AND in the database (updateSettings), so they survive restarts and reinstalls of the UI.
import {
  DEFAULT_SETTINGS,
  FALLBACK_UI_LANGUAGE,
  getSettings,
  MIN_SYNC_MINUTES,
  TEXT_SCALE_RANGE,
  UI_LANGUAGES,
  updateSettings,
  type Settings,
  type SettingsPatch,
  type Theme,
  type UiLanguage,
} from '../ipc';
import { errorMessage } from './errors';
import { readLocal, writeLocal } from './storage';
import { showToast } from './toast.svelte';

export const THEME_KEY = 'caliber.theme';
export const SCALE_KEY = 'caliber.textScale';
export const LANG_KEY = 'caliber.uiLanguage';

// Limits and defaults are Rust's (settings.rs, through the generated contract).
export const MIN_SCALE = TEXT_SCALE_RANGE.min;
export const MAX_SCALE = TEXT_SCALE_RANGE.max;
/** The buttons' step: a UI choice (Rust takes any size in the range). */
export const SCALE_STEP = 10;
export { MIN_SYNC_MINUTES };

const THEMES: Theme[] = ['light', 'dark', 'system'];
const isLanguage = (v: unknown): v is UiLanguage => (UI_LANGUAGES as readonly unknown[]).includes(v);

function storedTheme(): Theme | null {
  const v = readLocal(THEME_KEY);
  return THEMES.includes(v as Theme) ? (v as Theme) : null;
}

function storedScale(): number | null {
  const v = readLocal(SCALE_KEY);
  if (v === null) return null;
  const n = Number.parseInt(v, 10);
  return Number.isFinite(n) ? clampScale(n) : null;
}

function storedLanguage(): UiLanguage | null {
  const v = readLocal(LANG_KEY);
  return isLanguage(v) ? v : null;
}

export function clampScale(n: number): number {
  const stepped = Math.round(n / SCALE_STEP) * SCALE_STEP;
  return Math.min(MAX_SCALE, Math.max(MIN_SCALE, stepped));
}

/** navigator.language → one of our UI languages, else English. */
export function detectLanguage(): UiLanguage {
  const candidates = typeof navigator !== 'undefined' ? [...(navigator.languages ?? []), navigator.language] : [];
  for (const tag of candidates) {
    const base = (tag ?? '').toLowerCase().split('-')[0];
    if (isLanguage(base)) return base;
  }
  return FALLBACK_UI_LANGUAGE;
}

function systemPrefersDark(): boolean {
  try {
    return typeof window.matchMedia === 'function' && window.matchMedia('(prefers-color-scheme: dark)').matches;
  } catch {
    return false;
  }
}

export const prefs = $state({
  theme: DEFAULT_SETTINGS.theme,
  textScale: DEFAULT_SETTINGS.textScale,
  uiLanguage: FALLBACK_UI_LANGUAGE as UiLanguage,
  syncIntervalMinutes: DEFAULT_SETTINGS.syncIntervalMinutes,
  systemDark: false,
});

/** (Re)read everything local; call once at startup (and between tests). */
export function initPrefs(): void {
  prefs.theme = storedTheme() ?? DEFAULT_SETTINGS.theme;
  prefs.textScale = storedScale() ?? DEFAULT_SETTINGS.textScale;
  prefs.uiLanguage = storedLanguage() ?? detectLanguage();
  prefs.systemDark = systemPrefersDark();
  applyTheme();
  applyTextScale();
  applyLanguage();
}

export function effectiveTheme(): 'light' | 'dark' {
  if (prefs.theme === 'system') return prefs.systemDark ? 'dark' : 'light';
  return prefs.theme;
}

export function applyTheme(): void {
  const root = document.documentElement;
  const eff = effectiveTheme();
  root.dataset.theme = eff;
  root.style.colorScheme = eff;
}

export function applyTextScale(): void {
  document.documentElement.style.setProperty('--text-scale', String(prefs.textScale / 100));
}

export function applyLanguage(): void {
  document.documentElement.lang = prefs.uiLanguage;
}

async function persist(patch: SettingsPatch): Promise<void> {
  try {
    await updateSettings(patch);
  } catch (e) {
    showToast(errorMessage(e));
  }
}

export function setTheme(theme: Theme): Promise<void> {
  prefs.theme = theme;
  writeLocal(THEME_KEY, theme);
  applyTheme();
  return persist({ theme });
}

const CYCLE: Theme[] = ['light', 'dark', 'system'];

function resolve(theme: Theme): 'light' | 'dark' {
  if (theme === 'system') return prefs.systemDark ? 'dark' : 'light';
  return theme;
}

/**
 * The app-bar toggle: light → dark → system → light, skipping a step that would not
 * change what the reader sees (e.g. "light" while the system theme is light), so
 * every press visibly switches between day and night. Settings offers all three.
 */
export function nextTheme(current: Theme = prefs.theme): Theme {
  const i = CYCLE.indexOf(current);
  const candidate = CYCLE[(i + 1) % CYCLE.length];
  if (resolve(candidate) !== resolve(current)) return candidate;
  return CYCLE[(i + 2) % CYCLE.length];
}

export function cycleTheme(): Promise<void> {
  return setTheme(nextTheme());
}

export function setTextScale(percent: number): Promise<void> {
  const value = clampScale(percent);
  if (value === prefs.textScale) return Promise.resolve();
  prefs.textScale = value;
  writeLocal(SCALE_KEY, String(value));
  applyTextScale();
  return persist({ textScale: value });
}

export function stepTextScale(direction: 1 | -1): Promise<void> {
  return setTextScale(prefs.textScale + direction * SCALE_STEP);
}

export function setLanguage(lang: UiLanguage): Promise<void> {
  prefs.uiLanguage = lang;
  writeLocal(LANG_KEY, lang);
  applyLanguage();
  return persist({ uiLanguage: lang });
}

export async function setSyncInterval(minutes: number): Promise<boolean> {
  const value = Math.max(MIN_SYNC_MINUTES, Math.round(minutes));
  try {
    const s = await updateSettings({ syncIntervalMinutes: value });
    prefs.syncIntervalMinutes = s.syncIntervalMinutes;
    return true;
  } catch (e) {
    showToast(errorMessage(e));
    return false;
  }
}

/**
 * Startup: bring local and database settings together.
 * Theme and text size: the database wins when localStorage has nothing (fresh WebView
 * profile), otherwise the local choice (already painted by boot.js) is written back.
 * UI language: the database is the source of truth.
 */
export async function reconcileSettings(): Promise<void> {
  let s: Settings;
  try {
    s = await getSettings();
  } catch {
    return; // keep local values; errors surface on the next command
  }
  prefs.syncIntervalMinutes = s.syncIntervalMinutes;
  const patch: SettingsPatch = {};

  const localTheme = storedTheme();
  if (localTheme === null) {
    if (THEMES.includes(s.theme)) {
      prefs.theme = s.theme;
      writeLocal(THEME_KEY, s.theme);
      applyTheme();
    }
  } else if (localTheme !== s.theme) {
    patch.theme = localTheme;
  }

  const localScale = storedScale();
  if (localScale === null) {
    if (typeof s.textScale === 'number') {
      prefs.textScale = clampScale(s.textScale);
      writeLocal(SCALE_KEY, String(prefs.textScale));
      applyTextScale();
    }
  } else if (localScale !== s.textScale) {
    patch.textScale = localScale;
  }

  if (isLanguage(s.uiLanguage)) {
    prefs.uiLanguage = s.uiLanguage;
    writeLocal(LANG_KEY, s.uiLanguage);
    applyLanguage();
  }

  if (Object.keys(patch).length > 0) await persist(patch);
}

/** Follow the OS theme while the reader chose "system". */
export function watchSystemTheme(): () => void {
  if (typeof window.matchMedia !== 'function') return () => {};
  const mql = window.matchMedia('(prefers-color-scheme: dark)');
  const onChange = (e: MediaQueryListEvent) => {
    prefs.systemDark = e.matches;
    if (prefs.theme === 'system') applyTheme();
  };
  mql.addEventListener?.('change', onChange);
  return () => mql.removeEventListener?.('change', onChange);
}
