// The caliber:// scheme is registered with the desktop by the real app, as a reader's
// desktop sees it: the desktop entry in XDG_DATA_HOME, and the two programs the deep-link
// plugin runs (`update-desktop-database`, `xdg-mime`) as logging stand-ins on PATH. The
// stand-in `xdg-mime` does not return until the test lets it: a registration run on the
// main thread held up the page's files and so the first card (BENCHMARKS.md, 2026-12-04).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  startFixtureServer, prepareProfile, startDriver, openApp, byTestId, temporaryDir, appBinary, shutDown,
} from './harness.js';

let site, profile, driver, app, tools;

/** `update-desktop-database` and `xdg-mime` that log their arguments; `xdg-mime` then waits for `release`. */
function registrationStandIns() {
  const dir = temporaryDir('caliber-xdg-');
  const log = join(dir, 'ran.log');
  const release = join(dir, 'release');
  writeFileSync(join(dir, 'update-desktop-database'), `#!/bin/sh\necho "update-desktop-database $*" >> '${log}'\n`, { mode: 0o755 });
  writeFileSync(
    join(dir, 'xdg-mime'),
    `#!/bin/sh\necho "xdg-mime $*" >> '${log}'\ni=0\nwhile [ ! -e '${release}' ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done\necho "xdg-mime done" >> '${log}'\n`,
    { mode: 0o755 },
  );
  const ran = () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []);
  return { path: `${dir}:${process.env.PATH}`, ran, release: () => writeFileSync(release, '') };
}

const firstCard = () => app.wait(async () => (await app.findElements(byTestId('article-card'))).length > 0, 30000, 'no first card');

before(async () => {
  site = await startFixtureServer();
  profile = prepareProfile([[`${site.url}/rss.xml`, 'feed']]);
  profile.cli('sync', '--no-images');
  tools = registrationStandIns();
  driver = await startDriver(profile, { PATH: tools.path });
});

after(() => {
  tools?.release();
  return shutDown({ app, driver, site });
});

test('the caliber:// scheme is registered for this binary without holding up the first card', async () => {
  app = await openApp(driver);
  await firstCard();
  const entry = join(profile.home, '.local/share/applications/caliber-app-handler.desktop');
  await app.wait(async () => tools.ran().some((l) => l.startsWith('xdg-mime')), 20000, 'xdg-mime never ran');
  assert.ok(!tools.ran().includes('xdg-mime done'), 'the first card was shown while the registration was still running');
  assert.deepEqual(tools.ran(), [
    `update-desktop-database ${join(profile.home, '.local/share/applications')}`,
    'xdg-mime default caliber-app-handler.desktop x-scheme-handler/caliber',
  ]);
  const desktop = readFileSync(entry, 'utf8');
  assert.match(desktop, /^MimeType=x-scheme-handler\/caliber;?$/m);
  assert.ok(desktop.split('\n').includes(`Exec="${appBinary}" %u`), desktop);
  // The page answers while the registration waits: the reader can use the app.
  assert.equal(await app.executeScript(() => document.readyState), 'complete');

  tools.release();
  await app.wait(async () => tools.ran().includes('xdg-mime done'), 20000, 'xdg-mime never finished');
});

test('the next launch of the same binary leaves the desktop alone', async () => {
  // The registration's marker is written as soon as xdg-mime returns; give it a moment.
  await new Promise((r) => setTimeout(r, 500));
  await app.quit();
  const before = tools.ran().length;
  app = await openApp(driver);
  await firstCard();
  await new Promise((r) => setTimeout(r, 1500));
  assert.deepEqual(tools.ran().slice(before), [], 'nothing ran again');
});

test('a launch after the desktop entry was removed registers the scheme again', async () => {
  await app.quit();
  const entry = join(profile.home, '.local/share/applications/caliber-app-handler.desktop');
  rmSync(entry);
  const before = tools.ran().length;
  app = await openApp(driver);
  await firstCard();
  await app.wait(async () => tools.ran().length >= before + 3, 20000, 'the scheme was not registered again');
  assert.deepEqual(tools.ran().slice(before), [
    `update-desktop-database ${join(profile.home, '.local/share/applications')}`,
    'xdg-mime default caliber-app-handler.desktop x-scheme-handler/caliber',
    'xdg-mime done',
  ]);
  assert.ok(existsSync(entry), 'the desktop entry is written again');
});
