import type { FastifyInstance, FastifyReply } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { rolesAllowed } from '../../platform/http/auth.js';
import { problemResponses } from '../../platform/http/schemas.js';
import { requestMeta } from '../../platform/http/request-meta.js';
import type { PatientExportService } from './export.service.js';

const tags = ['users'];
const Format = Type.Object(
  {
    format: Type.Optional(
      Type.Union([Type.Literal('json'), Type.Literal('zip')], {
        default: 'json',
        description:
          '`json`: the JSON document alone (files as metadata and links). `zip`: an archive with README.txt, the same JSON as carebridge-export.json and every file’s bytes under files/<id>/<name> (each file item names its archive_path), streamed; each file read is audited as a download.',
      }),
    ),
  },
  { additionalProperties: false },
);
const ExportReply = Type.Unknown({
  description:
    "A JSON document (carebridge-export/1): `account` (profile and sign-in methods, no secrets), then one array per section: appointments, medical_records, prescriptions, lab_reports, allergies (as the API lists them), files (metadata and a download_url each), chat_messages (written or received by the patient; never another patient's), symptom_checker_sessions (what was told, answers, outcome, feedback) and audit_trail (who read or changed what of the patient's data, newest first, as GET /audit shows it to the patient). Streamed; a reply that ends early is not valid JSON.",
});

/** "Download my data" and an admin's export of a patient's record (docs/API.md §1.1, docs/SECURITY.md). Both need step-up. */
export async function exportRoutes(root: FastifyInstance, exports: PatientExportService): Promise<void> {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const send = (reply: FastifyReply, result: { filename: string; contentType: string; stream: NodeJS.ReadableStream }) =>
    reply.header('content-type', result.contentType).header('content-disposition', `attachment; filename="${result.filename}"`).send(result.stream);

  app.get('/users/me/export', {
    config: { access: rolesAllowed('patient'), stepUp: true },
    schema: {
      tags,
      summary: 'Download all my data (GDPR access and portability): one JSON document, or a ZIP with the files too, streamed',
      querystring: Format,
      response: { 200: ExportReply, ...problemResponses },
    },
    handler: async (request, reply) => {
      const meta = requestMeta(request);
      return send(reply, await exports.exportOf(meta, meta.actor.id, request.query.format ?? 'json'));
    },
  });

  app.get('/users/:user/export', {
    config: { access: rolesAllowed('admin'), stepUp: true },
    schema: {
      tags,
      summary: "Export a patient's whole record (admins): one JSON document, or a ZIP with the files too, streamed",
      params: Type.Object({ user: Type.String({ format: 'uuid' }) }),
      querystring: Format,
      response: { 200: ExportReply, ...problemResponses },
    },
    handler: async (request, reply) => send(reply, await exports.exportOf(requestMeta(request), request.params.user, request.query.format ?? 'json')),
  });
}
