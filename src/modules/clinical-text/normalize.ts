/**
 * Text normalisation for the emergency detector.
 *
 * The input is split into tokens (words, numbers, punctuation) that keep their offsets in the
 * original text. Each token gets a canonical form: lowercase, curly apostrophes straightened,
 * contractions written without the apostrophe restored ("cant" → "can't"), common misspellings
 * and joined words fixed from a small typo table ("hart" → "heart", "chestpain" → "chest pain"),
 * and, for a short list of long clinical words only, a Damerau edit distance of 1 (2 for words of
 * 10+ letters) ("unconcious" → "unconscious", "siezure" → "seizure"). Short everyday words are
 * never fuzzily corrected ("cooking" must not become "choking").
 *
 * The canonical string is the canonical tokens joined by single spaces; the lexicon's regular
 * expressions run over it, and `tokenAt` maps a canonical character offset back to a token
 * (and so to the original text).
 */
import { editDistance } from '../../platform/text.js';

/** Longest input that is analysed; the rest is ignored (chat messages are far shorter). */
export const MAX_INPUT_CHARS = 6_000;

export interface Token {
  /** Canonical text of the token (may contain a space after a word split, e.g. "chest pain"). */
  text: string;
  /** Offsets in the original text. */
  start: number;
  end: number;
  /** Offset of the token in the canonical string. */
  cstart: number;
  cend: number;
}

export interface Normalized {
  tokens: Token[];
  canonical: string;
  /** canonical char offset → token index (spaces map to the following token). */
  tokenAt: Int32Array;
  /** The analysed original text (token offsets point into it), for casing cues such as titles. */
  input?: string;
}

