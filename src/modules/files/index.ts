import { join } from 'node:path';
import multipart from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';
import type { AppContext, AppModule } from '../../platform/context.js';
import type { ObjectStorage } from '../../platform/storage/index.js';
import type { Config } from '../../platform/config.js';
import type { Db } from '../../platform/database/index.js';
import type { CareRelationships } from '../../platform/access.js';
import type { AuditService } from '../audit/index.js';
import { FileAccess } from './file-access.js';
import { FilesRepository } from './files.repository.js';
import { FilesService } from './files.service.js';
import { filesRoutes } from './files.routes.js';
import { FileSchema } from './files.schemas.js';
import { FilesExport } from './files.export.js';
import './files.tables.js';

export { FilesService, fileDto, type FileDto } from './files.service.js';
export { FileAccess, type FileAccessRule } from './file-access.js';
export { contentDisposition, fileHeaders } from './files.routes.js';
export type { StagedFile, AllowedType } from './upload.js';
export { IMAGE_TYPES } from './upload.js';
export { receiveFile } from './receive.js';
export { stageBytes } from './stage-bytes.js';
export type { FileRow } from './files.repository.js';
export type { FilesExport, FileExportItem } from './files.export.js';

/**
 * Files and storage. Built once per instance by src/modules/services.ts: `services.storage`
 * (local disk under DATA_DIR/files, or S3 when S3_BUCKET is set; docs/STORAGE.md) and
 * `services.files`, the FilesService other modules receive as a constructor argument:
 *   - the route receives an upload (`receiveUpload(request, …)` via `files.receive`) and hands
 *     the StagedFile to a service, which calls `files.storeWith(staged, owner, (trx, file) => …)`
 *     to reference it from its own rows in one transaction;
 *   - `files.canRead(db, actor, fileId)` — "may this actor read file X?";
 *   - `files.access.register(async (db, actor, fileId, file) => boolean, 'chat')` — an extra
 *     rule granting read access (e.g. chat: participants of a room where the file was
 *     shared). Rules only grant; the uploader and the patient's care team always may.
 *   GET /files/{id} and /files/{id}/download honour every registered rule.
 * - `withMultipart(app, ctx, routes)`: registers routes in a scope that parses multipart
 *   bodies with the upload limit (used by /files, /medical/records/{id}/upload, /reports).
 */
export function buildFilesServices(deps: { config: Config; db: Db; care: CareRelationships; audit: AuditService; storage: ObjectStorage }): FilesService {
  return new FilesService({
    db: deps.db,
    storage: deps.storage,
    files: new FilesRepository(),
    access: new FileAccess(deps.care),
    audit: deps.audit,
    tmpDir: join(deps.config.dataDir, 'tmp', 'uploads'),
    uploadLimitBytes: deps.config.uploadLimitBytes,
  });
}

/** The files section of a patient's data export (identity's PatientExportService; files.export.ts). */
export function buildFilesExport(deps: {
  config: Pick<Config, 'publicBaseUrl'>;
  db: Db;
  audit: Pick<AuditService, 'record'>;
  storage: Pick<ObjectStorage, 'get'>;
}): FilesExport {
  return new FilesExport(deps.db, deps.audit, deps.config.publicBaseUrl, deps.storage);
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
    const files = ctx.services.files;
    await withMultipart(app, ctx, (scope) => filesRoutes(scope, files));
  },
  readiness: ({ services: { storage } }) => [{ name: `storage (${storage.kind})`, check: () => storage.check() }],
};
