import { BLACK, Canvas, DARK_BROWN, disc, hair, type RawImage } from './testing.js';
import type { StructureName } from './structures.js';

/**
 * Synthetic lesions with known dermoscopic structures, for the structure rules' tests and their
 * evaluation (docs/DERMA.md, "Structures"). Drawn by us, so a rule "validated" on them shows
 * only that it finds what we drew the way we drew it — never how it does on real skin.
 */
type RGB = [number, number, number];
export type Drawn = Exclude<StructureName, 'structureless_area'>;
export const DRAWN: readonly Drawn[] = ['pigment_network', 'dots', 'globules', 'streaks', 'blue_white_veil', 'regression'];

const BASE: RGB = [150, 100, 70];
const LINE: RGB = [78, 46, 30];
const VEIL: RGB = [118, 128, 150];
const SCAR: RGB = [236, 226, 222];
const PEPPER: RGB = [92, 100, 118];

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A brown lesion (radius 0.2 × height) with the given structures drawn on it; deterministic per seed. */
export function structuredLesion(structures: readonly Drawn[], seed = 1, w = 640, h = 480): RawImage {
  const random = rng(seed * 104729 + structures.length);
  const cx = w / 2 + (random() - 0.5) * 20;
  const cy = h / 2 + (random() - 0.5) * 20;
  const r = h * (0.19 + 0.03 * random());
  const inside = disc(cx, cy, r, 2);
  const canvas = new Canvas(w, h).paint(BASE, inside);
  const has = (s: Drawn) => structures.includes(s);
  if (has('pigment_network')) {
    // A slightly rotated, wobbly grid of thin dark lines (cells of 10–13 px) over the lesion.
    const cell = 10 + 3 * random();
    const angle = random() * Math.PI;
    const ca = Math.cos(angle);
    const sa = Math.sin(angle);
    const width = 2.2;
    const wobble = random() * 10;
    canvas.paint(LINE, (x, y) => {
      const inLesion = inside(x, y);
      if (inLesion <= 0) return 0;
      const u = (x - cx) * ca + (y - cy) * sa + 1.2 * Math.sin((y + wobble) / 9);
      const v = -(x - cx) * sa + (y - cy) * ca + 1.2 * Math.sin((x + wobble) / 11);
      const du = Math.abs(u - cell * Math.round(u / cell));
      const dv = Math.abs(v - cell * Math.round(v / cell));
      const line = Math.max(0, Math.min(1, width / 2 - Math.min(du, dv) + 0.5));
      return 0.85 * line * inLesion;
    });
  }
  if (has('blue_white_veil')) {
    const a = random() * 2 * Math.PI;
    canvas.paint(VEIL, (x, y) => Math.min(inside(x, y), disc(cx + 0.3 * r * Math.cos(a), cy + 0.3 * r * Math.sin(a), 0.5 * r, 4)(x, y)));
  }
  if (has('regression')) {
    const a = random() * 2 * Math.PI;
    const px = cx + 0.35 * r * Math.cos(a);
    const py = cy + 0.35 * r * Math.sin(a);
    canvas.paint(SCAR, (x, y) => Math.min(inside(x, y), disc(px, py, 0.38 * r, 3)(x, y)));
    for (let k = 0; k < 22; k++) {
      const d = 0.3 * r * Math.sqrt(random());
      const t = random() * 2 * Math.PI;
      canvas.paint(PEPPER, disc(px + d * Math.cos(t), py + d * Math.sin(t), 1.6, 1));
    }
  }
  if (has('dots')) {
    for (let k = 0; k < 14; k++) {
      const d = 0.75 * r * Math.sqrt(random());
      const t = random() * 2 * Math.PI;
      canvas.paint(BLACK, disc(cx + d * Math.cos(t), cy + d * Math.sin(t), 2, 1));
    }
  }
  if (has('globules')) {
    for (let k = 0; k < 8; k++) {
      const d = 0.7 * r * Math.sqrt(random());
      const t = random() * 2 * Math.PI;
      canvas.paint(DARK_BROWN, disc(cx + d * Math.cos(t), cy + d * Math.sin(t), 4.5 + random(), 1.5));
    }
  }
  if (has('streaks')) {
    // Radial lines across the edge, about a fifth of the radius long, all round.
    const count = 12 + Math.floor(random() * 6);
    for (let k = 0; k < count; k++) {
      const t = ((k + 0.3 * random()) / count) * 2 * Math.PI;
      const from = 0.86 * r;
      const to = from + 0.22 * r;
      canvas.paint(LINE, hair(cx + from * Math.cos(t), cy + from * Math.sin(t), cx + to * Math.cos(t), cy + to * Math.sin(t), 2.2, 0));
    }
  }
  return canvas.finish(seed);
}

/** The structures each image of a seeded set carries: each drawn structure with probability ⅓, at most three. */
export function syntheticSet(seeds: number[]): { seed: number; structures: Drawn[] }[] {
  return seeds.map((seed) => {
    const random = rng(seed * 7);
    const chosen = DRAWN.filter(() => random() < 1 / 3).slice(0, 3);
    return { seed, structures: chosen };
  });
}
