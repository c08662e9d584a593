// Hostile HTML in the real WebView (issue 12, item 4). The corpus of script-injection tricks
// in tests/fixture-server/hostile/corpus.json is served by the fixture server as a feed
// (titles, summaries, bodies, picture URLs) and as article pages (read by the site adapter
// when the feed has only a summary), synced with the real CLI, and every article is opened
// in the real app. Canaries: `window.__pwned` (every script payload sets it) and a request
// for /leak at the fixture server (every payload asks for one, by script or by loading it).
// Also: the WebView itself requests nothing from the fixture host (pictures come through the
// caliber-img scheme, fetched by the Rust core), and clicking any link in a body leaves the
// app where it was: http(s)/mailto links go to the system opener exactly as written, any
// other link goes nowhere.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { By, until } from 'selenium-webdriver';
import { root, startFixtureServer, prepareProfile, startDriver, openApp, byTestId, waitVisible, fakeOpener, settle, shutDown } from './harness.js';

const corpus = JSON.parse(readFileSync(join(root, 'tests/fixture-server/hostile/corpus.json'), 'utf8')).payloads;

let site, profile, driver, app, opener;
/** Requests the fixture site had when the CLI sync was done. */
let afterCliSync = 0;
let cliPaths;
let articleCount = 0;
const clicked = { external: 0, inert: 0, original: 0 };
/** What the opener must have been handed, in order (only links we clicked). */
const expectedOpened = [];

/** The script canary: 'unset' unless a payload ran (WebDriver reports undefined as null). */
const pwned = () => app.executeScript(() => (typeof window.__pwned === 'undefined' ? 'unset' : `set: ${String(window.__pwned)}`));
const isWebKit = (ua) => /AppleWebKit|WebKit|Mozilla/.test(ua);

before(async () => {
  site = await startFixtureServer();
  profile = prepareProfile([[`${site.url}/hostile/rss.xml`, 'feed']]);
  const out = profile.cli('sync');
  assert.match(out, /18 new/, out);
  // Stored covers (what the app will ask caliber-img for): web pictures off the app's own
  // origins only, whatever the feed named (javascript:, data:, caliber-img:, *.localhost).
  const stored = JSON.parse(profile.cli('articles', '--json', '--limit', '100'));
  assert.equal(stored.length, 18);
  for (const a of stored.filter((x) => x.image_url)) {
    const u = new URL(a.image_url);
    assert.ok(/^https?:$/.test(u.protocol) && !/(^|\.)localhost\.?$/i.test(u.hostname), `${a.title}: cover ${a.image_url}`);
  }
  const log = await site.requests();
  afterCliSync = log.length;
  cliPaths = new Set(log.map((r) => r.path));
  opener = fakeOpener();
  driver = await startDriver(profile, { PATH: opener.path });
  app = await openApp(driver);
});

after(() => shutDown({ app, driver, site }));

async function cardIndex(label) {
  return app.executeScript(
    (text) => [...document.querySelectorAll('[data-testid="article-card"]')].findIndex((c) => c.textContent.includes(text)),
    label,
  );
}

async function openFromList(label) {
  await app.executeScript(() => { location.hash = '#/'; });
  const index = await app.wait(async () => {
    const i = await cardIndex(label);
    return i >= 0 ? i + 1 : null;
  }, 20000, `no card ${label}`) - 1;
  const card = (await app.findElements(byTestId('article-card')))[index];
  await app.executeScript((c) => c.scrollIntoView({ block: 'center' }), card);
  await card.click();
  const title = await waitVisible(app, 'article-title');
  await app.wait(async () => (await title.getText()).includes(label), 10000, `article ${label} did not open`);
}

/** Scrolls the article to its end in steps, so lazy pictures and anything on view load. */
async function scrollThrough() {
  await app.executeAsyncScript((done) => {
    const pane = document.querySelector('[data-testid="article-body"]')?.closest('[data-scroll]') ?? document.scrollingElement;
    const panes = [pane, document.scrollingElement].filter(Boolean);
    let step = 0;
    const tick = () => {
      for (const p of panes) p.scrollBy(0, 400);
      if (++step < 12) setTimeout(tick, 40);
      else done();
    };
    tick();
  });
}

