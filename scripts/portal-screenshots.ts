#!/usr/bin/env -S node --import tsx
// Screenshots of the portal for the README (docs/img/portal-*.png) and its first-load figures,
// against a running server with the demo data (`npm start`):
//   node --import tsx scripts/portal-screenshots.ts [http://127.0.0.1:8000]
// Signs in as the demo patient (jane@demo.carebridge.local) in headless Chromium at 360 × 780
// and 1280 × 800, then as a demo doctor (dr.house, Schedule). Prints the JavaScript the patient
// home loads (bytes on the wire, compressed) and when the sign-in page became usable (its button
// rendered), from a cold cache.
import { mkdirSync } from 'node:fs';
import { launchChromium } from '../test/helpers/browser.js';

const base = process.argv[2] ?? 'http://127.0.0.1:8000';
const password = process.env.DEMO_PASSWORD ?? 'CareBridge-demo-2026';
mkdirSync('docs/img', { recursive: true });
const browser = await launchChromium();
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
} finally {
  await browser.close();
}
