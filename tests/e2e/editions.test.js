// The site's editions in the real app: the Armenian edition (listing, dates, search, UI
// language), sections per edition with the site's descriptions, "read in another edition"
// (online and offline), and article bodies without the site's interface pictures.
// Against the fixture site on 127.0.0.1, which serves RU (/), EN (/en/) and Armenian (/arm/).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { By } from 'selenium-webdriver';
import {
  startFixtureServer, prepareProfile, startDriver, openApp, byTestId, waitVisible, screenshot, clipboardText, settle, shutDown,
} from './harness.js';

let site, profile, driver, app;

const RU_FORUM = 'В Баку открылся международный форум аналитиков';
const HY_FORUM = 'Բաքվում բացվել է վերլուծաբանների միջազգային ֆորում';
const RU_PARK = 'В Гяндже открыли новый парк';
const EN_PARK = 'A new park opens in Ganja';
const ANALYTICS_DESCRIPTION = 'Analytical materials of the authors of Caliber.az';

async function cardTexts() {
  return Promise.all((await app.findElements(byTestId('article-card'))).map((c) => c.getText()));
}

async function home() {
  await app.executeScript(() => { location.hash = '#/'; });
  await app.wait(async () => (await app.findElements(byTestId('article-card'))).length > 0, 20000, 'no cards on the home screen');
}

/** The edition tab for `code` (data-edition), or "All" for null. */
async function chooseEdition(code) {
  const tabs = await (await waitVisible(app, 'edition-switch')).findElements(By.css('button'));
  for (const tab of tabs) {
    if ((await tab.getAttribute('data-edition')) === code || (code === null && (await tab.getAttribute('data-edition')) === null)) {
      await tab.click();
      await app.wait(async () => (await tab.getAttribute('aria-pressed')) === 'true', 5000);
      return;
    }
  }
  throw new Error(`no edition tab ${code}`);
}

/** Each section row: { edition, chips: [text…] }. */
async function sectionRows() {
  const rows = await app.findElements(byTestId('section-row'));
  return Promise.all(rows.map(async (row) => ({
    edition: await row.getAttribute('data-edition'),
    chips: await Promise.all((await row.findElements(By.css('button'))).map((b) => b.getText())),
  })));
}

async function openArticleTitled(text) {
  await home();
  await chooseEdition(null);
  const card = await app.wait(async () => {
    for (const c of await app.findElements(byTestId('article-card'))) if ((await c.getText()).includes(text)) return c;
    return null;
  }, 20000, `no card with ${text}`);
  await card.click();
  await titleIs(text);
}

async function titleIs(text) {
  const title = await waitVisible(app, 'article-title');
  await app.wait(async () => (await title.getText()).includes(text), 10000, `the article titled ${text}`);
}

/** The "read in …" offers of the article shown: [{ edition, text }]. */
async function readInOffers() {
  await app.wait(async () => (await app.findElements(byTestId('read-in'))).length > 0, 10000, 'no "read in" offer');
  return Promise.all((await app.findElements(byTestId('read-in'))).map(async (a) => ({
    edition: await a.getAttribute('data-edition'),
    text: await a.getText(),
  })));
}

async function clickReadIn(edition) {
  await (await app.findElement(By.css(`[data-testid="read-in"][data-edition="${edition}"]`))).click();
}

async function phone(on) {
  await app.manage().window().setRect(on ? { width: 390, height: 844 } : { width: 1280, height: 860 });
  await settle(app);
}

before(async () => {
  site = await startFixtureServer();
  profile = prepareProfile([[`${site.url}/`, 'site'], [`${site.url}/en/`, 'site'], [`${site.url}/arm/`, 'site']]);
  driver = await startDriver(profile);
  app = await openApp(driver);
  await app.manage().window().setRect({ width: 1280, height: 860 });
});

after(() => shutDown({ app, driver, site }));

test('a sync brings the Armenian edition: its cards under its own ARM tab, dated in Baku time', async () => {
  await (await waitVisible(app, 'sync-now')).click();
  await app.wait(async () => (await cardTexts()).some((t) => t.includes(HY_FORUM)), 60000, 'the Armenian article is listed');
  await chooseEdition('arm');
  await app.wait(async () => {
    const texts = await cardTexts();
    return texts.length === 3 && texts.every((t) => /[\u0531-\u0587]/.test(t));
  }, 10000, 'only the three Armenian articles under ARM');

  // Outside the app: the Armenian dates were read ("1 Դեկտեմբերի 2026 21:52" and so on):
  // the fixture published the Armenian forum story two minutes before the Russian one.
  const articles = JSON.parse(profile.cli('articles', '--json', '--limit', '100'));
  const hy = articles.find((a) => a.title === HY_FORUM);
  const ru = articles.find((a) => a.title === RU_FORUM);
  assert.equal(hy.language, 'hy');
  assert.equal(Date.parse(ru.published_at) - Date.parse(hy.published_at), 2 * 60_000);
  assert.ok(hy.url.endsWith('/arm/post/baqvum-forum'), hy.url);
  await screenshot(app, 'desktop-armenian');
});

