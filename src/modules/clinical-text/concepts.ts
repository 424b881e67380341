/**
 * Concept matching: which findings a text mentions, order-free within a clause.
 *
 * A concept (a knowledge-base evidence item, see src/modules/symptom-checker/kb/COMPLAINTS.md and
 * kb/types.ts) is recognised from
 *  - `synonyms`: contiguous phrases ("stiff neck"), compared on content words (stopwords dropped on
 *    both sides) after light stemming;
 *  - `patterns`: co-occurrence patterns "pain | ache | pressure + chest | breastbone": every group
 *    (separated by " + ") must have one of its alternatives (separated by " | ") in the same clause,
 *    within WINDOW content words, in any order, with other words between. A word ending in `*`
 *    matches by prefix. "pain right in the middle of my chest" is chest pain; "chest … into my arm"
 *    is radiation.
 *
 * Why not single generic words: "low", "down", "back", "fits" mean nothing clinical on their own, so
 * the knowledge base never lists them alone and this matcher never invents a finding from one word.
 * Spelling correction is only tried for words of six letters or more that are unknown to the
 * vocabulary, and only onto a vocabulary word (one edit; two from ten letters), so an everyday word
 * ("funny") is never turned into a finding ("runny").
 *
 * Cost is linear in the text: every word is looked up once in an inverted index from first words
 * (and 3-letter prefixes) to pattern alternatives, and only patterns whose groups all occur are
 * checked for the window.
 */
import { readFileSync } from 'node:fs';
import wordListPath from 'word-list';
import { editDistance } from '../../platform/text.js';
import { consumeTriggers, mentionStatus, buildContext, type ContextIndex, type MentionStatus } from './context.js';
import type { Normalized } from './normalize.js';
import { stem } from './stem.js';

export interface ConceptSource {
  id: string;
  synonyms?: string[];
  patterns?: string[];
  /** The name is also a phrase of the concept. */
  name?: string;
  /** An exposure whose harm comes later: "I'm fine now" does not settle it (MentionOptions.exposure). */
  exposure?: boolean;
}

export interface ConceptMention {
  concept: string;
  /** Token range in the normalised text (see normalize.ts). */
  first: number;
  last: number;
  /** Character range in the original text. */
  start: number;
  end: number;
  status: MentionStatus;
}

/**
 * Everyday words that are never a finding on their own (kb/validate.ts refuses them as synonyms;
 * here a synonym that collapses into one of them without its function words is left out).
 */
export const GENERIC_WORDS = new Set([
  'low',
  'down',
  'back',
  'going',
  'fits',
  'fit',
  'off',
  'funny',
  'hot',
  'weak',
  'bad',
  'trip',
  'gone',
  'out',
  'up',
  'sick',
  'ill',
  'unwell',
  'not right',
  'feel',
  'pain',
  'hurt',
  'sore',
  'ache',
  'worse',
  'better',
  'bit',
  'lot',
  'pass',
  'turn',
  'run',
  'cold',
  'high',
]);

/** Nouns that turn a preceding finding into a label ("seizure medication", "asthma nurse"). */
const MODIFIED_NOUNS = new Set([
  'medication',
  'medications',
  'medicine',
  'medicines',
  'prescription',
  'prescriptions',
  'clinic',
  'nurse',
  'team',
  'plan',
  'diary',
  'leaflet',
  'leaflets',
  'review',
  'appointment',
  'appointments',
  'specialist',
  'consultant',
  'service',
  'ward',
  'unit',
  'awareness',
  'charity',
  'course',
  'training',
  'policy',
  'risk',
  'risks',
  'alarm',
  'monitor',
  'test',
  'tests',
  'screening',
  'vaccine',
  'vaccination',
  'jab',
  'inhaler',
  'pump',
  'kit',
  'card',
  'bracelet',
]);

/** Words between the first and last word of a pattern match, at most (content words). */
export const WINDOW = 6;
const MIN_FUZZY_LENGTH = 6;

