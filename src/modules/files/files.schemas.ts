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

/** The multipart body, for the OpenAPI document (parsing is done by @fastify/multipart). */
export const MultipartFileBody = {
  content: {
    'multipart/form-data': {
      schema: {
        type: 'object',
        required: ['file'],
        properties: { file: { type: 'string', format: 'binary', description: 'PDF, CSV, PNG, JPEG or WEBP' } },
      },
    },
  },
};

export const BinaryResponse = { description: 'The file bytes', type: 'string', format: 'binary' } as const;
