// The core of multi-head causal self-attention (between the QKV and output projections), forward and backward,
// without atomics or barriers: one invocation per (batch, head, block of 4 tokens) in every kernel.
import forwardCode from '../../shaders/attention_forward.wgsl?raw';
import forwardQuadCode from '../../shaders/attention_forward_quad.wgsl?raw';
import backwardQueryCode from '../../shaders/attention_backward_query.wgsl?raw';
import backwardQueryQuadCode from '../../shaders/attention_backward_query_quad.wgsl?raw';
import backwardKeyCode from '../../shaders/attention_backward_key.wgsl?raw';
import backwardKeyQuadCode from '../../shaders/attention_backward_key_quad.wgsl?raw';
import { ceilDiv, MAX_WORKGROUPS_PER_DIM, type Binding, type Dispatch, type PipelineCache } from './dispatch.ts';
import type { AttentionShape } from '../../shared/reference/attention.ts';

export type { AttentionShape };

/** The shaders keep a head's vectors in arrays of 16 vec4s, unrolled by hand: on SwiftShader compiling the 3 kernels
 *  takes ~5 s for heads of 32 and ~20 s for heads of 64. */
const MAX_HEAD_DIM = 64;
/** SwiftShader's subgroups: 4 invocations run as one SIMD group, and every storage load is a per-lane gather, which
 *  the quad variants cut by 4. GPUs (32 or 64 wide) do not need them. */
const QUAD_SUBGROUP_SIZE = 4;

/** quads: whether the 4 lanes of a subgroup quad share their loads (the `_quad` shaders, 1.3-1.6x faster kernels
 *  on SwiftShader). By default where quadsByDefault says; tests set it to run both variants. */
interface Variant {
  quads?: boolean;
}

/** Reads qkv [batch, context, 3 * dim] (rows q | k | v); writes every element of out [batch, context, dim] and
 *  lse [batch, heads, context] (the backward's input). */
export function attentionForwardDispatches(cache: PipelineCache, a: { shape: AttentionShape; qkv: Binding; out: Binding; lse: Binding } & Variant): Dispatch[] {
  const s = checkShape(a.shape);
  const quads = useQuads(cache.device, a.quads);
  const code = quads ? forwardQuadCode : forwardCode;
  return [cache.dispatch(label('forward', quads), code, constants(s), [a.qkv, a.out, a.lse], workgroups(s, quads))];
}

/** Floats of scratch the backward needs: dout_t . out_t per (batch, head, token). */
export function attentionScratchFloats(s: AttentionShape): number {
  checkShape(s);
  return s.batch * s.heads * s.context;
}

/** Writes every element of dqkv [batch, context, 3 * dim] (dq, dk, dv in qkv's columns) and of scratch
 *  (attentionScratchFloats; it may share a buffer with dqkv, not with the inputs). */
export function attentionBackwardDispatches(
  cache: PipelineCache,
  a: { shape: AttentionShape; qkv: Binding; out: Binding; lse: Binding; dout: Binding; dqkv: Binding; scratch: Binding } & Variant,
): Dispatch[] {
  const s = checkShape(a.shape);
  const quads = useQuads(cache.device, a.quads);
  const [queryCode, keyCode] = quads ? [backwardQueryQuadCode, backwardKeyQuadCode] : [backwardQueryCode, backwardKeyCode];
  return [
    cache.dispatch(label('backward_query', quads), queryCode, constants(s), [a.qkv, a.out, a.lse, a.dout, a.dqkv, a.scratch], workgroups(s, quads)),
    cache.dispatch(label('backward_key', quads), keyCode, constants(s), [a.qkv, a.lse, a.dout, a.scratch, a.dqkv], workgroups(s, quads)),
  ];
}

/** The quad variant where the device has `subgroups` 4 wide (SwiftShader), whose quads are 4 consecutive
 *  invocations as the `_quad` shaders assume. */
export function quadsByDefault(device: GPUDevice): boolean {
  return device.features.has('subgroups') && device.adapterInfo?.subgroupMaxSize === QUAD_SUBGROUP_SIZE;
}

function useQuads(device: GPUDevice, asked: boolean | undefined): boolean {
  if (asked && !device.features.has('subgroups')) throw new Error('attention: the quad variant needs a device with the `subgroups` feature; leave quads unset to pick by device');
  return asked ?? quadsByDefault(device);
}

const label = (kernel: string, quads: boolean) => `attention_${kernel}${quads ? '_quad' : ''}`;

/** One invocation per (head, block of 4 queries or keys) along x, one row of workgroups per sequence along y: the
 *  batch size is not a pipeline constant, so one pipeline serves every batch size. The quad variants pad each
 *  head's blocks to a multiple of 4, so that a quad never spans two heads. */
function workgroups(s: AttentionShape, quads: boolean): [number, number] {
  const blocks = quads ? 4 * ceilDiv(s.context, 16) : ceilDiv(s.context, 4);
  return [ceilDiv(s.heads * blocks, 64), s.batch];
}

function constants(s: AttentionShape): Record<string, number> {
  return { CONTEXT: s.context, HEADS: s.heads, HEAD_DIM: s.dim / s.heads };
}

function checkShape(s: AttentionShape): AttentionShape {
  for (const [name, v] of Object.entries(s)) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`attention shape: ${name} must be a positive integer, got ${v}`);
  }
  if (s.batch > MAX_WORKGROUPS_PER_DIM) throw new Error(`attention shape: batch ${s.batch} is over ${MAX_WORKGROUPS_PER_DIM}, one workgroup row each`);
  const headDim = s.dim / s.heads;
  if (!Number.isInteger(headDim) || headDim % 4 !== 0 || headDim > MAX_HEAD_DIM) {
    throw new Error(`attention shape: the head dim (dim ${s.dim} / heads ${s.heads}) must be a multiple of 4 and at most ${MAX_HEAD_DIM}; choose dim and heads to match`);
  }
  return s;
}
