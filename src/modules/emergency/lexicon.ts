/**
 * Red-flag lexicon of the emergency detector.
 *
 * Two layers:
 *  - **Concepts**: one regular expression each, run over the canonical text produced by
 *    `normalize.ts` (lowercase, single spaces between tokens, punctuation as its own token,
 *    apostrophes restored, typos fixed, hyphens removed: "self-harm" → "self harm").
 *    Every concept *mention* is scoped separately by `context.ts` (negated, historical,
 *    hypothetical, generic/educational, figurative, resolved).
 *  - **Rules**: a rule fires when every concept it lists has an affirmed mention in the message
 *    (e.g. chest pain + radiation to the arm). Single-concept rules are kept for presentations that
 *    are red flags on their own (e.g. "not breathing", "won't stop bleeding"); bare words that
 *    over-fire ("chest pain", "fever", "pregnant", "headache") only ever count in combinations
 *    (or at `consultation_24`).
 *
 * Category ids (stable; used in `matched[].category`):
 *
 * | id                    | covers                                                                   |
 * |-----------------------|--------------------------------------------------------------------------|
 * | cardiac               | heart attack, cardiac chest pain (radiation, sweating, breathlessness, crushing), aortic dissection |
 * | stroke                | FAST signs: face droop, one-sided weakness/numbness, slurred speech, sudden confusion, sudden vision loss |
 * | breathing             | can't breathe / not breathing, choking, blue lips, gasping, can't finish sentences, failing inhaler, recession |
 * | anaphylaxis           | anaphylaxis named, throat/tongue swelling or tightness, lip/face swelling after an allergen |
 * | bleeding              | uncontrolled or heavy bleeding, vomiting or coughing up blood, black tarry stools |
 * | unconscious           | unconscious, unresponsive, won't wake, collapsed |
 * | seizure               | seizure / fit / convulsions happening or just happened |
 * | meningitis            | fever + stiff neck, non-blanching (glass test) rash, stiff neck + light sensitivity + headache |
 * | self_harm             | suicidal thoughts or intent, self-harm, plans; answers carry crisis resources |
 * | overdose              | overdose, large ingestions of medicines, poisons, button batteries |
 * | pregnancy             | heavy bleeding, severe pain, reduced fetal movements, pre-eclampsia signs, preterm waters, fits, postpartum haemorrhage |
 * | infant                | baby < 3 months with fever, floppy / won't wake, bulging fontanelle, grunting, not feeding + sleepy |
 * | head_injury           | head injury + vomiting, confusion, drowsiness, fits, fluid from ear/nose |
 * | thunderclap_headache  | sudden worst-ever headache |
 * | burns                 | large, chemical, electrical, facial/airway burns and scalds |
 * | testicular_torsion    | sudden severe testicular pain |
 * | dka                   | diabetic with high ketones / ketoacidosis |
 * | hypoglycaemia         | very low blood sugar with confusion, drowsiness or fits |
 * | sepsis                | infection/fever + mottled skin, "feel like I'm going to die", no urine, confusion |
 * | acute_abdomen         | agonising abdominal pain, rigid abdomen |
 * | explicit_request      | the writer asks for an ambulance / 911 / 999 / 112 |
 *
 * Rule ids are `<category>.<what>` and are stable too.
 *
 * Why this phrase lexicon is kept next to the knowledge-base concept rules (issue 10, decided on the
 * dev split and on own-written probes, never on the test split): the concept layer alone reads
 * 96 % of the dev emergencies, the union 99 %; what only this lexicon catches is what the concept
 * rules cannot express yet — a named event reported now ("I think I'm having a heart attack / a
 * stroke / an anaphylactic reaction"), counts of tablets ("took 30 paracetamol"), hand-held
 * combinations ("clutching his chest"). Its false positives came from scope, not from the phrases:
 * every mention goes through the same scoping as the concepts (clinical-text/context.ts — negation,
 * history, hypotheticals and questions, education, songs and titles, idioms, third party in the past),
 * and the classes that fired wrongly (a care episode in the past, a conditional clause joined by
 * "and", an emergency number as one option of a question, a named illness in a song title or a
 * reaction idiom) were fixed there, for both layers. On the dev split neither layer now raises a
 * false alarm.
 */
import type { EmergencyCategory, EmergencyLevel } from './types.js';

export interface Concept {
  id: string;
  re: RegExp;
  /**
   * First-person statements of intent ("I want to kill myself"): never discounted as generic or
   * educational text, because a person writing that inside an essay-like message still needs help.
   */
  firstPerson?: boolean;
  /**
   * A named event ("heart attack", "stroke", "overdose"): "after his heart attack" / "since my
   * stroke" marks it as history. Symptoms and contexts are not events ("after a wasp sting").
   */
  event?: boolean;
  /** A mention is ignored when the canonical text right after it matches (anchored at its end). */
  notFollowedBy?: RegExp;
  /** A mention is ignored when the canonical text right before it matches (anchored at its start). */
  notPrecededBy?: RegExp;
}

export interface Rule {
  id: string;
  category: EmergencyCategory;
  level: EmergencyLevel;
  /** Concept ids; all need an affirmed mention in the message. */
  all: string[];
}

// ---------------------------------------------------------------------------------------------
// Regex building blocks (over canonical text: tokens separated by one space)

/** A gap token: any word that is not punctuation and not a negation. */
const G = String.raw`(?!\S*n't\b|no\b|not\b|never\b|without\b|nor\b)[^\s.,;:!?()]+`;
/** Possessive / determiner before a body part. */
const POSS = String.raw`(?:my|his|her|their|the|your|our|its|a|one|both|either|[a-z]+'s)`;

/** `a` and `b` within `n` gap tokens of each other, in either order, inside one clause. */
function near(a: string, b: string, n: number): string {
  return String.raw`(?:(?:${a})(?: ${G}){0,${n}}? (?:${b})|(?:${b})(?: ${G}){0,${n}}? (?:${a}))`;
}
/** `a` then `b` within `n` gap tokens. */
function then(a: string, b: string, n: number): string {
  return String.raw`(?:(?:${a})(?: ${G}){0,${n}}? (?:${b}))`;
}

