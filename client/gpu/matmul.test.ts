import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openNodeDevice } from './node_device.ts';
import { PipelineCache } from './dispatch.ts';
import { bufferFrom, emptyBuffer, randomArray, readF32, relativeError, run, STORAGE } from './test_support.ts';
import { readFileSync } from 'node:fs';
import { matmulDispatch, matmulFlops, matmulVariantsFor, MATMUL_VARIANTS, QUAD_TILE, WIDE_BLOCK, type MatmulShape, type MatmulVariant } from './matmul.ts';
import { addBias, matmul } from '../../shared/reference/matmul.ts';
import { matmulWideWgsl, WIDE_BLOCK as GENERATED_BLOCK } from '../../shaders/gen/matmul_wide.ts';
import { matmulQuadWgsl, QUAD_LANE_BLOCK } from '../../shaders/gen/matmul_quad.ts';

const { device } = await openNodeDevice();
const cache = new PipelineCache(device);

const FORMS = [
  { form: 'NN', transA: false, transB: false },
  { form: 'NT', transA: false, transB: true },
  { form: 'TN', transA: true, transB: false },
] as const;

/** [m, k, n]: odd sizes that leave partial blocks and tiles everywhere, then aligned ones. */
const SIZES: [number, number, number][] = [
  [1, 1, 1],
  [3, 5, 10],
  [7, 33, 17],
  [13, 784, 1],
  [65, 13, 130],
  [64, 64, 64],
];

interface Epilogue {
  bias: boolean;
  relu: boolean;
}

/** Epilogues rotate over the sizes so every form meets each of them. */
const EPILOGUES: Epilogue[] = [
  { bias: false, relu: false },
  { bias: true, relu: false },
  { bias: false, relu: true },
  { bias: true, relu: true },
];

/** The wide and quad kernels take ~1 s per shape to compile on SwiftShader, so they get one odd shape (partial
 *  blocks and quad tiles in both directions, odd k for the remainder loop) and one aligned shape per form. */
const WIDE_CASES: { size: [number, number, number]; epilogue: Epilogue }[] = [
  { size: [35, 33, 17], epilogue: { bias: true, relu: true } },
  { size: [32, 64, 48], epilogue: { bias: false, relu: false } },
];

function expected(a: Float32Array, b: Float32Array, s: MatmulShape, bias?: Float32Array, relu = false): Float64Array {
  const c = matmul(a, b, s.m, s.k, s.n, s.transA, s.transB);
  if (bias) addBias(c, s.m, s.n, bias);
  if (relu) for (let i = 0; i < c.length; i++) c[i] = Math.max(c[i], 0);
  return c;
}

test('shared/reference matmul agrees with a naive triple loop in every transpose form', () => {
  const [m, k, n] = [3, 4, 5];
  const a = randomArray(m * k, 1);
  const b = randomArray(k * n, 2);
  for (const { transA, transB } of FORMS) {
    const c = matmul(a, b, m, k, n, transA, transB);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += (transA ? a[p * m + i] : a[i * k + p]) * (transB ? b[j * k + p] : b[p * n + j]);
        assert.ok(Math.abs(c[i * n + j] - s) < 1e-12);
      }
    }
  }
  assert.equal(matmulFlops({ m, k, n, transA: false, transB: false }), 2 * m * k * n);
});

async function checkAgainstReference(variant: MatmulVariant, shape: MatmulShape, epilogue: Epilogue, seed: number): Promise<void> {
  const { m, k, n } = shape;
  const a = randomArray(m * k, seed);
  const b = randomArray(k * n, seed + 1);
  const bias = epilogue.bias ? randomArray(n, seed + 2) : undefined;
  const c = emptyBuffer(device, m * n);
  const d = matmulDispatch(cache, {
    ...shape,
    variant,
    a: bufferFrom(device, a),
    b: bufferFrom(device, b),
    c,
    bias: bias && bufferFrom(device, bias),
    relu: epilogue.relu,
  });
  run(device, [d]);
  const err = relativeError(await readF32(device, c, m * n), expected(a, b, shape, bias, epilogue.relu));
  assert.ok(err <= 1e-4, `${d.label} bias=${epilogue.bias} relu=${epilogue.relu}: relative error ${err}`);
}

