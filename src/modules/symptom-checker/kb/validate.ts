// Plain-TypeScript validator for the knowledge base: shapes, value ranges and referential
// integrity. Returns every problem found (never throws) so a test can show them all.
import { AGE_BANDS, BODY_SYSTEMS, TRIAGE_LEVELS } from './types.js';
import type { Discriminator } from './types.js';
import { GENERIC_WORDS } from '../../clinical-text/index.js';

import type { KnowledgeBase } from './types.js';

export interface ValidationResult {
  ok: boolean;
  errors: string[];
  warnings: string[];
}

const ID_RE = /^[a-z][a-z0-9_]*$/;
/** WHO ICD-10 code: letter, two digits, optional dot and one or two more characters. */
export const ICD10_RE = /^[A-Z][0-9]{2}(\.[0-9A-Z]{1,2})?$/;
const SOURCE_KINDS = new Set(['guideline', 'guideline_summary', 'textbook', 'paper', 'public_health']);

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string' && v.trim().length > 0;
const isProb = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0 && v < 1;

export function validateKnowledgeBase(kbIn: unknown): ValidationResult {
  const errors: string[] = [];
  const warnings: string[] = [];
  const err = (m: string) => errors.push(m);
  if (!isObj(kbIn)) return { ok: false, errors: ['knowledge base is not an object'], warnings };
  const kb = kbIn as unknown as KnowledgeBase;

  // ---- meta
  const meta = kb.meta as unknown;
  if (!isObj(meta)) err('meta: missing');
  else {
    if (!isStr(meta.version)) err('meta.version: required string');
    if (typeof meta.evidence_weight !== 'number' || !(meta.evidence_weight > 0 && meta.evidence_weight <= 1)) err('meta.evidence_weight: must be in (0,1]');
    if (!isProb(meta.min_likelihood) || !isProb(meta.max_likelihood) || (meta.min_likelihood as number) >= (meta.max_likelihood as number))
      err('meta.min_likelihood/max_likelihood: must be probabilities, min < max');
    const dl = meta.default_leak;
    if (!isObj(dl) || !['symptom', 'risk_factor', 'duration'].every((t) => isProb(dl[t])))
      err('meta.default_leak: needs symptom, risk_factor, duration in (0,1)');
    const th = meta.triage_thresholds;
    if (!isObj(th)) err('meta.triage_thresholds: missing');
    else for (const l of TRIAGE_LEVELS.slice(0, 4)) if (!isProb(th[l])) err(`meta.triage_thresholds.${l}: must be in (0,1)`);
  }

  // ---- sources
  const sourceIds = new Set<string>();
  if (!Array.isArray(kb.sources)) err('sources: must be an array');
  else
    for (const [i, s] of kb.sources.entries()) {
      const where = `sources[${i}]${isObj(s) && isStr(s.id) ? ` (${s.id})` : ''}`;
      if (!isObj(s)) {
        err(`${where}: not an object`);
        continue;
      }
      if (!isStr(s.id) || !ID_RE.test(s.id)) err(`${where}: bad id`);
      else if (sourceIds.has(s.id)) err(`${where}: duplicate id`);
      else sourceIds.add(s.id);
      if (!isStr(s.title)) err(`${where}: title required`);
      if (!isStr(s.org)) err(`${where}: org required`);
      if (s.year !== undefined && !(Number.isInteger(s.year) && s.year >= 1900 && s.year <= 2030)) err(`${where}: bad year`);
      if (!SOURCE_KINDS.has(s.kind as string)) err(`${where}: bad kind`);
      if ((s.kind === 'paper' || s.kind === 'textbook' || s.kind === 'guideline') && s.year === undefined) err(`${where}: ${s.kind} needs a year`);
    }

  // ---- evidence
  const evidence = new Map<string, KnowledgeBase['evidence'][number]>();
  if (!Array.isArray(kb.evidence)) err('evidence: must be an array');
  else
    for (const [i, e] of kb.evidence.entries()) {
      const where = `evidence[${i}]${isObj(e) && isStr(e.id) ? ` (${e.id})` : ''}`;
      if (!isObj(e)) {
        err(`${where}: not an object`);
        continue;
      }
      if (!isStr(e.id) || !ID_RE.test(e.id)) {
        err(`${where}: bad id`);
        continue;
      }
      if (evidence.has(e.id)) err(`${where}: duplicate id`);
      evidence.set(e.id, e);
      if (!isStr(e.name)) err(`${where}: name required`);
      if (!isStr(e.question) || !/\?\s*$/.test(e.question)) err(`${where}: question must be a sentence ending in "?"`);
      if (!['symptom', 'risk_factor', 'duration'].includes(e.type)) err(`${where}: bad type`);
      if (!Array.isArray(e.synonyms) || !e.synonyms.every(isStr)) err(`${where}: synonyms must be strings`);
      if (e.patterns !== undefined && (!Array.isArray(e.patterns) || !e.patterns.every(isStr))) err(`${where}: patterns must be strings`);
      // A finding is never read from one everyday word (see src/modules/clinical-text/concepts.ts).
      for (const p of [...(Array.isArray(e.synonyms) ? e.synonyms : []), ...(Array.isArray(e.patterns) ? e.patterns : [])]) {
        if (isStr(p) && GENERIC_WORDS.has(p.trim().toLowerCase())) err(`${where}: "${p}" is a generic word, not a finding`);
      }
      if (e.leak !== undefined && !isProb(e.leak)) err(`${where}: leak must be in (0,1)`);
      if (e.red_flag !== undefined && typeof e.red_flag !== 'boolean') err(`${where}: red_flag must be boolean`);
      if (e.red_flag_level !== undefined && e.red_flag_level !== 'emergency' && e.red_flag_level !== 'emergency_ambulance') err(`${where}: bad red_flag_level`);
      if (e.red_flag_level !== undefined && !e.red_flag) err(`${where}: red_flag_level without red_flag`);
      if (e.sex !== undefined && e.sex !== 'male' && e.sex !== 'female') err(`${where}: bad sex`);
      if (e.min_age !== undefined && !(typeof e.min_age === 'number' && e.min_age >= 0)) err(`${where}: bad min_age`);
      if (e.max_age !== undefined && !(typeof e.max_age === 'number' && e.max_age > (e.min_age ?? 0))) err(`${where}: bad max_age`);
      if (e.type === 'duration' && !e.group) err(`${where}: duration evidence must belong to a group`);
    }
  for (const e of evidence.values()) {
    if (e.parent !== undefined) {
      const p = evidence.get(e.parent);
      if (!p) err(`evidence ${e.id}: parent ${e.parent} does not exist`);
      else if (p.parent) err(`evidence ${e.id}: parent ${e.parent} has a parent itself (one level only)`);
      else if (p.group || e.group) err(`evidence ${e.id}: grouped evidence cannot have parents`);
    }
  }

  // ---- groups
  const groupIds = new Set<string>();
  if (!Array.isArray(kb.groups)) err('groups: must be an array');
  else
    for (const g of kb.groups) {
      if (!isObj(g) || !isStr(g.id)) {
        err('groups: bad entry');
        continue;
      }
      if (groupIds.has(g.id) || evidence.has(g.id)) err(`group ${g.id}: duplicate id (also with evidence)`);
      groupIds.add(g.id);
      if (g.type !== 'single' && g.type !== 'duration') err(`group ${g.id}: bad type`);
      if (!isStr(g.question)) err(`group ${g.id}: question required`);
      if (!Array.isArray(g.options) || g.options.length < 2) err(`group ${g.id}: needs ≥ 2 options`);
      else {
        for (const o of g.options) {
          const e = evidence.get(o);
          if (!e) err(`group ${g.id}: option ${o} is not evidence`);
          else if (e.group !== g.id) err(`group ${g.id}: option ${o} does not name the group`);
        }
        if (!Array.isArray(g.default) || g.default.length !== g.options.length || !g.default.every(isProb))
          err(`group ${g.id}: default must give a probability per option`);
        else if (Math.abs(g.default.reduce((a, b) => a + b, 0) - 1) > 1e-6) err(`group ${g.id}: default must sum to 1`);
      }
    }
  for (const e of evidence.values()) if (e.group && !groupIds.has(e.group)) err(`evidence ${e.id}: group ${e.group} does not exist`);

  // ---- conditions
  const condIds = new Set<string>();
  const usedEvidence = new Set<string>();
  if (!Array.isArray(kb.conditions)) err('conditions: must be an array');
  else
    for (const [i, c] of kb.conditions.entries()) {
      const where = `conditions[${i}]${isObj(c) && isStr(c.id) ? ` (${c.id})` : ''}`;
      if (!isObj(c)) {
        err(`${where}: not an object`);
        continue;
      }
      if (!isStr(c.id) || !ID_RE.test(c.id)) err(`${where}: bad id`);
      else if (condIds.has(c.id)) err(`${where}: duplicate id`);
      else condIds.add(c.id);
      if (!isStr(c.name)) err(`${where}: name required`);
      if (!isStr(c.icd10) || !ICD10_RE.test(c.icd10)) err(`${where}: icd10 "${String(c.icd10)}" is not a valid ICD-10 code`);
      if (!(BODY_SYSTEMS as readonly string[]).includes(c.system)) err(`${where}: bad system ${String(c.system)}`);
      if (!(TRIAGE_LEVELS as readonly string[]).includes(c.triage)) err(`${where}: bad triage level ${String(c.triage)}`);
      if (!isProb(c.prior)) err(`${where}: prior must be in (0,1)`);
      if (c.age !== undefined) {
        if (!isObj(c.age)) err(`${where}: age must be an object`);
        else
          for (const [k, v] of Object.entries(c.age)) {
            if (!(AGE_BANDS as readonly string[]).includes(k)) err(`${where}: unknown age band ${k}`);
            if (typeof v !== 'number' || !(v >= 0) || v > 100) err(`${where}: age multiplier ${k} must be in [0,100]`);
          }
      }
      if (c.sex !== undefined) {
        if (!isObj(c.sex)) err(`${where}: sex must be an object`);
        else
          for (const [k, v] of Object.entries(c.sex)) {
            if (k !== 'male' && k !== 'female') err(`${where}: unknown sex ${k}`);
            if (typeof v !== 'number' || !(v >= 0) || v > 100) err(`${where}: sex multiplier ${k} must be in [0,100]`);
          }
      }
      if (!isObj(c.evidence) || Object.keys(c.evidence).length < 3) err(`${where}: needs at least 3 evidence likelihoods`);
      else {
        const groupSums = new Map<string, number>();
        for (const [eid, p] of Object.entries(c.evidence)) {
          const e = evidence.get(eid);
          if (!e) {
            err(`${where}: evidence ${eid} does not exist`);
            continue;
          }
          usedEvidence.add(eid);
          if (!isProb(p)) err(`${where}: P(${eid}|c)=${String(p)} must be in (0,1)`);
          if (e.parent && !(e.parent in c.evidence)) err(`${where}: lists child ${eid} without its parent ${e.parent}`);
          if (e.group) groupSums.set(e.group, (groupSums.get(e.group) ?? 0) + (p as number));
        }
        for (const [g, s] of groupSums) if (s > 1 + 1e-6) err(`${where}: likelihoods over group ${g} sum to ${s.toFixed(3)} > 1`);
      }
      if (!Array.isArray(c.red_flags)) err(`${where}: red_flags must be an array`);
      else
        for (const r of c.red_flags) {
          const e = evidence.get(r);
          if (!e) err(`${where}: red flag ${r} does not exist`);
          else if (!e.red_flag) err(`${where}: red flag ${r} is not marked red_flag in evidence`);
          else if (!isObj(c.evidence) || !(r in c.evidence)) err(`${where}: red flag ${r} has no likelihood in the condition`);
        }
      if (!Array.isArray(c.sources) || c.sources.length === 0) err(`${where}: at least one source required`);
      else for (const s of c.sources) if (!sourceIds.has(s)) err(`${where}: source ${s} does not exist`);
    }
  if (Array.isArray(kb.conditions) && kb.conditions.length === 0) err('conditions: empty');

  // ---- red flag rules
  if (!Array.isArray(kb.red_flag_rules)) err('red_flag_rules: must be an array');
  else
    for (const r of kb.red_flag_rules) {
      if (!isObj(r) || !isStr(r.id) || !isStr(r.reason)) {
        err('red_flag_rules: bad entry');
        continue;
      }
      if (r.level !== 'emergency' && r.level !== 'emergency_ambulance') err(`rule ${r.id}: bad level`);
      if (!Array.isArray(r.all) || r.all.length === 0) err(`rule ${r.id}: needs evidence`);
      else for (const e of r.all) if (!evidence.has(e)) err(`rule ${r.id}: evidence ${e} does not exist`);
    }

  // ---- complaints and discriminators (kb/complaints.json)
  const discIds = new Set<string>();
  const checkDisc = (d: Discriminator, where: string) => {
    if (!isObj(d) || !isStr(d.id) || !isStr(d.name)) {
      err(`${where}: bad discriminator`);
      return;
    }
    if (discIds.has(d.id)) err(`${where} ${d.id}: duplicate discriminator id`);
    discIds.add(d.id);
    if (!(TRIAGE_LEVELS.slice(0, 4) as readonly string[]).includes(d.level)) err(`${where} ${d.id}: bad level`);
    const ids = [...(d.any ?? []), ...(d.all ?? [])];
    if (ids.length === 0) err(`${where} ${d.id}: needs any or all`);
    for (const e of ids) if (!evidence.has(e)) err(`${where} ${d.id}: evidence ${e} does not exist`);
    if (!isStr(d.source) || !sourceIds.has(d.source)) err(`${where} ${d.id}: source ${String(d.source)} does not exist`);
  };
  const cs = kb.complaints;
  if (!isObj(cs) || !Array.isArray(cs.general) || !Array.isArray(cs.complaints)) err('complaints: must be {general, complaints}');
  else {
    cs.general.forEach((d, i) => checkDisc(d, `complaints.general[${i}]`));
    const complaintIds = new Set<string>();
    for (const c of cs.complaints) {
      if (!isObj(c) || !isStr(c.id) || complaintIds.has(c.id)) {
        err(`complaint ${String(c?.id)}: bad or duplicate`);
        continue;
      }
      complaintIds.add(c.id);
      if (!Array.isArray(c.triggers) || c.triggers.length === 0) err(`complaint ${c.id}: needs triggers`);
      else for (const t of c.triggers) if (!evidence.has(t)) err(`complaint ${c.id}: trigger ${t} does not exist`);
      if (!Array.isArray(c.discriminators)) err(`complaint ${c.id}: discriminators must be an array`);
      else c.discriminators.forEach((d) => checkDisc(d, `complaint ${c.id}`));
    }
  }

  for (const e of evidence.values()) {
    if (!usedEvidence.has(e.id) && !e.red_flag && !e.group) warnings.push(`evidence ${e.id} is used by no condition`);
  }
  return { ok: errors.length === 0, errors, warnings };
}
