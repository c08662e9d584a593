// The real app (debug build) in a real WebKitGTK window under Xvfb, driven over WebDriver
// by tauri-driver, against the fixture news server on 127.0.0.1. Steps run in order and
// share one profile, so "after a restart" means a new app process on the same data.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { By, Key, until } from 'selenium-webdriver';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import {
  startFixtureServer, prepareProfile, startDriver, openApp, byTestId, waitVisible, computed, screenshot, clipboardText, settle, fakeOpener, shutDown,
  appPid, processTree, windowPixels, appBinary,
} from './harness.js';

let site, profile, driver, app, opener;

async function restart() {
  await app.quit();
  app = await openApp(driver);
}

async function cards() {
  return app.findElements(byTestId('article-card'));
}

async function waitForCards(min) {
  await app.wait(async () => (await cards()).length >= min, 30000, `expected at least ${min} article cards`);
}

async function openArticleTitled(text) {
  await app.executeScript(() => { location.hash = '#/'; });
  await waitForCards(1);
  const card = await app.wait(async () => {
    for (const c of await cards()) if ((await c.getText()).includes(text)) return c;
    return null;
  }, 20000, `no card with ${text}`);
  await card.click();
  const title = await waitVisible(app, 'article-title');
  await app.wait(async () => (await title.getText()).includes(text), 10000);
}

async function bodyFontSize() {
  await waitVisible(app, 'article-body');
  return parseFloat(await computed(app, 'article-body', 'fontSize'));
}

before(async () => {
  site = await startFixtureServer();
  profile = prepareProfile([[`${site.url}/`, 'site'], [`${site.url}/en/`, 'site']]);
  opener = fakeOpener();
  driver = await startDriver(profile, { PATH: opener.path });
  app = await openApp(driver);
});

after(() => shutDown({ app, driver, site }));

test('sync fetches the fixture site into cards', async () => {
  await (await waitVisible(app, 'sync-now')).click();
  await waitForCards(5);
  const text = (await Promise.all((await cards()).map((c) => c.getText()))).join('\n');
  assert.match(text, /В Баку открылся международный форум аналитиков/);
  assert.match(text, /CICA and security/);
});

test('an article opens with its title, body and views, and is marked read', async () => {
  await openArticleTitled('Цены на нефть выросли');
  const body = await (await waitVisible(app, 'article-body')).getText();
  assert.match(body, /Azeri Light подорожала/);
  assert.doesNotMatch(body, /КУПИТЬ/, 'ads are not part of the body');
  const page = await app.findElement(By.css('body')).getText();
  assert.match(page, /Просмотров|Views/);
});

test('cards get their pictures scaled to the card by the app; the article gets the whole picture', async () => {
  // The fixture's covers are 320×180; a card's box is 112×84 CSS px (device pixel ratio 1
  // here), so the app serves 150×84: the web view never decodes a whole cover for a card.
  const sizes = () =>
    app.executeScript(() =>
      [...document.querySelectorAll('[data-testid="article-card"] img')]
        .filter((i) => i.complete && i.naturalWidth > 0)
        .map((i) => [i.naturalWidth, i.naturalHeight, i.getAttribute('src')]),
    );
  const cardPictures = await app.wait(async () => ((await sizes()).length > 0 ? sizes() : null), 10000, 'card pictures drawn');
  for (const [width, height, src] of cardPictures) {
    assert.match(src, /\?w=112$/, 'cards ask for a thumbnail of their box');
    assert.deepEqual([width, height], [150, 84], `${src}: scaled to cover 112×84`);
  }
  await openArticleTitled('Цены на нефть выросли');
  const cover = await app.wait(
    () =>
      app.executeScript(() => {
        const img = [...document.querySelectorAll('img')].find((i) => !i.closest('[data-testid="article-card"]') && !i.closest('[data-testid="article-body"]') && i.complete && i.naturalWidth > 0);
        return img ? [img.naturalWidth, img.naturalHeight] : null;
      }),
    10000,
    'the article cover drawn',
  );
  assert.deepEqual(cover, [320, 180], 'the article view shows the picture itself');
});

