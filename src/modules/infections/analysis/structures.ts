import { binaryMorph, blackHat, components, type Mask } from './imageops.js';

/**
 * Dermoscopic structures (docs/DERMA.md, "Structures"): the D of Stolz's ABCD rule — pigment
 * network, structureless areas, streaks, dots, globules — and two cues of the 7-point
 * checklist, blue-white veil and regression structures. Each is a fixed, written rule on the
 * uploaded image's pixels (CIELAB after colour constancy and hair removal), with the
 * measurements that decided it, and a confidence that says how clearly the rule fired — not
 * how often it is right: no detector here was fitted to labelled images (none is available in
 * this repository), and their figures come from synthetic images we drew (docs/DERMA.md).
 * Screening aids for a person who then sees a dermatologist, never a diagnosis.
 */
export type StructureName = 'pigment_network' | 'structureless_area' | 'streaks' | 'dots' | 'globules' | 'blue_white_veil' | 'regression';

/** The five structures Stolz's D counts; veil and regression are reported beside them. */
export const STOLZ_D: readonly StructureName[] = ['pigment_network', 'structureless_area', 'streaks', 'dots', 'globules'];

export interface StructureFinding {
  structure: StructureName;
  present: boolean;
  /** 0..1: how far the measurements are past the rule's threshold (0.5 = on it). */
  confidence: number;
  /** The measurements the rule used. */
  evidence: Record<string, number>;
  /** Whether it counts in Stolz's D. */
  stolz_d: boolean;
}

export interface StructureInput {
  L: Float32Array;
  A: Float32Array;
  B: Float32Array;
  lesion: Mask;
  width: number;
  height: number;
  /** Working-image pixels per pixel of a 512-px image (structuring elements scale with it). */
  unit: number;
  /** Mean CIELAB of the perilesional skin. */
  skin: [number, number, number];
}

const r3 = (v: number) => Math.round(v * 1000) / 1000;
const clamp01 = (v: number) => Math.max(0, Math.min(1, v));
/** Confidence from how far `value` is past `threshold`, on a scale of `span`: 0.5 on the threshold. */
const past = (value: number, threshold: number, span: number) => r3(clamp01(0.5 + (value - threshold) / (2 * span)));

/** Second moments of a component's pixels: elongation (major ÷ minor axis), orientation and length. */
function moments(labels: Int32Array, label: number, box: { minX: number; maxX: number; minY: number; maxY: number }, w: number) {
  let n = 0;
  let sx = 0;
  let sy = 0;
  for (let y = box.minY; y <= box.maxY; y++) {
    for (let x = box.minX; x <= box.maxX; x++) {
      if (labels[y * w + x] !== label) continue;
      n++;
      sx += x;
      sy += y;
    }
  }
  const mx = sx / n;
  const my = sy / n;
  let xx = 0;
  let yy = 0;
  let xy = 0;
  for (let y = box.minY; y <= box.maxY; y++) {
    for (let x = box.minX; x <= box.maxX; x++) {
      if (labels[y * w + x] !== label) continue;
      xx += (x - mx) ** 2;
      yy += (y - my) ** 2;
      xy += (x - mx) * (y - my);
    }
  }
  xx /= n;
  yy /= n;
  xy /= n;
  const tr = xx + yy;
  const det = Math.sqrt(Math.max(0, ((xx - yy) / 2) ** 2 + xy * xy));
  const l1 = tr / 2 + det;
  const l2 = Math.max(tr / 2 - det, 0.25);
  return { mx, my, elongation: Math.sqrt(l1 / l2), angle: 0.5 * Math.atan2(2 * xy, xx - yy), length: 4 * Math.sqrt(l1) };
}

/**
 * How many small enclosed holes (4–400 px² at 512 px) each component of `mask` surrounds: a
 * pigment network's mesh encloses many, a hair (or a few crossing hairs) hardly any. Hair
 * removal (analyse.ts) uses it so that it does not inpaint a network away.
 */
export function holesPerComponent(mask: Mask, labels: Int32Array, count: number, w: number, h: number, unit: number): Uint32Array {
  const background = new Uint8Array(w * h);
  for (let i = 0; i < background.length; i++) background[i] = mask[i] ? 0 : 1;
  const holes = components(background, w, h);
  const perComponent = new Uint32Array(count + 1);
  for (const hole of holes.list) {
    if (hole.touchesBorder) continue;
    const a = hole.area / (unit * unit);
    if (a < 4 || a > 400) continue;
    // The pixel left of the hole's leftmost pixel on its top row is on the enclosing line.
    const y = hole.minY;
    let x = hole.minX;
    while (x <= hole.maxX && holes.labels[y * w + x] !== hole.label) x++;
    const owner = x > 0 ? labels[y * w + x - 1]! : 0;
    if (owner) perComponent[owner]!++;
  }
  return perComponent;
}

