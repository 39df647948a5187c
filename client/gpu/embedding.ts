// Token + positional embedding (byte-level language model): forward lookup and the table and position gradients.
import forwardCode from '../../shaders/embedding_forward.wgsl?raw';
import tokensCode from '../../shaders/embedding_backward_tokens.wgsl?raw';
import positionsCode from '../../shaders/embedding_backward_positions.wgsl?raw';
import { ceilDiv, type Binding, type Dispatch, type PipelineCache } from './dispatch.ts';
import { biasGradDispatches } from './bias_grad.ts';
import { gridStrideDispatch } from './elementwise.ts';
import type { EmbeddingShape } from '../../shared/reference/embedding.ts';

export type { EmbeddingShape };

/** tokens: f32 [batch, context] holding integers; table [vocab, dim]; positions [context, dim]; writes y [batch, context, dim].
 *  A token outside 0..vocab-1 adds no table row (skipped, never read out of bounds). */
export function embeddingForwardDispatch(
  cache: PipelineCache,
  a: { shape: EmbeddingShape; tokens: Binding; table: Binding; positions: Binding; y: Binding },
): Dispatch {
  const s = checkShape(a.shape);
  const vec4 = s.dim % 4 === 0;
  const steps = (s.batch * s.context * s.dim) / (vec4 ? 4 : 1);
  const constants = { BATCH: s.batch, CONTEXT: s.context, VOCAB: s.vocab, DIM: s.dim };
  return gridStrideDispatch(cache, 'embedding forward', forwardCode, vec4 ? 'main4' : 'main', steps, constants, [a.tokens, a.table, a.positions, a.y]);
}

/** Positions per chunk of the dtable scatter: up to this many, one pass writes dtable; more are split into chunks
 *  summed by a second pass, so that batch 64 x context 128 runs 4 chunks at once (about 1.5x faster on SwiftShader's
 *  2 cores than one pass, for a 4 x vocab x dim scratch buffer). */
const CHUNK_POSITIONS = 2048;

/** Overwrites dtable [vocab, dim] (rows of tokens that never occur become 0; tokens outside 0..vocab-1 are skipped)
 *  and dpositions [context, dim]. dtable takes one invocation per channel (per 4 channels when dim is a multiple of 4)
 *  and chunk of CHUNK_POSITIONS positions, each walking its chunk: there are no f32 atomics to scatter with. Past one
 *  chunk, the chunks' tables go to a scratch buffer that this function creates, and biasGrad's column sums add them. */
export function embeddingBackwardDispatches(
  cache: PipelineCache,
  a: { shape: EmbeddingShape; tokens: Binding; dy: Binding; dtable: Binding; dpositions: Binding },
): Dispatch[] {
  const s = checkShape(a.shape);
  const vec4 = s.dim % 4 === 0;
  const entry = vec4 ? 'main4' : 'main';
  const lanes = vec4 ? 4 : 1;
  const positions = s.batch * s.context;
  const chunks = ceilDiv(positions, CHUNK_POSITIONS);
  const tableFloats = s.vocab * s.dim;
  const sums = chunks === 1 ? a.dtable : cache.device.createBuffer({ label: 'embedding dtable chunk sums', size: chunks * tableFloats * 4, usage: GPUBufferUsage.STORAGE });
  const scatterConstants = { POSITIONS: positions, VOCAB: s.vocab, DIM: s.dim, CHUNK: CHUNK_POSITIONS };
  const positionConstants = { BATCH: s.batch, CONTEXT: s.context, DIM: s.dim };
  return [
    gridStrideDispatch(cache, 'embedding backward tokens', tokensCode, entry, (chunks * s.dim) / lanes, scatterConstants, [a.tokens, a.dy, sums]),
    ...(chunks === 1 ? [] : biasGradDispatches(cache, { rows: chunks, cols: tableFloats, dy: sums, db: a.dtable })),
    gridStrideDispatch(cache, 'embedding backward positions', positionsCode, entry, (s.context * s.dim) / lanes, positionConstants, [a.dy, a.dpositions]),
  ];
}

function checkShape(s: EmbeddingShape): EmbeddingShape {
  for (const [name, v] of Object.entries(s)) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`embedding shape: ${name} must be a positive integer, got ${v}`);
  }
  return s;
}
