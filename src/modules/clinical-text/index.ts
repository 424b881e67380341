/**
 * Clinical text understanding shared by the symptom checker and the emergency detector (and, through
 * the detector, every chat and assistant message): one normaliser (normalize.ts), one scoping of
 * mentions (context.ts: negated, historical, hypothetical, generic, figurative, resolved, affirmed),
 * one concept matcher over the knowledge-base vocabulary (concepts.ts) and one reader of numbers with
 * units (quantities.ts). Pure: no I/O, no state beyond the compiled lexicon the caller owns.
 */
import { buildContext, unscopedSentenceText } from './context.js';
import { findConcepts, type ConceptMention, type Lexicon } from './concepts.js';
import { MAX_INPUT_CHARS, normalize } from './normalize.js';
import { parseQuantities, type Quantities } from './quantities.js';

export { compileLexicon, findConcepts, loadDictionary, matchForm, GENERIC_WORDS, WINDOW } from './concepts.js';
export type { ConceptMention, ConceptSource, Lexicon } from './concepts.js';
export { parseQuantities } from './quantities.js';
export type { Quantities } from './quantities.js';
export { normalize, tokenRange, canonicalWord, MAX_INPUT_CHARS } from './normalize.js';
export type { Normalized, Token } from './normalize.js';
export { buildContext, consumeTriggers, mentionStatus } from './context.js';
export type { ContextIndex, MentionStatus, Hit, MentionOptions } from './context.js';
export { stem } from './stem.js';

export interface Understanding {
  mentions: ConceptMention[];
  quantities: Quantities;
  /** The analysed text (input beyond MAX_INPUT_CHARS is not read). */
  text: string;
}

/** Concepts with their scope, and the quantities, of one text. */
export function understand(lex: Lexicon, input: string, now?: Date): Understanding {
  const text = typeof input === 'string' ? input.slice(0, MAX_INPUT_CHARS) : '';
  const n = normalize(text);
  const ctx = buildContext(n);
  const mentions = findConcepts(lex, n, ctx);
  const quantities = parseQuantities(text, now);
  // A temperature or pulse stated in a question, a conditional or a lesson ("what if the baby gets a
  // temperature over 38", "a fever is 38 or more") is not a measurement of the person. Ages and
  // gestations stay: they describe who is asking even in a question.
  if (quantities.temperature_c !== undefined || quantities.heart_rate !== undefined) {
    const unscoped = unscopedSentenceText(ctx, text);
    if (unscoped !== text) {
      const q = parseQuantities(unscoped, now);
      if (q.temperature_c === undefined) delete quantities.temperature_c;
      else quantities.temperature_c = q.temperature_c;
      if (q.heart_rate === undefined) delete quantities.heart_rate;
      else quantities.heart_rate = q.heart_rate;
    }
  }
  return { mentions, quantities, text };
}
