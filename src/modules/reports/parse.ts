import { parse as parseCsv } from 'csv-parse/sync';
import chardet from 'chardet';
import iconv from 'iconv-lite';
import { ValidationError } from '../../platform/errors.js';
import { findAnalyte, type Analyte } from './analytes.js';

export type Flag = 'low' | 'normal' | 'high' | 'critical';

export interface ParsedObservation {
  name: string;
  code: string | null;
  value: number;
  unit: string | null;
  reference_range: string | null;
  ref_low: number | null;
  ref_high: number | null;
  /** null when neither the report nor the built-in table gives a usable range. */
  flag: Flag | null;
  /** Where the range used for the flag came from. */
  range_source: 'report' | 'built_in' | null;
  observed_at: string | null;
}

export interface UnparsedRow {
  line: number | null;
  text: string;
  reason: string;
}

export interface ParseResult {
  observations: ParsedObservation[];
  unparsed: UnparsedRow[];
  collected_at: string | null;
}

const NUM = String.raw`-?\d+(?:[.,]\d+)?`;

export function toNumber(text: string): number | null {
  const t = text.trim().replace(/\s/g, '');
  if (!new RegExp(`^${NUM}$`).test(t)) return null;
  return Number(t.replace(',', '.'));
}

/** "3.5-5.1", "3,5 – 5,1", "12 to 16", "<200", "≥ 40", "up to 5". */
export function parseRange(text: string | null | undefined): { low: number | null; high: number | null } | null {
  if (!text) return null;
  const t = text
    .trim()
    .replace(/[[\]()]/g, '')
    .replace(/\s+/g, ' ');
  let m = new RegExp(`^(${NUM})\\s*(?:-|–|—|to|\\.\\.)\\s*(${NUM})\\s*\\S*$`, 'i').exec(t);
  if (m) {
    const low = toNumber(m[1]!);
    const high = toNumber(m[2]!);
    if (low !== null && high !== null && low <= high) return { low, high };
    return null;
  }
  m = new RegExp(`^(<=?|≤|up to|below|less than)\\s*(${NUM})\\s*\\S*$`, 'i').exec(t);
  if (m) return { low: null, high: toNumber(m[2]!) };
  m = new RegExp(`^(>=?|≥|above|greater than|over)\\s*(${NUM})\\s*\\S*$`, 'i').exec(t);
  if (m) return { low: toNumber(m[2]!), high: null };
  return null;
}

/** "13.2", "5,4", "13.2 H", "<0.5", "250*" → a number; anything else → null. */
export function parseValue(text: string): number | null {
  const t = text
    .trim()
    .replace(/\s*(\(?\b(H|L|HH|LL|HIGH|LOW|A|CRIT|CRITICAL)\b\)?|\*+|!+)\s*$/i, '')
    .replace(/^[<>≤≥]=?\s*/, '');
  return toNumber(t);
}

// Unit conversions to the built-in table's unit, used only to compare with built-in ranges.
const CONVERSIONS: Record<string, Record<string, (v: number) => number>> = {
  glucose: { 'mmol/l': (v) => v * 18.016 },
  cholesterol_total: { 'mmol/l': (v) => v * 38.67 },
  ldl: { 'mmol/l': (v) => v * 38.67 },
  hdl: { 'mmol/l': (v) => v * 38.67 },
  triglycerides: { 'mmol/l': (v) => v * 88.57 },
  hemoglobin: { 'g/l': (v) => v / 10 },
  creatinine: { 'umol/l': (v) => v / 88.4, 'µmol/l': (v) => v / 88.4, 'μmol/l': (v) => v / 88.4 },
  calcium: { 'mmol/l': (v) => v * 4.008 },
  hba1c: { 'mmol/mol': (v) => v / 10.929 + 2.15 },
};

function unitKey(unit: string | null): string {
  return (unit ?? '')
    .toLowerCase()
    .replace(/\s+/g, '')
    .replace(/^x/, '')
    .replace(/\*/g, '^')
    .replace('10e9', '10^9')
    .replace('10e12', '10^12')
    .replace('mu/l', 'miu/l')
    .replace('µiu/ml', 'miu/l');
}

