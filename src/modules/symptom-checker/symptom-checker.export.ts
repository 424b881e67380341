import { sql } from 'kysely';
import type { Db } from '../../platform/database/index.js';
import { decodeCursor, toPage } from '../../platform/http/pagination.js';
import { iso } from '../../platform/http/schemas.js';
import type { AuditService, RequestMeta } from '../audit/index.js';
import type { InterviewState } from './interview.js';

interface ExportRow {
  id: string;
  state: InterviewState | string;
  finished: boolean;
  triage_level: string;
  top_condition_id: string | null;
  top_condition_name: string | null;
  questions_asked: number;
  kb_version: string;
  model_version: string | null;
  created_at: Date;
  updated_at: Date;
  expires_at: Date;
  feedback_helpful: boolean | null;
  feedback_rating: number | null;
  feedback_comment: string | null;
  feedback_actual_condition: string | null;
  feedback_at: Date | null;
}

/**
 * The symptom-checker section of "Download my data" (identity's PatientExportService, wired in
 * src/modules/services.ts): each interview the patient ran, oldest first — what they told it
 * (age and sex given, the words it recognised and those it did not, numbers it read, every
 * answer), where it ended (triage level, top condition) and the feedback they gave. Expired
 * sessions are included: the rows are kept, and they are the patient's data. The engine's
 * internal posterior and pending question are not (they are recomputed, not stored facts).
 * Each page is audited as one list read.
 */
export class SymptomCheckerExport {
  constructor(
    private readonly db: Db,
    private readonly audit: Pick<AuditService, 'record'>,
  ) {}

  async page(meta: RequestMeta, patientId: string, cursor: string | undefined, limit = 100) {
    const after = decodeCursor(cursor, 'timestamp');
    const { rows } = await sql<ExportRow>`
      select s.id, s.state, s.finished, s.triage_level, s.top_condition_id, s.top_condition_name, s.questions_asked,
             s.kb_version, s.model_version, s.created_at, s.updated_at, s.expires_at,
             f.helpful as feedback_helpful, f.rating as feedback_rating, f.comment as feedback_comment,
             f.actual_condition as feedback_actual_condition, f.created_at as feedback_at
      from symptom_sessions s
      left join symptom_feedback f on f.session_id = s.id and f.user_id = s.user_id
      where s.user_id = ${patientId}
        ${after ? sql`and (s.created_at, s.id) > (select created_at, id from symptom_sessions where id = ${after.id})` : sql``}
      order by s.created_at, s.id
      limit ${limit + 1}`.execute(this.db);
    const page = toPage(
      rows,
      limit,
      (row) => row.created_at.toISOString(),
      (row) => {
        const state = (typeof row.state === 'string' ? JSON.parse(row.state) : row.state) as Partial<InterviewState>;
        return {
          session_id: row.id,
          created_at: iso(row.created_at),
          updated_at: iso(row.updated_at),
          expires_at: iso(row.expires_at),
          finished: row.finished,
          triage_level: row.triage_level,
          top_condition: row.top_condition_id ? { id: row.top_condition_id, name: row.top_condition_name ?? row.top_condition_id } : null,
          questions_asked: row.questions_asked,
          kb_version: row.kb_version,
          model_version: row.model_version,
          patient: state.patient ?? null,
          recognised: state.recognised ?? [],
          unrecognised: (state.unrecognised ?? []).map((u) => u.text),
          understood: state.understood ?? null,
          answers: state.answers ?? [],
          red_flags_in_text: (state.text_red_flags ?? []).map((f) => ({ id: f.id, name: f.name })),
          stop_reason: state.stop_reason ?? null,
          feedback:
            row.feedback_at === null
              ? null
              : {
                  helpful: row.feedback_helpful,
                  rating: row.feedback_rating,
                  comment: row.feedback_comment,
                  actual_condition: row.feedback_actual_condition,
                  created_at: iso(row.feedback_at),
                },
        };
      },
    );
    if (page.items.length) {
      await this.audit.record(this.db, meta, [
        {
          patientId,
          resourceType: 'symptom_checker_session',
          resourceId: null,
          resourceIds: page.items.map((item) => item.session_id),
          action: 'list',
          details: { export: true },
        },
      ]);
    }
    return page;
  }
}