/** Function words dropped before matching (never negation words: those carry meaning). */
const STOPWORDS = new Set([
  'a',
  'an',
  'the',
  'my',
  'i',
  "i'm",
  'im',
  "i've",
  'ive',
  'me',
  'have',
  'has',
  'had',
  'having',
  'got',
  'get',
  'getting',
  'am',
  'is',
  'are',
  'was',
  'were',
  'be',
  'some',
  'bit',
  'little',
  'very',
  'really',
  'quite',
  'of',
  'in',
  'on',
  'at',
  'to',
  'its',
  "it's",
  'this',
  'that',
  'there',
  'also',
  'just',
  'like',
  'kind',
  'sort',
  'so',
  'too',
  'much',
  'and',
  'or',
  'for',
  'from',
  'as',
  'into',
  'his',
  'her',
  'their',
  'our',
  'your',
  'he',
  'she',
  'they',
  'we',
  'you',
  'him',
  'them',
  'us',
  'its',
  'real',
  'totally',
  'completely',
  'pretty',
  'super',
  'kinda',
  'sorta',
  'abit',
  'bit',
  'about',
]);
// Particles ("pass out", "throw up", "nod off") are kept: without them a phrase collapses into one
// everyday word ("pass").

interface Alt {
  pattern: number;
  group: number;
  /** Stems (or prefixes) of the words after the first. */
  rest: { stem: string; prefix: boolean }[];
}

interface CompiledPattern {
  concept: string;
  /**
   * A synonym is one group whose words are contiguous and in order; reordered wordings ("pain in the
   * middle of my chest") are the business of patterns, order-free within WINDOW words. (Matching
   * two-word synonyms reversed was tried and dropped: on the dev split it changed nothing for the
   * better and read "a car that was hit" as "hit by a car".)
   */
  groups: number;
}

export interface Lexicon {
  patterns: CompiledPattern[];
  byFirst: Map<string, Alt[]>;
  byPrefix: Map<string, { prefix: string; alt: Alt }[]>;
  vocab: Set<string>;
  /** Vocabulary words of ≥ MIN_FUZZY_LENGTH letters, by first letter, for spelling correction. */
  fuzzy: Map<string, string[]>;
  fuzzyCache: Map<string, string | null>;
  /**
   * Function words that are a whole alternative of a pattern group ("very | really + drowsy",
   * "had | from + peanuts"): dropped from the text like every stopword, they could never match, so
   * the text keeps them as weak words that only these alternatives see.
   */
  weak: Set<string>;
  /** Concepts that are exposures (ConceptSource.exposure). */
  exposures: Set<string>;
}

