// The app at 100,000 articles (issue 15 item 5), measured in the real release app under
// Xvfb over WebDriver: launch → first card, keystroke → results on screen, scrolling
// through 1,000 cards, and proportional set size (PSS) from /proc/*/smaps_rollup.
// Not a test of `./dev test` (its name is not *.test.js): run it with `./dev bench-app`
// (BENCHMARKS.md, "The app at 100k articles"), which builds the release app and the database.
//
// Environment: CALIBER_BENCH_APP_DB (the database written by
// `CALIBER_BENCH_ONLY=app-db cargo bench -p caliber-core --bench sync`), CALIBER_APP_BINARY
// (default target/release/caliber-app), CALIBER_BENCH_APP_ORIGIN (where the database's
// pictures and feeds point; served here), CALIBER_BENCH_APP_LAUNCHES (default 5),
// CALIBER_BENCH_APP_SCROLL_PASSES (default 1: passes over the same 1,000 cards, back at the
// top before each, PSS after each; memory that grows with every pass is a leak, memory that
// stays is what the first pass left), CALIBER_BENCH_APP_SEARCH_ROUNDS (default 1: the
// searches typed again before the scroll, PSS after each round; the latencies are the
// first round's).
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';

const root = new URL('../..', import.meta.url).pathname;
process.env.CALIBER_APP_BINARY ??= join(root, 'target/release/caliber-app');
// The release CLI, which the sync bench that writes the database has built (the peer lists
// the database's articles with it).
process.env.CALIBER_CLI_BINARY ??= join(root, 'target/release/caliber');
const { appPid, byTestId, openApp, prepareProfile, processStat: stat, processTree: appTree, shutDown, startDriver, waitVisible } = await import('./harness.js');

const appBinary = realpathSync(process.env.CALIBER_APP_BINARY);
const dbPath = process.env.CALIBER_BENCH_APP_DB;
const origin = new URL(process.env.CALIBER_BENCH_APP_ORIGIN ?? 'http://127.0.0.1:18779');
const launches = Number(process.env.CALIBER_BENCH_APP_LAUNCHES ?? 5);
const SCROLL_CARDS = 1000;
const TARGETS = { firstCardMs: 500, keystrokeMs: 100, pssMiB: 250 };

if (!dbPath || !existsSync(dbPath)) throw new Error(`CALIBER_BENCH_APP_DB=${dbPath}: no database (run ./dev bench-app)`);

// ---- Pictures and feeds on the database's origin ----------------------------------------

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (buf) => {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
/** A real 800×450 RGB PNG (a news site's cover size), coloured by `seed`: 140 KiB on the
 * wire, like a cover JPEG, and 1.4 MB decoded, like the reader's own pictures. */
function png(seed, w = 800, h = 450) {
  const raw = Buffer.alloc((w * 3 + 1) * h);
  let r = seed + 1;
  for (let y = 0; y < h; y++) {
    const row = y * (w * 3 + 1);
    raw[row] = 0;
    for (let x = 0; x < w; x++) {
      const i = row + 1 + x * 3;
      r = (r * 1103515245 + 12345) >>> 0;
      const grain = (x + y * 7) % 128 === 0 ? (r >>> 24) & 63 : 0;
      raw[i] = ((x * 255) / w + seed * 37 + grain) & 255;
      raw[i + 1] = ((y * 255) / h + seed * 91 + grain) & 255;
      raw[i + 2] = (((x >> 5) ^ (y >> 5)) * 16 + seed * 13) & 255;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 6 })), chunk('IEND', Buffer.alloc(0))]);
}
const pictures = Array.from({ length: 16 }, (_, i) => png(i));
console.error(`bench-app: pictures of ${Math.round(pictures.reduce((a, p) => a + p.length, 0) / pictures.length / 1024)} KiB on average`);
const served = { pictures: 0, feeds: 0, notModified: 0 };

