import { Redis } from 'ioredis';
import type { Config } from './config.js';

/** One shared command connection per process when REDIS_URL is set; null otherwise. */
export function createRedis(config: Config, name: string): Redis | null {
  if (!config.redisUrl) return null;
  return new Redis(config.redisUrl, {
    connectionName: `carebridge-${name}`,
    maxRetriesPerRequest: 3,
    enableOfflineQueue: true,
    lazyConnect: false,
  });
}