/** Lowercase word → matching form: apostrophes dropped ("can't" → "cant"), light stemming. */
export function matchForm(word: string): string {
  const w = word.replace(/'/g, '');
  return stem(IRREGULAR[w] ?? w);
}

/** Irregular verb forms people use to describe symptoms, to the form the vocabulary uses. */
const IRREGULAR: Record<string, string> = {
  threw: 'throw',
  thrown: 'throw',
  felt: 'feel',
  fell: 'fall',
  fallen: 'fall',
  bled: 'bleed',
  took: 'take',
  taken: 'take',
  ate: 'eat',
  eaten: 'eat',
  swallowed: 'swallow',
  drank: 'drink',
  drunk: 'drink',
  broke: 'break',
  broken: 'break',
  woke: 'wake',
  woken: 'wake',
  // "Spotting" is light vaginal bleeding; stemmed, it met every "spot" on the skin ("a spot on my chin").
  spotting: 'spotbleed',
  // ("stung" stays itself: "it stings when I pee", "stinging eyes" are a sensation, not an insect sting.)
  bit: 'bite',
  bitten: 'bite',
  spat: 'spit',
  froze: 'freeze',
  cannot: 'cant',
  cut: 'cut',
  hit: 'hit',
  hurt: 'hurt',
  ran: 'run',
  gave: 'give',
  came: 'come',
  went: 'go',
  swollen: 'swell',
  worse: 'worse',
  worst: 'worst',
  shook: 'shake',
  shaken: 'shake',
  blew: 'blow',
  slept: 'sleep',
  burnt: 'burn',
  burned: 'burn',
};

function phraseWords(phrase: string): { stem: string; prefix: boolean }[] {
  const words = phrase
    .toLowerCase()
    .replace(/[\u2018\u2019`´]/g, "'")
    .split(/[^\p{L}\p{N}'*]+/u)
    .filter((w) => w.length > 0);
  const out: { stem: string; prefix: boolean }[] = [];
  // An alternative made only of function words ("too much", "all of") keeps them all: dropped, it
  // would be empty and never match (they become weak words that only such alternatives see).
  const allFunction = words.length > 1 && words.every((w) => STOPWORDS.has(w));
  for (const w of words) {
    if (w.endsWith('*')) {
      const p = w.slice(0, -1).replace(/'/g, '');
      if (p.length >= 3) out.push({ stem: p, prefix: true });
      continue;
    }
    if (STOPWORDS.has(w) && words.length > 1 && !allFunction) continue;
    out.push({ stem: matchForm(w), prefix: false });
  }
  return out;
}

/** Compiles concepts once (the knowledge base is static per process). */
export function compileLexicon(concepts: readonly ConceptSource[]): Lexicon {
  const lex: Lexicon = {
    patterns: [],
    byFirst: new Map(),
    byPrefix: new Map(),
    vocab: new Set(),
    fuzzy: new Map(),
    fuzzyCache: new Map(),
    weak: new Set(),
    exposures: new Set(concepts.filter((c) => c.exposure).map((c) => c.id)),
  };
  const addAlt = (pattern: number, group: number, words: { stem: string; prefix: boolean }[]) => {
    if (words.length === 0) return;
    const [first, ...rest] = words;
    const alt: Alt = { pattern, group, rest };
    for (const w of words) if (!w.prefix) lex.vocab.add(w.stem);
    if (first!.prefix) {
      const key = first!.stem.slice(0, 3);
      const list = lex.byPrefix.get(key) ?? [];
      list.push({ prefix: first!.stem, alt });
      lex.byPrefix.set(key, list);
    } else {
      const list = lex.byFirst.get(first!.stem) ?? [];
      list.push(alt);
      lex.byFirst.set(first!.stem, list);
    }
  };
  const genericForms = new Set([...GENERIC_WORDS].map(matchForm));
  for (const c of concepts) {
    const phrases = [...(c.name ? [c.name] : []), ...(c.synonyms ?? [])];
    // "unable to pass urine" is also written "not able to pass urine".
    for (const p of [...phrases]) if (/^unable to /i.test(p)) phrases.push(p.replace(/^unable to /i, 'not able to '));
    for (const p of phrases) {
      const words = phraseWords(p);
      // A synonym that collapses into one word without its function words ("on and off" → "off")
      // cannot be matched faithfully: it is left out rather than read as the bare word.
      if (words.length === 0 || (words.length === 1 && /\s/.test(p.trim()) && (genericForms.has(words[0]!.stem) || words[0]!.stem.length < 5))) continue;
      const idx = lex.patterns.push({ concept: c.id, groups: 1 }) - 1;
      addAlt(idx, 0, words);
    }
    for (const p of c.patterns ?? []) {
      const groups = p
        .split(' + ')
        .map((g) =>
          g
            .split('|')
            .map((a) => phraseWords(a))
            .filter((a) => a.length > 0),
        )
        .filter((g) => g.length > 0);
      for (const g of p.split(' + '))
        for (const a of g.split('|')) {
          const w = a.trim().toLowerCase();
          if (STOPWORDS.has(w)) lex.weak.add(matchForm(w));
          const parts = w.split(/\s+/);
          if (parts.length > 1 && parts.every((x) => STOPWORDS.has(x))) for (const x of parts) lex.weak.add(matchForm(x));
        }
      if (groups.length === 0) continue;
      const idx = lex.patterns.push({ concept: c.id, groups: groups.length }) - 1;
      groups.forEach((alts, gi) => {
        for (const a of alts) addAlt(idx, gi, a);
      });
    }
  }
  for (const v of lex.vocab) {
    if (v.length < MIN_FUZZY_LENGTH - 1 || /\d/.test(v)) continue;
    const list = lex.fuzzy.get(v[0]!) ?? [];
    list.push(v);
    lex.fuzzy.set(v[0]!, list);
  }
  return lex;
}

interface Word {
  /** Matching form (stemmed). */
  form: string;
  /** Lowercase surface without apostrophes (for prefix alternatives). */
  surface: string;
  token: number;
  /** Clause number: clauses end at sentence punctuation and hard words ("but", "and I …"). */
  clause: number;
  /** A function word kept only for the pattern alternatives that consist of it (Lexicon.weak). */
  weak?: boolean;
  /** Position among content words (a weak word shares the next content word's): windows count these. */
  pos: number;
}

const REFERS_BACK = new Set(["it's", 'its', 'it', "there's", 'theres', 'there']);

let dictionary: Set<string> | undefined;
/**
 * English words of fuzzy-correctable length (word-list, ~274k words), read on first use: a real word
 * is never "corrected" into a finding ("overdone" is not "overdose", "cooking" not "choking").
 */
function isEnglishWord(word: string): boolean {
  loadDictionary();
  return dictionary!.has(word);
}

/** Reads the dictionary now (≈ 100 ms, ≈ 20 MB) so the first message does not wait for it. */
export function loadDictionary(): void {
  if (!dictionary) {
    dictionary = new Set(
      readFileSync(wordListPath, 'utf8')
        .split('\n')
        .filter((w) => w.length >= MIN_FUZZY_LENGTH),
    );
  }
}

function correct(lex: Lexicon, form: string, surface: string): string {
  if (lex.vocab.has(form) || surface.length < MIN_FUZZY_LENGTH || /\d/.test(surface)) return form;
  const cached = lex.fuzzyCache.get(form);
  if (cached !== undefined) return cached ?? form;
  if (isEnglishWord(surface)) {
    lex.fuzzyCache.set(form, null);
    return form;
  }
  const max = surface.length >= 10 ? 2 : 1;
  let best: string | null = null;
  let bestD = max + 1;
  for (const v of lex.fuzzy.get(form[0]!) ?? []) {
    if (Math.abs(v.length - form.length) > max) continue;
    const d = editDistance(form, v, max);
    if (d < bestD) {
      bestD = d;
      best = v;
    }
  }
  // An inflection of a vocabulary word is not a typo of it.
  if (
    best !== null &&
    /^(?:s|es|ed|d|ing|er|ers|ly|y|ies)$/.test(form.startsWith(best) ? form.slice(best.length) : best.startsWith(form) ? best.slice(form.length) : '-')
  )
    best = null;
  if (lex.fuzzyCache.size > 10_000) lex.fuzzyCache.clear();
  lex.fuzzyCache.set(form, best);
  return best ?? form;
}

/**
 * Words whose denial is a sign, not a reassurance: choking in silence, no breath, no response, and
 * "no idea how many" tablets.
 */
const DENIED_SIGN = new Set(['sound', 'sounds', 'noise', 'breath', 'breathing', 'pulse', 'response', 'responding', 'answer', 'answering', 'air', 'idea']);
const LIST_DENIAL = new Set(['no', 'not', 'never', 'without', 'nor', 'denies', "isn't", "wasn't", "hasn't", "haven't", "doesn't", "didn't"]);

function wordsOf(lex: Lexicon, n: Normalized, ctx: ContextIndex): Word[] {
  const out: Word[] = [];
  let clause = 0;
  let pos = 0;
  for (let i = 0; i < n.tokens.length; i++) {
    // Sentence ends and hard boundaries ("but", "however", "and I …") start a new clause;
    // commas do not, so "pain in my chest, going into my arm" stays one clause.
    if (ctx.boundary[i]! >= 2) {
      // "…and it's bright red blood", "…and there's blood everywhere": "it" / "there" refer back to
      // what was just said, so for finding words the clause goes on (scoping keeps its boundary).
      if (!(ctx.boundary[i] === 2 && n.tokens[i]!.text === 'and' && REFERS_BACK.has(n.tokens[i + 1]?.text ?? ''))) clause++;
      continue;
    }
    const text = n.tokens[i]!.text;
    // A list item that opens with a denial (", no swelling or redness", ", not dizzy") is its own
    // clause: a finding word before the comma must not pair with the denied one after it.
    // Not when the denied word is itself a sign ("…a lump of meat stuck, no sound coming out", ", no
    // breath", ", not responding"): that is the finding, and it belongs with the words before it.
    if (ctx.boundary[i] === 1 && LIST_DENIAL.has(n.tokens[i + 1]?.text ?? '') && !DENIED_SIGN.has(n.tokens[i + 2]?.text ?? '')) {
      clause++;
      continue;
    }
    if (!/^[\p{L}\p{N}]/u.test(text)) continue;
    for (const w of text.split(' ')) {
      if (STOPWORDS.has(w)) {
        const form = matchForm(w);
        if (lex.weak.has(form)) out.push({ form, surface: w.replace(/'/g, ''), token: i, clause, weak: true, pos });
        continue;
      }
      const surface = w.replace(/'/g, '');
      out.push({ form: correct(lex, matchForm(w), surface), surface, token: i, clause, pos: pos++ });
    }
  }
  return out;
}

/** Every concept mention in a normalised text, each scoped (affirmed, negated, historical …). */
export function findConcepts(lex: Lexicon, n: Normalized, ctx: ContextIndex = buildContext(n)): ConceptMention[] {
  const words = wordsOf(lex, n, ctx);
  // Per pattern and group: the word ranges where an alternative of that group occurs.
  const found = new Map<number, [number, number][][]>();
  const tryAlt = (alt: Alt, at: number) => {
    let end = at;
    const p = lex.patterns[alt.pattern]!;
    for (const w of alt.rest) {
      // Weak words are invisible to phrases: "can't really breathe" is still "can't breathe".
      let k = end + 1;
      while (words[k]?.weak && words[k]!.form !== w.stem) k++;
      const next = words[k];
      if (!next || next.clause !== words[at]!.clause) return;
      if (w.prefix ? !next.surface.startsWith(w.stem) : next.form !== w.stem) return;
      end = k;
    }
    let groups = found.get(alt.pattern);
    if (!groups) {
      groups = Array.from({ length: p.groups }, () => []);
      found.set(alt.pattern, groups);
    }
    groups[alt.group]!.push([at, end]);
  };
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w.weak) {
      for (const alt of lex.byFirst.get(w.form) ?? [])
        if (lex.patterns[alt.pattern]!.groups > 1 && alt.rest.every((r) => !r.prefix && lex.weak.has(r.stem))) tryAlt(alt, i);
      continue;
    }
    for (const alt of lex.byFirst.get(w.form) ?? []) tryAlt(alt, i);
    for (const { prefix, alt } of lex.byPrefix.get(w.surface.slice(0, 3)) ?? []) if (w.surface.startsWith(prefix)) tryAlt(alt, i);
  }

  const raw: { concept: string; first: number; last: number }[] = [];
  for (const [pi, groups] of found) {
    if (groups.some((g) => g.length === 0)) continue;
    const p = lex.patterns[pi]!;
    for (const range of bestCombinations(groups, words)) {
      raw.push({ concept: p.concept, first: words[range[0]]!.token, last: words[range[1]]!.token });
    }
  }
  // One mention per concept and token range; the shortest ranges first so scoping sees them.
  const seen = new Set<string>();
  const unique = raw
    .sort((a, b) => a.last - a.first - (b.last - b.first))
    .filter((m) => {
      const k = `${m.concept}:${m.first}:${m.last}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
  consumeTriggers(ctx, unique);
  return unique.map((m) => ({
    concept: m.concept,
    first: m.first,
    last: m.last,
    start: n.tokens[m.first]!.start,
    end: n.tokens[m.last]!.end,
    // "my seizure medication", "the chest pain clinic": the finding names a thing, it is not reported.
    status: MODIFIED_NOUNS.has(n.tokens[m.last + 1]?.text ?? '')
      ? 'generic'
      : mentionStatus(ctx, m.first, m.last, {
          firstPerson: false,
          startsNegated: /^(?:not|no|never|cannot|can't|won't|\p{L}+n't)$/u.test(n.tokens[m.first]!.text),
          exposure: lex.exposures.has(m.concept),
        }),
  }));
}

/**
 * Word ranges where every group occurs within one clause and WINDOW words. Groups are few (≤ 4) and
 * each occurs a handful of times, so the search anchors on each occurrence of the first group and
 * takes the nearest occurrence of every other group.
 */
function bestCombinations(groups: [number, number][][], words: Word[]): [number, number][] {
  if (groups.length === 1) return groups[0]!.map((r) => [r[0], r[1]] as [number, number]);
  const out: [number, number][] = [];
  if (groups.length === 2) {
    // Two groups: the nearest partner on each side, so that "had chemo last week" yields both
    // "had chemo" and "chemo last week" and scoping sees each reading (the time words that date a
    // mention can be part of the other one).
    for (const anchor of groups[0]!) {
      const clause = words[anchor[0]]!.clause;
      let before: [number, number] | undefined;
      let after: [number, number] | undefined;
      const list = groups[1]!;
      for (let k = firstAtOrAfter(list, anchor[0] - 2 * WINDOW); k < list.length && list[k]![0] <= anchor[1] + 2 * WINDOW; k++) {
        const r = list[k]!;
        if (words[r[0]]!.clause !== clause || (r[0] === anchor[0] && r[1] === anchor[1])) continue;
        if (r[0] < anchor[0]) before = r;
        else if (!after) after = r;
      }
      for (const r of [before, after]) {
        if (!r) continue;
        const lo = Math.min(anchor[0], r[0]);
        const hi = Math.max(anchor[1], r[1]);
        if (words[hi]!.pos - words[lo]!.pos <= WINDOW && weakNear(words, anchor, r)) out.push([lo, hi]);
      }
    }
    return out;
  }
  for (const anchor of groups[0]!) {
    let lo = anchor[0];
    let hi = anchor[1];
    const clause = words[anchor[0]]!.clause;
    let ok = true;
    for (let g = 1; g < groups.length && ok; g++) {
      const list = groups[g]!;
      let best: [number, number] | undefined;
      let bestSpan = Infinity;
      // Occurrences are in text order: only those starting within WINDOW of the anchor can fit.
      for (let k = firstAtOrAfter(list, anchor[0] - 2 * WINDOW); k < list.length && list[k]![0] <= anchor[1] + 2 * WINDOW; k++) {
        const r = list[k]!;
        if (words[r[0]]!.clause !== clause || (r[0] === anchor[0] && r[1] === anchor[1])) continue;
        const span = words[Math.max(hi, r[1])]!.pos - words[Math.min(lo, r[0])]!.pos;
        if (span < bestSpan) {
          bestSpan = span;
          best = r;
        }
      }
      if (!best || bestSpan > WINDOW) ok = false;
      else {
        lo = Math.min(lo, best[0]);
        hi = Math.max(hi, best[1]);
      }
    }
    if (ok) out.push([lo, hi]);
  }
  return out;
}

/**
 * A single function word standing as a whole group ("had | from + peanuts") binds only to a partner a few
 * tokens away: "had some peanuts", not "had a TIA in 2019, on aspirin" (where the long span would
 * also swallow the "in 2019" that dates the TIA).
 */
const WEAK_REACH = 3;
function weakNear(words: Word[], a: [number, number], b: [number, number]): boolean {
  const single = (r: [number, number]) => r[0] === r[1] && words[r[0]]!.weak === true;
  if (!single(a) && !single(b)) return true;
  const gap = a[0] < b[0] ? words[b[0]]!.token - words[a[1]]!.token : words[a[0]]!.token - words[b[1]]!.token;
  return gap <= WEAK_REACH;
}

function firstAtOrAfter(list: [number, number][], start: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]![0] < start) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
