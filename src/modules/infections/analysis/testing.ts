/**
 * Synthetic skin photos for the analyser's tests, bench and docs (docs/DERMA.md, "Synthetic
 * set"). Deterministic (seeded noise), drawn pixel by pixel: skin with shading and grain,
 * lesions of a given shape, colours and border softness, hairs. Test-only (not built into dist).
 */
export interface RawImage {
  rgb: Uint8Array;
  width: number;
  height: number;
}

type RGB = [number, number, number];

export const SKIN: RGB = [226, 178, 156];
export const DARK_BROWN: RGB = [96, 58, 38];
export const LIGHT_BROWN: RGB = [160, 108, 72];
export const BLACK: RGB = [32, 26, 26];
export const BLUE_GREY: RGB = [96, 108, 128];
export const RED: RGB = [206, 92, 92];

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

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
}

/** Float canvas (0..255 per channel) that can be painted with alpha and finished with grain. */
export class Canvas {
  readonly data: Float32Array;
  constructor(
    readonly width: number,
    readonly height: number,
    base: RGB = SKIN,
    shading = 0.08,
  ) {
    this.data = new Float32Array(width * height * 3);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        // Gentle illumination gradient, as in a photo taken by a window.
        const s = 1 + shading * ((x / width - 0.5) * 0.8 + (y / height - 0.5) * 0.4);
        const i = 3 * (y * width + x);
        this.data[i] = base[0] * s;
        this.data[i + 1] = base[1] * s;
        this.data[i + 2] = base[2] * s;
      }
    }
  }

  /** Paints `colour` where `alpha(x, y)` > 0 (0..1). */
  paint(colour: RGB | ((x: number, y: number) => RGB), alpha: (x: number, y: number) => number): this {
    for (let y = 0; y < this.height; y++) {
      for (let x = 0; x < this.width; x++) {
        const a = alpha(x + 0.5, y + 0.5);
        if (a <= 0) continue;
        const c = typeof colour === 'function' ? colour(x, y) : colour;
        const i = 3 * (y * this.width + x);
        for (let k = 0; k < 3; k++) this.data[i + k] = this.data[i + k]! * (1 - a) + c[k]! * a;
      }
    }
    return this;
  }

  /** Box blur (3 passes ≈ Gaussian of σ ≈ radius). */
  blur(radius: number): this {
    const { width: w, height: h } = this;
    const tmp = new Float32Array(this.data.length);
    for (let pass = 0; pass < 3; pass++) {
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          for (let k = 0; k < 3; k++) {
            let s = 0;
            for (let d = -radius; d <= radius; d++) s += this.data[3 * (y * w + Math.min(w - 1, Math.max(0, x + d))) + k]!;
            tmp[3 * (y * w + x) + k] = s / (2 * radius + 1);
          }
        }
      }
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          for (let k = 0; k < 3; k++) {
            let s = 0;
            for (let d = -radius; d <= radius; d++) s += tmp[3 * (Math.min(h - 1, Math.max(0, y + d)) * w + x) + k]!;
            this.data[3 * (y * w + x) + k] = s / (2 * radius + 1);
          }
        }
      }
    }
    return this;
  }

  scale(factor: number): this {
    for (let i = 0; i < this.data.length; i++) this.data[i] = this.data[i]! * factor;
    return this;
  }

  /** Adds skin grain (per-pixel Gaussian noise) and rounds to 8 bits. */
  finish(seed = 1, grain = 6): RawImage {
    const random = rng(seed);
    const rgb = new Uint8Array(this.data.length);
    for (let i = 0; i < this.data.length; i += 3) {
      const n = gaussian(random) * grain;
      for (let k = 0; k < 3; k++) rgb[i + k] = Math.max(0, Math.min(255, Math.round(this.data[i + k]! + n + gaussian(random) * grain * 0.3)));
    }
    return { rgb, width: this.width, height: this.height };
  }
}

const smoothstep = (edge: number, softness: number, d: number) =>
  softness <= 0.5 ? Math.max(0, Math.min(1, edge - d + 0.5)) : 1 / (1 + Math.exp((d - edge) / (softness / 2.5)));

/** A disc of radius r (px) centred in the image; `softness` is the border width in px (≈ 1 = sharp). */
export function disc(cx: number, cy: number, r: number, softness = 0): (x: number, y: number) => number {
  return (x, y) => smoothstep(r, softness, Math.hypot(x - cx, y - cy));
}

/** A blob whose radius varies with angle (irregular outline): r(θ) = r0 · (1 + Σ aₖ sin(kθ + φₖ)). */
export function blob(cx: number, cy: number, r0: number, harmonics: [number, number, number][], softness = 0): (x: number, y: number) => number {
  return (x, y) => {
    const theta = Math.atan2(y - cy, x - cx);
    const r = r0 * (1 + harmonics.reduce((acc, [k, a, phase]) => acc + a * Math.sin(k * theta + phase), 0));
    return smoothstep(r, softness, Math.hypot(x - cx, y - cy));
  };
}

export function ring(cx: number, cy: number, inner: number, outer: number, softness = 3): (x: number, y: number) => number {
  return (x, y) => {
    const d = Math.hypot(x - cx, y - cy);
    return Math.min(smoothstep(outer, softness, d), 1 - smoothstep(inner, softness, d));
  };
}

/** A hair: a thick, slightly curved dark line across the image. */
export function hair(x0: number, y0: number, x1: number, y1: number, width = 2.5, bend = 20): (x: number, y: number) => number {
  const len = Math.hypot(x1 - x0, y1 - y0);
  const ux = (x1 - x0) / len;
  const uy = (y1 - y0) / len;
  return (x, y) => {
    const along = (x - x0) * ux + (y - y0) * uy;
    if (along < 0 || along > len) return 0;
    const offset = bend * Math.sin((Math.PI * along) / len);
    const across = -(x - x0) * uy + (y - y0) * ux - offset;
    return Math.max(0, Math.min(1, width / 2 - Math.abs(across) + 0.5));
  };
}

