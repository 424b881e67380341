import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { build } from '../../../test/helpers/build.js';
import { createUser, login, GOOD_PASSWORD } from '../../../test/helpers/users.js';

const built = await build({ after });
const { app } = built;
const admin = await createUser(built, 'admin');

describe('admin user management', () => {
  it('lists users with role/status filters, search and cursor pagination', async () => {
    const tag = `zq${Date.now()}`;
    for (let i = 0; i < 5; i++) await createUser(built, 'patient', { fullName: `${tag} Patient ${i}` });
    const pending = await createUser(built, 'nurse', { pending: true, fullName: `${tag} Nurse` });

    const first = await app.inject({ method: 'GET', url: `/api/v1/users?q=${tag}&limit=2&sort=full_name`, headers: admin.auth });
    assert.equal(first.statusCode, 200);
    const page1 = first.json();
    assert.equal(page1.items.length, 2);
    assert.ok(page1.next_cursor);
    const names: string[] = page1.items.map((u: { full_name: string }) => u.full_name);
    let cursor = page1.next_cursor;
    while (cursor) {
      const next = await app.inject({ method: 'GET', url: `/api/v1/users?q=${tag}&limit=2&sort=full_name&cursor=${cursor}`, headers: admin.auth });
      names.push(...next.json().items.map((u: { full_name: string }) => u.full_name));
      cursor = next.json().next_cursor;
    }
    assert.equal(names.length, 6, 'every match once, across pages');
    assert.deepEqual(names, [...names].sort());

    const nurses = await app.inject({ method: 'GET', url: `/api/v1/users?role=nurse&status=pending&q=${tag}`, headers: admin.auth });
    assert.deepEqual(
      nurses.json().items.map((u: { id: string }) => u.id),
      [pending.id],
    );
    const alias = await app.inject({ method: 'GET', url: `/api/v1/users/role/nurse?status=pending&q=${tag}`, headers: admin.auth });
    assert.deepEqual(alias.json().items, nurses.json().items);
    assert.doesNotMatch(first.body + alias.body, /argon2|password/);

    const badCursor = await app.inject({ method: 'GET', url: '/api/v1/users?cursor=nonsense', headers: admin.auth });
    assert.equal(badCursor.statusCode, 400);
  });

  it('is admin-only: other roles get 403, anonymous 401', async () => {
    for (const role of ['patient', 'doctor', 'nurse'] as const) {
      const user = await createUser(built, role);
      assert.equal((await app.inject({ method: 'GET', url: '/api/v1/users', headers: user.auth })).statusCode, 403);
      assert.equal((await app.inject({ method: 'POST', url: `/api/v1/users/${user.id}/approve`, headers: user.auth })).statusCode, 403);
    }
    assert.equal((await app.inject({ method: 'GET', url: '/api/v1/users' })).statusCode, 401);
  });

  it('lets a user read themselves but not others (404)', async () => {
    const a = await createUser(built, 'patient');
    const b = await createUser(built, 'patient');
    assert.equal((await app.inject({ method: 'GET', url: `/api/v1/users/${a.id}`, headers: a.auth })).statusCode, 200);
    assert.equal((await app.inject({ method: 'GET', url: `/api/v1/users/${b.id}`, headers: a.auth })).statusCode, 404);
    assert.equal((await app.inject({ method: 'GET', url: `/api/v1/users/${b.id}`, headers: admin.auth })).statusCode, 200);
  });

  it('approves a pending doctor, who can then use clinician routes', async () => {
    const doctor = await createUser(built, 'doctor', { pending: true });
    const approved = await app.inject({ method: 'POST', url: `/api/v1/users/${doctor.id}/approve`, headers: admin.auth });
    assert.equal(approved.statusCode, 200);
    assert.equal(approved.json().status, 'active');
    assert.ok(approved.json().approved_at);
    assert.equal((await app.inject({ method: 'POST', url: `/api/v1/users/${doctor.id}/approve`, headers: admin.auth })).statusCode, 409);
    // The same token now passes the approval gate.
    const res = await app.inject({
      method: 'PUT',
      url: `/api/v1/users/${doctor.id}/password`,
      headers: doctor.auth,
      payload: { current_password: GOOD_PASSWORD, new_password: 'approved doctor password' },
    });
    assert.equal(res.statusCode, 204);
  });

  it('changes roles (PATCH and the seed-004 PUT alias) by id or username', async () => {
    const user = await createUser(built, 'patient');
    await app.inject({ method: 'PATCH', url: '/api/v1/auth/me', headers: user.auth, payload: { username: `nurse_${user.id.slice(0, 8)}` } });
    const byName = await app.inject({ method: 'PUT', url: `/api/v1/users/nurse_${user.id.slice(0, 8)}/role`, headers: admin.auth, payload: { role: 'nurse' } });
    assert.equal(byName.statusCode, 200);
    assert.equal(byName.json().role, 'nurse');
    const patched = await app.inject({ method: 'PATCH', url: `/api/v1/users/${user.id}`, headers: admin.auth, payload: { role: 'doctor' } });
    assert.equal(patched.json().role, 'doctor');
    // The sessions signed in under the old role are over (security review M5): neither the access
    // token nor the refresh token carries on.
    assert.equal((await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: user.auth })).statusCode, 401);
    assert.equal((await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: user.refreshToken } })).statusCode, 401);
    assert.equal((await app.inject({ method: 'PATCH', url: `/api/v1/users/${user.id}`, headers: admin.auth, payload: { role: 'wizard' } })).statusCode, 422);
    assert.equal(
      (await app.inject({ method: 'PATCH', url: '/api/v1/users/00000000-0000-4000-8000-000000000000', headers: admin.auth, payload: { role: 'nurse' } }))
        .statusCode,
      404,
    );
  });

  it('deactivation ends sessions and blocks sign-in; reactivation restores it', async () => {
    const user = await createUser(built, 'patient');
    const res = await app.inject({ method: 'PATCH', url: `/api/v1/users/${user.id}`, headers: admin.auth, payload: { status: 'deactivated' } });
    assert.equal(res.json().status, 'deactivated');
    assert.equal((await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: user.auth })).statusCode, 401);
    await assert.rejects(login(app, user.email, user.password), /401/);
    await app.inject({ method: 'PATCH', url: `/api/v1/users/${user.id}`, headers: admin.auth, payload: { status: 'active' } });
    await login(app, user.email, user.password);
  });

  it('soft-deletes with anonymisation; the row is kept', async () => {
    const user = await createUser(built, 'patient');
    assert.equal((await app.inject({ method: 'DELETE', url: `/api/v1/users/${user.id}`, headers: admin.auth })).statusCode, 204);
    const row = await built.ctx.db.selectFrom('users').selectAll().where('id', '=', user.id).executeTakeFirstOrThrow();
    assert.equal(row.status, 'deleted');
    assert.equal(row.full_name, 'Deleted user');
    assert.notEqual(row.email, user.email);
    assert.equal(row.phone, null);
    await assert.rejects(login(app, user.email, user.password), /401/);
    assert.equal((await app.inject({ method: 'DELETE', url: `/api/v1/users/${user.id}`, headers: admin.auth })).statusCode, 404);
    // The email is free again for a new account.
    const again = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      remoteAddress: '10.77.0.1',
      payload: { email: user.email, password: GOOD_PASSWORD, full_name: 'Back Again', role: 'patient' },
    });
    assert.equal(again.statusCode, 201);
  });

  it('never demotes, deactivates or deletes the last active admin', async () => {
    const { ctx } = built;
    const admins = await ctx.db.selectFrom('users').select('id').where('role', '=', 'admin').where('status', '=', 'active').execute();
    for (const other of admins.filter((a) => a.id !== admin.id)) {
      await ctx.db.updateTable('users').set({ status: 'deactivated' }).where('id', '=', other.id).execute();
    }
    assert.equal((await app.inject({ method: 'PATCH', url: `/api/v1/users/${admin.id}`, headers: admin.auth, payload: { role: 'doctor' } })).statusCode, 409);
    assert.equal((await app.inject({ method: 'DELETE', url: `/api/v1/users/${admin.id}`, headers: admin.auth })).statusCode, 409);
  });

  it('sets passwords: self with the current one, admin for anyone; others 404', async () => {
    const user = await createUser(built, 'patient');
    const stranger = await createUser(built, 'patient');
    assert.equal(
      (await app.inject({ method: 'PUT', url: `/api/v1/users/${user.id}/password`, headers: stranger.auth, payload: { new_password: 'hijacked password!!' } }))
        .statusCode,
      404,
    );
    assert.equal(
      (await app.inject({ method: 'PUT', url: `/api/v1/users/${user.id}/password`, headers: user.auth, payload: { new_password: 'my own new password' } }))
        .statusCode,
      422,
    );
    assert.equal(
      (await app.inject({ method: 'PUT', url: `/api/v1/users/${user.id}/password`, headers: admin.auth, payload: { new_password: 'set by the admin 2026' } }))
        .statusCode,
      204,
    );
    assert.equal((await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: user.auth })).statusCode, 401, 'admin reset ends the user sessions');
    await login(app, user.email, 'set by the admin 2026');
  });
});
