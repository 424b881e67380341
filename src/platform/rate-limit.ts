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

/** Points taken from Redis for one key and spent locally (see the constructor). */
interface Lease {
  /** Points of this lease not spent yet. */
  left: number;
  /** What Redis said was left in the window after granting the lease (≤ 0: exhausted). */
  remaining: number;
  /** When the fixed window (and so this lease) ends, epoch ms. */
  resetAt: number;
  /** Set while the lease is being taken; callers for the same key wait for it. */
  pending: Promise<void> | null;
}

const MAX_LEASE = 50;
const SWEEP_ABOVE = 10_000;

/**
 * A named fixed-window limiter. In memory on a single instance; in Redis when REDIS_URL is
 * set, so every instance counts against the same budget (rate-limiter-flexible does both).
 */
export class Limiter {
  private readonly impl: RateLimiterAbstract;
  /** Points per lease; 1 means every hit goes to the store (exact, the default). */
  private readonly leaseSize: number;
  private readonly leases = new Map<string, Lease>();

  constructor(options: LimiterOptions, redis: Redis | null, prefix: string) {
    const common = {
      keyPrefix: `${prefix}rl:${options.name}`,
      points: options.points,
      duration: options.durationSeconds,
      blockDuration: options.blockSeconds ?? 0,
    };
    this.impl = redis ? new RateLimiterRedis({ ...common, storeClient: redis }) : new RateLimiterMemory(common);
    // With Redis and no lockout, points are taken from the shared budget in leases of 1 % of it
    // (at most 50) and spent locally, instead of one Redis round trip per hit: the per-user API
    // limit is paid by every request (docs/BENCHMARKS.md, "Read paths"). A budget under 200
    // points (the auth limits' default 10) gets leases of 1, i.e. every hit counted in Redis.
    this.leaseSize = redis && !options.blockSeconds ? Math.max(1, Math.min(MAX_LEASE, Math.floor(options.points / 100))) : 1;
  }

  /** Counts one hit; throws RateLimitedError (429 + Retry-After) when the budget is spent. */
  async consume(key: string, points = 1): Promise<void> {
    if (this.leaseSize > 1 && points === 1) return this.consumeLeased(key);
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
    this.leases.delete(key);
    await this.impl.delete(key);
  }

  /**
   * One hit paid from a local lease of the shared budget. The first hit of a window takes one
   * point (and learns what is left); later leases take up to `leaseSize`, never more than Redis
   * said was left, so all instances together never exceed the budget. The price: points leased
   * by one instance and not spent before the window ends are not available to the others (at
   * most leaseSize − 1 per instance and key, 1 % of the budget), and a lease that loses a race
   * for the last points at the end of a window spends them without using them.
   */
  private async consumeLeased(key: string): Promise<void> {
    for (;;) {
      const now = Date.now();
      let lease = this.leases.get(key);
      if (lease && !lease.pending && lease.resetAt <= now) {
        this.leases.delete(key);
        lease = undefined;
      }
      if (lease) {
        if (lease.left > 0) {
          lease.left--;
          return;
        }
        if (lease.pending) {
          await lease.pending;
          continue;
        }
        if (lease.remaining <= 0) throw new RateLimitedError((lease.resetAt - now) / 1000);
      }
      const size = lease ? Math.min(this.leaseSize, lease.remaining) : 1;
      const next: Lease = { left: 0, remaining: 0, resetAt: now + 1000, pending: null };
      next.pending = this.impl
        .consume(key, size)
        .then(
          (res) => {
            next.left = size;
            next.remaining = res.remainingPoints;
            next.resetAt = Date.now() + res.msBeforeNext;
          },
          (err: unknown) => {
            if (!(err instanceof RateLimiterRes)) {
              this.leases.delete(key);
              throw err;
            }
            next.remaining = 0;
            next.resetAt = Date.now() + err.msBeforeNext;
          },
        )
        .finally(() => {
          next.pending = null;
        });
      if (this.leases.size >= SWEEP_ABOVE) this.sweep(now);
      this.leases.set(key, next);
      await next.pending;
    }
  }

  /** Drops ended leases, so the map holds only keys seen in the current window. */
  private sweep(now: number): void {
    for (const [key, lease] of this.leases) if (!lease.pending && lease.resetAt <= now) this.leases.delete(key);
  }
}