// ---- the synthetic set (640 × 480 unless told) ----

export function roundSpot(seed = 1, w = 640, h = 480): RawImage {
  return new Canvas(w, h).paint(DARK_BROWN, disc(w / 2, h / 2, h * 0.16, 1)).finish(seed);
}

/** Irregular outline, five colours placed asymmetrically, dots, a blurred border. */
export function irregularLesion(seed = 2, w = 640, h = 480): RawImage {
  const cx = w / 2;
  const cy = h / 2;
  const r = h * 0.2;
  const outline = blob(
    cx,
    cy,
    r,
    [
      [2, 0.18, 0.4],
      [3, 0.16, 1.3],
      [5, 0.08, 2.1],
    ],
    14,
  );
  const canvas = new Canvas(w, h).paint(LIGHT_BROWN, outline);
  canvas.paint(DARK_BROWN, (x, y) => Math.min(outline(x, y), blob(cx - r * 0.3, cy - r * 0.15, r * 0.55, [[3, 0.2, 0.5]], 6)(x, y)));
  canvas.paint(BLACK, (x, y) => Math.min(outline(x, y), blob(cx - r * 0.45, cy + r * 0.1, r * 0.25, [[2, 0.2, 0]], 3)(x, y)));
  canvas.paint(BLUE_GREY, (x, y) => Math.min(outline(x, y), blob(cx + r * 0.45, cy + r * 0.3, r * 0.3, [[2, 0.25, 1]], 5)(x, y)));
  canvas.paint([238, 232, 228], (x, y) => Math.min(outline(x, y), disc(cx + r * 0.35, cy - r * 0.4, r * 0.16, 4)(x, y)));
  const random = rng(seed * 7919);
  for (let k = 0; k < 14; k++) {
    const a = random() * 2 * Math.PI;
    const d = r * (0.15 + 0.45 * random());
    canvas.paint(BLACK, disc(cx + d * Math.cos(a), cy + d * Math.sin(a), 2.2, 1));
  }
  return canvas.finish(seed);
}

/** Diffuse red, ill-defined patch (dermatitis-like). */
export function redPatch(seed = 3, w = 640, h = 480): RawImage {
  return new Canvas(w, h)
    .paint(
      RED,
      blob(
        w / 2,
        h / 2,
        h * 0.25,
        [
          [2, 0.12, 0.7],
          [3, 0.08, 2],
        ],
        24,
      ),
    )
    .finish(seed);
}

/** Red ring with a clear centre (ringworm-like). */
/** Honey-coloured crust (impetigo-like): yellow, about as light as the skin. */
export const CRUST: RGB = [226, 180, 70];

/** The red patch with honey-coloured crusts inside it (infected, impetigo-like). */
export function crustedPatch(seed = 6, w = 640, h = 480): RawImage {
  const canvas = new Canvas(w, h).paint(RED, disc(w / 2, h / 2, h * 0.25, 16));
  for (const [dx, dy, r] of [
    [-0.08, -0.06, 0.05],
    [0.07, -0.02, 0.04],
    [-0.01, 0.08, 0.045],
  ] as const)
    canvas.paint(CRUST, disc(w / 2 + dx * h, h / 2 + dy * h, r * h, 4));
  return canvas.finish(seed);
}

export function ringPatch(seed = 4, w = 640, h = 480): RawImage {
  return new Canvas(w, h).paint(RED, ring(w / 2, h / 2, h * 0.17, h * 0.27, 6)).finish(seed);
}

/** The round spot with five hairs drawn across it and the skin. */
export function hairySpot(seed = 5, w = 640, h = 480): RawImage {
  const canvas = new Canvas(w, h).paint(DARK_BROWN, disc(w / 2, h / 2, h * 0.16, 1));
  const hairColour: RGB = [40, 30, 28];
  canvas.paint(hairColour, hair(20, 60, w - 30, h - 80, 2.5, 30));
  canvas.paint(hairColour, hair(60, h - 40, w - 80, 40, 2.5, -25));
  canvas.paint(hairColour, hair(w * 0.3, 10, w * 0.45, h - 10, 2, 15));
  canvas.paint(hairColour, hair(w * 0.6, 5, w * 0.75, h - 20, 2, -20));
  canvas.paint(hairColour, hair(5, h * 0.5, w - 5, h * 0.55, 2, 10));
  return canvas.finish(seed);
}

// ---- images for the quality gates ----

export const gateImages = {
  too_small: () => new Canvas(120, 100).paint(DARK_BROWN, disc(60, 50, 18, 1)).finish(11),
  too_dark: () =>
    new Canvas(640, 480)
      .paint(DARK_BROWN, disc(320, 240, 80, 1))
      .scale(0.12)
      .finish(12, 2),
  overexposed: () =>
    new Canvas(640, 480, [255, 255, 255], 0)
      .paint(SKIN, disc(320, 240, 120, 30))
      .paint(DARK_BROWN, disc(320, 240, 40, 1))
      .finish(13, 1),
  blurry: () =>
    new Canvas(640, 480)
      .paint(DARK_BROWN, disc(320, 240, 80, 1))
      .blur(6)
      .finish(14, 0.4),
  not_skin: () => new Canvas(640, 480, [52, 120, 196], 0.1).paint([40, 90, 40], disc(320, 240, 90, 2)).finish(15),
  no_lesion: () => new Canvas(640, 480).finish(16),
};