function c(
  id: string,
  source: string | string[],
  opts: { firstPerson?: boolean; event?: boolean; notFollowedBy?: string; notPrecededBy?: string } = {},
): Concept {
  const src = Array.isArray(source) ? source.join('|') : source;
  const concept: Concept = { id, re: new RegExp(String.raw`(?<![\p{L}\p{N}'])(?:${src})(?![\p{L}\p{N}])`, 'gu') };
  if (opts.firstPerson) concept.firstPerson = true;
  if (opts.event) concept.event = true;
  if (opts.notFollowedBy) concept.notFollowedBy = new RegExp(String.raw`^ (?:${opts.notFollowedBy})(?![\p{L}\p{N}])`, 'u');
  if (opts.notPrecededBy) concept.notPrecededBy = new RegExp(String.raw`(?<![\p{L}\p{N}'])(?:${opts.notPrecededBy}) $`, 'u');
  return concept;
}

const CHEST = String.raw`chests?(?! (?:infection|infections|cold|x ray|xray|scan|hair|drain|clinic|physio|freezer|of drawers))`;
const PAIN_WORDS = String.raw`pain|pains|painful|hurts?|hurting|ache|aching|pressure|tight|tightness|heavy|heaviness|discomfort|squeez\w*|crush\w*|burning|sore`;
const SEVERE_CHEST_WORDS = String.raw`(?<!(?:a bit|a little|slightly|mildly|bit|little|somewhat|kind of|kinda|sort of) )(?:crushing|crushed|squeezing|squeezed|tearing|ripping|severe|heavy|heaviness|(?<!blood )pressure|vice|elephant|excruciating|agonising|agonizing|intense|terrible|unbearable)`;
const SELF = String.raw`myself|my ?self|himself|herself|themselves|themself`;
const NUM_WORD = String.raw`one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve`;
const TESTIS = String.raw`testicles?|testicular|testis|testes|scrotum|scrotal|(?:my|his) balls?`;

// ---------------------------------------------------------------------------------------------
// Concepts

