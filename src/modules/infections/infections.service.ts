import { DateTime } from 'luxon';
import type { FastifyBaseLogger } from 'fastify';
import type { Actor } from '../../platform/access.js';
import type { Db, Executor } from '../../platform/database/index.js';
import { isUniqueViolation } from '../../platform/database/index.js';
import { AppError, ConflictError, NotFoundError, ValidationError } from '../../platform/errors.js';
import { decodeCursor, toPage } from '../../platform/http/pagination.js';
import { iso } from '../../platform/http/schemas.js';
import type { AuditService, RequestMeta } from '../audit/index.js';
import type { ChatService } from '../chat/index.js';
import type { FilesService, StagedFile } from '../files/index.js';
import type { SchedulingServices } from '../scheduling/index.js';
import type { AnalysisInput, AnalysisOutcome, Features } from './analysis/analyse.js';
import { assertAnalysableSource, decodeForAnalysis } from './analysis/decode.js';
import type { Scored } from './analysis/score.js';
import type { ConsultRow, InfectionRow, InfectionsRepository } from './infections.repository.js';
import type { ModelPrediction, SkinModel } from './model.js';

/** Shown with every result (issue 16 item 6). */
export const DISCLAIMER =
  'This is an automated analysis of one photo, not a diagnosis. It measures shape, border, colours and redness with fixed rules; it can miss melanoma and other serious conditions, and it cannot examine you. If the spot is new, changing, bleeding, itching or worrying you, see a doctor whatever this says.';

export const RULES_MODEL = {
  name: 'carebridge-derma-rules',
  version: '1.0.0',
  kind: 'rules' as const,
  description:
    'A rule-based feature score, not a trained classifier: ABCD total dermoscopy score (Stolz weights) for pigmented lesions and written rules for red, inflamed skin, computed from the photo by image processing. Published figures for the ABCD rule are a sensitivity of about 90 % and a specificity of about 72 % for melanoma, scored by experts on dermoscopic images; expect lower on phone photos, and this analyser has not been measured on real patients. Probabilities express how strongly the rules point, not how often they are right (docs/DERMA.md).',
};

export interface Analyser {
  run(input: AnalysisInput): Promise<AnalysisOutcome>;
  /** Analyses running or queued. */
  readonly pending: number;
}

/** Analyses allowed to run or wait at once (each holds a ≤ 1024-px RGB copy, 3 MB); more → 503. */
export const MAX_PENDING_ANALYSES = 16;

export interface DiagnoseFields {
  body_site?: string;
  notes?: string;
  scale_mm_per_px?: string | number;
}

export interface ConsultBody {
  type?: 'video' | 'in_person' | 'chat';
  after?: string;
}

export interface InfectionsDeps {
  db: Db;
  repository: InfectionsRepository;
  files: Pick<FilesService, 'storeWith' | 'discard'>;
  audit: Pick<AuditService, 'record'>;
  scheduling: Pick<SchedulingServices, 'appointments' | 'waitlist'>;
  /** Chat is optional: without it the consult is booked and shared, but no message is posted. */
  chat: () => Pick<ChatService, 'createRoom' | 'send' | 'removeParticipant' | 'announceRemoved'> | undefined;
  analyser: Analyser;
  model: SkinModel | null;
  log?: Pick<FastifyBaseLogger, 'warn'>;
}

function gateError(outcome: Exclude<AnalysisOutcome, { ok: true }>): AppError {
  return new AppError(
    422,
    'Unprocessable Content',
    outcome.reason,
    [{ path: '/image', message: `quality gate "${outcome.gate}" failed` }],
    `image-quality-${outcome.gate.replace(/_/g, '-')}`,
  );
}

