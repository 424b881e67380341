/**
 * WebSocket frames shared by every socket endpoint (chat, video, notifications): the
 * application close codes and the parsing of one client JSON frame.
 */
import type { RawData } from 'ws';
import type { Compile } from 'typebox/compile';

/** WebSocket close codes (4000–4999 are the application's range). */
export const CLOSE = {
  /** Missing, invalid or expired token (also mid-connection, when the access token expires). */
  unauthenticated: 4401,
  /** Authenticated but not allowed (e.g. /chat/ws/{user_id} for another user, video room not yours). */
  forbidden: 4403,
  /** Unknown video room. */
  notFound: 4404,
  /** Too many frames too fast. */
  flood: 4429,
  /** Outside the appointment's time window. */
  outsideWindow: 4409,
  /** The server is shutting down: reconnect (to another instance) and `resume`. */
  goingAway: 1001,
} as const;

function containsNul(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (depth > 32 || typeof value !== 'object' || value === null) return false;
  for (const [key, item] of Object.entries(value)) if (key.includes('\u0000') || containsNul(item, depth + 1)) return true;
  return false;
}

/**
 * Parses and validates one client frame against the schema of its `type` (`known`: the
 * compiled schemas of the socket's frame types); returns the frame or an error frame body.
 */
export function parseFrame<F = { type: string } & Record<string, unknown>>(
  data: RawData,
  isBinary: boolean,
  maxBytes: number,
  known: Record<string, ReturnType<typeof Compile>>,
): { frame: F } | { error: { code: string; detail: string } } {
  if (isBinary) return { error: { code: 'binary_not_supported', detail: 'Frames are JSON text; binary frames are not accepted.' } };
  const size = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : (data as Buffer | ArrayBuffer).byteLength;
  if (size > maxBytes) return { error: { code: 'frame_too_large', detail: `A frame is at most ${maxBytes} bytes.` } };
  let parsed: unknown;
  try {
    parsed = JSON.parse(Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as Buffer).toString('utf8'));
  } catch {
    return { error: { code: 'invalid_json', detail: 'The frame is not valid JSON.' } };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || typeof (parsed as { type?: unknown }).type !== 'string') {
    return { error: { code: 'invalid_frame', detail: 'A frame is a JSON object with a string "type".' } };
  }
  // No text column can hold a NUL character and no legitimate client sends one: bad input,
  // as in HTTP bodies (app.ts), answered with an error frame before it reaches the database.
  if (containsNul(parsed)) return { error: { code: 'invalid_frame', detail: 'The frame contains a NUL character (\\u0000), which is not accepted.' } };
  const type = (parsed as { type: string }).type;
  const validator = known[type];
  if (!validator)
    return { error: { code: 'unknown_type', detail: `Unknown frame type "${type.slice(0, 40)}"; expected one of ${Object.keys(known).join(', ')}.` } };
  if (!validator.Check(parsed)) {
    const first = [...validator.Errors(parsed)][0];
    return {
      error: {
        code: 'invalid_frame',
        detail: `Invalid "${type}" frame: ${first ? `${first.instancePath || '/'} ${first.message}` : 'does not match its schema'}.`,
      },
    };
  }
  return { frame: parsed as F };
}
