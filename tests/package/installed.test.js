// The release .deb, installed as a user would get it, minus root: unpacked with `dpkg -x`
// into a temporary root, checked for what the desktop needs (binary, .desktop entry with the
// caliber:// scheme, icons), then the installed binary is started under Xvfb over WebDriver
// on a database the CLI synced from the fixture site, far enough to show the first card.
// Run by `./dev package` after the release build (not by ./dev test: the build is slow).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root, startFixtureServer, prepareProfile, startDriver, byTestId, screenshot, cliBinary } from '../e2e/harness.js';

const debDir = join(root, 'target', 'release', 'bundle', 'deb');
const rpmDir = join(root, 'target', 'release', 'bundle', 'rpm');
const deb = existsSync(debDir) ? readdirSync(debDir).filter((f) => f.endsWith('.deb')).map((f) => join(debDir, f))[0] : undefined;
let installRoot, site, profile, driver, app;

before(() => {
  assert.ok(deb, `no .deb in ${debDir}: run ./dev package`);
  installRoot = mkdtempSync(join(tmpdir(), 'caliber-deb-'));
  execFileSync('dpkg-deb', ['-x', deb, installRoot]);
});

after(async () => {
  try { await app?.quit(); } catch { /* gone */ }
  driver?.stop();
  site?.stop();
});

test('the .deb names its package and dependencies', () => {
  const fields = execFileSync('dpkg-deb', ['-f', deb, 'Package', 'Version', 'Depends'], { encoding: 'utf8' });
  assert.match(fields, /^Package: caliber-reader$/m);
  assert.match(fields, /^Version: \d+\.\d+\.\d+/m);
  assert.match(fields, /libwebkit2gtk-4\.1/);
});

test('the .rpm is built too', () => {
  const rpms = existsSync(rpmDir) ? readdirSync(rpmDir).filter((f) => f.endsWith('.rpm')) : [];
  assert.equal(rpms.length, 1, `one .rpm in ${rpmDir}`);
  if (existsSync('/usr/bin/rpm')) {
    const files = execFileSync('rpm', ['-qlp', join(rpmDir, rpms[0])], { encoding: 'utf8' });
    assert.match(files, /\/usr\/bin\/caliber-app$/m);
    assert.match(files, /\.desktop$/m);
  }
});

test('installed: the binary, a desktop entry that registers caliber://, and icons', () => {
  const bin = join(installRoot, 'usr', 'bin', 'caliber-app');
  assert.ok(existsSync(bin) && (statSync(bin).mode & 0o111) !== 0, 'usr/bin/caliber-app is executable');
  const apps = join(installRoot, 'usr', 'share', 'applications');
  const desktops = readdirSync(apps).filter((f) => f.endsWith('.desktop'));
  assert.equal(desktops.length, 1, `one .desktop entry: ${desktops}`);
  const entry = readFileSync(join(apps, desktops[0]), 'utf8');
  assert.match(entry, /^Name=Caliber Reader$/m);
  // %u: a caliber:// link reaches the app as its argument (the deep-link plugin reads it).
  assert.match(entry, /^Exec=caliber-app %u$/m);
  assert.match(entry, /^MimeType=.*x-scheme-handler\/caliber;?/m);
  assert.match(entry, /^Categories=.*News/m);
  const icon = /^Icon=(.+)$/m.exec(entry)[1];
  const icons = execFileSync('find', [join(installRoot, 'usr', 'share', 'icons'), '-name', `${icon}.png`], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  assert.ok(icons.length >= 2, `icons named ${icon}: ${icons}`);
});

test('the installed binary starts and shows the first card of a database synced by the CLI', async () => {
  site = await startFixtureServer();
  profile = prepareProfile([[`${site.url}/`, 'site']]);
  execFileSync(cliBinary, ['--db', join(profile.dataDir, 'caliber.db'), 'sync'], { stdio: 'pipe', timeout: 60000 });
  process.env.CALIBER_APP_BINARY = join(installRoot, 'usr', 'bin', 'caliber-app');
  // The harness reads CALIBER_APP_BINARY when loaded; open a session on the installed one.
  const { Builder } = await import('../e2e/node_modules/selenium-webdriver/index.js');
  driver = await startDriver(profile);
  app = await new Builder()
    .usingServer(`http://127.0.0.1:${driver.port}/`)
    .withCapabilities({ browserName: 'wry', 'tauri:options': { application: process.env.CALIBER_APP_BINARY } })
    .build();
  const started = Date.now();
  const first = await app.wait(async () => (await app.findElements(byTestId('article-card')))[0] ?? null, 30000, 'no card shown');
  const text = await first.getText();
  assert.match(text, /\S/, 'the card has a title');
  const exe = await app.executeScript(() => document.title);
  assert.match(exe, /Caliber/);
  console.log(`installed app showed its first card in ${Date.now() - started} ms: ${text.split('\n')[0]}`);
  await screenshot(app, 'installed-deb-first-card');
});
