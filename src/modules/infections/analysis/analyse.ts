import { dermoscopicStructures, holesPerComponent, STOLZ_D, type StructureFinding } from './structures.js';
import {
  binaryMorph,
  blackHat,
  boxBlur,
  close,
  components,
  convexHull,
  fillHoles,
  inpaint,
  open,
  otsu,
  polygonPerimeter,
  sample,
  labInto,
  type Mask,
} from './imageops.js';
import { scoreFeatures, type Scored } from './score.js';

/**
 * The default skin-image analyser (docs/DERMA.md): a rule-based feature score, not a trained
 * classifier. Pure and synchronous: it runs in a worker thread (pool.ts) on pixels the main
 * thread decoded with sharp (decode.ts).
 *
 * Pipeline: quality gates on the normalised image (≤ 1024 px a side) → working copy ≤ 512 px →
 * shades-of-grey colour constancy → hair removal (black-hat + inpainting) → segmentation
 * (Otsu on the better of two channels, open/close, fill, largest central component) →
 * dermoscopic features → score.ts.
 */

export interface AnalysisInput {
  /** Interleaved 8-bit RGB of the normalised image. */
  rgb: Uint8Array;
  width: number;
  height: number;
  /** The uploaded image's size (after EXIF rotation): the scale refers to its pixels. */
  originalWidth: number;
  originalHeight: number;
  scaleMmPerPx?: number | null;
  /** Return the lesion and hair masks (docs pictures, tests). */
  keepMasks?: boolean;
}

export type QualityGate = 'too_small' | 'too_dark' | 'overexposed' | 'blurry' | 'not_skin' | 'no_lesion';

export interface QualityFailure {
  ok: false;
  gate: QualityGate;
  reason: string;
  measured: Record<string, number>;
}

export type ColourName = 'white' | 'red' | 'light_brown' | 'dark_brown' | 'blue_grey' | 'black';
export const COLOURS: ColourName[] = ['white', 'red', 'light_brown', 'dark_brown', 'blue_grey', 'black'];

export interface Features {
  quality: { mean_luminance: number; clipped_fraction: number; sharpness_laplacian_var: number; skin_fraction: number };
  working_size: { width: number; height: number };
  hair_fraction: number;
  segmentation: { channel: 'lightness' | 'redness'; otsu_separability: number; area_fraction: number; contrast_delta_e: number };
  asymmetry: { axes_asymmetric: number; shape_index: [number, number]; colour_delta_e: [number, number]; score: number };
  border: { irregularity: number; compactness: number; sharpness_by_segment: number[]; abrupt_segments: number; score: number };
  colour: { present: ColourName[]; fractions: Record<ColourName, number>; score: number };
  /** Stolz's D (`present`, `score` 1–5) and every structure rule's finding with its confidence (structures.ts). */
  differential_structures: { present: string[]; score: number; not_assessed: string[]; findings: StructureFinding[] };
  diameter: { px: number; mm: number | null; equivalent_mm: number | null };
  pigmentation_delta_l: number;
  redness_delta_a: number;
  yellowness_delta_b: number;
  erythema_index: number;
  central_clearing: number;
  yellow_fraction: number;
  texture: { glcm_contrast: number; glcm_homogeneity: number; glcm_entropy: number };
}

export interface AnalysisSuccess {
  ok: true;
  features: Features;
  scored: Scored;
  masks?: { width: number; height: number; lesion: Uint8Array; hair: Uint8Array; rgb: Uint8Array };
  timings_ms: Record<string, number>;
}

export type AnalysisOutcome = AnalysisSuccess | QualityFailure;

/** Thresholds of the quality gates and the segmentation (docs/DERMA.md, "Quality gates"). */
export const GATES = {
  minSide: 160,
  tooDarkMean: 45,
  overexposedMean: 235,
  overexposedClipped: 0.25,
  blurLaplacianVar: 12,
  minSkinFraction: 0.25,
  minLesionArea: 0.002,
  maxLesionArea: 0.85,
  minLesionDeltaE: 7,
} as const;

