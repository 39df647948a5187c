// The one flat f32 parameter vector of a model: every tensor's name, shape and offset.
import { modelOps, shapeSize, type ModelSpec, type Op } from './model.ts';

export type TensorRole = 'weight' | 'bias' | 'gamma' | 'beta' | 'tokens' | 'positions';

export interface TensorEntry {
  /** `layers.<op path>.<role>` (shared/model.ts Op.path) */
  name: string;
  /** The op's index in modelOps(spec). */
  layer: number;
  role: TensorRole;
  /** dense: [in, out]; conv2d: [kernel, kernel, inChannels, filters] (HWIO); norm gamma/beta: [channels];
   *  embedding tokens: [vocab, dim], positions: [context, dim] */
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

/** The tensors of one op, in the order they are laid out. */
export function opTensors(op: Op): { role: TensorRole; shape: number[] }[] {
  switch (op.kind) {
    case 'dense': {
      const inFeatures = op.positions === 1 ? shapeSize(op.input) : op.input.channels;
      return [{ role: 'weight', shape: [inFeatures, op.units] }, { role: 'bias', shape: [op.units] }];
    }
    case 'conv2d':
      return [{ role: 'weight', shape: [op.kernel, op.kernel, op.input.channels, op.filters] }, { role: 'bias', shape: [op.filters] }];
    case 'norm':
      return [{ role: 'gamma', shape: [op.input.channels] }, { role: 'beta', shape: [op.input.channels] }];
    case 'embedding':
      return [{ role: 'tokens', shape: [op.vocab, op.dim] }, { role: 'positions', shape: [op.context, op.dim] }];
    default:
      return [];
  }
}

export function parameterLayout(spec: ModelSpec): ParameterLayout {
  const tensors: TensorEntry[] = [];
  let offset = 0;
  for (const op of modelOps(spec)) {
    for (const { role, shape } of opTensors(op)) {
      const length = shape.reduce((a, b) => a * b, 1);
      tensors.push({ name: `layers.${op.path}.${role}`, layer: op.index, role, shape, offset, length });
      offset = alignUp(offset + length, TENSOR_ALIGN_FLOATS);
    }
  }
  return { tensors, length: offset };
}

export function tensorOf(layout: ParameterLayout, layer: number, role: TensorRole): TensorEntry {
  const t = layout.tensors.find((e) => e.layer === layer && e.role === role);
  if (!t) throw new Error(`op ${layer} has no ${role} tensor`);
  return t;
}

/** Number of real parameters (padding excluded). */
export function parameterCount(layout: ParameterLayout): number {
  return layout.tensors.reduce((n, t) => n + t.length, 0);
}