/** Misspellings, missing apostrophes and joined words. Keys are lowercase tokens. */
const TYPOS: Record<string, string> = {
  // contractions without apostrophes
  cant: "can't",
  dont: "don't",
  doesnt: "doesn't",
  didnt: "didn't",
  isnt: "isn't",
  wasnt: "wasn't",
  arent: "aren't",
  werent: "weren't",
  havent: "haven't",
  hasnt: "hasn't",
  hadnt: "hadn't",
  wont: "won't",
  couldnt: "couldn't",
  shouldnt: "shouldn't",
  wouldnt: "wouldn't",
  aint: "ain't",
  cnat: "can't",
  cnt: "can't",
  carnt: "can't",
  cannt: "can't",
  caint: "can't",
  kant: "can't",
  dnt: "don't",
  wnt: "won't",
  im: "i'm",
  ive: "i've",
  shes: "she's",
  hes: "he's",
  theyre: "they're",
  youre: "you're",
  thats: "that's",
  whats: "what's",
  cannot: 'cannot',
  hasent: "hasn't",
  // everyday misspellings of red-flag words
  hart: 'heart',
  harts: 'hearts',
  heartattack: 'heart attack',
  hartattack: 'heart attack',
  heartatack: 'heart attack',
  atack: 'attack',
  attak: 'attack',
  attac: 'attack',
  chestpain: 'chest pain',
  chestpains: 'chest pains',
  chespain: 'chest pain',
  chets: 'chest',
  ches: 'chest',
  breath: 'breath',
  breth: 'breath',
  brethe: 'breathe',
  breate: 'breathe',
  breahte: 'breathe',
  breathe: 'breathe',
  breating: 'breathing',
  brething: 'breathing',
  breathin: 'breathing',
  cantbreathe: "can't breathe",
  cantbreath: "can't breathe",
  speach: 'speech',
  speeh: 'speech',
  slured: 'slurred',
  slurd: 'slurred',
  strok: 'stroke',
  stoke: 'stroke',
  strock: 'stroke',
  bleading: 'bleeding',
  bleding: 'bleeding',
  bledding: 'bleeding',
  bleeing: 'bleeding',
  vomitting: 'vomiting',
  vommiting: 'vomiting',
  vomming: 'vomiting',
  vommit: 'vomit',
  vomitted: 'vomited',
  suicid: 'suicide',
  sucide: 'suicide',
  suiside: 'suicide',
  suacide: 'suicide',
  sucidal: 'suicidal',
  suisidal: 'suicidal',
  suacidal: 'suicidal',
  kms: 'kill myself',
  pregant: 'pregnant',
  pregnet: 'pregnant',
  pregnat: 'pregnant',
  prego: 'pregnant',
  pregos: 'pregnant',
  fitting: 'fitting',
  siezure: 'seizure',
  seisure: 'seizure',
  sezure: 'seizure',
  ceizure: 'seizure',
  seizur: 'seizure',
  siezures: 'seizures',
  siezing: 'seizing',
  unconcious: 'unconscious',
  unconsious: 'unconscious',
  unconscience: 'unconscious',
  consious: 'conscious',
  concious: 'conscious',
  unresponsiv: 'unresponsive',
  overdosed: 'overdosed',
  ovedose: 'overdose',
  overdoes: 'overdose',
  od: 'od',
  oded: 'overdosed',
  paracetemol: 'paracetamol',
  paracetomol: 'paracetamol',
  paracetmol: 'paracetamol',
  tylenol: 'tylenol',
  anaphylatic: 'anaphylactic',
  anaphalactic: 'anaphylactic',
  anafalactic: 'anaphylactic',
  anaphalaxis: 'anaphylaxis',
  anafylaxis: 'anaphylaxis',
  anaphylaxsis: 'anaphylaxis',
  meningitus: 'meningitis',
  menigitis: 'meningitis',
  meningites: 'meningitis',
  sweatting: 'sweating',
  swetting: 'sweating',
  swollon: 'swollen',
  swolen: 'swollen',
  sollen: 'swollen',
  tounge: 'tongue',
  tung: 'tongue',
  throught: 'throat',
  throad: 'throat',
  chocking: 'choking',
  choaking: 'choking',
  chokeing: 'choking',
  collaped: 'collapsed',
  colapsed: 'collapsed',
  collasped: 'collapsed',
  numbe: 'numb',
  drooping: 'drooping',
  droping: 'drooping',
  droopping: 'drooping',
  ambulence: 'ambulance',
  amublance: 'ambulance',
  diabetic: 'diabetic',
  diabetc: 'diabetic',
  diabeties: 'diabetes',
  diebetic: 'diabetic',
  tempreture: 'temperature',
  temprature: 'temperature',
  temperture: 'temperature',
  tempature: 'temperature',
  headach: 'headache',
  hedache: 'headache',
  headake: 'headache',
  testical: 'testicle',
  testicel: 'testicle',
  babys: "baby's",
  mums: "mum's",
  moms: "mom's",
  dads: "dad's",
  newborns: "newborn's",
};

/**
 * Long clinical words for the fuzzy match. Only words whose edit-distance-1 neighbours are not
 * common English words are listed.
 */
const FUZZY_VOCAB = [
  'unconscious',
  'unresponsive',
  'suicidal',
  'suicide',
  'seizure',
  'seizures',
  'seizing',
  'anaphylaxis',
  'anaphylactic',
  'meningitis',
  'pregnant',
  'pregnancy',
  'paracetamol',
  'ambulance',
  'haemorrhage',
  'hemorrhage',
  'convulsing',
  'convulsion',
  'convulsions',
  'epileptic',
  'fontanelle',
  'breathing',
  'breathless',
  'collapsed',
  'ketoacidosis',
  'eclampsia',
  'thunderclap',
  'radiating',
  'clutching',
  'temperature',
  'suffocating',
  'testicle',
  'unrousable',
  'headache',
  'tightness',
];

const FUZZY_BY_FIRST = new Map<string, string[]>();
for (const w of FUZZY_VOCAB) {
  const k = w[0]!;
  const list = FUZZY_BY_FIRST.get(k);
  if (list) list.push(w);
  else FUZZY_BY_FIRST.set(k, [w]);
}
const FUZZY_SET = new Set(FUZZY_VOCAB);

const fuzzyCache = new Map<string, string>();

