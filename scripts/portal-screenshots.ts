#!/usr/bin/env -S node --import tsx
// Screenshots of the portal for the README (docs/img/portal-*.png) and its first-load figures,
// against a running server with the demo data (`npm start`):
//   node --import tsx scripts/portal-screenshots.ts [http://127.0.0.1:8000]
// Signs in as the demo patient (jane@demo.carebridge.local) in headless Chromium at 360 × 780
// and 1280 × 800, then as a demo doctor (dr.house, Schedule). Prints the JavaScript the patient
// home loads (bytes on the wire, compressed) and when the sign-in page became usable (its button
// rendered), from a cold cache. Then the symptom checker's emergency alert, a conversation, and a
// video visit between jane and dr.house in two browser contexts (Chromium's fake camera): the
// script books them a video visit starting in five minutes and cancels it at the end, so run it
// against a fresh demo clinic (for example `DATA_DIR=$(mktemp -d) PORT=8001 npm start`).
import { mkdirSync } from 'node:fs';
import { launchChromium } from '../test/helpers/browser.js';

const base = process.argv[2] ?? 'http://127.0.0.1:8000';
const password = process.env.DEMO_PASSWORD ?? 'CareBridge-demo-2026';
mkdirSync('docs/img', { recursive: true });
const browser = await launchChromium(['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream']);
try {
  for (const [name, viewport] of [
    ['mobile', { width: 360, height: 780 }],
    ['desktop', { width: 1280, height: 800 }],
  ] as const) {
    const context = await browser.newContext({ viewport, locale: 'en-GB', timezoneId: 'Europe/Berlin' });
    const page = await context.newPage();
    const started = Date.now();
    await page.goto(`${base}/`);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    const usableMs = Date.now() - started;
    await page.getByLabel('Email').fill('jane@demo.carebridge.local');
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Appointments' }).waitFor();
    await page.getByRole('heading', { name: 'Upcoming' }).waitFor();
    // A string: the root tsconfig has no DOM types.
    const js = (await page.evaluate(`performance.getEntriesByType('resource')
      .filter((entry) => entry.initiatorType === 'script' || entry.name.endsWith('.js'))
      .reduce((sum, entry) => ({ wire: sum.wire + entry.encodedBodySize, raw: sum.raw + entry.decodedBodySize }), { wire: 0, raw: 0 })`)) as {
      wire: number;
      raw: number;
    };
    console.log(
      `${name}: sign-in page usable after ${usableMs} ms (cold cache, loopback); patient home JavaScript ${js.wire} B compressed on the wire, ${js.raw} B uncompressed`,
    );
    await page.screenshot({ path: `docs/img/portal-appointments-${name}.png`, fullPage: name === 'mobile' });
    if (name === 'desktop') {
      await page.getByRole('navigation').getByRole('link', { name: 'Find a doctor' }).click();
      await page.getByLabel('Specialty').selectOption('cardiology');
      await page.getByRole('button', { name: 'Search' }).click();
      await page
        .getByRole('button', { name: /^See free times with/ })
        .first()
        .click();
      await page.getByRole('radio').first().check();
      await page.screenshot({ path: 'docs/img/portal-find-doctor.png' });
      await page.getByRole('navigation').getByRole('link', { name: 'Lab reports' }).click();
      await page.getByRole('heading', { level: 1, name: 'Lab reports' }).waitFor();
    }
    await context.close();
  }
  // A doctor's week (dr.house has the demo appointments).
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-GB', timezoneId: 'Europe/Berlin' });
  const page = await context.newPage();
  await page.goto(`${base}/`);
  await page.getByLabel('Email').fill('dr.house@demo.carebridge.local');
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Schedule' }).waitFor();
  await page.getByText('Loading your schedule').waitFor({ state: 'detached' });
  await page.screenshot({ path: 'docs/img/portal-schedule.png', fullPage: true });
  await context.close();
  await emergencyAndChat();
  await videoVisit();
} finally {
  await browser.close();
}

