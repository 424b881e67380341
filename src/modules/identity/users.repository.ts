import { sql, type Selectable } from 'kysely';
import type { Executor } from '../../platform/database/index.js';
import type { Role } from '../../platform/auth/tokens.js';
import type { KeysetPosition } from '../../platform/http/pagination.js';
import type { UsersTable, UserStatus } from './identity.tables.js';
import { afterPosition } from '../../platform/database/keyset.js';

export type UserRow = Selectable<UsersTable>;

export interface UserFilter {
  role?: Role;
  status?: UserStatus;
  q?: string;
  sort: 'created_at' | '-created_at' | 'full_name' | '-full_name';
  after: KeysetPosition | null;
  limit: number;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export class UsersRepository {
  async findById(db: Executor, id: string): Promise<UserRow | undefined> {
    if (!UUID_RE.test(id)) return undefined;
    return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Several users in one read (a batch of notification jobs); unknown ids are left out. */
  async findByIds(db: Executor, ids: readonly string[]): Promise<UserRow[]> {
    const valid = [...new Set(ids)].filter((id) => UUID_RE.test(id));
    if (!valid.length) return [];
    return db.selectFrom('users').selectAll().where('id', 'in', valid).execute();
  }

  /** Seed 004 addresses users by username; docs/API.md §1 by id. Both are accepted. */
  async findByIdOrUsername(db: Executor, idOrUsername: string): Promise<UserRow | undefined> {
    if (UUID_RE.test(idOrUsername)) return this.findById(db, idOrUsername);
    return db
      .selectFrom('users')
      .selectAll()
      .where(sql<string>`lower(username)`, '=', idOrUsername.toLowerCase())
      .executeTakeFirst();
  }

  async findByLogin(db: Executor, identifier: string): Promise<UserRow | undefined> {
    const lower = identifier.toLowerCase();
    if (lower.includes('@')) return db.selectFrom('users').selectAll().where('email', '=', lower).executeTakeFirst();
    return db
      .selectFrom('users')
      .selectAll()
      .where(sql<string>`lower(username)`, '=', lower)
      .executeTakeFirst();
  }

  async emailTaken(db: Executor, email: string): Promise<boolean> {
    const row = await db.selectFrom('users').select('id').where('email', '=', email.toLowerCase()).executeTakeFirst();
    return row !== undefined;
  }

  async usernameTaken(db: Executor, username: string, exceptUserId?: string): Promise<boolean> {
    let query = db
      .selectFrom('users')
      .select('id')
      .where(sql<string>`lower(username)`, '=', username.toLowerCase());
    if (exceptUserId) query = query.where('id', '<>', exceptUserId);
    return (await query.executeTakeFirst()) !== undefined;
  }

  async insert(
    db: Executor,
    values: {
      email: string;
      username: string | null;
      password_hash: string;
      full_name: string;
      phone: string | null;
      role: Role;
      status: UserStatus;
      approved_at?: Date | null;
    },
  ): Promise<UserRow> {
    return db
      .insertInto('users')
      .values({ ...values, email: values.email.toLowerCase(), approved_at: values.approved_at ?? null, approved_by: null, deleted_at: null })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  async update(
    db: Executor,
    id: string,
    values: Partial<
      Pick<
        UserRow,
        | 'email'
        | 'username'
        | 'password_hash'
        | 'full_name'
        | 'phone'
        | 'time_zone'
        | 'role'
        | 'status'
        | 'approved_at'
        | 'approved_by'
        | 'password_changed_at'
        | 'deleted_at'
      >
    >,
  ): Promise<UserRow> {
    return db
      .updateTable('users')
      .set({ ...values, updated_at: new Date() })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  async countActiveAdmins(db: Executor): Promise<number> {
    const row = await db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('role', '=', 'admin')
      .where('status', '=', 'active')
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async list(db: Executor, filter: UserFilter): Promise<UserRow[]> {
    const column = filter.sort.replace('-', '') as 'created_at' | 'full_name';
    const descending = filter.sort.startsWith('-');
    let query = db.selectFrom('users').selectAll();
    if (filter.role) query = query.where('role', '=', filter.role);
    if (filter.status) query = query.where('status', '=', filter.status);
    else query = query.where('status', '<>', 'deleted');
    if (filter.q) {
      const pattern = `%${escapeLike(filter.q.toLowerCase())}%`;
      query = query.where((eb) =>
        eb.or([
          eb('email', 'like', pattern),
          eb(sql<string>`lower(full_name)`, 'like', pattern),
          eb(sql<string>`lower(coalesce(username, ''))`, 'like', pattern),
        ]),
      );
    }
    if (filter.after) {
      const value = column === 'created_at' ? new Date(String(filter.after.v)) : String(filter.after.v);
      const id = filter.after.id;
      query = query.where(afterPosition(column, 'id', descending, value, id));
    }
    const direction = descending ? 'desc' : 'asc';
    return query
      .orderBy(column, direction)
      .orderBy('id', direction)
      .limit(filter.limit + 1)
      .execute();
  }
}
