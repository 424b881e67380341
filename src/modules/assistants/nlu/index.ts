import { canonicalSpecialty, type Specialty } from '../../scheduling/index.js';
import { ANALYTES } from '../../reports/index.js';
import { editDistance, normalize, Speller, tokens } from './text.js';
import { addAnalyteFeature, classify, INTENT_VOCABULARY, OFF_TOPIC_WORDS, OUT_OF_SCOPE, type AssistantRole, type Flags, type Intent } from './intents.js';
import { extractDate, type DateEntity } from './dates.js';
import { DRUGS, extractMedication, findDrug, type MedicationEntities } from './medication.js';
import { matchPeople, type Person } from './names.js';
import { isPlainQuestion } from './mood.js';

export { matchPeople, type Person, type NameMatch } from './names.js';
export { findDrug } from './medication.js';
export { clockTime, extractDate, type DateEntity } from './dates.js';
export { OUT_OF_SCOPE, type AssistantRole, type Intent } from './intents.js';
export { confirms, isPlainQuestion, isQuestion, isRequestForm } from './mood.js';

/**
 * The assistants' understanding of one message, without any external service
 * (docs/ASSISTANTS.md): intent by weighted features, then entities — specialty, date,
 * medication details — and the analyte a lab question is about. Names are matched later
 * (matchPeople) against the people the caller may see, which needs the database.
 */
const analyteWords = ANALYTES.flatMap((a) => [a.key, a.name, ...a.aliases]).filter((w) => w.length >= 3 || /^(hb|k|na)$/i.test(w));
addAnalyteFeature(analyteWords.filter((w) => w.length >= 3));

const SPECIALTY_WORDS = [
  'dermatology',
  'cardiology',
  'pediatrics',
  'neurology',
  'psychiatry',
  'orthopedics',
  'gynecology',
  'ophthalmology',
  'endocrinology',
  'gastroenterology',
  'pulmonology',
  'urology',
  'oncology',
  'practitioner',
  'pediatrician',
  'specialist',
  'physician',
  'internist',
  'obgyn',
  'skin',
  'heart',
  'child',
  'children',
  'kids',
  'baby',
  'bones',
  'joints',
  'eyes',
  'lungs',
  'stomach',
  'cancer',
  'thyroid',
  'diabetes',
  'hormones',
  'mental',
];
const speller = new Speller(
  [...INTENT_VOCABULARY, ...SPECIALTY_WORDS, ...DRUGS.filter((d) => !d.includes(' '))],
  new Set(['hi', 'hey', 'dr', 'mg', 'tds', 'bd', 'bid', 'tid', 'qds', 'prn', 'od', ...OFF_TOPIC_WORDS]),
);

/** Single words that are a specialty only next to a doctor word ("family" alone is not family medicine). */
const WEAK_SPECIALTY_WORDS = new Set([
  'general',
  'family',
  'internal',
  'mental',
  'chest',
  'ear',
  'gi',
  'hair',
  'nails',
  'endo',
  'psych',
  'gut',
  'eye',
  'nerve',
  'nerves',
  'brain',
  'bone',
  'peds',
]);
const CHILD_RE = /\b(my|our)\s+(son|daughter|child|kid|kids|baby|toddler|boy|girl|newborn|infant)\b|\bfor (a|my) (child|kid|baby)\b/;

/** Words never taken for a person's name. */
export const PERSON_SKIP = new Set([
  'appointment',
  'appointments',
  'book',
  'cancel',
  'history',
  'prescribe',
  'note',
  'notes',
  'with',
  'the',
  'for',
  'and',
  'patient',
  'patients',
  'show',
  'today',
  'tomorrow',
]);

const SPECIALTY_INTENTS = new Set<string>(['book_appointment', 'find_doctor', 'view_appointments', 'cancel_appointment', 'reschedule_appointment']);
const DATE_INTENTS = new Set<string>([
  'book_appointment',
  'view_appointments',
  'cancel_appointment',
  'reschedule_appointment',
  'view_schedule',
  'set_availability',
  'urgent_patients',
  'find_doctor',
]);

export interface Entities {
  specialty?: Specialty;
  doctor_name?: string;
  patient_name?: string;
  date?: DateEntity;
  drug?: string;
  dose?: string;
  route?: string;
  frequency?: string;
  duration_days?: number;
  /** Internal: the analyte a lab question names (reports module key), not a contract key. */
  analyte?: string;
  unknown_drug?: string;
}