function recommendation(risk: InfectionRow['risk'], recordId: string) {
  const consult = { method: 'POST' as const, href: `/api/v1/infections/${recordId}/consult` };
  if (risk === 'high') {
    return {
      see_dermatologist: true,
      urgency: 'soon',
      text: 'Features that dermatologists look at in melanoma were found. Please see a dermatologist within two weeks: book with one tap below.',
      consult,
    };
  }
  if (risk === 'medium') {
    return {
      see_dermatologist: true,
      urgency: 'routine',
      text: 'Some features need a closer look. We recommend seeing a dermatologist: book with one tap below.',
      consult,
    };
  }
  return {
    see_dermatologist: false,
    urgency: 'none',
    text: 'Nothing in this photo pointed to a problem. Watch the spot for changes in size, shape or colour, and see a doctor if it changes, bleeds or worries you.',
    consult,
  };
}

/**
 * Skin image analysis and dermatology consults (seed 004, docs/API.md §7.4, docs/DERMA.md).
 * A record is private to the patient until they ask for a consult: only then does the booked
 * dermatologist get access to it and to its image (the consult is the consent).
 */
export class InfectionsService {
  constructor(private readonly deps: InfectionsDeps) {}

  async diagnose(meta: RequestMeta, staged: StagedFile, fields: DiagnoseFields) {
    const actor = meta.actor;
    let analysed: { features: Features; scored: Scored; model: ModelPrediction | null };
    let input: { bodySite: string | null; notes: string | null; scale: number | null };
    try {
      input = validateFields({ ...staged.fields, ...stripUndefined(fields) });
      assertAnalysableSource(staged.image);
      if (this.deps.analyser.pending >= MAX_PENDING_ANALYSES) {
        throw new AppError(
          503,
          'Service Unavailable',
          'Too many photos are being analysed right now; try again in a few seconds.',
          undefined,
          'analyser-busy',
          { 'retry-after': '10' },
        );
      }
      const decoded = await decodeForAnalysis(staged.path);
      const outcome = await this.deps.analyser.run({ ...decoded, scaleMmPerPx: input.scale });
      if (!outcome.ok) throw gateError(outcome);
      const model = this.deps.model ? await this.deps.model.predict(staged.path) : null;
      analysed = { features: outcome.features, scored: outcome.scored, model };
    } catch (err) {
      await this.deps.files.discard(staged);
      throw err;
    }
    const { features, scored, model } = analysed;
    // With a model configured, its predictions lead; the rule-based features and risk stay beside them.
    const predictions = model ? model.predictions : scored.predictions;
    const top = predictions[0]!;
    const record = await this.deps.files.storeWith(staged, { ownerId: actor.id, patientId: null }, async (trx, file) => {
      const row = await this.deps.repository.insert(trx, {
        patient_id: actor.id,
        image_file_id: file.id,
        body_site: input.bodySite,
        notes: input.notes,
        scale_mm_per_px: input.scale,
        model_name: model ? model.name : RULES_MODEL.name,
        model_version: model ? model.version : RULES_MODEL.version,
        model_kind: model ? 'onnx' : 'rules',
        top_label: top.label,
        confidence: top.probability,
        risk: scored.risk,
        predictions: JSON.stringify(predictions),
        features: JSON.stringify({
          ...features,
          tds: scored.tds,
          kind: scored.kind,
          pigmented_probability: scored.pigmented_probability,
          explanation: scored.reasons,
          rule_predictions: model ? scored.predictions : undefined,
        }),
      });
      await this.deps.audit.record(trx, meta, [
        { patientId: actor.id, resourceType: 'infection_record', resourceId: row.id, action: 'create', details: { risk: row.risk, model: row.model_kind } },
        { patientId: actor.id, resourceType: 'file', resourceId: file.id, action: 'upload' },
      ]);
      return row;
    });
    return this.dto(record, null);
  }

  async get(meta: RequestMeta, id: string) {
    const { row, consult } = await this.visible(meta.actor, id);
    await this.deps.audit.record(this.deps.db, meta, [{ patientId: row.patient_id, resourceType: 'infection_record', resourceId: row.id, action: 'read' }]);
    return this.dto(row, consult);
  }

