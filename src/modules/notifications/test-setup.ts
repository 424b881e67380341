import type { TestUser } from '../../../test/helpers/users.js';
import webpush from 'web-push';
import { build } from '../../../test/helpers/build.js';
import { PushReceiver, SmtpCapture } from './testing.js';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export async function until<T>(check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(50);
  }
}

/** One app with a real SMTP capture and a real push receiver; the job worker runs. */
export async function setup(t: Parameters<typeof build>[0], env: Record<string, string> = {}) {
  const smtp = await SmtpCapture.start();
  const push = await PushReceiver.start();
  t.after(async () => {
    await smtp.close();
    await push.close();
  });
  const vapid = webpush.generateVAPIDKeys();
  const built = await build(
    t,
    {},
    {
      SMTP_URL: smtp.url,
      VAPID_PUBLIC_KEY: vapid.publicKey,
      VAPID_PRIVATE_KEY: vapid.privateKey,
      VAPID_SUBJECT: 'mailto:ops@carebridge.test',
      // The local push receiver stands in for a browser push service.
      PUSH_ALLOWED_HOSTS: '127.0.0.1',
      JOBS_POLL_MS: '30',
      JOBS_BACKOFF_BASE_MS: '50',
      RATE_LIMIT_API_PER_MIN: '100000',
      ...env,
    },
  );
  await built.start();
  const api = (user: TestUser, method: string, url: string, payload?: unknown) =>
    built.app.inject({ method: method as 'GET', url: `/api/v1${url}`, headers: user.auth, ...(payload !== undefined && { payload: payload as object }) });
  return { built, smtp, push, api };
}
