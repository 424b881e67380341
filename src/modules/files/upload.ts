import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyRequest } from 'fastify';
import type { Metadata } from 'sharp';
import { AppError, BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../../platform/errors.js';
import { inspectPdf } from './pdf-active.js';

/** The allow-list (docs/API.md §3). The type is always sniffed from the bytes. */
export const ALLOWED_TYPES = {
  'application/pdf': { ext: 'pdf', label: 'PDF' },
  'text/csv': { ext: 'csv', label: 'CSV' },
  'image/png': { ext: 'png', label: 'PNG' },
  'image/jpeg': { ext: 'jpg', label: 'JPEG' },
  'image/webp': { ext: 'webp', label: 'WEBP' },
} as const;
export type AllowedType = keyof typeof ALLOWED_TYPES;
export const IMAGE_TYPES: ReadonlySet<AllowedType> = new Set(['image/png', 'image/jpeg', 'image/webp']);

/** Extensions a client may put on a filename, and the content type each one claims. */
const EXTENSION_CLAIMS: Record<string, AllowedType> = {
  '.pdf': 'application/pdf',
  '.csv': 'text/csv',
  '.tsv': 'text/csv',
  '.txt': 'text/csv',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.jfif': 'image/jpeg',
  '.webp': 'image/webp',
};

/** Decoding more pixels than this is refused (decompression bombs): 40 megapixels. */
export const MAX_IMAGE_PIXELS = 40_000_000;

export interface StagedFile {
  /** Temporary file holding the final bytes (EXIF already stripped for images). */
  path: string;
  filename: string;
  contentType: AllowedType;
  size: number;
  sha256: string;
  /** Plain form fields sent before the file part. */
  fields: Record<string, string>;
  /** Temporary paths to remove once the upload is stored or abandoned. */
  cleanup: string[];
  /**
   * Images: the upload as sent, before re-encoding (which keeps the first frame only and
   * converts CMYK and 16-bit data to 8-bit sRGB), for areas that must refuse those
   * (the skin-image analyser, issue 16).
   */
  image?: SourceImage;
}

export interface SourceImage {
  width: number;
  height: number;
  /** Frames or pages (1 for a still image). */
  pages: number;
  /** libvips colour space, e.g. 'srgb', 'cmyk', 'b-w', 'rgb16'. */
  space: string | null;
  /** libvips band format, e.g. 'uchar' (8-bit), 'ushort' (16-bit). */
  depth: string | null;
}

export interface ReceiveOptions {
  tmpDir: string;
  limitBytes: number;
  allowed: readonly AllowedType[];
  field?: string;
}

// Characters that must never appear in a stored filename: C0/C1 controls and the
// Unicode bidi overrides used to disguise extensions ("invoice\u202Efdp.exe").
// eslint-disable-next-line no-control-regex -- control characters are exactly what this refuses
const FORBIDDEN_NAME_CHARS = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

export function validateFilename(raw: string | undefined, contentType?: AllowedType): string {
  const name = (raw ?? '').normalize('NFC').trim();
  const errors: { path: string; message: string }[] = [];
  if (FORBIDDEN_NAME_CHARS.test(name)) errors.push({ path: '/file/filename', message: 'must not contain control characters' });
  if (/[\\/]/.test(name) || name.split(/[\\/]/).some((s) => s === '..' || s === '.'))
    errors.push({ path: '/file/filename', message: 'must be a plain file name, without a path' });
  if (name.length > 255) errors.push({ path: '/file/filename', message: 'must be at most 255 characters' });
  if (errors.length) throw new ValidationError('The filename is not acceptable.', errors);
  const cleaned = name.replace(/^\.+/, '');
  if (cleaned) return cleaned;
  return `upload.${contentType ? ALLOWED_TYPES[contentType].ext : 'bin'}`;
}

class HashAndCount extends Transform {
  readonly hash = createHash('sha256');
  bytes = 0;
  constructor(private readonly limit: number) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limit) return done(new PayloadTooLargeError(`The file is larger than the limit of ${this.limit} bytes.`));
    this.hash.update(chunk);
    done(null, chunk);
  }
}

