// The one flat f32 parameter vector of a model: every tensor's name, shape and offset.
import { layerOutputShapes, shapeSize, type ModelSpec } from './model.ts';

export interface TensorEntry {
  name: string;
  layer: number;
  role: 'weight' | 'bias';
  /** dense: [in, out]; conv2d: [kernel, kernel, inChannels, filters] (HWIO) */
  shape: number[];
  offset: number;
  length: number;
}

export interface ParameterLayout {
  tensors: TensorEntry[];
  /** Floats in the flat vector, padding included. */
  length: number;
}

/** Tensors start on 256-byte boundaries so each can be bound as its own storage-buffer range. */
export const TENSOR_ALIGN_FLOATS = 64;

const alignUp = (n: number, to: number) => Math.ceil(n / to) * to;

export function parameterLayout(spec: ModelSpec): ParameterLayout {
  const shapes = layerOutputShapes(spec);
  const tensors: TensorEntry[] = [];
  let offset = 0;
  const add = (layer: number, role: TensorEntry['role'], shape: number[]) => {
    const length = shape.reduce((a, b) => a * b, 1);
    tensors.push({ name: `layers.${layer}.${role}`, layer, role, shape, offset, length });
    offset = alignUp(offset + length, TENSOR_ALIGN_FLOATS);
  };
  let inShape = spec.input;
  spec.layers.forEach((layer, i) => {
    if (layer.kind === 'dense') {
      add(i, 'weight', [shapeSize(inShape), layer.units]);
      add(i, 'bias', [layer.units]);
    } else if (layer.kind === 'conv2d') {
      add(i, 'weight', [layer.kernel, layer.kernel, inShape.channels, layer.filters]);
      add(i, 'bias', [layer.filters]);
    }
    inShape = shapes[i];
  });
  return { tensors, length: offset };
}

export function tensorOf(layout: ParameterLayout, layer: number, role: TensorEntry['role']): TensorEntry {
  const t = layout.tensors.find((e) => e.layer === layer && e.role === role);
  if (!t) throw new Error(`layer ${layer} has no ${role} tensor`);
  return t;
}

/** Number of real parameters (padding excluded). */
export function parameterCount(layout: ParameterLayout): number {
  return layout.tensors.reduce((n, t) => n + t.length, 0);
}
