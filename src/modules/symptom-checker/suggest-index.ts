/**
 * The evidence names and synonyms prepared for "did you mean …?" suggestions (text-mapping.ts),
 * built once with the compiled model (inference.ts) instead of on every unrecognised phrase.
 */
import type { EvidenceItem } from './kb/types.js';
import { stem } from '../clinical-text/index.js';

export interface SuggestEntry {
  id: string;
  name: string;
  /** Name and synonyms, lowercase without apostrophes. */
  texts: string[];
  stems: Set<string>;
}

export function normalise(text: string): string {
  return text
    .toLowerCase()
    .replace(/[’‘`´]/g, "'")
    .replace(/'/g, '');
}

export function buildSuggestIndex(evidence: readonly EvidenceItem[]): SuggestEntry[] {
  return evidence
    .filter((e) => e.type !== 'duration')
    .map((e) => {
      const texts = [e.name, ...e.synonyms].map(normalise);
      return {
        id: e.id,
        name: e.name,
        texts,
        stems: new Set(
          texts.flatMap((t) =>
            t
              .split(/[^a-z0-9]+/)
              .filter((w) => w.length > 2)
              .map(stem),
          ),
        ),
      };
    });
}
