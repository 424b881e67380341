import type { Redis } from 'ioredis';
import type { Config } from './config.js';

/**
 * One shared command connection per process when REDIS_URL is set; null otherwise.
 * ioredis is imported only then: an embedded set-up never loads it (docs/BENCHMARKS.md, Footprint).
 */
export async function createRedis(config: Config, name: string): Promise<Redis | null> {
  if (!config.redisUrl) return null;
  const { Redis: Client } = await import('ioredis');
  return new Client(config.redisUrl, {
    connectionName: `carebridge-${name}`,
    maxRetriesPerRequest: 3,
    enableOfflineQueue: true,
    lazyConnect: false,
  });
}
