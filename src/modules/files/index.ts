import { join } from 'node:path';
import multipart from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';
import type { AppContext, AppModule } from '../../platform/context.js';
import { createStorage, type ObjectStorage } from '../../platform/storage/index.js';
import { auditFor } from '../audit/index.js';
import { FileAccess } from './file-access.js';
import { FilesRepository } from './files.repository.js';
import { FilesService } from './files.service.js';
import { filesRoutes } from './files.routes.js';
import { FileSchema } from './files.schemas.js';
import './files.tables.js';

export { FilesService, fileDto, type FileDto } from './files.service.js';
export { FileAccess, type FileAccessRule } from './file-access.js';
export { contentDisposition, fileHeaders } from './files.routes.js';
export type { StagedFile, AllowedType } from './upload.js';
export type { FileRow } from './files.repository.js';

/**
 * Files and storage.
 *
 * - `storageFor(ctx)`: the ObjectStorage chosen once from the config (local disk under
 *   DATA_DIR/files, or S3 when S3_BUCKET is set). See docs/STORAGE.md.
 * - `filesFor(ctx)`: the FilesService. Other modules use:
 *     - `files.receive(request, allowedTypes)` + `files.storeWith(staged, owner, (trx, file) => …)`
 *       to accept an upload and reference it from their own rows in one transaction;
 *     - `files.canRead(db, actor, fileId)` — "may this actor read file X?";
 *     - `files.access.register(async (db, actor, fileId, file) => boolean, 'chat')` — an extra
 *       rule granting read access (e.g. chat: participants of a room where the file was
 *       shared). Rules only grant; the uploader and the patient's care team always may.
 *   GET /files/{id} and /files/{id}/download honour every registered rule.
 * - `withMultipart(app, ctx, routes)`: registers routes in a scope that parses multipart
 *   bodies with the upload limit (used by /files, /medical/records/{id}/upload, /reports).
 */
const storages = new WeakMap<AppContext, ObjectStorage>();
const services = new WeakMap<AppContext, FilesService>();

export function storageFor(ctx: AppContext): ObjectStorage {
  let storage = storages.get(ctx);
  if (!storage) {
    storage = createStorage(ctx.config);
    storages.set(ctx, storage);
  }
  return storage;
}

export function filesFor(ctx: AppContext): FilesService {
  let service = services.get(ctx);
  if (!service) {
    service = new FilesService({
      db: ctx.db,
      storage: storageFor(ctx),
      files: new FilesRepository(),
      access: new FileAccess(ctx.care),
      audit: auditFor(ctx),
      tmpDir: join(ctx.config.dataDir, 'tmp', 'uploads'),
      uploadLimitBytes: ctx.config.uploadLimitBytes,
    });
    services.set(ctx, service);
  }
  return service;
}

/** Registers `routes` in an encapsulated scope that accepts multipart/form-data. */
export async function withMultipart(app: FastifyInstance, ctx: AppContext, routes: (scope: FastifyInstance) => Promise<void>): Promise<void> {
  await app.register(async (scope) => {
    if (!scope.hasContentTypeParser('multipart/form-data')) {
      await scope.register(multipart, { limits: { fileSize: ctx.config.uploadLimitBytes + 1, files: 1, fields: 20, parts: 25 } });
    }
    await routes(scope);
  });
}

export const filesModule: AppModule = {
  name: 'files',
  async routes(app, ctx) {
    app.addSchema(FileSchema);
    const files = filesFor(ctx);
    await withMultipart(app, ctx, (scope) => filesRoutes(scope, files));
  },
  readiness: (ctx) => [{ name: `storage (${storageFor(ctx).kind})`, check: () => storageFor(ctx).check() }],
};
