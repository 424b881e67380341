import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { startAzurite } from '../../../test/helpers/azurite.js';
import { AzureBlobStorage } from './azure.js';
import { ObjectNotFoundError } from './storage.js';

/** The ObjectStorage contract on Azure Blob Storage, against Azurite started for this file. */
const azurite = await startAzurite({ after });
const storage = new AzureBlobStorage({ ...azurite, prefix: 'test/' });

/** `size` bytes in 1 MiB chunks, produced as read: the upload never has them all at once. */
function bytes(size: number, fail?: Error): { stream: Readable; digest: () => string } {
  const hash = createHash('sha256');
  let sent = 0;
  const stream = new Readable({
    read() {
      if (fail && sent >= size / 2) return this.destroy(fail);
      if (sent >= size) return this.push(null);
      const chunk = randomBytes(Math.min(1024 * 1024, size - sent));
      sent += chunk.length;
      hash.update(chunk);
      this.push(chunk);
    },
  });
  return { stream, digest: () => hash.digest('hex') };
}
async function digestOf(stream: Readable): Promise<{ hex: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { hex: hash.digest('hex'), size };
}

describe('Azure Blob storage (Azurite)', () => {
  it('streams a 20 MB object up and down unchanged, with its content type', async () => {
    const size = 20 * 1024 * 1024 + 123;
    const body = bytes(size);
    await storage.put('files/2026/12/big', body.stream, { contentType: 'application/pdf', size });
    const back = await digestOf(await storage.get('files/2026/12/big'));
    assert.equal(back.size, size);
    assert.equal(back.hex, body.digest());
    const { BlobServiceClient } = await import('@azure/storage-blob');
    const props = await BlobServiceClient.fromConnectionString(azurite.connectionString)
      .getContainerClient(azurite.container)
      .getBlobClient('test/files/2026/12/big')
      .getProperties();
    assert.equal(props.contentType, 'application/pdf');
  });

  it('a missing object is ObjectNotFoundError; delete removes it and is idempotent', async () => {
    await assert.rejects(storage.get('files/none/here'), ObjectNotFoundError);
    await storage.put('files/small', Readable.from([Buffer.from('hello')]), { contentType: 'text/plain', size: 5 });
    assert.equal((await digestOf(await storage.get('files/small'))).size, 5);
    await storage.delete('files/small');
    await assert.rejects(storage.get('files/small'), ObjectNotFoundError);
    await storage.delete('files/small');
  });

  it('an upload that fails half way leaves no object behind', async () => {
    const body = bytes(12 * 1024 * 1024, new Error('client went away'));
    await assert.rejects(storage.put('files/broken', body.stream, { contentType: 'application/octet-stream', size: 12 * 1024 * 1024 }));
    await assert.rejects(storage.get('files/broken'), ObjectNotFoundError);
  });

  it('refuses unsafe keys; check() passes, and fails for a container that does not exist', async () => {
    await assert.rejects(storage.put('../etc/passwd', Readable.from([]), { contentType: 'text/plain', size: 0 }), /Unsafe storage key/);
    await storage.check();
    await assert.rejects(new AzureBlobStorage({ ...azurite, container: 'no-such-container' }).check());
  });
});
