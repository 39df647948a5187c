import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkUtf8, firstInvalidUtf8, textDataset, textSplit, textSplitPoints } from './text_dataset.ts';

const bytes = (...b: number[]) => Uint8Array.from(b);

test('UTF-8 check agrees with a strict decoder, and names the first bad byte', () => {
  const valid = new TextEncoder().encode('plain, é, € and 𝄞 \u{10FFFF}');
  assert.equal(firstInvalidUtf8(valid), -1);
  assert.equal(firstInvalidUtf8(new Uint8Array(0)), -1);
  const cases: [Uint8Array, number][] = [
    [bytes(0x61, 0x80), 1], // a lone continuation byte
    [bytes(0x61, 0x62, 0xc3), 2], // cut short by the end
    [bytes(0xc0, 0x80), 0], // overlong NUL
    [bytes(0xc1, 0xbf), 0], // overlong
    [bytes(0xe0, 0x80, 0x80), 0], // overlong 3-byte
    [bytes(0xed, 0xa0, 0x80), 0], // a UTF-16 surrogate
    [bytes(0xf0, 0x80, 0x80, 0x80), 0], // overlong 4-byte
    [bytes(0xf4, 0x90, 0x80, 0x80), 0], // above U+10FFFF
    [bytes(0xf5, 0x80, 0x80, 0x80), 0],
    [bytes(0x41, 0xe2, 0x82, 0x41), 1], // a continuation missing
    [bytes(0xff), 0],
  ];
  for (const [b, at] of cases) {
    assert.equal(firstInvalidUtf8(b), at, Array.from(b, (x) => x.toString(16)).join(' '));
    assert.throws(() => new TextDecoder('utf-8', { fatal: true }).decode(b));
  }
  assert.throws(() => checkUtf8(bytes(0x68, 0x69, 0xff, 0x21), 'notes.txt'), /notes\.txt: invalid UTF-8 at byte 2 \(bytes ff 21\)/);
});

test('a text split of n + 1 bytes is n samples: each byte, labelled with the next', () => {
  const split = textSplit(new TextEncoder().encode('abcd'));
  assert.equal(split.count, 3);
  assert.deepEqual(Array.from(split.pixels), [97, 98, 99]);
  assert.deepEqual(Array.from(split.labels), [98, 99, 100]);
});

test('text is cut by bytes into train 90%, test 5% and validation 5%', () => {
  const text = new TextEncoder().encode('The quick brown fox jumps over the lazy dog. '.repeat(9)); // 405 bytes
  const d = textDataset('fox', text);
  assert.deepEqual(textSplitPoints(405), { trainEnd: 364, testEnd: 384 });
  assert.equal(d.kind, 'text');
  assert.equal(d.classes, 256);
  assert.deepEqual(d.sampleShape, { height: 1, width: 1, channels: 1 });
  assert.deepEqual([d.train.count, d.test.count, d.validation!.count], [363, 19, 20]);
  assert.deepEqual(Array.from(d.test.pixels), Array.from(text.subarray(364, 383)));
  assert.deepEqual(Array.from(d.test.labels), Array.from(text.subarray(365, 384)));
  assert.equal(d.validation!.labels.at(-1), text.at(-1));
  assert.throws(() => textDataset('short', new Uint8Array(39).fill(97), 'short.txt'), /short\.txt: 39 bytes are too few: .*at least 40 bytes/);
  assert.equal(textDataset('just', new Uint8Array(40).fill(97)).test.count, 1);
  assert.throws(() => textDataset('bad', Uint8Array.from([...text.subarray(0, 100), 0xc3, 0x28, ...text.subarray(0, 100)])), /invalid UTF-8 at byte 100/);
});