/** Value in the analyte's built-in unit, or null when the unit is different and unknown. */
function inBuiltInUnit(analyte: Analyte, value: number, unit: string | null): number | null {
  const given = unitKey(unit);
  if (!given || given === unitKey(analyte.unit)) return value;
  const convert = CONVERSIONS[analyte.key]?.[given];
  return convert ? convert(value) : null;
}

/**
 * low / normal / high from the report's own range when printed, else from the built-in
 * table (unit-aware). `critical` only from the built-in critical limits (a laboratory's
 * panic values), never guessed from an arbitrary distance to the range.
 */
export function classify(
  name: string,
  value: number,
  unit: string | null,
  rangeText: string | null,
): Pick<ParsedObservation, 'code' | 'ref_low' | 'ref_high' | 'flag' | 'range_source'> {
  const analyte = findAnalyte(name);
  const own = parseRange(rangeText);
  const builtInValue = analyte ? inBuiltInUnit(analyte, value, unit) : null;
  let flag: Flag | null = null;
  let low: number | null = null;
  let high: number | null = null;
  let source: ParsedObservation['range_source'] = null;
  if (own) {
    ({ low, high } = own);
    source = 'report';
    flag = low !== null && value < low ? 'low' : high !== null && value > high ? 'high' : 'normal';
  } else if (analyte && builtInValue !== null && (analyte.low !== undefined || analyte.high !== undefined)) {
    low = analyte.low ?? null;
    high = analyte.high ?? null;
    source = 'built_in';
    flag = low !== null && builtInValue < low ? 'low' : high !== null && builtInValue > high ? 'high' : 'normal';
  }
  if (analyte && builtInValue !== null) {
    if (
      (analyte.criticalLow !== undefined && builtInValue < analyte.criticalLow) ||
      (analyte.criticalHigh !== undefined && builtInValue > analyte.criticalHigh)
    )
      flag = 'critical';
  }
  return { code: analyte?.key ?? null, ref_low: low, ref_high: high, flag, range_source: source };
}

function observation(name: string, valueText: string, unit: string | null, range: string | null, observedAt: string | null): ParsedObservation | string {
  const cleanName = name.replace(/\s+/g, ' ').trim();
  if (!cleanName) return 'the row has no analyte name';
  if (cleanName.length > 120) return 'the analyte name is too long';
  if (!valueText.trim()) return 'the row has no result value';
  const value = parseValue(valueText);
  if (value === null) return `the result "${valueText.trim().slice(0, 40)}" is not a number`;
  const cleanUnit = unit?.trim() ? unit.trim().slice(0, 40) : null;
  const cleanRange = range?.trim() ? range.trim().slice(0, 80) : null;
  if (cleanRange && !parseRange(cleanRange)) {
    const classified = classify(cleanName, value, cleanUnit, null);
    return { name: cleanName, value, unit: cleanUnit, reference_range: cleanRange, observed_at: observedAt, ...classified };
  }
  return {
    name: cleanName,
    value,
    unit: cleanUnit,
    reference_range: cleanRange,
    observed_at: observedAt,
    ...classify(cleanName, value, cleanUnit, cleanRange),
  };
}

// ---------------------------------------------------------------- CSV

/** Decodes a text file whatever its encoding: BOM, else chardet's guess (UTF-8, Latin-1, Windows-1252, UTF-16…). */
export function decodeText(bytes: Buffer): string {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return bytes.subarray(3).toString('utf8');
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return iconv.decode(bytes.subarray(2), 'utf16le');
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return iconv.decode(bytes.subarray(2), 'utf16be');
  const utf8 = bytes.toString('utf8');
  if (!utf8.includes('\ufffd')) return utf8;
  const guess = chardet.detect(bytes);
  const encoding = guess && iconv.encodingExists(guess) && !/^UTF-8$/i.test(guess) ? guess : 'windows-1252';
  return iconv.decode(bytes, encoding);
}

