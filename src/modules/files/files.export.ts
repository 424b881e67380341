import type { Readable } from 'node:stream';
import { sql } from 'kysely';
import type { Db } from '../../platform/database/index.js';
import type { ObjectStorage } from '../../platform/storage/index.js';
import { decodeCursor, toPage } from '../../platform/http/pagination.js';
import type { AuditService, RequestMeta } from '../audit/index.js';
import { fileDto, type FileDto } from './files.service.js';
import type { FileRow } from './files.repository.js';

/** One file in a patient's data export: its metadata and where to download it. */
export interface FileExportItem extends FileDto {
  /** True for the patient's own uploads, false for files their care team attached to their record. */
  uploaded_by_patient: boolean;
  /** GET this (signed in) for the bytes; the file's own read rule applies (docs/API.md §5). */
  download_url: string;
  /** Where the bytes are inside the ZIP form of the export (`?format=zip`). */
  archive_path: string;
}

/** One file's bytes for the ZIP form of the export. */
export interface FileExportContent {
  path: string;
  modified: Date;
  open(): Promise<Readable>;
}

/**
 * The path of a file inside the export archive: its own folder (the id), then its name with
 * anything that could leave that folder or confuse an unzip tool removed.
 */
function archivePath(row: FileRow): string {
  const name = row.filename
    .split(/[\\/]/)
    .pop()!
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f:*?"<>|]/g, '_')
    .replace(/^\.+/, '')
    .slice(0, 200);
  return `files/${row.id}/${name || 'file'}`;
}

/**
 * The files section of "Download my data" (identity's PatientExportService, wired in
 * src/modules/services.ts): the patient's files — those tied to them (their uploads, record
 * attachments, lab report files) and those they uploaded without a patient link (skin-consult
 * images) — by upload time, metadata and a download link rather than the bytes, so the JSON
 * stays small. A file tied to another patient never appears. Each page is audited as one list read.
 */
export class FilesExport {
  constructor(
    private readonly db: Db,
    private readonly audit: Pick<AuditService, 'record'>,
    /** PUBLIC_BASE_URL: the links are absolute, as the export is kept outside the portal. */
    private readonly baseUrl: string,
    private readonly storage: Pick<ObjectStorage, 'get'>,
  ) {}

  private async rows(patientId: string, afterId: string | null, limit: number): Promise<FileRow[]> {
    // The position is the last row's id: its created_at is read in SQL, keeping PostgreSQL's
    // microseconds (a JavaScript Date would lose them; src/platform/database/keyset.ts).
    const { rows } = await sql<FileRow>`
      select * from files f
      where (f.patient_id = ${patientId} or (f.owner_id = ${patientId} and f.patient_id is null))
        ${afterId ? sql`and (f.created_at, f.id) > (select created_at, id from files where id = ${afterId})` : sql``}
      order by f.created_at, f.id
      limit ${limit + 1}`.execute(this.db);
    return rows;
  }

  /**
   * The bytes of the same files, for the ZIP form of the export: a copy the patient keeps
   * offline, where the JSON's links would need a signed-in API call each. Each page is audited
   * before its bytes are read: one `download` row per file, marked as an export.
   */
  async *contents(meta: RequestMeta, patientId: string, pageSize = 100): AsyncGenerator<FileExportContent> {
    let afterId: string | null = null;
    for (;;) {
      const rows = await this.rows(patientId, afterId, pageSize);
      const page = rows.slice(0, pageSize);
      if (page.length)
        await this.audit.record(
          this.db,
          meta,
          page.map((row) => ({ patientId, resourceType: 'file', resourceId: row.id, action: 'download' as const, details: { export: true } })),
        );
      for (const row of page) yield { path: archivePath(row), modified: row.created_at, open: () => this.storage.get(row.storage_key) };
      if (rows.length <= pageSize) return;
      afterId = page.at(-1)!.id;
    }
  }

  async page(meta: RequestMeta, patientId: string, cursor: string | undefined, limit = 100): Promise<{ items: FileExportItem[]; next_cursor: string | null }> {
    const after = decodeCursor(cursor, 'timestamp');
    const rows = await this.rows(patientId, after?.id ?? null, limit);
    const base = this.baseUrl.replace(/\/+$/, '');
    const page = toPage(
      rows,
      limit,
      (row) => row.created_at.toISOString(),
      (row): FileExportItem => ({
        ...fileDto(row),
        uploaded_by_patient: row.owner_id === patientId,
        download_url: `${base}/api/v1/files/${row.id}/download`,
        archive_path: archivePath(row),
      }),
    );
    if (page.items.length) {
      await this.audit.record(this.db, meta, [
        { patientId, resourceType: 'file', resourceId: null, resourceIds: page.items.map((item) => item.id), action: 'list', details: { export: true } },
      ]);
    }
    return page;
  }
}