const WORK_SIDE = 512;
const round = (v: number, d = 3) => Math.round(v * 10 ** d) / 10 ** d;

export function analyse(input: AnalysisInput): AnalysisOutcome {
  const t0 = performance.now();
  const timings: Record<string, number> = {};
  const mark = (name: string, since: number) => {
    timings[name] = round(performance.now() - since, 1);
    return performance.now();
  };
  const { rgb, width: w, height: h } = input;
  const n = w * h;
  if (Math.min(input.originalWidth, input.originalHeight) < GATES.minSide) {
    return fail(
      'too_small',
      `The image is ${input.originalWidth}×${input.originalHeight} pixels; at least ${GATES.minSide} pixels on the shorter side are needed.`,
      { width: input.originalWidth, height: input.originalHeight },
    );
  }

  // ---- quality gates on the normalised image ----
  const Y = new Float32Array(n);
  let sumY = 0;
  let clipped = 0;
  let skin = 0;
  for (let i = 0; i < n; i++) {
    const r = rgb[3 * i]!;
    const g = rgb[3 * i + 1]!;
    const b = rgb[3 * i + 2]!;
    const y = 0.299 * r + 0.587 * g + 0.114 * b;
    Y[i] = y;
    sumY += y;
    if (r >= 250 && g >= 250 && b >= 250) clipped++;
    // Skin chrominance box in YCbCr (Chai & Ngan 1999), for reasonably lit pixels.
    const cb = 128 - 0.168736 * r - 0.331264 * g + 0.5 * b;
    const cr = 128 + 0.5 * r - 0.418688 * g - 0.081312 * b;
    if (y > 25 && cb >= 77 && cb <= 127 && cr >= 133 && cr <= 173) skin++;
  }
  const meanY = sumY / n;
  const clippedFraction = clipped / n;
  const skinFraction = skin / n;
  const sharpness = laplacianSharpness(Y, w, h);
  const quality = {
    mean_luminance: round(meanY, 1),
    clipped_fraction: round(clippedFraction),
    sharpness_laplacian_var: round(sharpness, 1),
    skin_fraction: round(skinFraction),
  };
  if (meanY < GATES.tooDarkMean)
    return fail('too_dark', `The photo is too dark (mean brightness ${quality.mean_luminance} of 255); retake it in daylight or with more light.`, quality);
  if (meanY > GATES.overexposedMean || clippedFraction > GATES.overexposedClipped) {
    return fail(
      'overexposed',
      `The photo is overexposed (${Math.round(clippedFraction * 100)} % of pixels are pure white); avoid the flash and direct light.`,
      quality,
    );
  }
  if (sharpness < GATES.blurLaplacianVar)
    return fail(
      'blurry',
      `The photo is blurry (variance of the Laplacian ${quality.sharpness_laplacian_var}, at least ${GATES.blurLaplacianVar} needed); hold the camera still and tap to focus on the spot.`,
      quality,
    );
  if (skinFraction < GATES.minSkinFraction)
    return fail(
      'not_skin',
      `The photo does not look like skin (${Math.round(skinFraction * 100)} % skin-coloured pixels); photograph the affected skin from 10–20 cm.`,
      quality,
    );
  let t = mark('quality', t0);

  // ---- working copy (≤ 512 px a side, box-averaged) ----
  const k = Math.max(1, Math.ceil(Math.max(w, h) / WORK_SIDE));
  const ww = Math.floor(w / k);
  const wh = Math.floor(h / k);
  const N = ww * wh;
  const R = new Float32Array(N);
  const G = new Float32Array(N);
  const B = new Float32Array(N);
  for (let y = 0; y < wh; y++) {
    for (let x = 0; x < ww; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let dy = 0; dy < k; dy++) {
        for (let dx = 0; dx < k; dx++) {
          const s = 3 * ((y * k + dy) * w + x * k + dx);
          r += rgb[s]!;
          g += rgb[s + 1]!;
          b += rgb[s + 2]!;
        }
      }
      const j = y * ww + x;
      R[j] = r / (255 * k * k);
      G[j] = g / (255 * k * k);
      B[j] = b / (255 * k * k);
    }
  }
  const unit = Math.max(ww, wh) / WORK_SIDE; // structuring elements are sized for a 512-px image

  // ---- colour constancy: shades of grey, Minkowski p = 6 (Finlayson & Trezzi 2004) ----
  const e = [R, G, B].map((ch) => {
    let s = 0;
    for (let i = 0; i < N; i++) {
      const v3 = ch[i]! * ch[i]! * ch[i]!;
      s += v3 * v3;
    }
    return Math.max((s / N) ** (1 / 6), 1e-3);
  });
  const eMean = (e[0]! + e[1]! + e[2]!) / 3;
  [R, G, B].forEach((ch, c) => {
    const gain = eMean / e[c]!;
    for (let i = 0; i < N; i++) ch[i] = Math.min(1, ch[i]! * gain);
  });
  t = mark('constancy', t);

  // ---- hair removal: black-hat on luminance, elongated components only, inpainting ----
  const lum = new Float32Array(N);
  for (let i = 0; i < N; i++) lum[i] = 255 * (0.299 * R[i]! + 0.587 * G[i]! + 0.114 * B[i]!);
  const bh = blackHat(lum, ww, wh, Math.max(2, Math.round(4 * unit)));
  const dark = new Uint8Array(N);
  for (let i = 0; i < N; i++) dark[i] = bh[i]! > 18 ? 1 : 0;
  // Thin parts only (what an opening removes), then long ones: hairs, even where they cross
  // each other, but not dots, globules or the lesion's own dark blotches.
  const thick = open(dark, ww, wh, Math.max(1, Math.round(2 * unit)));
  const hairCandidates = new Uint8Array(N);
  for (let i = 0; i < N; i++) hairCandidates[i] = dark[i] && !thick[i] ? 1 : 0;
  const hairComponents = components(hairCandidates, ww, wh);
  const isHair = new Uint8Array(hairComponents.list.length + 1);
  // A long component that encloses many small holes is a pigment network's mesh, not hair (structures.ts).
  const holes = holesPerComponent(hairCandidates, hairComponents.labels, hairComponents.list.length, ww, wh, unit);
  for (const c of hairComponents.list) {
    const length = Math.hypot(c.maxX - c.minX + 1, c.maxY - c.minY + 1);
    if (length >= 24 * unit && c.area >= 12 && holes[c.label]! < 6) isHair[c.label] = 1;
  }
  let hair: Mask = new Uint8Array(N);
  for (let i = 0; i < N; i++) hair[i] = isHair[hairComponents.labels[i]!]! ? 1 : 0;
  hair = binaryMorph(hair, ww, wh, 1, 'dilate');
  let hairCount = 0;
  for (let i = 0; i < N; i++) hairCount += hair[i]!;
  if (hairCount > 0) inpaint([R, G, B], ww, wh, hair);
  t = mark('hair', t);

  // ---- CIELAB of the corrected, hair-free image ----
  const L = new Float32Array(N);
  const A = new Float32Array(N);
  const Bb = new Float32Array(N);
  const lab = new Float32Array(3);
  for (let i = 0; i < N; i++) {
    labInto(R[i]!, G[i]!, B[i]!, lab);
    L[i] = lab[0]!;
    A[i] = lab[1]!;
    Bb[i] = lab[2]!;
  }
  t = mark('lab', t);

  // ---- segmentation ----
  const Ls = boxBlur(L, ww, wh, Math.max(1, Math.round(2 * unit)), 2);
  const As = boxBlur(A, ww, wh, Math.max(1, Math.round(2 * unit)), 2);
  const darkness = rescale(Ls, -1);
  const redness = rescale(As, 1);
  const otsuDark = otsu(darkness);
  const otsuRed = otsu(redness);
  const useRed = otsuRed.separability > otsuDark.separability + 0.05;
  const channel = useRed ? redness : darkness;
  const threshold = useRed ? otsuRed.threshold : otsuDark.threshold;
  let mask: Mask = new Uint8Array(N);
  for (let i = 0; i < N; i++) mask[i] = channel[i]! > threshold ? 1 : 0;
  mask = open(mask, ww, wh, Math.max(1, Math.round(2 * unit)));
  mask = close(mask, ww, wh, Math.max(1, Math.round(3 * unit)));
  mask = fillHoles(mask, ww, wh);
  const comps = components(mask, ww, wh);
  const halfDiagonal = Math.hypot(ww, wh) / 2;
  let best: (typeof comps.list)[number] | null = null;
  let bestScore = 0;
  for (const c of comps.list) {
    const centrality = 1 - Math.min(1, Math.hypot(c.cx - ww / 2, c.cy - wh / 2) / halfDiagonal);
    const score = c.area * centrality * centrality * (c.touchesBorder ? 0.35 : 1);
    if (score > bestScore) {
      bestScore = score;
      best = c;
    }
  }
  const lesion = new Uint8Array(N);
  let area = 0;
  if (best) {
    for (let i = 0; i < N; i++) {
      if (comps.labels[i] === best.label) {
        lesion[i] = 1;
        area++;
      }
    }
  }
  const areaFraction = area / N;
  if (!best || areaFraction < GATES.minLesionArea) {
    return fail('no_lesion', 'No lesion was found: no spot stands out from the surrounding skin. Centre the spot in the photo, 10–20 cm away.', {
      ...quality,
      area_fraction: round(areaFraction, 4),
    });
  }
  if (areaFraction > GATES.maxLesionArea) {
    return fail('no_lesion', 'No lesion with surrounding skin was found: the area fills the whole photo. Step back so that some normal skin shows around it.', {
      ...quality,
      area_fraction: round(areaFraction, 4),
    });
  }
  // Perilesional skin: a ring 4–15 px (at 512 px) outside the lesion, without hairs.
  const outer = binaryMorph(lesion, ww, wh, Math.round(15 * unit), 'dilate');
  const inner = binaryMorph(lesion, ww, wh, Math.round(4 * unit), 'dilate');
  let ring: Mask = new Uint8Array(N);
  let ringCount = 0;
  for (let i = 0; i < N; i++) {
    ring[i] = outer[i] && !inner[i] && !hair[i] ? 1 : 0;
    ringCount += ring[i]!;
  }
  if (ringCount < 100) {
    ring = new Uint8Array(N);
    for (let i = 0; i < N; i++) ring[i] = lesion[i] ? 0 : 1;
  }
  const skinLab = meanOver([L, A, Bb], ring);
  const lesionLab = meanOver([L, A, Bb], lesion);
  const contrast = Math.hypot(lesionLab[0]! - skinLab[0]!, lesionLab[1]! - skinLab[1]!, lesionLab[2]! - skinLab[2]!);
  if (contrast < GATES.minLesionDeltaE) {
    return fail(
      'no_lesion',
      `No lesion was found: the most distinct area differs from the surrounding skin by ΔE ${round(contrast, 1)} (at least ${GATES.minLesionDeltaE} needed). Centre the spot in the photo.`,
      { ...quality, contrast_delta_e: round(contrast, 1) },
    );
  }
  t = mark('segmentation', t);

  // ---- shape: perimeter (crack length × π/4), convex hull, Feret diameter ----
  let cracks = 0;
  const corners: number[] = [];
  let cx = 0;
  let cy = 0;
  for (let y = 0; y < wh; y++) {
    for (let x = 0; x < ww; x++) {
      const i = y * ww + x;
      if (!lesion[i]) continue;
      cx += x;
      cy += y;
      const open4 =
        (x === 0 || !lesion[i - 1] ? 1 : 0) +
        (x === ww - 1 || !lesion[i + 1] ? 1 : 0) +
        (y === 0 || !lesion[i - ww] ? 1 : 0) +
        (y === wh - 1 || !lesion[i + ww] ? 1 : 0);
      if (open4) {
        cracks += open4;
        corners.push(x, y, x + 1, y, x, y + 1, x + 1, y + 1);
      }
    }
  }
  cx /= area;
  cy /= area;
  const perimeter = (cracks * Math.PI) / 4;
  const hull = convexHull(corners);
  const hullPerimeter = polygonPerimeter(hull);
  let feret = 0;
  for (let i = 0; i < hull.length; i++) {
    for (let j = i + 1; j < hull.length; j++) feret = Math.max(feret, Math.hypot(hull[i]![0] - hull[j]![0], hull[i]![1] - hull[j]![1]));
  }
  const irregularity = perimeter / Math.max(hullPerimeter, 1);
  const compactness = (4 * Math.PI * area) / (perimeter * perimeter);

  // ---- asymmetry about the two principal axes (shape overlap and colour of the halves) ----
  let mu20 = 0;
  let mu02 = 0;
  let mu11 = 0;
  for (let y = 0; y < wh; y++) {
    for (let x = 0; x < ww; x++) {
      if (!lesion[y * ww + x]) continue;
      mu20 += (x - cx) ** 2;
      mu02 += (y - cy) ** 2;
      mu11 += (x - cx) * (y - cy);
    }
  }
  const theta = 0.5 * Math.atan2(2 * mu11, mu20 - mu02);
  const axes: [number, number][] = [
    [Math.cos(theta), Math.sin(theta)],
    [-Math.sin(theta), Math.cos(theta)],
  ];
  const shapeIndex: number[] = [];
  const colourDelta: number[] = [];
  for (const [ux, uy] of axes) {
    let outside = 0;
    const halves = [
      [0, 0, 0, 0],
      [0, 0, 0, 0],
    ];
    for (let y = 0; y < wh; y++) {
      for (let x = 0; x < ww; x++) {
        const i = y * ww + x;
        if (!lesion[i]) continue;
        const vx = x - cx;
        const vy = y - cy;
        const along = vx * ux + vy * uy;
        const rx = Math.round(cx + 2 * along * ux - vx);
        const ry = Math.round(cy + 2 * along * uy - vy);
        if (rx < 0 || ry < 0 || rx >= ww || ry >= wh || !lesion[ry * ww + rx]) outside++;
        const side = ux * vy - uy * vx >= 0 ? 0 : 1;
        const half = halves[side]!;
        half[0]! += L[i]!;
        half[1]! += A[i]!;
        half[2]! += Bb[i]!;
        half[3]!++;
      }
    }
    shapeIndex.push(outside / area);
    const [h0, h1] = halves as [number[], number[]];
    colourDelta.push(
      h0[3]! && h1[3]! ? Math.hypot(h0[0]! / h0[3]! - h1[0]! / h1[3]!, h0[1]! / h0[3]! - h1[1]! / h1[3]!, h0[2]! / h0[3]! - h1[2]! / h1[3]!) : 0,
    );
  }
  const axesAsymmetric = [0, 1].filter((a) => shapeIndex[a]! > 0.12 || colourDelta[a]! > 10).length;
  t = mark('shape', t);

  // ---- border sharpness in 8 segments: steepest step over the edge profile ÷ its contrast ----
  const Lb = L;
  const reach = Math.max(3, Math.round(6 * unit));
  const segSum = new Float64Array(8);
  const segCount = new Float64Array(8);
  for (let y = 0; y < wh; y++) {
    for (let x = 0; x < ww; x++) {
      const i = y * ww + x;
      if (!lesion[i]) continue;
      const edge = x === 0 || y === 0 || x === ww - 1 || y === wh - 1 || !lesion[i - 1] || !lesion[i + 1] || !lesion[i - ww] || !lesion[i + ww];
      if (!edge) continue;
      const dx = x - cx;
      const dy = y - cy;
      const d = Math.hypot(dx, dy) || 1;
      const nx = dx / d;
      const ny = dy / d;
      let prev = sample(Lb, ww, wh, x - nx * reach, y - ny * reach);
      const first = prev;
      let steepest = 0;
      for (let s = -reach + 1; s <= reach; s++) {
        const v = sample(Lb, ww, wh, x + nx * s, y + ny * s);
        steepest = Math.max(steepest, Math.abs(v - prev));
        prev = v;
      }
      const span = Math.abs(prev - first);
      const g = span >= 6 ? Math.min(1, steepest / span) : 0;
      const sector = Math.floor(((Math.atan2(dy, dx) + Math.PI) / (2 * Math.PI)) * 8) % 8;
      segSum[sector]! += g;
      segCount[sector]!++;
    }
  }
  const sharpnessBySegment = [...segSum].map((s, i) => round(segCount[i]! ? s / segCount[i]! : 0));
  // Stolz's B: segments whose pigment pattern ends abruptly (≥ 0.3 of the step in one pixel step).
  const abruptSegments = sharpnessBySegment.filter((g) => g >= 0.3).length;
  t = mark('border', t);

  // ---- colours present (of the six dermoscopy colours), relative to the perilesional skin ----
  const [sL, sA, sB] = skinLab as [number, number, number];
  const colourCounts: Record<ColourName, number> = { white: 0, red: 0, light_brown: 0, dark_brown: 0, blue_grey: 0, black: 0 };
  let yellow = 0;
  for (let i = 0; i < N; i++) {
    if (!lesion[i]) continue;
    const l = L[i]!;
    const a = A[i]!;
    const b = Bb[i]!;
    const colour = classifyColour(l, a, b, sL, sA, sB);
    if (colour) colourCounts[colour]++;
    if (b - sB > 18 && b > a && l > sL - 20) yellow++;
  }
  const fractions = Object.fromEntries(COLOURS.map((c) => [c, round(colourCounts[c] / area)])) as Record<ColourName, number>;
  const present = COLOURS.filter((c) => colourCounts[c] / area >= 0.05 && colourCounts[c] >= 30);

  // ---- dermoscopic structures: Stolz's D and the veil and regression cues (structures.ts) ----
  const structures = dermoscopicStructures({ L, A, B: Bb, lesion, width: ww, height: wh, unit, skin: [sL, sA, sB] });
  t = mark('colour_structures', t);

  // ---- redness, erythema index, central clearing, texture ----
  const logRG = (i: number) => Math.log10(Math.max(R[i]!, 1 / 255) / Math.max(G[i]!, 1 / 255));
  let eiLesion = 0;
  let eiSkin = 0;
  let skinN = 0;
  for (let i = 0; i < N; i++) {
    if (lesion[i]) eiLesion += logRG(i);
    else if (ring[i]) {
      eiSkin += logRG(i);
      skinN++;
    }
  }
  const erythemaIndex = 100 * (eiLesion / area - eiSkin / Math.max(skinN, 1));
  const rEq = Math.sqrt(area / Math.PI);
  let innerA = 0;
  let innerN = 0;
  let outerA = 0;
  let outerN = 0;
  for (let y = 0; y < wh; y++) {
    for (let x = 0; x < ww; x++) {
      const i = y * ww + x;
      if (!lesion[i]) continue;
      const rho = Math.hypot(x - cx, y - cy) / rEq;
      if (rho < 0.45) {
        innerA += A[i]! - sA;
        innerN++;
      } else if (rho >= 0.65) {
        outerA += A[i]! - sA;
        outerN++;
      }
    }
  }
  const outerRed = outerN ? outerA / outerN : 0;
  const innerRed = innerN ? innerA / innerN : 0;
  const centralClearing = outerRed > 5 ? Math.max(0, Math.min(1, 1 - innerRed / outerRed)) : 0;
  const texture = glcm(L, lesion, ww, wh);

  const scale = input.scaleMmPerPx && input.scaleMmPerPx > 0 ? input.scaleMmPerPx : null;
  const toOriginal = k * (Math.max(input.originalWidth, input.originalHeight) / Math.max(w, h));
  const features: Features = {
    quality,
    working_size: { width: ww, height: wh },
    hair_fraction: round(hairCount / N, 4),
    segmentation: {
      channel: useRed ? 'redness' : 'lightness',
      otsu_separability: round(useRed ? otsuRed.separability : otsuDark.separability),
      area_fraction: round(areaFraction, 4),
      contrast_delta_e: round(contrast, 1),
    },
    asymmetry: {
      axes_asymmetric: axesAsymmetric,
      shape_index: [round(shapeIndex[0]!), round(shapeIndex[1]!)],
      colour_delta_e: [round(colourDelta[0]!, 1), round(colourDelta[1]!, 1)],
      score: axesAsymmetric,
    },
    border: {
      irregularity: round(irregularity),
      compactness: round(compactness),
      sharpness_by_segment: sharpnessBySegment,
      abrupt_segments: abruptSegments,
      score: abruptSegments,
    },
    colour: { present, fractions, score: Math.max(1, present.length) },
    differential_structures: {
      present: structures.present.filter((name) => STOLZ_D.includes(name)),
      score: structures.d_score,
      not_assessed: [],
      findings: structures.findings,
    },
    diameter: {
      px: round(feret * toOriginal, 1),
      mm: scale ? round(feret * toOriginal * scale, 1) : null,
      equivalent_mm: scale ? round(2 * rEq * toOriginal * scale, 1) : null,
    },
    pigmentation_delta_l: round(sL - lesionLab[0]!, 1),
    redness_delta_a: round(lesionLab[1]! - sA, 1),
    yellowness_delta_b: round(lesionLab[2]! - sB, 1),
    erythema_index: round(erythemaIndex, 1),
    central_clearing: round(centralClearing),
    yellow_fraction: round(yellow / area),
    texture,
  };
  const scored = scoreFeatures(features);
  mark('features', t);
  timings.total = round(performance.now() - t0, 1);
  const result: AnalysisSuccess = { ok: true, features, scored, timings_ms: timings };
  if (input.keepMasks) {
    const small = new Uint8Array(N * 3);
    for (let i = 0; i < N; i++) {
      small[3 * i] = Math.round(R[i]! * 255);
      small[3 * i + 1] = Math.round(G[i]! * 255);
      small[3 * i + 2] = Math.round(B[i]! * 255);
    }
    result.masks = { width: ww, height: wh, lesion, hair, rgb: small };
  }
  return result;
}

