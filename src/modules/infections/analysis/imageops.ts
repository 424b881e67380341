/**
 * Small image operations on typed arrays (row-major, one value per pixel) used by the skin
 * analyser (docs/DERMA.md). Plain loops over Float32Array/Uint8Array: at the analyser's
 * 512-pixel working size each pass costs a few milliseconds, and nothing here allocates per
 * pixel. Structuring elements are squares (separable: a row pass then a column pass).
 */

export type Mask = Uint8Array;

/** Box blur of radius r (separable running sums); three passes approximate a Gaussian. */
export function boxBlur(src: Float32Array, w: number, h: number, r: number, passes = 1): Float32Array {
  const a = Float32Array.from(src);
  const b = new Float32Array(src.length);
  for (let p = 0; p < passes; p++) {
    for (let y = 0; y < h; y++) {
      const row = y * w;
      let sum = 0;
      for (let x = -r; x <= r; x++) sum += a[row + clamp(x, 0, w - 1)]!;
      for (let x = 0; x < w; x++) {
        b[row + x] = sum / (2 * r + 1);
        sum += a[row + Math.min(x + r + 1, w - 1)]! - a[row + Math.max(x - r, 0)]!;
      }
    }
    for (let x = 0; x < w; x++) {
      let sum = 0;
      for (let y = -r; y <= r; y++) sum += b[clamp(y, 0, h - 1) * w + x]!;
      for (let y = 0; y < h; y++) {
        a[y * w + x] = sum / (2 * r + 1);
        sum += b[Math.min(y + r + 1, h - 1) * w + x]! - b[Math.max(y - r, 0) * w + x]!;
      }
    }
  }
  return a;
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/**
 * Grey-level erosion (min) or dilation (max) with a (2r+1)² square: van Herk/Gil-Werman
 * running extrema, about three comparisons per pixel and pass whatever the radius. Max is
 * computed as −min(−x), so one monomorphic loop serves both.
 */
export function greyMorph(src: Float32Array, w: number, h: number, r: number, op: 'min' | 'max'): Float32Array {
  const sign = op === 'min' ? 1 : -1;
  const size = 2 * r + 1;
  const maxLen = Math.ceil((Math.max(w, h) + 2 * r) / size) * size + size;
  const line = new Float32Array(maxLen);
  const g = new Float32Array(maxLen);
  const hb = new Float32Array(maxLen);
  const tmp = new Float32Array(src.length);
  const out = new Float32Array(src.length);
  // Rows: src → tmp.
  for (let y = 0; y < h; y++) {
    const row = y * w;
    const padded = Math.ceil((w + 2 * r) / size) * size;
    for (let k = 0; k < padded; k++) line[k] = k >= r && k < r + w ? sign * src[row + k - r]! : Infinity;
    runningMin(line, g, hb, padded, size);
    for (let k = 0; k < w; k++) tmp[row + k] = Math.min(hb[k]!, g[k + size - 1]!);
  }
  // Columns: tmp → out.
  for (let x = 0; x < w; x++) {
    const padded = Math.ceil((h + 2 * r) / size) * size;
    for (let k = 0; k < padded; k++) line[k] = k >= r && k < r + h ? tmp[(k - r) * w + x]! : Infinity;
    runningMin(line, g, hb, padded, size);
    for (let k = 0; k < h; k++) out[k * w + x] = sign * Math.min(hb[k]!, g[k + size - 1]!);
  }
  return out;
}

/** Block-wise prefix (g) and suffix (hb) minima of `line` for blocks of `size`. */
function runningMin(line: Float32Array, g: Float32Array, hb: Float32Array, padded: number, size: number): void {
  for (let b0 = 0; b0 < padded; b0 += size) {
    let m = line[b0]!;
    g[b0] = m;
    for (let k = b0 + 1; k < b0 + size; k++) {
      const v = line[k]!;
      if (v < m) m = v;
      g[k] = m;
    }
    m = line[b0 + size - 1]!;
    hb[b0 + size - 1] = m;
    for (let k = b0 + size - 2; k >= b0; k--) {
      const v = line[k]!;
      if (v < m) m = v;
      hb[k] = m;
    }
  }
}

/** Morphological black-hat (closing minus image): thin dark structures narrower than the square, e.g. hairs. */
export function blackHat(src: Float32Array, w: number, h: number, r: number): Float32Array {
  const closed = greyMorph(greyMorph(src, w, h, r, 'max'), w, h, r, 'min');
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = closed[i]! - src[i]!;
  return out;
}

/** Binary erosion/dilation with a (2r+1)² square (separable). */
export function binaryMorph(mask: Mask, w: number, h: number, r: number, op: 'erode' | 'dilate'): Mask {
  if (r <= 0) return Uint8Array.from(mask);
  const tmp = new Uint8Array(mask.length);
  const out = new Uint8Array(mask.length);
  const target = op === 'dilate' ? 1 : 0;
  // Row pass: distance-limited spread of `target` values using a running count.
  for (let y = 0; y < h; y++) {
    const row = y * w;
    let count = 0;
    for (let x = 0; x <= Math.min(r, w - 1); x++) if (mask[row + x] === target) count++;
    for (let x = 0; x < w; x++) {
      tmp[row + x] = count > 0 ? target : 1 - target;
      const add = x + r + 1;
      const drop = x - r;
      if (add < w && mask[row + add] === target) count++;
      if (drop >= 0 && mask[row + drop] === target) count--;
    }
  }
  for (let x = 0; x < w; x++) {
    let count = 0;
    for (let y = 0; y <= Math.min(r, h - 1); y++) if (tmp[y * w + x] === target) count++;
    for (let y = 0; y < h; y++) {
      out[y * w + x] = count > 0 ? target : 1 - target;
      const add = y + r + 1;
      const drop = y - r;
      if (add < h && tmp[add * w + x] === target) count++;
      if (drop >= 0 && tmp[drop * w + x] === target) count--;
    }
  }
  return out;
}

export const open = (m: Mask, w: number, h: number, r: number) => binaryMorph(binaryMorph(m, w, h, r, 'erode'), w, h, r, 'dilate');
export const close = (m: Mask, w: number, h: number, r: number) => binaryMorph(binaryMorph(m, w, h, r, 'dilate'), w, h, r, 'erode');

/**
 * Otsu's threshold over values in [0, 255] (256 bins). Returns the threshold and the
 * separability η = between-class variance / total variance (1 = two perfectly separated classes).
 */
export function otsu(values: Float32Array, weightMask?: Mask): { threshold: number; separability: number } {
  const hist = new Float64Array(256);
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    if (weightMask && !weightMask[i]) continue;
    const bin = clamp(Math.round(values[i]!), 0, 255);
    hist[bin] = hist[bin]! + 1;
    n++;
  }
  let sumAll = 0;
  let sumSq = 0;
  for (let t = 0; t < 256; t++) {
    sumAll += t * hist[t]!;
    sumSq += t * t * hist[t]!;
  }
  const mean = sumAll / Math.max(n, 1);
  const total = sumSq / Math.max(n, 1) - mean * mean;
  let wB = 0;
  let sumB = 0;
  let best = -1;
  let threshold = 127;
  for (let t = 0; t < 256; t++) {
    wB += hist[t]!;
    if (wB === 0) continue;
    const wF = n - wB;
    if (wF === 0) break;
    sumB += t * hist[t]!;
    const mB = sumB / wB;
    const mF = (sumAll - sumB) / wF;
    const between = (wB / n) * (wF / n) * (mB - mF) * (mB - mF);
    if (between > best) {
      best = between;
      threshold = t + 0.5;
    }
  }
  return { threshold, separability: total > 0 ? best / total : 0 };
}