  async list(meta: RequestMeta, query: { limit?: number; cursor?: string }) {
    const actor = meta.actor;
    const limit = query.limit ?? 20;
    const after = decodeCursor(query.cursor, 'timestamp');
    // Patients see their own records; doctors those consulted with them; nobody else sees any.
    if (actor.role !== 'patient' && actor.role !== 'doctor') return { items: [], next_cursor: null };
    const rows = await this.deps.repository.list(this.deps.db, actor.role === 'patient' ? { patientId: actor.id } : { doctorId: actor.id }, after, limit + 1);
    const consults = new Map(
      (
        await this.deps.repository.consultsOf(
          this.deps.db,
          rows.map((r) => r.id),
        )
      ).map((c) => [c.record_id, c]),
    );
    const page = toPage(
      rows,
      limit,
      (r) => iso(r.created_at),
      (r) => this.dto(r, consults.get(r.id) ?? null),
    );
    const patients = [...new Set(page.items.map((item) => item.patient_id))];
    if (patients.length) {
      await this.deps.audit.record(
        this.deps.db,
        meta,
        patients.map((patientId) => ({
          patientId,
          resourceType: 'infection_record',
          resourceId: null,
          resourceIds: page.items.filter((i) => i.patient_id === patientId).map((i) => i.id),
          action: 'list' as const,
        })),
      );
    }
    return page;
  }

  /**
   * The one-tap consult: books the earliest free dermatology slot (or joins the dermatology
   * waitlist when there is none), shares the record and its image with that doctor — the
   * patient's request is the consent, audited as such — and posts the case into their chat.
   * Asking again returns the same consult.
   */
  async consult(meta: RequestMeta, recordId: string, body: ConsultBody) {
    const actor = meta.actor;
    const row = await this.deps.repository.findById(this.deps.db, recordId);
    if (!row || row.patient_id !== actor.id) throw new NotFoundError('Infection record');
    // A live consult is returned as it is; after a cancelled one the patient may ask again.
    const existing = await this.deps.repository.consultOf(this.deps.db, row.id);
    if (existing && existing.status !== 'cancelled') return { created: false, record: this.dto(row, existing) };

    let appointment: Awaited<ReturnType<SchedulingServices['appointments']['requestEarliest']>> | null = null;
    let waitlist: Awaited<ReturnType<SchedulingServices['waitlist']['join']>> | null = null;
    const reason = `Skin image consult: ${row.body_site ? `${row.body_site}, ` : ''}analysis risk ${row.risk} (record ${row.id})`;
    try {
      // (The specialty list's static type is not narrowed by TypeBox; the value is checked by scheduling.)
      const request = { specialty: 'dermatology', type: body.type ?? 'video', reason, ...(body.after ? { after: body.after } : {}) } as unknown as Parameters<
        SchedulingServices['appointments']['requestEarliest']
      >[1];
      appointment = await this.deps.scheduling.appointments.requestEarliest(actor, request);
    } catch (err) {
      if (!(err instanceof NotFoundError) || !/free slot/i.test(err.message)) throw err;
      const today = DateTime.utc().toISODate()!;
      const entry = {
        specialty: 'dermatology',
        from_date: today,
        to_date: DateTime.utc().plus({ days: 60 }).toISODate()!,
        time_zone: 'UTC',
        type: body.type ?? 'video',
      } as unknown as Parameters<SchedulingServices['waitlist']['join']>[1];
      waitlist = await this.deps.scheduling.waitlist.join(actor, entry);
    }
    const doctorId = appointment?.doctor_id ?? null;
    let consult: ConsultRow;
    try {
      consult = await this.deps.db.transaction().execute(async (trx) => {
        const inserted = await this.deps.repository.insertConsult(trx, {
          record_id: row.id,
          patient_id: actor.id,
          doctor_id: doctorId,
          appointment_id: appointment?.id ?? null,
          waitlist_entry_id: waitlist?.id ?? null,
          chat_room_id: null,
          status: appointment ? 'booked' : 'waitlisted',
        });
        await this.deps.audit.record(trx, meta, [
          {
            patientId: actor.id,
            resourceType: 'infection_record',
            resourceId: row.id,
            action: 'consent',
            details: { shared_with: doctorId, appointment_id: appointment?.id ?? null, waitlist_entry_id: waitlist?.id ?? null },
          },
          // The booked appointment is the care relationship (scheduling's `appointment` cause),
          // audited here as the appointment routes do: it ends when the appointment is cancelled.
          ...(appointment
            ? [
                { patientId: actor.id, resourceType: 'appointment', resourceId: appointment.id, action: 'create' as const, details: { via: 'skin_consult' } },
                {
                  patientId: actor.id,
                  resourceType: 'care_relationship',
                  resourceId: appointment.doctor_id,
                  action: 'grant' as const,
                  details: { cause: 'appointment', appointment_id: appointment.id, via: 'skin_consult', record_id: row.id },
                },
              ]
            : []),
        ]);
        return inserted;
      });
    } catch (err) {
      if (isUniqueViolation(err, 'infection_consults_one_per_record')) throw new ConflictError('A consult for this record is already being booked.');
      throw err;
    }
    if (doctorId) consult = await this.postCase(meta, row, consult, doctorId);
    return { created: true, record: this.dto(row, consult) };
  }

