import { PayloadTooLargeError, ValidationError, AppError } from '../../../platform/errors.js';

/** Decoding more pixels than this is refused (decompression bombs), as in the files module. */
export const MAX_INPUT_PIXELS = 40_000_000;
/** The normalised image's longer side (the analyser works on a ≤ 512-px copy of it). */
export const NORMALISED_SIDE = 1024;

export interface DecodedImage {
  rgb: Uint8Array;
  width: number;
  height: number;
  originalWidth: number;
  originalHeight: number;
}

function unprocessable(detail: string, type: string): AppError {
  return new AppError(422, 'Unprocessable Content', detail, [{ path: '/image', message: detail }], type);
}

/**
 * The upload as the patient sent it (files' StagedFile.image, read before re-encoding): the
 * analyser refuses what re-encoding would silently change — animations (all frames but the
 * first dropped), CMYK (converted without the printer's profile) and 16-bit data.
 */
export function assertAnalysableSource(source: { pages: number; space: string | null; depth: string | null } | undefined): void {
  if (!source) return;
  if (source.pages > 1) throw unprocessable('Animated or multi-page images cannot be analysed; send a single photo.', 'image-animated');
  if (source.space === 'cmyk')
    throw unprocessable(
      'CMYK images (made for print) cannot be analysed: their colours depend on the printer profile. Send the camera photo (RGB).',
      'image-cmyk',
    );
  if (source.depth && source.depth !== 'uchar')
    throw unprocessable(
      `${source.depth === 'ushort' ? '16-bit' : source.depth} images cannot be analysed; send an 8-bit photo (JPEG, PNG or WEBP).`,
      'image-bit-depth',
    );
}

/**
 * Decodes an uploaded (already sniffed and EXIF-stripped) image for the analyser: refuses
 * animations, CMYK and 16-bit data it cannot judge colours in, and bombs (pixel limit); then
 * lets libvips shrink it early — JPEG shrink-on-load, so a 20-megapixel photo never exists at
 * full size in memory — to at most 1024 px a side, 8-bit sRGB without alpha. sharp runs this
 * on its own thread pool, off the event loop.
 */
export async function decodeForAnalysis(path: string): Promise<DecodedImage> {
  const { default: sharp } = await import('sharp');
  const options = { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'error' as const, pages: -1 };
  let meta: import('sharp').Metadata;
  try {
    meta = await sharp(path, options).metadata();
  } catch (err) {
    if (/pixel limit/i.test((err as Error).message))
      throw new PayloadTooLargeError(`The image has more than ${MAX_INPUT_PIXELS} pixels (a decompression bomb guard).`);
    throw new ValidationError('The image could not be decoded; it may be corrupt or truncated.', [{ path: '/image', message: 'is not a decodable image' }]);
  }
  assertAnalysableSource({ pages: meta.pages ?? 1, space: meta.space ?? null, depth: meta.depth ?? null });
  const orientation = meta.orientation ?? 1;
  const swap = orientation >= 5 && orientation <= 8;
  const originalWidth = (swap ? meta.height : meta.width) ?? 0;
  const originalHeight = (swap ? meta.width : meta.height) ?? 0;
  try {
    const { data, info } = await sharp(path, { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'error' })
      .rotate()
      .resize({ width: NORMALISED_SIDE, height: NORMALISED_SIDE, fit: 'inside', withoutEnlargement: true })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    // A copy in a plain ArrayBuffer: it is transferred (not copied again) to the worker thread.
    return { rgb: Uint8Array.from(data), width: info.width, height: info.height, originalWidth, originalHeight };
  } catch (err) {
    if (/pixel limit/i.test((err as Error).message))
      throw new PayloadTooLargeError(`The image has more than ${MAX_INPUT_PIXELS} pixels (a decompression bomb guard).`);
    throw new ValidationError('The image could not be decoded; it may be corrupt or truncated.', [{ path: '/image', message: 'is not a decodable image' }]);
  }
}
