import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Transporter } from 'nodemailer';
import type { FastifyBaseLogger } from 'fastify';
import type { Db, Executor } from './database/index.js';
import { enqueueJob, PermanentJobError, type JobQueue } from './jobs/index.js';

export interface OutgoingEmail {
  to: string;
  subject: string;
  text: string;
  /** Template/event name, for the admin view and metrics; never the content. */
  kind: string;
  /**
   * The body carries a one-time secret (a password-reset link): it is stored sealed and
   * emptied once sent (see OutboxSealer). Needs the sealer argument of enqueueEmail.
   */
  secret?: boolean;
}

const SEALED = 'sealed:v1.';
/** What a secret-bearing row's body becomes once sent: the ledger keeps who, what kind and when, not the link. */
export const SENT_SECRET_BODY = '[removed after sending: this email carried a one-time link]';

/**
 * Review L9: a reset link in `email_outbox.body_text` let anyone who can read the database
 * (a backup, a replica, an SQL injection elsewhere) take over accounts. A body with a secret
 * is therefore stored AES-256-GCM sealed under a key derived (HKDF-SHA256) from JWT_SECRET,
 * which lives in configuration, not in the database; the sender opens it to send and then
 * replaces it with SENT_SECRET_BODY. The secret itself is stored elsewhere only as a hash
 * (password_reset_tokens.token_hash). Whoever holds JWT_SECRET can mint tokens anyway, so
 * the key adds no new point of failure. Rotating JWT_SECRET makes queued sealed mail unsendable
 * (it is failed, and the user asks for a new link).
 */
export class OutboxSealer {
  private readonly key: Buffer;

  constructor(masterSecret: string) {
    this.key = Buffer.from(hkdfSync('sha256', masterSecret, 'carebridge', 'email-outbox-v1', 32));
  }

  seal(text: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
    return `${SEALED}${[iv, cipher.getAuthTag(), body].map((b) => b.toString('base64url')).join('.')}`;
  }

  static isSealed(body: string): boolean {
    return body.startsWith(SEALED);
  }

  /** The plain body; throws if it was sealed under another key or altered. */
  open(sealed: string): string {
    const [iv, tag, body] = sealed.slice(SEALED.length).split('.');
    if (!OutboxSealer.isSealed(sealed) || !iv || !tag || !body) throw new Error('not a sealed outbox body');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  }
}

/** The job that sends one `email_outbox` row. */
export const EMAIL_OUTBOX_QUEUE = 'email.outbox';

/**
 * Email goes through a transactional outbox: the row — and the job that sends it — are
 * written in the same transaction as the change that causes it (no email for a rolled-back
 * reset), and the job queue sends it over SMTP when SMTP_URL is set, retrying with backoff
 * and dead-lettering after the last attempt (docs/NOTIFICATIONS.md). Without SMTP the rows
 * stay queued and are visible to admins; a body with a secret stays sealed (a developer reads
 * a reset link locally through an SMTP catcher such as Mailpit). The request that wrote the
 * row never waits on SMTP.
 */
export async function enqueueEmail(db: Executor, email: OutgoingEmail, sealer?: OutboxSealer): Promise<void> {
  if (email.secret && !sealer) throw new Error('an email with a secret needs the outbox sealer');
  const body = email.secret && sealer ? sealer.seal(email.text) : email.text;
  const row = await db
    .insertInto('email_outbox')
    .values({ to_address: email.to, subject: email.subject, body_text: body, kind: email.kind })
    .returning('id')
    .executeTakeFirstOrThrow();
  await enqueueJob(db, { queue: EMAIL_OUTBOX_QUEUE, payload: { id: row.id }, maxAttempts: 8 });
}

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  /**
   * Stable per logical message (the delivery-ledger key): a retry after a crash sends the
   * same Message-ID, so a receiver or provider that de-duplicates on it sees one message.
   */
  messageId: string;
}

/** SMTP through nodemailer (SMTP_URL). `configured` is false without SMTP_URL. */
export class Mailer {
  private readonly transport: Transporter | null;