function fuzzyCorrect(word: string): string {
  if (word.length < 6 || FUZZY_SET.has(word)) return word;
  const cached = fuzzyCache.get(word);
  if (cached !== undefined) return cached;
  const max = word.length >= 10 ? 2 : 1;
  let best = word;
  let bestD = max + 1;
  for (const cand of FUZZY_BY_FIRST.get(word[0]!) ?? []) {
    const d = editDistance(word, cand, max);
    if (d < bestD) {
      bestD = d;
      best = cand;
    }
  }
  // Plural/inflected forms of a vocabulary word are not typos of it.
  if (best !== word && (word === best + 's' || word === best + 'd' || word.startsWith(best))) best = word;
  if (fuzzyCache.size > 5000) fuzzyCache.clear();
  fuzzyCache.set(word, best);
  return best;
}

/** Canonical form of one lowercase word token. */
export function canonicalWord(word: string): string {
  const t = TYPOS[word];
  if (t !== undefined) return t;
  return fuzzyCorrect(word);
}

const SEIZURE_FIT_RE =
  /\b(a|another|first|having|had|has|have|big|bad|febrile|epileptic|is|she's|he's|shes|hes|been|started|keeps|still|was|were|are|kept)\s+(fit|fits|fitting)\b(?!\s+(?:of|for|in|into|and well|and healthy|enough|well|notes?|certificate|to (?:work|drive|travel|fly|return|go back)|as a fiddle|person|guy|girl|lad|bloke|body))/g;
// ("a fit note" / "fit to work" are the UK doctor's certificate and fitness, not a seizure.)

/** Compounds with "fever" that are not a fever (allergy, an idiom, a film and song title). */
const NOT_A_FEVER_RE = /\b(hay|cabin|spring|saturday night|jungle|disco)\s+(fever)\b/g;

/** "light-headed" is dizziness: read apart, "light" met light sensitivity and "headed" a headache. */
const LIGHTHEADED_RE = /\b(light)[\s-]+(head(?:ed|edness|y))\b/g;

/**
 * "a bit swollen", "bit more puffed", "a little bit sore": a quantity, not the past tense of bite
 * (the lemma table reads "bit" as "bite", which made a mildly swollen ankle an infected bite). "Bit"
 * stays a bite after a biter or a passive ("the dog bit", "got bit") and before its object ("bit me",
 * "bit my tongue", "bit by a tick").
 */
const QUANTITY_BIT_RE =
  /(?<!\b(?:got|get|gets|getting|was|were|been|being|is|dog|dogs|cat|cats|snake|spider|tick|insect|mosquito|horse|rat|he|she|they|it|something|someone|i|we|you)\s)\bbit\b(?!\s+(?:me|my|him|her|his|them|their|us|our|you|your|it|its|by|into|in|on|onto|through|the|a|an|someone|somebody|down|off|her|myself|himself|herself)\b)/g;

/**
 * "Stabbing pain" describes pain, it is not a stabbing: read as "sharp" (every pain pattern that knows
 * "stab*" knows "sharp" or the pain word that follows), so "stabbing pain when I pee and blood in it"
 * no longer meets the stab-wound-with-blood reading of heavy bleeding.
 */
const STABBING_PAIN_RE = /\b(stabbing)(?=\s+(?:pains?|aches?|sensations?|feelings?|twinges?|cramps?|headaches?)\b)/g;

/** A "sore spot" is a place that hurts, not a spot on the skin (a rash). */
const SPOT_PLACE_RE = /\b(?:sore|tender|painful|achy|aching|bruised|one|same|particular)\s+(spot)\b/g;

/** Clothes "falling off" are loose (weight loss), not a fall: "jeans falling off her". */
const CLOTHES_FALLING_RE =
  /\b(?:jeans|trousers|clothes|pants|skirts?|dress|belt|shirts?|tops?|rings?|watch)\s+(?:are\s+|is\s+|keep\s+|keeps\s+|just\s+)?(falling|fall|fell)\s+off\b/g;

