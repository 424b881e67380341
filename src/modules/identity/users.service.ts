import { randomBytes } from 'node:crypto';
import type { Db } from '../../platform/database/index.js';
import type { EventBus } from '../../platform/events.js';
import type { Actor } from '../../platform/access.js';
import type { Role } from '../../platform/auth/tokens.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../platform/errors.js';
import { decodeCursor, toPage } from '../../platform/http/pagination.js';
import type { PasswordHasher } from '../../platform/auth/passwords.js';
import type { UserRow, UsersRepository } from './users.repository.js';
import type { SessionsRepository } from './sessions.repository.js';
import type { UserListQuery, UserDto } from './identity.schemas.js';
import { toUserDto, type IdentityService } from './identity.service.js';
import type { SessionCache } from './session-cache.js';

/** Administration of accounts (docs/API.md §1, seed 004 aliases). */
export class UsersService {
  constructor(
    private readonly db: Db,
    private readonly users: UsersRepository,
    private readonly sessions: SessionsRepository,
    private readonly identity: IdentityService,
    private readonly passwords: PasswordHasher,
    private readonly events: EventBus,
    private readonly cache: SessionCache,
  ) {}

  async list(query: UserListQuery) {
    const limit = query.limit ?? 20;
    const sort = query.sort ?? '-created_at';
    const rows = await this.users.list(this.db, { role: query.role, status: query.status, q: query.q, sort, after: decodeCursor(query.cursor), limit });
    const column = sort.replace('-', '') as 'created_at' | 'full_name';
    return toPage(rows, limit, (row) => (column === 'created_at' ? row.created_at.toISOString() : row.full_name), toUserDto);
  }

  /** Admins see anyone; other users only themselves (404 for others: existence is private). */
  async get(actor: Actor, idOrUsername: string): Promise<UserDto> {
    const user = await this.users.findByIdOrUsername(this.db, idOrUsername);
    if (!user || (actor.role !== 'admin' && user.id !== actor.id)) throw new NotFoundError('User');
    return toUserDto(user);
  }

  private async requireUser(idOrUsername: string): Promise<UserRow> {
    const user = await this.users.findByIdOrUsername(this.db, idOrUsername);
    if (!user || user.status === 'deleted') throw new NotFoundError('User');
    return user;
  }

  /** Keeps the clinic from locking itself out: the last active admin can't step down. */
  private async guardLastAdmin(user: UserRow, next: { role?: Role; status?: string }): Promise<void> {
    const losesAdmin = user.role === 'admin' && user.status === 'active' && ((next.role && next.role !== 'admin') || (next.status && next.status !== 'active'));
    if (losesAdmin && (await this.users.countActiveAdmins(this.db)) <= 1) {
      throw new ConflictError('This is the last active administrator; appoint another one first.', 'last-admin');
    }
  }

  async update(actor: Actor, idOrUsername: string, change: { role?: Role; status?: 'active' | 'deactivated' }): Promise<UserDto> {
    const user = await this.requireUser(idOrUsername);
    await this.guardLastAdmin(user, change);
    const approving = change.status === 'active' && user.status === 'pending';
    const updated = await this.db.transaction().execute(async (trx) => {
      const row = await this.users.update(trx, user.id, {
        ...(change.role && { role: change.role }),
        ...(change.status && { status: change.status }),
        ...(approving && { approved_at: new Date(), approved_by: actor.id }),
      });
      if (change.status === 'deactivated') await this.sessions.revokeAllForUser(trx, user.id, 'deactivated');
      // A new role ends the user's sessions (security review M5): a session signed in under the old
      // role, perhaps without the second factor the new one requires, must not refresh into it.
      else if (change.role && change.role !== user.role) await this.sessions.revokeAllForUser(trx, user.id, 'role_changed');
      // The "account approved" notification is written in this transaction (contract §6, docs/NOTIFICATIONS.md).
      if (approving) await this.events.publishInTransaction(trx, 'user.approved', { userId: user.id, role: row.role, approvedBy: actor.id });
      return row;
    });
    await this.cache.invalidateUser(user.id);
    if (approving) await this.events.publish('user.approved', { userId: user.id, role: updated.role, approvedBy: actor.id });
    if (change.role && change.role !== user.role) await this.events.publish('user.role_changed', { userId: user.id, from: user.role, to: change.role });
    return toUserDto(updated);
  }

  async approve(actor: Actor, idOrUsername: string): Promise<UserDto> {
    const user = await this.requireUser(idOrUsername);
    if (user.status !== 'pending') throw new ConflictError(`Only pending accounts can be approved; this one is ${user.status}.`, 'not-pending');
    return this.update(actor, user.id, { status: 'active' });
  }

  /**
   * Soft delete: the account can no longer sign in and its personal identifiers are
   * replaced, but the row (and all clinical data pointing at it) is retained, as medical
   * record-keeping law requires.
   */
  async remove(actor: Actor, idOrUsername: string): Promise<void> {
    const user = await this.requireUser(idOrUsername);
    await this.guardLastAdmin(user, { status: 'deleted' });
    const unusableHash = await this.passwords.hash(randomBytes(32).toString('base64url'));
    await this.db.transaction().execute(async (trx) => {
      await this.users.update(trx, user.id, {
        email: `deleted-${user.id}@deleted.invalid`,
        username: null,
        full_name: 'Deleted user',
        phone: null,
        password_hash: unusableHash,
        status: 'deleted',
        deleted_at: new Date(),
      });
      await this.sessions.revokeAllForUser(trx, user.id, 'deleted');
    });
    await this.cache.invalidateUser(user.id);
    await this.events.publish('user.deleted', { userId: user.id, by: actor.id });
  }

  /** Seed 004 `PUT /users/{u}/password`: self with the current password, or an admin. */
  async setPassword(actor: Actor, idOrUsername: string, newPassword: string, currentPassword?: string): Promise<void> {
    const user = await this.users.findByIdOrUsername(this.db, idOrUsername);
    const isSelf = user?.id === actor.id;
    if (!user || user.status === 'deleted' || (!isSelf && actor.role !== 'admin')) throw new NotFoundError('User');
    if (isSelf) {
      if (!currentPassword) throw new ValidationError('Your current password is required.', [{ path: '/current_password', message: 'is required' }]);
      await this.identity.changePassword(actor, currentPassword, newPassword);
      return;
    }
    if (actor.role !== 'admin') throw new ForbiddenError();
    await this.identity.setPassword(user, newPassword);
  }
}
