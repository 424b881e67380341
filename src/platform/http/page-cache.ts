import type { PubSub } from '../pubsub.js';

/** Published (with `{ tags }`) when data behind cached pages changed, so every instance drops them. */
const PAGE_CACHE_CHANNEL = 'page-cache.invalidate';

interface Entry {
  value: unknown;
  tags: readonly string[];
  expiresAt: number;
  bytes: number;
}

/**
 * Rendered replies of hot reads (a patient's or doctor's own appointment list), kept per
 * instance for a few seconds so repeated reads skip the query and the serialiser.
 *
 * What keeps it correct (the same rules as identity's session cache):
 *  - an entry carries tags naming the data it was built from (`appointments:party:<user>`,
 *    `user:<id>` for each name shown); a module calls `invalidate(tags)` after each write
 *    commits, which drops matching entries here at once and on every other instance through
 *    PubSub (Redis when configured);
 *  - an entry whose load began before ANY invalidation is not stored (one epoch counter), so a
 *    read racing a write can never put the old page back — at the price of a few misses while
 *    writes happen;
 *  - the TTL (PAGE_CACHE_SECONDS, 0 turns the cache off) bounds staleness should a PubSub
 *    message be lost.
 * The key must include the caller (entries are never shared between users), and callers
 * still authenticate, authorise and audit every read they answer from it.
 */
export class PageCache {
  private readonly entries = new Map<string, Entry>();
  private readonly byTag = new Map<string, Set<string>>();
  private bytes = 0;
  private epochValue = 0;
  private unsubscribe: (() => Promise<void>) | null = null;

  constructor(
    private readonly pubsub: PubSub,
    private readonly ttlMs: number,
    private readonly maxBytes = 64 * 2 ** 20,
    private readonly channel = PAGE_CACHE_CHANNEL,
  ) {}

  get enabled(): boolean {
    return this.ttlMs > 0;
  }

  /** Read before a load; hand it to `set` afterwards. */
  get epoch(): number {
    return this.epochValue;
  }

  get size(): number {
    return this.entries.size;
  }

  async listen(): Promise<void> {
    this.unsubscribe = await this.pubsub.subscribe(this.channel, (message) => {
      const tags = (message as { tags?: unknown }).tags;
      if (Array.isArray(tags)) this.drop(tags.filter((t): t is string => typeof t === 'string'));
    });
  }

  async close(): Promise<void> {
    await this.unsubscribe?.();
    this.unsubscribe = null;
    this.clear();
  }

  /** The value stored under `key` (by the module that owns the key's prefix, so it knows its type). */
  get<T>(key: string): T | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.remove(key, entry);
      return undefined;
    }
    return entry.value as T;
  }

  /** Stores `value` unless anything was invalidated since `epochAtLoad` (or it is too big). */
  set(key: string, value: unknown, tags: readonly string[], bytes: number, epochAtLoad: number): void {
    if (!this.enabled || epochAtLoad !== this.epochValue || bytes > this.maxBytes / 64) return;
    const old = this.entries.get(key);
    if (old) this.remove(key, old);
    // Oldest first (Map order) until the new entry fits.
    for (const [oldestKey, oldest] of this.entries) {
      if (this.bytes + bytes <= this.maxBytes) break;
      this.remove(oldestKey, oldest);
    }
    this.entries.set(key, { value, tags, expiresAt: Date.now() + this.ttlMs, bytes });
    this.bytes += bytes;
    for (const tag of tags) {
      let keys = this.byTag.get(tag);
      if (!keys) this.byTag.set(tag, (keys = new Set()));
      keys.add(key);
    }
  }

  /**
   * After a write commits: drops entries built from any of `tags` here (synchronously, so
   * this instance's next read sees the write) and on every other instance.
   */
  async invalidate(tags: readonly string[]): Promise<void> {
    if (tags.length === 0) return;
    this.drop(tags);
    await this.pubsub.publish(this.channel, { tags });
  }

  /** Drops entries built from `tags` on this instance only (the change was announced to all already). */
  invalidateLocal(tags: readonly string[]): void {
    this.drop(tags);
  }

  private drop(tags: readonly string[]): void {
    this.epochValue++;
    for (const tag of tags) {
      const keys = this.byTag.get(tag);
      if (!keys) continue;
      for (const key of keys) {
        const entry = this.entries.get(key);
        if (entry) this.remove(key, entry);
      }
    }
  }

  private clear(): void {
    this.epochValue++;
    this.entries.clear();
    this.byTag.clear();
    this.bytes = 0;
  }

  private remove(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.bytes -= entry.bytes;
    for (const tag of entry.tags) {
      const keys = this.byTag.get(tag);
      if (keys && keys.delete(key) && keys.size === 0) this.byTag.delete(tag);
    }
  }
}
