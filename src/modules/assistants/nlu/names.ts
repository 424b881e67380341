import { allowedEdits, editDistance, isEnglishWord, normalize, tokens } from './text.js';

/**
 * People named in a message, matched against a closed list the caller may see: the doctor
 * directory (patients) or the doctor's own patients (doctors). Matching ignores case and
 * accents ("Jose" finds "José"), tolerates typos by word length ("Hauze" finds "Hause") and
 * accepts a first or last name alone; when that fits several people, all of them are returned
 * and the dialogue asks which one. A name that is not in the list matches nothing: the
 * assistant never looks further than the caller could through the API.
 */
export interface Person {
  id: string;
  name: string;
}

export interface NameMatch {
  people: Person[];
  /** The words of the message that matched. */
  phrase: string;
  /** Every word of the name matched (not only a first or last name). */
  full: boolean;
}

/** Words never taken for a name, even if a name contains them. */
const GENERIC = new Set([
  'dr',
  'doctor',
  'doc',
  'mr',
  'mrs',
  'ms',
  'miss',
  'prof',
  'patient',
  'test',
  'the',
  'and',
  'for',
  'with',
  'see',
  'book',
  'can',
  'will',
  'may',
  'june',
  'april',
  'august',
  'grace',
  'hope',
  'joy',
  'faith',
  'rose',
  'sunny',
  'chase',
  'mark',
  'bill',
  'pat',
  'sue',
  'ray',
  'art',
  'don',
  'rob',
]);

export function nameTokens(name: string): string[] {
  return tokens(normalize(name)).filter((t) => t.length >= 2 && !GENERIC.has(t) && !/\d/.test(t));
}

export function matchPeople(text: string, people: Person[], ignore: ReadonlySet<string> = new Set()): NameMatch | null {
  const words = tokens(normalize(text)).filter((w) => w.length >= 2 && !ignore.has(w));
  if (!words.length || !people.length) return null;
  let best: { person: Person; matched: number; total: number; words: string[] }[] = [];
  let bestScore = 0;
  for (const person of people) {
    const parts = nameTokens(person.name);
    if (!parts.length) continue;
    const hit: string[] = [];
    for (const part of parts) {
      const max = allowedEdits(part.length);
      // A typo of a name is not itself an English word ("call" is not "Carl", "many" is not "Mary").
      const w = words.find(
        (word) => word === part || (max > 0 && word.length >= 4 && word[0] === part[0] && !isEnglishWord(word) && editDistance(word, part, max) <= max),
      );
      if (w) hit.push(w);
    }
    if (!hit.length) continue;
    // A full name beats a partial one; among partial matches, more matched words win.
    const score = hit.length + (hit.length === parts.length ? 10 : 0);
    if (score > bestScore) {
      bestScore = score;
      best = [{ person, matched: hit.length, total: parts.length, words: hit }];
    } else if (score === bestScore) best.push({ person, matched: hit.length, total: parts.length, words: hit });
  }
  if (!best.length) return null;
  const phrase = [...new Set(best.flatMap((b) => b.words))].join(' ');
  return { people: best.map((b) => b.person), phrase, full: best[0]!.matched === best[0]!.total && best[0]!.total > 1 };
}
