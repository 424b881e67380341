import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { build } from '../../../test/helpers/build.js';
import { createUser, randomIp } from '../../../test/helpers/users.js';
import { outboxText } from '../../../test/helpers/mail.js';
import type { BuiltApp } from '../../app.js';
import { SENT_SECRET_BODY } from '../../platform/mail.js';
import { SmtpCapture } from '../notifications/testing.js';

/**
 * Review L9: a reset link must not be readable by whoever reads the database. The token is
 * stored only as a hash; the email body that carries it is sealed under a key from the
 * configuration and emptied once sent (src/platform/mail.ts, docs/SECURITY.md).
 */

/** Every row of every table of the app's schema, as text (`table: row`). */
async function dump(built: BuiltApp): Promise<string[]> {
  const { db } = built.ctx;
  const tables = await sql<{ table_name: string }>`
    select table_name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(db);
  assert.ok(tables.rows.length > 20, `the dump sees the schema (${tables.rows.length} tables)`);
  const all: string[] = [];
  for (const { table_name } of tables.rows) {
    const rows = await sql<{ row: string }>`select t::text as row from ${sql.table(table_name)} t`.execute(db);
    for (const { row } of rows.rows) all.push(`${table_name}: ${row}`);
  }
  return all;
}
const containing = (rows: string[], needle: string) => rows.filter((row) => row.includes(needle)).map((row) => row.slice(0, 200));

async function forgot(built: BuiltApp, email: string) {
  const res = await built.app.inject({ method: 'POST', url: '/api/v1/auth/password/forgot', payload: { email }, remoteAddress: randomIp() });
  assert.equal(res.statusCode, 202, res.body);
  await built.ctx.services.identity.identity.settled();
  return built.ctx.db.selectFrom('email_outbox').selectAll().where('to_address', '=', email).where('kind', '=', 'password_reset').executeTakeFirstOrThrow();
}

const tokenIn = (text: string) => /reset-password\?token=([A-Za-z0-9_-]{43})/.exec(text)?.[1];

describe('reset links at rest (review L9)', () => {
  it('after a reset request no table holds the token in clear: the outbox body is sealed, the token stored as a hash', async () => {
    const built = await build({ after });
    const user = await createUser(built, 'patient');
    const row = await forgot(built, user.email);
    assert.match(row.body_text, /^sealed:v1\./);
    const token = tokenIn(outboxText(built.ctx, row.body_text));
    assert.ok(token, 'the sealed body carries the link');
    const rows = await dump(built);
    assert.deepEqual(containing(rows, token), []);
    // The dump would have found it: the user's email is in users and email_outbox, the sealed body in the outbox.
    assert.ok(containing(rows, user.email).some((hit) => hit.startsWith('email_outbox')));
    assert.ok(containing(rows, row.body_text.slice(0, 40)).length >= 1);
    // Another instance's key cannot open it (a database copy alone is useless).
    assert.throws(() => outboxText({ config: { jwtSecret: 'another instance' } }, row.body_text));
    // And it is the working link.
    const reset = await built.app.inject({
      method: 'POST',
      url: '/api/v1/auth/password/reset',
      payload: { token, new_password: 'a fresh long passphrase' },
      remoteAddress: randomIp(),
    });
    assert.equal(reset.statusCode, 204, reset.body);
  });

  it('the email sent over SMTP carries the link; once sent, the outbox body no longer holds it (sealed or not)', async () => {
    const smtp = await SmtpCapture.start();
    after(() => smtp.close());
    const built = await build({ after }, {}, { SMTP_URL: smtp.url, JOBS_POLL_MS: '30' });
    await built.start();
    const user = await createUser(built, 'patient');
    await forgot(built, user.email);
    const mail = await smtp.next((m) => m.to.includes(user.email), 120_000);
    const token = tokenIn(mail.text);
    assert.ok(token, mail.text);
    let row;
    for (let i = 0; i < 300; i++) {
      row = await built.ctx.db.selectFrom('email_outbox').selectAll().where('to_address', '=', user.email).executeTakeFirstOrThrow();
      if (row.status === 'sent') break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(row?.status, 'sent');
    assert.equal(row?.body_text, SENT_SECRET_BODY);
    assert.deepEqual(containing(await dump(built), token), []);
  });
});
