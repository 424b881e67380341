import type { Readable } from 'node:stream';
import type { ContainerClient } from '@azure/storage-blob';
import { assertSafeKey, ObjectNotFoundError, type ObjectStorage } from './storage.js';

export interface AzureBlobStorageOptions {
  /** AZURE_STORAGE_CONNECTION_STRING (account key or SAS; `UseDevelopmentStorage=true` style strings for Azurite). */
  connectionString: string;
  /** AZURE_STORAGE_CONTAINER: must exist (created by whoever provisions the account). */
  container: string;
  /** Key prefix inside the container (e.g. one per deployment). */
  prefix?: string;
}

/**
 * Azure Blob Storage (issue 15 item 7) through @azure/storage-blob, pinned to 12.32.0, the last
 * release whose engines (and whose @azure/core-* dependencies, as npm resolves them) still accept
 * Node 20.19 (package.json engines). Uploads stream as block blobs (4 MiB blocks, two in flight):
 * a 50 MB file never sits in memory whole, and the blob exists only once its block list is
 * committed at the end, so a failed upload leaves nothing visible. Downloads stream.
 * The SDK is imported on first use, as for S3.
 *
 * Selected by createStorage (index.ts) when AZURE_STORAGE_CONNECTION_STRING is set; the files
 * table accepts `azure` as its storage_backend since
 * src/modules/files/migrations/202612072310_files_azure_backend.ts.
 */
export class AzureBlobStorage implements ObjectStorage {
  readonly kind = 'azure' as const;
  private readonly prefix: string;
  private client: Promise<ContainerClient> | null = null;

  constructor(private readonly options: AzureBlobStorageOptions) {
    this.prefix = options.prefix ?? '';
  }

  private container(): Promise<ContainerClient> {
    this.client ??= import('@azure/storage-blob').then(({ BlobServiceClient }) =>
      BlobServiceClient.fromConnectionString(this.options.connectionString, { retryOptions: { maxTries: 3 } }).getContainerClient(this.options.container),
    );
    return this.client;
  }

  private key(key: string): string {
    assertSafeKey(key);
    return this.prefix + key;
  }

  async put(key: string, body: Readable, meta: { contentType: string; size: number }): Promise<void> {
    const blob = (await this.container()).getBlockBlobClient(this.key(key));
    await blob.uploadStream(body, 4 * 1024 * 1024, 2, { blobHTTPHeaders: { blobContentType: meta.contentType } });
  }

  async get(key: string): Promise<Readable> {
    const blob = (await this.container()).getBlobClient(this.key(key));
    try {
      const result = await blob.download();
      if (!result.readableStreamBody) throw new ObjectNotFoundError(key);
      return result.readableStreamBody as Readable;
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) throw new ObjectNotFoundError(key);
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await (await this.container()).getBlobClient(this.key(key)).deleteIfExists();
  }

  async check(): Promise<void> {
    await (await this.container()).getProperties();
  }
}
