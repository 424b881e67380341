import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { InferenceSession } from 'onnxruntime-node';
import { ConfigError } from '../../../platform/config.js';
import { AppError } from '../../../platform/errors.js';
import type { ModelPrediction, SkinModel } from '../model.js';
import { MAX_INPUT_PIXELS } from './decode.js';

/**
 * How the configured classifier wants its input (docs/DERMA.md "Pluggable model"). Read from
 * the JSON file beside the model (`model.onnx` → `model.json`); the labels come from the text
 * file it names, one label per line, in the order of the model's output.
 */
export interface ModelSettings {
  name: string;
  version: string;
  labels: string[];
  input: {
    width: number;
    height: number;
    /** Channel order of the tensor (a model trained with OpenCV usually wants BGR). */
    channelOrder: 'RGB' | 'BGR';
    layout: 'NCHW' | 'NHWC';
    /** Pixels (0–255) are divided by this, then `(x − mean) / std` per channel, in RGB order. */
    scale: number;
    mean: [number, number, number];
    std: [number, number, number];
    /** fill: stretch to width × height; cover: crop the centre; contain: letterbox (black). */
    resize: 'fill' | 'cover' | 'contain';
  };
  /** What the output tensor holds: probabilities (summing to 1) or logits (softmax applied here). */
  output: 'probabilities' | 'logits';
  inputName: string | null;
  outputName: string | null;
}

type Json = Record<string, unknown>;

function fail(message: string): never {
  throw new ConfigError('DERMA_MODEL_PATH', message);
}

function triple(value: unknown, what: string, positive: boolean): [number, number, number] {
  if (!Array.isArray(value) || value.length !== 3 || !value.every((v) => typeof v === 'number' && Number.isFinite(v) && (!positive || v > 0)))
    fail(`${what} must be three ${positive ? 'positive ' : ''}numbers (R, G, B)`);
  return value as [number, number, number];
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], fallback: T, what: string): T {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !allowed.includes(value as T)) fail(`${what} must be one of ${allowed.join(', ')}`);
  return value as T;
}

function side(value: unknown, what: string): number {
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > 4096) fail(`${what} must be an integer from 1 to 4096`);
  return value as number;
}

/** Reads and checks the settings file and the labels file of a model (ConfigError naming DERMA_MODEL_PATH when wrong). */
export function readModelSettings(modelPath: string): ModelSettings {
  if (!existsSync(modelPath)) fail(`no model file at ${modelPath}`);
  const settingsPath = modelPath.replace(/\.onnx$/i, '') + '.json';
  if (!existsSync(settingsPath)) fail(`the model's settings file ${settingsPath} is missing (docs/DERMA.md "Pluggable model")`);
  let raw: Json;
  try {
    raw = JSON.parse(readFileSync(settingsPath, 'utf8')) as Json;
  } catch (err) {
    fail(`${settingsPath} is not valid JSON (${(err as Error).message})`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) fail(`${settingsPath} must hold a JSON object`);
  const input = (raw.input ?? {}) as Json;
  if (typeof input !== 'object' || Array.isArray(input)) fail('"input" must be an object');
  if (typeof raw.labels_file !== 'string' || !raw.labels_file) fail(`${settingsPath} must name a "labels_file"`);
  const labelsPath = resolve(dirname(settingsPath), raw.labels_file);
  if (!existsSync(labelsPath)) fail(`the labels file ${labelsPath} is missing`);
  const labels = readFileSync(labelsPath, 'utf8')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  if (labels.length < 2) fail(`the labels file ${labelsPath} must list at least two labels, one per line`);
  if (new Set(labels).size !== labels.length) fail(`the labels file ${labelsPath} lists a label twice`);
  if (labels.some((label) => label.length > 100)) fail(`the labels file ${labelsPath} has a label over 100 characters`);
  const name = typeof raw.name === 'string' && raw.name ? raw.name : fail('"name" must be a non-empty string');
  const version = typeof raw.version === 'string' && raw.version ? raw.version : fail('"version" must be a non-empty string');
  const scale = input.scale ?? 255;
  if (typeof scale !== 'number' || !(scale > 0)) fail('"input.scale" must be a positive number');
  const optionalName = (value: unknown, what: string) =>
    value === undefined ? null : typeof value === 'string' && value ? value : fail(`${what} must be a string`);
  return {
    name,
    version,
    labels,
    input: {
      width: side(input.width, '"input.width"'),
      height: side(input.height, '"input.height"'),
      channelOrder: oneOf(input.channel_order, ['RGB', 'BGR'] as const, 'RGB', '"input.channel_order"'),
      layout: oneOf(input.layout, ['NCHW', 'NHWC'] as const, 'NCHW', '"input.layout"'),
      scale,
      mean: input.mean === undefined ? [0, 0, 0] : triple(input.mean, '"input.mean"', false),
      std: input.std === undefined ? [1, 1, 1] : triple(input.std, '"input.std"', true),
      resize: oneOf(input.resize, ['fill', 'cover', 'contain'] as const, 'fill', '"input.resize"'),
    },
    output: oneOf(raw.output, ['probabilities', 'logits'] as const, 'probabilities', '"output"'),
    inputName: optionalName(input.name, '"input.name"'),
    outputName: optionalName(raw.output_name, '"output_name"'),
  };
}

/**
 * The image as the model wants it: EXIF rotation applied, resized (sharp, off the event loop,
 * shrink-on-load for JPEG), 8-bit sRGB, then scaled, normalised and laid out per the settings.
 */
export async function preprocess(imagePath: string, input: ModelSettings['input']): Promise<Float32Array> {
  const { default: sharp } = await import('sharp');
  const { data } = await sharp(imagePath, { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'error' })
    .rotate()
    .resize({ width: input.width, height: input.height, fit: input.resize === 'fill' ? 'fill' : input.resize, background: { r: 0, g: 0, b: 0 } })
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  const { width, height, scale, mean, std } = input;
  const plane = width * height;
  const tensor = new Float32Array(3 * plane);
  const order = input.channelOrder === 'RGB' ? [0, 1, 2] : [2, 1, 0];
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) {
      const source = order[c]!;
      const value = (data[p * 3 + source]! / scale - mean[source]!) / std[source]!;
      tensor[input.layout === 'NCHW' ? c * plane + p : p * 3 + c] = value;
    }
  }
  return tensor;
}

