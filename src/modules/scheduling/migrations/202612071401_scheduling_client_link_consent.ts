import { sql, type Kysely } from 'kysely';

/**
 * Issue 11: linking a clinic client to a patient account is no longer something a doctor
 * can do alone. `user_link_status` is `pending` until the patient accepts (or an admin
 * made the link), `active` after; only an active link is a care relationship. Existing
 * links made by anyone but an admin go back to `pending` and wait for the patient.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table clients add column user_link_status text check (user_link_status in ('pending', 'active'))`.execute(db);
  await sql`alter table clients add column user_linked_by uuid references users (id)`.execute(db);
  await sql`alter table clients add column user_link_confirmed_at timestamptz`.execute(db);
  await sql`
    update clients c
       set user_link_status = case when exists (select 1 from users u where u.id = c.created_by and u.role = 'admin') then 'active' else 'pending' end,
           user_linked_by = c.created_by
     where c.user_id is not null`.execute(db);
  await sql`alter table clients add constraint clients_user_link_status check ((user_id is null) = (user_link_status is null))`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table clients drop constraint clients_user_link_status`.execute(db);
  await sql`alter table clients drop column user_link_confirmed_at`.execute(db);
  await sql`alter table clients drop column user_linked_by`.execute(db);
  await sql`alter table clients drop column user_link_status`.execute(db);
}