/** What is in the rendered body that should never be there. */
async function bodyViolations() {
  return app.executeScript(() => {
    const body = document.querySelector('[data-testid="article-body"]');
    const bad = [];
    for (const el of body.querySelectorAll('*')) {
      const tag = el.localName;
      if (['script', 'style', 'iframe', 'frame', 'frameset', 'object', 'embed', 'base', 'meta', 'link', 'form', 'input', 'button',
        'textarea', 'select', 'svg', 'math', 'template', 'noscript', 'portal', 'applet', 'video', 'audio', 'source'].includes(tag)) {
        bad.push(`<${tag}>`);
      }
      for (const { name, value } of el.attributes) {
        if (/^on/i.test(name) || ['style', 'srcdoc', 'srcset', 'formaction', 'action', 'data', 'poster', 'ping', 'xlink:href'].includes(name)) {
          bad.push(`${tag}[${name}]`);
        }
        if (name === 'href' && !/^(https?:|mailto:)/i.test(value)) bad.push(`a[href=${value}]`);
      }
      if (tag === 'img' && !/^(caliber-img:|http:\/\/caliber-img\.localhost\/)/.test(el.getAttribute('src') ?? '')) {
        bad.push(`img[src=${el.getAttribute('src')}]`);
      }
    }
    return bad;
  });
}