/** Softmax of logits, or a check that the model's probabilities are probabilities. */
export function toProbabilities(values: Float32Array | number[], output: ModelSettings['output']): number[] {
  const list = Array.from(values);
  if (list.some((v) => !Number.isFinite(v))) throw new Error('the model returned a non-finite value');
  if (output === 'logits') {
    const max = Math.max(...list);
    const exps = list.map((v) => Math.exp(v - max));
    const sum = exps.reduce((a, b) => a + b, 0);
    return exps.map((e) => e / sum);
  }
  const sum = list.reduce((a, b) => a + b, 0);
  if (list.some((v) => v < -1e-6 || v > 1 + 1e-6) || Math.abs(sum - 1) > 1e-3)
    throw new Error(`the model's output is not a probability distribution (sum ${sum.toFixed(4)}); set "output": "logits" if it returns logits`);
  return list.map((v) => Math.max(0, v) / sum);
}

/**
 * An ONNX image classifier run in-process by onnxruntime-node on its own native threads (the
 * event loop only waits). Nothing is downloaded: the model file is the operator's. The session
 * is opened at start-up; if that fails, the failure is logged and every analysis answers 503
 * (`skin-model-unavailable`) rather than silently falling back to the rules with a reply that
 * would name the wrong model.
 */
export class OnnxSkinModel implements SkinModel {
  readonly name: string;
  readonly version: string;
  private readonly session: Promise<InferenceSession>;

  constructor(
    private readonly path: string,
    private readonly settings: ModelSettings,
    log?: { error(obj: object, msg: string): void },
  ) {
    this.name = settings.name;
    this.version = settings.version;
    this.session = this.open();
    this.session.catch((err: Error) => log?.error({ err: err.message, model: path }, 'DERMA_MODEL_PATH: the skin model could not be loaded'));
  }

  private async open(): Promise<InferenceSession> {
    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(this.path, { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1 });
    if (this.settings.inputName && !session.inputNames.includes(this.settings.inputName))
      throw new Error(`the model has no input "${this.settings.inputName}" (it has ${session.inputNames.join(', ')})`);
    if (this.settings.outputName && !session.outputNames.includes(this.settings.outputName))
      throw new Error(`the model has no output "${this.settings.outputName}" (it has ${session.outputNames.join(', ')})`);
    const output = session.outputMetadata.find((m) => m.name === (this.settings.outputName ?? session.outputNames[0]));
    const classes = output?.isTensor ? output.shape[output.shape.length - 1] : undefined;
    if (typeof classes === 'number' && classes !== this.settings.labels.length)
      throw new Error(`the model has ${classes} outputs but the labels file lists ${this.settings.labels.length} labels`);
    return session;
  }

  /** Resolves once the session is open (or rejects with why it could not be). */
  async ready(): Promise<void> {
    await this.session;
  }

  async predict(imagePath: string): Promise<ModelPrediction> {
    let session: InferenceSession;
    try {
      session = await this.session;
    } catch {
      throw new AppError(
        503,
        'Service Unavailable',
        'The configured skin-image model could not be loaded; the operator has been told.',
        undefined,
        'skin-model-unavailable',
      );
    }
    const ort = await import('onnxruntime-node');
    const { input, labels, output } = this.settings;
    const data = await preprocess(imagePath, input);
    const dims = input.layout === 'NCHW' ? [1, 3, input.height, input.width] : [1, input.height, input.width, 3];
    const inputName = this.settings.inputName ?? session.inputNames[0]!;
    const outputName = this.settings.outputName ?? session.outputNames[0]!;
    const results = await session.run({ [inputName]: new ort.Tensor('float32', data, dims) });
    const tensor = results[outputName];
    if (!tensor || tensor.type !== 'float32' || tensor.data.length !== labels.length)
      throw new Error(`the skin model returned ${tensor?.data.length ?? 0} values for ${labels.length} labels`);
    const probabilities = toProbabilities(tensor.data as Float32Array, output);
    const predictions = labels
      .map((label, i) => ({ label, probability: Math.round(probabilities[i]! * 10_000) / 10_000 }))
      .sort((a, b) => b.probability - a.probability || a.label.localeCompare(b.label));
    return { name: this.name, version: this.version, predictions };
  }

  async close(): Promise<void> {
    const session = await this.session.catch(() => null);
    await session?.release();
  }
}

/** DERMA_MODEL_PATH → the configured model (settings checked now; a bad file stops the start). */
export function loadSkinModel(modelPath: string, log?: { error(obj: object, msg: string): void }): OnnxSkinModel {
  const settings = readModelSettings(modelPath);
  return new OnnxSkinModel(modelPath, settings, log);
}
