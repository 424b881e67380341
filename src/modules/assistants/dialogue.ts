import { DateTime } from 'luxon';
import { AppError } from '../../platform/errors.js';
import type { RequestMeta } from '../audit/index.js';
import { findAnalyte } from '../reports/index.js';
import type { AssistantActions, AppointmentOption, OverdueFollowUp, SlotOption } from './actions.js';
import { MODEL_TASKS, type IntentModel } from './llm.js';
import {
  clockTime,
  confirms,
  entitiesFor,
  extractDate,
  isPlainQuestion,
  isQuestion,
  matchPeople,
  normalize,
  OUT_OF_SCOPE,
  understand,
  type DateEntity,
  type Entities,
  type Intent,
  type Person,
  type Understanding,
} from './nlu/index.js';

/**
 * The dialogue of both assistants (docs/ASSISTANTS.md "Dialogue"): one turn takes the
 * message and the stored conversation state and returns the reply and the new state.
 *
 * Safety rules enforced here:
 *  - every write waits for the user's go-ahead in a later turn: cancel, reschedule, prescribe,
 *    diagnose/note and availability changes wait in `pending` with step "confirm" until a plain
 *    yes (`confirms`: not a question, not "yes but…"); a booking is made when the user picks one
 *    of the offered times, and a pick put as a question ("is the 3 pm one ok?") asks yes/no first;
 *  - a question never executes a write (review M4): "Is Friday busy?" shows the diary;
 *  - a reply claims success only after the service call returned; a service error
 *    (AppError 4xx) becomes a plain reply and leaves nothing half done;
 *  - names resolve only against what the caller may see (the public directory, the
 *    doctor's own patients); anything else is "not found", whatever the text says.
 */

export type Pending =
  | {
      kind: 'book';
      step: 'need_target' | 'choose_doctor' | 'choose_slot' | 'confirm';
      specialty?: string;
      doctor?: Person;
      candidates?: Person[];
      date?: DateEntity;
      options?: SlotOption[];
      /** The picked time waiting for a yes (a pick put as a question). */
      slot?: SlotOption;
      reason?: string;
    }
  | {
      kind: 'availability';
      step: 'confirm';
      mode: 'block' | 'add';
      /** RFC 3339 instants of the block, or of the first slot start and the day end of the new availability. */
      start: string;
      end: string;
    }
  | { kind: 'cancel'; step: 'choose' | 'confirm'; options?: AppointmentOption[]; appointment?: AppointmentOption }
  | {
      kind: 'reschedule';
      step: 'choose' | 'need_date' | 'choose_slot' | 'confirm';
      options?: AppointmentOption[];
      appointment?: AppointmentOption;
      slots?: SlotOption[];
      slot?: SlotOption;
      date?: DateEntity;
    }
  | {
      kind: 'prescribe';
      step: 'choose_patient' | 'need_patient' | 'need_details' | 'confirm' | 'confirm_warnings';
      patient?: Person;
      candidates?: Person[];
      drug?: string;
      dose?: string;
      route?: string;
      frequency?: string;
      duration_days?: number;
      warnings?: string[];
    }
  | {
      kind: 'diagnose';
      step: 'choose_patient' | 'need_patient' | 'need_text' | 'confirm';
      record_type: 'diagnosis' | 'note';
      patient?: Person;
      candidates?: Person[];
      text?: string;
    }
  | { kind: 'history'; step: 'choose_patient'; candidates: Person[] };

export interface ConversationState {
  pending?: Pending;
  last_intent?: string;
  /** The patient's previous message (at most 1,000 characters): the emergency detector reads it with the next one. */
  recent?: string;
}

export interface Action {
  type: string;
  status: 'completed' | 'pending_confirmation' | 'failed' | 'declined';
  resource?: { type: string; id: string };
}

export interface TurnResult {
  reply: string;
  intent: string;
  entities: Record<string, unknown>;
  actions: Action[];
  suggestions: string[];
  emergency: boolean;
  state: ConversationState;
}

export interface TurnInput {
  meta: RequestMeta;
  role: 'patient' | 'doctor';
  message: string;
  state: ConversationState;
  zone: string;
  now?: Date;
  /** Throws (401 step-up-required) unless the caller's token shows a recent second factor, as POST /prescriptions needs. */
  requireStepUp?: () => void; /** The optional model (llm.ts): asked to choose a task only when the rules found none. */
  model?: IntentModel;
}

const PATIENT_SUGGESTIONS = ['Book an appointment', 'Show my appointments', 'Show my prescriptions', 'Show my lab results', 'Find a dermatologist'];
const DOCTOR_SUGGESTIONS = [
  "Show today's schedule",
  'List my patients',
  'Show urgent patients',
  'Prescribe amoxicillin 500 mg three times a day for 7 days to <patient>',
  'Block tomorrow afternoon',
];

