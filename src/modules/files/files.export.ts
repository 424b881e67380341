import { sql } from 'kysely';
import type { Db } from '../../platform/database/index.js';
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
  ) {}

  async page(meta: RequestMeta, patientId: string, cursor: string | undefined, limit = 100): Promise<{ items: FileExportItem[]; next_cursor: string | null }> {
    const after = decodeCursor(cursor, 'timestamp');
    // The position is the last row's id: its created_at is read in SQL, keeping PostgreSQL's
    // microseconds (a JavaScript Date would lose them; src/platform/database/keyset.ts).
    const { rows } = await sql<FileRow>`
      select * from files f
      where (f.patient_id = ${patientId} or (f.owner_id = ${patientId} and f.patient_id is null))
        ${after ? sql`and (f.created_at, f.id) > (select created_at, id from files where id = ${after.id})` : sql``}
      order by f.created_at, f.id
      limit ${limit + 1}`.execute(this.db);
    const base = this.baseUrl.replace(/\/+$/, '');
    const page = toPage(
      rows,
      limit,
      (row) => row.created_at.toISOString(),
      (row): FileExportItem => ({
        ...fileDto(row),
        uploaded_by_patient: row.owner_id === patientId,
        download_url: `${base}/api/v1/files/${row.id}/download`,
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
