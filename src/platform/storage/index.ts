import { join } from 'node:path';
import type { Config } from '../config.js';
import { LocalDiskStorage } from './local.js';
import { S3Storage } from './s3.js';
import type { ObjectStorage } from './storage.js';

export type { ObjectStorage } from './storage.js';
export { ObjectNotFoundError, assertSafeKey } from './storage.js';
export { LocalDiskStorage } from './local.js';
export { S3Storage } from './s3.js';

/**
 * Picks the storage backend once, from the config: S3-compatible object storage when
 * S3_BUCKET is set (S3_ENDPOINT for non-AWS servers), otherwise local disk under
 * `<DATA_DIR>/files`. See docs/STORAGE.md.
 */
export function createStorage(config: Pick<Config, 'dataDir' | 's3'>): ObjectStorage {
  if (config.s3.bucket) {
    return new S3Storage({ ...config.s3, bucket: config.s3.bucket });
  }
  return new LocalDiskStorage(join(config.dataDir, 'files'));
}