const COLUMNS: Record<'name' | 'value' | 'unit' | 'range' | 'date', string[]> = {
  name: [
    'test',
    'test name',
    'analyte',
    'name',
    'parameter',
    'component',
    'investigation',
    'examination',
    'description',
    'item',
    'observation',
    'lab test',
    'determination',
    'analyse',
    'paramètre',
    'parametre',
    'untersuchung',
  ],
  value: ['result', 'value', 'result value', 'your value', 'measured', 'résultat', 'resultat', 'valeur', 'wert', 'ergebnis', 'obs value'],
  unit: ['unit', 'units', 'uom', 'unité', 'unite', 'einheit'],
  range: [
    'reference range',
    'ref range',
    'reference',
    'range',
    'normal range',
    'reference interval',
    'ref. range',
    'ref interval',
    'normal values',
    'standard range',
    'normes',
    'valeurs de référence',
    'valeurs de reference',
    'referenzbereich',
    'expected',
  ],
  date: ['date', 'collected', 'collection date', 'collected at', 'sample date', 'specimen date', 'observation date', 'datum'],
};

function headerIndex(row: string[]): Partial<Record<keyof typeof COLUMNS, number>> {
  const found: Partial<Record<keyof typeof COLUMNS, number>> = {};
  row.forEach((cell, i) => {
    const h = cell
      .toLowerCase()
      .replace(/[_\s]+/g, ' ')
      .replace(/[:*]/g, '')
      .trim();
    for (const [key, names] of Object.entries(COLUMNS) as [keyof typeof COLUMNS, string[]][]) {
      if (found[key] === undefined && names.includes(h)) found[key] = i;
    }
  });
  return found;
}

function isoDate(text: string | undefined): string | null {
  if (!text) return null;
  const t = text.trim();
  let m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}))?/.exec(t);
  if (m) return new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4] ?? '00'}:${m[5] ?? '00'}:00Z`).toISOString();
  m = /^(\d{1,2})[./](\d{1,2})[./](\d{4})$/.exec(t); // day-first (European) dates
  if (m) return new Date(Date.UTC(Number(m[3]), Number(m[2]) - 1, Number(m[1]))).toISOString();
  return null;
}

export function parseCsvReport(bytes: Buffer): ParseResult {
  const text = decodeText(bytes).replace(/^\ufeff/, '');
  const firstLine = text.split(/\r?\n/).find((l) => l.trim()) ?? '';
  const delimiter = [',', ';', '\t', '|'].map((d) => [d, firstLine.split(d).length] as const).sort((a, b) => b[1] - a[1])[0]![0];
  const unparsed: UnparsedRow[] = [];
  let records: { record: string[]; info: { lines: number }; raw: string }[];
  try {
    records = parseCsv(text, {
      delimiter,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      trim: true,
      info: true,
      raw: true,
      skip_records_with_error: true,
      on_skip: (err: { message?: string; lines?: number } | undefined, raw?: string) => {
        unparsed.push({ line: err?.lines ?? null, text: (raw ?? '').slice(0, 200), reason: `malformed CSV: ${err?.message ?? 'unreadable row'}` });
      },
    } as never) as never;
  } catch (err) {
    throw new ValidationError(`The CSV could not be read: ${(err as Error).message}`, [{ path: '/file', message: 'is not a readable CSV' }]);
  }
  let header: Partial<Record<keyof typeof COLUMNS, number>> | null = null;
  let start = 0;
  for (let i = 0; i < Math.min(records.length, 15); i++) {
    const idx = headerIndex(records[i]!.record);
    if (idx.name !== undefined && idx.value !== undefined) {
      header = idx;
      start = i + 1;
      break;
    }
  }
  if (!header) {
    throw new ValidationError('No header row with an analyte name and a result column was found (e.g. "Test,Result,Unit,Reference Range").', [
      { path: '/file', message: 'has no recognisable columns' },
    ]);
  }
  const observations: ParsedObservation[] = [];
  for (const { record, info, raw } of records.slice(start)) {
    const cell = (i: number | undefined) => (i === undefined ? '' : (record[i] ?? ''));
    if (record.every((c) => !c.trim())) continue;
    const result = observation(cell(header.name), cell(header.value), cell(header.unit) || null, cell(header.range) || null, isoDate(cell(header.date)));
    if (typeof result === 'string') unparsed.push({ line: info.lines, text: raw.trim().slice(0, 200), reason: result });
    else observations.push(result);
  }
  unparsed.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  return { observations, unparsed, collected_at: null };
}

// ---------------------------------------------------------------- PDF

const RANGE_AT_END = new RegExp(String.raw`(?:^|\s)((?:[<>≤≥]=?\s*${NUM})|(?:${NUM}\s*(?:-|–|—|to)\s*${NUM}))\s*$`, 'i');
const ROW = new RegExp(
  String.raw`^(?<name>[A-Za-zÀ-ÿµ][A-Za-zÀ-ÿ0-9 ,()%/+'.-]*?)\s+(?<value>[<>≤≥]?=?\s*${NUM})(?:\s*(?<flag>\(?(?:HH|LL|H|L|HIGH|LOW|CRIT|CRITICAL)\)?|\*+))?(?<rest>(?:\s+.*)?)$`,
  'i',
);
const DATE_LINE =
  /(collected|collection date|collection|sample date|specimen collected|date collected|drawn|date of collection)\s*[:-]?\s*(\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2})?|\d{1,2}[./]\d{1,2}[./]\d{4})/i;

