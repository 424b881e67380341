import type { AppointmentDto } from './scheduling.schemas.js';

/** iCalendar (RFC 5545) text for one appointment. */

/** TEXT escaping (RFC 5545 §3.3.11). */
function escapeText(value: string): string {
  // Every line break (CRLF, bare LF and bare CR) becomes \\n, and other control characters,
  // which TEXT may not hold, are dropped: no input can start a new property line (issue 11).
  return (
    value
      .replace(/\\/g, '\\\\')
      .replace(/;/g, '\\;')
      .replace(/,/g, '\\,')
      .replace(/\r\n|\r|\n/g, '\\n')
      // eslint-disable-next-line no-control-regex -- RFC 5545 text may not carry control characters
      .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '')
  );
}

/** Lines longer than 75 octets are folded with CRLF + space (§3.1), never inside a UTF-8 sequence. */
function fold(line: string): string {
  const bytes = Buffer.from(line, 'utf8');
  if (bytes.length <= 75) return line;
  const parts: string[] = [];
  let current = '';
  let size = 0;
  let limit = 75;
  for (const char of line) {
    const n = Buffer.byteLength(char, 'utf8');
    if (size + n > limit) {
      parts.push(current);
      current = '';
      size = 0;
      limit = 74; // continuation lines start with a space
    }
    current += char;
    size += n;
  }
  parts.push(current);
  return parts.join('\r\n ');
}

function utcStamp(isoTime: string): string {
  return new Date(isoTime)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

const TYPE_LABEL: Record<string, string> = { video: 'Video consultation', in_person: 'In-person consultation', chat: 'Chat consultation' };

export function appointmentToIcs(a: AppointmentDto, options: { host: string; now?: Date }): string {
  const status = a.status === 'cancelled' || a.status === 'no_show' ? 'CANCELLED' : a.status === 'scheduled' ? 'TENTATIVE' : 'CONFIRMED';
  const description = [`${TYPE_LABEL[a.type] ?? a.type} with ${a.doctor_name}.`, a.reason ? `Reason: ${a.reason}` : null, `Patient: ${a.patient_name}`]
    .filter(Boolean)
    .join('\n');
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//CareBridge//Scheduling//EN',
    'CALSCALE:GREGORIAN',
    'METHOD:PUBLISH',
    'BEGIN:VEVENT',
    `UID:${a.id}@${options.host}`,
    `DTSTAMP:${utcStamp((options.now ?? new Date()).toISOString())}`,
    `DTSTART:${utcStamp(a.start)}`,
    `DTEND:${utcStamp(a.end)}`,
    `SEQUENCE:${a.reschedule_count + (a.status === 'cancelled' ? 1 : 0)}`,
    `STATUS:${status}`,
    `SUMMARY:${escapeText(`${TYPE_LABEL[a.type] ?? 'Appointment'} with ${a.doctor_name}`)}`,
    `DESCRIPTION:${escapeText(description)}`,
    ...(a.type === 'in_person' ? [] : [`LOCATION:${escapeText('CareBridge online')}`]),
    `LAST-MODIFIED:${utcStamp(a.updated_at)}`,
    'END:VEVENT',
    'END:VCALENDAR',
  ];
  return lines.map(fold).join('\r\n') + '\r\n';
}
