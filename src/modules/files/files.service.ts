import { createReadStream } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Actor } from '../../platform/access.js';
import type { Db, Executor, Tx } from '../../platform/database/index.js';
import { NotFoundError } from '../../platform/errors.js';
import { ObjectNotFoundError, type ObjectStorage } from '../../platform/storage/index.js';
import { iso } from '../../platform/http/schemas.js';
import type { AuditService, RequestMeta } from '../audit/index.js';
import type { FileAccess } from './file-access.js';
import type { FileRow, FilesRepository } from './files.repository.js';
import { discardStaged, type StagedFile } from './upload.js';

export interface FileDto {
  id: string;
  filename: string;
  content_type: string;
  size: number;
  sha256: string;
  created_at: string;
}

export function fileDto(row: FileRow): FileDto {
  return { id: row.id, filename: row.filename, content_type: row.content_type, size: row.size, sha256: row.sha256, created_at: iso(row.created_at) };
}

export interface FilesServiceDeps {
  db: Db;
  storage: ObjectStorage;
  files: FilesRepository;
  access: FileAccess;
  audit: AuditService;
  tmpDir: string;
  uploadLimitBytes: number;
}

/**
 * Files: receive (stream, sniff, validate, strip) → store (object storage, then the
 * metadata row in the caller's transaction) → read back only to permitted users.
 * Routes receive an upload (`receiveFile` in index.ts) and hand the StagedFile to a service,
 * which calls `storeWith` to attach it to its own rows, so an upload and the row that
 * references it are committed together or not at all.
 */
export class FilesService {
  readonly access: FileAccess;
  private readonly db: Db;
  private readonly storage: ObjectStorage;
  private readonly files: FilesRepository;
  private readonly audit: AuditService;
  private readonly tmpDir: string;
  private readonly uploadLimitBytes: number;

  constructor(deps: FilesServiceDeps) {
    this.db = deps.db;
    this.storage = deps.storage;
    this.files = deps.files;
    this.access = deps.access;
    this.audit = deps.audit;
    this.tmpDir = deps.tmpDir;
    this.uploadLimitBytes = deps.uploadLimitBytes;
  }

  get storageKind(): ObjectStorage['kind'] {
    return this.storage.kind;
  }

  /** Where step 1 (receiving an upload in the route: `receiveFile` in index.ts, upload.ts) stages files, and their size limit. */
  get staging(): { tmpDir: string; limitBytes: number } {
    return { tmpDir: this.tmpDir, limitBytes: this.uploadLimitBytes };
  }

  discard(staged: StagedFile): Promise<void> {
    return discardStaged(staged);
  }

  /**
   * Step 2: streams the staged bytes to object storage, then runs `write` in one database
   * transaction with the new file row. If the transaction fails the stored object is
   * deleted again, so no half-stored upload remains; the temporary files always go.
   */
  async storeWith<T>(staged: StagedFile, owner: { ownerId: string; patientId: string | null }, write: (trx: Tx, file: FileRow) => Promise<T>): Promise<T> {
    const now = new Date();
    const key = `files/${now.getUTCFullYear()}/${String(now.getUTCMonth() + 1).padStart(2, '0')}/${randomUUID()}`;
    try {
      await this.storage.put(key, createReadStream(staged.path), { contentType: staged.contentType, size: staged.size });
      try {
        return await this.db.transaction().execute(async (trx) => {
          const file = await this.files.insert(trx, {
            owner_id: owner.ownerId,
            patient_id: owner.patientId,
            filename: staged.filename,
            content_type: staged.contentType,
            size: staged.size,
            sha256: staged.sha256,
            storage_backend: this.storage.kind,
            storage_key: key,
          });
          return write(trx, file);
        });
      } catch (err) {
        await this.storage.delete(key).catch(() => {});
        throw err;
      }
    } finally {
      await discardStaged(staged);
    }
  }

  /** POST /files: any user uploads; a patient's own uploads belong to their record. */
  async upload(meta: RequestMeta, staged: StagedFile): Promise<FileDto> {
    const patientId = meta.actor.role === 'patient' ? meta.actor.id : null;
    return this.storeWith(staged, { ownerId: meta.actor.id, patientId }, async (trx, file) => {
      await this.audit.record(trx, meta, [
        { patientId, resourceType: 'file', resourceId: file.id, action: 'upload', details: { content_type: file.content_type, size: file.size } },
      ]);
      return fileDto(file);
    });
  }

  /** The reusable check: may `actor` read file `fileId`? (For other modules, e.g. chat.) */
  async canRead(db: Executor, actor: Actor, fileId: string): Promise<boolean> {
    const file = await this.files.findById(db, fileId);
    return file !== undefined && (await this.access.canRead(db, actor, file));
  }

  /** Metadata of a file the actor may read (404 otherwise), without auditing. */
  async visible(db: Executor, actor: Actor, fileId: string): Promise<FileRow> {
    const file = await this.files.findById(db, fileId);
    if (!file || !(await this.access.canRead(db, actor, file))) throw new NotFoundError('File');
    return file;
  }

  /** Chart files of patients the caller already may see (the caller checks access): FHIR DocumentReference search. */
  async patientFiles(
    filter: { patientIds: string[]; ids?: string[]; from?: { at: Date; inclusive: boolean }; to?: { at: Date; inclusive: boolean }; descending: boolean },
    after: { at: Date; id: string } | null,
    limit: number,
  ): Promise<FileRow[]> {
    return this.files.patientFiles(this.db, filter, after, limit);
  }

  /**
   * Whose data a file is: its patient, or the patient who uploaded it (a skin-consult image is
   * stored without a patient link so that no care relationship opens it, but it is still theirs).
   * Null for a staff member's own upload.
   */
  async patientOf(db: Executor, file: FileRow): Promise<string | null> {
    return file.patient_id ?? (await this.files.patientAccount(db, file.owner_id));
  }

  async rowsByIds(db: Executor, ids: string[]): Promise<FileRow[]> {
    return this.files.findMany(db, ids);
  }

  /** GET /files/{id}[/download]: permission check, audit, then a stream from storage. */
  async open(meta: RequestMeta, fileId: string, action: 'read' | 'download'): Promise<{ file: FileRow; stream: Readable }> {
    const file = await this.visible(this.db, meta.actor, fileId);
    let stream: Readable;
    try {
      stream = await this.storage.get(file.storage_key);
    } catch (err) {
      if (err instanceof ObjectNotFoundError) throw new NotFoundError('File', 'The file content is no longer available.');
      throw err;
    }
    // A file stored without a patient link (a skin-consult image, so that no care relationship
    // opens it) is still its patient's data when a patient owns it: the read is audited against
    // them, so they see in GET /audit who opened it.
    const patientId = await this.patientOf(this.db, file);
    await this.audit.record(this.db, meta, [{ patientId, resourceType: 'file', resourceId: file.id, action }]);
    return { file, stream };
  }

  /** For seeding and internal use: stores bytes already on disk as a file. */
  tmpPath(): string {
    return join(this.tmpDir, `${randomUUID()}.seed`);
  }
}
