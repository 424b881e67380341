/**
 * Builds a tiny ONNX image classifier in the test itself (issue 16 item 4: nothing downloaded):
 * the model's protobuf (onnx.proto3, opset 13) is written field by field here.
 *
 * The graph: image [1, 3, H, W] → GlobalAveragePool → Flatten → Gemm (W [3, K], b [K]) →
 * output. It is a linear classifier on the mean of each normalised channel — small enough to
 * compute by hand in a test, yet it really reads the pixels, so a red photo and a dark one get
 * different answers. `softmax: true` appends a Softmax (the output is then probabilities).
 */

type Field = Buffer;

function varint(value: number | bigint): Buffer {
  let v = BigInt(value);
  if (v < 0n) v += 1n << 64n;
  const bytes: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) byte |= 0x80;
    bytes.push(byte);
  } while (v !== 0n);
  return Buffer.from(bytes);
}

const key = (field: number, wire: number) => varint((field << 3) | wire);
const int = (field: number, value: number): Field => Buffer.concat([key(field, 0), varint(value)]);
const bytes = (field: number, value: Buffer): Field => Buffer.concat([key(field, 2), varint(value.length), value]);
const str = (field: number, value: string): Field => bytes(field, Buffer.from(value, 'utf8'));
const msg = (field: number, ...parts: Field[]): Field => bytes(field, Buffer.concat(parts));

const FLOAT = 1; // TensorProto.DataType.FLOAT
const ATTR_INT = 2; // AttributeProto.AttributeType.INT

function tensor(name: string, dims: number[], values: number[]): Field {
  const raw = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => raw.writeFloatLE(v, i * 4));
  return msg(5, ...dims.map((d) => int(1, d)), int(2, FLOAT), str(8, name), bytes(9, raw));
}

function valueInfo(field: number, name: string, dims: (number | string)[]): Field {
  const shape = dims.map((d) => msg(1, typeof d === 'number' ? int(1, d) : str(2, d)));
  return msg(field, str(1, name), msg(2, msg(1, int(1, FLOAT), msg(2, ...shape))));
}

function node(op: string, inputs: string[], outputs: string[], attributes: Field[] = []): Field {
  return msg(1, ...inputs.map((i) => str(1, i)), ...outputs.map((o) => str(2, o)), str(3, `${op}_${outputs[0]}`), str(4, op), ...attributes);
}

const intAttribute = (name: string, value: number): Field => msg(5, str(1, name), int(3, value), int(20, ATTR_INT));

export interface TinyModel {
  /** W[c][k]: weight of normalised channel c (R, G, B in the tensor's order) for class k. */
  weights: number[][];
  bias: number[];
  size: number;
  softmax?: boolean;
  inputName?: string;
  outputName?: string;
}

/** The .onnx bytes of the tiny classifier described above. */
export function tinyClassifier(model: TinyModel): Buffer {
  const classes = model.bias.length;
  const input = model.inputName ?? 'image';
  const output = model.outputName ?? 'scores';
  const gemmOut = model.softmax ? 'logits' : output;
  const nodes = [
    node('GlobalAveragePool', [input], ['pooled']),
    node('Flatten', ['pooled'], ['flat'], [intAttribute('axis', 1)]),
    node('Gemm', ['flat', 'W', 'b'], [gemmOut]),
    ...(model.softmax ? [node('Softmax', ['logits'], [output], [intAttribute('axis', 1)])] : []),
  ];
  const graph = msg(
    7,
    ...nodes,
    str(2, 'tiny-skin-classifier'),
    tensor('W', [3, classes], model.weights.flat()),
    tensor('b', [classes], model.bias),
    valueInfo(11, input, [1, 3, model.size, model.size]),
    valueInfo(12, output, [1, classes]),
  );
  return Buffer.concat([
    int(1, 8), // ir_version 8
    str(2, 'carebridge-tests'),
    graph,
    msg(8, str(1, ''), int(2, 13)), // opset_import: default domain, opset 13
  ]);
}