export const CONCEPTS: Concept[] = [
  // --- cardiac
  c('heart_attack', String.raw`heart attacks?|cardiac arrest|myocardial infarction`, { event: true }),
  c('chest_pain', near(CHEST, PAIN_WORDS, 4)),
  c('chest_severe', near(SEVERE_CHEST_WORDS, CHEST, 5)),
  c('clutch_chest', String.raw`(?:clutch\w*|hold\w*|grabb?\w*|grip\w*|clasp\w*) (?:at )?${POSS} chest`),
  c('radiation', [
    String.raw`(?:radiat\w*|spread\w*|go|goes|going|gone|moving|moves|travel\w*|shoot\w*) (?:all )?(?:down|up|into|to|through|in|across)(?: to| into)?(?: ${POSS})?(?: left| right)? (?:arm|arms|jaw|neck|shoulders?|back)`,
    String.raw`(?:left arm|jaw) (?:pain|ache|aches|hurts|is aching)`,
  ]),
  c('sweating', String.raw`sweat\w*|clammy|cold sweats?|drenched`),
  c(
    'breathless',
    String.raw`short of breath|shortness of breath|breathless\w*|out of breath|(?:can't|cannot) catch (?:my|his|her) breath|difficulty breathing|trouble breathing|hard to breathe`,
  ),

  // --- stroke
  c('stroke_named', String.raw`(?:a|having|another|mini|massive|major) stroke(?! of| clinic| unit| team| nurse| rehab| ward| service| risk)|\btia\b`, {
    event: true,
  }),
  c('face_droop', [
    String.raw`face (?:is |seems |looks |has |went |gone |just |all )*(?:droop\w*|drop\w*|lopsided|fallen|dropped|twisted|sagging|slumped)`,
    String.raw`droop\w* (?:on )?(?:one|the left|the right|left|right) side`,
    String.raw`one side of ${POSS} (?:face|mouth)(?: ${G}){0,3}? (?:droop\w*|numb|drop\w*|fallen|sagging|weak|paralys\w*|slumped)`,
    String.raw`(?:mouth|smile) (?:is |has )?(?:droop\w*|lopsided|crooked|gone crooked)`,
  ]),
  c(
    'one_sided',
    String.raw`(?:numb\w*|weak\w*|tingl\w*|paralys\w*|droop\w*|dead) (?:on )?one side|one side of ${POSS} body (?:\S+ )?(?:numb|weak|paralys\w*|dead)`,
  ),
  c('slurred', [
    String.raw`slurr\w*`,
    String.raw`speech (?:is |was |seems |sounds |has |gone |become |suddenly )*(?:slurred|garbled|jumbled|muddled)`,
    String.raw`(?:can't|cannot|can not|unable to|struggling to|couldn't) (?:speak|talk|get (?:his|her|my|the) words out)(?: properly| clearly| right| at all| normally)`,
    String.raw`words (?:are |keep )?(?:coming out )?(?:wrong|jumbled|muddled|garbled)`,
    String.raw`(?:he|she|he's|she's|they|they're|i'm|mum|dad|is|isn't|keeps) (?:is |are |am )?(?:not making (?:any )?sense|talking nonsense|talking gibberish)`,
  ]),
  c('sudden_weakness', [
    String.raw`sudden(?:ly)? (?:\S+ ){0,3}?(?:can't|cannot|unable to|couldn't) (?:lift|move|raise|feel|use) ${POSS} (?:left |right )?(?:arm|leg|hand|side)`,
    String.raw`sudden (?:weakness|numbness|paralysis)`,
    String.raw`(?:arm|leg|hand) (?:has |is )?(?:suddenly|just) (?:gone |went )?(?:weak|numb|limp|dead|floppy)`,
  ]),
  c('sudden_confusion', String.raw`sudden(?:ly)? (?:\S+ ){0,2}?(?:confused|disoriented|disorientated|confusion)`),
  c('vision_loss', [
    String.raw`(?:can't|cannot|unable to|can not) see (?:out of|with|from|in) (?:${POSS}|either) (?:left |right )?eye`,
    String.raw`sudden(?:ly)? (?:\S+ ){0,2}?(?:lost (?:my |his |her )?(?:vision|sight)|loss of (?:vision|sight)|blind|blindness|can't see)`,
    String.raw`(?:lost|losing|loss of) (?:the |my |his |her )?(?:vision|sight) in (?:${POSS}) (?:left |right )?eye`,
    String.raw`(?:gone|went) blind|curtain (?:over|across|coming down over) (?:my|his|her) (?:eye|vision)`,
  ]),

  // --- breathing
  c('cant_breathe', [
    String.raw`(?:can't|cannot|can not|can ?barely|can hardly|unable to|not able to|struggling to|struggle to|fighting to|fighting for) breathe?(?! through)`,
    String.raw`(?:not|isn't|is not|wasn't|stopped|stops|stopping|no longer|barely|aren't|hasn't been|isn't really) breathing`,
    String.raw`struggling (?:for|to catch) (?:breath|air)`,
    String.raw`(?:don't|do not|can't) think (?:he|she|they|he's|she's|they're|it's|the baby|baby)(?: is| are|'s)? breathing`,
    String.raw`(?:can't|cannot) (?:get|catch) (?:my|his|her|any) (?:breath|air)`,
    String.raw`gasp\w* (?:for )?(?:air|breath)`,
    String.raw`suffocat\w*`,
    String.raw`(?:is|are|am|i'm|he's|she's|having) (?:having )?(?:severe |real |serious |a lot of )?(?:trouble|difficulty|difficulties|problems?) breathing`,
    String.raw`(?:severe|serious|extreme) (?:trouble breathing|difficulty breathing|shortness of breath|breathlessness)`,
  ]),
  c('choking', String.raw`choking(?! up| hazard| back| game)|choked on|chokes on`),
  c('blue', [
    String.raw`(?:lips|face|skin|mouth|tongue|fingers|he|she|he's|she's|baby|they|i'm|hes) (?:\S+ ){0,2}?(?:turning|turned|going|gone|went|are|is|look|looks|looking) (?:\S+ )?(?:blue|grey|gray)`,
    String.raw`turning blue|blue lips|lips (?:are )?blue`,
  ]),
  c(
    'cant_speak_breathless',
    String.raw`(?:can't|cannot|unable to|can not) (?:finish|complete|say|get out) (?:a |my |full |whole |his |her )*(?:sentence|sentences|words)|too breathless to (?:speak|talk)`,
  ),
  c(
    'inhaler_fail',
    String.raw`inhaler(?: \S+){0,2}? (?:not|isn't|is not|doesn't|does not|didn't|did not|aren't) (?:working|helping|help|work)|(?:severe|bad|terrible|really bad) asthma attack|asthma attack (?:won't|will not|not) (?:stop|settle)`,
  ),
  c(
    'recession',
    String.raw`sucking in (?:under|between|below|around) ${POSS} ribs|(?:ribs|chest|tummy|neck) (?:is |are )?(?:sucking|pulling|caving) in|(?:rib|chest) recession|nostrils flaring|flaring nostrils|head bobbing`,
  ),
  c('grunting', String.raw`grunt\w*`),

  // --- anaphylaxis
  c(
    'anaphylaxis_named',
    String.raw`anaphyla\w+|allergic shock|severe allergic reaction|(?:epipen|epi pen|adrenaline)(?: ${G}){0,2}? (?:didn't|did not|isn't|not) (?:work|working|help|helping)`,
    { event: true },
  ),
  c(
    'throat_swelling',
    near('throat|tongue|airways?', 'closing|close|closed|swelling|swell|swells|swollen|tight|tightening|tighter|constricting|closing up', 4),
  ),
  c('lips_face_swelling', near(String.raw`lips?|face|eyes|eyelids|mouth`, 'swelling|swollen|swell|swells|puffing up|puffed up|puffy', 3)),
  c(
    'allergen',
    String.raw`allerg\w*|peanuts?|nuts?|shellfish|shrimps?|prawns?|stung|sting|bee|wasp|hives|wheez\w*|epipen|epi pen|penicillin|after eating|after taking`,
  ),

  // --- bleeding
  c(
    'bleeding_severe',
    [
      String.raw`(?:won't|will not|can't|cannot|can not|doesn't|does not|isn't|not|unable to) (?:stop|stopping) (?:the )?bleed\w*`,
      String.raw`bleed\w* (?:\S+ ){0,2}?(?:won't|will not|doesn't|does not|isn't|is not|not|hasn't|has not) (?:stop|stopping|stopped|slowing)`,
      String.raw`blood (?:is )?(?:everywhere|spurting|pouring|gushing|pumping)`,
      String.raw`(?:spurting|pouring|gushing|pumping) (?:out )?blood`,
      String.raw`bleed\w* (?:very |really |so )?(?:heavily|badly|profusely|a lot|everywhere|uncontrollably|loads)`,
      String.raw`(?:heavy|heavily|massive|severe|uncontrollable|profuse|major) bleed\w*`,
      String.raw`(?:lost|losing) (?:a lot of |lots of |loads of |so much |too much |a load of )?blood|pool of blood`,
    ],
    { notFollowedBy: String.raw`(?:\S+ ){0,3}?(?:period|periods|menstrua\w*|gums)` },
  ),
  c('vomit_blood', [
    String.raw`(?:vomit\w*|throw\w* up|threw up|puk\w*|being sick|sick|spewing) (?:up )?(?:some |lots of |a lot of |fresh |bright red )?blood`,
    String.raw`blood in (?:my |his |her )?(?:vomit|sick)`,
    String.raw`coffee grounds?|haematemesis|hematemesis`,
  ]),
  c('cough_blood', String.raw`cough\w* (?:up )?(?:some |lots of |a lot of |fresh )?blood|haemoptysis|hemoptysis`),
  c('black_stool', String.raw`(?:black|tarry|jet black) (?:tarry )?(?:stools?|poos?|poop)|melaena|melena`),

  // --- unconscious
  c(
    'unconscious',
    [
      String.raw`unconscious|unresponsive|unrousable|out cold|knocked (?:out|unconscious)`,
      String.raw`(?:not|isn't|is not|no longer) (?:responsive|conscious)`,
      String.raw`(?:he|she|he's|she's|they|they're|him|her|dad|mum|mom|baby|son|daughter|husband|wife|friend|and)(?: \S+){0,3}? (?:isn't|is not|not|won't|no longer|aren't) (?:responding|responsive)`,
      String.raw`(?:won't|will not|can't|cannot|doesn't|does not|isn't|not|couldn't|can not) (?:wake|wake up|waking up|rouse|be woken|be roused|come round|come around)`,
      String.raw`(?:can't|cannot|couldn't) (?:wake|rouse) (?:him|her|them)(?: up)?`,
      String.raw`passed out and (?:isn't|is not|won't|not|hasn't)`,
      String.raw`collaps(?:ed|es|ing)`,
    ],
    { notFollowedBy: String.raw`(?:for |in time for )?(?:school|work|college|class)|in the morning|early|on time|lung` },
  ),

  // --- seizure
  c(
    'seizure',
    [
      String.raw`seizures?|seizing|convuls\w+|status epilepticus`,
      String.raw`(?:is|are|been|keeps?|kept|started|still|he's|she's|was) fitting`,
      String.raw`(?:having|had|has|have|in|into|took) (?:a |another )?(?:fit|epileptic fit)(?! of)`,
    ],
    {
      event: true,
      notFollowedBy: String.raw`meds|medication|medications|medicine|tablets|pills|clinic|diary|plan|free|alert|dog|threshold|action plan|nurse|review|prescription|notes?|certificate|to work|to drive|for work`,
    },
  ),

  // --- meningitis and fever
  c('fever', [
    String.raw`fever\w*|feverish|high temp\w*|pyrexi\w*|febrile|burning up`,
    String.raw`(?:temperature|temp) (?:of |is |was |reading |at |around |about |over )*(?:3[89]|4[0-3])(?:[.,]\d+)?`,
    String.raw`(?:3[89]|4[0-3])(?:[.,]\d+)? ?(?:degrees|c)`,
    String.raw`10[0-6](?:[.,]\d+)? ?(?:degrees|f)`,
    String.raw`(?:has|have|got|running|with|had) a (?:temperature|temp)(?! of)`,
  ]),
  c(
    'stiff_neck',
    String.raw`stiff (?:\S+ )?neck|neck (?:is |feels |very |really |so |has gone |gone |is really |is very )*stiff|(?:can't|cannot|unable to) (?:bend|move|touch|put) (?:${POSS} )?(?:neck|chin)|neck stiffness`,
  ),
  c('non_blanching', [
    String.raw`(?:rash|spots?|marks?|blotch\w*|dots)(?: ${G}){0,6}? (?:doesn't|does not|don't|do not|won't|will not|didn't|did not|not|isn't|aren't|never) (?:fade|fading|blanch\w*)`,
    String.raw`(?:rash|spots?|marks?|blotch\w*|dots)(?: ${G}){0,6}? (?:doesn't|does not|don't|do not|won't|will not|didn't|did not|not|isn't|aren't) (?:go away|disappear|going away)(?: ${G}){0,2}? (?:under|with|when|if) (?:\S+ ){0,3}?(?:glass|tumbler|press\w*)`,
    String.raw`non blanching|nonblanching|purpur\w*|petechia\w*|purple (?:\S+ )?(?:spots|rash|blotches|dots|marks)|(?:rash|spots) (?:\S+ ){0,2}?like (?:bruises|pin ?pricks)`,
  ]),
  c('meningitis_named', String.raw`meningitis|meningococcal|septicaemia|septicemia`, { event: true }),
  c(
    'photophobia',
    String.raw`(?:light|lights|brightness) (?:\S+ ){0,2}?(?:hurts?|hurting|painful|bothers?)|photophobi\w*|(?:can't|cannot) (?:stand|bear|look at) (?:the )?light`,
  ),
  c('headache', String.raw`headaches?|head ache|head hurts|migraine`),

  // --- self-harm
  c(
    'self_harm_intent',
    [
      String.raw`kill (?:myself|my ?self|me self)|end (?:my|it) (?:own )?life|take my (?:own )?life|(?:i|i'm|im)(?: ${G})? (?:want|wanna) to die|(?:don't|do not) want to (?:be alive|live|exist|be here anymore|wake up|go on)`,
      String.raw`hang myself|slit my wrists?|cut my wrists?|so i (?:never|don't|won't) wake up|wish i (?:was|were) dead|wish i (?:could )?(?:die|disappear forever)`,
      String.raw`better off (?:dead|without me|if i (?:was|were) gone)|(?:nobody|no one|noone) would (?:even )?(?:notice|care|miss me) if i|no (?:reason|point) (?:to |in |of )?(?:live|living|life|going on|carrying on|being alive|being here)`,
      String.raw`(?:don't|can't|do not|cannot) see (?:the |any )?(?:point|reason) (?:to |in |of )?(?:live|living|life|going on|carrying on|being alive|being here)|what's the point (?:of|in) (?:living|life|going on|being alive)`,
    ],
    { firstPerson: true, notFollowedBy: String.raw`laughing|of (?:embarrassment|boredom|shame)` },
  ),
  c('self_harm_cut', String.raw`(?:hurt|hurting|harm|harming|cut|cutting|burn|burning|burnt|burned) myself`, {
    firstPerson: true,
    notFollowedBy: String.raw`shaving|cooking|chopping|slicing|peeling|on|by accident|accidentally|while|with the|at work|in the kitchen|gardening`,
  }),
  c(
    'self_harm',
    [
      String.raw`suicidal|kill (?:${SELF})|end (?:his|her|their) (?:own )?life|end it all|end everything|ending it all|want(?:s|ed)? to die|wanna die`,
      String.raw`(?:thinking|thought|thoughts|think|considering|contemplating|planning|plan|plans|attempt\w*|tried|try|commit\w*) (?:about |of |to )?(?:\S+ ){0,2}?(?:suicide|killing (?:${SELF})|ending (?:it|my life|things))`,
      String.raw`(?:can't|cannot) go on|not worth living|self harm\w*|hang (?:${SELF})|slit (?:his|her) wrists?|(?:hurt|hurting|cut|cutting) (?:himself|herself|themselves)`,
      String.raw`jump\w* (?:off|from|in front of) (?:a |the |this |that )?(?:bridge|building|roof|cliff|balcony|tower|train|car park|window|motorway)`,
      String.raw`(?:suicide|goodbye) (?:notes?|letters?)|(?:written|wrote|writing) (?:\S+ ){0,2}?(?:letters?|notes?) to (?:my|everyone)`,
      String.raw`take all (?:my|of my|his|her|the) (?:pills|tablets|meds|medication)|overdose on purpose`,
    ],
    { event: true, notFollowedBy: String.raw`laughing|of (?:embarrassment|boredom|shame)` },
  ),
  c(
    'self_harm_imminent',
    String.raw`tonight|right now|now|today|plan|planned|deep|took|taken|swallowed|bleeding|letters?|notes?|rope|gun|pills|tablets|bridge|goodbye`,
  ),

  // --- overdose / poisoning
  c(
    'overdose',
    [
      String.raw`overdos\w+|od'?d|oded`,
      String.raw`took (?:a |an |the )?(?:whole |entire |full |half a |half the )?(?:bottle|packet|pack|box|strip|handful|load|bunch|lot|stack|pile|tub) of`,
      String.raw`(?:took|taken|swallowed|ate|had|necked|downed) (?:about |around |over |like |maybe |roughly |approx |approximately |nearly |almost |at least |probably |possibly |something like )?(?:[1-9]\d+|ten|twelve|fifteen|twenty|thirty|forty|fifty|hundred|too many|lots of|loads of|a lot of|all (?:of )?(?:my|his|her|the)|a bunch of|a handful of|a whole|a load of|double|triple) (?:\S+ ){0,2}?(?:pills|tablets|capsules|paracetamol|tylenol|ibuprofen|aspirin|painkillers|sleeping|meds|medication|medicine|insulin|antidepressants|doses?)`,
      String.raw`(?:drank|drunk|swallowed|ate|eaten|drinking|licked|inhaled|sucked) (?:some |a |the |an |of |his |her |my |bottle of |some of )*(?:\S+'s )?(?:bleach|detergent|antifreeze|anti freeze|weed ?killer|weedkiller|pesticide|rat poison|cleaning \S+|washing \S+|dishwasher \S+|laundry \S+|capsule|pod|pods|button batter\w*|batter\w*|magnets?|poison\w*|chemicals?|petrol|gasoline|paraffin|kerosene|white spirit|drain cleaner|lighter fluid|e liquid)`,
      String.raw`button batter\w*|(?<!food |blood |lead )poisoned|(?<!food |blood |lead |carbon monoxide )poisoning|carbon monoxide`,
      String.raw`swallowed (?:some |a |one |a few |some of |one of |a couple of )?(?:\S+'s )?(?:\S+ )?(?:tablets|pills|medicine|medication|capsules)`,
    ],
    { event: true },
  ),

  // --- pregnancy
  c('pregnant', [
    String.raw`pregnant|pregnancy|expecting a baby|(?:first|second|third) trimester`,
    String.raw`(?:i'm|i am|she's|she is|we're|wife is|im) (?:only |about |nearly |almost )?\d{1,2} (?:weeks|wks|wk)(?! old| ago)`,
    String.raw`\d{1,2} (?:weeks|wks) (?:pregnant|gestation|along)`,
  ]),
  c('preterm', String.raw`(?:[1-2]?\d|3[0-6]) (?:weeks|wks)(?! old| ago)`),
  c('bleeding_any', String.raw`bleed\w*|blood|spotting`),
  c(
    'pregnancy_pain',
    String.raw`(?:severe|bad|terrible|awful|sharp|intense|excruciating|agonising|agonizing|extreme|unbearable|strong|stabbing) (?:\S+ ){0,2}?(?:pain|pains|cramps?|cramping)|pain on one side|one sided pain`,
  ),
  c(
    'severe_headache',
    String.raw`(?:severe|bad|terrible|awful|really bad|splitting|pounding|intense|worst|excruciating) (?:\S+ )?headache|headache (?:that )?(?:won't|will not|doesn't) go`,
  ),
  c(
    'vision_problem',
    String.raw`blurr\w* (?:vision|eyesight)|(?:vision|eyesight) (?:is |has gone |gone )?(?:blurr\w*|blurry|flashing|funny|strange|weird)|flashing lights|seeing (?:spots|stars|flashing)|spots (?:in front of|before) (?:my|her) eyes`,
  ),
  c('body_swelling', String.raw`(?:face|hands|feet|ankles|fingers|legs)(?: ${G}){0,2}? (?:swollen|swelling|puffy)|swollen (?:face|hands|feet)|sudden swelling`),
  c('preeclampsia_named', String.raw`pre ?eclampsia|eclampsia|hellp`, { event: true }),
  c('reduced_fetal_movements', [
    String.raw`(?:haven't|hasn't|have not|has not|not|didn't|can't|cannot|not been able to) (?:\S+ ){0,2}?(?:felt|feel|feeling) (?:the |my |her )?(?:baby|babies|bump) (?:move|moving|kick\w*)`,
    String.raw`baby (?:has |is |isn't |hasn't )?(?:stopped|not|isn't|hasn't|less|reduced) (?:moving|kicking|been moving|movements?)`,
    String.raw`(?:reduced|fewer|less|no|decreased) (?:fetal|foetal|baby|baby's) (?:movements?|kicks)`,
  ]),
  c('waters_broken', String.raw`waters? (?:have |has |just )?(?:broke|broken|breaking|went|gone)|(?:ruptured|rupture of) membranes`),
  c(
    'postpartum',
    String.raw`gave birth|given birth|giving birth|(?:had|delivered) (?:my|the|a|our) (?:baby|son|daughter)|postpartum|post partum|postnatal|post natal|since (?:the )?birth|after (?:the )?birth|c section|caesarean|cesarean`,
  ),
  c(
    'soaking_pads',
    String.raw`soak\w* (?:through )?(?:a |one |my |the )?(?:pad|pads|towel|sanitary)|(?:pad|pads) (?:\S+ ){0,2}?(?:every|an|each) (?:hour|hr)|(?:large|big|golf ball) (?:blood )?clots|passing clots`,
  ),

  // --- infant
  c('young_infant', [
    String.raw`newborn|new born|neonate`,
    String.raw`(?:[0-9]|1[0-2]|${NUM_WORD}) (?:weeks?|wks?) old`,
    String.raw`(?:\d{1,2}|a|${NUM_WORD}|few) days? old`,
    String.raw`(?:1|2|one|two|a) months? old`,
    String.raw`under (?:3|three) months`,
  ]),
  c('baby', String.raw`baby|babies|baby's|infant|toddler|newborn|new born|little one|\d{1,2} months? old|(?:[0-9]|1[0-2]) (?:weeks?|days?) old`),
  c('infant_danger', [
    String.raw`floppy|(?:is|gone|went|seems|looks|feels|and|very|completely|all) limp`,
    String.raw`(?:won't|will not|can't|cannot|isn't|not|doesn't|hard to|difficult to) (?:wake|waking|rouse|stay awake)|unrousable`,
    String.raw`(?:bulging|swollen|raised|tense) (?:soft spot|fontanelle|fontanel)`,
    String.raw`(?:soft spot|fontanelle|fontanel)(?: ${G}){0,5}? (?:bulging|bulges|bulge|swollen|raised|tense|sticking out|puffed up)`,
    String.raw`high pitched (?:cry|crying|scream\w*)|(?:weak|continuous|constant) (?:high pitched )?(?:cry|crying)`,
  ]),
  c(
    'not_feeding',
    String.raw`(?:isn't|is not|not|won't|will not|refus\w*|stopped|hasn't|has not|doesn't|does not|didn't) (?:\S+ )?(?:feeding|feed|feeds|eating|drinking|taking (?:milk|feeds|the bottle|the breast|any milk))`,
  ),
  c('very_sleepy', String.raw`(?:very|really|unusually|extremely|so|abnormally) (?:sleepy|drowsy|lethargic|tired)|lethargic|hard to wake|drowsy`),

  // --- head injury
  c(
    'head_injury',
    [
      String.raw`(?:hit|banged|bumped|knocked|hurt|injured|smashed|bashed|struck|cracked) (?:\S+ )?(?:${POSS} )?head`,
      String.raw`head (?:injury|injuries|wound|trauma)|concussion|concussed`,
      String.raw`(?:fell|fall|fallen) (?:\S+ ){0,4}?(?:on|onto|hit|landed on) (?:${POSS} )?head`,
    ],
    { event: true },
  ),
  c('head_injury_sign', [
    String.raw`vomit\w*|(?:been|being|was) sick|sick (?:twice|again|\S+ times)|threw up|throwing up|confus\w*|drowsy|sleepy|unconscious|knocked out|passed out|seizure|fitting`,
    String.raw`clear fluid|(?:blood|fluid) (?:from|coming out of) (?:${POSS} )?(?:ears?|nose)|(?:can't|cannot|doesn't) remember|memory loss|slurr\w*|unequal pupils|double vision|blurred vision`,
  ]),

  // --- thunderclap headache
  c('thunderclap', [
    String.raw`worst headache|thunderclap`,
    String.raw`(?:sudden|suddenly|out of nowhere)(?: ${G}){0,3}? (?:severe|excruciating|agonising|agonizing|explosive|intense|terrible|blinding|splitting|worst)(?: ${G}){0,2}? (?:headache|head pain|pain in (?:my|his|her) head)`,
    String.raw`(?:headache|head pain)(?: ${G}){0,5}? like (?:being )?(?:hit|struck|kicked|a bang|an explosion)`,
  ]),

  // --- burns
  c('burn_severe', [
    String.raw`burns? (?:\S+ ){0,3}?(?:covers?|covering|all over|over) (?:${POSS} )?(?:whole |entire |most of |half )?(?:\S+ )?(?:chest|back|body|face|arm|leg|torso|stomach|tummy)`,
    String.raw`(?:large|big|severe|deep|serious|huge|major|third degree|3rd degree|full thickness) burns?|chemical burns?`,
    String.raw`(?:acid|alkali|bleach|drain cleaner|oven cleaner) (?:\S+ ){0,3}?(?:in|on|over) (?:${POSS} )?(?:face|eyes?)`,
    String.raw`burns? (?:on|to) (?:${POSS} )?(?:face|eyes?|genitals|airway|mouth|throat)`,
    String.raw`(?:boiling|scalding) (?:hot )?(?:water|oil|fat) (?:\S+ ){0,2}?(?:over|all over|down|onto|on) (?:him|her|them|himself|herself|myself|my|his|the baby|their)`,
    String.raw`scald\w* (?:\S+ ){0,3}?(?:chest|face|body|whole|back|tummy)|electric(?:al)? (?:shock|burns?)|electrocut\w*|caught fire|smoke inhalation|inhaled (?:\S+ )?smoke`,
  ]),

  // --- testicular torsion
  c('testicular', [
    String.raw`torsion|twisted (?:testicle|testis)`,
    near(String.raw`sudden|suddenly|severe|agonising|agonizing|excruciating|intense|unbearable|extreme`, TESTIS, 5),
  ]),

  // --- diabetic emergencies
  c('diabetic', String.raw`diabetic|diabetes|type (?:1|one)|t1d|insulin`),
  c(
    'ketones_high',
    String.raw`ketones?(?: ${G}){0,2}? (?:high|raised|very high|over|above|\d+(?:[.,]\d+)?)|high ketones|fruity (?:smelling )?breath|breath smells (?:fruity|of pear drops|like pear drops)|pear drops`,
  ),
  c('dka_named', String.raw`ketoacidosis|dka`, { event: true }),
  c(
    'low_sugar',
    String.raw`(?:blood sugars?|sugars?|glucose|blood glucose|bg|bm)(?: levels?| reading)? (?:is |was |of |at |reading |reads |down to |dropped to |only |just )*(?:[0-2](?:[.,]\d+)?|3(?:[.,][0-4])?)(?! ?(?:mg|years|yrs|weeks|mins|minutes|hours|days))|hypo|hypos|hypoglyc\w*|low blood sugar|blood sugar (?:is |was )?(?:very |really )?low`,
  ),
  c(
    'hypo_sign',
    String.raw`confus\w*|drowsy|unconscious|unresponsive|not making sense|(?:can't|cannot|won't|unable to) (?:swallow|eat|drink|wake)|fitting|seizure|collapsed|sweaty|slurr\w*|aggressive`,
  ),
  c('fast_breathing', String.raw`breathing (?:really |very )?(?:fast|quickly|rapidly|deeply|heavily)|rapid breathing|deep sighing breaths`),
  c('vomiting', String.raw`vomit\w*|being sick|throwing up|threw up|can't keep (?:anything|fluids) down`),

  // --- sepsis
  c('infection_sign', String.raw`fever\w*|feverish|high temp\w*|shiver\w*|rigors?|chills|infection|infected|septic`),
  c('sepsis_sign', [
    String.raw`mottled|blotchy (?:\S+ ){0,2}?(?:skin|mottled|blue|pale)|skin (?:\S+ ){0,3}?(?:mottled|blotchy|bluish|blue|grey|gray|ashen)`,
    String.raw`(?:going to|gonna|about to) die|never felt (?:this|so) (?:ill|unwell|sick)`,
    String.raw`(?:not|haven't|hasn't) (?:\S+ )?(?:peed|passed urine|weed|urinated)|(?:very|really|extremely) (?:breathless|confused)`,
  ]),
  c('sepsis_named', String.raw`sepsis|septic shock`, { event: true }),

  // --- acute abdomen
  c('abdo_extreme', [
    then(
      String.raw`agonising|agonizing|excruciating|unbearable|worst|crippling|screaming|doubled over|doubled up`,
      String.raw`stomach|abdominal|abdomen|belly|tummy`,
      3,
    ),
    then(String.raw`stomach|abdominal|belly|tummy`, String.raw`agonising|agonizing|excruciating|unbearable`, 3),
  ]),
  c(
    'rigid_abdomen',
    String.raw`(?:belly|stomach|tummy|abdomen) (?:is |feels |has gone |gone )?(?:\S+ )?(?:rock hard|rigid|hard as (?:a )?(?:board|rock)|board like)`,
  ),

  // --- explicit request
  // "…do I use the EpiPen first or call 999", "when to call 911": calling is one option of a question,
  // not a request (the findings of a real emergency in the same message fire their own rules).
  c(
    'explicit_request',
    String.raw`(?:call|need|get|send|calling|ring|phone) (?:an |the |a )?ambulance|(?:call|calling|dial|dialling|dialing|ring|phone) (?:999|911|112)|medical emergency|(?:this|it) is an emergency`,
    {
      // "…do I call 999 or 111?": calling offered as one of two options is a question.
      notFollowedBy: String.raw`or`,
      notPrecededBy: String.raw`or|whether to|whether i should|when to|when do i|when should i|when do you|when should you|when would you|when you|when (?:i|we|you|one|do we|should we|does one) (?:must|should|need to|have to|ought to|would|can)`,
    },
  ),
];

