import { readFileSync } from 'node:fs';
import wordListPath from 'word-list';

/**
 * Text helpers of the assistants' understanding: normalisation (case, accents, punctuation),
 * edit distance for typo tolerance, and a vocabulary-based spelling correction that only
 * ever rewrites a word into one of the words the intent features look for.
 */

/** Lower case, accents removed, apostrophes dropped ("don't" → "dont"), other punctuation → space. */
export function normalize(text: string): string {
  return (
    text
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      // Possessive "'s" goes ("John Roe's" → "john roe"), other apostrophes are dropped ("don't" → "dont").
      .replace(/(?<=[a-z])[’'`]s\b/g, '')
      .replace(/[’'`]/g, '')
      .replace(/[^a-z0-9.:/+%\s-]+/g, ' ')
      .replace(/(?<![0-9])[.:/-]|[.:/-](?![0-9])/g, ' ')
      .replace(/\s+/g, ' ')
      .trim()
  );
}

export function tokens(text: string): string[] {
  return text.split(' ').filter(Boolean);
}

/** Optimal-string-alignment distance (Damerau–Levenshtein with adjacent transpositions), capped at `max + 1`. */
export function editDistance(a: string, b: string, max = 2): number {
  if (a === b) return 0;
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) rows.push([i]);
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    let best = Infinity;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = v;
      if (v < best) best = v;
    }
    if (best > max) return max + 1;
  }
  return rows[a.length]![b.length]!;
}

/** How many edits a word of this length may have and still count as a typo of another. */
export function allowedEdits(length: number): number {
  if (length <= 3) return 0;
  if (length <= 6) return 1;
  return 2;
}

/**
 * Spelling correction against a closed vocabulary: a token that is not itself a known word
 * (vocabulary or `keep`) is replaced by the unique closest vocabulary word within
 * `allowedEdits` — "appointmnet" → "appointment", "cancle" → "cancel". Ties leave the token
 * alone, so a correction is never a guess between two words.
 */
export class Speller {
  private readonly words: Set<string>;
  private readonly byFirst = new Map<string, string[]>();
  private readonly cache = new Map<string, string>();

  constructor(
    vocabulary: Iterable<string>,
    private readonly keep: ReadonlySet<string> = new Set(),
  ) {
    this.words = new Set(vocabulary);
    for (const w of this.words) {
      if (w.length < 4) continue;
      for (const k of [w[0]!, w[1]!]) {
        const list = this.byFirst.get(k) ?? [];
        list.push(w);
        this.byFirst.set(k, list);
      }
    }
  }

  correct(token: string): string {
    if (token.length < 4 || this.words.has(token) || this.keep.has(token) || /\d/.test(token) || isEnglishWord(token)) return token;
    const cached = this.cache.get(token);
    if (cached !== undefined) return cached;
    const max = allowedEdits(token.length);
    let best: string | null = null;
    let bestD = max + 1;
    let tie = false;
    const seen = new Set<string>();
    for (const k of [token[0]!, token[1]!]) {
      for (const w of this.byFirst.get(k) ?? []) {
        if (seen.has(w)) continue;
        seen.add(w);
        const d = editDistance(token, w, max);
        if (d < bestD) {
          best = w;
          bestD = d;
          tie = false;
        } else if (d === bestD && w !== best) tie = true;
      }
    }
    const out = best && !tie ? best : token;
    if (this.cache.size < 50_000) this.cache.set(token, out);
    return out;
  }

  correctAll(text: string): string {
    return tokens(text)
      .map((t) => this.correct(t))
      .join(' ');
  }
}

let dictionary: Set<string> | undefined;
/**
 * English words (word-list, ~274k, read once on first use): a real word is never "corrected"
 * into a task word ("that" is not "what", "last" is not "list", "cook" is not "book").
 */
export function isEnglishWord(word: string): boolean {
  dictionary ??= new Set(
    readFileSync(wordListPath, 'utf8')
      .split('\n')
      .filter((w) => w.length >= 4),
  );
  return dictionary.has(word);
}