test('A+ enlarges the body text and it stays enlarged after a restart', async () => {
  const before = await bodyFontSize();
  await (await waitVisible(app, 'text-larger')).click();
  await (await waitVisible(app, 'text-larger')).click();
  const larger = await bodyFontSize();
  assert.ok(larger > before, `font size ${before} → ${larger}`);
  await restart();
  await openArticleTitled('Цены на нефть выросли');
  assert.equal(await bodyFontSize(), larger);
  await (await waitVisible(app, 'text-smaller')).click();
  assert.ok((await bodyFontSize()) < larger, 'A- makes it smaller again');
});

test('the theme switch changes the background and persists', async () => {
  const themeOf = () => app.executeScript(() => document.documentElement.dataset.theme);
  const background = () => app.executeScript(() => getComputedStyle(document.body).backgroundColor);
  await screenshot(app, 'desktop-light');
  const firstTheme = await themeOf();
  const firstBackground = await background();
  for (let i = 0; i < 3 && (await themeOf()) === firstTheme; i++) {
    await (await waitVisible(app, 'theme-toggle')).click();
    await settle(app);
  }
  const changed = await themeOf();
  assert.notEqual(changed, firstTheme);
  assert.notEqual(await background(), firstBackground);
  if (changed !== 'dark') {
    while ((await themeOf()) !== 'dark') await (await waitVisible(app, 'theme-toggle')).click();
  }
  await screenshot(app, 'desktop-dark');
  const darkBackground = await background();
  await restart();
  await app.wait(async () => (await themeOf()) === 'dark', 10000);
  assert.equal(await background(), darkBackground);
});

test('text is set in sans-serif by name, which is what system-ui fell back to in WebKitGTK: the same look, without a failed font lookup per size and weight', async () => {
  const fonts = await app.executeScript(() => {
    const width = (family) => {
      const probe = document.createElement('span');
      probe.style.font = `600 17px ${family}`;
      probe.textContent = 'Президент выступил, Azərbaycan şəhər, quick brown fox 1234';
      document.body.append(probe);
      const w = probe.getBoundingClientRect().width;
      probe.remove();
      return w;
    };
    return {
      stack: document.documentElement.dataset.fontStack,
      body: getComputedStyle(document.body).fontFamily,
      sansSerif: width('sans-serif'),
      systemUi: width('system-ui, sans-serif'),
      serif: width('serif'),
    };
  });
  assert.equal(fonts.stack, 'webkitgtk', 'boot.js recognised WebKitGTK');
  assert.equal(fonts.body, 'sans-serif');
  assert.notEqual(fonts.sansSerif, fonts.serif, 'the probe tells two fonts apart');
  assert.equal(fonts.sansSerif, fonts.systemUi, 'system-ui, sans-serif is drawn in the same font as sans-serif');
});

test('copy link puts the canonical URL on the clipboard and shows the toast', async () => {
  await openArticleTitled('В Гяндже открыли новый парк');
  await (await waitVisible(app, 'copy-link')).click();
  const toast = await waitVisible(app, 'toast');
  assert.match(await toast.getText(), /Ссылка скопирована|Link copied|Link kopyalandı/);
  assert.equal(clipboardText().trim(), `${site.url}/post/gyandzha-park`);
  const share = await (await waitVisible(app, 'share-menu')).getAttribute('innerHTML');
  assert.ok(share.length > 0);
});

const PARK_TITLE = 'В Гяндже открыли новый парк';
const parkLink = () => `${site.url}/post/gyandzha-park`;

/** Clicks `element` and returns what the system opener was handed. */
async function openedBy(element) {
  const before = opener.opened().length;
  await element.click();
  return opener.openedSince(before);
}

test('"open original" hands the canonical article link to the system opener', async () => {
  await openArticleTitled(PARK_TITLE);
  assert.deepEqual(await openedBy(await waitVisible(app, 'open-original')), [parkLink()]);
});

/** Opens the park article's original through the system opener; returns the environment
 * the opener was started with (what anything the app opens inherits). */
async function environmentPassedOn() {
  await openArticleTitled(PARK_TITLE);
  assert.deepEqual(await openedBy(await waitVisible(app, 'open-original')), [parkLink()]);
  return opener.environment();
}

