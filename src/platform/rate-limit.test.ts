import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Limiter } from './rate-limit.js';
import { RateLimitedError } from './errors.js';

const redisUrl = process.env.REDIS_URL;

/** Hits accepted, spreading them over the limiters in turn until every one of them refuses. */
async function acceptedUntilAllRefuse(limiters: Limiter[], key: string, max: number): Promise<number> {
  let accepted = 0;
  const refused = new Set<Limiter>();
  for (let i = 0; i < max && refused.size < limiters.length; i++) {
    const limiter = limiters[i % limiters.length]!;
    try {
      await limiter.consume(key);
      accepted++;
    } catch (err) {
      assert.ok(err instanceof RateLimitedError, String(err));
      assert.ok(Number(err.headers['retry-after']) >= 1);
      refused.add(limiter);
    }
  }
  assert.equal(refused.size, limiters.length, 'every instance ends up refusing');
  return accepted;
}

describe('leased rate limits on Redis (one shared budget, few round trips)', { skip: redisUrl ? false : 'needs REDIS_URL (npm run test:services)' }, () => {
  it('two instances together never exceed the budget, and lose at most a lease each', async (t) => {
    const { Redis } = await import('ioredis');
    const a = new Redis(redisUrl!);
    const b = new Redis(redisUrl!);
    t.after(() => {
      a.disconnect();
      b.disconnect();
    });
    const prefix = `${process.env.TEST_REDIS_PREFIX ?? 'rl-test:'}${randomBytes(4).toString('hex')}:`;
    // 1,000 points → leases of 10 (1 %).
    const options = { name: 'api', points: 1000, durationSeconds: 60 };
    const one = new Limiter(options, a, prefix);
    const two = new Limiter(options, b, prefix);
    const accepted = await acceptedUntilAllRefuse([one, two], 'user:x', 1100);
    assert.ok(accepted <= 1000, `accepted ${accepted} of a 1,000-point budget`);
    // A lease that loses the race for the last points spends them unused: at most one per instance.
    assert.ok(accepted >= 1000 - 2 * 9, `accepted ${accepted}: more than a lease per instance was lost`);
    // Other keys have their own budget.
    await one.consume('user:y');
  });

  it('concurrent hits of one key share a lease: far fewer Redis commands than hits', async (t) => {
    const { Redis } = await import('ioredis');
    const redis = new Redis(redisUrl!);
    t.after(() => redis.disconnect());
    let commands = 0;
    const send = redis.sendCommand.bind(redis);
    redis.sendCommand = ((...args: Parameters<typeof send>) => {
      commands++;
      return send(...args);
    }) as typeof redis.sendCommand;
    const prefix = `${process.env.TEST_REDIS_PREFIX ?? 'rl-test:'}${randomBytes(4).toString('hex')}:`;
    const limiter = new Limiter({ name: 'api', points: 100_000, durationSeconds: 60 }, redis, prefix);
    await Promise.all(Array.from({ length: 500 }, () => limiter.consume('user:z')));
    // First hit of the window takes 1 point, then leases of 50: ~11 round trips for 500 hits.
    assert.ok(commands <= 20, `${commands} Redis commands for 500 hits`);
    assert.ok(commands >= 2, `${commands} Redis commands: the budget was not taken from Redis`);
  });

  it('a small budget is counted exactly (every hit in Redis), as the auth limits need', async (t) => {
    const { Redis } = await import('ioredis');
    const redis = new Redis(redisUrl!);
    t.after(() => redis.disconnect());
    const prefix = `${process.env.TEST_REDIS_PREFIX ?? 'rl-test:'}${randomBytes(4).toString('hex')}:`;
    const one = new Limiter({ name: 'auth-ip', points: 10, durationSeconds: 60 }, redis, prefix);
    const two = new Limiter({ name: 'auth-ip', points: 10, durationSeconds: 60 }, redis, prefix);
    assert.equal(await acceptedUntilAllRefuse([one, two], 'ip:1', 20), 10);
  });
});
