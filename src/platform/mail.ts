import nodemailer, { type Transporter } from 'nodemailer';
import type { FastifyBaseLogger } from 'fastify';
import type { Db, Executor } from './database/index.js';
import { enqueueJob, PermanentJobError, type JobQueue } from './jobs/index.js';

export interface OutgoingEmail {
  to: string;
  subject: string;
  text: string;
  /** Template/event name, for the admin view and metrics; never the content. */
  kind: string;
}

/** The job that sends one `email_outbox` row. */
export const EMAIL_OUTBOX_QUEUE = 'email.outbox';

/**
 * Email goes through a transactional outbox: the row — and the job that sends it — are
 * written in the same transaction as the change that causes it (no email for a rolled-back
 * reset), and the job queue sends it over SMTP when SMTP_URL is set, retrying with backoff
 * and dead-lettering after the last attempt (docs/NOTIFICATIONS.md). Without SMTP the rows
 * stay queued and are visible to admins, which is also how a developer reads a reset link
 * locally. The request that wrote the row never waits on SMTP.
 */
export async function enqueueEmail(db: Executor, email: OutgoingEmail): Promise<void> {
  const row = await db
    .insertInto('email_outbox')
    .values({ to_address: email.to, subject: email.subject, body_text: email.text, kind: email.kind })
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
  ) {
    // Pooled connections; bounded waits so an unreachable or slow server fails the job (and
    // it retries) instead of holding a worker slot for minutes.
    this.transport = smtpUrl
      ? nodemailer.createTransport(smtpUrl, {
          pool: true,
          maxConnections: 4,
          connectionTimeout: 10_000,
          greetingTimeout: 10_000,
          socketTimeout: 30_000,
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
export function defineEmailOutbox(queue: JobQueue, db: Db, mailer: Mailer, log: FastifyBaseLogger, domain: string): void {
  queue.define(EMAIL_OUTBOX_QUEUE, async (payload, job) => {
    const id = String(payload.id ?? '');
    const row = await db.selectFrom('email_outbox').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new PermanentJobError('the email_outbox row is gone');
    if (row.status === 'sent') return;
    if (!mailer.configured) return; // stays queued: visible to admins, sent by nobody
    try {
      await mailer.send({
        to: row.to_address,
        subject: row.subject,
        text: row.body_text,
        html: htmlFromText(row.body_text),
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
      .set({ status: 'sent', sent_at: new Date(), attempts: row.attempts + 1, last_error: null })
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