/**
 * Thin dark lines inside the lesion that connect into a mesh around many small, similar light
 * holes: a pigment network. Returns its line mask too, so hair removal can leave it alone.
 */
function meshHoles(lines: Mask, region: Mask, w: number, h: number, unit: number): { holes: number[]; meshPixels: number; mesh: Mask } {
  // Line pieces too small to belong to a mesh (isolated dots, noise) are dropped first.
  const lineComps = components(lines, w, h);
  const keep = new Uint8Array(lineComps.list.length + 1);
  for (const c of lineComps.list) if (c.area >= 60 * unit * unit) keep[c.label] = 1;
  const mesh = new Uint8Array(w * h);
  let meshPixels = 0;
  for (let i = 0; i < mesh.length; i++) {
    if (keep[lineComps.labels[i]!]) {
      mesh[i] = 1;
      meshPixels++;
    }
  }
  // Holes: connected non-line pixels inside the region that touch neither the region's edge nor the image's.
  const open = new Uint8Array(w * h);
  for (let i = 0; i < open.length; i++) open[i] = region[i] && !mesh[i] ? 1 : 0;
  const holeComps = components(open, w, h);
  const touchesEdge = new Uint8Array(holeComps.list.length + 1);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const label = holeComps.labels[i]!;
      if (!label || touchesEdge[label]) continue;
      if (x === 0 || y === 0 || x === w - 1 || y === h - 1 || !region[i - 1] || !region[i + 1] || !region[i - w] || !region[i + w]) touchesEdge[label] = 1;
    }
  }
  const holes: number[] = [];
  for (const c of holeComps.list) {
    if (touchesEdge[c.label]) continue;
    const a = c.area / (unit * unit);
    if (a >= 4 && a <= 400) holes.push(c.area);
  }
  return { holes, meshPixels, mesh };
}

