// Typed errors of the symptom-checker engine. The HTTP layer maps `status` (a suggested HTTP
// status) and `code` into an application/problem+json reply; nothing here is a 5xx.

export type SymptomCheckerErrorCode =
  /** Malformed input (wrong types). */
  | 'INVALID_INPUT'
  /** No symptoms, no text, no evidence. */
  | 'EMPTY_INPUT'
  /** Age missing, not a number, < 0 or > 120. */
  | 'INVALID_AGE'
  /** Sex not `male` or `female`. */
  | 'INVALID_SEX'
  /** The start input contradicts itself ("fever" listed and "no fever" in text; pregnant male). */
  | 'CONTRADICTORY_INPUT'
  /** An answer to a question that was never asked. */
  | 'QUESTION_NOT_ASKED'
  /** A different answer to a question already answered. */
  | 'CONTRADICTORY_ANSWER'
  /** A value that is not valid for the question (yes/no vs an option id). */
  | 'INVALID_ANSWER_VALUE'
  /** The interview has stopped; no further questions are accepted. */
  | 'INTERVIEW_FINISHED'
  /** A stored state that cannot be read (corrupt, or from another engine version). */
  | 'INVALID_STATE'
  /** Feedback naming a condition that is not in the knowledge base, or malformed feedback. */
  | 'INVALID_FEEDBACK';

const STATUS: Record<SymptomCheckerErrorCode, number> = {
  INVALID_INPUT: 400,
  EMPTY_INPUT: 422,
  INVALID_AGE: 422,
  INVALID_SEX: 422,
  CONTRADICTORY_INPUT: 422,
  QUESTION_NOT_ASKED: 409,
  CONTRADICTORY_ANSWER: 409,
  INVALID_ANSWER_VALUE: 422,
  INTERVIEW_FINISHED: 409,
  INVALID_STATE: 422,
  INVALID_FEEDBACK: 422,
};

export class SymptomCheckerError extends Error {
  readonly code: SymptomCheckerErrorCode;
  /** Suggested HTTP status (400, 409 or 422). */
  readonly status: number;
  /** Where the problem is, for problem+json `errors: [{path, message}]`. */
  readonly path: string | undefined;

  constructor(code: SymptomCheckerErrorCode, message: string, path?: string) {
    super(message);
    this.name = 'SymptomCheckerError';
    this.code = code;
    this.status = STATUS[code];
    this.path = path;
  }
}

export function isSymptomCheckerError(e: unknown): e is SymptomCheckerError {
  return e instanceof SymptomCheckerError;
}