function startOriginServer() {
  const server = createServer((req, res) => {
    const path = req.url.split('?')[0];
    if (/\.(png|jpe?g|webp)$/.test(path) && process.env.CALIBER_BENCH_APP_PICTURES === 'none') {
      // Diagnosis only: every picture missing (the cards show their fallback).
      res.writeHead(404).end();
    } else if (/\.(png|jpe?g|webp)$/.test(path)) {
      served.pictures++;
      let h = 0;
      for (const c of path) h = (h * 31 + c.charCodeAt(0)) >>> 0;
      res.writeHead(200, { 'content-type': 'image/png', 'cache-control': 'max-age=86400' });
      res.end(pictures[h % pictures.length]);
    } else if (path.startsWith('/feeds/') && process.env.CALIBER_BENCH_APP_FEEDS === 'hang') {
      // Diagnosis only: a sync that never ends (no progress events at launch).
      served.feeds++;
    } else if (path.startsWith('/feeds/')) {
      // Every feed is unchanged since the database was written: the launch's sync is a
      // re-sync of 500 sources that all answer 304, as on a reader's machine most mornings.
      served.feeds++;
      if (req.headers['if-none-match'] === '"app-v1"') {
        served.notModified++;
        res.writeHead(304, { etag: '"app-v1"' });
        res.end();
      } else {
        res.writeHead(200, { 'content-type': 'application/rss+xml', etag: '"app-v1"' });
        res.end('<?xml version="1.0"?><rss version="2.0"><channel><title>feed</title></channel></rss>');
      }
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  return new Promise((ok, fail) => {
    server.on('error', fail);
    server.listen(Number(origin.port), origin.hostname, () => ok(server));
  });
}

// ---- Processes, memory, clocks ----------------------------------------------------------

const CLK_TCK = 100;
function memory(pid) {
  const rows = appTree(pid).map(({ pid: p, comm }) => {
    let pss = 0;
    let rss = 0;
    try {
      const text = readFileSync(`/proc/${p}/smaps_rollup`, 'utf8');
      pss = Number(/^Pss:\s+(\d+) kB/m.exec(text)?.[1] ?? 0) / 1024;
      rss = Number(/^Rss:\s+(\d+) kB/m.exec(text)?.[1] ?? 0) / 1024;
    } catch {
      /* gone */
    }
    return { pid: p, comm, pss, rss, top: pssByMapping(p) };
  });
  return { pss: rows.reduce((a, r) => a + r.pss, 0), rss: rows.reduce((a, r) => a + r.rss, 0), rows };
}
/** A process's PSS in MiB by what is mapped (a library, the binary, or [anon] memory), largest first. */
function pssByMapping(pid, keep = 6) {
  const sums = new Map();
  let name = '';
  try {
    const smaps = readFileSync(`/proc/${pid}/smaps`, 'utf8');
    // Diagnosis: each process's whole smaps, as of the last measurement (after scrolling).
    // (A missing directory had thrown here and emptied the breakdown below.)
    if (process.env.CALIBER_BENCH_APP_SMAPS) {
      mkdirSync(process.env.CALIBER_BENCH_APP_SMAPS, { recursive: true });
      writeFileSync(join(process.env.CALIBER_BENCH_APP_SMAPS, `${stat(pid)?.comm ?? pid}.smaps`), smaps);
    }
    for (const line of smaps.split('\n')) {
      const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
      if (head) {
        const path = head[1].trim();
        name = path === '' ? '[anon]' : path.startsWith('/memfd:') ? '[memfd]' : path.split('/').pop().replace(/ \(deleted\)$/, '');
        continue;
      }
      const pss = /^Pss:\s+(\d+) kB/.exec(line);
      if (pss) sums.set(name, (sums.get(name) ?? 0) + Number(pss[1]) / 1024);
    }
  } catch {
    /* gone */
  }
  return [...sums].sort((a, b) => b[1] - a[1]).slice(0, keep);
}
/** Wall-clock ms of a process's start: /proc/PID/stat's start (ticks since boot) against /proc/uptime. */
function processStartEpochMs(pid) {
  const uptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  const now = Date.now();
  return now - (uptime - stat(pid).startTicks / CLK_TCK) * 1000;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const r0 = (x) => Math.round(x);
const load = () => loadavg().map((l) => l.toFixed(2)).join(', ');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- One launch -------------------------------------------------------------------------

async function launch(profile) {
  const driver = await startDriver(profile);
  const requested = Date.now();
  const app = await openApp(driver);
  const pid = appPid();
  if (!pid) throw new Error(`no process runs ${appBinary}`);
  const started = processStartEpochMs(pid);
  const firstCard = await app.wait(
    async () =>
      app.executeScript(() => {
        const m = performance.getEntriesByName('first-card')[0];
        return m ? performance.timeOrigin + m.startTime : null;
      }),
    30000,
    'no first card',
  );
  // Where the time went, in the page: navigation, each IPC call (a fetch to ipc://), the marks.
  const timeline = await app.executeScript(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const ipc = performance
      .getEntriesByType('resource')
      .filter((r) => /ipc/.test(r.name))
      .map((r) => `${r.name.replace(/^.*\//, '')} ${Math.round(r.startTime)}–${Math.round(r.responseEnd)}`);
    const mark = performance.getEntriesByName('first-card')[0];
    const frame = performance.getEntriesByName('first-card-frame')[0];
    // The start-up marks the UI sets (main.ts, firstPage.ts, ArticleList.svelte).
    for (const m of performance.getEntriesByType('mark')) ipc.push(`${m.name} ${Math.round(m.startTime)}`);
    return { domContentLoaded: nav && Math.round(nav.domContentLoadedEventEnd), ipc, firstCard: Math.round(mark.startTime), firstCardFrame: frame ? frame.startTime : null, timeOrigin: performance.timeOrigin };
  });
  timeline.pageStartMs = Math.round(timeline.timeOrigin - started);
  // Before 2026-12-03 "first card" was this mark: the start of the frame that draws the
  // cards, before it is laid out and painted (kept to compare with earlier figures).
  const frameFromProcessMs = timeline.firstCardFrame === null ? null : timeline.timeOrigin + timeline.firstCardFrame - started;
  return { driver, app, pid, started, frameFromProcessMs, fromProcessMs: firstCard - started, fromRequestMs: firstCard - requested, timeline };
}

/** The median of the launches whose first screenful's pictures all loaded within the wait,
 * and how many did not (a median with "Infinity" in it said neither). */
function picturesLoaded(runs) {
  const loaded = runs.map((l) => l.picturesMs).filter((ms) => ms !== null);
  const missing = runs.length - loaded.length;
  const figure = loaded.length > 0 ? `${r0(median(loaded))} ms` : 'none';
  return missing > 0 ? `${figure} (${missing} of ${runs.length} launches not all loaded 0.8 s after the first card)` : figure;
}

/** The first screenful's pictures (cards' thumbnails): how many card pictures are in view,
 * and when the last of that many had loaded (the cards mark each of the page's first dozen
 * pictures as it loads). Looked at for up to 0.8 s after the first card, before the launch's
 * sync starts (a second after the first list is served). */
async function firstScreenPictures(run) {
  let pictures;
  for (let waited = 0; waited <= 800; waited += 100) {
    pictures = await run.app.executeScript(() => {
      const inView = [...document.querySelectorAll('[data-testid="article-card"] img')].filter((img) => {
        const box = img.getBoundingClientRect();
        return box.width > 0 && box.bottom > 0 && box.top < innerHeight;
      }).length;
      const loaded = performance.getEntriesByName('card-picture').map((m) => m.startTime).sort((a, b) => a - b);
      return { count: inView, at: inView > 0 && loaded.length >= inView ? performance.timeOrigin + loaded[inView - 1] : null, loaded: loaded.length };
    });
    if (pictures.at !== null) break;
    await sleep(100);
  }
  return { ...pictures, fromProcessMs: pictures.at === null ? null : pictures.at - run.started };
}

// ---- Search: keystroke → results on screen ----------------------------------------------

/** Hooks in the page: the time of each `input` event (by the value it left) and of the
 * frame after the results answering that value were rendered. */
async function hookSearch(app) {
  await app.executeScript(() => {
    const input = document.querySelector('[data-testid="search-input"]');
    const status = document.querySelector('[data-testid="results-status"]');
    const bench = (window.__bench = { typed: {}, shown: {} });
    // The first keystroke that makes each query (a trailing space makes none).
    input.addEventListener('input', () => (bench.typed[input.value.trim()] ??= performance.now()), { capture: true });
    new MutationObserver(() => {
      const answered = status.dataset.answered;
      if (!answered || bench.shown[answered] !== undefined) return;
      const at = performance.now();
      bench.shown[answered] = -1;
      // On screen: the frame after the DOM holds them.
      requestAnimationFrame(() => (bench.shown[answered] = Math.max(at, performance.now())));
    }).observe(status, { attributes: true, attributeFilter: ['data-answered'] });
  });
}

async function typeQuery(app, input, query, pauseMs) {
  await app.executeScript(() => {
    window.__bench.typed = {};
    window.__bench.shown = {};
  });
  await input.clear();
  await app.executeScript((el) => {
    el.value = '';
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }, input);
  await sleep(300);
  await app.executeScript(() => {
    window.__bench.typed = {};
    window.__bench.shown = {};
  });
  if (pauseMs === 0) await input.sendKeys(query);
  else
    for (const ch of query) {
      await input.sendKeys(ch);
      await sleep(pauseMs);
    }
  const final = query.trim();
  await app.wait(async () => app.executeScript((q) => (window.__bench.shown[q] ?? -1) > 0, final), 10000, `no results for ${final}`);
  await sleep(50);
  const { typed, shown } = await app.executeScript(() => window.__bench);
  const latencies = [];
  for (const [prefix, t] of Object.entries(typed)) if (prefix !== '' && shown[prefix] > 0) latencies.push({ prefix, ms: shown[prefix] - t });
  const hits = await app.findElements(byTestId('search-result'));
  return { query, latencies, last: shown[final] - typed[final], hits: hits.length, dropped: Object.keys(typed).filter((p) => p !== '' && !(shown[p] > 0)) };
}

// ---- Scrolling through 1,000 cards ------------------------------------------------------

/** Scroll the list a viewport at a time (a fast fling: a new viewport every 100 ms) until
 * `cards` have gone by, then `done(what it saw)`. After each step, on the next frames, five
 * points across the viewport must each be on a card; a step where one is not is a dropped
 * page, and how long it stays blank is counted. A requestAnimationFrame loop records every
 * frame's length. Runs in the page: the app's, over WebDriver, and the frameworkless peer's
 * in WebKitGTK's MiniBrowser (bench-peer.js), so both are scrolled alike. */
function scrollInPage(cards, done) {
  const pane = document.querySelector('.list-pane[data-scroll]');
  const frames = [];
  let last = performance.now();
  let running = true;
  const tick = (t) => {
    frames.push(t - last);
    last = t;
    if (running) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  const frame = () => new Promise((r) => requestAnimationFrame(() => r()));
  const rect = pane.getBoundingClientRect();
  const blankAt = () => {
    const missing = [];
    for (const f of [0.3, 0.45, 0.6, 0.75, 0.9]) {
      const el = document.elementFromPoint(rect.left + rect.width / 2, rect.top + rect.height * f);
      // On a card, or between two (the list's gap): not blank.
      if (!el?.closest('[data-testid="article-card"], ul.cards')) missing.push(f);
    }
    return missing;
  };
  const passed = () => {
    // Cards gone by: the index of the card at the bottom of the viewport.
    const el = document.elementFromPoint(rect.left + rect.width / 2, rect.bottom - 10)?.closest('[data-testid="article-card"]');
    const li = el?.closest('li');
    return li ? Number(li.dataset.index ?? [...li.parentElement.children].indexOf(li)) : -1;
  };
  (async () => {
    const start = performance.now();
    let steps = 0;
    let dropped = 0;
    let blankMs = 0;
    let furthest = 0;
    const drops = [];
    while (furthest < cards && performance.now() - start < 240000) {
      const stepStart = performance.now();
      pane.scrollTop += pane.clientHeight * 0.9;
      steps++;
      await frame();
      await frame();
      let missing = blankAt();
      if (missing.length > 0) {
        dropped++;
        const blankSince = performance.now();
        while (missing.length > 0 && performance.now() - blankSince < 10000) {
          await frame();
          missing = blankAt();
        }
        const ms = performance.now() - blankSince;
        blankMs += ms;
        // What the blank was: the end of the cards loaded so far, or a gap in the window.
        const lis = document.querySelectorAll('.list-pane li[data-index]');
        const pads = [...document.querySelectorAll('.list-pane .window-pad')].map((p) => Math.round(p.getBoundingClientRect().height));
        drops.push({
          step: steps,
          at: furthest,
          ms: Math.round(ms),
          rendered: lis.length ? `${lis[0].dataset.index}–${lis[lis.length - 1].dataset.index}` : 'none',
          pads,
          scroll: `${Math.round(pane.scrollTop)}+${pane.clientHeight}/${pane.scrollHeight}`,
          sentinel: document.querySelector('.list-pane .sentinel')?.textContent?.trim().slice(0, 30) ?? null,
          firstMissing: missing[0],
        });
      }
      furthest = Math.max(furthest, passed());
      const wait = 100 - (performance.now() - stepStart);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    running = false;
    const cardsInDom = document.querySelectorAll('[data-testid="article-card"]').length;
    const imgs = document.querySelectorAll('.list-pane img').length;
    done({ steps, dropped, blankMs, drops: drops.slice(0, 20), furthest, ms: performance.now() - start, frames, cardsInDom, imgs, domNodes: document.getElementsByTagName('*').length });
  })();
}

async function scrollCards(app) {
  return app.executeAsyncScript(scrollInPage, SCROLL_CARDS);
}

// ---- The run ----------------------------------------------------------------------------

const queries = [
  // English, Russian, Azerbaijani words; two words; a prefix as typed.
  'economy',
  'government plan',
  'нефть',
  'экономика рост',
  'Azərbaycan',
  'inkişaf',
  'the mar',
];

/** The run's profile: a copy of the 1.5 GB database, removed however the run ends. */
let profileHome = null;

async function main() {
  const loadStart = load();
  const server = await startOriginServer();
  const profile = prepareProfile([]);
  profileHome = profile.home;
  console.error(`bench-app: copying ${dbPath} into ${profile.dataDir}`);
  execFileSync('cp', ['--reflink=auto', dbPath, profile.db]);
  const results = { binary: appBinary, loadStart, launches: [], search: [], memory: {} };

  // Launches: a first one (cold page cache for the app's files) not counted, then N.
  for (let i = 0; i <= launches; i++) {
    const run = await launch(profile);
    const mem = memory(run.pid);
    console.error(`launch ${i}${i === 0 ? ' (warm-up)' : ''}: first card ${r0(run.fromProcessMs)} ms after the process started (its frame began at ${r0(run.frameFromProcessMs)} ms; ${r0(run.fromRequestMs)} ms after the session was asked for); PSS ${r0(mem.pss)} MiB; load ${load()}`);
    const p = (run.pictures = await firstScreenPictures(run));
    console.error(`  the first screenful's ${p.count} pictures loaded ${p.fromProcessMs === null ? `not all by 0.8 s after the first card (${p.loaded} of ${p.count})` : `${r0(p.fromProcessMs)} ms after the process started`}`);
    const t = run.timeline;
    console.error(`  page started ${t.pageStartMs} ms after the process (origin ${Math.round(t.timeOrigin)}); in the page: DOMContentLoaded ${t.domContentLoaded} ms, first card ${t.firstCard} ms; IPC: ${t.ipc.join(', ')}`);
    if (i > 0) results.launches.push({ fromProcessMs: run.fromProcessMs, frameFromProcessMs: run.frameFromProcessMs, fromRequestMs: run.fromRequestMs, pssMiB: mem.pss, picturesMs: run.pictures.fromProcessMs, timeline: run.timeline });
    if (i === launches) {
      // Each start-up command alone, in the running app (where a slow first card comes from).
      const calls = await run.app.executeAsyncScript((done) => {
        const invoke = window.__TAURI_INTERNALS__.invoke;
        const cmds = [
          ['get_settings', {}],
          ['list_editions', {}],
          ['list_sections', { edition: null }],
          ['list_sections', { edition: 'az' }],
          ['list_sections', { edition: 'ru' }],
          ['list_sections', { edition: 'en' }],
          ['list_articles', { query: { edition: null, section: null, limit: 30 } }],
          ['list_articles', { query: { edition: 'az', section: null, limit: 30 } }],
          ['search_articles', { query: 'economy', limit: 50 }],
        ];
        (async () => {
          const out = [];
          for (const [cmd, args] of cmds) {
            const t = performance.now();
            await invoke(cmd, args);
            out.push(`${cmd}(${JSON.stringify(args).slice(0, 40)}) ${Math.round(performance.now() - t)} ms`);
          }
          done(out);
        })();
      });
      console.error(`  commands alone: ${calls.join('; ')}`);
    }
    if (i < launches || process.env.CALIBER_BENCH_APP_ONLY === 'launch') {
      await shutDown({ app: run.app, driver: run.driver });
      await sleep(1000);
      continue;
    }

    // The last launch stays: search, then scroll, then memory.
    const { app, driver, pid } = run;
    await app.manage().setTimeouts({ implicit: 0, pageLoad: 30000, script: 600000 });
    results.memory.afterLaunch = mem;
    await app.executeScript(() => (location.hash = '#/search'));
    const input = await waitVisible(app, 'search-input');
    await hookSearch(app);
    results.memory.afterSearchRounds = [];
    for (let round = 1; round <= Number(process.env.CALIBER_BENCH_APP_SEARCH_ROUNDS ?? 1); round++) {
      for (const q of process.env.CALIBER_BENCH_APP_ONLY === 'scroll' ? [] : queries) {
        // One keystroke at a time (a reader typing, 250 ms apart): each keystroke's own results.
        const typed = await typeQuery(app, input, q, 250);
        // All at once (as fast as WebDriver types): the older searches are dropped.
        const burst = await typeQuery(app, input, q, 0);
        // The figures are the first round's: later rounds only show what memory does.
        if (round > 1) continue;
        results.search.push({ query: q, perKey: typed.latencies.map((l) => l.ms), lastKeyMs: typed.last, burstLastKeyMs: burst.last, hits: typed.hits, burstDropped: burst.dropped.length, burstTyped: q.length });
        console.error(`search ${JSON.stringify(q)}: ${typed.hits} results; per keystroke ${typed.latencies.map((l) => r0(l.ms)).join(' ')} ms; typed at once: ${r0(burst.last)} ms after the last key, ${burst.dropped.length} of ${q.length} intermediate queries never shown`);
      }
      results.memory.afterSearchRounds.push(memory(pid));
    }
    results.memory.afterSearch = results.memory.afterSearchRounds.at(-1);

    await app.executeScript(() => (location.hash = '#/'));
    await waitVisible(app, 'article-card');
    await sleep(500);
    const scroll = await scrollCards(app);
    const frames = scroll.frames.slice(1);
    results.scroll = {
      steps: scroll.steps,
      dropped: scroll.dropped,
      blankMs: scroll.blankMs,
      drops: scroll.drops,
      furthest: scroll.furthest,
      ms: scroll.ms,
      cardsInDom: scroll.cardsInDom,
      imgs: scroll.imgs,
      domNodes: scroll.domNodes,
      frameMedianMs: median(frames),
      frameP95Ms: pct(frames, 95),
      framesOver50: frames.filter((f) => f > 50).length,
      frames: frames.length,
      longestFrameMs: Math.max(...frames),
    };
    console.error(`scroll: ${scroll.furthest} cards in ${r0(scroll.ms)} ms, ${scroll.steps} steps, ${scroll.dropped} dropped pages (${r0(scroll.blankMs)} ms blank), frames median ${r0(median(frames))} ms, p95 ${r0(pct(frames, 95))} ms, ${results.scroll.framesOver50}/${frames.length} over 50 ms; DOM: ${scroll.cardsInDom} cards, ${scroll.imgs} pictures, ${scroll.domNodes} elements`);
    await sleep(2000);
    results.memory.afterScroll = memory(pid);
    results.memory.afterPasses = [{ ...results.memory.afterScroll, furthest: scroll.furthest, dropped: scroll.dropped }];
    for (let pass = 2; pass <= Number(process.env.CALIBER_BENCH_APP_SCROLL_PASSES ?? 1); pass++) {
      await app.executeScript(() => (document.querySelector('.list-pane[data-scroll]').scrollTop = 0));
      await sleep(1500);
      const again = await scrollCards(app);
      await sleep(2000);
      const m = memory(pid);
      results.memory.afterPasses.push({ ...m, furthest: again.furthest, dropped: again.dropped });
      console.error(`scroll pass ${pass}: ${again.furthest} cards, ${again.dropped} dropped pages; PSS ${r0(m.pss)} MiB (${m.rows.map((r) => `${r.comm} ${r0(r.pss)}`).join(', ')})`);
    }
    // The same memory once the app has been left alone (WebKit collects garbage and hands
    // freed pages back on timers): each second for CALIBER_BENCH_APP_REST seconds (default 0).
    const rest = Number(process.env.CALIBER_BENCH_APP_REST ?? 0);
    for (let s = 1; s <= rest; s++) {
      await sleep(1000);
      const m = memory(pid);
      console.error(`at rest ${s} s: PSS ${r0(m.pss)} MiB (${m.rows.map((r) => `${r.comm} ${r0(r.pss)}`).join(', ')})`);
    }
    await shutDown({ app, driver });
  }
  const withPeer = process.env.CALIBER_BENCH_APP_PEER !== 'none';
  if (withPeer && !process.env.CALIBER_BENCH_APP_ONLY) {
    // The app once more, scrolling only (a fresh launch, no search): the figure that
    // compares with the peer's, which does not search.
    const { app, driver, pid } = await launch(profile);
    await app.manage().setTimeouts({ implicit: 0, pageLoad: 30000, script: 600000 });
    await sleep(2000);
    const afterLaunch = memory(pid);
    const scroll = await scrollCards(app);
    await sleep(2000);
    results.scrollOnly = { afterLaunch, afterScroll: memory(pid), furthest: scroll.furthest, steps: scroll.steps, dropped: scroll.dropped };
    console.error(`scrolling only: PSS ${r0(afterLaunch.pss)} MiB after launch, ${r0(results.scrollOnly.afterScroll.pss)} after scrolling ${scroll.furthest} cards`);
    await shutDown({ app, driver });
  }
  server.close();
  if (process.env.CALIBER_BENCH_APP_ONLY === 'launch') return;
  if (withPeer) {
    const { frameworklessPeer, emptyPageFloor } = await import('./bench-peer.js');
    results.floor = await emptyPageFloor({ memory, sleep });
    console.error(results.floor.missing ? `floor: ${results.floor.missing}` : `floor: MiniBrowser on an empty page, PSS ${r0(results.floor.afterLaunch.pss)} MiB`);
    const dist = join(root, 'ui', 'dist');
    const cssFile = /href="\/?(assets\/[^"]+\.css)"/.exec(readFileSync(join(dist, 'index.html'), 'utf8'))?.[1];
    results.peer = await frameworklessPeer({ cli: profile.cli, css: readFileSync(join(dist, cssFile), 'utf8'), cards: SCROLL_CARDS, scrollInPage, memory, sleep });
    const p = results.peer;
    console.error(p.missing ? `peer: ${p.missing}` : `peer: PSS ${r0(p.afterLaunch.pss)} MiB after launch, ${r0(p.afterScroll.pss)} after scrolling ${p.scroll.furthest} cards (${p.scroll.steps} steps, ${p.scroll.dropped} dropped)`);
  }
  results.loadEnd = load();
  results.served = served;

  const first = results.launches.map((l) => l.fromProcessMs);
  const perKey = results.search.flatMap((s) => s.perKey);
  const lastKey = results.search.map((s) => s.burstLastKeyMs);
  const pssEnd = results.memory.afterScroll.pss;
  const verdict = (ok) => (ok ? 'met' : 'MISSED');
  const rows = [
    ['first card after launch (process start), median of ' + first.length, `${r0(median(first))} ms (${first.map(r0).join(', ')})`, `< ${TARGETS.firstCardMs} ms`, verdict(median(first) < TARGETS.firstCardMs)],
    ['start of the frame that draws the first cards (the measure before 2026-12-03), median', `${r0(median(results.launches.map((l) => l.frameFromProcessMs)))} ms`, '', ''],
    ["the first screenful's pictures loaded after launch (process start), median", picturesLoaded(results.launches), '', ''],
    ['first card after the WebDriver session was asked for, median', `${r0(median(results.launches.map((l) => l.fromRequestMs)))} ms`, '', ''],
    [`keystroke → results on screen, typed 250 ms apart (${perKey.length} keystrokes): median / p90 / max`, `${r0(median(perKey))} / ${r0(pct(perKey, 90))} / ${r0(Math.max(...perKey))} ms`, `< ${TARGETS.keystrokeMs} ms`, verdict(pct(perKey, 90) < TARGETS.keystrokeMs)],
    [`last keystroke → results, typed at once (${lastKey.length} queries): median / max`, `${r0(median(lastKey))} / ${r0(Math.max(...lastKey))} ms`, `< ${TARGETS.keystrokeMs} ms`, verdict(median(lastKey) < TARGETS.keystrokeMs)],
    ['PSS after launch (app + WebKit processes)', `${r0(results.memory.afterLaunch.pss)} MiB (RSS ${r0(results.memory.afterLaunch.rss)} MiB)`, '', ''],
    ['PSS after searching', `${r0(results.memory.afterSearch.pss)} MiB (RSS ${r0(results.memory.afterSearch.rss)} MiB)`, '', ''],
    ...(results.memory.afterSearchRounds.length > 1
      ? [['PSS after each round of the searches', eachRound(results.memory.afterSearchRounds), '', '']]
      : []),
    ['PSS after searching and scrolling 1,000 cards', `${r0(pssEnd)} MiB (RSS ${r0(results.memory.afterScroll.rss)} MiB): ${results.memory.afterScroll.rows.map((r) => `${r.comm} ${r0(r.pss)}`).join(', ')}`, `< ${TARGETS.pssMiB} MiB`, verdict(pssEnd < TARGETS.pssMiB)],
    [`scrolling ${results.scroll.furthest} cards, a viewport every 100 ms`, `${results.scroll.dropped} dropped pages of ${results.scroll.steps} (${r0(results.scroll.blankMs)} ms blank)`, '0 dropped', verdict(results.scroll.dropped === 0 && results.scroll.furthest >= SCROLL_CARDS)],
    ['frames while scrolling: median / p95 / longest', `${r0(results.scroll.frameMedianMs)} / ${r0(results.scroll.frameP95Ms)} / ${r0(results.scroll.longestFrameMs)} ms; ${results.scroll.framesOver50} of ${results.scroll.frames} over 50 ms`, '', ''],
    ...(results.memory.afterPasses.length > 1
      ? [[`PSS after each pass over the same ${SCROLL_CARDS} cards (back at the top before each)`, eachRound(results.memory.afterPasses), '', '']]
      : []),
    ['DOM after scrolling', `${results.scroll.cardsInDom} cards, ${results.scroll.imgs} pictures, ${results.scroll.domNodes} elements`, '', ''],
    ...peerRows(results),
  ];
  const md = [
    `App at 100,000 articles, ${appBinary}, ${new Date().toISOString()}. Load average (1, 5, 15 min) at the start ${results.loadStart}, at the end ${results.loadEnd}. Origin served ${served.pictures} pictures and ${served.feeds} feed requests (${served.notModified} answered 304).`,
    '',
    '| measurement | figure | target | result |',
    '|---|---|---|---|',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    '',
    'Where the PSS is after searching and scrolling (MiB, the largest mappings of each process):',
    '',
    ...results.memory.afterScroll.rows.map((r) => `- ${r.comm} ${r0(r.pss)}: ${r.top.map(([n, v]) => `${n} ${v.toFixed(1)}`).join(', ')}`),
    '',
  ].join('\n');
  console.log(md);
  const out = join(process.env.CARGO_TARGET_DIR ?? join(root, 'target'), 'bench-app');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'bench-app.md'), md);
  writeFileSync(join(out, 'bench-app.json'), JSON.stringify(results, null, 1));
  console.error(`bench-app: wrote ${join(out, 'bench-app.md')} and bench-app.json`);
}

/** PSS after each of the repeated searches or scrolls, the web process's, and (for scrolls)
 * the pages each dropped. */
function eachRound(readings) {
  const all = (f) => readings.map(f).join(' / ');
  const dropped = readings.every((m) => m.dropped !== undefined) ? `; dropped pages ${all((m) => m.dropped)}` : '';
  return `${all((m) => r0(m.pss))} MiB (the web process ${all((m) => r0(m.rows.find((r) => r.comm.startsWith('WebKitWebProc'))?.pss ?? NaN))}${dropped})`;
}

/** The peer's rows: the same cards without a framework in WebKitGTK's MiniBrowser, and the
 * app's PSS over it (bench-peer.js). */
function peerRows({ peer, floor, memory, scrollOnly }) {
  if (!peer) return [];
  if (peer.missing) return [['peer: the same cards without a framework in MiniBrowser', peer.missing, '', '']];
  const mem = (m) => `${r0(m.pss)} MiB: ${m.rows.map((r) => `${r.comm} ${r0(r.pss)}`).join(', ')}`;
  // Without MiniBrowser the peer's row above already says so.
  const floorRows = floor?.afterLaunch
    ? [
        ["WebKitGTK's floor: MiniBrowser on an empty page, PSS", mem(floor.afterLaunch), '', ''],
        [
          'above that floor: the target / the peer after scrolling / the app after searching and scrolling',
          `${r0(TARGETS.pssMiB - floor.afterLaunch.pss)} / ${r0(peer.afterScroll.pss - floor.afterLaunch.pss)} / ${r0(memory.afterScroll.pss - floor.afterLaunch.pss)} MiB`,
          '',
          '',
        ],
      ]
    : [];
  const ratios = (app) => `${(app.afterLaunch.pss / peer.afterLaunch.pss).toFixed(2)} / ${(app.afterScroll.pss / peer.afterScroll.pss).toFixed(2)}`;
  return [
    ['peer: the same cards without a framework in WebKitGTK\'s MiniBrowser, PSS after launch', mem(peer.afterLaunch), '', ''],
    [`peer: PSS after scrolling ${peer.scroll.furthest} cards alike (no search; ${peer.scroll.dropped} dropped pages of ${peer.scroll.steps})`, mem(peer.afterScroll), '', ''],
    ...(scrollOnly
      ? [
          [`the app once more, scrolling only (a fresh launch, no search; its pictures shown): PSS after launch / after scrolling ${scrollOnly.furthest} cards`, `${r0(scrollOnly.afterLaunch.pss)} MiB / ${mem(scrollOnly.afterScroll)}`, '', ''],
          ['the app ÷ the peer, both scrolling only: PSS after launch / after scrolling', ratios(scrollOnly), '', ''],
        ]
      : []),
    ['the app ÷ the peer, the app having searched too: PSS after launch / after scrolling', ratios(memory), '', ''],
    ...floorRows,
  ];
}

try {
  await main();
} finally {
  if (profileHome) rmSync(profileHome, { recursive: true, force: true });
}