  constructor(
    smtpUrl: string | null,
    private readonly from: string,
    timeoutMs = 10_000,
  ) {
    // Bounded waits, so an unreachable or slow server fails the job (and it retries) instead of
    // holding a worker slot for minutes. The settings go in one object with the URL: nodemailer
    // reads a second argument as defaults for each message, so they were silently ignored there
    // (a silent server then held each send for nodemailer's own 30 s greeting and 10 min socket
    // timeouts; notifications-mail.test.ts "a slow SMTP server"). That also means sends have
    // always used one connection per message — what every chaos run measured — so `pool` stays
    // off until a pooled transport is measured under the same kills.
    // nodemailer is loaded only when SMTP is configured (~14 MB; docs/BENCHMARKS.md "Footprint").
    this.transport = smtpUrl
      ? (createRequire(import.meta.url)('nodemailer') as typeof import('nodemailer')).createTransport({
          url: smtpUrl,
          connectionTimeout: timeoutMs,
          greetingTimeout: timeoutMs,
          socketTimeout: 3 * timeoutMs,
        } as never)
      : null;
  }

  get configured(): boolean {
    return this.transport !== null;
  }

  async send(message: MailMessage): Promise<void> {
    if (!this.transport) throw new Error('SMTP is not configured (SMTP_URL)');
    await this.transport.sendMail({
      from: this.from,
      to: message.to,
      subject: message.subject,
      text: message.text,
      html: message.html,
      messageId: message.messageId,
    });
  }

  close(): void {
    this.transport?.close();
  }
}

const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The HTML part of a plain-text email: paragraphs, and links that are clickable. */
export function htmlFromText(text: string): string {
  const paragraphs = text
    .trim()
    .split(/\n{2,}/)
    .map(
      (p) =>
        `<p>${escapeHtml(p)
          .replace(/(https?:\/\/[^\s<]+)/g, '<a href="$1">$1</a>')
          .replace(/\n/g, '<br>')}</p>`,
    );
  return `<!doctype html><html><body style="font-family: sans-serif; line-height: 1.5">${paragraphs.join('\n')}</body></html>`;
}

/**
 * Sends `email_outbox` rows (password reset and any other platform mail). The row's status
 * is the ledger: a row already `sent` is not sent again when its job runs twice.
 */
export function defineEmailOutbox(queue: JobQueue, db: Db, mailer: Mailer, log: FastifyBaseLogger, domain: string, sealer: OutboxSealer): void {
  queue.define(EMAIL_OUTBOX_QUEUE, async (payload, job) => {
    const id = String(payload.id ?? '');
    const row = await db.selectFrom('email_outbox').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new PermanentJobError('the email_outbox row is gone');
    if (row.status === 'sent') return;
    if (!mailer.configured) return; // stays queued: visible to admins, sent by nobody
    const sealed = OutboxSealer.isSealed(row.body_text);
    let text = row.body_text;
    if (sealed) {
      try {
        text = sealer.open(row.body_text);
      } catch {
        await db
          .updateTable('email_outbox')
          .set({ status: 'failed', last_error: 'sealed body cannot be opened (JWT_SECRET changed?)' })
          .where('id', '=', id)
          .execute();
        throw new PermanentJobError('the sealed email body cannot be opened (JWT_SECRET changed?)');
      }
    }
    try {
      await mailer.send({
        to: row.to_address,
        subject: row.subject,
        text,
        html: htmlFromText(text),
        messageId: `<outbox-${row.id}@${domain}>`,
      });
    } catch (err) {
      const last = job.attempt >= job.maxAttempts;
      await db
        .updateTable('email_outbox')
        .set({ attempts: row.attempts + 1, last_error: (err as Error).message?.slice(0, 500) ?? 'error', ...(last && { status: 'failed' as const }) })
        .where('id', '=', id)
        .execute();
      log.warn({ outbox_id: id, kind: row.kind, attempt: job.attempt }, 'email not sent');
      throw err;
    }
    await db
      .updateTable('email_outbox')
      .set({ status: 'sent', sent_at: new Date(), attempts: row.attempts + 1, last_error: null, ...(sealed && { body_text: SENT_SECRET_BODY }) })
      .where('id', '=', id)
      .execute();
  });
}

export interface EmailOutboxTable {
  id: import('kysely').Generated<string>;
  to_address: string;
  subject: string;
  body_text: string;
  kind: string;
  status: import('kysely').Generated<'queued' | 'sent' | 'failed'>;
  attempts: import('kysely').Generated<number>;
  last_error: string | null;
  created_at: import('kysely').Generated<Date>;
  sent_at: Date | null;
}

declare module './database/schema.js' {
  interface Database {
    email_outbox: EmailOutboxTable;
  }
}