/** The inside of the cheek or lip is the mouth ("ulcer on the inside of my cheek"), not facial pain or a cold sore. */
const INNER_CHEEK_RE = /\binside\s+(?:of\s+)?(?:my|his|her|their|your|the|our)\s+(?:(?:left|right|top|bottom|upper|lower)\s+)?(cheeks?|lips?)\b/g;

// words (letters with inner apostrophes), numbers with decimals, and punctuation that matters.
const TOKEN_RE = /\p{L}+(?:'\p{L}+)*|\d+(?:[.,]\d+)?|[.!?;:,()]|\n/gu;

function lowerSameLength(text: string): string {
  // Lowercase char by char so offsets never shift (some characters lowercase to two units).
  const lower = text.toLowerCase();
  if (lower.length === text.length) return lower;
  let out = '';
  for (const ch of text) {
    const l = ch.toLowerCase();
    out += l.length === ch.length ? l : ch;
  }
  return out;
}

export function normalize(input: string): Normalized {
  const text = input.length > MAX_INPUT_CHARS ? input.slice(0, MAX_INPUT_CHARS) : input;
  const lower = lowerSameLength(text).replace(/[\u2018\u2019\u02bc`´]/g, "'");
  const tokens: Token[] = [];
  let canonical = '';
  // "had a fit", "she's fitting" are seizures; "keep fit", "a fit of coughing", "it fits" are not.
  const seizureAt = new Map<number, string>();
  for (const m of lower.matchAll(SEIZURE_FIT_RE)) seizureAt.set(m.index + m[0].length - m[2]!.length, /ing$/.test(m[2]!) ? 'seizing' : 'seizure');
  // "hay fever", "cabin fever" are not a temperature: the second word becomes one compound token.
  for (const m of lower.matchAll(NOT_A_FEVER_RE)) seizureAt.set(m.index + m[0].length - m[2]!.length, `${m[1]!.replace(/\s+/g, '')}${m[2]}`);
  for (const m of lower.matchAll(QUANTITY_BIT_RE)) seizureAt.set(m.index, 'abit');
  for (const m of lower.matchAll(INNER_CHEEK_RE)) seizureAt.set(m.index + m[0].length - m[1]!.length, /^l/.test(m[1]!) ? 'innerlip' : 'innercheek');
  for (const m of lower.matchAll(STABBING_PAIN_RE)) seizureAt.set(m.index, 'sharp');
  for (const m of lower.matchAll(SPOT_PLACE_RE)) seizureAt.set(m.index + m[0].length - m[1]!.length, 'place');
  for (const m of lower.matchAll(CLOTHES_FALLING_RE)) seizureAt.set(m.index + m[0].indexOf(m[1]!, m[0].length - m[1]!.length - 5), 'hanging');
  for (const m of lower.matchAll(LIGHTHEADED_RE)) {
    seizureAt.set(m.index, 'lightheaded');
    seizureAt.set(m.index + m[0].length - m[2]!.length, 'lightheaded');
  }
  for (const m of lower.matchAll(TOKEN_RE)) {
    const raw = m[0];
    const start = m.index;
    let form: string;
    if (raw === '\n') form = '.';
    else if (seizureAt.has(start)) form = seizureAt.get(start)!;
    else if (/^\p{L}/u.test(raw)) form = canonicalWord(raw);
    else form = raw;
    if (canonical.length) canonical += ' ';
    const cstart = canonical.length;
    canonical += form;
    tokens.push({ text: form, start, end: start + raw.length, cstart, cend: canonical.length });
  }
  const tokenAt = new Int32Array(canonical.length + 1);
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const from = i === 0 ? 0 : tokens[i - 1]!.cend;
    tokenAt.fill(i, from, t.cend);
  }
  tokenAt[canonical.length] = Math.max(0, tokens.length - 1);
  return { tokens, canonical, tokenAt, input: text };
}

/** Token range [first, last] covering the canonical character range [cs, ce). */
export function tokenRange(n: Normalized, cs: number, ce: number): [number, number] {
  const first = n.tokenAt[cs] ?? 0;
  const last = n.tokenAt[Math.max(cs, ce - 1)] ?? first;
  return [first, last];
}