for (const variant of MATMUL_VARIANTS) {
  for (const { form, transA, transB } of FORMS) {
    test(`matmul ${variant} ${form} matches the CPU reference on odd and aligned sizes, with bias and relu`, async () => {
      if (variant === 'wide' || variant === 'quad') {
        for (const [index, { size: [m, k, n], epilogue }] of WIDE_CASES.entries()) {
          await checkAgainstReference(variant, { m, k, n, transA, transB }, epilogue, 100 * index + 7);
        }
        return;
      }
      for (const [index, [m, k, n]] of SIZES.entries()) {
        await checkAgainstReference(variant, { m, k, n, transA, transB }, EPILOGUES[index % EPILOGUES.length], 100 * index + 7);
      }
    });
  }
}

test('matmul_wide.wgsl is what its generator writes, with the block size the wrapper dispatches for', () => {
  const committed = readFileSync(new URL('../../shaders/matmul_wide.wgsl', import.meta.url), 'utf8');
  assert.equal(committed, matmulWideWgsl(GENERATED_BLOCK), 'rerun: node --import tsx shaders/gen/matmul_wide.ts');
  assert.deepEqual(WIDE_BLOCK, { rows: GENERATED_BLOCK.rows, cols: GENERATED_BLOCK.cols });
});

test('matmul_quad.wgsl is what its generator writes, with the tile the wrapper dispatches for', () => {
  const committed = readFileSync(new URL('../../shaders/matmul_quad.wgsl', import.meta.url), 'utf8');
  assert.equal(committed, matmulQuadWgsl(), 'rerun: node --import tsx shaders/gen/matmul_quad.ts');
  assert.equal(QUAD_TILE, 2 * QUAD_LANE_BLOCK);
});

test('big shapes are offered quad on a CPU-like adapter with subgroups whose check passed, else wide; on a GPU neither', () => {
  const big = { m: 64, k: 784, n: 256, transA: false, transB: false };
  const cpu = { subgroups: true, subgroupMaxSize: 4 };
  assert.deepEqual(matmulVariantsFor(big, cpu), ['vec4', 'tiled', 'quad'], 'quad stands in for wide');
  assert.deepEqual(matmulVariantsFor(big, { subgroups: false }), ['vec4', 'tiled', 'wide'], 'no subgroups: wide');
  assert.deepEqual(matmulVariantsFor(big, cpu, false), ['vec4', 'tiled', 'wide'], 'quad failed its check: wide');
  assert.deepEqual(matmulVariantsFor(big, { subgroups: true, subgroupMaxSize: 32 }), ['vec4', 'tiled'], 'a GPU: neither');
  assert.deepEqual(matmulVariantsFor({ ...big, k: 2000, n: 20 }, cpu), ['vec4', 'tiled', 'wide'], 'n below the quad tile');
  assert.deepEqual(matmulVariantsFor({ ...big, k: 4000, n: 10 }, cpu), ['vec4', 'tiled'], 'n below the wide block');
  assert.deepEqual(matmulVariantsFor({ ...big, k: 10 }, cpu), ['vec4', 'tiled'], 'too little work');
  assert.ok(matmulVariantsFor({ m: 64, k: 256, n: 128, transA: false, transB: false }, cpu).includes('quad'), 'the mlp middle layer');
});

/** Zeroes `zeroed` of opA's columns (axis k) or rows (axis m) and returns the list the hint wants: the nonzero
 *  ones ascending, then the zero ones, then their count. */
function withZeroLines(a: Float32Array, shape: MatmulShape, axis: 'k' | 'm', zeroed: (line: number) => boolean): Uint32Array {
  const lines = axis === 'k' ? shape.k : shape.m;
  for (let i = 0; i < shape.m; i++) {
    for (let p = 0; p < shape.k; p++) {
      if (zeroed(axis === 'k' ? p : i)) a[shape.transA ? p * shape.m + i : i * shape.k + p] = 0;
    }
  }
  const all = Array.from({ length: lines }, (_, i) => i);
  const nonzero = all.filter((i) => !zeroed(i));
  return Uint32Array.from([...nonzero, ...all.filter((i) => zeroed(i)), nonzero.length]);
}

