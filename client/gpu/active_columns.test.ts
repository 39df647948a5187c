import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bufferFrom, emptyBuffer, readU32, run } from './test_support.ts';
import { openNodeDevice } from './node_device.ts';
import { PipelineCache } from './dispatch.ts';
import { activeColumnsDispatch, activeColumnsLength, MAX_ACTIVE_COLUMNS } from './active_columns.ts';
import { activeColumns } from '../../shared/reference/active_columns.ts';
import { seededRandom } from '../../shared/random.ts';

const { device } = await openNodeDevice();
const cache = new PipelineCache(device);

/** X [rows, cols] where about half the columns are zero (some as -0), a quarter have one nonzero row, and the
 *  rest are dense: a column is active however few of its rows are nonzero. */
function sparseColumns(rows: number, cols: number, seed: number): Float32Array {
  const r = seededRandom(seed);
  const x = new Float32Array(rows * cols);
  for (let c = 0; c < cols; c++) {
    const kind = r();
    if (kind < 0.5) {
      for (let i = 0; i < rows; i++) x[i * cols + c] = r() < 0.5 ? -0 : 0;
    } else if (kind < 0.75) {
      x[Math.floor(r() * rows) * cols + c] = r() + 0.5;
    } else {
      for (let i = 0; i < rows; i++) x[i * cols + c] = r() * 2 - 1;
    }
  }
  return x;
}

async function gpuActiveColumns(x: Float32Array, rows: number, cols: number): Promise<Uint32Array> {
  const perm = emptyBuffer(device, activeColumnsLength(cols));
  run(device, [activeColumnsDispatch(cache, { rows, cols, x: bufferFrom(device, x), perm })]);
  return readU32(device, perm, activeColumnsLength(cols));
}

// Column counts around the 64 invocations and their chunks, MNIST's 784, and the workgroup-memory limit.
const ROWS = [1, 3, 64];
const COLS = [1, 5, 63, 64, 65, 784, 1000, MAX_ACTIVE_COLUMNS];

test('active columns match the reference on matrices with zeroed columns', async () => {
  for (const rows of ROWS) {
    for (const cols of COLS) {
      const x = sparseColumns(rows, cols, rows * 10007 + cols);
      assert.deepEqual(await gpuActiveColumns(x, rows, cols), activeColumns(x, rows, cols), `${rows} x ${cols}`);
    }
  }
});

test('an all-zero matrix has no active columns and an all-nonzero one has every column active', async () => {
  for (const rows of ROWS) {
    for (const cols of COLS) {
      const identity = Uint32Array.from({ length: cols + 1 }, (_, i) => i);
      assert.deepEqual(await gpuActiveColumns(new Float32Array(rows * cols), rows, cols), Uint32Array.from([...identity.subarray(0, cols), 0]), `zeros ${rows} x ${cols}`);
      assert.deepEqual(await gpuActiveColumns(new Float32Array(rows * cols).fill(-2), rows, cols), identity, `nonzeros ${rows} x ${cols}`);
    }
  }
});

test('the wrapper rejects shapes the kernel cannot take', () => {
  const x = emptyBuffer(device, 16);
  assert.throws(() => activeColumnsDispatch(cache, { rows: 64, cols: MAX_ACTIVE_COLUMNS + 1, x, perm: x }), /MAX_ACTIVE_COLUMNS/);
  assert.throws(() => activeColumnsDispatch(cache, { rows: 0, cols: 784, x, perm: x }), /rows must be a positive integer/);
  assert.throws(() => activeColumnsDispatch(cache, { rows: 64, cols: 0, x, perm: x }), /cols must be a positive integer/);
});

test('x and perm may be ranges of larger buffers, and a replay with new x leaves nothing of the old result', async () => {
  const [rows, cols] = [64, 784];
  const length = activeColumnsLength(cols);
  // Nonzero floats around x would make every column active if the offset were ignored.
  const xs = new Float32Array(64 + rows * cols + 64).fill(1);
  const xData = xs.subarray(64, 64 + rows * cols);
  const xBuffer = bufferFrom(device, xs);
  const perms = bufferFrom(device, new Uint32Array(64 + length + 64).fill(0xffffffff));
  const dispatch = activeColumnsDispatch(cache, {
    rows,
    cols,
    x: { buffer: xBuffer, offset: 256, size: rows * cols * 4 },
    perm: { buffer: perms, offset: 256, size: length * 4 },
  });
  for (const seed of [1, 2]) {
    xData.set(sparseColumns(rows, cols, seed));
    device.queue.writeBuffer(xBuffer, 256, xData);
    run(device, [dispatch]);
    const all = await readU32(device, perms, 64 + length + 64);
    const expected = activeColumns(xData, rows, cols);
    assert.deepEqual(all.subarray(64, 64 + length), expected, `input ${seed}`);
    assert.ok(all.subarray(0, 64).every((v) => v === 0xffffffff) && all.subarray(64 + length).every((v) => v === 0xffffffff), 'u32s around perm are untouched');
  }
  assert.notDeepEqual(activeColumns(sparseColumns(rows, cols, 1), rows, cols), activeColumns(sparseColumns(rows, cols, 2), rows, cols), 'the two inputs differ');
});