/** Streams a file through SHA-256 to `target`; returns its size and hash. */
async function hashFile(path: string): Promise<{ size: number; sha256: string }> {
  const counter = new HashAndCount(Number.MAX_SAFE_INTEGER);
  await pipeline(createReadStream(path), counter, async (source: AsyncIterable<unknown>) => {
    for await (const _ of source) {
      // drain
    }
  });
  return { size: counter.bytes, sha256: counter.hash.digest('hex') };
}

async function readSlice(path: string, position: number, length: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, position);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** Text that looks like a delimited table: no binary bytes, a separator on the first line. */
function looksLikeCsv(head: Buffer): boolean {
  if (head.length === 0) return false;
  const utf16 = (head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff);
  // eslint-disable-next-line no-control-regex -- NUL and other control bytes mark binary content
  const text = utf16 ? head.toString('utf16le').replace(/\u0000/g, '') : head.toString('latin1');
  // eslint-disable-next-line no-control-regex -- as above
  if (!utf16 && /[\u0000-\u0008\u000e-\u001a\u001c-\u001f]/.test(text)) return false;
  const firstLine =
    text
      .replace(/^\ufeff|^ï»¿/, '')
      .split(/\r?\n/)
      .find((line) => line.trim() !== '') ?? '';
  return /[,;\t|]/.test(firstLine);
}

const ZIP_EOCD = Buffer.from([0x50, 0x4b, 0x05, 0x06]);
const ZIP_LOCAL = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
const ACTIVE_MARKUP = /<(script|html|svg|iframe|object|embed)\b|<\?php|<%@?\s/i;
const MARKUP_START = /^(\ufeff|ï»¿)?\s*<(!doctype|html|\?xml|svg|script|head|body)\b/i;

/**
 * Polyglots: a file that is a valid PDF/image *and* something else (a ZIP/JAR appended,
 * HTML or script at the start, active PDF content). Rejected outright rather than trusted.
 */
async function assertNotPolyglot(path: string, size: number, type: AllowedType): Promise<void> {
  const head = await readSlice(path, 0, Math.min(size, 4096));
  const tail = await readSlice(path, Math.max(0, size - 65_536), Math.min(size, 65_536));
  const reject = (why: string) => {
    throw new UnsupportedMediaTypeError(`The file is not a plain ${ALLOWED_TYPES[type].label}: ${why}.`);
  };
  if (type !== 'text/csv') {
    if (tail.includes(ZIP_EOCD) || head.subarray(4).includes(ZIP_LOCAL)) reject('it also contains a ZIP archive (polyglot)');
    if (ACTIVE_MARKUP.test(head.toString('latin1'))) reject('it contains HTML or script markup (polyglot)');
  }
  if (type === 'application/pdf') {
    // Read the PDF's structure (decoded names, inflated object streams), not its bytes.
    const verdict = inspectPdf(await readFile(path));
    if (!verdict.ok && verdict.reason === 'active')
      reject(`it contains active content (/${verdict.name}: JavaScript, launch actions, embedded files or forms)`);
    if (!verdict.ok && verdict.reason === 'encrypted') {
      throw new ValidationError('The PDF is password-protected (encrypted), so its content cannot be checked; upload an unencrypted copy.', [
        { path: '/file', message: 'is an encrypted PDF' },
      ]);
    }
    if (!verdict.ok && verdict.reason === 'undecodable')
      reject('its compressed object streams cannot be read, so its content cannot be checked for active content');
  }
}

async function sniff(path: string): Promise<{ type: AllowedType | null; detected: string }> {
  const { fileTypeFromFile } = await import('file-type'); // on first upload, not at start-up
  const detected = await fileTypeFromFile(path);
  if (detected) {
    const type = (detected.mime in ALLOWED_TYPES ? detected.mime : null) as AllowedType | null;
    return { type, detected: detected.mime };
  }
  const head = await readSlice(path, 0, 65_536);
  if (MARKUP_START.test(head.toString('latin1')) || ACTIVE_MARKUP.test(head.toString('latin1'))) return { type: null, detected: 'HTML/XML markup' };
  if (looksLikeCsv(head)) return { type: 'text/csv', detected: 'text/csv' };
  return { type: null, detected: 'unknown binary or text' };
}

