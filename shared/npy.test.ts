import assert from 'node:assert/strict';
import { test } from 'node:test';
import { npyFile } from './dataset_fixtures.ts';
import { npyNumbers, parseNpy } from './npy.ts';

test('npy: uint8 images and int32/int64 labels, header versions 1.0 and 2.0', () => {
  const pixels = Uint8Array.from({ length: 2 * 3 * 4 }, (_, i) => i * 10);
  for (const version of [1, 2]) {
    const images = parseNpy(npyFile('|u1', [2, 3, 4], pixels, { version }));
    assert.equal(images.dtype, 'uint8');
    assert.deepEqual(images.shape, [2, 3, 4]);
    assert.deepEqual(images.data, pixels);
  }
  assert.deepEqual(parseNpy(npyFile('|u1', [1, 2, 2, 3], new Uint8Array(12))).shape, [1, 2, 2, 3]);
  assert.deepEqual(Array.from(npyNumbers(parseNpy(npyFile('<i4', [4], [0, 1, -5, 70000])))), [0, 1, -5, 70000]);
  assert.deepEqual(Array.from(npyNumbers(parseNpy(npyFile('<i8', [3], [9, 2 ** 40, -1])))), [9, 2 ** 40, -1]);
  assert.deepEqual(parseNpy(npyFile('<i8', [0], [])).shape, [0]);
});

test('npy: refusals name the problem', () => {
  const good = npyFile('|u1', [2, 2], [1, 2, 3, 4]);
  assert.throws(() => parseNpy(new TextEncoder().encode('not numpy at all')), /npy: bad magic/);
  const v3 = good.slice();
  v3[6] = 3;
  assert.throws(() => parseNpy(v3), /format version 3\.0 is not supported: use version 1\.0 or 2\.0/);
  assert.throws(() => parseNpy(npyFile('<f4', [2], [0, 0])), /dtype '<f4' is not supported/);
  assert.throws(() => parseNpy(npyFile('>i4', [2], [0, 0])), /dtype '>i4' is not supported: .*little-endian/);
  assert.throws(() => parseNpy(npyFile('|u1', [2, 2], [1, 2, 3, 4], { fortran: true })), /Fortran order/);
  assert.throws(() => parseNpy(good.subarray(0, good.length - 1)), /truncated data: shape \(2, 2\) of uint8 needs 4 bytes after the header, the file has 3/);
  const longer = new Uint8Array(good.length + 2);
  longer.set(good);
  assert.throws(() => parseNpy(longer), /needs 4 bytes after the header, the file has 2 more/);
  assert.throws(() => parseNpy(good.subarray(0, 40)), /truncated header/);
  // a structured dtype's descr is a list, not a string
  const header = "{'descr': [('x', '|u1')], 'fortran_order': False, 'shape': (2,), }\n";
  const structured = Uint8Array.from([0x93, ...new TextEncoder().encode('NUMPY'), 1, 0, header.length, 0, ...new TextEncoder().encode(header), 1, 2]);
  assert.throws(() => parseNpy(structured), /lacks descr, fortran_order or shape \(a structured dtype is not supported\)/);
});
