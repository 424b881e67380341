/**
 * Evaluation of the assistants' understanding on the labelled utterance set (README.md here;
 * written by an independent author). `npm run eval:assistants -- --split=dev` while working:
 * dev figures plus every miss; it never opens the test file (not even its checksum). `--split=test`
 * (or `all`) gives the held-out figures only —
 * aggregates, never the texts of misses — and is run by the lead for the final report.
 * The test file's sha256 must match CHECKSUMS or the run fails (assistants.eval.test.ts too).
 *
 * What it measures (docs/ASSISTANTS.md "Evaluation"): per role intent accuracy, out-of-scope
 * recall, and precision/recall/F1 per entity key; the emergency-first rate (labelled
 * emergencies the detector flags before any intent) and look-alikes wrongly flagged.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DateTime } from 'luxon';
import { detectEmergency } from '../../emergency/index.js';
import { matchPeople, understand, type Person } from '../nlu/index.js';

const here = dirname(fileURLToPath(import.meta.url));

interface Utterance {
  id: string;
  role: 'patient' | 'doctor';
  text: string;
  intent: string;
  entities: Record<string, unknown>;
  style: string;
  notes?: string;
}
interface DataSet {
  reference: { now: string; time_zone: string };
  utterances: Utterance[];
}

/** The world the set was written against (its README): the demo doctors and the patients it names. */
const DOCTORS: Person[] = ['Gregory Hause', 'Dana Dermis', 'Carl Cardio'].map((name, i) => ({ id: `d${i}`, name }));
const PATIENTS: Person[] = ['Jane Doe', 'John Roe', 'Maria Lopez', 'Tom Baker', 'Ahmed Khan', 'Priya Sharma', 'Olga Petrova', 'Mary Smith'].map((name, i) => ({
  id: `p${i}`,
  name,
}));
const KEYS = ['specialty', 'doctor_name', 'patient_name', 'date', 'drug', 'dose', 'frequency', 'duration_days'] as const;

export function verifyChecksum(): void {
  const line = readFileSync(join(here, 'CHECKSUMS'), 'utf8')
    .split('\n')
    .find((l) => l.includes('utterances.test.json'));
  if (!line) throw new Error('CHECKSUMS has no line for utterances.test.json');
  const expected = line.trim().split(/\s+/)[0];
  const actual = createHash('sha256')
    .update(readFileSync(join(here, 'utterances.test.json')))
    .digest('hex');
  if (actual !== expected) throw new Error(`utterances.test.json changed: sha256 ${actual}, CHECKSUMS says ${expected}`);
}

