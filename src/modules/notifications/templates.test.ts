import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NOTIFICATION_TYPES, render } from './templates.js';

// Review L6: email (and push, shown on lock screens) is not a secure channel. Every template is
// rendered for every kind of recipient with data naming a patient, a sender and clinical
// content; what leaves the portal must carry none of it beyond what the recipient needs.
const SECRET = 'Zebedee Quartermain';
const data = {
  appointment_id: '6f1c0f0e-0000-4000-8000-000000000001',
  start: '2026-12-08T14:00:00Z',
  previous_start: '2026-12-08T10:00:00Z',
  offset_seconds: 3600,
  other_party_name: SECRET,
  patient_name: SECRET,
  sender_name: SECRET,
  patient_id: '6f1c0f0e-0000-4000-8000-000000000002',
  room_id: '6f1c0f0e-0000-4000-8000-000000000003',
  prescription_id: '6f1c0f0e-0000-4000-8000-000000000004',
  report_id: '6f1c0f0e-0000-4000-8000-000000000005',
  slot_id: '6f1c0f0e-0000-4000-8000-000000000006',
  doctor_name: 'Dr Ada Lovelace',
};
const BASE = 'https://clinic.example';

test('templates: a clinician’s email and push never name a patient or sender (every type)', () => {
  for (const role of ['doctor', 'nurse', 'admin']) {
    for (const type of NOTIFICATION_TYPES) {
      const r = render(type, data, { name: 'Recipient Person', timeZone: 'Europe/Paris', role }, BASE);
      for (const [part, text] of Object.entries({
        subject: r.email.subject,
        text: r.email.text,
        html: r.email.html,
        pushTitle: r.outside.title,
        push: r.outside.body,
      })) {
        assert.doesNotMatch(text, /Zebedee|Quartermain/, `${role} ${type} ${part}: ${text}`);
      }
      assert.match(r.email.text, /https:\/\/clinic\.example\//, 'links back to the portal');
    }
  }
  // The clinician's appointment email says when, and to sign in for the rest.
  const booked = render('appointment_booked', data, { name: 'Dr B', timeZone: 'Europe/Paris', role: 'doctor' }, BASE);
  assert.match(
    booked.email.text,
    /You have a new appointment on Tuesday 8 December 2026 at 15:00 \(Europe\/Paris\)\. Sign in to CareBridge to see the details\./,
  );
  // In the portal (behind sign-in and the access rules) the patient is named.
  assert.match(booked.body, /Zebedee Quartermain/);
});

test('templates: a patient’s own email may name their own appointment; never a sender', () => {
  const r = render('appointment_booked', { ...data, other_party_name: 'Dr Ada Lovelace' }, { name: 'Pat', timeZone: 'UTC', role: 'patient' }, BASE);
  assert.match(r.email.text, /Your appointment with Dr Ada Lovelace is booked for Tuesday 8 December 2026 at 14:00 \(UTC\)/);
  const chat = render('chat_message', data, { name: 'Pat', timeZone: 'UTC', role: 'patient' }, BASE);
  assert.doesNotMatch(chat.email.text + chat.outside.body, /Zebedee/);
  assert.equal(chat.email.subject, 'CareBridge: New message');
});

test('templates: NOTIFICATION_EMAIL_DETAIL=names lets a clinician’s appointment email name the patient; emergencies still do not', () => {
  const booked = render('appointment_booked', data, { name: 'Dr B', timeZone: 'UTC', role: 'doctor' }, BASE, 'names');
  assert.match(booked.email.text, /Zebedee Quartermain/);
  const emergency = render('emergency_alert', data, { name: 'Dr B', timeZone: 'UTC', role: 'doctor' }, BASE, 'names');
  assert.doesNotMatch(emergency.email.text + emergency.outside.body, /Zebedee/);
});
