/**
 * Settings of the job queue, reminders and web push (docs/NOTIFICATIONS.md), read from the
 * environment by loadConfig (config.ts) like every other variable: a bad value stops
 * start-up with a ConfigError naming it.
 */
export interface NotificationsConfig {
  jobs: { concurrency: number; pollMs: number; leaseMs: number; backoffBaseMs: number };
  /** Seconds before an appointment at which reminders go out (24 h and 1 h by default). */
  reminderOffsetsSeconds: number[];
  vapid: { publicKey: string; privateKey: string; subject: string } | null;
  /**
   * Hosts a push subscription's endpoint may point at (the host itself or a subdomain):
   * the browsers' push services. Anything else would let a user make the server POST to an
   * address of their choosing, inside the network included (security review M2).
   */
  pushAllowedHosts: string[];
  /**
   * NOTIFICATION_EMAIL_DETAIL: `minimal` (default) — email and push to a clinician about an
   * appointment say when, not who; `names` — they name the patient too (a clinic whose mail
   * stays on its own servers may choose it). Clinical content is never sent either way.
   */
  outsideDetail: 'minimal' | 'names';
}

/** The push services of Chrome/Edge/Android (FCM), Firefox, Windows (WNS) and Safari/Apple. */
const DEFAULT_PUSH_HOSTS = ['fcm.googleapis.com', 'push.services.mozilla.com', 'notify.windows.com', 'push.apple.com'];

type Env = Record<string, string | undefined>;
type Fail = (variable: string, message: string) => Error;

export function notificationsConfig(env: Env, fail: Fail): NotificationsConfig {
  const value = (name: string) => (env[name] ?? '').trim() || null;
  const int = (name: string, fallback: number, min: number, max: number) => {
    const raw = value(name);
    if (raw === null) return fallback;
    if (!/^\d+$/.test(raw)) throw fail(name, `must be a whole number, got "${raw}"`);
    const n = Number(raw);
    if (n < min || n > max) throw fail(name, `must be between ${min} and ${max}, got ${n}`);
    return n;
  };
  const offsetsRaw = value('REMINDER_OFFSETS_SECONDS') ?? '86400,3600';
  const offsets = offsetsRaw.split(',').map((s) => s.trim());
  if (!offsets.every((s) => /^\d+$/.test(s) && Number(s) >= 1 && Number(s) <= 30 * 86400) || new Set(offsets).size !== offsets.length) {
    throw fail('REMINDER_OFFSETS_SECONDS', `must be distinct whole seconds between 1 and 2592000, comma-separated, got "${offsetsRaw}"`);
  }
  const publicKey = value('VAPID_PUBLIC_KEY');
  const privateKey = value('VAPID_PRIVATE_KEY');
  const subject = value('VAPID_SUBJECT');
  let vapid: NotificationsConfig['vapid'] = null;
  if (publicKey || privateKey || subject) {
    if (!publicKey) throw fail('VAPID_PUBLIC_KEY', 'is required with VAPID_PRIVATE_KEY and VAPID_SUBJECT');
    if (!privateKey) throw fail('VAPID_PRIVATE_KEY', 'is required with VAPID_PUBLIC_KEY and VAPID_SUBJECT');
    if (!subject) throw fail('VAPID_SUBJECT', 'is required with VAPID_PUBLIC_KEY (a mailto: or https: URL)');
    if (Buffer.from(publicKey, 'base64url').length !== 65)
      throw fail('VAPID_PUBLIC_KEY', 'must be a base64url P-256 public key (65 bytes; `npx web-push generate-vapid-keys`)');
    if (Buffer.from(privateKey, 'base64url').length !== 32) throw fail('VAPID_PRIVATE_KEY', 'must be a base64url P-256 private key (32 bytes)');
    if (!/^(mailto:|https:\/\/)/.test(subject)) throw fail('VAPID_SUBJECT', 'must be a mailto: or https: URL');
    vapid = { publicKey, privateKey, subject };
  }
  return {
    jobs: {
      concurrency: int('JOBS_CONCURRENCY', 16, 1, 256),
      pollMs: int('JOBS_POLL_MS', 250, 10, 60_000),
      leaseMs: int('JOBS_LEASE_SECONDS', 30, 2, 3600) * 1000,
      backoffBaseMs: int('JOBS_BACKOFF_BASE_MS', 2000, 10, 3_600_000),
    },
    reminderOffsetsSeconds: offsets.map(Number),
    vapid,
    pushAllowedHosts: pushHosts(value('PUSH_ALLOWED_HOSTS'), fail),
    outsideDetail: outsideDetail(value('NOTIFICATION_EMAIL_DETAIL'), fail),
  };
}

function outsideDetail(raw: string | null, fail: Fail): 'minimal' | 'names' {
  if (raw === null || raw === 'minimal') return 'minimal';
  if (raw === 'names') return 'names';
  throw fail('NOTIFICATION_EMAIL_DETAIL', `must be "minimal" or "names", got "${raw}"`);
}

function pushHosts(raw: string | null, fail: Fail): string[] {
  if (raw === null) return DEFAULT_PUSH_HOSTS;
  const hosts = raw
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  if (hosts.length === 0 || !hosts.every((h) => /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/.test(h))) {
    throw fail('PUSH_ALLOWED_HOSTS', `must be comma-separated host names (e.g. fcm.googleapis.com), got "${raw}"`);
  }
  return hosts;
}

/** Whether a push endpoint's host is one of the allowed push services (or a subdomain of one). */
export function isAllowedPushHost(hostname: string, allowed: readonly string[]): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  return allowed.some((a) => host === a || host.endsWith(`.${a}`));
}
