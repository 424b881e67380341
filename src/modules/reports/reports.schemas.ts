import { Type } from 'typebox';
import { DateTime, Uuid } from '../../platform/http/schemas.js';
import { PageQuery } from '../../platform/http/pagination.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
export const FlagSchema = Type.Union([Type.Literal('low'), Type.Literal('normal'), Type.Literal('high'), Type.Literal('critical')]);

const observationProps = {
  name: Type.String(),
  code: Type.String({ description: 'Built-in analyte key (e.g. "hba1c") or the normalised name; trends group by it' }),
  value: Type.Number(),
  unit: Nullable(Type.String()),
  reference_range: Nullable(Type.String()),
  flag: Type.Union([FlagSchema, Type.Null()], { description: 'null when no reference range is known for this analyte and unit' }),
  range_source: Type.Union([Type.Literal('report'), Type.Literal('built_in'), Type.Null()]),
  observed_at: DateTime,
};
export const ObservationSchema = Type.Object(observationProps, { $id: 'Observation', additionalProperties: false });

const UnparsedSchema = Type.Object({ line: Nullable(Type.Integer()), text: Type.String(), reason: Type.String() }, { additionalProperties: false });

const summary = {
  id: Uuid,
  patient_id: Uuid,
  uploaded_by: Uuid,
  format: Type.Union([Type.Literal('csv'), Type.Literal('pdf')]),
  status: Type.Union([Type.Literal('parsed'), Type.Literal('partial'), Type.Literal('unparsed')]),
  collected_at: DateTime,
  created_at: DateTime,
  observation_count: Type.Integer(),
  abnormal_count: Type.Integer(),
  file: Type.Ref('File'),
  file_url: Type.String(),
};

export const LabReportSummarySchema = Type.Object(summary, { $id: 'LabReportSummary', additionalProperties: false });
export const LabReportSchema = Type.Object(
  { ...summary, observations: Type.Array(Type.Ref('Observation')), unparsed: Type.Array(UnparsedSchema) },
  { $id: 'LabReport', additionalProperties: false },
);

export const UploadReportQuery = Type.Object(
  {
    patient_id: Type.Optional(Uuid),
    collected_at: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false },
);

export const ReportListQuery = Type.Object(
  {
    ...PageQuery.properties,
    patient_id: Type.Optional(Uuid),
    status: Type.Optional(Type.Union([Type.Literal('parsed'), Type.Literal('partial'), Type.Literal('unparsed')])),
  },
  { additionalProperties: false },
);

export const TrendQuery = Type.Object(
  {
    ...PageQuery.properties,
    name: Type.String({ minLength: 1, maxLength: 120, description: 'Analyte name or alias, e.g. HbA1c' }),
  },
  { additionalProperties: false },
);

export const TrendSchema = Type.Object(
  {
    patient_id: Uuid,
    name: Type.String(),
    code: Type.String(),
    items: Type.Array(Type.Object({ ...observationProps, report_id: Uuid }, { additionalProperties: false })),
    next_cursor: Nullable(Type.String()),
  },
  { additionalProperties: false },
);