const NO = /^(no|nope|nah|n|dont|do not|stop|never ?mind|abort|not now|forget it|leave it|no thanks|keep it|wait)\b/;
// "one" is not an ordinal ("the second one"); a number word alone is ("two").
const ORDINALS: [RegExp, number][] = [
  [/\b(first|1st|number 1|no 1|option 1|#1|earliest|1)\b|^(the )?one$/, 0],
  [/\b(second|2nd|number 2|no 2|option 2|#2|2)\b|^(the )?two$/, 1],
  [/\b(third|3rd|number 3|no 3|option 3|#3|3)\b|^(the )?three$/, 2],
  [/\b(fourth|4th|4)\b|^four$/, 3],
  [/\b(fifth|5th|5)\b|^five$/, 4],
];

/** A doctor asking for overdue follow-ups in particular (not the whole urgent list). */
const FOLLOW_UP_QUESTION =
  /\b(follow(?:ing)?[ -]?ups?|f\/u|recalls?|reviews? (?:due|overdue)|(?:over)?due (?:for )?(?:a |an |their )?(?:review|follow|recall)|(?:haven'?t|have not|not) (?:been )?seen)\b/i;

/** "Jane Doe — review in 2 weeks (note 'Hypertension', 3 Feb); due 17 Feb, 21 days overdue". */
function followUpLine(o: OverdueFollowUp, zone: string, now: Date): string {
  const days = Math.floor((now.getTime() - Date.parse(o.due_at)) / 86_400_000);
  const day = (iso: string) => DateTime.fromISO(iso, { zone }).toFormat('d LLL yyyy');
  return `⏰ ${o.patient_name} — "${o.phrase}" (note "${o.title.slice(0, 80)}", ${day(o.written_at)}); due ${day(o.due_at)}, ${days} day${days === 1 ? '' : 's'} overdue, no appointment with you since`;
}

function fmt(iso: string, zone: string): string {
  return DateTime.fromISO(iso, { zone }).toFormat('ccc d LLL, HH:mm');
}

function contractEntities(e: Entities): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (e.specialty) out.specialty = e.specialty;
  if (e.doctor_name) out.doctor_name = e.doctor_name;
  if (e.patient_name) out.patient_name = e.patient_name;
  if (e.date) out.date = { value: e.date.value, phrase: e.date.phrase, from: e.date.from, to: e.date.to, grain: e.date.grain };
  if (e.drug) out.drug = e.drug;
  if (e.dose) out.dose = e.dose;
  if (e.route) out.route = e.route;
  if (e.frequency) out.frequency = e.frequency;
  if (e.duration_days) out.duration_days = e.duration_days;
  return out;
}

/** Which of the offered options the user picked: "the second one", "2", "the 3 pm one", a doctor's name, a weekday. */
export function pickOption<T extends { start?: string; doctor_name?: string; name?: string }>(text: string, options: T[], zone: string): T | undefined {
  const t = normalize(text);
  const time = clockTime(t);
  if (time) {
    const hits = options.filter(
      (o) => o.start && DateTime.fromISO(o.start, { zone }).hour === time.hour && DateTime.fromISO(o.start, { zone }).minute === time.minute,
    );
    if (hits.length === 1) return hits[0];
  }
  if (/\b(last|latest|final)\b/.test(t)) return options[options.length - 1];
  for (const [re, i] of ORDINALS) if (re.test(t) && options[i]) return options[i];
  const people = options.map((o, i) => ({ id: String(i), name: o.doctor_name ?? o.name ?? '' })).filter((p) => p.name);
  const named = matchPeople(t, people);
  if (named) {
    const indices = [...new Set(named.people.map((p) => Number(p.id)))];
    if (indices.length === 1) return options[indices[0]!];
  }
  const weekday = /\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b/.exec(t);
  if (weekday) {
    const hits = options.filter((o) => o.start && DateTime.fromISO(o.start, { zone }).toFormat('cccc').toLowerCase() === weekday[1]);
    if (hits.length === 1) return hits[0];
  }
  return undefined;
}

export class Dialogue {
  constructor(private readonly actions: AssistantActions) {}

  async turn(input: TurnInput): Promise<TurnResult> {
    let u = understand(input.message, { role: input.role, zone: input.zone, ...(input.now && { now: input.now }) });
    const pending = input.state.pending;
    try {
      if (pending) {
        const contextual = await this.continuePending(input, pending, u);
        if (contextual) return contextual;
      }
      // The model only chooses among the role's tasks; the details and everything after come from the
      // owned code, with the caller's permissions and the usual confirmations (llm.ts).
      if (u.intent === OUT_OF_SCOPE && input.model && !u.blocked) {
        const chosen = await input.model.choose({ message: input.message.slice(0, 2000), role: input.role, tasks: MODEL_TASKS[input.role] });
        if (chosen) u = { ...u, intent: chosen as Intent, entities: entitiesFor(chosen as Intent, u.raw) };
      }
      return await this.fresh(input, u);
    } catch (err) {
      if (err instanceof AppError && err.status < 500) {
        return this.result(
          u.intent,
          u.entities,
          `I couldn't do that: ${err.detail ?? err.title}`,
          [{ type: u.intent, status: 'failed' }],
          this.suggestions(input.role),
          {},
        );
      }
      throw err;
    }
  }

  private suggestions(role: 'patient' | 'doctor'): string[] {
    return role === 'patient' ? PATIENT_SUGGESTIONS : DOCTOR_SUGGESTIONS;
  }

  private result(
    intent: string,
    entities: Entities,
    reply: string,
    actions: Action[],
    suggestions: string[],
    state: ConversationState,
    emergency = false,
  ): TurnResult {
    return { reply, intent, entities: contractEntities(entities), actions, suggestions, emergency, state: { ...state, last_intent: intent } };
  }

  // ---- a new request ----

  private async fresh(input: TurnInput, u: Understanding): Promise<TurnResult> {
    const { role } = input;
    switch (u.intent) {
      case 'greeting':
        return this.result(
          'greeting',
          u.entities,
          /thank|thanks|cheers|bye/.test(u.text)
            ? "You're welcome. Anything else I can help with?"
            : role === 'patient'
              ? 'Hello! I can book, show, move or cancel appointments, find doctors, and show your prescriptions, records and lab results.'
              : 'Hello, doctor. I can show your schedule and patients, add prescriptions and notes, block time and list urgent patients.',
          [],
          this.suggestions(role),
          {},
        );
      case 'help':
        return this.result(
          'help',
          u.entities,
          role === 'patient'
            ? 'Here is what I can do: book an appointment ("book a dermatologist next Tuesday afternoon"), show, reschedule or cancel your appointments, find doctors by specialty or name, and show your prescriptions, medical records and lab results (with what flagged values mean). In an emergency, call your local emergency number.'
            : 'Here is what I can do: show your schedule for a day, list your patients, show a patient\'s history, add a prescription ("prescribe amoxicillin 500 mg tds for 7 days to Jane Doe"), add a diagnosis or note, block time or add availability, and list urgent patients.',
          [],
          this.suggestions(role),
          {},
        );
      case OUT_OF_SCOPE:
        return this.result(
          OUT_OF_SCOPE,
          {},
          role === 'patient'
            ? "Sorry, I can't help with that here. I can help with appointments, doctors, prescriptions, records and lab results."
            : "Sorry, I can't help with that here. I can help with your schedule, patients, prescriptions, notes and availability.",
          [],
          this.suggestions(role),
          {},
        );
      case 'emergency':
        // The emergency detector did not fire (e.g. "is this an emergency?"): say where to go, but no alarm.
        return this.result(
          'emergency',
          u.entities,
          'If this is an emergency, call your local emergency number (for example 911 or 112) now, or go to the nearest emergency department. Tell me what is happening if you would like help.',
          [],
          ['Call emergency services', 'Book an urgent appointment'],
          {},
        );
    }
    if (role === 'patient') return this.patientIntent(input, u);
    return this.doctorIntent(input, u);
  }

  // ---- patient ----

  private async patientIntent(input: TurnInput, u: Understanding): Promise<TurnResult> {
    const { meta, zone } = input;
    const e = u.entities;
    switch (u.intent) {
      case 'book_appointment': {
        const p: Extract<Pending, { kind: 'book' }> = {
          kind: 'book',
          step: 'need_target',
          ...(e.specialty && { specialty: e.specialty }),
          ...(e.date && { date: e.date }),
        };
        const doctor = await this.matchDoctor(input.message, e);
        if (doctor && doctor.people.length > 1) {
          return this.result(
            'book_appointment',
            e,
            `Which doctor do you mean? ${doctor.people.map((d, i) => `${i + 1}. ${d.name}`).join(' ')}`,
            [],
            doctor.people.map((d) => d.name),
            { pending: { ...p, step: 'choose_doctor', candidates: doctor.people } },
          );
        }
        if (doctor) p.doctor = doctor.people[0]!;
        return this.offerSlots(input, p, e);
      }
      case 'view_appointments': {
        const from = e.date && !e.date.past ? e.date.from : new Date().toISOString();
        const items = (await this.actions.appointments(meta, { from, ...(e.date && !e.date.past && { to: e.date.to }), limit: 10 })).filter(
          (a) => a.status !== 'cancelled',
        );
        if (!items.length)
          return this.result(
            'view_appointments',
            e,
            e.date ? `You have no appointments ${e.date.phrase}.` : 'You have no upcoming appointments.',
            [{ type: 'view_appointments', status: 'completed' }],
            ['Book an appointment'],
            {},
          );
        const lines = items.map((a, i) => `${i + 1}. ${fmt(a.start, zone)} with ${a.doctor_name} (${a.type}, ${a.status})`);
        return this.result(
          'view_appointments',
          e,
          `Your upcoming appointments:\n${lines.join('\n')}`,
          [{ type: 'view_appointments', status: 'completed' }],
          ['Reschedule my appointment', 'Cancel my appointment'],
          {},
        );
      }
      case 'cancel_appointment':
      case 'reschedule_appointment': {
        const kind = u.intent === 'cancel_appointment' ? 'cancel' : 'reschedule';
        const options = (await this.actions.upcoming(meta)).map(toOption);
        if (!options.length) return this.result(u.intent, e, 'You have no upcoming appointments to change.', [], ['Book an appointment'], {});
        const narrowed = this.narrowAppointments(options, input.message, e, zone);
        if (narrowed.length === 1) {
          if (kind === 'cancel') return this.confirmCancel(e, narrowed[0]!, zone);
          const target = e.date && this.isNewDate(narrowed[0]!, e.date) ? e.date : undefined;
          return this.rescheduleAsk(input, { kind: 'reschedule', step: 'need_date', appointment: narrowed[0]!, ...(target && { date: target }) }, e);
        }
        const list = (narrowed.length ? narrowed : options).slice(0, 5);
        return this.result(
          u.intent,
          e,
          `Which appointment? ${list.map((a, i) => `${i + 1}. ${fmt(a.start, zone)} with ${a.doctor_name}`).join(' ')}`,
          [],
          list.map((a) => `${fmt(a.start, zone)} with ${a.doctor_name}`),
          { pending: { kind, step: 'choose', options: list, ...(kind === 'reschedule' && e.date && { date: e.date }) } as Pending },
        );
      }
      case 'find_doctor': {
        const doctor = await this.matchDoctor(input.message, e);
        const doctors = doctor
          ? await Promise.all(doctor.people.slice(0, 5).map((p) => this.actions.doctors({ q: p.name, limit: 1 }).then((d) => d[0])))
          : await this.actions.doctors({ ...(e.specialty && { specialty: e.specialty }), limit: 5 });
        const found = doctors.filter(Boolean) as Awaited<ReturnType<AssistantActions['doctors']>>;
        if (!found.length)
          return this.result(
            'find_doctor',
            e,
            e.specialty ? `I found no ${e.specialty.replace(/_/g, ' ')} doctors at the moment.` : 'I found no doctors matching that.',
            [{ type: 'find_doctor', status: 'completed' }],
            ['Find a general practitioner'],
            {},
          );
        const lines = found.map(
          (d, i) =>
            `${i + 1}. ${d.full_name}${d.specialty ? ` — ${d.specialty.replace(/_/g, ' ')}` : ''}${d.next_available ? `, next available ${fmt(d.next_available, zone)}` : ''}`,
        );
        return this.result(
          'find_doctor',
          e,
          `${lines.join('\n')}`,
          [{ type: 'find_doctor', status: 'completed' }],
          found.slice(0, 3).map((d) => `Book with ${d.full_name}`),
          {},
        );
      }
      case 'view_prescriptions': {
        const items = await this.actions.prescriptions(meta);
        const active = items.filter((p) => p.status === 'active');
        const shown = active.length ? active : items;
        if (!shown.length)
          return this.result(
            'view_prescriptions',
            e,
            'You have no prescriptions on record.',
            [{ type: 'view_prescriptions', status: 'completed' }],
            this.suggestions('patient'),
            {},
          );
        const lines = shown.flatMap((p) =>
          p.items.map(
            (it) =>
              `• ${it.drug}${it.strength ? ` ${it.strength}` : ''} — ${it.dose}, ${it.frequency}${it.duration_days ? ` for ${it.duration_days} days` : ''} (${p.status})`,
          ),
        );
        return this.result(
          'view_prescriptions',
          e,
          `${active.length ? 'Your current prescriptions' : 'Your prescriptions'}:\n${lines.join('\n')}`,
          [{ type: 'view_prescriptions', status: 'completed' }],
          ['Show my lab results'],
          {},
        );
      }
      case 'view_records': {
        const items = await this.actions.records(meta);
        if (!items.length)
          return this.result(
            'view_records',
            e,
            'You have no medical records yet.',
            [{ type: 'view_records', status: 'completed' }],
            this.suggestions('patient'),
            {},
          );
        const lines = items
          .slice(0, 5)
          .map(
            (r) => `• ${fmt(r.created_at, zone)} — ${r.record_type}: ${r.title}${r.diagnoses?.length ? ` (${r.diagnoses.map((d) => d.text).join(', ')})` : ''}`,
          );
        return this.result(
          'view_records',
          e,
          `Your recent medical records:\n${lines.join('\n')}`,
          [{ type: 'view_records', status: 'completed' }],
          ['Show my prescriptions'],
          {},
        );
      }
      case 'view_reports':
      case 'lab_question':
        return this.labs(input, u);
    }
    return this.result(OUT_OF_SCOPE, {}, "Sorry, I didn't understand that.", [], this.suggestions('patient'), {});
  }

  /** Lab reports and questions about a value: the flagged values with their range and how they changed (citing the report dates). */
  async labs(input: TurnInput, u: Understanding, patientId = input.meta.actor.id): Promise<TurnResult> {
    const { meta, zone } = input;
    const e = u.entities;
    const intent = u.intent === 'lab_question' ? 'lab_question' : 'view_reports';
    const reports = await this.actions.reports(meta, patientId === meta.actor.id && meta.actor.role === 'patient' ? undefined : patientId);
    if (!reports.length)
      return this.result(intent, e, 'There are no lab reports on record yet.', [{ type: intent, status: 'completed' }], ['Show my appointments'], {});
    const latest = await this.actions.report(meta, reports[0]!.id);
    const lines: string[] = [];
    const explain = async (name: string) => {
      const trend = await this.actions.trend(meta, patientId, name);
      // Newest first, whatever order the trend page has (it is oldest first).
      const points = [
        ...(trend.items as { value: number; unit: string | null; reference_range: string | null; flag: string | null; observed_at: string }[]),
      ].sort((a, b) => b.observed_at.localeCompare(a.observed_at));
      if (!points.length) return `I found no ${name} results.`;
      const [last, previous] = points;
      let text = `${trend.name}: ${last!.value}${last!.unit ? ` ${last!.unit}` : ''} on ${fmt(last!.observed_at, zone)}`;
      text += last!.reference_range ? ` (reference range ${last!.reference_range})` : '';
      text += last!.flag && last!.flag !== 'normal' ? ` — ${flagWords(last!.flag)}.` : ' — within the reference range.';
      if (previous) {
        const diff = last!.value - previous.value;
        text += ` Before that it was ${previous.value} on ${fmt(previous.observed_at, zone)}, so it has ${diff > 0 ? 'gone up' : diff < 0 ? 'gone down' : 'stayed the same'}.`;
      }
      return text;
    };
    if (e.analyte) {
      lines.push(await explain(findAnalyte(e.analyte)?.name ?? e.analyte));
    } else {
      const flagged = latest.observations.filter((o) => o.flag && o.flag !== 'normal');
      lines.push(
        `Your latest lab report (${fmt(latest.collected_at, zone)}) has ${latest.observations.length} results, ${flagged.length} outside the reference range.`,
      );
      for (const o of flagged.slice(0, 6)) lines.push(await explain(o.name));
    }
    lines.push('This explains the numbers only; it is not a diagnosis. Your doctor can tell you what it means for you.');
    return this.result(
      intent,
      e,
      lines.join('\n'),
      [{ type: intent, status: 'completed', resource: { type: 'lab_report', id: latest.id } }],
      ['Book an appointment to discuss my results'],
      {},
    );
  }

  private async matchDoctor(message: string, e: Entities) {
    if (!/\b(dr|doctor|doc|with|see|about|named|called)\b/i.test(message) && !/[A-Z][a-z]+/.test(message.slice(1))) return null;
    const directory = await this.actions.directory();
    const match = matchPeople(message, directory, SKIP_FOR_NAMES);
    if (match) e.doctor_name = match.people.length === 1 ? match.people[0]!.name : match.phrase;
    return match;
  }

  private async offerSlots(input: TurnInput, p: Extract<Pending, { kind: 'book' }>, e: Entities): Promise<TurnResult> {
    if (p.date?.past)
      return this.result('book_appointment', e, `${p.date.phrase} is in the past. Which day would you like instead?`, [], ['Tomorrow', 'Next week'], {
        pending: { ...p, date: undefined } as Pending,
      });
    if (!p.doctor && !p.specialty) {
      return this.result(
        'book_appointment',
        e,
        'Which kind of doctor would you like to see, or which doctor? For example "a dermatologist" or "Dr. Hause".',
        [],
        ['A general practitioner', 'A dermatologist', 'A cardiologist'],
        { pending: { ...p, step: 'need_target' } },
      );
    }
    const from = p.date ? new Date(p.date.from) : new Date();
    const to = p.date ? new Date(p.date.to) : new Date(Date.now() + 14 * 86_400_000);
    let options = await this.actions.freeSlots(
      input.meta.actor.id,
      { ...(p.doctor && { doctorId: p.doctor.id }), ...(p.specialty && !p.doctor && { specialty: p.specialty }) },
      from,
      to,
      3,
    );
    let note = '';
    if (!options.length && p.date) {
      options = await this.actions.freeSlots(
        input.meta.actor.id,
        { ...(p.doctor && { doctorId: p.doctor.id }), ...(p.specialty && !p.doctor && { specialty: p.specialty }) },
        new Date(),
        new Date(Date.now() + 30 * 86_400_000),
        3,
      );
      if (options.length) note = `Nothing is free ${p.date.phrase}. `;
    }
    const who = p.doctor ? p.doctor.name : `a ${p.specialty!.replace(/_/g, ' ')} doctor`;
    if (!options.length)
      return this.result(
        'book_appointment',
        e,
        `I found no free times with ${who} in the coming weeks. Would you like another doctor or specialty?`,
        [],
        ['Find a general practitioner'],
        {},
      );
    const lines = options.map((o, i) => `${i + 1}. ${fmt(o.start, input.zone)} with ${o.doctor_name}`);
    return this.result(
      'book_appointment',
      e,
      `${note}Here are the earliest free times with ${who}:\n${lines.join('\n')}\nWhich one would you like?`,
      [{ type: 'book_appointment', status: 'pending_confirmation' }],
      options.map((o) => fmt(o.start, input.zone)),
      { pending: { ...p, step: 'choose_slot', options } },
    );
  }

  private async bookSlot(input: TurnInput, slot: SlotOption, p: Extract<Pending, { kind: 'book' }>, e: Entities): Promise<TurnResult> {
    const appointment = await this.actions.book(
      input.meta,
      slot.slot_id,
      p.specialty ? `Booked through the assistant (${p.specialty.replace(/_/g, ' ')})` : undefined,
    );
    return this.result(
      'book_appointment',
      e,
      `Booked: ${fmt(appointment.start, input.zone)} with ${appointment.doctor_name} (${appointment.type}).`,
      [{ type: 'book_appointment', status: 'completed', resource: { type: 'appointment', id: appointment.id } }],
      ['Show my appointments'],
      {},
    );
  }

  private narrowAppointments(options: AppointmentOption[], message: string, e: Entities, zone: string): AppointmentOption[] {
    if (options.length === 1) return options;
    let list = options;
    const named = matchPeople(
      message,
      options.map((o, i) => ({ id: String(i), name: o.doctor_name })),
      SKIP_FOR_NAMES,
    );
    if (named) list = named.people.map((p) => options[Number(p.id)]!);
    if (e.date && list.length > 1) {
      const inRange = list.filter((a) => a.start >= e.date!.from && a.start < e.date!.to);
      if (inRange.length) list = inRange;
    }
    void zone;
    return list.length === options.length && !named && !e.date ? [] : list;
  }

  private isNewDate(a: AppointmentOption, d: DateEntity): boolean {
    return !(a.start >= d.from && a.start < d.to);
  }

  private confirmCancel(e: Entities, a: AppointmentOption, zone: string): TurnResult {
    return this.result(
      'cancel_appointment',
      e,
      `Cancel your appointment with ${a.doctor_name} on ${fmt(a.start, zone)}? Please answer yes or no.`,
      [{ type: 'cancel_appointment', status: 'pending_confirmation' }],
      ['Yes', 'No'],
      { pending: { kind: 'cancel', step: 'confirm', appointment: a } },
    );
  }

  private async rescheduleAsk(input: TurnInput, p: Extract<Pending, { kind: 'reschedule' }>, e: Entities): Promise<TurnResult> {
    const a = p.appointment!;
    if (!p.date)
      return this.result(
        'reschedule_appointment',
        e,
        `When would you like to move your appointment with ${a.doctor_name} on ${fmt(a.start, input.zone)} to?`,
        [],
        ['Tomorrow', 'Next week', 'Friday afternoon'],
        { pending: { ...p, step: 'need_date' } },
      );
    if (p.date.past)
      return this.result('reschedule_appointment', e, `${p.date.phrase} is in the past. Which day would you like instead?`, [], ['Next week'], {
        pending: { ...p, step: 'need_date', date: undefined } as Pending,
      });
    let slots = await this.actions.freeSlots(input.meta.actor.id, { doctorId: a.doctor_id }, new Date(p.date.from), new Date(p.date.to), 3);
    let note = '';
    if (!slots.length) {
      slots = await this.actions.freeSlots(
        input.meta.actor.id,
        { doctorId: a.doctor_id },
        new Date(p.date.from),
        new Date(new Date(p.date.from).getTime() + 14 * 86_400_000),
        3,
      );
      note = `${a.doctor_name} has nothing free ${p.date.phrase}. `;
    }
    if (!slots.length)
      return this.result(
        'reschedule_appointment',
        e,
        `${note}I found no free times with ${a.doctor_name} soon after that. Try another day?`,
        [],
        ['Next week'],
        { pending: { ...p, step: 'need_date', date: undefined } as Pending },
      );
    const lines = slots.map((s, i) => `${i + 1}. ${fmt(s.start, input.zone)}`);
    return this.result(
      'reschedule_appointment',
      e,
      `${note}Free times with ${a.doctor_name}:\n${lines.join('\n')}\nWhich one?`,
      [],
      slots.map((s) => fmt(s.start, input.zone)),
      { pending: { ...p, step: 'choose_slot', slots } },
    );
  }

  // ---- doctor ----

  private async doctorIntent(input: TurnInput, u: Understanding): Promise<TurnResult> {
    const { meta } = input;
    const e = u.entities;
    switch (u.intent) {
      case 'view_schedule':
        return this.schedule(input, e);
      case 'list_patients': {
        const people = await this.actions.myPatients(meta);
        if (!people.length)
          return this.result(
            'list_patients',
            e,
            'You have no patients with appointments yet.',
            [{ type: 'list_patients', status: 'completed' }],
            this.suggestions('doctor'),
            {},
          );
        return this.result(
          'list_patients',
          e,
          `Your patients (${people.length}):\n${people
            .slice(0, 30)
            .map((p) => `• ${p.name}`)
            .join('\n')}`,
          [{ type: 'list_patients', status: 'completed' }],
          people.slice(0, 3).map((p) => `Show ${p.name}'s history`),
          {},
        );
      }
      case 'patient_history': {
        const who = await this.resolvePatient(input, e);
        if (who.kind === 'none') return this.result('patient_history', e, 'Which patient? Give me their name.', [], ['List my patients'], {});
        if (who.kind === 'unknown')
          return this.result(
            'patient_history',
            e,
            "I couldn't find a patient of yours by that name. I can only show patients you have a care relationship with.",
            [],
            ['List my patients'],
            {},
          );
        if (who.kind === 'many')
          return this.result(
            'patient_history',
            e,
            `Which patient do you mean? ${who.people.map((p, i) => `${i + 1}. ${p.name}`).join(' ')}`,
            [],
            who.people.map((p) => p.name),
            { pending: { kind: 'history', step: 'choose_patient', candidates: who.people } },
          );
        return this.history(input, e, who.person);
      }
      case 'add_prescription': {
        if (e.unknown_drug && !e.drug)
          return this.result(
            'add_prescription',
            e,
            `I don't recognise the drug "${e.unknown_drug}". Please check the spelling or use the prescription form.`,
            [],
            ['Prescribe amoxicillin 500 mg tds for 7 days to <patient>'],
            {},
          );
        const p: Extract<Pending, { kind: 'prescribe' }> = {
          kind: 'prescribe',
          step: 'need_details',
          ...(e.drug && { drug: e.drug }),
          ...(e.dose && { dose: e.dose }),
          ...(e.route && { route: e.route }),
          ...(e.frequency && { frequency: e.frequency }),
          ...(e.duration_days && { duration_days: e.duration_days }),
        };
        return this.prescribeNext(input, p, e, true);
      }
      case 'add_diagnosis': {
        const recordType = /\b(note|document|record that|progress)\b/.test(u.text) && !/\bdiagnos/.test(u.text) ? 'note' : 'diagnosis';
        const p: Extract<Pending, { kind: 'diagnose' }> = { kind: 'diagnose', step: 'need_text', record_type: recordType };
        const text = diagnosisText(input.message);
        if (text) p.text = text;
        return this.diagnoseNext(input, p, e, true);
      }
      case 'set_availability':
        return this.availability(input, u);
      case 'urgent_patients':
        return this.urgent(input, e);
    }
    return this.result(OUT_OF_SCOPE, {}, "Sorry, I didn't understand that.", [], this.suggestions('doctor'), {});
  }

  private async resolvePatient(
    input: TurnInput,
    e: Entities,
  ): Promise<{ kind: 'none' } | { kind: 'unknown' } | { kind: 'many'; people: Person[] } | { kind: 'one'; person: Person }> {
    const people = await this.actions.myPatients(input.meta);
    const match = matchPeople(input.message, people, SKIP_FOR_NAMES);
    if (!match)
      return /\b(for|of|to|about)\s+[A-Za-z]/.test(input.message) || /[A-Z][a-z]+ [A-Z][a-z]+/.test(input.message) ? { kind: 'unknown' } : { kind: 'none' };
    e.patient_name = match.people.length === 1 ? match.people[0]!.name : match.phrase;
    if (match.people.length > 1) return { kind: 'many', people: match.people.slice(0, 5) };
    return { kind: 'one', person: match.people[0]! };
  }

  private async history(input: TurnInput, e: Entities, person: Person): Promise<TurnResult> {
    const { meta, zone } = input;
    e.patient_name = person.name;
    const [records, prescriptions, reports] = await Promise.all([
      this.actions.records(meta, person.id),
      this.actions.prescriptions(meta, person.id),
      this.actions.reports(meta, person.id),
    ]);
    const lines = [`${person.name}:`];
    lines.push(
      records.length
        ? `Records: ${records
            .slice(0, 5)
            .map((r) => `${fmt(r.created_at, zone)} ${r.record_type} "${r.title}"`)
            .join('; ')}`
        : 'Records: none.',
    );
    const active = prescriptions.filter((p) => p.status === 'active');
    lines.push(
      active.length
        ? `Active prescriptions: ${active.flatMap((p) => p.items.map((i) => `${i.drug} ${i.dose} ${i.frequency}`)).join('; ')}`
        : 'Active prescriptions: none.',
    );
    lines.push(
      reports.length
        ? `Lab reports: ${reports
            .slice(0, 3)
            .map((r) => `${fmt(r.collected_at, zone)} (${r.abnormal_count} abnormal of ${r.observation_count})`)
            .join('; ')}`
        : 'Lab reports: none.',
    );
    return this.result(
      'patient_history',
      e,
      lines.join('\n'),
      [{ type: 'patient_history', status: 'completed' }],
      [`Prescribe for ${person.name}`, `Add a note for ${person.name}`],
      {},
    );
  }

  private async prescribeNext(input: TurnInput, p: Extract<Pending, { kind: 'prescribe' }>, e: Entities, lookUpPatient: boolean): Promise<TurnResult> {
    if (!p.patient && lookUpPatient) {
      const who = await this.resolvePatient(input, e);
      if (who.kind === 'unknown')
        return this.result(
          'add_prescription',
          e,
          "I couldn't find a patient of yours by that name, so I haven't prescribed anything. Which patient is it for?",
          [],
          ['List my patients'],
          { pending: { ...p, step: 'need_patient' } },
        );
      if (who.kind === 'many')
        return this.result(
          'add_prescription',
          e,
          `Which patient? ${who.people.map((x, i) => `${i + 1}. ${x.name}`).join(' ')}`,
          [],
          who.people.map((x) => x.name),
          { pending: { ...p, step: 'choose_patient', candidates: who.people } },
        );
      if (who.kind === 'one') p.patient = who.person;
    }
    if (p.patient) e.patient_name = p.patient.name;
    const missing = [!p.drug && 'the drug', !p.dose && 'the dose (e.g. 500 mg)', !p.frequency && 'how often (e.g. twice a day)'].filter(Boolean) as string[];
    if (!p.patient)
      return this.result('add_prescription', e, 'Which patient is the prescription for?', [], ['List my patients'], {
        pending: { ...p, step: 'need_patient' },
      });
    if (missing.length)
      return this.result('add_prescription', e, `Please give ${missing.join(', ')} for ${p.patient.name}'s prescription.`, [], [], {
        pending: { ...p, step: 'need_details' },
      });
    return this.result(
      'add_prescription',
      e,
      `Prescribe ${describeRx(p)} to ${p.patient.name}? Please answer yes or no.`,
      [{ type: 'add_prescription', status: 'pending_confirmation' }],
      ['Yes', 'No'],
      { pending: { ...p, step: 'confirm' } },
    );
  }

  private async diagnoseNext(input: TurnInput, p: Extract<Pending, { kind: 'diagnose' }>, e: Entities, lookUpPatient: boolean): Promise<TurnResult> {
    if (!p.patient && lookUpPatient) {
      const who = await this.resolvePatient(input, e);
      if (who.kind === 'unknown')
        return this.result(
          'add_diagnosis',
          e,
          "I couldn't find a patient of yours by that name, so nothing was recorded. Which patient is it for?",
          [],
          ['List my patients'],
          { pending: { ...p, step: 'need_patient' } },
        );
      if (who.kind === 'many')
        return this.result(
          'add_diagnosis',
          e,
          `Which patient? ${who.people.map((x, i) => `${i + 1}. ${x.name}`).join(' ')}`,
          [],
          who.people.map((x) => x.name),
          { pending: { ...p, step: 'choose_patient', candidates: who.people } },
        );
      if (who.kind === 'one') {
        p.patient = who.person;
        if (p.text) p.text = stripName(p.text, who.person.name) || undefined;
      }
    }
    if (p.patient) e.patient_name = p.patient.name;
    if (!p.patient)
      return this.result('add_diagnosis', e, `Which patient is the ${p.record_type} for?`, [], ['List my patients'], {
        pending: { ...p, step: 'need_patient' },
      });
    if (!p.text)
      return this.result('add_diagnosis', e, `What should the ${p.record_type} for ${p.patient.name} say?`, [], [], { pending: { ...p, step: 'need_text' } });
    return this.result(
      'add_diagnosis',
      e,
      `Add this ${p.record_type} to ${p.patient.name}'s record: "${p.text}"? Please answer yes or no.`,
      [{ type: 'add_diagnosis', status: 'pending_confirmation' }],
      ['Yes', 'No'],
      { pending: { ...p, step: 'confirm' } },
    );
  }

  /** The doctor's appointments of one day (default today), in their zone. Read only. */
  private async schedule(input: TurnInput, e: Entities): Promise<TurnResult> {
    const { meta, zone } = input;
    const day = e.date ?? extractDate('today', zone, input.now)!;
    const items = await this.actions.appointments(meta, { from: day.from, to: day.to, limit: 50 });
    const live = items.filter((a) => a.status !== 'cancelled');
    const label = e.date ? e.date.phrase : 'today';
    if (!live.length)
      return this.result(
        'view_schedule',
        e,
        `You have no appointments ${label}.`,
        [{ type: 'view_schedule', status: 'completed' }],
        ["Show tomorrow's schedule", 'List my patients'],
        {},
      );
    const lines = live.map((a) => `• ${fmt(a.start, zone)} — ${a.patient_name} (${a.type}${a.reason ? `, ${a.reason}` : ''}; ${a.status})`);
    return this.result(
      'view_schedule',
      e,
      `Your schedule ${label} (${live.length}):\n${lines.join('\n')}`,
      [{ type: 'view_schedule', status: 'completed' }],
      ['Show urgent patients'],
      {},
    );
  }

  /**
   * Block time or add availability: understood here, done only after a yes (review M4). A plain
   * question that reached this intent ("Is Friday busy?", "am I free Tuesday?") is answered from
   * the diary instead and changes nothing.
   */
  private async availability(input: TurnInput, u: Understanding, correcting?: 'block' | 'add'): Promise<TurnResult> {
    const e = u.entities;
    const { zone } = input;
    if (!correcting && isPlainQuestion(input.message)) return this.schedule(input, e);
    if (!e.date)
      return this.result(
        'set_availability',
        e,
        'Which day and time? For example "block tomorrow 2 to 4 pm" or "add availability Friday 9 to 12".',
        [],
        ['Block tomorrow afternoon'],
        {},
      );
    if (e.date.past) return this.result('set_availability', e, `${e.date.phrase} is in the past. Which day do you mean?`, [], [], {});
    if (e.date.grain === 'week') return this.result('set_availability', e, 'Please give one day at a time, for example "block Monday afternoon".', [], [], {});
    const adding = correcting
      ? correcting === 'add'
      : /\b(add|open|create|make)\b.{0,20}\b(availability|available|slots?|hours|sessions?)\b|\bavailable\b/.test(u.text) &&
        !/\b(block|unavailable|not available|off|busy|leave|away)\b/.test(u.text);
    const from = DateTime.fromISO(e.date.from, { zone });
    let to = DateTime.fromISO(e.date.to, { zone });
    const start = e.date.grain === 'day' ? from.set({ hour: adding ? 9 : 8 }) : from;
    if (e.date.grain === 'day') to = from.set({ hour: adding ? 17 : 18 });
    const pending: Extract<Pending, { kind: 'availability' }> = {
      kind: 'availability',
      step: 'confirm',
      mode: adding ? 'add' : 'block',
      start: start.toUTC().toISO()!,
      end: to.toUTC().toISO()!,
    };
    return this.result(
      'set_availability',
      e,
      `${this.describeAvailability(pending, zone)}? Please answer yes or no.`,
      [{ type: 'set_availability', status: 'pending_confirmation' }],
      ['Yes', 'No'],
      { pending },
    );
  }

  private describeAvailability(p: Extract<Pending, { kind: 'availability' }>, zone: string): string {
    const start = DateTime.fromISO(p.start, { zone });
    const end = DateTime.fromISO(p.end, { zone });
    return p.mode === 'add'
      ? `Add free 30-minute slots on ${start.toFormat('ccc d LLL')} from ${start.toFormat('HH:mm')} to ${end.toFormat('HH:mm')}`
      : `Block ${start.toFormat('ccc d LLL, HH:mm')}–${end.toFormat('HH:mm')} so patients cannot book that time`;
  }

  /** The confirmed availability change, through scheduling's slots service with the doctor's actor. */
  private async applyAvailability(input: TurnInput, p: Extract<Pending, { kind: 'availability' }>, e: Entities): Promise<TurnResult> {
    const { zone } = input;
    const start = DateTime.fromISO(p.start, { zone });
    const end = DateTime.fromISO(p.end, { zone });
    if (p.mode === 'add') {
      const result = await this.actions.addAvailability(input.meta.actor, {
        date: start.toISODate()!,
        dayStart: start.toFormat('HH:mm'),
        dayEnd: end.toFormat('HH:mm'),
        zone,
        slotMinutes: 30,
        weekday: start.weekday,
      });
      return this.result(
        'set_availability',
        e,
        `Added ${result.created} free slot${result.created === 1 ? '' : 's'} on ${start.toFormat('ccc d LLL')} from ${start.toFormat('HH:mm')} to ${end.toFormat('HH:mm')}${result.skipped ? ` (${result.skipped} skipped: overlapping or past)` : ''}.`,
        [{ type: 'set_availability', status: 'completed' }],
        ["Show that day's schedule"],
        {},
      );
    }
    const slot = await this.actions.block(input.meta.actor, p.start, p.end);
    return this.result(
      'set_availability',
      e,
      `Blocked ${start.toFormat('ccc d LLL, HH:mm')}–${end.toFormat('HH:mm')}: patients cannot book that time.`,
      [{ type: 'set_availability', status: 'completed', resource: { type: 'slot', id: slot.id } }],
      ["Show that day's schedule"],
      {},
    );
  }

  private async urgent(input: TurnInput, e: Entities): Promise<TurnResult> {
    const { meta, zone } = input;
    const now = input.now ?? new Date();
    // "Which of my patients are overdue for follow-up?" asks for that list only; "any urgent
    // patients?" gets it as the last part of the whole picture.
    if (FOLLOW_UP_QUESTION.test(input.message)) {
      const overdue = await this.actions.overdueFollowUps(meta, now);
      if (!overdue.length)
        return this.result(
          'urgent_patients',
          e,
          'No overdue follow-ups: every follow-up you asked for in your notes of the last 13 months is either not yet due or has an appointment with you since.',
          [{ type: 'urgent_patients', status: 'completed' }],
          ['Show urgent patients', 'List my patients'],
          {},
        );
      return this.result(
        'urgent_patients',
        e,
        `Overdue follow-ups (${overdue.length}):\n${overdue.map((o) => followUpLine(o, zone, now)).join('\n')}`,
        [{ type: 'urgent_patients', status: 'completed' }],
        ['Show urgent patients'],
        {},
      );
    }
    const people = await this.actions.myPatients(meta);
    const byId = new Map(people.map((p) => [p.id, p]));
    const lines: string[] = [];
    const flags = await this.actions.emergencyFlags([...byId.keys()], new Date(Date.now() - 7 * 86_400_000));
    const flagged = new Set<string>();
    for (const f of flags) {
      if (flagged.has(f.patient_id)) continue;
      flagged.add(f.patient_id);
      lines.push(`🚨 ${byId.get(f.patient_id)?.name ?? 'A patient'} — emergency reported ${fmt(new Date(f.created_at).toISOString(), zone)} (${f.level})`);
    }
    const abnormalReports = (await this.actions.reports(meta)).filter((x) => x.abnormal_count > 0).slice(0, 10);
    const details = await Promise.all(abnormalReports.map((r) => this.actions.report(meta, r.id)));
    for (const [i, r] of abnormalReports.entries()) {
      const detail = details[i]!;
      const critical = detail.observations.filter((o) => o.flag === 'critical');
      const abnormal = detail.observations.filter((o) => o.flag === 'high' || o.flag === 'low');
      const name = byId.get(r.patient_id)?.name ?? 'A patient';
      if (critical.length)
        lines.push(
          `⚠️ ${name} — critical lab values: ${critical.map((o) => `${o.name} ${o.value}${o.unit ? ` ${o.unit}` : ''}`).join(', ')} (${fmt(r.collected_at, zone)})`,
        );
      else if (abnormal.length)
        lines.push(`• ${name} — ${abnormal.length} abnormal lab value${abnormal.length === 1 ? '' : 's'} (${fmt(r.collected_at, zone)})`);
    }
    for (const o of await this.actions.overdueFollowUps(meta, now)) lines.push(followUpLine(o, zone, now));
    if (!lines.length)
      return this.result(
        'urgent_patients',
        e,
        'No urgent patients: no emergencies reported in the last 7 days, no abnormal lab results and no overdue follow-ups.',
        [{ type: 'urgent_patients', status: 'completed' }],
        ['List my patients'],
        {},
      );
    return this.result('urgent_patients', e, `Patients needing attention:\n${lines.join('\n')}`, [{ type: 'urgent_patients', status: 'completed' }], [], {});
  }

  // ---- answers in the context of a pending question ----

  private async continuePending(input: TurnInput, p: Pending, u: Understanding): Promise<TurnResult | null> {
    const t = u.text;
    // A plain yes only: "ok, is that Friday?" or "yes but not Friday" confirms nothing (review M4).
    const yes = confirms(input.message, t);
    const no = NO.test(t) && !yes;
    const e = u.raw;
    const { meta, zone } = input;
    // A clear new request (not an answer) drops the pending one — except a date or a name given as a correction.
    const isAnswerish =
      yes || no || /^(the |that |this )?(first|second|third|last|1|2|3|one|two|three)\b/.test(t) || Boolean(clockTime(t)) || t.split(' ').length <= 4;
    const newTask = u.intent !== OUT_OF_SCOPE && u.score >= 3 && !['greeting', 'help'].includes(u.intent) && intentOf(p) !== u.intent && !isAnswerish;

    if (newTask) return null;
    // "cancel" / "stop" while booking, prescribing or writing a note abandons that task (in a cancellation it means yes).
    if (p.kind !== 'cancel' && /^(cancel|cancel that|cancel it|stop|stop it|forget it|abort)$/.test(t)) {
      return this.result(
        intentOf(p),
        e,
        'OK, I have stopped that; nothing was changed. What else can I do for you?',
        [{ type: intentOf(p), status: 'declined' }],
        this.suggestions(input.role),
        {},
      );
    }
    if (no && !e.date && ['confirm', 'confirm_warnings', 'choose_slot', 'choose', 'choose_patient', 'choose_doctor'].includes(p.step)) {
      return this.result(
        intentOf(p),
        e,
        'OK, I have not changed anything. What else can I do for you?',
        [{ type: intentOf(p), status: 'declined' }],
        this.suggestions(input.role),
        {},
      );
    }

    switch (p.kind) {
      case 'availability': {
        // A question while the change waits ("is Friday busy?") is answered from the diary; the change still waits for a yes.
        if (!yes && isPlainQuestion(input.message)) {
          const answer = await this.schedule(input, e);
          return {
            ...answer,
            reply: `${answer.reply}\n${this.describeAvailability(p, zone)}? Please answer yes or no.`,
            state: { ...answer.state, pending: p },
          };
        }
        // A new day before the yes ("no, Thursday") is a correction: the same change on that day, asked again.
        if (e.date && !yes) return this.availability(input, { ...u, intent: 'set_availability', entities: { ...u.entities, date: e.date } }, p.mode);
        if (!yes)
          return this.result(
            'set_availability',
            e,
            `${this.describeAvailability(p, zone)}? Please answer yes or no.`,
            [{ type: 'set_availability', status: 'pending_confirmation' }],
            ['Yes', 'No'],
            { pending: p },
          );
        return this.applyAvailability(input, p, e);
      }
      case 'book': {
        if (p.step === 'confirm' && p.slot) {
          if (e.date && !yes) return this.offerSlots(input, { ...p, step: 'choose_slot', slot: undefined, date: e.date }, e);
          if (!yes) {
            const other = p.options && pickOption(input.message, p.options, zone);
            if (other && !isQuestion(input.message)) return this.bookSlot(input, other, p, e);
            return this.result(
              'book_appointment',
              e,
              `Should I book ${fmt(p.slot.start, zone)} with ${p.slot.doctor_name}? Please answer yes or no.`,
              [{ type: 'book_appointment', status: 'pending_confirmation' }],
              ['Yes', 'No'],
              { pending: p },
            );
          }
          return this.bookSlot(input, p.slot, p, e);
        }
        if (p.step === 'choose_doctor' && p.candidates) {
          const chosen = pickOption(t, p.candidates, zone);
          if (!chosen)
            return this.result(
              'book_appointment',
              e,
              `Please pick one: ${p.candidates.map((d, i) => `${i + 1}. ${d.name}`).join(' ')}`,
              [],
              p.candidates.map((d) => d.name),
              { pending: p },
            );
          return this.offerSlots(input, { ...p, doctor: chosen, candidates: undefined, step: 'choose_slot' }, e);
        }
        if (p.step === 'need_target') {
          const doctor = await this.matchDoctor(input.message, e);
          const next = { ...p, ...(e.specialty && { specialty: e.specialty }), ...(e.date && { date: e.date }) };
          if (doctor?.people.length === 1) next.doctor = doctor.people[0]!;
          if (!next.doctor && !next.specialty && doctor && doctor.people.length > 1)
            return this.result(
              'book_appointment',
              e,
              `Which doctor do you mean? ${doctor.people.map((d, i) => `${i + 1}. ${d.name}`).join(' ')}`,
              [],
              doctor.people.map((d) => d.name),
              { pending: { ...next, step: 'choose_doctor', candidates: doctor.people } },
            );
          if (!next.doctor && !next.specialty) return u.intent !== OUT_OF_SCOPE && u.intent !== 'book_appointment' ? null : this.offerSlots(input, next, e);
          return this.offerSlots(input, next, e);
        }
        if (p.step === 'choose_slot' && p.options) {
          const chosen = !e.date || clockTime(t) ? pickOption(input.message, p.options, zone) : undefined;
          if (chosen) {
            // Picking one of the offered times is the go-ahead; a pick put as a question ("can I have the 3 pm one?") asks first.
            if (isQuestion(input.message))
              return this.result(
                'book_appointment',
                e,
                `Book ${fmt(chosen.start, zone)} with ${chosen.doctor_name}? Please answer yes or no.`,
                [{ type: 'book_appointment', status: 'pending_confirmation' }],
                ['Yes', 'No'],
                { pending: { ...p, step: 'confirm', slot: chosen } },
              );
            return this.bookSlot(input, chosen, p, e);
          }
          if (e.date || e.specialty)
            return this.offerSlots(input, { ...p, ...(e.date && { date: e.date }), ...(e.specialty && { specialty: e.specialty, doctor: undefined }) }, e);
          if (yes && p.options.length === 1) return this.continuePending(input, p, { ...u, text: 'first' });
          return u.intent !== OUT_OF_SCOPE && u.intent !== 'book_appointment' && !isAnswerish
            ? null
            : this.result(
                'book_appointment',
                e,
                `Please choose one of the times (say "the first one" or the time), or give another day.`,
                [],
                p.options.map((o) => fmt(o.start, zone)),
                { pending: p },
              );
        }
        return null;
      }
      case 'cancel': {
        if (p.step === 'choose' && p.options) {
          const chosen = pickOption(input.message, p.options, zone) ?? this.narrowAppointments(p.options, input.message, e, zone).at(0);
          if (!chosen)
            return this.result('cancel_appointment', e, 'Which appointment should I cancel? Say "the first one", the doctor or the day.', [], [], {
              pending: p,
            });
          return this.confirmCancel(e, chosen, zone);
        }
        if (p.step === 'confirm' && p.appointment) {
          if (!yes)
            return this.result(
              'cancel_appointment',
              e,
              `Should I cancel your appointment with ${p.appointment.doctor_name} on ${fmt(p.appointment.start, zone)}? Please answer yes or no.`,
              [{ type: 'cancel_appointment', status: 'pending_confirmation' }],
              ['Yes', 'No'],
              { pending: p },
            );
          const result = await this.actions.cancel(meta, p.appointment.id);
          return this.result(
            'cancel_appointment',
            e,
            `Cancelled your appointment with ${result.doctor_name} on ${fmt(result.start, zone)}.`,
            [{ type: 'cancel_appointment', status: 'completed', resource: { type: 'appointment', id: result.id } }],
            ['Book an appointment'],
            {},
          );
        }
        return null;
      }
      case 'reschedule': {
        if (p.step === 'choose' && p.options) {
          const chosen = pickOption(input.message, p.options, zone) ?? this.narrowAppointments(p.options, input.message, e, zone).at(0);
          if (!chosen)
            return this.result('reschedule_appointment', e, 'Which appointment should I move? Say "the first one", the doctor or the day.', [], [], {
              pending: p,
            });
          return this.rescheduleAsk(input, { kind: 'reschedule', step: 'need_date', appointment: chosen, ...(p.date && { date: p.date }) }, e);
        }
        if (p.step === 'need_date') {
          if (!e.date)
            return this.result('reschedule_appointment', e, 'Which day would suit you? For example "next Tuesday afternoon".', [], ['Tomorrow', 'Next week'], {
              pending: p,
            });
          return this.rescheduleAsk(input, { ...p, date: e.date }, e);
        }
        if (p.step === 'choose_slot' && p.slots) {
          const chosen = !e.date || clockTime(t) ? pickOption(input.message, p.slots, zone) : undefined;
          if (!chosen) {
            if (e.date) return this.rescheduleAsk(input, { ...p, date: e.date }, e);
            return this.result(
              'reschedule_appointment',
              e,
              'Please choose one of the times, or give another day.',
              [],
              p.slots.map((s) => fmt(s.start, zone)),
              { pending: p },
            );
          }
          return this.result(
            'reschedule_appointment',
            e,
            `Move your appointment with ${p.appointment!.doctor_name} from ${fmt(p.appointment!.start, zone)} to ${fmt(chosen.start, zone)}? Please answer yes or no.`,
            [{ type: 'reschedule_appointment', status: 'pending_confirmation' }],
            ['Yes', 'No'],
            { pending: { ...p, step: 'confirm', slot: chosen } },
          );
        }
        if (p.step === 'confirm' && p.slot && p.appointment) {
          if (e.date && !yes) return this.rescheduleAsk(input, { ...p, step: 'need_date', date: e.date, slot: undefined }, e);
          if (!yes)
            return this.result(
              'reschedule_appointment',
              e,
              `Should I move it to ${fmt(p.slot.start, zone)}? Please answer yes or no.`,
              [{ type: 'reschedule_appointment', status: 'pending_confirmation' }],
              ['Yes', 'No'],
              { pending: p },
            );
          const result = await this.actions.reschedule(meta, p.appointment.id, p.slot.slot_id);
          return this.result(
            'reschedule_appointment',
            e,
            `Done: your appointment with ${result.doctor_name} is now on ${fmt(result.start, zone)}.`,
            [{ type: 'reschedule_appointment', status: 'completed', resource: { type: 'appointment', id: result.id } }],
            ['Show my appointments'],
            {},
          );
        }
        return null;
      }
      case 'history': {
        const chosen = pickOption(input.message, p.candidates, zone);
        if (!chosen)
          return this.result(
            'patient_history',
            e,
            `Please pick one: ${p.candidates.map((x, i) => `${i + 1}. ${x.name}`).join(' ')}`,
            [],
            p.candidates.map((x) => x.name),
            { pending: p },
          );
        return this.history(input, e, chosen);
      }
      case 'prescribe': {
        if (p.step === 'choose_patient' && p.candidates) {
          const chosen = pickOption(input.message, p.candidates, zone);
          if (!chosen)
            return this.result(
              'add_prescription',
              e,
              `Please pick one: ${p.candidates.map((x, i) => `${i + 1}. ${x.name}`).join(' ')}`,
              [],
              p.candidates.map((x) => x.name),
              { pending: p },
            );
          return this.prescribeNext(input, { ...p, patient: chosen, candidates: undefined }, e, false);
        }
        const merged = {
          ...p,
          ...(e.drug && { drug: e.drug }),
          ...(e.dose && { dose: e.dose }),
          ...(e.route && { route: e.route }),
          ...(e.frequency && { frequency: e.frequency }),
          ...(e.duration_days && { duration_days: e.duration_days }),
        };
        if (p.step === 'need_patient') return this.prescribeNext(input, merged, e, true);
        if (p.step === 'need_details') {
          if (e.unknown_drug && !e.drug)
            return this.result('add_prescription', e, `I don't recognise the drug "${e.unknown_drug}". Please check the spelling.`, [], [], { pending: p });
          return this.prescribeNext(input, merged, e, false);
        }
        if (p.step === 'confirm' || p.step === 'confirm_warnings') {
          const changed = e.drug || e.dose || e.frequency || e.duration_days || e.route;
          if (changed && !yes) return this.prescribeNext(input, { ...merged, step: 'need_details' }, e, false);
          if (!yes)
            return this.result(
              'add_prescription',
              e,
              `Should I prescribe ${describeRx(p)} to ${p.patient!.name}? Please answer yes or no.`,
              [{ type: 'add_prescription', status: 'pending_confirmation' }],
              ['Yes', 'No'],
              { pending: p },
            );
          e.patient_name = p.patient!.name;
          try {
            // The same step-up rule as POST /prescriptions (docs/API.md §1.1): the assistant never does more than the API allows.
            input.requireStepUp?.();
            const rx = await this.actions.prescribe(meta, {
              patient_id: p.patient!.id,
              items: [
                {
                  drug: p.drug!,
                  dose: p.dose!,
                  frequency: p.frequency!,
                  ...(p.route && { route: p.route }),
                  ...(p.duration_days && { duration_days: p.duration_days }),
                },
              ],
              ...(p.step === 'confirm_warnings' && { confirm_warnings: true }),
            });
            return this.result(
              'add_prescription',
              e,
              `Prescribed ${describeRx(p)} to ${p.patient!.name}.`,
              [{ type: 'add_prescription', status: 'completed', resource: { type: 'prescription', id: rx.id } }],
              [`Show ${p.patient!.name}'s history`],
              {},
            );
          } catch (err) {
            if (err instanceof AppError && err.code === 'step-up-required') {
              return this.result(
                'add_prescription',
                e,
                `Prescribing needs a second factor verified in the last few minutes. Verify it (POST /api/v1/auth/mfa/step-up), then answer yes again with the new token. Nothing has been prescribed yet.`,
                [{ type: 'add_prescription', status: 'pending_confirmation' }],
                ['Yes', 'No'],
                { pending: p },
              );
            }
            if (err instanceof AppError && err.code === 'prescription-warnings') {
              const warnings = (err.errors ?? []).map((w) => w.message);
              return this.result(
                'add_prescription',
                e,
                `Warning for ${p.patient!.name}: ${warnings.join('; ')}. Prescribe anyway? Please answer yes or no.`,
                [{ type: 'add_prescription', status: 'pending_confirmation' }],
                ['Yes', 'No'],
                { pending: { ...p, step: 'confirm_warnings', warnings } },
              );
            }
            throw err;
          }
        }
        return null;
      }
      case 'diagnose': {
        if (p.step === 'choose_patient' && p.candidates) {
          const chosen = pickOption(input.message, p.candidates, zone);
          if (!chosen)
            return this.result(
              'add_diagnosis',
              e,
              `Please pick one: ${p.candidates.map((x, i) => `${i + 1}. ${x.name}`).join(' ')}`,
              [],
              p.candidates.map((x) => x.name),
              { pending: p },
            );
          return this.diagnoseNext(
            input,
            { ...p, patient: chosen, candidates: undefined, text: p.text ? stripName(p.text, chosen.name) || undefined : undefined },
            e,
            false,
          );
        }
        if (p.step === 'need_patient') return this.diagnoseNext(input, p, e, true);
        if (p.step === 'need_text') return this.diagnoseNext(input, { ...p, text: input.message.trim().slice(0, 2000) }, e, false);
        if (p.step === 'confirm' && p.patient && p.text) {
          if (!yes)
            return this.result(
              'add_diagnosis',
              e,
              `Should I add this ${p.record_type} to ${p.patient.name}'s record? Please answer yes or no.`,
              [{ type: 'add_diagnosis', status: 'pending_confirmation' }],
              ['Yes', 'No'],
              { pending: p },
            );
          e.patient_name = p.patient.name;
          const record = await this.actions.addRecord(meta, {
            patient_id: p.patient.id,
            record_type: p.record_type,
            title: p.record_type === 'diagnosis' ? `Diagnosis: ${p.text.slice(0, 200)}` : 'Note (assistant)',
            content: p.text,
            ...(p.record_type === 'diagnosis' && { diagnoses: [{ text: p.text.slice(0, 500) }] }),
          });
          return this.result(
            'add_diagnosis',
            e,
            `Added the ${p.record_type} to ${p.patient.name}'s record.`,
            [{ type: 'add_diagnosis', status: 'completed', resource: { type: 'medical_record', id: (record as { id: string }).id } }],
            [`Show ${p.patient.name}'s history`],
            {},
          );
        }
        return null;
      }
    }
  }
}

/** Words that are never a person's name when matching (intent words the fuzzy matcher could bend into a name). */
const SKIP_FOR_NAMES = new Set([
  'appointment',
  'appointments',
  'book',
  'cancel',
  'reschedule',
  'show',
  'history',
  'prescribe',
  'prescription',
  'diagnosis',
  'note',
  'patient',
  'patients',
  'doctor',
  'with',
  'tomorrow',
  'today',
  'next',
  'week',
  'morning',
  'afternoon',
  'evening',
  'please',
  'want',
  'need',
  'like',
  'would',
  'could',
  'the',
  'for',
  'and',
  'times',
  'twice',
  'three',
  'daily',
  'days',
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
  'sunday',
  'records',
  'chart',
  'notes',
  'summary',
  'schedule',
  'find',
  'about',
  'tell',
]);

function intentOf(p: Pending): string {
  switch (p.kind) {
    case 'book':
      return 'book_appointment';
    case 'cancel':
      return 'cancel_appointment';
    case 'reschedule':
      return 'reschedule_appointment';
    case 'prescribe':
      return 'add_prescription';
    case 'diagnose':
      return 'add_diagnosis';
    case 'history':
      return 'patient_history';
    case 'availability':
      return 'set_availability';
  }
}

function toOption(a: { id: string; doctor_id: string; doctor_name: string; patient_name: string; start: string; status: string }): AppointmentOption {
  return { id: a.id, doctor_id: a.doctor_id, doctor_name: a.doctor_name, patient_name: a.patient_name, start: a.start, status: a.status };
}

function describeRx(p: { drug?: string; dose?: string; route?: string; frequency?: string; duration_days?: number }): string {
  return `${p.drug} ${p.dose}${p.route ? ` ${p.route}` : ''}, ${p.frequency}${p.duration_days ? `, for ${p.duration_days} days` : ''}`;
}

function flagWords(flag: string): string {
  switch (flag) {
    case 'high':
      return 'higher than the reference range';
    case 'low':
      return 'lower than the reference range';
    case 'critical':
      return 'far outside the reference range (a critical value: contact your doctor promptly)';
    default:
      return 'outside the reference range';
  }
}

/** The clinical text of "add diagnosis of hypertension for John Smith" → "hypertension for John Smith" (the name is removed once the patient is known). */
function diagnosisText(message: string): string | undefined {
  const m = /\b(?:diagnos(?:e|ed|is)(?:\s+(?:of|as|is|with))?|dx|note(?:\s+that)?|record that|document(?:\s+that)?|assessment|impression)\s*:?\s+(.+)$/i.exec(
    message.trim(),
  );
  const text = m?.[1]?.trim().replace(/^(a|an)\s+(note|diagnosis)\s+/i, '');
  return text && text.length >= 3 ? text.slice(0, 2000) : undefined;
}

function stripName(text: string, name: string): string {
  let out = text;
  for (const part of name.split(/\s+/).filter((w) => w.length >= 2))
    out = out.replace(new RegExp(`\\b${part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`, 'gi'), '');
  out = out
    .replace(/\b(for|to|of|on|patient|pt)\s*[.,]?\s*$/i, '')
    .replace(/^\s*(for|to|of|on)\b/i, '')
    .replace(/\s+/g, ' ')
    .trim();
  out = out
    .replace(/\s+(for|to|of)$/i, '')
    .replace(/^[\s:,.-]+/, '')
    .trim();
  return out.length >= 3 ? out : '';
}

export { type Intent };