test('sections belong to their edition: one labelled row per edition, and the site\'s description under ANALYTICS', async () => {
  await home();
  await chooseEdition(null);
  await app.wait(async () => (await sectionRows()).length === 3, 10000, 'a row of sections per edition');
  const rows = await sectionRows();
  assert.deepEqual(rows.map((r) => r.edition), ['ru', 'en', 'arm']);
  const [ru, en, hy] = rows;
  assert.ok(ru.chips.includes('АНАЛИТИКА') && !ru.chips.includes('ANALYTICS'), ru.chips.join(' '));
  assert.ok(en.chips.includes('ANALYTICS') && !en.chips.includes('АНАЛИТИКА'), en.chips.join(' '));
  assert.ok(hy.chips.includes('ՎԵՐԼՈՒԾՈՒԹՅՈՒՆ') && !hy.chips.includes('ANALYTICS'), hy.chips.join(' '));
  for (const row of rows) {
    const latin = row.chips.filter((c) => /^[A-Z ]+$/.test(c) && c !== 'RU' && c !== 'EN' && c !== 'ARM');
    const cyrillic = row.chips.filter((c) => /[А-Я]/.test(c));
    assert.ok(latin.length === 0 || cyrillic.length === 0, `one language per row: ${row.chips.join(' ')}`);
  }
  await screenshot(app, 'desktop-sections-by-edition');

  // ANALYTICS, picked in the English row: the English edition, that section, its description.
  const chip = await app.findElement(By.xpath("//*[@data-testid='section-row'][@data-edition='en']//button[normalize-space()='ANALYTICS']"));
  await chip.click();
  const description = await waitVisible(app, 'section-description');
  assert.equal(await description.getText(), ANALYTICS_DESCRIPTION);
  await app.wait(async () => {
    const texts = await cardTexts();
    return texts.length === 1 && texts[0].includes('CICA and security');
  }, 10000, 'only the English analytics');
  assert.equal((await sectionRows()).length, 1, 'the English edition\'s sections only');
  await screenshot(app, 'desktop-section-description');

  // A section the site describes nowhere shows no description.
  await (await app.findElement(By.xpath("//*[@data-testid='section-row']//button[normalize-space()='ECONOMY']"))).click();
  await app.wait(async () => (await app.findElements(byTestId('section-description'))).length === 0, 5000);
  await app.wait(async () => {
    const texts = await cardTexts();
    return texts.length === 1 && texts[0].includes('Caspian energy');
  }, 10000, 'only the English economy story');
  // "All" in the English row: every English article again, still no other edition's.
  const all = (await (await app.findElement(byTestId('section-row'))).findElements(By.css('button')))[0];
  await all.click();
  await app.wait(async () => (await all.getAttribute('aria-pressed')) === 'true', 5000);
  await app.wait(async () => {
    const texts = await cardTexts();
    const english = ['CICA and security', 'Caspian energy', EN_PARK];
    return texts.length === 3 && english.every((title) => texts.some((t) => t.includes(title)));
  }, 10000, async () => `the three English articles, not: ${(await cardTexts()).join(' | ')}`);
});

test('the same story in another edition: "Հայերեն" from the Russian article, "На русском" back', async () => {
  await openArticleTitled(RU_FORUM);
  assert.deepEqual(await readInOffers(), [{ edition: 'arm', text: 'Հայերեն' }]);
  await screenshot(app, 'desktop-read-in');
  await clickReadIn('arm');
  await titleIs(HY_FORUM);
  assert.deepEqual(await readInOffers(), [{ edition: 'ru', text: 'На русском' }]);
  await clickReadIn('ru');
  await titleIs(RU_FORUM);
});

test('offline, "Read in English" still opens the English article (a lookup on this device)', async () => {
  await openArticleTitled(RU_PARK);
  await site.control('down');
  try {
    assert.deepEqual(await readInOffers(), [{ edition: 'en', text: 'Read in English' }]);
    await clickReadIn('en');
    await titleIs(EN_PARK);
    const body = await (await waitVisible(app, 'article-body')).getText();
    assert.match(body, /ten-hectare park/);
    assert.deepEqual(await readInOffers(), [{ edition: 'ru', text: 'На русском' }]);
  } finally {
    await site.control('normal');
  }
});

test('bodies as the site shows them: no zoom icon, each picture once', async () => {
  await openArticleTitled(HY_FORUM);
  const pictures = await app.executeScript(() =>
    [...document.querySelectorAll('[data-testid="article-body"] img')].map((i) => decodeURIComponent(i.getAttribute('src'))));
  assert.equal(pictures.length, 1, `one picture, shown once: ${pictures.join(' ')}`);
  assert.ok(pictures[0].endsWith('/uploads/pic2.png'), pictures[0]);
  const links = await app.executeScript(() => document.querySelectorAll('[data-testid="article-body"] a').length);
  assert.equal(links, 0, 'the link that only held the zoom icon is gone too');
  assert.equal((await site.hits())['/templates/Default/api/zoom.png'], undefined, 'the icon was never fetched');
  // The fixture page does carry both (so the test can fail).
  const page = await (await fetch(`${site.url}/arm/post/baqvum-forum`)).text();
  assert.ok(page.includes('/templates/Default/api/zoom.png') && page.split('/uploads/pic2.png').length - 1 >= 3);
});

