import { once } from 'node:events';
import { PassThrough, Readable } from 'node:stream';
import { Zip, ZipDeflate, ZipPassThrough } from 'fflate';
import type { Db } from '../../platform/database/index.js';
import type { RequestMeta } from '../../platform/http/request-meta.js';
import { NotFoundError, ServiceUnavailableError } from '../../platform/errors.js';
import type { UsersRepository } from './users.repository.js';
import type { MfaRepository } from './mfa.repository.js';
import { toUserDto } from './identity.service.js';

/**
 * One part of a patient's export, read through the owning area's own list service (so its
 * access rules, its audit rows and its API representation apply): one page per call.
 */
export interface ExportSection {
  name: string;
  page(meta: RequestMeta, patientId: string, cursor: string | undefined): Promise<{ items: unknown[]; next_cursor?: string | null }>;
  /** Bytes that belong in the ZIP form beside the JSON (the files section), read under the area's rule and audit. */
  contents?(meta: RequestMeta, patientId: string): AsyncIterable<{ path: string; modified: Date; open(): Promise<Readable> }>;
}

export type ExportFormat = 'json' | 'zip';

const README = `This archive is a copy of your data at CareBridge.

carebridge-export.json  everything in one JSON document (format carebridge-export/1): your account,
                        appointments, records, prescriptions, lab reports, allergies, files,
                        chat messages, symptom-checker sessions and who looked at your data.
files/<id>/<name>       the files themselves (your uploads, documents your care team attached to
                        your record, lab report files); each one is listed in the JSON under
                        "files", where "archive_path" names it and "sha256" lets you check it.
`;

/** The audit sink (the audit module's `record`, wired in src/modules/services.ts). */
export type ExportAudit = (meta: RequestMeta, event: { patientId: string; details: Record<string, unknown> }) => Promise<void>;

/**
 * "Download my data" (GDPR Art. 15/20) and an admin's export of a patient's record: one JSON
 * document, streamed section by section as the pages are read, so a long history never sits
 * in memory. Identity is built before the clinical areas, so their sections are connected
 * afterwards by the composition root (src/modules/services.ts). The routes need step-up.
 */
export class PatientExportService {
  private sections: ExportSection[] = [];
  private audit: ExportAudit | null = null;

  constructor(
    private readonly db: Db,
    private readonly users: UsersRepository,
    private readonly mfa: MfaRepository,
  ) {}

  connect(audit: ExportAudit, sections: ExportSection[]): void {
    this.audit = audit;
    this.sections = sections;
  }

  /**
   * The export of `patientId` for `meta.actor` (the route allows the patient themself or an
   * admin). Not a patient's account: 404. Audited before the first byte, so an export that is
   * cut short is still on record.
   */
  async exportOf(meta: RequestMeta, patientId: string, format: ExportFormat = 'json'): Promise<{ filename: string; contentType: string; stream: Readable }> {
    if (!this.audit) throw new ServiceUnavailableError('Export unavailable', 'The export is not connected to the clinical areas.');
    const user = await this.users.findById(this.db, patientId);
    if (!user || user.role !== 'patient' || user.status === 'deleted') throw new NotFoundError('Patient');
    const identities = await this.mfa.externalIdentitiesOf(this.db, user.id);
    const factors = await this.mfa.factorsOf(this.db, user.id);
    const exportedAt = new Date().toISOString();
    await this.audit(meta, {
      patientId: user.id,
      details: { export: true, format, by: meta.actor.id === user.id ? 'self' : meta.actor.role, sections: ['account', ...this.sections.map((s) => s.name)] },
    });
    const sections = this.sections;
    const id = user.id;
    const head = {
      format: 'carebridge-export/1',
      exported_at: exportedAt,
      exported_by: meta.actor.id === user.id ? 'self' : { id: meta.actor.id, role: meta.actor.role },
      account: {
        ...toUserDto(user),
        sign_in: {
          external_providers: identities.map((i) => ({ provider: i.provider, email: i.email, linked_at: i.created_at.toISOString() })),
          authenticator_app: factors.totp,
          passkeys: factors.webauthn,
          recovery_codes_left: factors.recoveryCodes,
        },
      },
    };
    async function* body(): AsyncGenerator<string> {
      // The head object without its closing brace; each section follows as "name": [ items ].
      yield JSON.stringify(head).slice(0, -1);
      for (const section of sections) {
        yield `,${JSON.stringify(section.name)}:[`;
        let cursor: string | undefined;
        let first = true;
        do {
          const page = await section.page(meta, id, cursor);
          for (const item of page.items) {
            yield (first ? '' : ',') + JSON.stringify(item);
            first = false;
          }
          cursor = page.next_cursor ?? undefined;
        } while (cursor);
        yield ']';
      }
      yield '}\n';
    }
    const name = `carebridge-export-${user.id}-${exportedAt.slice(0, 10)}`;
    if (format === 'json')
      return { filename: `${name}.json`, contentType: 'application/json; charset=utf-8', stream: Readable.from(body(), { objectMode: false }) };
    const contents = sections.flatMap((section) => (section.contents ? [section.contents.bind(section)] : []));
    return { filename: `${name}.zip`, contentType: 'application/zip', stream: zipStream(body(), () => contents.map((read) => read(meta, id))) };
  }
}

/**
 * The ZIP form (GDPR Art. 15(3) "a copy", Art. 20 portability): README.txt, the JSON document
 * (deflated) and each file's bytes as stored (already compressed formats gain nothing from
 * deflate). Written as it is read, with backpressure: neither the JSON nor any file sits in
 * memory whole. A failure part way destroys the stream, so the client gets a truncated archive,
 * which unzip tools reject, never a complete-looking one.
 */
function zipStream(json: AsyncGenerator<string>, contents: () => AsyncIterable<{ path: string; modified: Date; open(): Promise<Readable> }>[]): Readable {
  const out = new PassThrough();
  const zip = new Zip((err, chunk, final) => {
    if (err) return void out.destroy(err);
    out.write(chunk);
    if (final) out.end();
  });
  const drained = async () => {
    if (out.writableNeedDrain) await once(out, 'drain');
  };
  const write = async () => {
    const readme = new ZipDeflate('README.txt', { level: 6 });
    zip.add(readme);
    readme.push(new TextEncoder().encode(README), true);
    const document = new ZipDeflate('carebridge-export.json', { level: 6 });
    zip.add(document);
    const encoder = new TextEncoder();
    for await (const piece of json) {
      document.push(encoder.encode(piece));
      await drained();
    }
    document.push(new Uint8Array(0), true);
    for (const files of contents())
      for await (const file of files) {
        const entry = new ZipPassThrough(file.path);
        entry.mtime = file.modified;
        zip.add(entry);
        for await (const chunk of await file.open()) {
          entry.push(chunk as Uint8Array);
          await drained();
        }
        entry.push(new Uint8Array(0), true);
      }
    zip.end();
  };
  write().catch((err: unknown) => out.destroy(err as Error));
  return out;
}
