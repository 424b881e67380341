import type { Actor } from '../../platform/access.js';
import type { PubSub } from '../../platform/pubsub.js';
import type { UserRow } from './users.repository.js';

interface Entry {
  actor: Actor;
  user: UserRow;
  expiresAt: number;
}

/** Published (with `{userId}`) after any write to a user or their sessions. */
export const IDENTITY_CHANGED_CHANNEL = 'identity.invalidate';
const CHANNEL = IDENTITY_CHANGED_CHANNEL;

/**
 * Caches "session S of user U is live, and this is U's row" for a few seconds, so an
 * authenticated request doesn't pay a database round trip just to learn who is calling.
 *
 * Correctness rules:
 *  - every write to a user or their sessions calls `invalidateUser` after it commits; the
 *    local entry is dropped synchronously and the other instances are told through PubSub
 *    (Redis when configured), so a logout or deactivation takes effect at once everywhere;
 *  - a load that started before an invalidation is not stored (per-user generation check),
 *    so a racing read can't put stale data back;
 *  - the TTL bounds staleness if a PubSub message is ever lost.
 */
export class SessionCache {
  private readonly entries = new Map<string, Entry>();
  private readonly generations = new Map<string, number>();
  private unsubscribe: (() => Promise<void>) | null = null;

  constructor(
    private readonly pubsub: PubSub,
    private readonly ttlMs = 5_000,
    private readonly maxEntries = 50_000,
  ) {}

  async listen(): Promise<void> {
    this.unsubscribe = await this.pubsub.subscribe(CHANNEL, (message) => {
      const userId = (message as { userId?: unknown }).userId;
      if (typeof userId === 'string') this.dropUser(userId);
    });
  }

  async close(): Promise<void> {
    await this.unsubscribe?.();
    this.entries.clear();
  }

  generation(userId: string): number {
    return this.generations.get(userId) ?? 0;
  }

  get(sessionId: string): Entry | undefined {
    const entry = this.entries.get(sessionId);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.entries.delete(sessionId);
      return undefined;
    }
    return entry;
  }

  /** Stores a loaded entry unless the user was invalidated since `generationAtLoad`. */
  set(actor: Actor, user: UserRow, generationAtLoad: number): void {
    if (this.ttlMs <= 0 || this.generation(user.id) !== generationAtLoad) return;
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(actor.sessionId, { actor, user, expiresAt: Date.now() + this.ttlMs });
  }

  private dropUser(userId: string): void {
    this.generations.set(userId, this.generation(userId) + 1);
    for (const [sessionId, entry] of this.entries) {
      if (entry.actor.id === userId) this.entries.delete(sessionId);
    }
  }

  async invalidateUser(userId: string): Promise<void> {
    this.dropUser(userId);
    await this.pubsub.publish(CHANNEL, { userId });
  }
}