/** The article's pictures (cover and body): the original URL, and whether it was drawn. */
async function pictures() {
  return app.executeScript(() => [...document.querySelectorAll('.reader img')].map((i) => ({
    src: i.getAttribute('src'),
    original: i.getAttribute('data-original-src') ?? decodeURIComponent((i.getAttribute('src') ?? '').replace(/^caliber-img:\/\/localhost\//, '')),
    drawn: i.complete && i.naturalWidth > 0,
  })));
}

/** Pictures that are documents (SVG, HTML), whatever type they claim: never drawn. */
const documentPicture = /\/hostile\/pic\/(evil\.svg|svg-as-png\.png|html-as-png\.png|evil\.html)/;
const picturesSeen = { drawn: 0, refused: 0 };

/** Where the window is: the route and the article shown. */
async function whereAmI() {
  return app.executeScript(() => ({
    href: location.href,
    title: document.querySelector('[data-testid="article-title"]')?.textContent ?? null,
  }));
}

/** Clicks every link in the body; the app must stay on this article each time. */
async function clickEveryLink() {
  const here = await whereAmI();
  const links = await app.findElements(By.css('[data-testid="article-body"] a'));
  for (const link of links) {
    const href = await link.getAttribute('href');
    const before = opener.opened().length;
    await app.executeScript((a) => a.scrollIntoView({ block: 'center' }), link);
    try {
      await link.click();
    } catch {
      // Not clickable by pointer (e.g. an empty anchor): a script click goes the same way.
      await app.executeScript((a) => a.click(), link);
    }
    const external = href !== null && /^(https?:|mailto:)/i.test(href);
    const opened = await opener.openedSince(before, external ? 10000 : 700);
    if (external) {
      assert.deepEqual(opened, [href], `link ${href} goes to the opener exactly as written`);
      expectedOpened.push(href);
      clicked.external++;
    } else {
      assert.deepEqual(opened, [], `a link without an http(s)/mailto href (${href}) opens nothing`);
      clicked.inert++;
    }
    assert.deepEqual(await whereAmI(), here, `clicking ${href} left the app where it was`);
    assert.equal((await app.getAllWindowHandles()).length, 1, 'no second window');
  }
  return links.length;
}

/** "Open original", when the article has a link: only ever an http(s) URL, to the opener. */
async function clickOpenOriginal() {
  const buttons = await app.findElements(byTestId('open-original'));
  if (buttons.length === 0) return;
  const here = await whereAmI();
  const href = await buttons[0].getAttribute('href');
  assert.match(href, /^https?:\/\//, 'the original is a web page');
  const before = opener.opened().length;
  await buttons[0].click();
  assert.deepEqual(await opener.openedSince(before), [href]);
  expectedOpened.push(href);
  clicked.original++;
  assert.deepEqual(await whereAmI(), here);
}

test('the hostile feed is listed in the real app, and nothing ran', async () => {
  await app.wait(async () => (await app.findElements(byTestId('article-card'))).length >= 18, 30000, 'the 18 hostile articles are listed');
  await settle(app);
  assert.equal(await pwned(), 'unset');
});

const labels = Array.from({ length: 18 }, (_, i) => `Hostile ${String(i + 1).padStart(2, '0')} pwnbait`);

test('every hostile article opens, scrolls and runs nothing; every body link keeps the app where it was', async () => {
  const started = Date.now();
  let links = 0;
  for (const label of labels) {
    await openFromList(label);
    await scrollThrough();
    await new Promise((r) => setTimeout(r, 300));
    await settle(app);
    assert.equal(await pwned(), 'unset', `${label}: window.__pwned`);
    assert.deepEqual(await bodyViolations(), [], `${label}: what the body must not hold`);
    for (const pic of await pictures()) {
      assert.match(pic.src, /^caliber-img:\/\/localhost\//, `${label}: pictures come through caliber-img only`);
      if (documentPicture.test(pic.original)) {
        assert.equal(pic.drawn, false, `${label}: ${pic.original} is not drawn`);
        picturesSeen.refused++;
      }
    }
    if ((await pictures()).some((p) => /\/hostile\/pic\/ok\.png$/.test(p.original))) {
      // The control: a real picture through the same path is drawn.
      await app.wait(async () => (await pictures()).some((p) => /ok\.png$/.test(p.original) && p.drawn), 5000, `${label}: ok.png drawn`);
      picturesSeen.drawn++;
    }
    assert.deepEqual(opener.opened(), expectedOpened, `${label}: nothing was opened without a click`);
    links += await clickEveryLink();
    await clickOpenOriginal();
    assert.equal(await pwned(), 'unset', `${label}: window.__pwned after the clicks`);
    articleCount++;
  }
  console.log(`# ${articleCount} articles, ${links} body links clicked (${clicked.external} to the opener, ${clicked.inert} inert), ${clicked.original} "open original" in ${Math.round((Date.now() - started) / 1000)} s`);
  console.log(`# pictures: ${picturesSeen.refused} SVG/HTML pictures not drawn, a real PNG drawn in ${picturesSeen.drawn} articles`);
  assert.ok(clicked.external >= 8 && clicked.inert >= 10, JSON.stringify(clicked));
  assert.ok(picturesSeen.refused >= 3 && picturesSeen.drawn >= 2, JSON.stringify(picturesSeen));
});

test('searching a payload word and the saved view run nothing either', async () => {
  for (const word of ['pwnbait', 'onerror']) {
    await app.executeScript(() => { location.hash = '#/search'; });
    const input = await waitVisible(app, 'search-input');
    await input.clear();
    await input.sendKeys(word);
    await app.wait(async () => (await app.findElements(byTestId('search-result'))).length > 0, 10000, `results for ${word}`);
    await settle(app);
    const snippets = await app.executeScript(() => [...document.querySelectorAll('[data-testid="search-result"]')].map((r) => ({
      text: r.textContent,
      elements: [...r.querySelectorAll('.snippet *')].map((e) => e.localName),
    })));
    for (const s of snippets) assert.deepEqual(s.elements.filter((e) => e !== 'mark'), [], `only <mark> in a snippet: ${s.text}`);
    if (word === 'onerror') assert.ok(snippets.some((s) => s.text.includes('onerror')), 'markup kept as text shows as text');
    assert.equal(await pwned(), 'unset', `search ${word}`);
  }
  await openFromList(labels[0]);
  const toggle = await waitVisible(app, 'save-toggle');
  await toggle.click();
  await app.wait(async () => (await toggle.getAttribute('aria-pressed')) === 'true', 5000);
  await (await waitVisible(app, 'nav-saved')).click();
  await app.wait(async () => (await app.findElements(byTestId('article-card'))).length === 1, 10000, 'the saved article is listed');
  await settle(app);
  assert.equal(await pwned(), 'unset', 'saved view');
});

test('no canary fired: no /leak request, and the WebView fetched nothing from the fixture host', async () => {
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(await pwned(), 'unset');
  const log = await site.requests();
  const leaks = log.filter((r) => r.path.startsWith('/leak'));
  assert.deepEqual(leaks, [], 'no /leak request, from anyone');
  assert.deepEqual(log.filter((r) => isWebKit(r.ua)), [], 'no request from the WebView');
  const appSession = log.slice(afterCliSync);
  for (const r of appSession) {
    assert.match(r.ua, /^CaliberReader\//, `${r.path}: only the Rust core fetches`);
    assert.ok(cliPaths.has(r.path), `${r.path}: the app fetched only what the sync itself fetched (feed, pages, pictures)`);
  }
  assert.deepEqual(opener.opened(), expectedOpened, 'the opener got exactly the links clicked');
  const inputs = corpus.length;
  console.log(`# app session requests: ${appSession.map((r) => r.path).join(' ') || 'none'}`);
  console.log(`# ${inputs} hostile inputs rendered in ${articleCount} articles, 0 executed`);
  assert.equal(articleCount, 18);
});

/** A payload with its placeholders filled in, as the fixture server does (server.py `fill`). */
function fill(value, name) {
  const leak = `${site.url}/leak?name=${encodeURIComponent(name)}`;
  const js = `window.__pwned=1;fetch('${leak}')`;
  return value.replaceAll('{JS}', js).replaceAll('{LEAK}', leak).replaceAll('{HOSTENC}', encodeURIComponent(site.url)).replaceAll('{HOST}', site.url);
}

// The second layer on its own: the raw payloads, not sanitised, put into the live page with
// innerHTML (which fires handlers and loads frames, pictures and styles, but runs no <script>).
// The app's CSP must stop each of them without the sanitiser's help.
test('without the sanitiser, the CSP alone stops the markup payloads in the live page', async () => {
  await openFromList(labels[1]);
  const here = await whereAmI();
  const before = (await site.requests()).length;
  const openedBefore = opener.opened().length;
  // Named elements clobbering window.__pwned are the sanitiser's business (it drops id and name).
  const markup = corpus.filter((p) => ['body', 'page', 'summary'].includes(p.field) && p.name !== 'dom-clobbering').map((p) => fill(p.value, p.name));
  await app.executeScript((payloads) => {
    const box = document.createElement('div');
    box.id = 'raw-payloads';
    for (const html of payloads) {
      const d = document.createElement('div');
      d.innerHTML = html;
      box.append(d);
    }
    document.querySelector('[data-testid="article-body"]').append(box);
  }, markup);
  await new Promise((r) => setTimeout(r, 2000));
  const state = await app.executeScript(() => ({ pwned: typeof window.__pwned === 'undefined' ? 'unset' : `set: ${String(window.__pwned)}`, href: location.href }));
  await app.executeScript(() => document.getElementById('raw-payloads')?.remove());
  const during = (await site.requests()).slice(before);
  const opened = opener.opened().slice(openedBefore);
  console.log(`# raw (unsanitised) payloads in the live page: ${markup.length}; script ran: ${state.pwned}; window at ${state.href}; requests: ${during.map((r) => r.path).join(' ') || 'none'}; opened: ${opened.join(' ') || 'none'}`);
  assert.equal(state.pwned, 'unset', 'CSP: no inline script or handler ran');
  assert.deepEqual(during, [], 'CSP: nothing was fetched from the fixture host');
  assert.equal(state.href, here.href, 'the app stayed');
  // The one thing the CSP cannot stop (it has no directive for it): <meta http-equiv=refresh>
  // navigates the window; the navigation guard refuses it and hands an http(s) target to the
  // system browser, as it does for any script navigation. Only the sanitiser (which drops
  // <meta>) keeps that from happening without a click: see docs/reliability/hostile-html.md.
  const refreshes = new Set(corpus.filter((p) => /meta-refresh/.test(p.name)).map((p) => `${site.url}/leak?name=${encodeURIComponent(p.name)}`));
  for (const url of opened) assert.ok(refreshes.has(url), `only a meta refresh target reached the opener: ${url}`);
});
