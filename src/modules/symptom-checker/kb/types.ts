// Types of the symptom-checker knowledge base (the JSON files beside this file).
// The knowledge base is data; `validate.ts` checks it against these shapes and for
// referential integrity, and `loader.ts` reads it from disk once at module load.

/** Infermedica triage scale, most urgent first. */
export const TRIAGE_LEVELS = ['emergency_ambulance', 'emergency', 'consultation_24', 'consultation', 'self_care'] as const;
export type TriageLevel = (typeof TRIAGE_LEVELS)[number];

/** Urgency rank: higher is more urgent (self_care = 0 … emergency_ambulance = 4). */
export function triageRank(level: TriageLevel): number {
  return TRIAGE_LEVELS.length - 1 - TRIAGE_LEVELS.indexOf(level);
}

export const AGE_BANDS = ['infant', 'child', 'teen', 'adult', 'middle', 'older'] as const;
export type AgeBand = (typeof AGE_BANDS)[number];

/** infant < 2 y, child 2–11, teen 12–17, adult 18–39, middle 40–64, older ≥ 65. */
export function ageBand(ageYears: number): AgeBand {
  if (ageYears < 2) return 'infant';
  if (ageYears < 12) return 'child';
  if (ageYears < 18) return 'teen';
  if (ageYears < 40) return 'adult';
  if (ageYears < 65) return 'middle';
  return 'older';
}

export const BODY_SYSTEMS = [
  'respiratory',
  'cardiovascular',
  'gastrointestinal',
  'urological_renal',
  'neurological',
  'musculoskeletal',
  'skin',
  'ent_eye',
  'endocrine_metabolic',
  'infectious',
  'mental_health',
  'obstetric_gynaecological',
  'paediatric',
  'injuries',
] as const;
export type BodySystem = (typeof BODY_SYSTEMS)[number];

export type EvidenceType = 'symptom' | 'risk_factor' | 'duration';
export type Sex = 'male' | 'female';

export interface EvidenceItem {
  id: string;
  name: string;
  /** Lay question in the second person ("Do you have …?"). */
  question: string;
  type: EvidenceType;
  /** Lay synonyms and phrasings used by text mapping (contiguous phrases). */
  synonyms: string[];
  /**
   * Order-free co-occurrence patterns ("pain | ache + chest | breastbone"): every " + " group must
   * occur in one clause within a few words, in any order (src/modules/clinical-text/concepts.ts).
   */
  patterns?: string[];
  /**
   * Leak: P(evidence present | a condition that does not list it). The background rate of the
   * finding among symptom-checker users from causes outside the listed link. Default by type.
   */
  leak?: number;
  /** A present red flag escalates triage at once to `red_flag_level` (default `emergency`). */
  red_flag?: boolean;
  red_flag_level?: 'emergency' | 'emergency_ambulance';
  /**
   * One-level hierarchy: a child refines its parent ("crushing" refines "chest pain"). Likelihoods
   * of a child are conditional on the parent being present; a present child implies its parent,
   * an absent parent implies every child absent, and a child is only asked once its parent is present.
   */
  parent?: string;
  /**
   * Read from the patient's words only, never asked on its own: a wording of a finding whose own
   * question covers it (`baby_quiet` is asked as `reduced_fetal_movement`), so the interview does not
   * ask the same thing twice.
   */
  text_only?: boolean;
  /** Only asked of / applicable to this sex. */
  sex?: Sex;
  /** Only asked within this age range (years). */
  min_age?: number;
  max_age?: number;
  /** For type `duration` (and other categorical) evidence: the group it is an option of. */
  group?: string;
}

/** A categorical question: its options are mutually exclusive evidence items. */
export interface EvidenceGroup {
  id: string;
  type: 'single' | 'duration';
  question: string;
  options: string[];
  /** Distribution over options for conditions that do not specify them (sums to 1). */
  default: number[];
}

export interface Source {
  id: string;
  title: string;
  org: string;
  year?: number;
  kind: 'guideline' | 'guideline_summary' | 'textbook' | 'paper' | 'public_health';
  url?: string;
}

export interface Condition {
  id: string;
  name: string;
  icd10: string;
  system: BodySystem;
  triage: TriageLevel;
  /** Relative prevalence among people using a symptom checker (before age/sex multipliers). */
  prior: number;
  /** Multipliers on `prior` per age band (missing band = 1). */
  age?: Partial<Record<AgeBand, number>>;
  /** Multipliers on `prior` per sex (missing = 1; 0 = impossible). */
  sex?: Partial<Record<Sex, number>>;
  /** P(evidence | condition). For child evidence: P(child | parent present, condition). */
  evidence: Record<string, number>;
  /** Red-flag evidence typical of this condition (must be red_flag evidence it lists). */
  red_flags: string[];
  sources: string[];
  /** Optional lay description / advice shown to users. */
  advice?: string;
}

export interface RedFlagRule {
  id: string;
  reason: string;
  level: 'emergency' | 'emergency_ambulance';
  /** All of these evidence ids must be present. */
  all: string[];
  /** Optional age bounds in years (inclusive min, exclusive max). */
  min_age?: number;
  max_age?: number;
}

export interface KnowledgeBaseMeta {
  version: string;
  /** Exponent applied to every evidence factor (< 1 tempers naive-Bayes overconfidence). */
  evidence_weight: number;
  /** Default leak per evidence type. */
  default_leak: Record<EvidenceType, number>;
  /** Cumulative-probability thresholds for triage (see triage.ts). */
  triage_thresholds: Record<Exclude<TriageLevel, 'self_care'>, number>;
  /** Likelihood clamp for numerical safety (noise term). */
  min_likelihood: number;
  max_likelihood: number;
}

/** Age range in years (fractional for babies), inclusive min, exclusive max. */
export interface AgeRange {
  min_years?: number;
  max_years?: number;
}

/**
 * A triage discriminator (Manchester Triage System sense): a finding that, when present, puts the
 * presentation at `level` whatever the likely diagnosis. Fires when every `all` evidence and at least
 * one `any` evidence is present, for a patient within `age`, `sex` and `pregnancy`.
 */
export interface Discriminator {
  id: string;
  name: string;
  level: Exclude<TriageLevel, 'self_care'>;
  any?: string[];
  all?: string[];
  age?: AgeRange;
  sex?: Sex;
  pregnancy?: { min_weeks?: number; max_weeks?: number };
  source: string;
}

/** A presenting complaint: activated by any trigger evidence, with discriminators most urgent first. */
export interface Complaint {
  id: string;
  name: string;
  triggers: string[];
  age?: AgeRange;
  discriminators: Discriminator[];
}

export interface ComplaintSet {
  /** Discriminators that apply to every presentation (airway, consciousness, haemorrhage, floors …). */
  general: Discriminator[];
  complaints: Complaint[];
}

export interface KnowledgeBase {
  meta: KnowledgeBaseMeta;
  complaints: ComplaintSet;
  evidence: EvidenceItem[];
  groups: EvidenceGroup[];
  conditions: Condition[];
  sources: Source[];
  red_flag_rules: RedFlagRule[];
}