  private async postCase(meta: RequestMeta, row: InfectionRow, consult: ConsultRow, doctorId: string): Promise<ConsultRow> {
    const chat = this.deps.chat();
    if (!chat) return consult;
    try {
      // Opened on the patient's behalf: the room is no care relationship of its own, so the
      // consult's end (its appointment cancelled) ends the doctor's access (review M3).
      const { room, onBehalfRoom } = await chat.createRoom(meta.actor, { kind: 'direct', participant_ids: [doctorId] }, meta, { onBehalf: true });
      const top = (row.predictions as { label: string; probability: number }[])[0];
      const content = [
        'Skin image shared for a dermatology consult.',
        row.body_site ? `Body site: ${row.body_site}.` : null,
        `Automated analysis (${row.model_name} ${row.model_version}): ${top?.label ?? row.top_label} (${Math.round((top?.probability ?? row.confidence) * 100)} %), risk ${row.risk}.`,
        row.notes ? `Patient's notes: ${row.notes}` : null,
        `Record: /api/v1/infections/${row.id}`,
      ]
        .filter(Boolean)
        .join('\n');
      await chat.send(meta.actor, { roomId: room.id, content, fileId: row.image_file_id });
      await this.deps.db
        .updateTable('infection_consults')
        .set({ chat_room_id: room.id, chat_room_opened: onBehalfRoom === true })
        .where('id', '=', consult.id)
        .execute();
      return { ...consult, chat_room_id: room.id, chat_room_opened: onBehalfRoom === true };
    } catch (err) {
      // The booking and the sharing stand; the chat message is a convenience.
      this.deps.log?.warn({ err: (err as Error).message, consult_id: consult.id }, 'skin consult: the case could not be posted to chat');
      return consult;
    }
  }

  /**
   * Waitlisted consults become booked consults (issue 16): when scheduling's waitlist offers a
   * freed dermatology slot to the entry a consult joined, the consult books that slot for the
   * patient — their consult request was the request to be seen by the earliest dermatologist,
   * and the consent to share this record with them — then shares the case as a direct booking
   * does and leaves the waitlist. Only scheduling's public services are used (its waitlist list
   * shows the offer; `book` takes the slot, first come first served, and announces
   * `appointment.booked`, on which the notifications area tells the patient and the doctor).
   *
   * Run after every cancellation or reschedule (the events that free slots) and at start-up, so
   * an offer made just before a crash is still acted on. The pending state is scheduling's own
   * (the entry stays `offered`), so nothing is lost between the offer and this step. Returns
   * the consults booked.
   */
  async promoteWaitlisted(limit = 50): Promise<number> {
    let booked = 0;
    for (const consult of await this.deps.repository.waitlistedConsults(this.deps.db, limit)) {
      try {
        if (await this.promote(consult)) booked++;
      } catch (err) {
        this.deps.log?.warn({ err: (err as Error).message, consult_id: consult.id }, 'skin consult: a waitlist offer could not be booked');
      }
    }
    return booked;
  }

