import { DateTime } from 'luxon';
import { htmlFromText } from '../../platform/mail.js';

/** Every event type a user can be notified of (the keys of the preferences' `channels`). */
export const NOTIFICATION_TYPES = [
  'appointment_booked',
  'appointment_rescheduled',
  'appointment_cancelled',
  'appointment_reminder',
  'prescription_created',
  'lab_result_abnormal',
  'chat_message',
  'waitlist_offer',
  'account_approved',
  'emergency_alert',
] as const;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];

export interface Recipient {
  name: string;
  timeZone: string;
  /** The recipient's role: a clinician's email and push about a patient stay minimal. */
  role?: string;
}

/**
 * How much email and push (channels outside the portal's access rules: mail servers, mail
 * clients, lock screens) say about *another* person (NOTIFICATION_EMAIL_DETAIL). `minimal`
 * (the default): a clinician is told that something happened and when, never who ("You have a
 * new appointment on … — sign in to see details"); `names`: a clinician's appointment email and
 * push name the patient too. A patient's own messages may name their own doctor and time in
 * both modes; clinical content (drugs, values, message text, symptoms) is never sent.
 */
export type OutsideDetail = 'minimal' | 'names';

export interface Rendered {
  /** In-app and push. */
  title: string;
  body: string;
  /** Where the portal shows it (a path under PUBLIC_BASE_URL). */
  path: string;
  /** Email and push: the minimum-necessary text (see OutsideDetail). */
  outside: { title: string; body: string };
  email: { subject: string; text: string; html: string };
}

/** "Tuesday 8 December 2026 at 14:00 (Europe/Paris)": always in the recipient's zone. */
export function when(isoInstant: string, timeZone: string, locale = 'en-GB'): string {
  const t = DateTime.fromISO(isoInstant, { zone: timeZone }).setLocale(locale);
  if (!t.isValid) return isoInstant;
  return `${t.toFormat('cccc d LLLL yyyy')} at ${t.toFormat('HH:mm')} (${timeZone})`;
}

const str = (v: unknown, fallback = ''): string => (typeof v === 'string' && v ? v : fallback);

/**
 * English texts (the first locale; a locale is one more function of this shape). Email
 * carries no clinical detail beyond what the event needs — no drug, no lab value, no message
 * text, no patient name in a clinician's emergency email — and links back to the portal,
 * where access rules apply (docs/API.md §6).
 */
function english(
  type: NotificationType,
  data: Record<string, unknown>,
  to: Recipient,
  detail: OutsideDetail,
): { title: string; body: string; path: string; outside?: string } {
  const at = (key: string) => when(str(data[key]), to.timeZone);
  const other = str(data.other_party_name, 'your clinician');
  // A clinician's appointment notices name a patient: outside the portal they say only when.
  const minimal = to.role !== undefined && to.role !== 'patient' && detail === 'minimal';
  const signIn = 'Sign in to CareBridge to see the details.';
  switch (type) {
    case 'appointment_booked':
      return {
        title: 'Appointment booked',
        body: `Your appointment with ${other} is booked for ${at('start')}.`,
        path: `/appointments/${str(data.appointment_id)}`,
        ...(minimal && { outside: `You have a new appointment on ${at('start')}. ${signIn}` }),
      };
    case 'appointment_rescheduled':
      return {
        title: 'Appointment moved',
        body: `Your appointment with ${other} has moved from ${at('previous_start')} to ${at('start')}.`,
        path: `/appointments/${str(data.appointment_id)}`,
        ...(minimal && { outside: `An appointment of yours has moved from ${at('previous_start')} to ${at('start')}. ${signIn}` }),
      };
    case 'appointment_cancelled':
      return {
        title: 'Appointment cancelled',
        body: `Your appointment with ${other} on ${at('start')} was cancelled.`,
        path: `/appointments/${str(data.appointment_id)}`,
        ...(minimal && { outside: `An appointment of yours on ${at('start')} was cancelled. ${signIn}` }),
      };
    case 'appointment_reminder':
      return {
        title: `Reminder: appointment ${data.offset_seconds === 3600 ? 'in 1 hour' : data.offset_seconds === 86400 ? 'tomorrow' : 'soon'}`,
        body: `Your appointment with ${other} is on ${at('start')}.`,
        path: `/appointments/${str(data.appointment_id)}`,
        ...(minimal && { outside: `You have an appointment on ${at('start')}. ${signIn}` }),
      };
    case 'prescription_created':
      return {
        title: 'New prescription',
        body: 'A new prescription was issued for you. Open CareBridge to see it.',
        path: `/prescriptions/${str(data.prescription_id)}`,
      };
    case 'lab_result_abnormal':
      return { title: 'New lab result', body: 'You have a new lab result to review. Open CareBridge to see it.', path: `/reports/${str(data.report_id)}` };
    case 'chat_message':
      return {
        title: 'New message',
        body: `${str(data.sender_name, 'Someone')} sent you a message.`,
        path: `/chat/${str(data.room_id)}`,
        outside: 'You have a new message in CareBridge.',
      };
    case 'waitlist_offer':
      return {
        title: 'A slot opened up',
        body: `A slot with ${str(data.doctor_name, 'your doctor')} opened on ${at('start')}. Book it before someone else does.`,
        path: `/slots/${str(data.slot_id)}`,
      };
    case 'account_approved':
      return { title: 'Account approved', body: 'Your CareBridge account was approved. You can sign in now.', path: '/' };
    case 'emergency_alert':
      return {
        title: 'Emergency alert',
        body: `${str(data.patient_name, 'A patient')} may need urgent help: a message was flagged as a possible emergency.`,
        path: data.room_id ? `/chat/${str(data.room_id)}` : `/patients/${str(data.patient_id)}`,
        outside: 'A message from one of your patients was flagged as a possible emergency. Open CareBridge now to see it.',
      };
  }
}

/**
 * The texts of one notification for one recipient. In-app (behind sign-in and the access
 * rules) gets the full text; email and push get `outside` — the same unless it names someone
 * the channel should not (a patient in a clinician's email, a sender, an emergency's patient).
 * Titles and subjects never name anyone.
 */
export function render(
  type: NotificationType,
  data: Record<string, unknown>,
  to: Recipient,
  publicBaseUrl: string,
  detail: OutsideDetail = 'minimal',
): Rendered {
  const t = english(type, data, to, detail);
  const outside = t.outside ?? t.body;
  const link = `${publicBaseUrl.replace(/\/$/, '')}${t.path}`;
  const text = `Hello ${to.name},\n\n${outside}\n\n${link}\n\nYou receive this email because of your CareBridge notification settings; change them in the portal.\n`;
  return {
    title: t.title,
    body: t.body,
    path: t.path,
    outside: { title: t.title, body: outside },
    email: { subject: `CareBridge: ${t.title}`, text, html: htmlFromText(text) },
  };
}