async function signIn(email: string, viewport: { width: number; height: number }) {
  const context = await browser.newContext({ viewport, locale: 'en-GB', timezoneId: 'Europe/Berlin' });
  const page = await context.newPage();
  await page.goto(`${base}/`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation').waitFor();
  return { context, page };
}

async function api(token: string | null, method: string, path: string, body?: object) {
  const res = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = res.status === 204 ? null : await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** The symptom checker's emergency alert (360 px) and jane's conversation with dr.house (desktop). */
async function emergencyAndChat() {
  const { context, page } = await signIn('jane@demo.carebridge.local', { width: 360, height: 780 });
  await page.getByRole('navigation').getByRole('link', { name: 'Symptom checker' }).click();
  await page.getByLabel('What are your symptoms?').fill('Crushing chest pain spreading to my left arm, sweating and short of breath');
  await page.getByLabel('Age in years (optional)').fill('58');
  await page.getByLabel('Sex (optional)').selectOption('female');
  await page.getByRole('button', { name: 'Start' }).click();
  await page
    .getByRole('alert')
    .filter({ has: page.getByRole('heading') })
    .waitFor();
  await page.screenshot({ path: 'docs/img/portal-symptom-emergency.png', fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.getByRole('navigation').getByRole('link', { name: 'Messages' }).click();
  await page.getByLabel('Write to one of your doctors').selectOption({ label: 'Dr. Gregory Hause' });
  await page.getByRole('button', { name: 'Open conversation' }).click();
  await page.getByRole('textbox', { name: 'Message' }).fill('Hello doctor, the new tablets make me a little dizzy in the morning.');
  await page.getByRole('button', { name: 'Send' }).click();
  await page.getByRole('log', { name: 'Messages' }).getByText('make me a little dizzy').waitFor();
  // The message shows live before the send's reply clears the box: wait for the cleared box.
  while ((await page.getByRole('textbox', { name: 'Message' }).inputValue()) !== '') await page.waitForTimeout(100);
  await page.screenshot({ path: 'docs/img/portal-chat.png' });
  await context.close();
}

/** A video visit in progress, seen by the doctor (desktop); booked for the screenshot and cancelled after. */
async function videoVisit() {
  const login = (email: string) => api(null, 'POST', '/auth/login', { email, password }) as Promise<{ access_token: string }>;
  const [doctor, patient] = await Promise.all([login('dr.house@demo.carebridge.local'), login('jane@demo.carebridge.local')]);
  const start = new Date(Date.now() + 5 * 60_000);
  start.setUTCSeconds(0, 0);
  const slot = (await api(doctor.access_token, 'POST', '/doctors/me/slots', { start: start.toISOString(), duration_minutes: 30 })) as { id: string };
  const visit = (await api(patient.access_token, 'POST', '/appointments', { slot_id: slot.id, type: 'video', reason: 'Dizzy on the new tablets' })) as {
    id: string;
  };
  try {
    const d = await signIn('dr.house@demo.carebridge.local', { width: 1280, height: 800 });
    const p = await signIn('jane@demo.carebridge.local', { width: 360, height: 780 });
    await Promise.all([d.page.goto(`${base}/visits/${visit.id}`), p.page.goto(`${base}/visits/${visit.id}`)]);
    await d.page.getByRole('button', { name: 'Call Jane Doe' }).click();
    await p.page.getByRole('button', { name: 'Answer' }).click();
    await d.page.getByText('Connection: connected').waitFor();
    // A few frames of the fake camera, so the videos are not black.
    await d.page.waitForTimeout(1500);
    await d.page.screenshot({ path: 'docs/img/portal-video-visit.png' });
    await p.page.getByRole('button', { name: 'Hang up' }).click();
    await d.page.getByRole('button', { name: 'Call Jane Doe' }).waitFor();
    await Promise.all([d.context.close(), p.context.close()]);
  } finally {
    await api(patient.access_token, 'PATCH', `/appointments/${visit.id}/status`, {
      status: 'cancelled',
      reason: 'Screenshot visit (scripts/portal-screenshots.ts)',
    });
  }
}
