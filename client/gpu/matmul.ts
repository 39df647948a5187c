// Matrix multiply C = opA(A) · opB(B) (+ bias, relu) in the three transpose forms training needs:
// forward NN (x · W), input gradient NT (dY · W^T), weight gradient TN (X^T · dY).
import vec4Code from '../../shaders/matmul_vec4.wgsl?raw';
import tiledCode from '../../shaders/matmul_tiled.wgsl?raw';
import wideCode from '../../shaders/matmul_wide.wgsl?raw';
import quadCode from '../../shaders/matmul_quad.wgsl?raw';
import { ceilDiv, MAX_WORKGROUPS_PER_DIM, type Binding, type Dispatch, type PipelineCache } from './dispatch.ts';

/** vec4: register-blocked 8x8, no shared memory (fast on SwiftShader); wide: the same idea with a 16x16 block,
 *  half the loads per multiply-add (faster still on SwiftShader for big shapes, but ~1 s to compile there);
 *  quad: wide blocks whose 4 lanes of a quad share their loads (needs `subgroups`; for 4-wide SIMD adapters);
 *  tiled: shared-memory tiles with barriers. */
export type MatmulVariant = 'vec4' | 'tiled' | 'wide' | 'quad';
export const MATMUL_VARIANTS: MatmulVariant[] = ['vec4', 'tiled', 'wide', 'quad'];

export interface MatmulShape {
  m: number;
  k: number;
  n: number;
  /** A is stored [k, m] */
  transA: boolean;
  /** B is stored [n, k] */
  transB: boolean;
}

/** A product as a model plan lists it for the autotune: its shape, its epilogue, and the axis of its nonzero hint
 *  if it gets one (with a variant that uses it). The autotune times exactly that pipeline, so the plan reuses it. */
export interface PlannedMatmul extends MatmulShape {
  bias?: boolean;
  relu?: boolean;
  nonzeroAxis?: 'k' | 'm';
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
  /** A hint: opA's columns (axis 'k') or rows (axis 'm') listed nonzero ones first, their count after the list
   *  (client/gpu/active_columns.ts writes it). `wide` and `quad` skip the all-zero ones; the other variants
   *  ignore it and compute everything, with the same result. */
  nonzero?: { list: Binding; axis: 'k' | 'm' };
}

/** Output block per invocation of matmul_vec4.wgsl (TM x TN there). */
const VEC4_BLOCK = 8;
/** Output block per invocation of matmul_wide.wgsl (BM x BN there, set in shaders/gen/matmul_wide.ts). */
export const WIDE_BLOCK = { rows: 16, cols: 16 };
/** Output tile per quad of matmul_quad.wgsl (2x2 lane blocks of QUAD_LANE_BLOCK, set in shaders/gen/matmul_quad.ts). */
export const QUAD_TILE = 32;
/** The wide and quad kernels are worth their compile time (~1.2 s per shape on SwiftShader) only from this many
 *  multiply-adds up (the mlp's 64x256x128-sized products gain ~2x there, its 64x128x10 ones nothing), and only
 *  where their blocks are not mostly padding. */
const BIG_MIN_MACS = 1 << 21;
/** Output tile per workgroup of matmul_tiled.wgsl (T there). */
const TILED_TILE = 32;
/** SwiftShader gives each workgroup to one CPU thread: keep at least this many workgroups in flight. */
const MIN_WORKGROUPS = 8;
/** SwiftShader runs 4 invocations as one SIMD group: smaller workgroups would leave lanes idle. */
const MIN_WORKGROUP_SIZE = 4;

/** Whether a variant uses the `nonzero` hint (the others compute every product). */
export function variantSkipsZeros(v: MatmulVariant): boolean {
  return v === 'wide' || v === 'quad';
}

export function matmulFlops(s: MatmulShape): number {
  return 2 * s.m * s.k * s.n;
}

