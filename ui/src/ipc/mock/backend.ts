// An in-memory stand-in for the Rust side, speaking the same commands and DTOs.
// Used by the unit tests (through mockIPC) and by `npm run dev` in a plain browser.
// Pure TypeScript: it never touches the network. Its defaults, limits and names come from
// the generated contract, and tests/contract/scenarios.json runs against it AND against the
// real commands (ui/src/test/contract.test.ts, src-tauri/tests/commands.rs): where the
// two disagree, the mock is wrong.
import type {
  ArticleDetail,
  ArticleListQuery,
  ArticlePage,
  ArticleSummary,
  EditionDto,
  NotifyPrefs,
  RelayStatus,
  SearchHit,
  Settings,
  SourceDto,
  StorageStats,
  StoryEditionDto,
  SyncSummary,
} from '../types';
import {
  COMMAND_ARGS,
  DEFAULT_SETTINGS,
  defaultNotifyPrefs,
  EDITIONS,
  MIN_SYNC_MINUTES,
  TEXT_SCALE_RANGE,
  UI_LANGUAGES,
  type CommandName,
  type NotifyPrefsPatch,
  type SettingsPatch,
} from '../types';

export interface Call {
  cmd: string;
  args: Record<string, unknown>;
}

export interface FakeBackendOptions {
  articles?: ArticleDetail[];
  settings?: Partial<Settings>;
  editions?: EditionDto[];
  sources?: SourceDto[];
  syncResult?: SyncSummary;
  /** What `relay_status` answers (the real one: "off" until the relay client runs). */
  relayStatus?: RelayStatus;
  /** Commands that reject with this error, e.g. `{ get_article: {kind:'notFound', message:'…'} }`. */
  failures?: Record<string, { kind: string; message: string }>;
}

export interface FakeBackend {
  handle(cmd: string, args: unknown): unknown;
  calls: Call[];
  callsOf(cmd: string): Call[];
  articles: ArticleDetail[];
  settings: Settings;
  editions: EditionDto[];
  sources: SourceDto[];
  clipboard: string[];
  opened: string[];
  syncResult: SyncSummary;
  relayStatus: RelayStatus;
  failures: Record<string, { kind: string; message: string }>;
}

const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const stripTags = (s: string) => s.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();

function summaryOf(a: ArticleDetail): ArticleSummary {
  const { contentHtml: _ignored, ...rest } = a;
  void _ignored;
  return { ...rest, categories: [...rest.categories] };
}

function cloneNotify(n: NotifyPrefs): NotifyPrefs {
  return {
    ...n,
    sections: [...n.sections],
    keywords: [...n.keywords],
    languages: [...n.languages],
    quietHours: n.quietHours ? { ...n.quietHours } : null,
  };
}

const cloneSettings = (s: Settings): Settings => ({ ...s, notifications: cloneNotify(s.notifications) });

/** chrono's NaiveTime as the UI sends it. */
const TIME_RE = /^([01]\d|2[0-3]):[0-5]\d:[0-5]\d$/;
const THEMES = ['light', 'dark', 'system'];

/** How Tauri refuses arguments that do not deserialise: a plain string, not an IpcError. */
function invalidArgs(cmd: string, name: string, why: string): string {
  return `invalid args \`${name}\` for command \`${cmd}\`: ${why}`;
}

/** caliber_core::normalize_source_url: trimmed, http(s) only, without the fragment. */
function normalizeSourceUrl(input: string): string {
  const trimmed = input.trim();
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw { kind: 'invalidInput', message: `invalid source URL ${JSON.stringify(trimmed)}` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw { kind: 'invalidInput', message: `invalid source URL ${JSON.stringify(trimmed)}: only http and https sources are supported` };
  }
  url.hash = '';
  return url.href;
}

/** caliber_core::relay::check_relay_url: http(s), a host, no credentials, no fragment. */
function checkRelayUrl(text: string): void {
  const refuse = (reason: string) => {
    throw { kind: 'invalidInput', message: `invalid URL ${JSON.stringify(text)}: ${reason}` };
  };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return refuse('not a web address');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') refuse('a relay address starts with http:// or https://');
  if (!url.hostname) refuse('a relay address names a host');
  if (url.username || url.password) refuse('a relay address carries no user name or password');
  if (url.hash || text.includes('#')) refuse('a relay address has no #fragment');
}

function byNewest(a: ArticleSummary, b: ArticleSummary): number {
  if (a.publishedAt !== b.publishedAt) return a.publishedAt < b.publishedAt ? 1 : -1;
  return b.id - a.id;
}

