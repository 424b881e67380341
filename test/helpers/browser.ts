import { existsSync } from 'node:fs';

/** Debian's Chromium, driven by playwright-core (no browser download). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * The `skip` option for a browser test: on a developer's machine without Chromium the test is
 * skipped with the reason; in CI (CI=true) it never is, so a browser test that cannot run fails
 * the build instead of passing silently.
 */
export function skipWithoutBrowser(): string | false {
  if (existsSync(CHROMIUM) || process.env.CI === 'true') return false;
  return `Chromium not installed at ${CHROMIUM} (CI=true makes this a failure)`;
}

/**
 * Headless Debian Chromium with the flags this closed network needs (no background networking,
 * which would otherwise try to reach Google's hosts at every start), plus `extraArgs` (the portal
 * test's fake camera and microphone).
 */
export async function launchChromium(extraArgs: string[] = []) {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...extraArgs,
    ],
  });
}