export interface Understanding {
  intent: Intent;
  score: number;
  /** The normalised, spell-corrected text the features saw. */
  text: string;
  entities: Entities;
  /** Every entity found, whatever the intent: an answer to a pending question ("a cardiologist", "no, Thursday") uses these. */
  raw: Entities;
  /** Prompt injection or a request the role may not make: out of scope, and never handed to a model. */
  blocked: boolean;
}

/** Lay phrases for a specialty that are not names of it (canonicalSpecialty, in scheduling, has the names and synonyms). */
const LAY: [RegExp, Specialty][] = [
  [/\b(shrinks?|therapist for my (mind|head)|mental health)\b/, 'psychiatry'],
  [/\b(lady doctor|women s? problems|womens (problems|health)|woman doctor|period problems|pregnan\w*)\b/, 'gynecology'],
  [/\b(ear and throat|ear nose|ears? nose|throat doctor|sinus)\b/, 'ent'],
  [/\b(knees?|hips?|back pain|sports injury|fracture|broken bone|dodgy knee)\b/, 'orthopedics'],
  [/\b(seizures?|epilepsy|migraines?|headaches? specialist)\b/, 'neurology'],
  [/\b(gp|family doctor|my doctor for everything)\b/, 'general_practice'],
];

const DOCTOR_NOUN = /^(doctor|doctors|doc|specialist|specialists|physician|practitioner|clinic|medicine|health)$/;
/** Body words that name a specialty before a doctor word ("heart specialist"); a typo of one there ("hart specialist") counts too. */
const ORGAN_WORDS = ['heart', 'skin', 'bone', 'bones', 'brain', 'nerve', 'nerves', 'kidney', 'lung', 'stomach', 'child', 'children'];

/** Is the word at i a modifier of a doctor word: right before it, or coordinated with one that is ("brain or nerve specialist")? */
function beforeDoctorWord(words: string[], i: number): boolean {
  if (DOCTOR_NOUN.test(words[i + 1] ?? '')) return true;
  return /^(or|and)$/.test(words[i + 1] ?? '') && DOCTOR_NOUN.test(words[i + 3] ?? '');
}

export function findSpecialty(text: string): Specialty | undefined {
  if (CHILD_RE.test(text)) return 'pediatrics';
  for (const [re, specialty] of LAY) if (re.test(text)) return specialty;
  const words = tokens(text);
  for (let n = 3; n >= 1; n--) {
    for (let i = 0; i + n <= words.length; i++) {
      const phrase = words.slice(i, i + n).join(' ');
      if (n === 1 && WEAK_SPECIALTY_WORDS.has(phrase) && !beforeDoctorWord(words, i)) continue;
      if (n === 1 && phrase.length < 3) continue;
      const found = canonicalSpecialty(phrase);
      if (found) return found;
    }
  }
  // Only next to a doctor word, where the meaning is clear, a misspelt body word is read as the word it is one edit from.
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w.length < 4 || !beforeDoctorWord(words, i)) continue;
    const organ = ORGAN_WORDS.find((o) => o !== w && o[0] === w[0] && editDistance(w, o, 1) <= 1);
    const found = organ && canonicalSpecialty(`${organ} ${words[i + 1] === 'or' || words[i + 1] === 'and' ? words[i + 3] : words[i + 1]}`);
    if (found) return found;
  }
  return undefined;
}

/** Every analyte name and alias, normalised once (not per message), longest first: the first hit is the longest. */
const ANALYTE_NAMES = ANALYTES.flatMap((a) => [a.key, a.name, ...a.aliases].map((w) => ({ key: a.key, name: ` ${normalize(w)} ` })))
  .filter((a) => a.name.length >= 4)
  .sort((a, b) => b.name.length - a.name.length);

export function findAnalyteIn(text: string): string | undefined {
  const padded = ` ${text} `;
  return ANALYTE_NAMES.find((a) => padded.includes(a.name))?.key;
}

export interface UnderstandOptions {
  role: AssistantRole;
  zone: string;
  now?: Date;
  /** People the caller may name (doctor: own patients): a match is a feature of patient_history. */
  people?: Person[];
  /** Doctors in the directory (patient: "Dr Hause" is not another patient). */
  doctors?: Person[];
}

