import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { build } from '../helpers/build.js';
import { createUser, type TestUser } from '../helpers/users.js';
import { launchChromium, skipWithoutBrowser } from '../helpers/browser.js';

/**
 * The web portal (docs/API.md §10, issue 18) in headless Chromium at 360 px wide: a new patient
 * signs up and out; a patient signs in, finds a doctor by specialty, sees free times in their own
 * profile time zone (not the browser's), loses a slot to someone else while choosing (clear
 * message, refreshed times), double-clicks "Book" (one booking), sees the visit under
 * Appointments, downloads its .ics, reschedules it; the doctor sees it in their week (second
 * browser context) and opens four more slots; the patient opens records, prescriptions and lab
 * reports (a 401 is refreshed silently), cancels the appointment, and a revoked session ends on
 * the sign-in page; an admin approves a newly registered doctor. axe-core reports no violation on
 * any page visited, and no page scrolls sideways at 360 px.
 * Screenshots for the README: scripts/portal-screenshots.ts.
 */
describe('web portal', { skip: skipWithoutBrowser() }, () => {
  it('a patient books (slot taken meanwhile, double-click), reschedules, cancels; the doctor sees the week and adds slots; an admin approves a doctor', async () => {
    // portal/dist is built once and reused while its sources do not change (scripts/portal-build.mjs).
    const built_ = spawnSync(process.execPath, ['scripts/portal-build.mjs', '--if-stale'], { encoding: 'utf8' });
    assert.equal(built_.status, 0, `portal build failed:\n${built_.stdout}\n${built_.stderr}`);

    const built = await build({ after });
    const { app } = built;
    const call = async (user: TestUser, method: 'GET' | 'POST' | 'PUT' | 'PATCH', url: string, payload?: object) => {
      const res = await app.inject({ method, url, payload, headers: user.auth });
      return { status: res.statusCode, body: res.body ? res.json() : null };
    };

    // A cardiologist in Berlin with three free half-hours tomorrow (UTC 09:00, 10:00, 11:00).
    const doctor = await createUser(built, 'doctor', { fullName: 'Dr Ada Portal' });
    assert.equal((await call(doctor, 'PUT', '/api/v1/doctors/me', { specialty: 'cardiology', time_zone: 'Europe/Berlin' })).status, 200);
    const day = new Date(Date.now() + 24 * 3600_000).toISOString().slice(0, 10);
    const slots: string[] = [];
    for (const hour of ['09', '10', '11']) {
      const res = await call(doctor, 'POST', '/api/v1/doctors/me/slots', { start: `${day}T${hour}:00:00Z`, duration_minutes: 30 });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      slots.push(res.body.id);
    }
    // The patient's profile says New York; the browser below says Tokyo: the portal must use the profile.
    const patient = await createUser(built, 'patient', { fullName: 'Pat Portal' });
    assert.equal((await call(patient, 'PATCH', '/api/v1/auth/me', { time_zone: 'America/New_York' })).status, 200);
    const rival = await createUser(built, 'patient');

    // Serving: index.html not cached, hashed assets immutable and pre-compressed, the edge's CSP,
    // and the problem+json 404 kept for API paths and non-HTML requests.
    const index = await app.inject({ url: '/appointments', headers: { accept: 'text/html' } });
    assert.equal(index.statusCode, 200);
    assert.match(String(index.headers['content-type']), /^text\/html/);
    assert.equal(index.headers['cache-control'], 'no-cache');
    assert.match(String(index.headers['content-security-policy']), /script-src 'self'/);
    assert.equal((await app.inject({ url: '/' })).body, index.body);
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(index.body)?.[1];
    assert.ok(script, 'index.html loads a hashed script');
    const asset = await app.inject({ url: script, headers: { 'accept-encoding': 'br, gzip' } });
    assert.equal(asset.statusCode, 200);
    assert.equal(asset.headers['content-encoding'], 'br');
    assert.equal(asset.headers['cache-control'], 'public, max-age=31536000, immutable');
    for (const [url, accept] of [
      ['/api/v1/no-such-route', 'text/html'],
      ['/appointments', 'application/json'],
      ['/assets/missing.js', '*/*'],
    ]) {
      const res = await app.inject({ url, headers: { accept } });
      assert.equal(res.statusCode, 404, url);
      assert.match(String(res.headers['content-type']), /^application\/problem\+json/, url);
    }

    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

    const browser = await launchChromium();
    after(() => browser.close());
    const context = await browser.newContext({ viewport: { width: 360, height: 780 }, locale: 'en-GB', timezoneId: 'Asia/Tokyo' });
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    // Chromium logs every 4xx reply it fetched; those the test provokes are shown to the user and
    // checked above. Anything else logged as an error (a script error, a 5xx) fails the test.
    page.on('console', (message) => {
      if (message.type() === 'error' && !/status of 4\d\d/.test(message.text())) consoleErrors.push(message.text());
    });

    const visited: string[] = [];
    async function check(page: Page, name: string) {
      await page.getByRole('heading', { level: 1, name }).waitFor();
      const axe = await new AxeBuilder({ page }).analyze();
      assert.deepEqual(
        axe.violations.map((v) => `${name}: ${v.id} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`),
        [],
      );
      // A string: the root tsconfig has no DOM types.
      const overflow = (await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')) as number;
      assert.ok(overflow <= 0, `${name} scrolls sideways at 360 px by ${overflow} px`);
      visited.push(name);
    }

    // A new patient signs up (a weak password first: the API's detail is shown), lands on their
    // appointments, and signs out.
    await page.goto(`${base}/`);
    await check(page, 'Sign in');
    await page.getByRole('link', { name: 'Create an account' }).click();
    await check(page, 'Create a patient account');
    const newcomerEmail = `new-${Date.now()}@example.test`;
    await page.getByLabel('Full name').fill('Nora Newpatient');
    await page.getByLabel('Email').fill(newcomerEmail);
    await page.getByLabel('Password').fill('password12');
    await page.getByRole('button', { name: 'Create account' }).click();
    assert.match(await page.getByRole('alert').innerText(), /password/i);
    await page.getByLabel('Password').fill('a long and unusual passphrase 42');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { level: 1, name: 'Appointments' }).waitFor();
    await page.getByText('Nora Newpatient').waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();

    // Sign in, with a wrong password first: the problem+json detail is shown.
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    await page.getByLabel('Email').fill(patient.email);
    await page.getByLabel('Password').fill('not the password at all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    assert.match(await page.getByRole('alert').innerText(), /password|credentials/i);
    await page.getByLabel('Password').fill(patient.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await check(page, 'Appointments');
    const nav = page.getByRole('navigation');
    for (const name of ['Appointments', 'Find a doctor', 'Records', 'Prescriptions', 'Lab reports']) await nav.getByRole('link', { name }).waitFor();

    // Find the cardiologist; free times are shown in New York time (09:00Z → 04:00 or 05:00).
    await nav.getByRole('link', { name: 'Find a doctor' }).click();
    await check(page, 'Find a doctor');
    await page.getByLabel('Specialty').selectOption('cardiology');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('heading', { level: 3, name: 'Dr Ada Portal' }).waitFor();
    await page.getByRole('button', { name: 'See free times with Dr Ada Portal' }).click();
    const local = (iso: string) => new Intl.DateTimeFormat('en-GB', { timeZone: 'America/New_York', hour: '2-digit', minute: '2-digit' }).format(new Date(iso));
    const [first, second, third] = [`${day}T09:00:00Z`, `${day}T10:00:00Z`, `${day}T11:00:00Z`].map(local) as [string, string, string];
    await page.getByText('times in America/New York').waitFor();
    await page.getByRole('radio', { name: first, exact: true }).check();
    await check(page, 'Find a doctor');

    // Someone else books that time meanwhile: a clear message, and the list no longer offers it.
    assert.equal((await call(rival, 'POST', '/api/v1/appointments', { slot_id: slots[0] })).status, 201);
    await page.getByRole('button', { name: 'Book' }).click();
    assert.match(await page.getByRole('alert').innerText(), /someone else may have just booked it/i);
    await page.getByRole('radio', { name: second, exact: true }).waitFor();
    assert.equal(await page.getByRole('radio', { name: first, exact: true }).count(), 0);

    // A double-click on Book books once.
    await page.getByRole('radio', { name: second, exact: true }).check();
    await page.getByRole('button', { name: 'Book' }).dblclick();
    await page.getByText(/is booked for/).waitFor();
    const mine = await call(patient, 'GET', '/api/v1/appointments');
    assert.equal(mine.body.items.length, 1, 'exactly one booking');
    assert.equal(mine.body.items[0].slot_id, slots[1]);

    // It is listed under Appointments (upcoming), in New York time.
    await page.getByRole('link', { name: 'See your appointments' }).click();
    await check(page, 'Appointments');
    const upcoming = page.getByRole('region', { name: 'Upcoming' });
    await upcoming.getByText('Dr Ada Portal').waitFor();
    assert.match(await upcoming.innerText(), new RegExp(second));
    await upcoming.getByRole('button', { name: /^Cancel the appointment with Dr Ada Portal/ }).waitFor();

    // Add to calendar: an .ics file for this appointment.
    const download = page.waitForEvent('download');
    await upcoming.getByRole('button', { name: /^Add the appointment with Dr Ada Portal/ }).click();
    const ics = readFileSync((await (await download).path())!, 'utf8');
    assert.match(ics, /BEGIN:VCALENDAR[\s\S]*BEGIN:VEVENT/);

    // Reschedule to the 11:00Z time: the appointment moves, the listing says so.
    await upcoming.getByRole('button', { name: /^Reschedule the appointment with Dr Ada Portal/ }).click();
    await upcoming.getByRole('radio', { name: third, exact: true }).check();
    await check(page, 'Appointments');
    await upcoming.getByRole('button', { name: 'Move to this time' }).click();
    await page.getByRole('status').filter({ hasText: 'is now on' }).waitFor();
    assert.equal((await call(patient, 'GET', `/api/v1/appointments/${mine.body.items[0].id}`)).body.slot_id, slots[2]);

    // The doctor sees it in their week (signed in in a second browser context).
    const doctorContext = await browser.newContext({ viewport: { width: 360, height: 780 }, locale: 'en-GB', timezoneId: 'Europe/Berlin' });
    const doctorPage = await doctorContext.newPage();
    await doctorPage.goto(`${base}/`);
    await doctorPage.getByLabel('Email').fill(doctor.email);
    await doctorPage.getByLabel('Password').fill(doctor.password);
    await doctorPage.getByRole('button', { name: 'Sign in' }).click();
    await doctorPage.getByRole('heading', { level: 1, name: 'Schedule' }).waitFor();
    await doctorPage.getByRole('navigation').getByRole('link', { name: 'Schedule' }).waitFor();
    await doctorPage.getByText('Loading your schedule').waitFor({ state: 'detached' });
    // Tomorrow can be in next week (today is Sunday).
    if ((await doctorPage.getByText('Pat Portal').count()) === 0) await doctorPage.getByRole('button', { name: 'Next week' }).click();
    await doctorPage.getByText('Pat Portal').waitFor();
    await check(doctorPage, 'Schedule');

    // The doctor opens tomorrow 14:00–16:00 (Berlin) in 30-minute slots: four created.
    await doctorPage.getByRole('navigation').getByRole('link', { name: 'Availability' }).click();
    await check(doctorPage, 'Availability');
    await doctorPage.getByText('in Europe/Berlin').waitFor();
    await doctorPage.getByLabel('First day').fill(day);
    await doctorPage.getByLabel('Last day').fill(day);
    for (const weekday of ['Saturday', 'Sunday']) await doctorPage.getByLabel(weekday).check();
    await doctorPage.getByLabel('From').fill('14:00');
    await doctorPage.getByLabel('Until').fill('16:00');
    await doctorPage.getByRole('button', { name: 'Create slots' }).click();
    await doctorPage.getByRole('status').filter({ hasText: 'Created 4 free slots' }).waitFor();
    await doctorContext.close();

    // Records, prescriptions, lab reports; the first call is answered 401 once (an expired access
    // token): the portal refreshes silently and the page loads.
    let expired = false;
    await page.route('**/api/v1/prescriptions*', async (route) => {
      if (expired) return route.continue();
      expired = true;
      return route.fulfill({
        status: 401,
        contentType: 'application/problem+json',
        body: JSON.stringify({ type: 'about:blank', title: 'Unauthorized', status: 401, detail: 'expired' }),
      });
    });
    await nav.getByRole('link', { name: 'Records' }).click();
    await check(page, 'Records');
    await nav.getByRole('link', { name: 'Prescriptions' }).click();
    await check(page, 'Prescriptions');
    await page.getByText('No prescriptions yet.').waitFor();
    assert.ok(expired, 'the 401 was served');
    await nav.getByRole('link', { name: 'Lab reports' }).click();
    await check(page, 'Lab reports');

    // Cancel the appointment: it moves to "Past and cancelled".
    await nav.getByRole('link', { name: 'Appointments' }).click();
    await page.getByRole('heading', { level: 1, name: 'Appointments' }).waitFor();
    await page.getByRole('button', { name: /^Cancel the appointment with Dr Ada Portal/ }).click();
    await page.getByRole('status').filter({ hasText: 'is cancelled' }).waitFor();
    await page.getByRole('region', { name: 'Past and cancelled' }).getByText('Cancelled by the patient in the portal').waitFor();
    assert.equal((await call(patient, 'GET', `/api/v1/appointments/${mine.body.items[0].id}`)).body.status, 'cancelled');

    // Every session of the patient revoked elsewhere: the next call cannot refresh → sign-in page.
    assert.equal((await call(patient, 'POST', '/api/v1/auth/logout?all=true', {})).status, 204);
    await nav.getByRole('link', { name: 'Records' }).click();
    await page.getByText('Your session has ended. Please sign in again.').waitFor();
    await check(page, 'Sign in');

    // An admin approves a newly registered doctor. Admins must sign in with a second factor, which
    // the portal cannot do yet: the session comes from the API (the test helper enrols TOTP) and
    // is handed to the portal as its tab's refresh token, which the portal then uses as on a reload.
    const admin = await createUser(built, 'admin');
    const newcomer = await createUser(built, 'doctor', { pending: true, fullName: 'Dr Newcomer Portal' });
    const adminContext = await browser.newContext({ viewport: { width: 360, height: 780 }, locale: 'en-GB' });
    await adminContext.addInitScript(`sessionStorage.setItem('carebridge.refresh', ${JSON.stringify(admin.refreshToken)})`);
    const adminPage = await adminContext.newPage();
    await adminPage.goto(`${base}/`);
    await check(adminPage, 'Approvals');
    await adminPage.getByRole('button', { name: 'Approve Dr Newcomer Portal' }).click();
    await adminPage.getByRole('status').filter({ hasText: 'Dr Newcomer Portal is approved' }).waitFor();
    await adminPage.getByText('Nobody is waiting for approval.').waitFor();
    assert.equal((await call(admin, 'GET', `/api/v1/users/${newcomer.id}`)).body.status, 'active');
    await adminContext.close();

    assert.deepEqual(consoleErrors, []);
    assert.ok(visited.length >= 10, visited.join(', '));
  });
});
