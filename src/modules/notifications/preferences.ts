import { DateTime, IANAZone } from 'luxon';
import { NOTIFICATION_TYPES, type NotificationType } from './templates.js';

export interface ChannelSwitches {
  in_app: boolean;
  email: boolean;
  push: boolean;
}

export interface Preferences {
  /** Null: the account's time zone. */
  time_zone: string | null;
  quiet_hours: { start: string; end: string } | null;
  channels: Record<NotificationType, ChannelSwitches>;
}

/** Everything on by default; the user turns channels off per type. */
export function defaultChannels(): Record<NotificationType, ChannelSwitches> {
  return Object.fromEntries(NOTIFICATION_TYPES.map((t) => [t, { in_app: true, email: true, push: true }])) as Record<NotificationType, ChannelSwitches>;
}

/** Stored switches over the defaults (types added later default to on). */
export function effectiveChannels(stored: Record<string, Partial<ChannelSwitches>> | null | undefined): Record<NotificationType, ChannelSwitches> {
  const channels = defaultChannels();
  for (const type of NOTIFICATION_TYPES) Object.assign(channels[type], stored?.[type] ?? {});
  return channels;
}

export function isValidZone(zone: string): boolean {
  return IANAZone.isValidZone(zone);
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/**
 * When a non-urgent email or push may go out: `now`, or the end of the quiet hours (in the
 * user's IANA zone, DST-correct) if `now` falls inside them. Windows may cross midnight
 * ("22:00"–"07:00"); start == end means no quiet hours.
 */
export function quietUntil(now: Date, quiet: { start: string; end: string } | null, timeZone: string): Date {
  if (!quiet) return now;
  const start = minutesOf(quiet.start);
  const end = minutesOf(quiet.end);
  if (start === end) return now;
  const local = DateTime.fromJSDate(now, { zone: timeZone });
  const minute = local.hour * 60 + local.minute;
  const inside = start < end ? minute >= start && minute < end : minute >= start || minute < end;
  if (!inside) return now;
  let endAt = local.set({ hour: Math.floor(end / 60), minute: end % 60, second: 0, millisecond: 0 });
  if (endAt <= local) endAt = endAt.plus({ days: 1 });
  return endAt.toJSDate();
}