test('neither the app\'s process nor its web process loads a GL driver (about 25 MiB each), the web process opens its EGL display on the app\'s display-only vendor, yet the window shows the page on screen; what the app opens inherits none of it', async () => {
  const pid = appPid();
  assert.ok(pid, 'the app runs');
  const maps = (p) => readFileSync(`/proc/${p}/maps`, 'utf8');
  const glDriver = /libLLVM|swrast_dri|libgallium|libEGL_mesa|libGLX_mesa/;
  assert.doesNotMatch(maps(pid), glDriver, 'Mesa mapped in the app\'s own process');
  const web = processTree(pid).find((p) => p.comm.startsWith('WebKitWebProces'));
  assert.ok(web, 'the web process runs');
  assert.doesNotMatch(maps(web.pid), glDriver, 'Mesa mapped in the web process');
  // The vendor as the app wrote it, into the reader's runtime directory or cache.
  const vendor = maps(web.pid).match(/\S*\/caliber-reader\/libegl-display-only-[0-9a-f]{16}\.so/);
  assert.ok(vendor, 'the web process loaded the display-only EGL vendor');
  assert.ok([process.env.XDG_RUNTIME_DIR, profile.home].some((dir) => dir && vendor[0].startsWith(dir)), vendor[0]);
  // And the window is on screen all the same: the X server's pixels of it hold the page,
  // its text and pictures in many colours, not one plain background. Read once the page
  // is drawn: run first, this test read the window 40 ms after launch, still one colour.
  const coloursOnScreen = () => {
    const onScreen = windowPixels('Caliber Reader');
    const colours = new Set();
    for (let y = 0; y < onScreen.height; y += 2) for (let x = 0; x < onScreen.width; x += 2) colours.add(onScreen.colour(x, y));
    return colours.size;
  };
  await waitVisible(app, 'sync-now');
  let colours = 0;
  await app.wait(() => (colours = coloursOnScreen()) > 100, 10000).catch(() => {});
  assert.ok(colours > 100, `the window on screen shows ${colours} colours`);
  const passedOn = await environmentPassedOn();
  assert.equal(passedOn.get('GDK_GL'), undefined);
  assert.equal(passedOn.get('__EGL_VENDOR_LIBRARY_FILENAMES'), undefined);
  assert.equal(startedWith(web.pid).get('GDK_GL'), 'disable', 'GDK in the web process probes no GLX');
});

