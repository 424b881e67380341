import { join } from 'node:path';
import type { Config } from '../config.js';
import { AzureBlobStorage } from './azure.js';
import { LocalDiskStorage } from './local.js';
import { S3Storage } from './s3.js';
import type { ObjectStorage } from './storage.js';

export type { ObjectStorage } from './storage.js';
export { ObjectNotFoundError, assertSafeKey } from './storage.js';
export { LocalDiskStorage } from './local.js';
export { S3Storage } from './s3.js';
export { AzureBlobStorage } from './azure.js';

/**
 * Picks the storage backend once, from the config: Azure Blob Storage when
 * AZURE_STORAGE_CONNECTION_STRING is set (with AZURE_STORAGE_CONTAINER), S3-compatible object
 * storage when S3_BUCKET is set (S3_ENDPOINT for non-AWS servers), otherwise local disk under
 * `<DATA_DIR>/files`. The config refuses both cloud backends at once. See docs/STORAGE.md.
 */
export function createStorage(config: Pick<Config, 'dataDir' | 's3' | 'azure'>): ObjectStorage {
  if (config.azure.connectionString && config.azure.container) {
    return new AzureBlobStorage({ connectionString: config.azure.connectionString, container: config.azure.container });
  }
  if (config.s3.bucket) {
    return new S3Storage({ ...config.s3, bucket: config.s3.bucket });
  }
  return new LocalDiskStorage(join(config.dataDir, 'files'));
}