  private async promote(consult: ConsultRow): Promise<boolean> {
    if (!consult.waitlist_entry_id) return false;
    // The patient's own request, carried out on their behalf (audited without an IP).
    const meta: RequestMeta = {
      actor: { id: consult.patient_id, role: 'patient', status: 'active', sessionId: 'skin-consult-waitlist' },
      ip: null,
      userAgent: null,
      requestId: null,
    };
    const entries = await this.deps.scheduling.waitlist.list(meta.actor, 100);
    const entry = entries.items.find((e) => e.id === consult.waitlist_entry_id);
    if (!entry || entry.status !== 'offered' || !entry.offered_slot_id) return false;
    const row = await this.deps.repository.findById(this.deps.db, consult.record_id);
    if (!row) return false;
    let appointment: Awaited<ReturnType<SchedulingServices['appointments']['book']>>;
    try {
      appointment = await this.deps.scheduling.appointments.book(meta.actor, {
        slot_id: entry.offered_slot_id,
        type: entry.type ?? 'video',
        reason: `Skin image consult: ${row.body_site ? `${row.body_site}, ` : ''}analysis risk ${row.risk} (record ${row.id})`,
      });
    } catch (err) {
      // Taken by someone quicker, or gone: the consult keeps waiting (a later offer is acted on).
      if (err instanceof AppError && (err.status === 404 || err.status === 409 || err.status === 422)) return false;
      throw err;
    }
    const updated = await this.deps.db.transaction().execute(async (trx) => {
      const promoted = await this.deps.repository.promoteConsult(trx, consult.id, { doctorId: appointment.doctor_id, appointmentId: appointment.id });
      if (!promoted) return null;
      await this.deps.audit.record(trx, meta, [
        {
          patientId: consult.patient_id,
          resourceType: 'infection_record',
          resourceId: consult.record_id,
          action: 'consent',
          details: { shared_with: appointment.doctor_id, appointment_id: appointment.id, waitlist_entry_id: entry.id, via: 'waitlist_offer' },
        },
        { patientId: consult.patient_id, resourceType: 'appointment', resourceId: appointment.id, action: 'create', details: { via: 'skin_consult_waitlist' } },
        {
          patientId: consult.patient_id,
          resourceType: 'care_relationship',
          resourceId: appointment.doctor_id,
          action: 'grant',
          details: { cause: 'appointment', appointment_id: appointment.id, via: 'skin_consult', record_id: consult.record_id },
        },
      ]);
      return promoted;
    });
    if (!updated) {
      // The consult changed meanwhile (another instance booked it): give the slot back.
      await this.deps.scheduling.appointments.changeStatus(meta.actor, appointment.id, { status: 'cancelled', reason: 'Skin consult already booked' });
      return false;
    }
    await this.deps.scheduling.waitlist.leave(meta.actor, entry.id).catch(() => undefined);
    await this.postCase(meta, row, updated, appointment.doctor_id);
    return true;
  }

  /**
   * The consult's appointment was cancelled (by anyone, in scheduling's transaction): the
   * consult ends, the record and its image are no longer shared with that doctor, and a room
   * the consult opened loses the doctor. Audited as `revoke` on the record in the same
   * transaction.
   */
  async endForAppointment(trx: Executor, appointmentId: string, actorId: string): Promise<void> {
    const ended = await this.deps.repository.endConsultsOfAppointment(trx, appointmentId);
    if (ended.length === 0) return;
    const chat = this.deps.chat();
    for (const consult of ended) {
      if (!chat || !consult.chat_room_opened || !consult.chat_room_id || !consult.doctor_id) continue;
      // The same room may carry another live consult of this pair; it keeps the doctor.
      if (await this.deps.repository.liveConsultInRoom(trx, consult.chat_room_id, consult.doctor_id)) continue;
      await chat.removeParticipant(trx, consult.chat_room_id, consult.doctor_id);
    }
    await this.deps.audit.record(
      trx,
      null,
      ended.map((consult) => ({
        patientId: consult.patient_id,
        resourceType: 'infection_record',
        resourceId: consult.record_id,
        action: 'revoke' as const,
        details: { consult_id: consult.id, shared_with: consult.doctor_id, appointment_id: appointmentId, cancelled_by: actorId },
      })),
    );
  }