export interface Component {
  label: number;
  area: number;
  cx: number;
  cy: number;
  minX: number;
  maxX: number;
  minY: number;
  maxY: number;
  touchesBorder: boolean;
}

/** 8-connected components of a mask. `labels` holds 1..n (0 = background). */
export function components(mask: Mask, w: number, h: number): { labels: Int32Array; list: Component[] } {
  const labels = new Int32Array(mask.length);
  const list: Component[] = [];
  const stack = new Int32Array(mask.length);
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || labels[start]) continue;
    const label = list.length + 1;
    const c: Component = { label, area: 0, cx: 0, cy: 0, minX: w, maxX: 0, minY: h, maxY: 0, touchesBorder: false };
    let top = 0;
    stack[top++] = start;
    labels[start] = label;
    while (top > 0) {
      const i = stack[--top]!;
      const x = i % w;
      const y = (i - x) / w;
      c.area++;
      c.cx += x;
      c.cy += y;
      if (x < c.minX) c.minX = x;
      if (x > c.maxX) c.maxX = x;
      if (y < c.minY) c.minY = y;
      if (y > c.maxY) c.maxY = y;
      if (x === 0 || y === 0 || x === w - 1 || y === h - 1) c.touchesBorder = true;
      for (let dy = -1; dy <= 1; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= h) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          if (nx < 0 || nx >= w) continue;
          const j = ny * w + nx;
          if (mask[j] && !labels[j]) {
            labels[j] = label;
            stack[top++] = j;
          }
        }
      }
    }
    c.cx /= c.area;
    c.cy /= c.area;
    list.push(c);
  }
  return { labels, list };
}

