import type { Actor, CareRelationships } from '../../platform/access.js';
import type { Executor } from '../../platform/database/index.js';
import type { FileRow } from './files.repository.js';

/**
 * An extra reason an actor may read a file, registered by another area's service builder
 * (it receives the FilesService). Example (chat, buildChatServices):
 *
 *   files.access.register(async (db, actor, fileId) =>
 *     isParticipantOfARoomWhereShared(db, actor.id, fileId), 'chat');
 *
 * A rule only ever grants; it cannot take away access the base rules give.
 */
export type FileAccessRule = (db: Executor, actor: Actor, fileId: string, file: FileRow) => Promise<boolean>;

export class FileAccess {
  private readonly rules: { name: string; rule: FileAccessRule }[] = [];

  constructor(private readonly care: CareRelationships) {}

  register(rule: FileAccessRule, name = `rule${this.rules.length + 1}`): void {
    this.rules.push({ name, rule });
  }

  /**
   * Base rules: the uploader; anyone who may read the patient's data (the patient, their
   * care team, nurses and admins) when the file belongs to a patient; then registered rules.
   */
  async canRead(db: Executor, actor: Actor, file: FileRow): Promise<boolean> {
    if (actor.status !== 'active') return false;
    if (file.owner_id === actor.id) return true;
    if (file.patient_id && (await this.care.canAccessPatient(db, actor, file.patient_id))) return true;
    for (const { rule } of this.rules) {
      if (await rule(db, actor, file.id, file)) return true;
    }
    return false;
  }
}