// ---------------------------------------------------------------------------------------------
// Rules

function r(id: string, level: EmergencyLevel, all: string[]): Rule {
  const category = id.slice(0, id.indexOf('.')) as EmergencyCategory;
  return { id, category, level, all };
}

export const RULES: Rule[] = [
  r('cardiac.heart_attack', 'emergency_ambulance', ['heart_attack']),
  r('cardiac.chest_pain_radiation', 'emergency_ambulance', ['chest_pain', 'radiation']),
  r('cardiac.chest_pain_sweating', 'emergency_ambulance', ['chest_pain', 'sweating']),
  r('cardiac.chest_pain_breathless', 'emergency_ambulance', ['chest_pain', 'breathless']),
  r('cardiac.chest_pain_cant_breathe', 'emergency_ambulance', ['chest_pain', 'cant_breathe']),
  r('cardiac.crushing_chest_pain', 'emergency_ambulance', ['chest_severe']),
  r('cardiac.clutching_chest', 'emergency_ambulance', ['clutch_chest']),
  r('cardiac.chest_pain', 'consultation_24', ['chest_pain']),

  r('stroke.named', 'emergency_ambulance', ['stroke_named']),
  r('stroke.face_droop', 'emergency_ambulance', ['face_droop']),
  r('stroke.one_sided_weakness', 'emergency_ambulance', ['one_sided']),
  r('stroke.speech', 'emergency_ambulance', ['slurred']),
  r('stroke.sudden_weakness', 'emergency_ambulance', ['sudden_weakness']),
  r('stroke.sudden_confusion', 'emergency_ambulance', ['sudden_confusion']),
  r('stroke.vision_loss', 'emergency', ['vision_loss']),

  r('breathing.cant_breathe', 'emergency_ambulance', ['cant_breathe']),
  r('breathing.choking', 'emergency_ambulance', ['choking']),
  r('breathing.blue', 'emergency_ambulance', ['blue']),
  r('breathing.cant_speak', 'emergency_ambulance', ['cant_speak_breathless']),
  r('breathing.inhaler_not_working', 'emergency_ambulance', ['inhaler_fail']),
  r('breathing.recession', 'emergency_ambulance', ['recession']),
  r('breathing.infant_grunting', 'emergency_ambulance', ['baby', 'grunting']),

  r('anaphylaxis.named', 'emergency_ambulance', ['anaphylaxis_named']),
  r('anaphylaxis.throat_swelling', 'emergency_ambulance', ['throat_swelling']),
  r('anaphylaxis.swelling_after_allergen', 'emergency_ambulance', ['lips_face_swelling', 'allergen']),

  r('bleeding.severe', 'emergency_ambulance', ['bleeding_severe']),
  r('bleeding.vomiting_blood', 'emergency', ['vomit_blood']),
  r('bleeding.coughing_blood', 'emergency', ['cough_blood']),
  r('bleeding.black_stool', 'emergency', ['black_stool']),

  r('unconscious.unresponsive', 'emergency_ambulance', ['unconscious']),

  r('seizure.active', 'emergency_ambulance', ['seizure']),

  r('meningitis.fever_stiff_neck', 'emergency', ['fever', 'stiff_neck']),
  r('meningitis.non_blanching_rash', 'emergency', ['non_blanching']),
  r('meningitis.fever_non_blanching_rash', 'emergency_ambulance', ['fever', 'non_blanching']),
  r('meningitis.stiff_neck_photophobia', 'emergency', ['stiff_neck', 'photophobia', 'headache']),
  r('meningitis.named', 'emergency', ['meningitis_named']),

  r('self_harm.intent', 'emergency', ['self_harm_intent']),
  r('self_harm.ideation', 'emergency', ['self_harm']),
  r('self_harm.self_injury', 'emergency', ['self_harm_cut']),
  r('self_harm.imminent', 'emergency_ambulance', ['self_harm_intent', 'self_harm_imminent']),
  r('self_harm.self_injury_imminent', 'emergency_ambulance', ['self_harm_cut', 'self_harm_imminent']),
  r('self_harm.imminent_other', 'emergency_ambulance', ['self_harm', 'self_harm_imminent']),

  r('overdose.ingestion', 'emergency_ambulance', ['overdose']),

  r('pregnancy.heavy_bleeding', 'emergency_ambulance', ['pregnant', 'bleeding_severe']),
  r('pregnancy.bleeding', 'consultation_24', ['pregnant', 'bleeding_any']),
  r('pregnancy.severe_pain', 'emergency', ['pregnant', 'pregnancy_pain']),
  r('pregnancy.reduced_fetal_movements', 'emergency', ['reduced_fetal_movements']),
  r('pregnancy.preeclampsia_headache_vision', 'emergency', ['pregnant', 'severe_headache', 'vision_problem']),
  r('pregnancy.preeclampsia_headache_swelling', 'emergency', ['pregnant', 'severe_headache', 'body_swelling']),
  r('pregnancy.preeclampsia_vision_swelling', 'emergency', ['pregnant', 'vision_problem', 'body_swelling']),
  r('pregnancy.preeclampsia_named', 'emergency', ['preeclampsia_named']),
  r('pregnancy.preeclampsia_sign', 'consultation_24', ['pregnant', 'severe_headache']),
  r('pregnancy.preeclampsia_vision', 'consultation_24', ['pregnant', 'vision_problem']),
  r('pregnancy.seizure', 'emergency_ambulance', ['pregnant', 'seizure']),
  r('pregnancy.preterm_waters', 'emergency', ['waters_broken', 'preterm']),
  r('pregnancy.waters_broken', 'consultation_24', ['waters_broken']),
  r('pregnancy.postpartum_haemorrhage', 'emergency_ambulance', ['postpartum', 'soaking_pads']),
  r('pregnancy.postpartum_heavy_bleeding', 'emergency_ambulance', ['postpartum', 'bleeding_severe']),
  r('pregnancy.soaking_pads', 'emergency_ambulance', ['pregnant', 'soaking_pads']),

  r('infant.young_infant_fever', 'emergency', ['young_infant', 'fever']),
  r('infant.danger_sign', 'emergency_ambulance', ['baby', 'infant_danger']),
  r('infant.not_feeding_sleepy', 'emergency', ['young_infant', 'not_feeding', 'very_sleepy']),
  r('infant.young_infant_not_feeding', 'consultation_24', ['young_infant', 'not_feeding']),
  r('infant.non_blanching_rash', 'emergency_ambulance', ['baby', 'non_blanching']),

  r('head_injury.with_red_flag', 'emergency', ['head_injury', 'head_injury_sign']),
  r('head_injury.any', 'consultation_24', ['head_injury']),

  r('thunderclap_headache.sudden_worst', 'emergency_ambulance', ['thunderclap']),

  r('burns.severe', 'emergency', ['burn_severe']),

  r('testicular_torsion.sudden_pain', 'emergency', ['testicular']),

  r('dka.named', 'emergency', ['dka_named']),
  r('dka.ketones', 'emergency', ['diabetic', 'ketones_high']),
  r('dka.vomiting_fast_breathing', 'emergency', ['diabetic', 'vomiting', 'fast_breathing']),

  r('hypoglycaemia.severe', 'emergency_ambulance', ['low_sugar', 'hypo_sign']),

  r('sepsis.signs', 'emergency_ambulance', ['infection_sign', 'sepsis_sign']),
  r('sepsis.named', 'emergency_ambulance', ['sepsis_named']),

  r('acute_abdomen.rigid', 'emergency_ambulance', ['rigid_abdomen']),
  r('acute_abdomen.extreme_pain', 'emergency', ['abdo_extreme']),

  r('explicit_request.ambulance', 'emergency', ['explicit_request']),
];