export function dermoscopicStructures(input: StructureInput): { findings: StructureFinding[]; present: StructureName[]; d_score: number } {
  const { L, A, B, lesion, width: fullW, height: fullH, unit } = input;
  const [sL, sA, sB] = input.skin;
  // The lesion's bounding box plus a margin (streaks reach past the edge).
  let x0 = fullW;
  let y0 = fullH;
  let x1 = 0;
  let y1 = 0;
  let area = 0;
  let cxSum = 0;
  let cySum = 0;
  for (let y = 0; y < fullH; y++) {
    for (let x = 0; x < fullW; x++) {
      if (!lesion[y * fullW + x]) continue;
      area++;
      cxSum += x;
      cySum += y;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  const margin = Math.round(16 * unit);
  x0 = Math.max(0, x0 - margin);
  y0 = Math.max(0, y0 - margin);
  x1 = Math.min(fullW - 1, x1 + margin);
  y1 = Math.min(fullH - 1, y1 + margin);
  const w = x1 - x0 + 1;
  const h = y1 - y0 + 1;
  const n = w * h;
  const cx = cxSum / Math.max(area, 1) - x0;
  const cy = cySum / Math.max(area, 1) - y0;
  const rEq = Math.sqrt(area / Math.PI);
  const crop = (src: Float32Array | Uint8Array) => {
    const out = src instanceof Float32Array ? new Float32Array(n) : new Uint8Array(n);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[y * w + x] = src[(y + y0) * fullW + x + x0]!;
    return out;
  };
  const l = crop(L) as Float32Array;
  const a = crop(A) as Float32Array;
  const b = crop(B) as Float32Array;
  const les = crop(lesion) as Uint8Array;
  const core = binaryMorph(les, w, h, Math.max(1, Math.round(2 * unit)), 'erode');
  const near = binaryMorph(les, w, h, Math.max(1, Math.round(12 * unit)), 'dilate');

  // Thin dark lines and specks: black-hat (closing − image) of L* narrower than ~7 px at 512 px.
  const lum = new Float32Array(n);
  for (let i = 0; i < n; i++) lum[i] = l[i]! * 2.55;
  const bh = blackHat(lum, w, h, Math.max(2, Math.round(3 * unit)));
  const lines = new Uint8Array(n);
  for (let i = 0; i < n; i++) lines[i] = near[i] && bh[i]! > 14 ? 1 : 0;
  const findings: StructureFinding[] = [];

  // ---- pigment network: a connected mesh of lines around ≥ 10 small holes of similar size ----
  const coreLinesOnly = new Uint8Array(n);
  for (let i = 0; i < n; i++) coreLinesOnly[i] = lines[i] && les[i] ? 1 : 0;
  const { holes, meshPixels, mesh } = meshHoles(coreLinesOnly, les, w, h, unit);
  const holeMean = holes.reduce((s, v) => s + v, 0) / Math.max(holes.length, 1);
  const holeCv = holes.length > 1 ? Math.sqrt(holes.reduce((s, v) => s + (v - holeMean) ** 2, 0) / holes.length) / holeMean : 1;
  const meshFraction = meshPixels / Math.max(area, 1);
  // Holes per lesion area, in holes per (100 px)² of a 512-px image: a network fills the lesion, a few loops do not.
  const holeDensity = (holes.length / Math.max(area / (unit * unit), 1)) * 10000;
  const networkPresent = holes.length >= 10 && holeDensity >= 8 && holeCv <= 1.2 && meshFraction >= 0.05;
  findings.push({
    structure: 'pigment_network',
    present: networkPresent,
    confidence: networkPresent
      ? r3(Math.min(past(holes.length, 10, 15), past(holeDensity, 8, 10), past(1.2 - holeCv, 0, 0.6)))
      : r3(Math.min(0.49, past(holes.length, 10, 15))),
    evidence: { holes: holes.length, holes_per_10k_px: r3(holeDensity), hole_area_cv: r3(holeCv), mesh_fraction: r3(meshFraction) },
    stolz_d: true,
  });

  // ---- structureless areas: 8-px tiles of the core with almost no variation of L* ----
  const tile = Math.max(4, Math.round(8 * unit));
  let tiles = 0;
  let flat = 0;
  for (let ty = 0; ty + tile <= h; ty += tile) {
    for (let tx = 0; tx + tile <= w; tx += tile) {
      let inside = 0;
      let s = 0;
      let s2 = 0;
      for (let y = ty; y < ty + tile; y++) {
        for (let x = tx; x < tx + tile; x++) {
          const i = y * w + x;
          if (!core[i]) continue;
          inside++;
          s += l[i]!;
          s2 += l[i]! * l[i]!;
        }
      }
      if (inside < tile * tile * 0.75) continue;
      tiles++;
      const m = s / inside;
      if (s2 / inside - m * m < 16) flat++;
    }
  }
  const flatFraction = tiles ? flat / tiles : 0;
  findings.push({
    structure: 'structureless_area',
    present: flatFraction >= 0.1,
    confidence: past(flatFraction, 0.1, 0.15),
    evidence: { flat_tile_fraction: r3(flatFraction), tiles },
    stolz_d: true,
  });

  // ---- streaks: short dark lines at the periphery pointing away from the centre ----
  const lineComps = components(lines, w, h);
  let streaks = 0;
  let alignmentSum = 0;
  const sectors = new Set<number>();
  for (const c of lineComps.list) {
    const ua = c.area / (unit * unit);
    if (ua < 8 || ua > 400) continue;
    const rho = Math.hypot(c.cx - cx, c.cy - cy) / Math.max(rEq, 1);
    if (rho < 0.55 || rho > 1.4) continue;
    const m = moments(lineComps.labels, c.label, c, w);
    if (m.elongation < 3 || m.length < 8 * unit || m.length > 0.8 * rEq) continue;
    const radial = Math.atan2(m.my - cy, m.mx - cx);
    const alignment = Math.abs(Math.cos(m.angle - radial));
    if (alignment < 0.9) continue;
    streaks++;
    alignmentSum += alignment;
    sectors.add(Math.floor(((radial + Math.PI) / (2 * Math.PI)) * 8) % 8);
  }
  const streaksPresent = streaks >= 4 && sectors.size >= 2;
  findings.push({
    structure: 'streaks',
    present: streaksPresent,
    confidence: streaksPresent ? r3(Math.min(past(streaks, 4, 6), past(sectors.size, 2, 3))) : r3(Math.min(0.49, past(streaks, 4, 6))),
    evidence: { radial_lines: streaks, sectors: sectors.size, mean_alignment: r3(streaks ? alignmentSum / streaks : 0) },
    stolz_d: true,
  });

  // ---- dots and globules: isolated round dark blobs in the core, by size ----
  // A blob must be clearly darker than the lesion itself (not a strip of lesion between two
  // lighter areas) and not part of a network's mesh. Blue-grey
  // specks are counted apart: peppering, a regression cue, not dots.
  let coreSum = 0;
  let coreN = 0;
  for (let i = 0; i < n; i++) {
    if (!core[i]) continue;
    coreSum += l[i]!;
    coreN++;
  }
  const lesionL = coreSum / Math.max(coreN, 1);
  const blobBh = blackHat(lum, w, h, Math.max(3, Math.round(7 * unit)));
  const blobs: Mask = new Uint8Array(n);
  for (let i = 0; i < n; i++) blobs[i] = core[i] && blobBh[i]! > 20 ? 1 : 0;
  const specks = components(blobs, w, h);
  let bluish = 0;
  for (const c of specks.list) {
    const ua = c.area / (unit * unit);
    const i = Math.round(c.cy) * w + Math.round(c.cx);
    if (ua >= 1 && ua < 16 && b[i]! - sB < -6) bluish++;
  }
  // Network lines are not dots: a mesh found above is taken out (only when it is a network).
  if (networkPresent) for (let i = 0; i < n; i++) if (mesh[i]) blobs[i] = 0;
  const blobComps = components(blobs, w, h);
  const blobL = new Float64Array(blobComps.list.length + 1);
  const blobB = new Float64Array(blobComps.list.length + 1);
  for (let i = 0; i < n; i++) {
    const label = blobComps.labels[i]!;
    if (!label) continue;
    blobL[label]! += l[i]!;
    blobB[label]! += b[i]!;
  }
  let dots = 0;
  let globules = 0;
  for (const c of blobComps.list) {
    if (blobL[c.label]! / c.area > lesionL - 8) continue;
    if (blobB[c.label]! / c.area - sB < -6) continue;
    const ua = c.area / (unit * unit);
    if (ua < 2 || ua > 200) continue;
    // Round, not a line (a diagonal line has a square bounding box, so second moments decide).
    if (c.area >= 4 && moments(blobComps.labels, c.label, c, w).elongation > 2.2) continue;
    // Dots are up to about 0.1 mm, globules larger: split at 25 px² of a 512-px image (≈ 5.6 px across).
    if (ua < 25) dots++;
    else globules++;
  }
  findings.push({ structure: 'dots', present: dots >= 3, confidence: past(dots, 3, 4), evidence: { dots }, stolz_d: true });
  findings.push({ structure: 'globules', present: globules >= 3, confidence: past(globules, 3, 4), evidence: { globules }, stolz_d: true });

  // ---- blue-white veil: a confluent, structureless blue-grey area (b* well below the skin's) ----
  const veil = new Uint8Array(n);
  for (let i = 0; i < n; i++) veil[i] = les[i] && b[i]! - sB < -8 && l[i]! > 25 && l[i]! < sL - 5 && a[i]! - sA < 8 ? 1 : 0;
  let veilLargest = 0;
  let veilLabel = 0;
  const veilComps = components(veil, w, h);
  for (const c of veilComps.list) {
    if (c.area > veilLargest) {
      veilLargest = c.area;
      veilLabel = c.label;
    }
  }
  let vs = 0;
  let vs2 = 0;
  for (let i = 0; i < n; i++) {
    if (veilComps.labels[i] !== veilLabel || !veilLabel) continue;
    vs += l[i]!;
    vs2 += l[i]! * l[i]!;
  }
  const veilSd = veilLargest ? Math.sqrt(Math.max(0, vs2 / veilLargest - (vs / veilLargest) ** 2)) : 0;
  const veilFraction = veilLargest / Math.max(area, 1);
  const veilPresent = veilFraction >= 0.1 && veilSd < 8;
  findings.push({
    structure: 'blue_white_veil',
    present: veilPresent,
    confidence: veilPresent ? r3(Math.min(past(veilFraction, 0.1, 0.1), past(8 - veilSd, 0, 4))) : r3(Math.min(0.49, past(veilFraction, 0.1, 0.1))),
    evidence: { largest_area_fraction: r3(veilFraction), lightness_sd: r3(veilSd) },
    stolz_d: false,
  });

  // ---- regression: white scar-like depigmentation, or blue-grey peppering ----
  // Depigmented: lighter than the surrounding skin (the "white" of the colour count, analyse.ts).
  const white = new Uint8Array(n);
  let whiteN = 0;
  for (let i = 0; i < n; i++) {
    if (les[i] && l[i]! >= sL + 3) {
      white[i] = 1;
      whiteN++;
    }
  }
  let whiteLargest = 0;
  for (const c of components(white, w, h).list) whiteLargest = Math.max(whiteLargest, c.area);
  const scarFraction = whiteLargest / Math.max(area, 1);
  const regressionPresent = scarFraction >= 0.04 || bluish >= 8;
  findings.push({
    structure: 'regression',
    present: regressionPresent,
    confidence: r3(Math.max(past(scarFraction, 0.04, 0.06), past(bluish, 8, 8))),
    evidence: { scar_like_fraction: r3(scarFraction), white_fraction: r3(whiteN / Math.max(area, 1)), blue_grey_granules: bluish },
    stolz_d: false,
  });

  const present = findings.filter((f) => f.present).map((f) => f.structure);
  const dScore = Math.max(1, findings.filter((f) => f.present && f.stolz_d).length);
  return { findings, present, d_score: dScore };
}