  /** After commit: the doctor's sockets leave the rooms that endForAppointment took them out of. */
  async announceEnded(appointmentId: string): Promise<void> {
    const chat = this.deps.chat();
    if (!chat) return;
    for (const consult of await this.deps.repository.consultsOfAppointment(this.deps.db, appointmentId)) {
      if (consult.status === 'cancelled' && consult.chat_room_opened && consult.chat_room_id && consult.doctor_id)
        await chat.announceRemoved(consult.chat_room_id, consult.doctor_id);
    }
  }

  private async visible(actor: Actor, id: string): Promise<{ row: InfectionRow; consult: ConsultRow | null }> {
    const row = await this.deps.repository.findById(this.deps.db, id);
    if (!row) throw new NotFoundError('Infection record');
    const consult = (await this.deps.repository.consultOf(this.deps.db, row.id)) ?? null;
    const mayRead =
      (actor.role === 'patient' && row.patient_id === actor.id) ||
      (actor.role === 'doctor' && actor.status === 'active' && consult?.status === 'booked' && consult.doctor_id === actor.id);
    if (!mayRead) throw new NotFoundError('Infection record');
    return { row, consult };
  }

  dto(row: InfectionRow, consult: ConsultRow | null) {
    const features = row.features as Record<string, unknown>;
    return {
      id: row.id,
      patient_id: row.patient_id,
      created_at: iso(row.created_at),
      body_site: row.body_site,
      notes: row.notes,
      scale_mm_per_px: row.scale_mm_per_px,
      predictions: row.predictions as { label: string; probability: number }[],
      top_label: row.top_label,
      confidence: row.confidence,
      risk: row.risk,
      features,
      explanation: (features.explanation as string[] | undefined) ?? [],
      image_file_id: row.image_file_id,
      image_url: `/api/v1/files/${row.image_file_id}`,
      model:
        row.model_kind === 'rules'
          ? RULES_MODEL
          : {
              name: row.model_name,
              version: row.model_version,
              kind: 'onnx' as const,
              description: 'A configured ONNX image classifier (DERMA_MODEL_PATH); the rule-based features and risk are shown beside it.',
            },
      disclaimer: DISCLAIMER,
      recommendation: recommendation(row.risk, row.id),
      consult: consult
        ? {
            id: consult.id,
            status: consult.status,
            doctor_id: consult.doctor_id,
            appointment_id: consult.appointment_id,
            waitlist_entry_id: consult.waitlist_entry_id,
            chat_room_id: consult.chat_room_id,
            created_at: iso(consult.created_at),
            ended_at: consult.ended_at ? iso(consult.ended_at) : null,
          }
        : null,
    };
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The optional form fields (sent before the image part) or query parameters. */
function validateFields(raw: Record<string, unknown>): { bodySite: string | null; notes: string | null; scale: number | null } {
  const errors: { path: string; message: string }[] = [];
  const text = (name: string, max: number): string | null => {
    const v = raw[name];
    if (v === undefined || v === null || v === '') return null;
    if (typeof v !== 'string') {
      errors.push({ path: `/${name}`, message: 'must be text' });
      return null;
    }
    const t = v.trim();
    if (t.length > max) errors.push({ path: `/${name}`, message: `must be at most ${max} characters` });
    return t || null;
  };
  const bodySite = text('body_site', 100);
  const notes = text('notes', 2000);
  let scale: number | null = null;
  const s = raw.scale_mm_per_px;
  if (s !== undefined && s !== null && s !== '') {
    const n = typeof s === 'number' ? s : Number(String(s).trim());
    if (!Number.isFinite(n) || n <= 0 || n > 10)
      errors.push({ path: '/scale_mm_per_px', message: 'must be a number of millimetres per pixel, above 0 and at most 10' });
    else scale = n;
  }
  if (errors.length) throw new ValidationError('Some fields are not valid.', errors);
  return { bodySite, notes, scale };
}