/** Fills holes: background pixels not 4-connected to the image border become foreground. */
export function fillHoles(mask: Mask, w: number, h: number): Mask {
  const outside = new Uint8Array(mask.length);
  const stack = new Int32Array(mask.length);
  let top = 0;
  const push = (i: number) => {
    if (!mask[i] && !outside[i]) {
      outside[i] = 1;
      stack[top++] = i;
    }
  };
  for (let x = 0; x < w; x++) {
    push(x);
    push((h - 1) * w + x);
  }
  for (let y = 0; y < h; y++) {
    push(y * w);
    push(y * w + w - 1);
  }
  while (top > 0) {
    const i = stack[--top]!;
    const x = i % w;
    if (x > 0) push(i - 1);
    if (x < w - 1) push(i + 1);
    if (i >= w) push(i - w);
    if (i < (h - 1) * w) push(i + w);
  }
  const out = new Uint8Array(mask.length);
  for (let i = 0; i < mask.length; i++) out[i] = outside[i] ? 0 : 1;
  return out;
}

/**
 * Inpainting by neighbour mean ("onion peel"): masked pixels are filled from the outside in,
 * each with the mean of its already-known 8-neighbours, for every channel given.
 */
export function inpaint(channels: Float32Array[], w: number, h: number, hole: Mask): void {
  const known = new Uint8Array(hole.length);
  for (let i = 0; i < hole.length; i++) known[i] = hole[i] ? 0 : 1;
  let frontier: number[] = [];
  for (let i = 0; i < hole.length; i++) if (hole[i] && hasKnownNeighbour(known, w, h, i)) frontier.push(i);
  const queued = new Uint8Array(hole.length);
  for (const i of frontier) queued[i] = 1;
  while (frontier.length) {
    const next: number[] = [];
    const filled: number[] = [];
    for (const i of frontier) {
      const x = i % w;
      const y = (i - x) / w;
      let n = 0;
      const sums = channels.map(() => 0);
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          const ny = y + dy;
          if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
          const j = ny * w + nx;
          if (!known[j]) continue;
          n++;
          for (let c = 0; c < channels.length; c++) sums[c]! += channels[c]![j]!;
        }
      }
      if (n > 0) for (let c = 0; c < channels.length; c++) channels[c]![i] = sums[c]! / n;
      filled.push(i);
    }
    for (const i of filled) known[i] = 1;
    for (const i of filled) {
      const x = i % w;
      const y = (i - x) / w;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          const ny = y + dy;
          if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
          const j = ny * w + nx;
          if (hole[j] && !known[j] && !queued[j]) {
            queued[j] = 1;
            next.push(j);
          }
        }
      }
    }
    frontier = next;
  }
}