export interface PdfText {
  pages: string[];
}

export async function extractPdfText(bytes: Buffer): Promise<PdfText> {
  const { getDocumentProxy, extractText } = await import('unpdf');
  let doc: Awaited<ReturnType<typeof getDocumentProxy>>;
  try {
    doc = await getDocumentProxy(new Uint8Array(bytes), { isEvalSupported: false, stopAtErrors: false } as never);
  } catch (err) {
    const name = (err as { name?: string }).name ?? '';
    if (name === 'PasswordException' || /password/i.test((err as Error).message ?? '')) {
      throw new ValidationError('The PDF is password-protected; upload an unencrypted copy.', [{ path: '/file', message: 'is an encrypted PDF' }]);
    }
    throw new ValidationError('The PDF could not be read; it may be damaged.', [{ path: '/file', message: 'is not a readable PDF' }]);
  }
  try {
    if (doc.numPages > 50)
      throw new ValidationError('The PDF has more than 50 pages; upload the lab report only.', [{ path: '/file', message: 'has too many pages' }]);
    const { text } = await extractText(doc, { mergePages: false });
    return { pages: text as string[] };
  } catch (err) {
    if (err instanceof ValidationError) throw err;
    throw new ValidationError('The PDF text could not be extracted; it may be damaged.', [{ path: '/file', message: 'is not a readable PDF' }]);
  } finally {
    await doc.destroy().catch(() => {});
  }
}

/** Parses tabular lab lines ("Hemoglobin 13.2 g/dL 12.0-15.5") from extracted PDF text. */
export function parsePdfLines(pdf: PdfText): ParseResult {
  const observations: ParsedObservation[] = [];
  const unparsed: UnparsedRow[] = [];
  let collectedAt: string | null = null;
  const text = pdf.pages.join('\n');
  if (!text.trim()) {
    return {
      observations,
      unparsed: [{ line: null, text: '', reason: 'the PDF has no text layer (a scanned image?); it cannot be read without OCR' }],
      collected_at: null,
    };
  }
  const lines = text.split(/\r?\n/);
  lines.forEach((rawLine, index) => {
    const line = rawLine.replace(/\s+/g, ' ').trim();
    if (!line) return;
    const date = DATE_LINE.exec(line);
    if (date) {
      collectedAt ??= isoDate(date[2]);
      return;
    }
    if (!/\d/.test(line) || line.includes(':')) return; // titles, headers, "Patient: …" metadata
    const m = ROW.exec(line);
    if (!m?.groups) {
      unparsed.push({ line: index + 1, text: line.slice(0, 200), reason: 'the line does not have the shape "name value unit range"' });
      return;
    }
    const name = m.groups.name!.trim();
    let rest = (m.groups.rest ?? '').trim();
    const rangeMatch = RANGE_AT_END.exec(rest);
    const range = rangeMatch ? rangeMatch[1]!.trim() : null;
    if (rangeMatch) rest = rest.slice(0, rangeMatch.index).trim();
    const unit = rest || null;
    if (!findAnalyte(name) && !range) {
      unparsed.push({ line: index + 1, text: line.slice(0, 200), reason: 'unknown analyte without a reference range' });
      return;
    }
    const result = observation(name, m.groups.value!, unit, range, null);
    if (typeof result === 'string') unparsed.push({ line: index + 1, text: line.slice(0, 200), reason: result });
    else observations.push(result);
  });
  if (observations.length === 0 && unparsed.length === 0) {
    unparsed.push({ line: null, text: text.trim().slice(0, 200), reason: 'no result rows were found in the PDF text' });
  }
  return { observations, unparsed, collected_at: collectedAt };
}
