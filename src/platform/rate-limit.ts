import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Redis } from 'ioredis';
import { RateLimitedError } from './errors.js';

export interface LimiterOptions {
  /** Distinguishes limiters sharing one store (e.g. `auth-ip`, `api-user`). */
  name: string;
  points: number;
  durationSeconds: number;
  /** Once exhausted, keep the key blocked this long (lockout) instead of until the window ends. */
  blockSeconds?: number;
}

/**
 * A named fixed-window limiter. In memory on a single instance; in Redis when REDIS_URL is
 * set, so every instance counts against the same budget (rate-limiter-flexible does both).
 */
export class Limiter {
  private readonly impl: RateLimiterAbstract;

  constructor(options: LimiterOptions, redis: Redis | null, prefix: string) {
    const common = {
      keyPrefix: `${prefix}rl:${options.name}`,
      points: options.points,
      duration: options.durationSeconds,
      blockDuration: options.blockSeconds ?? 0,
    };
    this.impl = redis ? new RateLimiterRedis({ ...common, storeClient: redis }) : new RateLimiterMemory(common);
  }

  /** Counts one hit; throws RateLimitedError (429 + Retry-After) when the budget is spent. */
  async consume(key: string, points = 1): Promise<void> {
    try {
      await this.impl.consume(key, points);
    } catch (err) {
      if (err instanceof RateLimiterRes) throw new RateLimitedError(err.msBeforeNext / 1000);
      throw err;
    }
  }

  /** Seconds until `key` may try again, or 0 when it is not exhausted. */
  async blockedFor(key: string): Promise<number> {
    const res = await this.impl.get(key);
    if (!res || res.remainingPoints > 0) return 0;
    return Math.max(1, Math.ceil(res.msBeforeNext / 1000));
  }

  /** Counts a hit without throwing; returns the seconds blocked if this exhausted the budget. */
  async penalise(key: string): Promise<number> {
    try {
      await this.impl.consume(key, 1);
      return 0;
    } catch (err) {
      if (err instanceof RateLimiterRes) return Math.max(1, Math.ceil(err.msBeforeNext / 1000));
      throw err;
    }
  }

  async reset(key: string): Promise<void> {
    await this.impl.delete(key);
  }
}
