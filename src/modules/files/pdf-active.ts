import { inflateSync, constants as zlib } from 'node:zlib';

/**
 * Active content in a PDF (issue 11, item 5), found by reading the PDF's structure rather
 * than searching its bytes:
 *  - names are decoded before they are compared (`/J#61vaScript` is `/JavaScript`);
 *  - object streams (`/Type /ObjStm`, where PDF 1.5+ keeps dictionaries compressed) are
 *    inflated and their dictionaries read the same way; one that cannot be decoded is refused;
 *  - stream data is not read as dictionaries (a binary image cannot trip the check by chance);
 *  - an encrypted PDF cannot be inspected at all, so it is refused.
 * Refused: JavaScript, launch, embedded files, rich media, XFA forms, form submission or data
 * import, and actions that open other documents. Links to pages and web addresses
 * (GoTo, URI) and plain open actions that jump to a page stay allowed.
 */
export const PDF_ACTIVE_NAMES: ReadonlySet<string> = new Set([
  'JavaScript',
  'JS',
  'Launch',
  'EmbeddedFile',
  'EmbeddedFiles',
  'RichMedia',
  'XFA',
  'SubmitForm',
  'ImportData',
  'GoToR',
  'GoToE',
]);

export type PdfVerdict =
  { ok: true } | { ok: false; reason: 'active'; name: string } | { ok: false; reason: 'encrypted' } | { ok: false; reason: 'undecodable' };

/** Total bytes inflated from object streams before the file is refused (a zip-bomb guard). */
const MAX_INFLATED_BYTES = 64 * 1024 * 1024;
const NAME = /\/((?:[^\s/<>[\](){}%#]|#[0-9A-Fa-f]{2})+)/g;

export function decodeName(raw: string): string {
  return raw.replace(/#([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

function namesIn(text: string): Set<string> {
  const names = new Set<string>();
  for (const match of text.matchAll(NAME)) names.add(decodeName(match[1]!));
  return names;
}

/** The byte ranges of stream data (`stream` EOL … `endstream`) with the dictionary before each. */
function streams(text: string): { dict: string; start: number; end: number }[] {
  const out: { dict: string; start: number; end: number }[] = [];
  const re = /stream(\r\n|\n|\r)/g;
  let match: RegExpExecArray | null;
  while ((match = re.exec(text))) {
    // `endstream` also ends with "stream": only a keyword after a dictionary opens a stream.
    const before = text.slice(Math.max(0, match.index - 8192), match.index);
    if (!/>>\s*$/.test(before) || /end$/.test(before)) continue;
    const objAt = Math.max(before.lastIndexOf(' obj'), before.lastIndexOf('\nobj'), before.lastIndexOf('\robj'));
    const dict = objAt >= 0 ? before.slice(objAt) : before;
    const start = match.index + match[0].length;
    let end = text.indexOf('endstream', start);
    if (end === -1) end = text.length;
    out.push({ dict, start, end });
    re.lastIndex = end;
  }
  return out;
}

export function inspectPdf(buffer: Buffer): PdfVerdict {
  const text = buffer.toString('latin1');
  const found = streams(text);
  // Everything outside stream data: the file's own dictionaries, trailer included.
  let outside = '';
  let cursor = 0;
  for (const s of found) {
    outside += text.slice(cursor, s.start) + ' ';
    cursor = s.end;
  }
  outside += text.slice(cursor);
  const topNames = namesIn(outside);
  if (topNames.has('Encrypt')) return { ok: false, reason: 'encrypted' };
  for (const name of topNames) if (PDF_ACTIVE_NAMES.has(name)) return { ok: false, reason: 'active', name };

  let budget = MAX_INFLATED_BYTES;
  for (const s of found) {
    const dictNames = namesIn(s.dict);
    if (!dictNames.has('ObjStm')) continue;
    const filters = [...dictNames].filter((n) => n.endsWith('Decode') || n === 'Fl');
    if (filters.some((f) => f !== 'FlateDecode' && f !== 'Fl')) return { ok: false, reason: 'undecodable' };
    let body = buffer.subarray(s.start, s.end);
    if (filters.length) {
      try {
        body = inflateSync(body, { finishFlush: zlib.Z_SYNC_FLUSH, maxOutputLength: budget });
      } catch {
        return { ok: false, reason: 'undecodable' };
      }
    }
    budget -= body.length;
    if (budget <= 0) return { ok: false, reason: 'undecodable' };
    for (const name of namesIn(body.toString('latin1'))) if (PDF_ACTIVE_NAMES.has(name)) return { ok: false, reason: 'active', name };
  }
  return { ok: true };
}
