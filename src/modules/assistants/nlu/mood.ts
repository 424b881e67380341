import { normalize } from './text.js';

/**
 * The mood of a message: a question, a request, a plain yes. Writes depend on it (security
 * review M4): a question never executes a write — "Is Friday busy?" asks about the diary, it does
 * not block Friday — and a confirmation is a plain affirmative statement, not "ok, is that Friday?".
 */

/** Words that open a question when they start the message (auxiliaries and wh-words). */
const QUESTION_OPENERS =
  /^(?:so |and |but |ok |okay |hey |hi |doctor |doc |um |erm |uh |well )?(is|are|am|was|were|isnt|arent|wasnt|do|does|did|dont|doesnt|didnt|have|has|had|havent|hasnt|can|could|cant|cannot|couldnt|will|would|wont|wouldnt|shall|should|shouldnt|may|might|must|what|whats|when|whens|where|wheres|which|who|whos|whom|whose|why|whys|how|hows|any|anything|anyone|anybody)\b/;

/**
 * Polite request forms ("can you block…", "could you cancel…", "can I book…", "please …"): asked as
 * questions, meant as requests. They may start a task, which then waits for a yes like any other.
 */
const REQUEST_FORMS =
  /^(?:please |pls |plz |kindly |so |ok |okay )?(?:can|could|would|will|cud|cn) (?:you|u|ya)\b|^(?:please |so )?(?:can|could|may|cud|cn) (?:i|we) (?:please )?(?:book|get|have|make|cancel|move|reschedule|change|block|add|open|take|see|set|schedule|put|prescribe|write|note|record|clear|free|shift|swap|push|postpone)\b|\b(please|pls|plz|kindly)\b|^(?:i|we) (?:want|need|would like|wanna|d like)\b|^id like\b/;

/** True when the message is put as a question (a question mark, or an opening auxiliary / wh-word). */
export function isQuestion(message: string): boolean {
  if (/\?/.test(message)) return true;
  return QUESTION_OPENERS.test(normalize(message));
}

/** A request put politely as a question ("can you block Friday?") — still a request, still confirmed before anything is written. */
export function isRequestForm(message: string): boolean {
  return REQUEST_FORMS.test(normalize(message));
}

/** A question that is not a polite request: it may be answered from data but must never change any. */
export function isPlainQuestion(message: string): boolean {
  return isQuestion(message) && !isRequestForm(message);
}

const YES_START =
  /^(yes|yeah|yea|yep|yup|ya|yh|sure|ok|okay|k|kk|confirm|confirmed|do it|go ahead|go for it|please do|correct|affirmative|absolutely|of course|definitely|sounds good|that s right|thats right|book it|cancel it|block it|add it|move it|prescribe it|yes please|proceed|go on|approve|approved|y|si|oui|ja)\b/;
/** Words that are a yes only on their own ("please", "fine"): "please show my other times" is not a yes. */
const YES_ALONE = /^(please|fine|right|good|great|perfect|alright|all right|that one|that works|works for me|done|agreed|agree)$/;
/** A condition or change after the yes makes it no plain yes ("yes but not Friday", "ok wait"). */
const YES_BUT = /\b(but|not|dont|wait|instead|change|except|unless|rather|actually|hold on|hang on|no)\b/;

/**
 * A plain affirmative answer to a yes/no question: "yes", "ok go ahead", "sure, do it". Not a
 * question ("yes?", "ok is that Friday?"), not a conditional or changed yes ("yes but Thursday").
 * `text` is the normalised message.
 */
export function confirms(message: string, text = normalize(message)): boolean {
  if (isQuestion(message)) return false;
  if (YES_ALONE.test(text)) return true;
  if (!YES_START.test(text)) return false;
  return !YES_BUT.test(text.replace(YES_START, ''));
}
