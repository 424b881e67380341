import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createUser, type TestUser } from '../../../test/helpers/users.js';
import { PushKeys } from './testing.js';
import { setup, sleep, until } from './test-setup.js';

// Review L5: a push endpoint belongs to one user. Another user re-registering it takes it over
// only with that subscription's own keys (the same browser, e.g. after a sign-out on a shared
// computer); otherwise 409, and the first user's notifications keep going to the first user only.
test('push subscriptions: one endpoint, one user', async (t) => {
  const { built, push, api } = await setup(t);
  const { db } = built.ctx;
  const [first, second] = await Promise.all([createUser(built, 'patient'), createUser(built, 'patient')]);
  const browser = new PushKeys();
  const attacker = new PushKeys();
  const endpoint = `${push.base}/ok/shared-browser`;
  const register = (user: TestUser, keys: PushKeys) =>
    api(user, 'POST', '/notifications/push-subscriptions', { endpoint, keys: { p256dh: keys.p256dh, auth: keys.authSecret } });
  const owners = async () =>
    (await db.selectFrom('push_subscriptions').select(['id', 'user_id']).where('endpoint', '=', endpoint).execute()).map((r) => r.user_id);
  let n = 0;
  /** A real notification to `user` (in its own transaction, as a publisher would), by push. */
  const notify = async (user: TestUser) => {
    n++;
    await db
      .transaction()
      .execute((trx) =>
        built.ctx.services.notifications.notifier.notify(trx, { type: 'account_approved', userId: user.id, eventKey: `l5-test|${n}`, data: {} }),
      );
    built.ctx.services.notifications.jobs.wake();
  };
  const pushesAt = () => push.received.filter((r) => r.path === '/ok/shared-browser');

  const mine = await register(first, browser);
  assert.equal(mine.statusCode, 201, mine.body);
  // The same user again (the page re-subscribes on every load): the same subscription.
  const again = await register(first, browser);
  assert.equal(again.statusCode, 201);
  assert.equal(again.json().id, mine.json().id);

  // Someone who learnt the endpoint URL, with other keys: refused; nothing changes.
  const stolen = await register(second, attacker);
  assert.equal(stolen.statusCode, 409, stolen.body);
  assert.match(stolen.headers['content-type'] as string, /problem\+json/);
  assert.deepEqual(await owners(), [first.id]);
  await notify(first);
  const delivered = await until(() => pushesAt()[0]);
  assert.equal(JSON.parse(browser.decrypt(delivered.body)).title, 'Account approved', "encrypted to the first user's browser keys");
  await notify(second);
  await sleep(500);
  assert.equal(pushesAt().length, 1, "the second user's notification does not go to the first user's browser");

  // The same browser (its own keys) now signed in as the second user: the subscription moves.
  const moved = await register(second, browser);
  assert.equal(moved.statusCode, 201, moved.body);
  assert.notEqual(moved.json().id, mine.json().id, 'a new subscription, not the old row');
  assert.deepEqual(await owners(), [second.id]);
  assert.equal((await api(first, 'DELETE', `/notifications/push-subscriptions/${mine.json().id}`)).statusCode, 404);
  await notify(first);
  await sleep(800);
  assert.equal(pushesAt().length, 1, "the first user's notifications never reach the second user");
  await notify(second);
  await until(() => pushesAt().length === 2);
  // And the first user cannot take it back without the keys either.
  assert.equal((await register(first, attacker)).statusCode, 409);
});
