// What the generated register-blocked matmuls (matmul_wide.wgsl, matmul_quad.wgsl) share: their overrides,
// bindings, and the helpers that map loop steps and rows through the optional list of opA's nonzero lines.
import { range } from './range.ts';

/** Header lines from the `override M` line through the helper functions. `tileSizes` declares the kernel's own
 *  block constants and derived overrides (they differ between the variants). */
export function matmulPreamble(tileSizes: string[]): string[] {
  return [
    'override M: u32;',
    'override K: u32;',
    'override N: u32;',
    'override TRANS_A: bool = false; // A stored [K, M]',
    'override TRANS_B: bool = false; // B stored [N, K]',
    'override HAS_BIAS: bool = false;',
    'override RELU: bool = false;',
    '// With SPARSE_K, nz lists the columns of opA, nonzero ones first, and nz[K] counts those: the k loop visits',
    '// only them. With SPARSE_M, nz lists the rows of opA (and C) the same way, nz[M] counting the nonzero ones:',
    '// rows beyond the count are all zero in C, and a block of only such rows skips its k loop.',
    'override SPARSE_K: bool = false;',
    'override SPARSE_M: bool = false;',
    'override WG: u32 = 64;',
    'override GROUPS_X: u32 = 1; // workgroups along x; the flat index folds y into x',
    '',
    ...tileSizes,
    '// Distance between consecutive k of one row of opA / one column of opB.',
    'override A_STEP: u32 = select(1u, M, TRANS_A);',
    'override B_STEP: u32 = select(N, 1u, TRANS_B);',
    '',
    '@group(0) @binding(0) var<storage, read> a: array<f32>;',
    '@group(0) @binding(1) var<storage, read> b: array<f32>;',
    '@group(0) @binding(2) var<storage, read_write> c: array<f32>;',
    '@group(0) @binding(3) var<storage, read> bias: array<f32>;',
    '@group(0) @binding(4) var<storage, read> nz: array<u32>;',
    '',
    '// The k of loop step t.',
    'fn kAt(t: u32) -> u32 {',
    '  if (SPARSE_K) {',
    '    return nz[t];',
    '  }',
    '  return t;',
    '}',
    '',
    '// Row of opA and C that the r-th row of the iteration space stands for (r < M).',
    'fn rowAt(r: u32) -> u32 {',
    '  if (SPARSE_M) {',
    '    return nz[r];',
    '  }',
    '  return r;',
    '}',
    '',
    '// k loop steps for a block whose first row (in iteration order) is firstRow.',
    'fn stepsFrom(firstRow: u32) -> u32 {',
    '  if (SPARSE_M && firstRow >= nz[M]) {',
    '    return 0u;',
    '  }',
    '  if (SPARSE_K) {',
    '    return nz[K];',
    '  }',
    '  return K;',
    '}',
    '',
    'fn aBase(r: u32) -> u32 {',
    '  let row = rowAt(min(r, M - 1u));',
    '  return select(row * K, row, TRANS_A);',
    '}',
    '',
    'fn bBase(col: u32) -> u32 {',
    '  let j = min(col, N - 1u);',
    '  return select(j, j * K, TRANS_B);',
    '}',
    '',
    'fn epilogue(v: f32, biasValue: f32) -> f32 {',
    '  return select(v + biasValue, max(v + biasValue, 0.0), RELU);',
    '}',
    '',
  ];
}

/** The k loop, unrolled, then its remainder: `step(t)` gives the lines of one k step for loop index expression t. */
export function kLoop(unroll: number, step: (t: string, indent: string) => string[]): string[] {
  return [
    '  var t = 0u;',
    `  for (; t + ${unroll}u <= steps; t += ${unroll}u) {`,
    ...range(unroll).flatMap((u) => step(u === 0 ? 't' : `t + ${u}u`, '    ')),
    '  }',
    '  for (; t < steps; t++) {',
    ...step('t', '    '),
    '  }',
  ];
}

/** Declarations of the rows x cols scalar accumulators c{i}_{j}, a line per row. */
export function accumulators(rows: number, cols: number): string[] {
  return range(rows).map((i) => `  ${range(cols).map((j) => `var c${i}_${j} = 0.0;`).join(' ')}`);
}

/** bias0.. for `cols` columns, the j-th read at column expression colOf(j) (clamped), 0 without bias. */
export function biasLoads(cols: number, colOf: (j: number) => string): string[] {
  return [
    '  // Bias per column, read once; 0 without bias (the bias binding is then a dummy that is never read).',
    ...range(cols).map((j) => `  var bias${j} = 0.0;`),
    '  if (HAS_BIAS) {',
    ...range(cols).map((j) => `    bias${j} = bias[min(${colOf(j)}, N - 1u)];`),
    '  }',
  ];
}
