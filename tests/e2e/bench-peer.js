// The peer for the app's memory (issue 15, item 5): the same cards without a framework in
// WebKitGTK's own MiniBrowser, measured in the same run as the app. bench-peer.html draws
// the app's list (its markup and CSS, windowed the same way) in plain DOM calls; the page
// is scrolled by the same function as the app's (scrollInPage in bench-app.js), and the
// PSS of MiniBrowser and its WebKit processes is read as the app's is. What it shows: how
// much of the app's memory WebKitGTK takes for this list whatever draws it. MiniBrowser on
// an empty page (emptyPageFloor) gives the engine's own floor, under any page at all.

import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';

const here = new URL('.', import.meta.url).pathname;

/** WebKitGTK's MiniBrowser (in libwebkit2gtk-4.1-0 itself, under the multiarch libdir). */
export function miniBrowser() {
  for (const dir of readdirSync('/usr/lib')) {
    const path = join('/usr/lib', dir, 'webkit2gtk-4.1', 'MiniBrowser');
    if (existsSync(path)) return path;
  }
  return null;
}

/** The newest `count` articles, as the core lists them (the real CLI on the app's database). */
function articles(cli, count) {
  return JSON.parse(cli('articles', '--json', '--limit', String(count))).map((a) => ({
    id: a.id,
    title: a.title,
    section: a.categories[0] ?? '',
    publishedAt: a.published_at,
    breaking: a.is_breaking,
    read: a.read,
  }));
}

/** MiniBrowser on the root of `server` (listening on 127.0.0.1), as the app's web view draws:
 * no compositing (src-tauri/src/lib.rs sets the same policy). */
function openPage(browser, server) {
  const url = `http://127.0.0.1:${server.address().port}/`;
  return spawn(browser, [url], { env: { ...process.env, WEBKIT_DISABLE_COMPOSITING_MODE: '1' }, stdio: 'ignore' });
}

/** `promise`, or a failure naming `what` after `ms` (the timer cleared either way). */
async function within(promise, ms, what) {
  let timer;
  const late = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`peer: ${what} within ${ms / 1000} s`)), ms)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * WebKitGTK's own floor: MiniBrowser on a page with one line of text, PSS 2 s after the
 * page has run its script (as the peer's after launch). What no page drawn in this engine
 * can go below: the rest of the app's figure is its page, its scroll and its searches.
 */
export async function emptyPageFloor({ memory, sleep }) {
  const browser = miniBrowser();
  if (!browser) return { missing: 'WebKitGTK MiniBrowser not found under /usr/lib/*/webkit2gtk-4.1/' };
  let ready = null;
  const readyNow = new Promise((r) => (ready = r));
  const server = createServer((req, res) => {
    if (req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><title>Empty</title><p>Empty page</p><script>fetch("/ready")</script>');
    } else {
      if (req.url === '/ready') ready();
      res.writeHead(req.url === '/ready' ? 200 : 404).end();
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const child = openPage(browser, server);
  try {
    await within(readyNow, 60000, 'the empty page not loaded');
    await sleep(2000);
    return { browser, afterLaunch: memory(child.pid) };
  } finally {
    child.kill();
    server.close();
  }
}

/**
 * Launch MiniBrowser on the peer page, measure once its first cards are drawn, scroll
 * `cards` cards with `scrollInPage`, measure again. `memory(pid)` is the app's measure, `cli` the CLI on the app's database.
 */
export async function frameworklessPeer({ cli, css, cards, scrollInPage, memory, sleep }) {
  const browser = miniBrowser();
  if (!browser) return { missing: 'WebKitGTK MiniBrowser not found under /usr/lib/*/webkit2gtk-4.1/' };
  const list = articles(cli, cards + 500);
  const page = readFileSync(join(here, 'bench-peer.html'), 'utf8')
    .replace('/*APP_CSS*/', () => css)
    .replace('/*SCROLL_IN_PAGE*/ null', () => scrollInPage.toString())
    .replace('/*CARDS*/ 0', String(cards));
  let ready = null;
  let go = null;
  const readyNow = new Promise((r) => (ready = r));
  const goNow = new Promise((r) => (go = r));
  let done = null;
  const doneNow = new Promise((r) => (done = r));
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
    } else if (url.pathname === '/page') {
      const from = Number(url.searchParams.get('from'));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ items: list.slice(from, from + 50), next: from + 50 < list.length ? from + 50 : null }));
    } else if (url.pathname === '/ready') {
      ready();
      goNow.then(() => res.end('{}'));
    } else if (url.pathname === '/done') {
      let body = '';
      req.on('data', (c) => (body += c)).on('end', () => (res.end('{}'), done(JSON.parse(body))));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const child = openPage(browser, server);
  try {
    await within(readyNow, 60000, 'no first cards');
    await sleep(2000);
    const afterLaunch = memory(child.pid);
    go();
    const scroll = await within(doneNow, 300000, 'scroll not finished');
    await sleep(2000);
    const afterScroll = memory(child.pid);
    return { browser, afterLaunch, afterScroll, scroll };
  } finally {
    child.kill();
    server.close();
  }
}
