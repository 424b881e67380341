import type { Redis } from 'ioredis';

export type PresenceStatus = 'online' | 'away' | 'offline';

/**
 * Who is connected, across every instance. Each socket is one entry (user, connection id,
 * status) that lives `ttlMs` unless refreshed by the heartbeat loop, so a crashed instance's
 * users fall offline by themselves. A user's status is the best of their live entries
 * (online > away); no entry means offline.
 */
export interface PresenceStore {
  /** Adds or refreshes entries; returns nothing. */
  put(entries: { userId: string; connId: string; status: Exclude<PresenceStatus, 'offline'> }[]): Promise<void>;
  /** Removes one entry and returns the user's status afterwards (cluster-wide). */
  remove(userId: string, connId: string): Promise<PresenceStatus>;
  status(userIds: string[]): Promise<Map<string, PresenceStatus>>;
  /** Every user with a live entry. */
  online(): Promise<{ userId: string; status: PresenceStatus }[]>;
  /**
   * Users whose every entry expired without a goodbye (dead connection, crashed instance).
   * Each such user is returned by exactly one caller across the cluster, which announces it.
   */
  sweep(): Promise<string[]>;
}

const RANK: Record<PresenceStatus, number> = { offline: 0, away: 1, online: 2 };

function best(entries: Iterable<{ status: PresenceStatus; expiresAt: number }>, now: number): PresenceStatus {
  let result: PresenceStatus = 'offline';
  for (const e of entries) if (e.expiresAt > now && RANK[e.status] > RANK[result]) result = e.status;
  return result;
}

export class MemoryPresence implements PresenceStore {
  private readonly users = new Map<string, Map<string, { status: PresenceStatus; expiresAt: number }>>();

  constructor(private readonly ttlMs: number) {}

  async put(entries: { userId: string; connId: string; status: Exclude<PresenceStatus, 'offline'> }[]): Promise<void> {
    const expiresAt = Date.now() + this.ttlMs;
    for (const e of entries) {
      let conns = this.users.get(e.userId);
      if (!conns) this.users.set(e.userId, (conns = new Map()));
      conns.set(e.connId, { status: e.status, expiresAt });
    }
  }

  async remove(userId: string, connId: string): Promise<PresenceStatus> {
    const conns = this.users.get(userId);
    if (!conns) return 'offline';
    conns.delete(connId);
    const status = best(conns.values(), Date.now());
    if (status === 'offline') this.users.delete(userId);
    return status;
  }

  async status(userIds: string[]): Promise<Map<string, PresenceStatus>> {
    const now = Date.now();
    return new Map(userIds.map((id) => [id, best(this.users.get(id)?.values() ?? [], now)]));
  }

  async online() {
    const now = Date.now();
    const out: { userId: string; status: PresenceStatus }[] = [];
    for (const [userId, conns] of this.users) {
      const status = best(conns.values(), now);
      if (status !== 'offline') out.push({ userId, status });
    }
    return out;
  }

  async sweep(): Promise<string[]> {
    const now = Date.now();
    const gone: string[] = [];
    for (const [userId, conns] of this.users) {
      if (best(conns.values(), now) === 'offline') {
        this.users.delete(userId);
        gone.push(userId);
      }
    }
    return gone;
  }
}

/**
 * Redis layout (under the instance's key prefix):
 *   presence:u:<userId>  HASH connId → "status|expiresAtMs"
 *   presence:users       ZSET userId scored by the latest expiry of any of their entries
 */
export class RedisPresence implements PresenceStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlMs: number,
  ) {}

  private userKey(userId: string) {
    return `${this.prefix}presence:u:${userId}`;
  }
  private get indexKey() {
    return `${this.prefix}presence:users`;
  }

  async put(entries: { userId: string; connId: string; status: Exclude<PresenceStatus, 'offline'> }[]): Promise<void> {
    if (entries.length === 0) return;
    const expiresAt = Date.now() + this.ttlMs;
    for (let i = 0; i < entries.length; i += 1000) {
      const pipeline = this.redis.pipeline();
      for (const e of entries.slice(i, i + 1000)) {
        pipeline.hset(this.userKey(e.userId), e.connId, `${e.status}|${expiresAt}`);
        pipeline.pexpire(this.userKey(e.userId), this.ttlMs * 2);
        pipeline.zadd(this.indexKey, expiresAt, e.userId);
      }
      await pipeline.exec();
    }
  }

  private parse(hash: Record<string, string>) {
    return Object.values(hash).map((v) => {
      const [status, at] = v.split('|');
      return { status: (status ?? 'offline') as PresenceStatus, expiresAt: Number(at) };
    });
  }

  async remove(userId: string, connId: string): Promise<PresenceStatus> {
    await this.redis.hdel(this.userKey(userId), connId);
    const status = best(this.parse(await this.redis.hgetall(this.userKey(userId))), Date.now());
    if (status === 'offline') await this.redis.zrem(this.indexKey, userId);
    return status;
  }

  async status(userIds: string[]): Promise<Map<string, PresenceStatus>> {
    const result = new Map<string, PresenceStatus>();
    if (userIds.length === 0) return result;
    const pipeline = this.redis.pipeline();
    for (const id of userIds) pipeline.hgetall(this.userKey(id));
    const replies = (await pipeline.exec()) ?? [];
    const now = Date.now();
    userIds.forEach((id, i) => {
      const hash = (replies[i]?.[1] ?? {}) as Record<string, string>;
      result.set(id, best(this.parse(hash), now));
    });
    return result;
  }

  async online() {
    const ids = await this.redis.zrangebyscore(this.indexKey, Date.now(), '+inf');
    const statuses = await this.status(ids);
    return ids.map((userId) => ({ userId, status: statuses.get(userId) ?? 'offline' })).filter((u) => u.status !== 'offline');
  }

  async sweep(): Promise<string[]> {
    const now = Date.now();
    const expired = await this.redis.zrangebyscore(this.indexKey, '-inf', now, 'LIMIT', 0, 500);
    const gone: string[] = [];
    for (const userId of expired) {
      const status = best(this.parse(await this.redis.hgetall(this.userKey(userId))), now);
      if (status !== 'offline') continue;
      // ZREM is the claim: only the instance that removed the member announces it.
      if ((await this.redis.zrem(this.indexKey, userId)) === 1) {
        await this.redis.del(this.userKey(userId));
        gone.push(userId);
      }
    }
    return gone;
  }
}
