import type { FastifyInstance, FastifyReply } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { anyUser } from '../../platform/http/auth.js';
import { IdParams, problemResponses } from '../../platform/http/schemas.js';
import { requestMeta } from '../audit/index.js';
import type { FileRow } from './files.repository.js';
import type { FilesService } from './files.service.js';
import { receiveFile } from './receive.js';
import { BinaryResponse } from './files.schemas.js';

const tags = ['files'];

/** RFC 6266 Content-Disposition with an ASCII fallback and the UTF-8 name. */
export function contentDisposition(kind: 'inline' | 'attachment', filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  const encoded = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

export function fileHeaders(reply: FastifyReply, file: FileRow, kind: 'inline' | 'attachment'): void {
  const type = file.content_type === 'text/csv' ? 'text/csv; charset=utf-8' : file.content_type;
  reply
    .header('content-type', kind === 'attachment' ? type : type)
    .header('content-length', String(file.size))
    .header('content-disposition', contentDisposition(kind, file.filename))
    .header('etag', `"${file.sha256}"`)
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', "default-src 'none'; sandbox")
    .header('cache-control', 'private, no-store');
}

export async function filesRoutes(root: FastifyInstance, files: FilesService): Promise<void> {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();

  app.post('/files', {
    config: { access: anyUser },
    schema: {
      tags,
      summary: 'Upload a file (multipart field "file"; PDF, CSV, PNG, JPEG, WEBP; type sniffed from the bytes)',
      consumes: ['multipart/form-data'],
      response: { 201: Type.Ref('File'), ...problemResponses },
    },
    handler: async (request, reply) => {
      const file = await files.upload(requestMeta(request), await receiveFile(request, files));
      return reply.code(201).header('location', `/api/v1/files/${file.id}`).send(file);
    },
  });

  for (const [url, kind, action] of [
    ['/files/:id', 'inline', 'read'],
    ['/files/:id/download', 'attachment', 'download'],
  ] as const) {
    app.get(url, {
      config: { access: anyUser },
      schema: {
        tags,
        summary: kind === 'inline' ? 'Stream a file (uploader, the patient, their care team)' : 'Download a file as an attachment',
        params: IdParams,
        produces: ['application/octet-stream'],
        response: { 200: BinaryResponse, ...problemResponses },
      },
      handler: async (request, reply) => {
        const { file, stream } = await files.open(requestMeta(request), request.params.id, action);
        fileHeaders(reply, file, kind);
        return reply.send(stream);
      },
    });
  }
}
