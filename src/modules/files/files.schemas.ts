import { Type } from 'typebox';
import { DateTime, Uuid } from '../../platform/http/schemas.js';

export const FileSchema = Type.Object(
  {
    id: Uuid,
    filename: Type.String(),
    content_type: Type.String(),
    size: Type.Integer(),
    sha256: Type.String(),
    created_at: DateTime,
  },
  { $id: 'File', additionalProperties: false },
);

export const BinaryResponse = { description: 'The file bytes', type: 'string', format: 'binary' } as const;
