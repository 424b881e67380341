import type { FastifyRequest } from 'fastify';
import { SPECIALTIES, type Specialty } from './scheduling.schemas.js';

/**
 * Lay and variant names of the fixed specialties (docs/API.md §2), so `?specialty=dermatologist`,
 * `skin`, `GP` or `heart doctor` find the same doctors as `dermatology`, `general_practice`
 * or `cardiology`. Matching ignores case, accents, punctuation and a trailing "doctor",
 * "specialist" or "physician"; "-ologist" also maps to "-ology". Anything else is left as
 * given and the schema answers 422 naming the allowed values.
 */
const SYNONYMS: Record<Specialty, string[]> = {
  general_practice: [
    'gp',
    'general practice',
    'general practitioner',
    'general',
    'generalist',
    'family medicine',
    'family',
    'family practice',
    'primary care',
    'pcp',
    'general medicine',
  ],
  internal_medicine: ['internist', 'internal', 'internal medicine'],
  dermatology: ['dermatologist', 'derm', 'skin', 'skin care', 'hair', 'nails'],
  cardiology: ['cardiologist', 'heart', 'cardiac', 'cardio', 'cardiovascular'],
  pediatrics: [
    'paediatrics',
    'pediatrician',
    'paediatrician',
    'pediatric',
    'paediatric',
    'peds',
    'child',
    'children',
    'kids',
    'kid',
    'baby',
    'toddler',
    'infant',
    'newborn',
  ],
  neurology: ['neurologist', 'neuro', 'brain', 'nerves', 'nerve'],
  psychiatry: ['psychiatrist', 'psych', 'mental health', 'mental'],
  orthopedics: [
    'orthopaedics',
    'orthopedic',
    'orthopaedic',
    'orthopedist',
    'orthopaedist',
    'ortho',
    'orthopedic surgeon',
    'orthopaedic surgeon',
    'bone',
    'bones',
    'joints',
  ],
  gynecology: [
    'gynaecology',
    'gynecologist',
    'gynaecologist',
    'gyn',
    'obgyn',
    'ob gyn',
    'obstetrics and gynecology',
    'obstetrics',
    'womens health',
    'women s health',
  ],
  ophthalmology: ['ophthalmologist', 'eye', 'eyes', 'vision'],
  ent: ['otolaryngology', 'otolaryngologist', 'otorhinolaryngology', 'ear nose throat', 'ear nose and throat', 'ear'],
  endocrinology: ['endocrinologist', 'endo', 'hormones', 'hormone', 'diabetes', 'thyroid'],
  gastroenterology: ['gastroenterologist', 'gastro', 'gi', 'stomach', 'digestive', 'digestion', 'gut'],
  pulmonology: ['pulmonologist', 'pulmonary', 'lung', 'lungs', 'respiratory', 'chest'],
  urology: ['urologist', 'bladder', 'kidney stones'],
  oncology: ['oncologist', 'cancer', 'tumor', 'tumour'],
};

function key(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/&/g, ' and ')
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

const LOOKUP = new Map<string, Specialty>();
for (const specialty of SPECIALTIES) {
  LOOKUP.set(key(specialty), specialty);
  for (const synonym of SYNONYMS[specialty]) LOOKUP.set(key(synonym), specialty);
}

/** The canonical specialty for a name or common synonym, or undefined. */
export function canonicalSpecialty(text: string): Specialty | undefined {
  const k = key(text);
  if (!k) return undefined;
  const candidates = [
    k,
    k.replace(/ (doctor|doctors|specialist|specialists|physician|physicians|clinic|medicine)$/, ''),
    k.replace(/ologist$/, 'ology'),
    k.replace(/s$/, ''),
  ];
  for (const candidate of candidates) {
    const found = LOOKUP.get(candidate) ?? LOOKUP.get(candidate.replace(/ologist$/, 'ology'));
    if (found) return found;
  }
  return undefined;
}

/**
 * preValidation hook: replaces a synonym in `specialty` (query string or body) with its
 * canonical value before the schema checks it against the fixed list.
 */
export function acceptSpecialtySynonyms(part: 'query' | 'body') {
  return async (request: FastifyRequest): Promise<void> => {
    const input = request[part] as Record<string, unknown> | null | undefined;
    if (!input || typeof input !== 'object' || typeof input.specialty !== 'string') return;
    const canonical = canonicalSpecialty(input.specialty);
    if (canonical) input.specialty = canonical;
  };
}