function hasKnownNeighbour(known: Uint8Array, w: number, h: number, i: number): boolean {
  const x = i % w;
  const y = (i - x) / w;
  for (let dy = -1; dy <= 1; dy++) {
    for (let dx = -1; dx <= 1; dx++) {
      const nx = x + dx;
      const ny = y + dy;
      if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
      if (known[ny * w + nx]) return true;
    }
  }
  return false;
}

/** Convex hull (Andrew's monotone chain) of points given as a flat [x0, y0, x1, y1, …] list. */
export function convexHull(points: number[]): [number, number][] {
  const pts: [number, number][] = [];
  for (let i = 0; i < points.length; i += 2) pts.push([points[i]!, points[i + 1]!]);
  pts.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (pts.length < 3) return pts;
  const cross = (o: [number, number], a: [number, number], b: [number, number]) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower: [number, number][] = [];
  for (const p of pts) {
    while (lower.length >= 2 && cross(lower[lower.length - 2]!, lower[lower.length - 1]!, p) <= 0) lower.pop();
    lower.push(p);
  }
  const upper: [number, number][] = [];
  for (let i = pts.length - 1; i >= 0; i--) {
    const p = pts[i]!;
    while (upper.length >= 2 && cross(upper[upper.length - 2]!, upper[upper.length - 1]!, p) <= 0) upper.pop();
    upper.push(p);
  }
  upper.pop();
  lower.pop();
  return lower.concat(upper);
}

export function polygonPerimeter(poly: [number, number][]): number {
  let p = 0;
  for (let i = 0; i < poly.length; i++) {
    const a = poly[i]!;
    const b = poly[(i + 1) % poly.length]!;
    p += Math.hypot(a[0] - b[0], a[1] - b[1]);
  }
  return p;
}

// sRGB decoding of 4096 levels: finer than the 8-bit input, and no pow() per pixel.
const LINEAR = Float32Array.from({ length: 4097 }, (_, i) => {
  const c = i / 4096;
  return c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
});
const labF = (t: number) => (t > 216 / 24389 ? Math.cbrt(t) : ((24389 / 27) * t + 16) / 116);

/** sRGB (0..1) → CIELAB (D65), written into out[0..2]. */
export function labInto(r: number, g: number, b: number, out: Float32Array, offset = 0): void {
  const R = LINEAR[Math.round(Math.min(1, Math.max(0, r)) * 4096)]!;
  const G = LINEAR[Math.round(Math.min(1, Math.max(0, g)) * 4096)]!;
  const B = LINEAR[Math.round(Math.min(1, Math.max(0, b)) * 4096)]!;
  const fx = labF((0.4124 * R + 0.3576 * G + 0.1805 * B) / 0.95047);
  const fy = labF(0.2126 * R + 0.7152 * G + 0.0722 * B);
  const fz = labF((0.0193 * R + 0.1192 * G + 0.9505 * B) / 1.08883);
  out[offset] = 116 * fy - 16;
  out[offset + 1] = 500 * (fx - fy);
  out[offset + 2] = 200 * (fy - fz);
}

/** Bilinear sample with edge clamping. */
export function sample(src: Float32Array, w: number, h: number, x: number, y: number): number {
  const xc = clamp(x, 0, w - 1);
  const yc = clamp(y, 0, h - 1);
  const x0 = Math.floor(xc);
  const y0 = Math.floor(yc);
  const x1 = Math.min(x0 + 1, w - 1);
  const y1 = Math.min(y0 + 1, h - 1);
  const fx = xc - x0;
  const fy = yc - y0;
  const top = src[y0 * w + x0]! * (1 - fx) + src[y0 * w + x1]! * fx;
  const bottom = src[y1 * w + x0]! * (1 - fx) + src[y1 * w + x1]! * fx;
  return top * (1 - fy) + bottom * fy;
}
