import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../../src/platform/config.js';

/**
 * Starts a real S3-compatible server (s3rver, from the npm registry) on a free port for
 * one test file, with a fresh bucket, and returns the `s3` config that points at it.
 * Stopped (and its directory removed) when the test ends.
 */
export async function startS3Server(t: Pick<TestContext, 'after'>, bucket = 'carebridge-test'): Promise<Config['s3'] & { bucket: string; endpoint: string }> {
  process.env.AWS_SDK_JS_SUPPRESS_NODE_DEPRECATION_WARNING ??= '1';
  // @ts-expect-error s3rver ships no type declarations
  const { default: S3rver } = (await import('s3rver')) as unknown as {
    default: new (options: Record<string, unknown>) => { run(): Promise<{ port: number }>; close(): Promise<void> };
  };
  const directory = mkdtempSync(join(tmpdir(), 'carebridge-s3rver-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory });
  const { port } = await server.run();
  const s3 = {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    region: 'us-east-1',
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    forcePathStyle: true,
  };
  const client = new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  client.destroy();
  t.after(async () => {
    await server.close();
    rmSync(directory, { recursive: true, force: true });
  });
  return s3;
}