function makeSnippet(text: string, query: string): string | null {
  const terms = query
    .toLowerCase()
    .split(/\s+/)
    .filter((t) => t.length > 0);
  if (terms.length === 0) return null;
  const lower = text.toLowerCase();
  const first = terms.map((t) => lower.indexOf(t)).filter((i) => i >= 0);
  if (first.length === 0) return null;
  const start = Math.max(0, Math.min(...first) - 40);
  const slice = text.slice(start, start + 160);
  let html = escapeHtml(slice);
  for (const t of terms) {
    const re = new RegExp(escapeHtml(t).replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi');
    html = html.replace(re, (m) => `<mark>${m}</mark>`);
  }
  return (start > 0 ? '…' : '') + html + (start + 160 < text.length ? '…' : '');
}

export function createFakeBackend(opts: FakeBackendOptions = {}): FakeBackend {
  const calls: Call[] = [];
  const articles = (opts.articles ?? []).map((a) => ({ ...a, categories: [...a.categories] }));
  const settings: Settings = {
    ...DEFAULT_SETTINGS,
    ...opts.settings,
    notifications: cloneNotify({ ...defaultNotifyPrefs(), ...opts.settings?.notifications }),
  };
  // The site's editions (from Rust), all followed unless told otherwise.
  const editions: EditionDto[] = (opts.editions ?? EDITIONS.map((e) => ({ ...e, followed: true }))).map((e) => ({ ...e }));
  /** Rust maps an edition code to its language, and refuses an unknown one. */
  const editionLanguage = (code: string): string => {
    const e = editions.find((x) => x.code === code);
    if (!e) throw { kind: 'invalidInput', message: `no edition ${JSON.stringify(code)}` };
    return e.language;
  };
  const sources: SourceDto[] = (
    opts.sources ?? [
      {
        id: 1,
        url: 'https://caliber.az/rss.xml',
        kind: 'feed',
        title: 'Caliber.az',
        lastSyncAt: '2026-06-25T13:00:00Z',
        lastStatus: 'ok',
        lastError: null,
      },
    ]
  ).map((s) => ({ ...s }));

  const backend: FakeBackend = {
    calls,
    callsOf: (cmd) => calls.filter((c) => c.cmd === cmd),
    articles,
    settings,
    editions,
    sources,
    clipboard: [],
    opened: [],
    syncResult: opts.syncResult ?? { newTotal: 0, failed: 0, reached: sources.length, offline: false },
    relayStatus: opts.relayStatus ?? { state: 'off', error: null, revision: 0 },
    failures: { ...opts.failures },
    handle(cmd, rawArgs) {
      const args = (rawArgs ?? {}) as Record<string, unknown>;
      calls.push({ cmd, args });
      const failure = backend.failures[cmd];
      if (failure) throw { ...failure };
      for (const arg of COMMAND_ARGS[cmd as CommandName] ?? []) {
        if (!arg.optional && args[arg.name] === undefined) {
          throw invalidArgs(cmd, arg.name, `command ${cmd} missing required key ${arg.name}`);
        }
      }
      switch (cmd) {
        case 'list_articles':
          return listArticles(args.query as ArticleListQuery);
        case 'get_article': {
          const a = articles.find((x) => x.id === args.id);
          if (!a) throw { kind: 'notFound', message: `article ${String(args.id)} not found` };
          return { ...a, categories: [...a.categories] };
        }
        case 'search_articles':
          return search(String(args.query ?? ''), Number(args.limit ?? 30));
        case 'mark_article': {
          const a = articles.find((x) => x.id === args.id);
          if (!a) throw { kind: 'notFound', message: `article ${String(args.id)} not found` };
          if (typeof args.read === 'boolean') a.read = args.read;
          if (typeof args.saved === 'boolean') a.saved = args.saved;
          return summaryOf(a);
        }
        case 'list_sections': {
          const edition = (args.edition as string | null) ?? null;
          const language = edition === null ? null : editionLanguage(edition);
          const descriptions = editions.find((e) => e.code === edition)?.sectionDescriptions ?? {};
          const describe = (name: string): string | null => {
            const key = Object.keys(descriptions).find((k) => k.toLowerCase() === name.trim().toLowerCase());
            return key === undefined ? null : (descriptions[key] ?? null);
          };
          const set = new Set<string>();
          for (const a of articles) {
            if (language !== null && a.language !== language) continue;
            for (const c of a.categories) set.add(c);
          }
          return [...set].map((name) => ({ name, description: describe(name) }));
        }
        case 'story_in_other_editions': {
          // The core's rule (core/src/stories.rs): same cover picture file name, other
          // followed language, each the other's nearest in time within three days.
          const a = articles.find((x) => x.id === args.id);
          if (!a) throw { kind: 'notFound', message: `article ${String(args.id)} not found` };
          return storyElsewhere(a);
        }
        case 'get_settings':
          return cloneSettings(settings);
        case 'update_settings': {
          // Like settings.rs: what does not deserialise is refused by Tauri, then the patch
          // is checked whole before anything is stored.
          const { notifications: sent, ...patch } = (args.settings ?? {}) as SettingsPatch;
          if (patch.theme != null && !THEMES.includes(patch.theme)) {
            throw invalidArgs(cmd, 'settings', `unknown variant \`${patch.theme}\``);
          }
          const q = sent?.quietHours;
          if (q && !(TIME_RE.test(q.start) && TIME_RE.test(q.end))) {
            throw invalidArgs(cmd, 'settings', `input is out of range: ${q.start}–${q.end}`);
          }
          const scale = patch.textScale;
          if (scale != null && (scale < TEXT_SCALE_RANGE.min || scale > TEXT_SCALE_RANGE.max)) {
            throw { kind: 'invalidInput', message: `text size ${scale}% is outside ${TEXT_SCALE_RANGE.min}–${TEXT_SCALE_RANGE.max}%` };
          }
          if (patch.uiLanguage != null && !(UI_LANGUAGES as readonly string[]).includes(patch.uiLanguage)) {
            throw { kind: 'invalidInput', message: `unknown interface language ${JSON.stringify(patch.uiLanguage)}` };
          }
          const relayUrl = patch.relayUrl?.trim();
          if (relayUrl) checkRelayUrl(relayUrl);
          if (patch.theme != null) settings.theme = patch.theme;
          if (scale != null) settings.textScale = scale;
          if (patch.uiLanguage != null) settings.uiLanguage = patch.uiLanguage;
          if (patch.syncIntervalMinutes != null) settings.syncIntervalMinutes = Math.max(MIN_SYNC_MINUTES, patch.syncIntervalMinutes);
          if (relayUrl != null) settings.relayUrl = relayUrl;
          if (sent) {
            // Replaces the previous object (what is left out takes its default); at least one alert an hour.
            const notifications = { ...defaultNotifyPrefs(), ...sent };
            settings.notifications = cloneNotify({ ...notifications, maxPerHour: Math.max(1, notifications.maxPerHour) });
          }
          return cloneSettings(settings);
        }
        case 'update_notify_prefs': {
          // Like NotifyPrefsPatch: only the fields named change; unknown fields (pausedUntil
          // among them) are refused by Tauri; at least one alert an hour.
          const patch = (args.patch ?? {}) as NotifyPrefsPatch & Record<string, unknown>;
          const known = ['enabled', 'sections', 'keywords', 'languages', 'maxAgeMinutes', 'quietHours', 'maxPerHour'];
          const unknown = Object.keys(patch).find((k) => !known.includes(k));
          if (unknown) throw invalidArgs(cmd, 'patch', `unknown field \`${unknown}\``);
          const q = patch.quietHours;
          if (q && !(TIME_RE.test(q.start) && TIME_RE.test(q.end))) {
            throw invalidArgs(cmd, 'patch', `input is out of range: ${q.start}–${q.end}`);
          }
          const n = settings.notifications;
          const next: NotifyPrefs = { ...n };
          for (const k of known) if (k in patch && (patch[k] !== null || k === 'quietHours')) (next as Record<string, unknown>)[k] = patch[k];
          next.maxPerHour = Math.max(1, next.maxPerHour);
          settings.notifications = cloneNotify(next);
          return cloneNotify(settings.notifications);
        }
        case 'send_test_notification':
          return null;
        case 'relay_status':
          return { ...backend.relayStatus };
        case 'pause_alerts': {
          const minutes = Number(args.minutes ?? 0);
          settings.notifications.pausedUntil = new Date(Date.now() + minutes * 60_000).toISOString();
          return cloneSettings(settings);
        }
        case 'list_sources':
          return sources.map((s) => ({ ...s }));
        case 'add_source': {
          const url = normalizeSourceUrl(String(args.url));
          // Already followed: that source comes back, as from Rust (no error, nothing added).
          const known = sources.find((s) => s.url === url);
          if (known) return { ...known };
          const s: SourceDto = {
            id: Math.max(0, ...sources.map((x) => x.id)) + 1,
            url,
            kind: null,
            title: null,
            lastSyncAt: null,
            lastStatus: null,
            lastError: null,
          };
          sources.push(s);
          return { ...s };
        }
        case 'remove_source': {
          const i = sources.findIndex((s) => s.url === args.url);
          if (i < 0) throw { kind: 'notFound', message: `no source ${String(args.url)}` };
          sources.splice(i, 1);
          // Like the core: a source's saved articles stay.
          return { deletedArticles: 0, keptSaved: 0 };
        }
        case 'import_opml': {
          const text = String(args.text ?? '');
          const urls = [...text.matchAll(/xmlUrl="([^"]+)"/g)].flatMap((m) => {
            try {
              return [normalizeSourceUrl(m[1])];
            } catch {
              return []; // left out, like the core's rejected outlines
            }
          });
          let added = 0;
          for (const url of urls) {
            if (sources.some((s) => s.url === url)) continue;
            sources.push({
              id: Math.max(0, ...sources.map((x) => x.id)) + 1,
              url,
              kind: 'feed',
              title: null,
              lastSyncAt: null,
              lastStatus: null,
              lastError: null,
            });
            added++;
          }
          return added;
        }
        case 'export_opml':
          return (
            '<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0"><head><title>Caliber Reader</title></head><body>\n' +
            sources.map((s) => `  <outline type="rss" text="${escapeHtml(s.title ?? s.url)}" xmlUrl="${escapeHtml(s.url)}"/>`).join('\n') +
            '\n</body></opml>\n'
          );
        case 'list_editions':
          return editions.map((e) => ({ ...e }));
        case 'set_edition_followed': {
          const e = editions.find((x) => x.code === args.code);
          if (!e) throw { kind: 'invalidInput', message: `unknown edition ${JSON.stringify(args.code)}` };
          e.followed = Boolean(args.followed);
          return editions.map((x) => ({ ...x }));
        }
        case 'sync_now':
          return { ...backend.syncResult };
        case 'storage_stats': {
          const stats: StorageStats = {
            articles: articles.length,
            images: articles.filter((a) => a.imageUrl).length,
            imageBytes: articles.filter((a) => a.imageUrl).length * 48_000,
            databaseBytes: 1_200_000 + articles.length * 6_000,
          };
          return stats;
        }
        case 'plugin:clipboard-manager|write_text':
          backend.clipboard.push(String(args.text));
          return null;
        case 'plugin:opener|open_url':
          backend.opened.push(String(args.url));
          return null;
        default:
          return null;
      }
    },
  };

  function listArticles(q: ArticleListQuery = {}): ArticlePage {
    // Like commands.rs: 30 unless asked, 1–200.
    const limit = Math.min(200, Math.max(1, q.limit ?? 30));
    let list = articles.map(summaryOf).sort(byNewest);
    if (q.edition) {
      const language = editionLanguage(q.edition);
      list = list.filter((a) => a.language === language);
    }
    if (q.section) list = list.filter((a) => a.categories.includes(q.section as string));
    if (q.savedOnly) list = list.filter((a) => a.saved);
    if (q.unreadOnly) list = list.filter((a) => !a.read);
    const before = q.before;
    if (before) {
      list = list.filter(
        (a) => a.publishedAt < before.publishedAt || (a.publishedAt === before.publishedAt && a.id < before.id),
      );
    }
    const items = list.slice(0, limit);
    const last = items[items.length - 1];
    // Like commands.rs: a full page has a cursor (the next page may be empty).
    const next = items.length === limit && last ? { publishedAt: last.publishedAt, id: last.id } : null;
    return { items, next };
  }

  const pictureName = (url: string | null): string | null => {
    const name = url?.split('/').pop()?.split(/[?#]/)[0] ?? '';
    return name.length > 4 ? name : null;
  };
  const WINDOW_MS = 3 * 86_400_000;
  function nearest(group: ArticleDetail[], language: string | null, to: number): ArticleDetail | undefined {
    const distance = (x: ArticleDetail) => Math.abs(Date.parse(x.publishedAt) - to);
    return group
      .filter((x) => x.language === language && distance(x) <= WINDOW_MS)
      .sort((x, y) => distance(x) - distance(y) || x.id - y.id)[0];
  }
  function storyElsewhere(of: ArticleDetail): StoryEditionDto[] {
    const picture = pictureName(of.imageUrl);
    if (picture === null || of.language === null) return [];
    const group = articles.filter((x) => x.language !== null && pictureName(x.imageUrl) === picture);
    const out: StoryEditionDto[] = [];
    for (const e of editions.filter((e) => e.followed && e.language !== of.language)) {
      const candidate = nearest(group, e.language, Date.parse(of.publishedAt));
      if (!candidate || nearest(group, of.language, Date.parse(candidate.publishedAt))?.id !== of.id) continue;
      out.push({ articleId: candidate.id, title: candidate.title, editionCode: e.code, language: e.language, readIn: e.readIn });
    }
    return out;
  }

  function search(query: string, limit: number): SearchHit[] {
    const hits: SearchHit[] = [];
    for (const a of [...articles].sort(byNewest)) {
      const text = `${a.title}. ${a.summary ?? ''} ${stripTags(a.contentHtml ?? '')}`;
      const snippet = makeSnippet(text, query);
      if (snippet) hits.push({ article: summaryOf(a), snippetHtml: snippet });
      if (hits.length >= limit) break;
    }
    return hits;
  }

  return backend;
}

/** A small, deterministic set of articles in the three editions. */
export function sampleArticles(count = 45, now = Date.parse('2026-06-25T14:00:00Z')): ArticleDetail[] {
  const editions = [
    {
      lang: 'ru',
      base: 'https://caliber.az/post/',
      sections: ['МИР', 'ПОЛИТИКА', 'ЭКОНОМИКА', 'АНАЛИТИКА', 'Срочно'],
      titles: [
        'Баку принимает форум аналитических центров СВМДА',
        'Нефть марки Azeri Light подорожала',
        'В Баку обсудили развитие Среднего коридора',
        'Президент выступил с обращением к участникам форума',
        'Зангезурский коридор: новые детали',
      ],
      para: 'Баку вновь стал площадкой для важного международного события. Участники обсудили региональное сотрудничество, безопасность и развитие транспортных коридоров.',
    },
    {
      lang: 'en',
      base: 'https://caliber.az/en/post/',
      sections: ['WORLD', 'POLITICS', 'ECONOMY', 'ANALYTICS', 'Breaking'],
      titles: [
        'CICA and security: Baku as a platform of global trust',
        'Azeri Light oil price rises',
        'Middle Corridor development discussed in Baku',
        'President addresses forum participants',
        'Zangezur corridor: new details emerge',
      ],
      para: 'Another significant international event is taking place in Baku. Participants discussed regional cooperation, security and the development of transport corridors.',
    },
    {
      lang: 'az',
      base: 'https://caliber.az/az/post/',
      sections: ['DÜNYA', 'SİYASƏT', 'İQTİSADİYYAT', 'ANALİTİKA', 'Təcili'],
      titles: [
        'Bakı ATƏM-in analitik mərkəzlər forumuna ev sahibliyi edir',
        'Azeri Light neftinin qiyməti artıb',
        'Bakıda Orta Dəhlizin inkişafı müzakirə olunub',
        'Prezident forum iştirakçılarına müraciət edib',
        'Zəngəzur dəhlizi: yeni təfərrüatlar',
      ],
      para: 'Bakı yenidən mühüm beynəlxalq tədbirə ev sahibliyi edir. İştirakçılar regional əməkdaşlığı, təhlükəsizliyi və nəqliyyat dəhlizlərinin inkişafını müzakirə ediblər.',
    },
  ];
  const out: ArticleDetail[] = [];
  for (let i = 0; i < count; i++) {
    const e = editions[i % editions.length];
    const k = Math.floor(i / editions.length);
    const section = e.sections[k % e.sections.length];
    const title = `${e.titles[k % e.titles.length]}${k >= e.titles.length ? ` (${k + 1})` : ''}`;
    const id = i + 1;
    const published = new Date(now - i * 37 * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    out.push({
      id,
      sourceUrl: 'https://caliber.az/rss.xml',
      sourceName: 'Caliber.az',
      fromSite: true,
      url: `${e.base}article-${id}`,
      title,
      summary: e.para,
      author: 'Caliber.Az',
      categories: [section],
      publishedAt: published,
      imageUrl: i % 4 === 3 ? null : `https://img.caliber.az/media/${id}.jpg`,
      language: e.lang,
      views: 100 + ((id * 37) % 900),
      isBreaking: section === 'Срочно' || section === 'Breaking' || section === 'Təcili',
      read: i % 5 === 4,
      saved: i % 9 === 2,
      contentHtml:
        `<p>${escapeHtml(e.para)}</p>` +
        `<p><img src="https://img.caliber.az/media/body-${id}.jpg" alt=""></p>` +
        `<p>${escapeHtml(e.para)} <a href="https://caliber.az/">Caliber.az</a></p>`,
    });
  }
  return out;
}