// ---------------------------------------------------------------------------------------------
// Advice

export const CATEGORY_ADVICE: Record<EmergencyCategory, string> = {
  cardiac:
    'These can be signs of a heart attack. Sit down and rest; if you are not allergic and a clinician has not told you otherwise, chew one 300 mg aspirin. Do not drive yourself.',
  stroke: 'These can be signs of a stroke (FAST: Face, Arms, Speech, Time). Note the time the symptoms started. Do not give food, drink or medicines.',
  breathing:
    'Severe breathing difficulty is life-threatening. Sit upright, loosen tight clothing, use a reliever inhaler if prescribed. For choking: encourage coughing, then up to 5 back blows and 5 abdominal thrusts (chest thrusts for babies).',
  anaphylaxis:
    'This may be anaphylaxis. Use an adrenaline auto-injector (EpiPen) now if one is available, lie down with legs raised (sit up if breathing is hard); a second dose can be given after 5 minutes if there is no improvement.',
  bleeding:
    'Press firmly on the wound with a clean cloth and keep the pressure on; raise the injured part if possible. Vomiting or coughing up blood needs urgent hospital assessment.',
  unconscious:
    'Check for breathing. If the person is not breathing normally, start CPR (30 compressions, 2 breaths) and follow the call handler’s instructions. If breathing, place them in the recovery position.',
  seizure:
    'Keep the person safe: move hard objects away, cushion the head, do not put anything in the mouth or restrain them. Time the seizure; once it stops, put them in the recovery position.',
  meningitis:
    'Fever with a stiff neck, light sensitivity or a rash that does not fade under a glass can be meningitis or sepsis, which get worse within hours.',
  self_harm:
    'You don’t have to go through this alone. If you are in immediate danger or have hurt yourself, call your local emergency number now. You can also talk to a crisis line right away, any time — they listen without judging. If you can, stay with someone you trust and move away from anything you could use to hurt yourself.',
  overdose:
    'Do not make the person vomit. Keep the packet or bottle to show the ambulance crew or poison centre, and note the time and amount taken. If they become unresponsive, check breathing and start CPR if needed.',
  pregnancy:
    'These are danger signs in pregnancy or after birth. Contact emergency services or go to your maternity unit / labour ward now, and bring your maternity notes.',
  infant:
    'Young babies can become seriously ill quickly. A baby under 3 months with a temperature of 38 °C or more, or a floppy, unusually sleepy or hard-to-wake baby, needs urgent medical assessment now.',
  head_injury:
    'After a head injury, vomiting, confusion, drowsiness, a fit or fluid from the ears or nose need urgent assessment at an emergency department. Do not let the person drive.',
  thunderclap_headache: 'A sudden, very severe headache ("the worst ever") can be a bleed on the brain and needs emergency assessment.',
  burns:
    'Cool the burn under cool running water for 20 minutes, remove jewellery and clothing that is not stuck, and cover loosely with cling film. Chemical burns: rinse with plenty of water.',
  testicular_torsion:
    'Sudden severe testicular pain can be torsion, which must be treated within hours to save the testicle. Go to an emergency department now.',
  dka: 'High ketones with vomiting or fast breathing can be diabetic ketoacidosis, which needs hospital treatment now. Keep taking insulin and bring your meter.',
  hypoglycaemia:
    'Very low blood sugar with confusion or drowsiness is an emergency. If the person can swallow safely, give fast-acting sugar (glucose tablets, juice); never give anything by mouth if they are drowsy or unconscious — use glucagon if available.',
  sepsis: 'An infection with mottled skin, confusion, very fast breathing or "feeling like you are going to die" can be sepsis, which is life-threatening.',
  acute_abdomen: 'Sudden agonising abdominal pain or a rigid, board-hard abdomen needs emergency assessment. Do not eat or drink until seen.',
  explicit_request: 'If you think this is an emergency, do not wait for an online reply.',
};

export const CRISIS_RESOURCES = [
  { name: 'Local emergency number', contact: '112 (EU and most countries) / 911 (US, Canada) / 999 (UK)' },
  { name: '988 Suicide & Crisis Lifeline (US)', contact: 'Call or text 988, or chat at 988lifeline.org' },
  { name: 'Samaritans (UK & Ireland)', contact: 'Call 116 123 (free, 24/7) or email jo@samaritans.org' },
] as const;