/** "John Roe's …" or "for Mary Smith" in a patient's message, when the name is no doctor's: someone else's data. */
const POSSESSIVE_NAME = /\b([A-Z][a-z]+ [A-Z][a-z]+)['’]s\b/;
/** The same typed in lower case, when the possessive is of clinic data ("show me john roe's appointments"). */
const POSSESSIVE_NAME_LOWER =
  /\b(?!(?:my|the|your|our|his|her|their|this|that|a|an|dr|doctor|doc|mr|mrs|ms|last|next|today|yesterday|tomorrow|previous|monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b)([a-z]+ (?!(?:week|month|year|time|night|visit|appointment|doctor|gp|clinic|hospital|lab)['’])[a-z]+)['’]s (?:appointments?|appts?|records?|results?|prescriptions?|notes|history|file|chart|reports?|labs?|meds|medications?|bloods?)\b/i;

/** Someone else's data by relation ("my neighbour's test results"): the patient assistant reads the caller's own data only. */
const SOMEONE_ELSES_DATA =
  /\b((?:neighbou?r|friend|husband|wife|partner|boyfriend|girlfriend|mum|mom|mother|dad|father|brother|sister|colleague|boss|flatmate|roommate)s?)['’]s? (?:(?:test|lab|blood|scan) )?(?:results?|records?|notes|reports?|prescriptions?|history|chart|file|labs?)\b/i;

export function understand(message: string, options: UnderstandOptions): Understanding {
  const text = speller.correctAll(normalize(message));
  const entities: Entities = {};
  const doctorMatch = options.role === 'patient' && options.doctors?.length ? matchPeople(message, options.doctors, PERSON_SKIP) : null;
  const specialty = findSpecialty(doctorMatch ? text.replace(new RegExp(`\\b(${doctorMatch.phrase.split(' ').join('|')})\\b`, 'g'), ' ') : text);
  if (specialty) entities.specialty = specialty;
  const date = extractDate(message.slice(0, 500), options.zone, options.now);
  const flags: Flags = {
    specialty: Boolean(specialty),
    date: Boolean(date),
    upcoming: Boolean(date && !date.past && !/\b(last|yesterday|ago|earlier)\b/i.test(date.phrase)),
    question: isPlainQuestion(message),
    doctorNamed: Boolean(doctorMatch),
  };
  if (options.role === 'patient') {
    const drug = findDrug(text);
    if (drug) {
      entities.drug = drug.drug;
      flags.drug = true;
    }
    const dose = /\b(\d+(?:\.\d+)?)\s*(mg|mcg|g|ml)\b/.exec(text);
    if (dose) entities.dose = `${dose[1]} ${dose[2]}`;
    const other = POSSESSIVE_NAME.exec(message) ?? POSSESSIVE_NAME_LOWER.exec(message) ?? SOMEONE_ELSES_DATA.exec(message);
    if (other && !/\b(dr|doctor)\.?\s*$/i.test(message.slice(0, other.index)) && !(options.doctors && matchPeople(other[1]!, options.doctors)))
      flags.otherPerson = true;
  } else if (options.people?.length) {
    flags.person = Boolean(matchPeople(message, options.people, PERSON_SKIP));
  }
  if (date) entities.date = date;
  if (options.role === 'doctor') {
    const med: MedicationEntities = extractMedication(text);
    flags.drug = Boolean(med.drug);
    flags.dose = Boolean(med.dose);
    if (med.drug) entities.drug = med.drug;
    if (med.unknownDrug) entities.unknown_drug = med.unknownDrug;
    if (med.dose) entities.dose = med.dose;
    if (med.route) entities.route = med.route;
    if (med.frequency) entities.frequency = med.frequency;
    if (med.duration_days) entities.duration_days = med.duration_days;
  } else {
    const analyte = findAnalyteIn(text);
    if (analyte) entities.analyte = analyte;
  }
  flags.analyte = options.role === 'patient' ? Boolean(entities.analyte) : Boolean(findAnalyteIn(text));
  const { intent, score, blocked } = classify(text, options.role, flags);
  const raw = { ...entities };
  return { intent: intent === OUT_OF_SCOPE ? OUT_OF_SCOPE : intent, score, text, entities: entitiesFor(intent, raw), raw, blocked };
}

/**
 * Entities only where the task uses them: "heart disease" in a records question is no specialty,
 * "Good morning" no date, a doctor never books by specialty. Also used when a model chose the intent.
 */
export function entitiesFor(intent: Intent, raw: Entities): Entities {
  const entities = { ...raw };
  if (entities.specialty && !SPECIALTY_INTENTS.has(intent)) delete entities.specialty;
  if (entities.date && !DATE_INTENTS.has(intent)) delete entities.date;
  return entities;
}

export { normalize };
