import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HasAfter } from './build.js';

/** Azurite's well-known development account (public, documented by Microsoft). */
const ACCOUNT = 'devstoreaccount1';
const KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address ? address.port : 0;
}

/**
 * Starts Azurite's blob service (Microsoft's emulator, from the npm registry) in a child
 * process on a free loopback port for one test file, creates a container, and returns the
 * connection string and container. Stopped (and its directory removed) when the test ends.
 */
export async function startAzurite(t: HasAfter, container = 'carebridge-test'): Promise<{ connectionString: string; container: string }> {
  const port = await freePort();
  const directory = mkdtempSync(join(tmpdir(), 'carebridge-azurite-'));
  const child = spawn(
    process.execPath,
    [
      createRequire(import.meta.url).resolve('azurite/dist/src/blob/main.js'),
      '--blobHost',
      '127.0.0.1',
      '--blobPort',
      String(port),
      '--location',
      directory,
      '--silent',
      '--skipApiVersionCheck',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  t.after(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(directory, { recursive: true, force: true });
  });
  const connectionString = `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT};AccountKey=${KEY};BlobEndpoint=http://127.0.0.1:${port}/${ACCOUNT};`;
  const { BlobServiceClient } = await import('@azure/storage-blob');
  const service = BlobServiceClient.fromConnectionString(connectionString);
  // Ready when it answers: create the container (retrying while the process starts).
  for (let attempt = 0; ; attempt++) {
    try {
      await service.getContainerClient(container).createIfNotExists();
      return { connectionString, container };
    } catch (err) {
      if (child.exitCode !== null || attempt > 200) throw new Error(`Azurite did not start: ${(err as Error).message}\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