function nameKey(v: unknown): string {
  return String(v ?? '')
    .toLowerCase()
    .replace(/^(dr\.?|doctor)\s+/, '')
    .replace(/['’]s$/, '')
    .trim();
}

/** What the engine would put in each contract key for this text (names: the matched words, as the reply does). */
export function predict(u: Utterance, zone: string, now: Date) {
  if (u.role === 'patient' && detectEmergency(u.text).is_emergency)
    return { intent: 'emergency', entities: {} as Record<string, unknown>, emergencyFirst: true };
  const r = understand(u.text, { role: u.role, zone, now, ...(u.role === 'doctor' ? { people: PATIENTS } : { doctors: DOCTORS }) });
  const entities: Record<string, unknown> = {};
  for (const k of ['specialty', 'drug', 'dose', 'frequency', 'duration_days'] as const) if (r.entities[k] !== undefined) entities[k] = r.entities[k];
  if (r.entities.date) entities.date = r.entities.date;
  const people = u.role === 'patient' ? DOCTORS : PATIENTS;
  const match = matchPeople(u.text, people, new Set(['appointment', 'book', 'cancel', 'history', 'prescribe', 'note', 'with', 'the', 'for', 'and']));
  if (match) entities[u.role === 'patient' ? 'doctor_name' : 'patient_name'] = match.phrase;
  return { intent: r.intent as string, entities, emergencyFirst: false };
}

function sameEntity(key: string, expected: unknown, got: unknown, zone: string): boolean {
  if (got === undefined) return false;
  if (key === 'doctor_name' || key === 'patient_name') return nameKey(expected) === nameKey(got);
  if (key === 'date') {
    const e = expected as { local_date: string; local_time?: string };
    const g = got as { from: string; grain: string };
    const local = DateTime.fromISO(g.from, { zone });
    if (local.toISODate() !== e.local_date) return false;
    if (e.local_time) return g.grain === 'time' && local.toFormat('HH:mm') === e.local_time;
    return true;
  }
  if (key === 'dose') return String(expected).toLowerCase().replace(/\s+/g, '') === String(got).toLowerCase().replace(/\s+/g, '');
  return String(expected).toLowerCase() === String(got).toLowerCase();
}

export interface SplitReport {
  split: string;
  n: number;
  intentAccuracy: Record<string, number>;
  outOfScopeRecall: Record<string, number>;
  entities: Record<string, { precision: number; recall: number; f1: number; support: number }>;
  entityRecall: number;
  emergencyFirstRate: number;
  lookAlikesFlagged: number;
  misses?: string[];
}

export function evaluate(split: 'dev' | 'test' | 'probes', withMisses: boolean): SplitReport {
  if (split === 'test') verifyChecksum();
  // probes.json: the engine authors' own probe batch (same format), counted before it is tuned on.
  const data = JSON.parse(readFileSync(join(here, split === 'probes' ? 'probes.json' : `utterances.${split}.json`), 'utf8')) as DataSet;
  const zone = data.reference.time_zone;
  const now = DateTime.fromISO(data.reference.now, { zone }).toJSDate();
  const byRole: Record<string, { ok: number; n: number; oos: number; oosOk: number }> = {};
  const counts: Record<string, { tp: number; fp: number; fn: number }> = Object.fromEntries(KEYS.map((k) => [k, { tp: 0, fp: 0, fn: 0 }]));
  let emergencies = 0;
  let emergencyFirst = 0;
  let lookAlikes = 0;
  const misses: string[] = [];
  for (const u of data.utterances) {
    const p = predict(u, zone, now);
    const r = (byRole[u.role] ??= { ok: 0, n: 0, oos: 0, oosOk: 0 });
    r.n++;
    if (p.intent === u.intent) r.ok++;
    else if (withMisses) misses.push(`${u.id} [${u.intent} → ${p.intent}] ${u.text}`);
    if (u.intent === 'out_of_scope') {
      r.oos++;
      if (p.intent === 'out_of_scope') r.oosOk++;
    }
    if (u.intent === 'emergency') {
      emergencies++;
      if (p.emergencyFirst) emergencyFirst++;
    } else if (p.emergencyFirst) lookAlikes++;
    for (const k of KEYS) {
      const expected = u.entities[k];
      const got = p.entities[k];
      if (expected !== undefined && sameEntity(k, expected, got, zone)) counts[k]!.tp++;
      else {
        if (expected !== undefined) counts[k]!.fn++;
        if (got !== undefined && k !== 'date') counts[k]!.fp++;
        if (got !== undefined && k === 'date' && expected !== undefined) counts[k]!.fp++;
        if (withMisses && expected !== undefined)
          misses.push(`${u.id} entity ${k}: expected ${JSON.stringify(expected)} got ${JSON.stringify(got ?? null)} — ${u.text}`);
      }
    }
  }
  const ratio = (a: number, b: number) => (b ? Math.round((1000 * a) / b) / 10 : 100);
  const entities: SplitReport['entities'] = {};
  let tpAll = 0;
  let supportAll = 0;
  for (const k of KEYS) {
    const c = counts[k]!;
    const precision = ratio(c.tp, c.tp + c.fp);
    const recall = ratio(c.tp, c.tp + c.fn);
    entities[k] = { precision, recall, f1: precision + recall ? Math.round((20 * precision * recall) / (precision + recall)) / 10 : 0, support: c.tp + c.fn };
    tpAll += c.tp;
    supportAll += c.tp + c.fn;
  }
  return {
    split,
    n: data.utterances.length,
    intentAccuracy: Object.fromEntries(Object.entries(byRole).map(([role, r]) => [role, ratio(r.ok, r.n)])),
    outOfScopeRecall: Object.fromEntries(Object.entries(byRole).map(([role, r]) => [role, ratio(r.oosOk, r.oos)])),
    entities,
    entityRecall: ratio(tpAll, supportAll),
    emergencyFirstRate: ratio(emergencyFirst, emergencies),
    lookAlikesFlagged: lookAlikes,
    ...(withMisses && { misses }),
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const arg = process.argv.find((a) => a.startsWith('--split='))?.slice(8) ?? 'all';
  if (!['dev', 'test', 'all', 'probes'].includes(arg)) throw new Error(`--split must be dev, probes, test or all (got ${arg})`);
  const splits: ('dev' | 'test' | 'probes')[] = arg === 'dev' ? ['dev'] : arg === 'probes' ? ['probes'] : arg === 'test' ? ['test'] : ['dev', 'test'];
  // Dev-only runs never read the test file, not even to hash it (evaluate() checks it before a test run).
  for (const split of splits) {
    const report = evaluate(split, split !== 'test' && process.argv.includes('--misses'));
    const { misses, ...figures } = report;
    console.log(JSON.stringify(figures, null, 2));
    if (misses) for (const m of misses) console.log(m);
  }
}
