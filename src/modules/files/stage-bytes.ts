import { createHash, randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AllowedType, StagedFile } from './upload.js';

/**
 * A file the server itself wrote (e.g. the CSV of a lab result posted through FHIR), staged
 * like an upload so it is stored, audited and access-checked through the same path
 * (`FilesService.storeWith` or a module's upload method). The caller vouches for the type.
 */
export async function stageBytes(staging: { tmpDir: string }, bytes: Buffer, filename: string, contentType: AllowedType): Promise<StagedFile> {
  await mkdir(staging.tmpDir, { recursive: true, mode: 0o700 });
  const path = join(staging.tmpDir, `${randomUUID()}.generated`);
  await writeFile(path, bytes, { flag: 'wx', mode: 0o600 });
  return { path, filename, contentType, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), fields: {}, cleanup: [path] };
}
