import type { FastifyRequest } from 'fastify';
import type { FilesService } from './files.service.js';
import { ALLOWED_TYPES, receiveUpload, type AllowedType, type StagedFile } from './upload.js';

/**
 * Step 1 of an upload, in the route: receives the request's multipart file (field "file"
 * unless `field` is given; e.g. "image") into a validated StagedFile (upload.ts: streamed,
 * sniffed against `allowed`, size-limited, images re-encoded), to hand to a service, which
 * stores it with `files.storeWith` (or discards it with `files.discard`).
 */
export function receiveFile(
  request: FastifyRequest,
  files: FilesService,
  allowed: readonly AllowedType[] = Object.keys(ALLOWED_TYPES) as AllowedType[],
  field?: string,
): Promise<StagedFile> {
  return receiveUpload(request, { ...files.staging, allowed, ...(field ? { field } : {}) });
}
