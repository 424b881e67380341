/**
 * Public types of the emergency-detection service (docs/API.md §7.2).
 */

/** Triage levels the detector can return, most urgent first (Infermedica scale subset). */
export type EmergencyLevel = 'emergency_ambulance' | 'emergency' | 'consultation_24' | 'none';

/** Stable category ids; see the table at the top of `lexicon.ts`. */
export type EmergencyCategory =
  | 'cardiac'
  | 'stroke'
  | 'breathing'
  | 'anaphylaxis'
  | 'bleeding'
  | 'unconscious'
  | 'seizure'
  | 'meningitis'
  | 'self_harm'
  | 'overdose'
  | 'pregnancy'
  | 'infant'
  | 'head_injury'
  | 'thunderclap_headache'
  | 'burns'
  | 'testicular_torsion'
  | 'dka'
  | 'hypoglycaemia'
  | 'sepsis'
  | 'acute_abdomen'
  | 'explicit_request';

export interface EmergencyMatch {
  category: EmergencyCategory | string;
  /** The words of the original text that triggered the rule. */
  phrase: string;
  /** [start, end) offsets of `phrase` in the original (untruncated) text, UTF-16 code units. */
  span: [number, number];
  /** Stable id of the lexicon rule that fired, e.g. `cardiac.chest_pain_radiation`. */
  rule?: string;
  /** Level of that rule. */
  level?: EmergencyLevel;
  /**
   * An emergency rule read only from a statement that it has passed ("it's gone now"), so reported
   * at `consultation_24`: the symptom checker never answers self-care after one (safety net).
   */
  settled?: boolean;
}

export interface CrisisResource {
  name: string;
  contact: string;
}

export interface EmergencyCheck {
  is_emergency: boolean;
  level: EmergencyLevel;
  matched: EmergencyMatch[];
  advice: string;
  crisis_resources?: CrisisResource[];
}

export const LEVEL_RANK: Record<EmergencyLevel, number> = {
  none: 0,
  consultation_24: 1,
  emergency: 2,
  emergency_ambulance: 3,
};