test('search finds Armenian words whatever their case: բաքու and ԲԱՔՈՒ find «Բաքու»', async () => {
  for (const query of ['բաքու', 'ԲԱՔՈՒ']) {
    await app.executeScript(() => { location.hash = '#/search'; });
    const input = await waitVisible(app, 'search-input');
    await input.clear();
    await input.sendKeys(query);
    const forum = await app.wait(async () => {
      for (const r of await app.findElements(byTestId('search-result'))) if ((await r.getText()).includes(HY_FORUM)) return r;
      return null;
    }, 15000, `"${query}" finds the Armenian forum story`);
    const marked = await Promise.all((await forum.findElements(By.css('mark'))).map((m) => m.getText()));
    assert.ok(marked.includes('Բաքու'), `the match is highlighted as the text has it: ${marked.join(', ')}`);
    // Every result is an Armenian article with the word (or, as you type, a longer one).
    for (const r of await app.findElements(byTestId('search-result'))) {
      const words = await Promise.all((await r.findElements(By.css('mark'))).map((m) => m.getText()));
      assert.ok(words.some((w) => w.toLowerCase().startsWith('բաքու')), words.join(', '));
    }
  }
});

test('the interface in Armenian: chosen in Settings, kept after a restart, "Link copied" in Armenian', async () => {
  await app.executeScript(() => { location.hash = '#/settings'; });
  await (await waitVisible(app, 'nav-saved')).isDisplayed();
  const select = await app.wait(async () => (await app.findElements(By.id('ui-language')))[0], 10000, 'no language select');
  await select.click();
  await (await app.findElement(By.css('#ui-language option[value="hy"]'))).click();
  await app.wait(async () => (await (await waitVisible(app, 'nav-saved')).getText()).includes('Պահպանված'), 5000, 'Armenian navigation');
  assert.equal(await app.executeScript(() => document.documentElement.lang), 'hy');

  await app.quit();
  app = await openApp(driver);
  await app.manage().window().setRect({ width: 1280, height: 860 });
  await app.wait(async () => (await (await waitVisible(app, 'nav-saved')).getText()).includes('Պահպանված'), 10000, 'still Armenian after a restart');

  await openArticleTitled(HY_FORUM);
  await (await waitVisible(app, 'copy-link')).click();
  const toast = await waitVisible(app, 'toast');
  assert.equal((await toast.getText()).trim(), 'Հղումը պատճենվեց');
  assert.equal(clipboardText().trim(), `${site.url}/arm/post/baqvum-forum`);
  const byline = await app.findElement(By.css('.byline')).getText();
  assert.match(byline, /Դիտումներ: \d+/);
  await screenshot(app, 'desktop-armenian-article');
  await home();
  await chooseEdition('arm');
  await screenshot(app, 'desktop-armenian-ui');
});

test('phone (390×844): the Armenian edition, sections by edition, and the other-edition offer', async () => {
  await phone(true);
  try {
    // The toast of the copy above has gone (it would cover the list in the screenshots).
    await app.wait(async () => (await app.findElements(byTestId('toast'))).length === 0, 15000, 'the toast goes');
    await home();
    await chooseEdition('arm');
    await app.wait(async () => (await cardTexts()).length === 3, 10000);
    await screenshot(app, 'phone-armenian');
    await chooseEdition(null);
    await app.wait(async () => (await sectionRows()).length === 3, 10000);
    await app.executeScript(() => document.querySelector('[data-scroll]')?.scrollTo?.({ top: 0 }));
    await screenshot(app, 'phone-sections-by-edition');
    const [scrollWidth, clientWidth] = await app.executeScript(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
    assert.ok(clientWidth <= 400, `phone width ${clientWidth}`);
    assert.ok(scrollWidth <= clientWidth, `nothing wider than the phone: ${scrollWidth}px in ${clientWidth}px`);
    await (await app.findElement(By.xpath("//*[@data-testid='section-row'][@data-edition='en']//button[normalize-space()='ANALYTICS']"))).click();
    await waitVisible(app, 'section-description');
    await screenshot(app, 'phone-section-description');
    await openArticleTitled(RU_FORUM);
    const offer = await app.findElement(By.css('[data-testid="read-in"]'));
    const height = (await offer.getRect()).height;
    assert.ok(height >= 44, `a 44 px target: ${height}`);
    await screenshot(app, 'phone-read-in');
  } finally {
    await phone(false);
  }
});
