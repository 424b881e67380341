import type { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { assertSafeKey, ObjectNotFoundError, type ObjectStorage } from './storage.js';

export interface S3StorageOptions {
  endpoint: string | null;
  bucket: string;
  region: string;
  accessKeyId: string | null;
  secretAccessKey: string | null;
  forcePathStyle: boolean;
  /** Key prefix inside the bucket (e.g. one per deployment). */
  prefix?: string;
}

/**
 * S3-compatible object storage (AWS S3, MinIO, Ceph, R2...) via the AWS SDK v3.
 * Uploads stream through `@aws-sdk/lib-storage` (multipart for large bodies, a few
 * 8 MiB parts in flight at most), so a 50 MB file never sits in memory whole; S3
 * makes the object visible only when the upload completes, and a failed multipart
 * upload is aborted.
 *
 * The SDK (~45 MB resident, most of a second to load) is imported on first use, so a
 * server on local-disk storage never pays for it (docs/BENCHMARKS.md, Footprint).
 */
export class S3Storage implements ObjectStorage {
  readonly kind = 's3' as const;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly options: S3StorageOptions;
  private sdk: Promise<{ client: S3Client; s3: typeof import('@aws-sdk/client-s3') }> | null = null;

  constructor(options: S3StorageOptions) {
    this.bucket = options.bucket;
    this.prefix = options.prefix ?? '';
    this.options = options;
  }

  private load() {
    this.sdk ??= import('@aws-sdk/client-s3').then((s3) => ({
      s3,
      client: new s3.S3Client({
        region: this.options.region,
        endpoint: this.options.endpoint ?? undefined,
        forcePathStyle: this.options.forcePathStyle,
        credentials:
          this.options.accessKeyId && this.options.secretAccessKey
            ? { accessKeyId: this.options.accessKeyId, secretAccessKey: this.options.secretAccessKey }
            : undefined,
        maxAttempts: 3,
      }),
    }));
    return this.sdk;
  }

  private key(key: string): string {
    assertSafeKey(key);
    return this.prefix + key;
  }

  async put(key: string, body: Readable, meta: { contentType: string; size: number }): Promise<void> {
    const [{ client }, { Upload }] = await Promise.all([this.load(), import('@aws-sdk/lib-storage')]);
    const upload = new Upload({
      client,
      params: { Bucket: this.bucket, Key: this.key(key), Body: body, ContentType: meta.contentType, ContentLength: meta.size },
      partSize: 8 * 1024 * 1024,
      queueSize: 2,
      leavePartsOnError: false,
    });
    await upload.done();
  }

  async get(key: string): Promise<Readable> {
    try {
      const { client, s3 } = await this.load();
      const result = await client.send(new s3.GetObjectCommand({ Bucket: this.bucket, Key: this.key(key) }));
      if (!result.Body) throw new ObjectNotFoundError(key);
      return result.Body as Readable;
    } catch (err) {
      const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404) throw new ObjectNotFoundError(key);
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    const { client, s3 } = await this.load();
    await client.send(new s3.DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(key) }));
  }

  async check(): Promise<void> {
    const { client, s3 } = await this.load();
    await client.send(new s3.HeadBucketCommand({ Bucket: this.bucket }));
  }

  close(): void {
    // Nothing to close if the SDK was never loaded; otherwise once it is, release its sockets.
    void this.sdk?.then(({ client }) => client.destroy());
  }
}
