import { AppError } from '../../platform/errors.js';

/** Writing to a room the caller has left: they know it exists, so this is a 403 with its own code. */
export class RoomLeftError extends AppError {
  constructor() {
    super(403, 'Forbidden', 'You have left this chat room; you can no longer post in it.', undefined, 'room-left');
  }
}

/**
 * Sharing a patient's file into a room where someone may not see that patient's data (review:
 * a doctor sharing a chart file with a colleague who has no care relationship). The sender
 * may read the file and is in the room, so a 403 tells them nothing new.
 */
export class FileShareRefusedError extends AppError {
  constructor() {
    super(
      403,
      'Forbidden',
      "This file is part of a patient's record, and not everyone in this room may see that patient's data. Share it only where every participant may (docs/SECURITY.md).",
      undefined,
      'file-share-refused',
    );
  }
}

/** Maps an application error to the `code` of a socket `error` frame. */
export function frameErrorCode(err: AppError): string {
  if (err.code === 'room-left') return 'room_left';
  switch (err.status) {
    case 400:
      return 'bad_request';
    case 401:
      return 'unauthenticated';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 409:
      return 'conflict';
    case 413:
      return 'message_too_large';
    case 422:
      return 'invalid';
    case 429:
      return 'rate_limited';
    default:
      return 'unavailable';
  }
}