function fail(gate: QualityGate, reason: string, measured: Record<string, number>): QualityFailure {
  return { ok: false, gate, reason, measured };
}

/**
 * Focus measure: variance of the 4-neighbour Laplacian in 64-px tiles, 90th percentile of
 * the tiles — the sharpest part of the photo (the spot in focus) decides, not a soft background.
 */
function laplacianSharpness(Y: Float32Array, w: number, h: number): number {
  const tile = 64;
  const values: number[] = [];
  for (let ty = 1; ty + tile <= h - 1; ty += tile) {
    for (let tx = 1; tx + tile <= w - 1; tx += tile) {
      let s = 0;
      let s2 = 0;
      for (let y = ty; y < ty + tile; y++) {
        for (let x = tx; x < tx + tile; x++) {
          const i = y * w + x;
          const lap = Y[i - 1]! + Y[i + 1]! + Y[i - w]! + Y[i + w]! - 4 * Y[i]!;
          s += lap;
          s2 += lap * lap;
        }
      }
      const m = s / (tile * tile);
      values.push(s2 / (tile * tile) - m * m);
    }
  }
  if (values.length === 0) return 0;
  values.sort((a, b) => a - b);
  return values[Math.min(values.length - 1, Math.floor(values.length * 0.9))]!;
}