/** Re-encodes an image without its metadata (EXIF, GPS, XMP, ICC comments). */
async function stripImage(path: string, type: AllowedType, out: string): Promise<SourceImage> {
  // sharp (libvips, ~30 MB resident) loads on the first image upload, not at start-up
  // (docs/BENCHMARKS.md, Footprint); outside the try so a broken install is a 500, not a 422.
  const { default: sharp } = await import('sharp');
  const options = { limitInputPixels: MAX_IMAGE_PIXELS, failOn: 'error' as const, sequentialRead: true };
  let meta: Metadata;
  try {
    meta = await sharp(path, options).metadata();
  } catch (err) {
    if (/pixel limit/i.test((err as Error).message))
      throw new PayloadTooLargeError(`The image has more than ${MAX_IMAGE_PIXELS} pixels (a decompression bomb guard).`);
    throw new ValidationError('The image could not be decoded; it may be corrupt or truncated.', [{ path: '/file', message: 'is not a decodable image' }]);
  }
  const pixels = (meta.width ?? 0) * (meta.height ?? 0) * (meta.pages ?? 1);
  if (!meta.width || !meta.height) throw new ValidationError('The image has no dimensions.', [{ path: '/file', message: 'is not a decodable image' }]);
  if (pixels > MAX_IMAGE_PIXELS) {
    throw new PayloadTooLargeError(`The image is ${meta.width}×${meta.height} pixels; at most ${MAX_IMAGE_PIXELS} pixels are accepted.`);
  }
  try {
    // .rotate() applies the EXIF orientation before the metadata is dropped; sharp
    // writes no EXIF/XMP/IPTC unless asked to (keepMetadata), so the output is clean.
    let pipelineImage = sharp(path, options).rotate();
    if (type === 'image/png') pipelineImage = pipelineImage.png({ compressionLevel: 9 });
    else if (type === 'image/jpeg') pipelineImage = pipelineImage.jpeg({ quality: 92, mozjpeg: true });
    else pipelineImage = pipelineImage.webp({ quality: 92 });
    await pipelineImage.toFile(out);
  } catch (err) {
    if (/pixel limit/i.test((err as Error).message))
      throw new PayloadTooLargeError(`The image has more than ${MAX_IMAGE_PIXELS} pixels (a decompression bomb guard).`);
    throw new ValidationError('The image could not be decoded; it may be corrupt or truncated.', [{ path: '/file', message: 'is not a decodable image' }]);
  }
  return { width: meta.width, height: meta.height, pages: meta.pages ?? 1, space: meta.space ?? null, depth: meta.depth ?? null };
}

function isClientError(err: unknown): boolean {
  const status = (err as { statusCode?: number }).statusCode;
  return typeof status === 'number' && status >= 400 && status < 500;
}

/**
 * Receives the multipart file of a request into a temporary file, streaming (never the
 * whole upload in memory), hashing and counting as it goes, then validates it: size
 * limit (413), non-empty, type sniffed from the bytes against the allow-list (415),
 * filename (422), extension not contradicting the content (415), no polyglot (415),
 * images decoded within a pixel budget and re-encoded without EXIF. On any failure the
 * temporary files are removed and nothing is stored.
 */
