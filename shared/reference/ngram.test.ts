import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bigramBitsPerByte, unigramBitsPerByte } from './ngram.ts';

const bytes = (s: string) => new TextEncoder().encode(s);

test('a unigram model of uniform bytes scores 8 bits, of one repeated byte nearly 0', () => {
  const all = Uint8Array.from({ length: 256 * 40 }, (_, i) => i % 256);
  assert.ok(Math.abs(unigramBitsPerByte(all, all) - 8) < 1e-9);
  const same = new Uint8Array(100_000).fill(97);
  assert.ok(unigramBitsPerByte(same, same) < 0.01);
});

test('unigram bits are the cross-entropy of the smoothed frequencies, by hand', () => {
  // train "aab": counts a 2+1, b 1+1, others 1; total 3 + 256
  const expected = -(Math.log2(3 / 259) + Math.log2(2 / 259)) / 2;
  assert.ok(Math.abs(unigramBitsPerByte(bytes('aab'), bytes('ab')) - expected) < 1e-12);
});

test('a bigram model learns which byte follows which: alternating text costs it almost nothing', () => {
  const text = bytes('ab'.repeat(50_000));
  assert.ok(bigramBitsPerByte(text, text) < 0.01);
  assert.ok(unigramBitsPerByte(text, text) > 0.99);
});