/** Maps a channel to 0..255 between its 1st and 99th percentiles; `sign` -1 makes low values high. */
function rescale(src: Float32Array, sign: 1 | -1): Float32Array {
  const bins = 2048;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < src.length; i++) {
    const v = src[i]! * sign;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const hist = new Uint32Array(bins);
  const span = hi - lo || 1;
  for (let i = 0; i < src.length; i++) hist[Math.min(bins - 1, Math.floor(((src[i]! * sign - lo) / span) * bins))]!++;
  const pct = (p: number) => {
    let acc = 0;
    for (let b = 0; b < bins; b++) {
      acc += hist[b]!;
      if (acc >= p * src.length) return lo + (b / bins) * span;
    }
    return hi;
  };
  const p1 = pct(0.01);
  const p99 = pct(0.99);
  const range = Math.max(p99 - p1, 1e-6);
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = Math.max(0, Math.min(255, ((src[i]! * sign - p1) / range) * 255));
  return out;
}

function meanOver(channels: Float32Array[], mask: Mask): number[] {
  const sums = channels.map(() => 0);
  let count = 0;
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    count++;
    for (let c = 0; c < channels.length; c++) sums[c]! += channels[c]![i]!;
  }
  return sums.map((s) => s / Math.max(count, 1));
}

/**
 * One lesion pixel → one of the six dermoscopy colours, judged against the perilesional skin
 * (after colour constancy the skin is near neutral, so absolute thresholds would drift with skin
 * tone and light). Thresholds in docs/DERMA.md, "Colours".
 */
