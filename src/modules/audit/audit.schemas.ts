import { Type, type Static } from 'typebox';
import { DateTime, Uuid } from '../../platform/http/schemas.js';
import { PageQuery } from '../../platform/http/pagination.js';
import { TimeFilter, TzParam } from '../../platform/http/time-filter.js';

export const AuditActionSchema = Type.Union(
  ['read', 'list', 'create', 'update', 'delete', 'upload', 'download', 'status_change', 'grant', 'revoke', 'consent'].map((a) => Type.Literal(a)),
);

export const AuditEntrySchema = Type.Object(
  {
    id: Uuid,
    at: DateTime,
    actor: Type.Union([Type.Object({ id: Uuid, role: Type.String(), full_name: Type.Union([Type.String(), Type.Null()]) }), Type.Null()]),
    patient_id: Type.Union([Uuid, Type.Null()]),
    resource_type: Type.String(),
    resource_id: Type.Union([Type.String(), Type.Null()]),
    /** A list read: the ids of this patient's resources in the reply (one row per patient and read). */
    resource_ids: Type.Union([Type.Array(Type.String()), Type.Null()]),
    action: Type.String(),
    /** Admins only; null in a patient's view of their own record. */
    ip: Type.Union([Type.String(), Type.Null()]),
    user_agent: Type.Union([Type.String(), Type.Null()]),
    request_id: Type.Union([Type.String(), Type.Null()]),
  },
  { $id: 'AuditEntry', additionalProperties: false },
);

export const AuditQuery = Type.Object(
  {
    ...PageQuery.properties,
    patient_id: Type.Optional(Uuid),
    actor_id: Type.Optional(Uuid),
    resource_type: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    /** Rows about this resource: its own reads and writes, and list reads that included it. */
    resource_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    action: Type.Optional(AuditActionSchema),
    from: Type.Optional(TimeFilter),
    to: Type.Optional(TimeFilter),
    tz: Type.Optional(TzParam),
  },
  { additionalProperties: false },
);
export type AuditQuery = Static<typeof AuditQuery>;
