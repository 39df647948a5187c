// Model specs: a sequence of layers ending in softmax cross-entropy over `classes` outputs.
// Activations are NHWC; a dense layer sees its input flattened in that order.

export type Layer =
  | { kind: 'dense'; units: number }
  | { kind: 'relu' }
  | { kind: 'conv2d'; filters: number; kernel: number }
  | { kind: 'maxpool2' }
  | { kind: 'flatten' };

export interface TensorShape {
  height: number;
  width: number;
  channels: number;
}

export interface ModelSpec {
  name: string;
  input: TensorShape;
  classes: number;
  layers: Layer[];
}

export const MODEL_PRESETS = {
  mlp: {
    name: 'mlp',
    input: { height: 28, width: 28, channels: 1 },
    classes: 10,
    layers: [
      { kind: 'flatten' },
      { kind: 'dense', units: 256 },
      { kind: 'relu' },
      { kind: 'dense', units: 128 },
      { kind: 'relu' },
      { kind: 'dense', units: 10 },
    ],
  },
  cnn: {
    name: 'cnn',
    input: { height: 28, width: 28, channels: 1 },
    classes: 10,
    layers: [
      { kind: 'conv2d', filters: 16, kernel: 3 },
      { kind: 'relu' },
      { kind: 'maxpool2' },
      { kind: 'conv2d', filters: 32, kernel: 3 },
      { kind: 'relu' },
      { kind: 'maxpool2' },
      { kind: 'flatten' },
      { kind: 'dense', units: 10 },
    ],
  },
} as const satisfies Record<string, ModelSpec>;

export type ModelPresetName = keyof typeof MODEL_PRESETS;

export function isModelPresetName(name: string): name is ModelPresetName {
  return Object.hasOwn(MODEL_PRESETS, name);
}

export function shapeSize(s: TensorShape): number {
  return s.height * s.width * s.channels;
}

/** The shape after each layer (index i = output of layers[i]); throws on a spec that does not fit together. */
export function layerOutputShapes(spec: ModelSpec): TensorShape[] {
  const shapes: TensorShape[] = [];
  let s = spec.input;
  spec.layers.forEach((layer, i) => {
    switch (layer.kind) {
      case 'dense':
        s = { height: 1, width: 1, channels: layer.units };
        break;
      case 'relu':
        break;
      case 'conv2d':
        if (s.height === 1 && s.width === 1 && i > 0) throw new Error(`layer ${i}: conv2d needs a spatial input, got a flat one`);
        if (layer.kernel % 2 !== 1) throw new Error(`layer ${i}: conv2d kernel must be odd for same padding, got ${layer.kernel}`);
        s = { ...s, channels: layer.filters };
        break;
      case 'maxpool2':
        if (s.height < 2 || s.width < 2) throw new Error(`layer ${i}: maxpool2 needs at least 2x2, got ${s.height}x${s.width}`);
        s = { height: Math.floor(s.height / 2), width: Math.floor(s.width / 2), channels: s.channels };
        break;
      case 'flatten':
        s = { height: 1, width: 1, channels: shapeSize(s) };
        break;
    }
    shapes.push(s);
  });
  const last = spec.layers[spec.layers.length - 1];
  if (!last || last.kind !== 'dense' || last.units !== spec.classes) {
    throw new Error(`model ${spec.name}: the last layer must be dense with ${spec.classes} units (the classes)`);
  }
  return shapes;
}

/** Multiply-adds x2 of one training step's forward and backward passes, per sample. */
export function trainingFlopsPerSample(spec: ModelSpec): number {
  const shapes = layerOutputShapes(spec);
  let flops = 0;
  let inShape = spec.input;
  spec.layers.forEach((layer, i) => {
    const out = shapes[i];
    let macs = 0;
    if (layer.kind === 'dense') macs = shapeSize(inShape) * layer.units;
    if (layer.kind === 'conv2d') macs = out.height * out.width * layer.filters * layer.kernel * layer.kernel * inShape.channels;
    // forward + weight gradient, plus the input gradient only where an earlier layer has parameters
    flops += 2 * macs * (needsInputGradient(spec, i) ? 3 : 2);
    inShape = out;
  });
  return flops;
}

/** Whether backprop must compute layer i's input gradient: only if some earlier layer has parameters. */
export function needsInputGradient(spec: ModelSpec, layer: number): boolean {
  return spec.layers.slice(0, layer).some((l) => l.kind === 'dense' || l.kind === 'conv2d');
}