export function classifyColour(l: number, a: number, b: number, sL: number, sA: number, sB: number): ColourName | null {
  if (l < 22) return 'black';
  if (l > sL + 6) return 'white';
  if (a - sA > 18 && a > b && l > 25) return 'red';
  if (b - sB < -4 && l < sL - 12) return 'blue_grey';
  if (l < 42) return b - sB >= 3 ? 'dark_brown' : 'blue_grey';
  if (l < sL - 8 && b - sB >= 5) return 'light_brown';
  return null;
}

/** Grey-level co-occurrence (16 levels, offsets right and down) of L* inside the lesion. */
function glcm(L: Float32Array, lesion: Mask, w: number, h: number): { glcm_contrast: number; glcm_homogeneity: number; glcm_entropy: number } {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < L.length; i++) {
    if (!lesion[i]) continue;
    if (L[i]! < lo) lo = L[i]!;
    if (L[i]! > hi) hi = L[i]!;
  }
  const levels = 16;
  const span = Math.max(hi - lo, 1e-6);
  const q = (v: number) => Math.min(levels - 1, Math.floor(((v - lo) / span) * levels));
  const m = new Float64Array(levels * levels);
  let total = 0;
  for (let y = 0; y < h - 1; y++) {
    for (let x = 0; x < w - 1; x++) {
      const i = y * w + x;
      if (!lesion[i]) continue;
      if (lesion[i + 1]) {
        m[q(L[i]!) * levels + q(L[i + 1]!)]!++;
        total++;
      }
      if (lesion[i + w]) {
        m[q(L[i]!) * levels + q(L[i + w]!)]!++;
        total++;
      }
    }
  }
  let contrast = 0;
  let homogeneity = 0;
  let entropy = 0;
  for (let a = 0; a < levels; a++) {
    for (let b = 0; b < levels; b++) {
      const p = m[a * levels + b]! / Math.max(total, 1);
      if (!p) continue;
      contrast += (a - b) ** 2 * p;
      homogeneity += p / (1 + Math.abs(a - b));
      entropy -= p * Math.log2(p);
    }
  }
  return { glcm_contrast: round(contrast), glcm_homogeneity: round(homogeneity), glcm_entropy: round(entropy) };
}
