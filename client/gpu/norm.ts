// Group normalization (layer norm: positions 1, groups 1) forward and backward over x [instances, positions,
// channels]; the math is in shared/reference/norm.ts.
import forwardCode from '../../shaders/norm_forward.wgsl?raw';
import backwardDataCode from '../../shaders/norm_backward_data.wgsl?raw';
import backwardParamsCode from '../../shaders/norm_backward_params.wgsl?raw';
import backwardParamsTotalCode from '../../shaders/norm_backward_params_total.wgsl?raw';
import { ceilDiv, grid, type Binding, type Dispatch, type PipelineCache } from './dispatch.ts';
import type { NormShape } from '../../shared/reference/norm.ts';

export type { NormShape };

/** Up to this many rows (instances * positions) one invocation per channel sums them all for dgamma and dbeta;
 *  more rows are summed in chunks of about sqrt(rows) into a scratch buffer first. */
const SINGLE_PASS_ROWS = 256;

/** Floats per scratch half: the beta partial sums start on a 256-byte boundary, as a binding offset must. */
const ALIGN_FLOATS = 64;

/** y, mean and rstd are overwritten; mean and rstd hold instances * groups floats (index n * groups + g). */
export function normForwardDispatches(
  cache: PipelineCache,
  a: { shape: NormShape; x: Binding; gamma: Binding; beta: Binding; y: Binding; mean: Binding; rstd: Binding },
): Dispatch[] {
  const s = checkShape(a.shape);
  return [groupDispatch(cache, 'norm forward', forwardCode, s, { ...sizes(s), EPS: s.eps }, [a.x, a.gamma, a.beta, a.y, a.mean, a.rstd])];
}

/** Floats of scratch the backward needs (0 if none); if nonzero the caller passes `scratch` of at least that many
 *  floats to normBackwardDispatches. */
export function normBackwardScratchFloats(s: NormShape): number {
  const { chunks } = chunking(checkShape(s));
  return chunks === 1 ? 0 : 2 * scratchHalf(s, chunks);
}

/** dx, dgamma and dbeta are overwritten (not accumulated); mean and rstd are what the forward saved. */
export function normBackwardDispatches(
  cache: PipelineCache,
  a: { shape: NormShape; x: Binding; dy: Binding; gamma: Binding; mean: Binding; rstd: Binding; dx: Binding; dgamma: Binding; dbeta: Binding; scratch?: Binding },
): Dispatch[] {
  const s = checkShape(a.shape);
  const data = groupDispatch(cache, 'norm backward dx', backwardDataCode, s, sizes(s), [a.x, a.dy, a.gamma, a.mean, a.rstd, a.dx]);
  const { chunk, chunks } = chunking(s);
  const partials = (outGamma: Binding, outBeta: Binding) =>
    channelDispatch(cache, s, chunk, chunks, [a.x, a.dy, a.mean, a.rstd, outGamma, outBeta]);
  if (chunks === 1) return [data, partials(a.dgamma, a.dbeta)];
  const [partialGamma, partialBeta] = scratchHalves(s, chunks, a.scratch);
  const total = cache.dispatch('norm backward dgamma dbeta total', backwardParamsTotalCode, { CHANNELS: s.channels, CHUNKS: chunks },
    [partialGamma, partialBeta, a.dgamma, a.dbeta], grid(s.channels));
  return [data, partials(partialGamma, partialBeta), total];
}

/** Channels per group a multiple of 4: the shaders' vec4 entry point `main4`, several times faster on SwiftShader. */
const vec4 = (s: NormShape) => (s.channels / s.groups) % 4 === 0;

const sizes = (s: NormShape) => ({ INSTANCES: s.instances, POSITIONS: s.positions, CHANNELS: s.channels, GROUPS: s.groups });

/** One invocation per (instance, group). */
function groupDispatch(cache: PipelineCache, label: string, code: string, s: NormShape, constants: Record<string, number>, buffers: Binding[]): Dispatch {
  const pipeline = cache.get(code, constants, vec4(s) ? 'main4' : 'main');
  return { label, pipeline, bindGroup: cache.bindGroup(pipeline, buffers), workgroups: [...grid(s.instances * s.groups), 1] };
}

/** One invocation per (chunk of rows, channel or 4 channels). */
function channelDispatch(cache: PipelineCache, s: NormShape, chunk: number, chunks: number, buffers: Binding[]): Dispatch {
  const pipeline = cache.get(backwardParamsCode, { ...sizes(s), CHUNK: chunk }, vec4(s) ? 'main4' : 'main');
  const columns = vec4(s) ? s.channels / 4 : s.channels;
  return { label: 'norm backward dgamma dbeta', pipeline, bindGroup: cache.bindGroup(pipeline, buffers), workgroups: [...grid(chunks * columns), 1] };
}

function chunking(s: NormShape): { chunk: number; chunks: number } {
  const rows = s.instances * s.positions;
  const chunk = rows <= SINGLE_PASS_ROWS ? rows : Math.ceil(Math.sqrt(rows));
  return { chunk, chunks: ceilDiv(rows, chunk) };
}

const scratchHalf = (s: NormShape, chunks: number) => ceilDiv(chunks * s.channels, ALIGN_FLOATS) * ALIGN_FLOATS;

/** The gamma and beta partial sums [chunks, channels] as two ranges of the caller's scratch. */
function scratchHalves(s: NormShape, chunks: number, scratch: Binding | undefined): [GPUBufferBinding, GPUBufferBinding] {
  const needed = 2 * scratchHalf(s, chunks);
  if (!scratch) throw new Error(`norm backward of ${s.instances * s.positions} rows needs scratch: pass normBackwardScratchFloats(shape) = ${needed} floats`);
  const { buffer, offset = 0 } = 'buffer' in scratch ? scratch : { buffer: scratch };
  const size = 'buffer' in scratch && scratch.size !== undefined ? scratch.size : buffer.size - offset;
  if (size < needed * 4) throw new Error(`norm backward scratch holds ${size / 4} floats, needs normBackwardScratchFloats(shape) = ${needed}`);
  const half = scratchHalf(s, chunks) * 4;
  const bytes = chunks * s.channels * 4;
  return [{ buffer, offset, size: bytes }, { buffer, offset: offset + half, size: bytes }];
}

function checkShape(s: NormShape): NormShape {
  for (const name of ['instances', 'positions', 'channels', 'groups'] as const) {
    if (!Number.isInteger(s[name]) || s[name] < 1) throw new Error(`norm shape: ${name} must be a positive integer, got ${s[name]}`);
  }
  if (s.channels % s.groups !== 0) throw new Error(`norm shape: channels ${s.channels} must be a multiple of groups ${s.groups}`);
  if (!(s.eps >= 0 && Number.isFinite(s.eps))) throw new Error(`norm shape: eps must be finite and at least 0, got ${s.eps}`);
  return s;
}
