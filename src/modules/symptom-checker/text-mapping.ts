/**
 * Text mapping: free text and symptom lists → knowledge-base evidence ids.
 *
 * Pipeline: normalise (lowercase, contractions, "not able to" → "unable") → tokenise (words and
 * clause punctuation) → light suffix stemming (same stemmer for the KB phrases and the input) →
 * typo correction of unknown words against the KB vocabulary (one edit for words of 4–7 letters,
 * two for longer; cheap: length-filtered Damerau–Levenshtein) → greedy longest-phrase matching
 * against evidence names and synonyms (stopwords ignored) → negation scoping.
 *
 * Negation (NegEx-style): a trigger ("no", "not", "denies", "without", "never", "negative for",
 * "free of", "don't have" …) negates the findings that start within the next 6 content words,
 * unless a terminator comes first ("but", "however", "although", ".", ";", or "and"/"," followed
 * by a new clause "and I …", "and my …"). Post-triggers ("chest pain denied", "fever: absent",
 * "fever has gone") negate the finding just before them. Within one text the later mention of a
 * finding wins ("no fever yesterday, fever now").
 *
 * Durations ("for 3 days", "since yesterday", "two weeks") are parsed into days.
 * Nothing here throws on user text: what cannot be mapped is returned as `unrecognised` with the
 * closest evidence as suggestions.
 */
import type { EvidenceItem, KnowledgeBase } from './kb/types.js';
import type { EvidenceState } from './inference.js';
import { editDistance } from '../../platform/text.js';

export { editDistance };

export interface Mention {
  evidence_id: string;
  name: string;
  state: EvidenceState;
  /** The matched words of the input. */
  text: string;
}

export interface Suggestion {
  id: string;
  name: string;
}

export interface Unrecognised {
  text: string;
  suggestions: Suggestion[];
}

export interface MappingResult {
  /** Final state per evidence (later mentions win within a text). */
  evidence: Record<string, EvidenceState>;
  mentions: Mention[];
  unrecognised: Unrecognised[];
  duration_days?: number;
}

// ------------------------------------------------------------------ normalisation and stemming

const STOPWORDS = new Set([
  'a', 'an', 'the', 'my', 'i', 'im', 'ive', 'id', 'me', 'have', 'has', 'had', 'having', 'got', 'get', 'getting', 'gotten',
  'been', 'am', 'is', 'are', 'was', 'were', 'be', 'being', 'some', 'bit', 'little', 'very', 'really', 'quite', 'of', 'in',
  'on', 'at', 'to', 'it', 'its', 'this', 'that', 'there', 'feel', 'feeling', 'felt', 'also', 'just', 'like', 'kind', 'sort',
  'so', 'too', 'lot', 'lots', 'much', 'and', 'or', 'for', 'since', 'from', 'by', 'as', 'all', 'up', 'keep', 'keeps',
  'kept', 'bad', 'badly', 'severe', 'mild', 'slight', 'slightly', 'quite', 'experiencing', 'suffering', 'suffer', 'please',
  'help', 'think', 'do', 'does', 'did', 'can', 'could', 'would', 'will', 'should', 'may', 'might', 'him', 'her', 'his',
  'he', 'she', 'they', 'them', 'their', 'we', 'our', 'us', 'you', 'your', 'mine', 'when', 'after', 'before', 'with',
  'today', 'now', 'currently', 'recently', 'sometimes', 'often', 'always', 'again', 'still', 'ago', 'about',
]);

