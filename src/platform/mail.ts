import type { Executor } from './database/index.js';

export interface OutgoingEmail {
  to: string;
  subject: string;
  text: string;
  /** Template/event name, for the admin view and metrics; never the content. */
  kind: string;
}

/**
 * Email goes through a transactional outbox: the row is written in the same transaction
 * as the change that causes it (no email for a rolled-back reset), and a delivery worker
 * sends it over SMTP when SMTP_URL is set. Without SMTP the rows stay queued and are
 * visible to admins, which is also how a developer reads a reset link locally.
 */
export async function enqueueEmail(db: Executor, email: OutgoingEmail): Promise<void> {
  await db
    .insertInto('email_outbox')
    .values({ to_address: email.to, subject: email.subject, body_text: email.text, kind: email.kind })
    .execute();
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