test('the nonzero hint: every variant gives the reference result when opA has all-zero columns or rows, and C rows of zero opA rows are overwritten', async () => {
  const cases = [
    { shape: { m: 35, k: 70, n: 40, transA: false, transB: false }, axis: 'k' as const, zeroed: (i: number) => i % 3 !== 1 || i > 60 },
    { shape: { m: 70, k: 19, n: 33, transA: true, transB: false }, axis: 'm' as const, zeroed: (i: number) => i < 5 || i % 4 === 0 || i > 40 },
    { shape: { m: 40, k: 9, n: 36, transA: true, transB: false }, axis: 'm' as const, zeroed: () => true },
    { shape: { m: 33, k: 8, n: 34, transA: false, transB: false }, axis: 'k' as const, zeroed: () => true },
  ];
  for (const [index, { shape, axis, zeroed }] of cases.entries()) {
    const a = randomArray(shape.m * shape.k, 300 + index);
    const list = withZeroLines(a, shape, axis, zeroed);
    const b = randomArray(shape.k * shape.n, 400 + index);
    const bias = randomArray(shape.n, 500 + index);
    for (const variant of MATMUL_VARIANTS) {
      const c = bufferFrom(device, new Float32Array(shape.m * shape.n).fill(NaN));
      const args = { ...shape, variant, a: bufferFrom(device, a), b: bufferFrom(device, b), c, bias: bufferFrom(device, bias), relu: index % 2 === 0 };
      run(device, [matmulDispatch(cache, { ...args, nonzero: { list: bufferFrom(device, list), axis } })]);
      const err = relativeError(await readF32(device, c, shape.m * shape.n), expected(a, b, shape, bias, args.relu));
      assert.ok(err <= 1e-4, `${variant}, zero ${axis === 'k' ? 'columns' : 'rows'} of opA, case ${index}: relative error ${err}`);
    }
  }
});

test('matmul reads and writes GPUBufferBinding sub-ranges at 256-byte offsets and touches nothing else', async () => {
  const [m, k, n] = [5, 9, 6];
  const a = randomArray(m * k, 11);
  const b = randomArray(k * n, 12);
  const bias = randomArray(n, 13);
  // Operands packed the way the flat parameter buffer packs tensors: each range starts on 256 bytes.
  const packed = new Float32Array(64 * 4).fill(NaN);
  packed.set(a, 64);
  packed.set(bias, 128);
  packed.set(b, 192);
  const operands = bufferFrom(device, packed);
  const sentinel = -12345;
  const out = bufferFrom(device, new Float32Array(64 * 3).fill(sentinel));
  for (const variant of MATMUL_VARIANTS) {
    for (const { form, transA, transB } of FORMS) {
      const shape = { m, k, n, transA, transB };
      const d = matmulDispatch(cache, {
        ...shape,
        variant,
        a: { buffer: operands, offset: 256, size: a.byteLength },
        b: { buffer: operands, offset: 768, size: b.byteLength },
        bias: { buffer: operands, offset: 512, size: bias.byteLength },
        c: { buffer: out, offset: 256, size: m * n * 4 },
        relu: true,
      });
      run(device, [d]);
      const all = await readF32(device, out, 64 * 3);
      const err = relativeError(all.subarray(64, 64 + m * n), expected(a, b, shape, bias, true));
      assert.ok(err <= 1e-4, `${variant} ${form}: relative error ${err}`);
      assert.ok(all.subarray(0, 64).every((v) => v === sentinel), `${variant} ${form} wrote before its range`);
      assert.ok(all.subarray(64 + m * n).every((v) => v === sentinel), `${variant} ${form} wrote past its range`);
    }
  }
});

test('matmul rejects a non-positive size with a message naming it', () => {
  const buffer = device.createBuffer({ size: 16, usage: STORAGE });
  assert.throws(
    () => matmulDispatch(cache, { variant: 'vec4', m: 4, k: 0, n: 4, transA: false, transB: false, a: buffer, b: buffer, c: buffer }),
    /k must be a positive integer/,
  );
});
