// Matrix multiply C = opA(A) · opB(B) (+ bias, relu) in the three transpose forms training needs:
// forward NN (x · W), input gradient NT (dY · W^T), weight gradient TN (X^T · dY).
import vec4Code from '../../shaders/matmul_vec4.wgsl?raw';
import tiledCode from '../../shaders/matmul_tiled.wgsl?raw';
import wideCode from '../../shaders/matmul_wide.wgsl?raw';
import { ceilDiv, MAX_WORKGROUPS_PER_DIM, type Binding, type Dispatch, type PipelineCache } from './dispatch.ts';

/** vec4: register-blocked 8x8, no shared memory (fast on SwiftShader); wide: the same idea with a 16x16 block,
 *  half the loads per multiply-add (faster still on SwiftShader for big shapes, but ~1 s to compile there);
 *  tiled: shared-memory tiles with barriers. */
export type MatmulVariant = 'vec4' | 'tiled' | 'wide';
export const MATMUL_VARIANTS: MatmulVariant[] = ['vec4', 'tiled', 'wide'];

export interface MatmulShape {
  m: number;
  k: number;
  n: number;
  /** A is stored [k, m] */
  transA: boolean;
  /** B is stored [n, k] */
  transB: boolean;
}

export interface MatmulArgs extends MatmulShape {
  variant: MatmulVariant;
  a: Binding;
  b: Binding;
  /** Written fully: overwritten, not accumulated. */
  c: Binding;
  /** Fused epilogue c[r, j] += bias[j]. */
  bias?: Binding;
  /** Fused epilogue after the bias: c = max(c, 0). */
  relu?: boolean;
}

/** Output block per invocation of matmul_vec4.wgsl (TM x TN there). */
const VEC4_BLOCK = 8;
/** Output block per invocation of matmul_wide.wgsl (BM x BN there, set in shaders/gen/matmul_wide.ts). */
export const WIDE_BLOCK = { rows: 16, cols: 16 };
/** The wide kernel is worth its compile time (~1 s per shape on SwiftShader) only from this many multiply-adds
 *  up (it gained ~1.3x on 64x784x256 but only ~1.1x on 64x256x128), and only where its 16x16 blocks are not
 *  mostly padding. */
const WIDE_MIN_MACS = 1 << 22;
/** Output tile per workgroup of matmul_tiled.wgsl (T there). */
const TILED_TILE = 32;
/** SwiftShader gives each workgroup to one CPU thread: keep at least this many workgroups in flight. */
const MIN_WORKGROUPS = 8;
/** SwiftShader runs 4 invocations as one SIMD group: smaller workgroups would leave lanes idle. */
const MIN_WORKGROUP_SIZE = 4;

export function matmulFlops(s: MatmulShape): number {
  return 2 * s.m * s.k * s.n;
}

/** The variants worth timing for a shape: all of them, except 'wide' on small or thin shapes. */
export function matmulVariantsFor(s: MatmulShape): MatmulVariant[] {
  const wideFits = s.m * s.k * s.n >= WIDE_MIN_MACS && s.m >= WIDE_BLOCK.rows && s.n >= WIDE_BLOCK.cols;
  return MATMUL_VARIANTS.filter((v) => v !== 'wide' || wideFits);
}

export function matmulDispatch(cache: PipelineCache, args: MatmulArgs): Dispatch {
  const { m, k, n } = args;
  for (const [name, v] of [['m', m], ['k', k], ['n', n]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`matmul: ${name} must be a positive integer, got ${v}`);
  }
  const label = `matmul_${args.variant}_${args.transA ? 'T' : 'N'}${args.transB ? 'T' : 'N'}_${m}x${k}x${n}`;
  const shared = {
    M: m,
    K: k,
    N: n,
    TRANS_A: args.transA ? 1 : 0,
    TRANS_B: args.transB ? 1 : 0,
    HAS_BIAS: args.bias ? 1 : 0,
    RELU: args.relu ? 1 : 0,
  };
  const buffers = [args.a, args.b, args.c, args.bias ?? dummyBias(cache.device)];
  if (args.variant === 'vec4' || args.variant === 'wide') {
    const [rows, cols, code] = args.variant === 'vec4' ? [VEC4_BLOCK, VEC4_BLOCK, vec4Code] : [WIDE_BLOCK.rows, WIDE_BLOCK.cols, wideCode];
    const blocks = ceilDiv(m, rows) * ceilDiv(n, cols);
    const wg = workgroupSize(blocks);
    const [x, y] = foldGroups(ceilDiv(blocks, wg));
    return cache.dispatch(label, code, { ...shared, WG: wg, GROUPS_X: x }, buffers, [x, y]);
  }
  const [x, y] = foldGroups(ceilDiv(m, TILED_TILE) * ceilDiv(n, TILED_TILE));
  return cache.dispatch(label, tiledCode, { ...shared, GROUPS_X: x }, buffers, [x, y]);
}

/** 64 invocations, halved while that would leave fewer than MIN_WORKGROUPS workgroups. */
function workgroupSize(invocations: number): number {
  let wg = 64;
  while (wg > MIN_WORKGROUP_SIZE && ceilDiv(invocations, wg) < MIN_WORKGROUPS) wg /= 2;
  return wg;
}

function foldGroups(groups: number): [number, number] {
  const y = ceilDiv(groups, MAX_WORKGROUPS_PER_DIM);
  return [ceilDiv(groups, y), y];
}

/** One 16-byte storage buffer per device, bound where a dispatch has no bias (HAS_BIAS = 0 never reads it). */
const dummyBiases = new WeakMap<GPUDevice, GPUBuffer>();

function dummyBias(device: GPUDevice): GPUBuffer {
  let buffer = dummyBiases.get(device);
  if (!buffer) {
    buffer = device.createBuffer({ label: 'matmul no-bias', size: 16, usage: GPUBufferUsage.STORAGE });
    dummyBiases.set(device, buffer);
  }
  return buffer;
}