/** What the variant choice needs to know of an adapter. */
export interface AdapterTraits {
  subgroups: boolean;
  /** Widest subgroup the adapter runs; undefined where the browser does not say. */
  subgroupMaxSize?: number;
}

export function adapterTraits(device: GPUDevice): AdapterTraits {
  return { subgroups: device.features.has('subgroups'), subgroupMaxSize: device.adapterInfo?.subgroupMaxSize };
}

/** Subgroups at most this wide mark a CPU-like adapter (SwiftShader runs 4 invocations to a SIMD group): the only
 *  kind `wide` and `quad` are for. On a GPU (32 or 64 wide) their huge register blocks lose several times to tiled
 *  (the H100: 3-11x) and each takes about a second to compile, so they are not tried there. */
const CPU_SUBGROUP_MAX = 4;

/** The variants worth timing for a shape: vec4 and tiled always; on big enough shapes, on a CPU-like adapter (or one
 *  that does not report its subgroup width), quad where it has subgroups (and `quadUsable`: the autotune's check of
 *  it passed), else wide, which is quad without the shared loads (quad was as fast or faster on every big shape on
 *  SwiftShader: timing both would only cost compiles). */
export function matmulVariantsFor(s: MatmulShape, adapter: AdapterTraits, quadUsable = true): MatmulVariant[] {
  const cpuLike = adapter.subgroupMaxSize === undefined || adapter.subgroupMaxSize <= CPU_SUBGROUP_MAX;
  const big = cpuLike && s.m * s.k * s.n >= BIG_MIN_MACS;
  const quad = big && s.m >= QUAD_TILE && s.n >= QUAD_TILE && adapter.subgroups && quadUsable;
  const fits = {
    vec4: true,
    tiled: true,
    wide: big && s.m >= WIDE_BLOCK.rows && s.n >= WIDE_BLOCK.cols && !quad,
    quad,
  };
  return MATMUL_VARIANTS.filter((v) => fits[v]);
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
  if (args.variant === 'wide' || args.variant === 'quad') {
    const sparse = { SPARSE_K: args.nonzero?.axis === 'k' ? 1 : 0, SPARSE_M: args.nonzero?.axis === 'm' ? 1 : 0 };
    const nz = args.nonzero?.list ?? dummyBias(cache.device);
    // A quad's four lanes share one tile: invocations come in fours, and workgroups are multiples of 4.
    const invocations = args.variant === 'wide' ? ceilDiv(m, WIDE_BLOCK.rows) * ceilDiv(n, WIDE_BLOCK.cols) : 4 * ceilDiv(m, QUAD_TILE) * ceilDiv(n, QUAD_TILE);
    const wg = workgroupSize(invocations);
    const [x, y] = foldGroups(ceilDiv(invocations, wg));
    const code = args.variant === 'wide' ? wideCode : quadCode;
    return cache.dispatch(label, code, { ...shared, ...sparse, WG: wg, GROUPS_X: x }, [...buffers, nz], [x, y]);
  }
  if (args.variant === 'vec4') {
    const blocks = ceilDiv(m, VEC4_BLOCK) * ceilDiv(n, VEC4_BLOCK);
    const wg = workgroupSize(blocks);
    const [x, y] = foldGroups(ceilDiv(blocks, wg));
    return cache.dispatch(label, vec4Code, { ...shared, WG: wg, GROUPS_X: x }, buffers, [x, y]);
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

/** One 16-byte storage buffer per device, bound where a dispatch has no bias or no nonzero list (HAS_BIAS = 0
 *  and SPARSE_K = SPARSE_M = 0 never read it). */
const dummyBiases = new WeakMap<GPUDevice, GPUBuffer>();

function dummyBias(device: GPUDevice): GPUBuffer {
  let buffer = dummyBiases.get(device);
  if (!buffer) {
    buffer = device.createBuffer({ label: 'matmul no-bias', size: 16, usage: GPUBufferUsage.STORAGE });
    dummyBiases.set(device, buffer);
  }
  return buffer;
}
