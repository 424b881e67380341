/**
 * A second reading of a message in which chat wording the detector's lexicon has no entry for is
 * put in words it does know. Written for the assistants (issue 14, "emergency first, whatever the
 * wording") and moved here so that every caller of detectEmergency — chat messages, the symptom
 * checker, the assistants — gets it (detector.ts):
 *
 *  - intensifiers people use for chest pain instead of "severe" ("really bad", "very strong",
 *    "extreme", "so much") — the detector's chest_severe concept lists "severe", "terrible",
 *    "unbearable" but not these (src/modules/emergency/lexicon.ts SEVERE_CHEST_WORDS);
 *  - second-language verb forms ("my chest is paining", "chest paining me") and the heart named
 *    for the chest ("my heart is hurting") — chest pain in lay words;
 *  - frequent phone typos of the words the detector keys on ("chest pian", "cheast", "hart attack");
 *  - a stabbing or shooting told in the first person ("I got stabbed", "someone shot me"): the
 *    detector knows "stab wound" / "gunshot wound".
 *
 * Only words change, never the clause around them, so the detector's own negation, history and
 * hypothetical scoping still applies ("no really bad chest pain, just a check-up" stays no
 * emergency; tested in nlu.test.ts). The message is an emergency if either reading is.
 * Found with the assistants' own probes (lay-wording.test.ts), not from eval items.
 */

const INTENSE = String.raw`(?:(?:very|really|so|extremely|super|too|quite) (?:very )?(?:bad|strong|severe|intense|much|badly|hard)|extreme|awful|horrible|horrendous|killing me|a lot|alot|heavy)`;
const CHEST_PAIN_VERB = String.raw`(?:pain|pains|paining|hurts|hurting|aching|aches)`;

const REWRITES: [RegExp, string][] = [
  // Typos of the key words (letters swapped or doubled on a phone keyboard).
  [/\bp(?:ian|ain{2,}|aine|ane)\b/g, 'pain'],
  [/\b(?:chset|cheast|chestt|chets)\b/g, 'chest'],
  [/\b(?:hart|heat|heart) (?:atack|attak|atak|attck|attac|attacck)\b/g, 'heart attack'],
  [/\bhart attack\b/g, 'heart attack'],
  [/\b(?:breth|breathe?|brethe|breat|breahte)ing\b/g, 'breathing'],
  // The heart named for the chest: "my heart is hurting", "pain in my heart".
  [/\b(my|his|her) heart (?:is )?(hurts|hurting|aching|aches|paining|pains)\b/g, '$1 chest $2'],
  [/\bpain in (my|his|her) heart\b/g, 'pain in $1 chest'],
  // Second-language verb forms: "chest is paining (me)", "chest paining".
  [/\bchest (?:is |are )?paining(?: me)?\b/g, 'chest pain'],
  // Intensifier after the pain ("chest pain very strong", "chest hurts really bad") or before it
  // ("very bad chest pain", "extreme chest pain"): said as "severe chest pain".
  [new RegExp(String.raw`\bchest (?:${CHEST_PAIN_VERB}) (?:is )?(?:me )?${INTENSE}\b`, 'g'), 'severe chest pain'],
  [new RegExp(String.raw`\b${INTENSE} (?:(?:of |in )?(?:the |my |his |her )?)chest\b`, 'g'), 'severe chest'],
  [new RegExp(String.raw`\b${INTENSE} (?:pain|pains) in (my|his|her|the) chest\b`, 'g'), 'severe pain in $1 chest'],
  // A stabbing or shooting told about oneself.
  [/\b(?:i|i've|i have|ive|i was|i got|i've been|i have been|ive been|just got|got) (?:been |just )?(?:stabbed|knifed)\b/g, 'i have a stab wound'],
  [/\bsomeone (?:just )?(?:stabbed|knifed) me\b/g, 'i have a stab wound'],
  // Telegraphic: a sentence that opens with the participle ("stabbed. bleeding lots", "just got
  // knifed in the leg"); "stabbed my finger with a fork" names its own object and stays as it is.
  [
    /(^|[.!?]\s*)(?:just |been |got )?(?:stabbed|knifed)\b(?! (?:my|myself|his|her|it|with|by (?:a |my )?(?:fork|pin|needle|splinter|thorn)))/g,
    '$1i have a stab wound',
  ],
  [
    /\b(?:i|i've|i have|ive|i was|i got|i've been|i have been|ive been|just got|got) (?:been |just )?shot\b(?! (?:of|at|in the arm for|glass|for))/g,
    'i have a gunshot wound',
  ],
  [/\bsomeone (?:just )?shot me\b/g, 'i have a gunshot wound'],
];

/** The message in words the emergency detector knows, or null when nothing was rewritten. */
export function layReading(text: string): string | null {
  let t = text.toLowerCase().replace(/[’‘]/g, "'");
  const before = t;
  for (const [re, to] of REWRITES) t = t.replace(re, to);
  return t === before ? null : t;
}