export async function receiveUpload(request: FastifyRequest, options: ReceiveOptions): Promise<StagedFile> {
  if (!request.isMultipart()) throw new UnsupportedMediaTypeError('Send the file as multipart/form-data in the field "file".');
  const field = options.field ?? 'file';
  await mkdir(options.tmpDir, { recursive: true, mode: 0o700 });
  const raw = join(options.tmpDir, `${randomUUID()}.upload`);
  const cleanup = [raw];
  const discard = async () => {
    await Promise.all(cleanup.map((p) => rm(p, { force: true })));
  };
  try {
    let part: Awaited<ReturnType<FastifyRequest['file']>>;
    try {
      part = await request.file({
        limits: { fileSize: options.limitBytes + 1, files: 1, fields: 20, fieldSize: 64 * 1024, parts: 25, headerPairs: 100 },
        throwFileSizeLimit: false,
        preservePath: true,
      });
    } catch (err) {
      if (err instanceof AppError || isClientError(err)) throw err;
      throw new BadRequestError('The multipart body could not be parsed.');
    }
    if (!part) throw new ValidationError(`No file was sent; put it in the multipart field "${field}".`, [{ path: `/${field}`, message: 'is required' }]);
    if (part.fieldname !== field) {
      part.file.resume();
      throw new ValidationError(`The file must be sent in the multipart field "${field}".`, [{ path: `/${field}`, message: 'is required' }]);
    }
    const fields: Record<string, string> = {};
    for (const [name, value] of Object.entries(part.fields)) {
      const v = Array.isArray(value) ? value[0] : value;
      if (v && v.type === 'field' && typeof v.value === 'string') fields[name] = v.value;
    }
    // Validate the name before reading the bytes, but keep reading to give a clean reply.
    let nameError: unknown = null;
    try {
      validateFilename(part.filename);
    } catch (err) {
      nameError = err;
    }
    const counter = new HashAndCount(options.limitBytes);
    try {
      await pipeline(part.file, counter, createWriteStream(raw, { flags: 'wx', mode: 0o600 }));
    } catch (err) {
      if (err instanceof AppError) throw err;
      if (isClientError(err)) throw err;
      throw new BadRequestError('The upload was interrupted or the multipart body is malformed.');
    }
    if (part.file.truncated) throw new PayloadTooLargeError(`The file is larger than the limit of ${options.limitBytes} bytes.`);
    if (nameError) throw nameError;
    if (counter.bytes === 0) throw new ValidationError('The file is empty.', [{ path: `/${field}`, message: 'must not be empty' }]);

    const { type, detected } = await sniff(raw);
    const allowedLabels = options.allowed.map((t) => ALLOWED_TYPES[t].label).join(', ');
    if (!type || !options.allowed.includes(type)) {
      throw new UnsupportedMediaTypeError(`The content is ${detected}; accepted here: ${allowedLabels} (the type is read from the bytes, not the filename).`);
    }
    let filename = validateFilename(part.filename, type);
    const extension = extname(filename).toLowerCase();
    const claimed = EXTENSION_CLAIMS[extension];
    if (claimed && claimed !== type) {
      throw new UnsupportedMediaTypeError(`The filename says ${ALLOWED_TYPES[claimed].label} but the content is ${ALLOWED_TYPES[type].label}.`);
    }
    // A stored file's extension always matches its sniffed type (issue 11): "report.html"
    // holding CSV is stored as "report.csv", "evil.exe" holding a PNG as "evil.png".
    if (!claimed) filename = `${extension ? filename.slice(0, -extension.length) : filename}.${ALLOWED_TYPES[type].ext}`;
    await assertNotPolyglot(raw, counter.bytes, type);

    if (IMAGE_TYPES.has(type)) {
      const clean = join(options.tmpDir, `${randomUUID()}.clean`);
      cleanup.push(clean);
      const image = await stripImage(raw, type, clean);
      const { size, sha256 } = await hashFile(clean);
      if (size > options.limitBytes) throw new PayloadTooLargeError(`The file is larger than the limit of ${options.limitBytes} bytes.`);
      return { path: clean, filename, contentType: type, size, sha256, fields, cleanup, image };
    }
    return { path: raw, filename, contentType: type, size: counter.bytes, sha256: counter.hash.digest('hex'), fields, cleanup };
  } catch (err) {
    await discard();
    throw err;
  }
}

export async function discardStaged(staged: StagedFile): Promise<void> {
  await Promise.all(staged.cleanup.map((p) => rm(p, { force: true })));
}
