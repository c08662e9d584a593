// The harness's own promises, checked without an app: a wait that meets a replaced node
// polls again (the CI failure of stop 24), and any other error still fails at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Condition, WebDriver, Session, error } from 'selenium-webdriver';
import { ignoreStaleElementsWhileWaiting } from './harness.js';

function offlineSession() {
  const session = new WebDriver(Promise.resolve(new Session('offline', {})), { execute: async () => { throw new Error('no driver'); } });
  ignoreStaleElementsWhileWaiting(session);
  return session;
}

test('a wait whose condition meets a stale element polls again instead of failing', async () => {
  const session = offlineSession();
  let calls = 0;
  const value = await session.wait(async () => {
    calls += 1;
    if (calls < 3) throw new error.StaleElementReferenceError('the list re-rendered');
    return 'found';
  }, 2000, 'never', 10);
  assert.equal(value, 'found');
  assert.equal(calls, 3);

  calls = 0;
  const fromCondition = await session.wait(new Condition('a located node', async () => {
    calls += 1;
    if (calls < 2) throw new error.StaleElementReferenceError('gone mid-search');
    return true;
  }), 2000, undefined, 10);
  assert.equal(fromCondition, true);
});

test('a wait still fails at once on any other error, and times out on stale nodes that never settle', async () => {
  const session = offlineSession();
  await assert.rejects(session.wait(async () => { throw new error.NoSuchWindowError('closed'); }, 2000, 'x', 10), error.NoSuchWindowError);
  await assert.rejects(session.wait(async () => { throw new error.StaleElementReferenceError('always'); }, 100, 'settles', 10), error.TimeoutError);
});