/** The files process `pid` has mapped, each once. */
function mappedFiles(pid) {
  return [...new Set(readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n').map((l) => l.split(/\s+/)[5]).filter(Boolean))];
}

/** The environment process `pid` started with (`/proc/PID/environ`), by name. */
function startedWith(pid) {
  const entries = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').filter(Boolean);
  return new Map(entries.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
}

/** WebKit's web and network processes under the app's process `pid`. */
function webkitProcesses(pid) {
  const webkit = processTree(pid).filter((p) => /^WebKit(WebProces|NetworkPr)/.test(p.comm));
  assert.equal(webkit.length, 2, `WebKit's web and network processes run: ${webkit.map((p) => p.comm)}`);
  return webkit;
}

test('WebKit\'s processes start with flite\'s largest voice loaded first (1.8 million symbol lookups, about 10 ms, saved in each), the app\'s own binary names it early, and what the app opens inherits no preload', async () => {
  const pid = appPid();
  assert.ok(pid, 'the app runs');
  const voice = 'libflite_cmu_time_awb.so.1';
  const neededBy = (file) => execFileSync('readelf', ['-d', file], { encoding: 'utf8' }).split('\n').map((l) => /\(NEEDED\).*\[(.+)\]/.exec(l)?.[1]).filter(Boolean);
  // Only where the system's WebKitGTK links the voice (Debian's and Ubuntu's do; this machine's must).
  const webkitLibrary = mappedFiles(pid).find((f) => /libwebkit2gtk-4\.1\.so/.test(f));
  assert.ok(webkitLibrary && neededBy(webkitLibrary).includes(voice), `WebKitGTK (${webkitLibrary}) links ${voice}`);
  const webkit = webkitProcesses(pid);
  for (const p of webkit) assert.equal(startedWith(p.pid).get('LD_PRELOAD'), voice, `${p.comm} started with the voice preloaded`);
  // Loaded first, the voice's names (generic ones: frame_12, res_3) would win over any other
  // library's of the same name, so none of the web process's libraries may define one.
  const defined = (file) => execFileSync('nm', ['-D', '--defined-only', file], { encoding: 'utf8', maxBuffer: 256 << 20 })
    .split('\n').map((l) => l.split(' ')[2]?.replace(/@.*$/, '')).filter(Boolean);
  const web = webkit.find((p) => p.comm.startsWith('WebKitWebProces'));
  const libraries = mappedFiles(web.pid).filter((f) => /^\/.*\.so[.\d]*$/.test(f));
  const voiceFile = libraries.find((f) => f.includes('libflite_cmu_time_awb'));
  const voiceNames = new Set(defined(voiceFile));
  assert.ok(voiceNames.size > 30000, `the voice's names read from ${voiceFile}: ${voiceNames.size}`);
  const clashes = libraries.filter((f) => f !== voiceFile).flatMap((f) => defined(f).filter((n) => voiceNames.has(n)).map((n) => `${n} in ${f}`));
  assert.ok(libraries.length > 100, `the web process's libraries: ${libraries.length}`);
  assert.deepEqual(clashes, [], 'a library of the web process defines a name the preloaded voice defines too');
  // The app's own process loads it as a library its binary names, so before WebKit's own
  // dependencies (the loader's order is the binary's libraries, then theirs).
  const appNeeds = neededBy(appBinary);
  assert.ok(appNeeds.includes(voice), `the app's binary names the voice: ${appNeeds.join(' ')}`);
  assert.equal((await environmentPassedOn()).get('LD_PRELOAD'), undefined, 'the system opener inherited the preload');
});

test('WebKit\'s processes start with JavaScriptCore in its small-memory mode and without its fourth tier (274 MiB instead of 307 after searching and scrolling at 100k), and what the app opens inherits neither option', async () => {
  const pid = appPid();
  assert.ok(pid, 'the app runs');
  const webkit = webkitProcesses(pid);
  for (const p of webkit) {
    const env = startedWith(p.pid);
    assert.equal(env.get('JSC_forceMiniVMMode'), '1', `${p.comm} started in the small-memory mode`);
    assert.equal(env.get('JSC_useFTLJIT'), '0', `${p.comm} started without the FTL tier`);
  }
  const passedOn = await environmentPassedOn();
  assert.equal(passedOn.get('JSC_forceMiniVMMode'), undefined, 'the system opener inherited the small-memory mode');
  assert.equal(passedOn.get('JSC_useFTLJIT'), undefined, 'the system opener inherited the FTL setting');
});

test('share buttons open the share page with the canonical link URL-encoded in it', async () => {
  await openArticleTitled(PARK_TITLE);
  const share = (id) => app.findElement(By.css(`[data-testid="share-menu"] [data-share="${id}"]`));
  const link = encodeURIComponent(parkLink());
  const title = encodeURIComponent(PARK_TITLE);
  assert.deepEqual(await openedBy(await share('x')), [`https://x.com/intent/post?url=${link}&text=${title}`]);
  assert.deepEqual(await openedBy(await share('telegram')), [`https://t.me/share/url?url=${link}&text=${title}`]);
  assert.deepEqual(await openedBy(await share('email')), [
    `mailto:?subject=${title}&body=${encodeURIComponent(`${PARK_TITLE}\n\n${parkLink()}`)}`,
  ]);
});

test('a link in the article body opens in the system browser, exactly as the article has it', async () => {
  await openArticleTitled(PARK_TITLE);
  const link = await app.findElement(By.css('[data-testid="article-body"] a[href*="example.org"]'));
  assert.deepEqual(await openedBy(link), ['https://www.example.org/ganja/park?from=caliber&lang=ru']);
  assert.equal(await app.executeScript(() => location.protocol), 'tauri:', 'the app stays');
});

test('a script sending the window to another site: the app stays, the site opens in the browser', async () => {
  const away = `${site.url}/somewhere?from=app`;
  const before = opener.opened().length;
  await app.executeScript((url) => { location.href = url; }, away);
  assert.deepEqual(await opener.openedSince(before), [away]);
  assert.equal(await app.executeScript(() => location.protocol), 'tauri:');
  await waitVisible(app, 'sync-now');
  assert.equal((await site.hits())['/somewhere'], undefined, 'the webview never loaded the page');
});

test('a link opened in a new window goes to the system browser, and no second window appears', async () => {
  const away = `${site.url}/elsewhere`;
  await app.executeScript((url) => {
    const a = Object.assign(document.createElement('a'), { href: url, target: '_blank', textContent: 'elsewhere' });
    a.dataset.testid = 'new-window-link';
    a.style.cssText = 'position:fixed;top:0;left:0;z-index:9999;padding:12px;background:#fff';
    document.body.append(a);
  }, away);
  try {
    assert.deepEqual(await openedBy(await waitVisible(app, 'new-window-link')), [away]);
    assert.equal((await app.getAllWindowHandles()).length, 1);
    assert.equal((await site.hits())['/elsewhere'], undefined);
  } finally {
    await app.executeScript(() => document.querySelector('[data-testid="new-window-link"]')?.remove());
  }
});

test('search finds an article by a Russian word', async () => {
  await app.executeScript(() => { location.hash = '#/search'; });
  const input = await waitVisible(app, 'search-input');
  await input.sendKeys('НЕФТЬ');
  const result = await waitVisible(app, 'search-result');
  assert.match(await result.getText(), /нефть/i);
});

test('a saved article survives a restart', async () => {
  await openArticleTitled('Каспий: экология и судоходство');
  const toggle = await waitVisible(app, 'save-toggle');
  await toggle.click();
  await app.wait(async () => (await toggle.getAttribute('aria-pressed')) === 'true', 5000);
  // The list beside the reader shows it read and saved: the list keeps its articles raw, so
  // the reader's marks reach it only through its ListSource.patch (ui/src/lib/lists.svelte.ts).
  await app.wait(async () => app.executeScript(() => {
    const card = [...document.querySelectorAll('[data-testid="article-card"]')].find((c) => c.textContent.includes('Каспий: экология'));
    return Boolean(card && !card.classList.contains('unread') && card.querySelector('.saved-mark'));
  }), 5000, 'the list beside the reader shows the article read and saved');
  await restart();
  await (await waitVisible(app, 'nav-saved')).click();
  await app.wait(async () => {
    const list = await cards();
    return list.length === 1 && (await list[0].getText()).includes('Каспий');
  }, 10000, 'the saved list holds the saved article');
});

test('with the server down the saved article opens with its cover and the offline banner shows', async () => {
  await site.control('down');
  await (await waitVisible(app, 'sync-now')).click();
  await waitVisible(app, 'offline-banner', 30000);
  await (await waitVisible(app, 'nav-saved')).click();
  await waitForCards(1);
  await (await cards())[0].click();
  await waitVisible(app, 'article-title');
  const cover = await app.wait(async () => {
    const loaded = await app.executeScript(() => {
      const imgs = [...document.querySelectorAll('img')].filter((i) => i.closest('[data-testid="article-body"]') === null);
      return imgs.some((i) => i.complete && i.naturalWidth > 0 && i.src.includes('caliber-img'));
    });
    return loaded;
  }, 10000, 'cover image shown from the offline store');
  assert.ok(cover);
  const body = await (await waitVisible(app, 'article-body')).getText();
  assert.match(body, /Экологи обсуждают/);
  await screenshot(app, 'desktop-offline');
  await site.control('normal');
});

test('phone-sized window: single column, light and night screenshots', async () => {
  await app.manage().window().setRect({ width: 390, height: 844 });
  await app.executeScript(() => { location.hash = '#/'; });
  await waitForCards(1);
  const toggle = await waitVisible(app, 'theme-toggle');
  const themeOf = () => app.executeScript(() => document.documentElement.dataset.theme);
  while ((await themeOf()) !== 'light') await toggle.click();
  await screenshot(app, 'phone-light');
  await openArticleTitled('В Баку открылся международный форум');
  await screenshot(app, 'phone-article-light');
  while ((await themeOf()) !== 'dark') await (await waitVisible(app, 'theme-toggle')).click();
  await screenshot(app, 'phone-article-dark');
  await app.executeScript(() => { location.hash = '#/'; });
  await waitForCards(1);
  await screenshot(app, 'phone-dark');
  const width = await app.executeScript(() => document.documentElement.clientWidth);
  assert.ok(width <= 400, `phone width ${width}`);
  const touchTargets = await app.executeScript(() =>
    ['sync-now', 'theme-toggle', 'nav-saved'].map((id) => document.querySelector(`[data-testid="${id}"]`).getBoundingClientRect().height));
  for (const h of touchTargets) assert.ok(h >= 44, `touch target ${h}px`);
});