/** Words that carry meaning for negation scoping but are otherwise dropped. */
const NEGATION_TRIGGERS = new Set(['no', 'not', 'denies', 'deny', 'denied', 'denying', 'without', 'never', 'nor', 'neither', 'dont', 'doesnt', 'didnt', 'havent', 'hasnt', 'hadnt', 'isnt', 'arent', 'wasnt', 'werent', 'none', 'nil', 'free', 'negative', 'absence']);
const POST_TRIGGERS = new Set(['denied', 'absent', 'none', 'negative', 'gone', 'resolved', 'settled']);
const TERMINATORS = new Set(['but', 'however', 'although', 'though', 'yet', 'except', 'apart', 'aside', 'whereas', 'while', 'which', 'who', 'still', 'besides']);
const CLAUSE_STARTERS = new Set(['i', 'im', 'ive', 'my', 'it', 'its', 'she', 'he', 'they', 'we', 'have', 'has', 'there', 'am', 'now', 'then', 'also', 'got']);
const CLAUSE_PUNCT = new Set(['.', ';', '!', '?', ':']);

export function normalise(text: string): string {
  return text
    .toLowerCase()
    .replace(/[’‘`´]/g, "'")
    .replace(/\bcan'?t\b/g, 'cant')
    .replace(/\bwon'?t\b/g, 'wont')
    .replace(/n't\b/g, 'nt')
    .replace(/'s\b/g, '')
    .replace(/'/g, '')
    .replace(/\bnot able to\b/g, 'unable to')
    .replace(/\b(feel|feels|feeling|felt) (very |a bit |really )?faint\b/g, 'lightheaded')
    .replace(/\b(been |keep |am |started )?cutting (myself|my arms?|my wrists?)\b/g, 'self harm')
    // "pain in my hip" → "hip pain", "swelling of the ankle" → "ankle swelling"
    .replace(/\b(pain|ache|aching|swelling|itching|itch|bleeding|numbness|tingling|stiffness|weakness|tenderness) (?:in|of|on|around|behind|under) (?:my |the |his |her |their |both |one |a )?(left |right )?([a-z]+)/g, '$2$3 $1')
    .replace(/\b(being|been|was|were|is|am|are|getting|get) sick\b/g, 'vomiting')
    .replace(/\b(feel|feels|feeling|felt) (a bit |very |really )?sick\b/g, 'nauseous')
    .replace(/\bno longer\b/g, 'no')
    .replace(/\bnot only\b/g, '')
    .replace(/\bnegative for\b/g, 'negative')
    .replace(/\bfree of\b/g, 'free');
}

export function stem(word: string): string {
  let w = word;
  if (w.length <= 3 || /\d/.test(w)) return w;
  const dedouble = (s: string) => (/([b-df-hj-km-np-rtvwxz])\1$/.test(s) && !/(ll|ss|zz)$/.test(s) ? s.slice(0, -1) : s);
  if (w.endsWith('iness') && w.length > 6) w = w.slice(0, -5) + 'y';
  else if (w.endsWith('ness') && w.length > 6) w = w.slice(0, -4);
  else if (w.endsWith('ies') && w.length > 4) w = w.slice(0, -3) + 'y';
  else if (w.endsWith('ing') && w.length > 5) w = dedouble(w.slice(0, -3));
  else if (w.endsWith('ed') && w.length > 4 && !w.endsWith('eed')) w = dedouble(w.slice(0, -2));
  else if (w.endsWith('ly') && w.length > 5) w = w.slice(0, -2);
  else if (w.endsWith('es') && /(ss|x|ch|sh)es$/.test(w)) w = w.slice(0, -2);
  else if (w.endsWith('s') && !/(ss|us|is)$/.test(w) && w.length > 3) w = w.slice(0, -1);
  if (w.endsWith('e') && w.length > 4) w = w.slice(0, -1);
  if (w.endsWith('y') && w.length > 4 && !/[aeiou]y$/.test(w)) w = w.slice(0, -1);
  return w;
}

interface Token {
  raw: string;
  norm: string;
  stem: string;
  stop: boolean;
  punct: boolean;
}

function tokenise(text: string): Token[] {
  const out: Token[] = [];
  const re = /[a-z0-9]+|[.,;:!?]/g;
  for (const m of normalise(text).matchAll(re)) {
    const t = m[0];
    const punct = /^[.,;:!?]$/.test(t);
    out.push({ raw: t, norm: t, stem: punct ? t : stem(t), stop: !punct && STOPWORDS.has(t), punct });
  }
  return out;
}

// ------------------------------------------------------------------ phrase index

interface PhraseIndex {
  phrases: Map<string, string[]>;
  maxLen: number;
  vocab: Set<string>;
  vocabList: string[];
  byId: Map<string, EvidenceItem>;
  /** Per evidence: the stems of its name and synonyms (for suggestions). */
  names: { id: string; name: string; texts: string[]; stems: Set<string> }[];
}

const indexCache = new WeakMap<KnowledgeBase, PhraseIndex>();

function phraseKey(text: string): string[] {
  return tokenise(text).filter((t) => !t.stop && !t.punct).map((t) => t.stem);
}

function buildIndex(kb: KnowledgeBase): PhraseIndex {
  const phrases = new Map<string, string[]>();
  const vocab = new Set<string>();
  let maxLen = 1;
  const names: PhraseIndex['names'] = [];
  const reversed: [string, string][] = [];
  for (const e of kb.evidence) {
    if (e.type === 'duration') continue; // parsed separately
    const texts = [e.name, ...e.synonyms];
    const stems = new Set<string>();
    for (const t of texts) {
      const key = phraseKey(t);
      if (key.length === 0) continue;
      key.forEach((s) => { vocab.add(s); stems.add(s); });
      maxLen = Math.max(maxLen, key.length);
      const k = key.join(' ');
      const ids = phrases.get(k) ?? [];
      if (!ids.includes(e.id)) ids.push(e.id);
      phrases.set(k, ids);
      if (key.length === 2) reversed.push([`${key[1]} ${key[0]}`, e.id]);
    }
    names.push({ id: e.id, name: e.name, texts: texts.map((t) => normalise(t)), stems });
  }
  // Two-word phrases also match in reverse order ("calf swollen" ~ "swollen calf"), unless the
  // reversed words are a phrase of their own.
  for (const [k, id] of reversed) if (!phrases.has(k)) phrases.set(k, [id]);
  return { phrases, maxLen, vocab, vocabList: [...vocab], byId: new Map(kb.evidence.map((e) => [e.id, e])), names };
}

function getIndex(kb: KnowledgeBase): PhraseIndex {
  let idx = indexCache.get(kb);
  if (!idx) { idx = buildIndex(kb); indexCache.set(kb, idx); }
  return idx;
}

function correctTypo(idx: PhraseIndex, t: Token): string {
  if (t.stop || t.punct || idx.vocab.has(t.stem) || NEGATION_TRIGGERS.has(t.norm) || t.norm.length < 4 || /\d/.test(t.norm)) return t.stem;
  const max = t.norm.length >= 8 ? 2 : 1;
  let best = t.stem;
  let bestD = max + 1;
  for (const v of idx.vocabList) {
    if (Math.abs(v.length - t.stem.length) > max || v.length < 3) continue;
    const d = Math.min(editDistance(t.stem, v, max), editDistance(t.norm, v, max));
    if (d < bestD) { bestD = d; best = v; if (d === 1 && max === 1) break; }
  }
  return bestD <= max ? best : t.stem;
}

// ------------------------------------------------------------------ durations

const NUMBER_WORDS: Record<string, number> = {
  a: 1, an: 1, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10,
  eleven: 11, twelve: 12, few: 3, couple: 2, several: 4, half: 0.5,
};
const UNIT_DAYS: Record<string, number> = { minute: 1 / 1440, hour: 1 / 24, day: 1, night: 1, week: 7, fortnight: 14, month: 30, year: 365 };

export function parseDurationDays(text: string): number | undefined {
  const t = normalise(text);
  const m = t.match(/\b(\d+(?:\.\d+)?|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|few|couple(?: of)?|several|half an?)\s+(minute|hour|day|night|week|fortnight|month|year)s?\b/);
  if (m) {
    const nRaw = m[1]!.replace(/ of$/, '').replace(/^half an?$/, 'half');
    const n = /^\d/.test(nRaw) ? Number(nRaw) : NUMBER_WORDS[nRaw] ?? 1;
    return n * UNIT_DAYS[m[2]!]!;
  }
  if (/\b(this morning|this evening|this afternoon|tonight|an hour|just now|minutes ago|suddenly today)\b/.test(t)) return 0.3;
  if (/\b(yesterday|last night|overnight)\b/.test(t)) return 1;
  if (/\blast week\b/.test(t)) return 7;
  if (/\blast month\b/.test(t)) return 30;
  return undefined;
}

/** Duration option of the `duration` group for a number of days. */
export function durationOption(days: number): string {
  if (days < 1) return 'dur_lt_1d';
  if (days <= 7) return 'dur_1_7d';
  if (days <= 28) return 'dur_1_4w';
  return 'dur_gt_4w';
}

// ------------------------------------------------------------------ mapping

/** Maps one free text to evidence (with negation). Never throws. */
export function mapText(kb: KnowledgeBase, text: string): MappingResult {
  const idx = getIndex(kb);
  const tokens = tokenise(text ?? '');
  const stems = tokens.map((t) => correctTypo(idx, t));

  // 1. Greedy longest-phrase matching over content words (stopwords and punctuation skipped;
  //    negation words kept so lexicalised negatives such as "no energy" can match).
  const content: number[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (!t.stop && !t.punct) content.push(i);
  }
  const hits: { first: number; last: number; ids: string[] }[] = [];
  const consumed = new Uint8Array(tokens.length);
  let k = 0;
  while (k < content.length) {
    let matched = 0;
    let ids: string[] | undefined;
    for (let len = Math.min(idx.maxLen, content.length - k); len >= 1; len--) {
      const span = content.slice(k, k + len);
      const first = span[0]!;
      const last = span[span.length - 1]!;
      // Do not let a phrase jump across clause punctuation.
      let crosses = false;
      for (let p = first; p <= last; p++) if (tokens[p]!.punct && CLAUSE_PUNCT.has(tokens[p]!.norm)) crosses = true;
      if (crosses) continue;
      const hit = idx.phrases.get(span.map((i) => stems[i]).join(' '));
      if (hit) { ids = hit; matched = len; break; }
      // Gap tolerance: one extra word inside a phrase of ≥ 2 words ("spreading to my LEFT arm").
      if (len >= 3) {
        for (let skip = 1; skip < len - 1 && !ids; skip++) {
          const gapHit = idx.phrases.get(span.filter((_, q) => q !== skip).map((i) => stems[i]).join(' '));
          if (gapHit) { ids = gapHit; matched = len; }
        }
        if (ids) break;
      }
    }
    if (!ids) { k++; continue; }
    const span = content.slice(k, k + matched);
    hits.push({ first: span[0]!, last: span[span.length - 1]!, ids });
    for (const i of span) consumed[i] = 1;
    k += matched;
  }

  // 2. Negation scopes from the trigger words that are not part of a matched phrase.
  const negated = new Uint8Array(tokens.length);
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (!NEGATION_TRIGGERS.has(t.norm) || consumed[i]) continue;
    let n = 0;
    for (let j = i + 1; j < tokens.length && n < 6; j++) {
      const u = tokens[j]!;
      if (CLAUSE_PUNCT.has(u.norm) || TERMINATORS.has(u.norm)) break;
      if ((u.norm === 'and' || u.norm === ',') && j + 1 < tokens.length && CLAUSE_STARTERS.has(tokens[j + 1]!.norm)) break;
      negated[j] = 1;
      if (!u.stop && !u.punct) n++;
    }
  }

  // 3. Polarity per matched phrase (pre-trigger scope, or a post-trigger right after it).
  const mentions: Mention[] = [];
  for (const { first, last, ids } of hits) {
    let neg = negated[first] === 1;
    for (let j = last + 1; j < Math.min(tokens.length, last + 4); j++) {
      const u = tokens[j]!;
      if (POST_TRIGGERS.has(u.norm) && !consumed[j]) { neg = true; break; }
      if (!u.stop && !(u.punct && u.norm === ':')) break;
    }
    const surface = tokens.slice(first, last + 1).map((t) => t.raw).join(' ');
    for (const id of ids) {
      mentions.push({ evidence_id: id, name: idx.byId.get(id)?.name ?? id, state: neg ? 'absent' : 'present', text: surface });
    }
  }

  const evidence: Record<string, EvidenceState> = {};
  for (const m of mentions) evidence[m.evidence_id] = m.state;
  const result: MappingResult = { evidence, mentions, unrecognised: [] };
  const d = text ? parseDurationDays(text) : undefined;
  if (d !== undefined) result.duration_days = d;
  return result;
}

/** Closest evidence to an unrecognised phrase (by stem overlap and edit distance). */
export function suggest(kb: KnowledgeBase, text: string, limit = 3): Suggestion[] {
  const idx = getIndex(kb);
  const norm = normalise(text).trim();
  const words = tokenise(text).filter((t) => !t.stop && !t.punct).map((t) => t.stem);
  const scored: { id: string; name: string; score: number }[] = [];
  for (const n of idx.names) {
    let score = 0;
    for (const w of words) {
      if (n.stems.has(w)) score += 1;
      else for (const s of n.stems) {
        if (s.length >= 4 && w.length >= 4 && (s.startsWith(w) || w.startsWith(s))) { score += 0.6; break; }
        if (editDistance(s, w, 2) <= (w.length >= 7 ? 2 : 1)) { score += 0.7; break; }
      }
    }
    for (const t of n.texts) {
      const max = Math.max(2, Math.floor(t.length / 3));
      const d = editDistance(norm, t, max);
      if (d <= max) score = Math.max(score, 1.5 * (1 - d / (max + 1)));
    }
    if (score > 0.5) scored.push({ id: n.id, name: n.name, score });
  }
  return scored.sort((a, b) => b.score - a.score).slice(0, limit).map(({ id, name }) => ({ id, name }));
}

/**
 * Maps a list of symptom strings and an optional free text. List items that map to nothing are
 * `unrecognised` with suggestions; a free text that maps to nothing is unrecognised as a whole.
 * `conflicts` lists evidence ids stated present in one input and absent in another.
 */
export function mapSymptoms(kb: KnowledgeBase, symptoms: string[], text?: string): MappingResult & { conflicts: string[] } {
  const evidence: Record<string, EvidenceState> = {};
  const mentions: Mention[] = [];
  const unrecognised: Unrecognised[] = [];
  const conflicts = new Set<string>();
  let duration: number | undefined;
  const merge = (r: MappingResult) => {
    for (const [id, s] of Object.entries(r.evidence)) {
      if (evidence[id] !== undefined && evidence[id] !== s) conflicts.add(id);
      evidence[id] = s;
    }
    mentions.push(...r.mentions);
    if (r.duration_days !== undefined && duration === undefined) duration = r.duration_days;
  };
  for (const s of symptoms) {
    if (typeof s !== 'string' || s.trim() === '') continue;
    const r = mapText(kb, s);
    if (r.mentions.length === 0) unrecognised.push({ text: s, suggestions: suggest(kb, s) });
    merge(r);
  }
  if (text && text.trim()) {
    const r = mapText(kb, text);
    if (r.mentions.length === 0 && r.duration_days === undefined) unrecognised.push({ text, suggestions: suggest(kb, text) });
    merge(r);
  }
  const out: MappingResult & { conflicts: string[] } = { evidence, mentions, unrecognised, conflicts: [...conflicts] };
  if (duration !== undefined) out.duration_days = duration;
  return out;
}
