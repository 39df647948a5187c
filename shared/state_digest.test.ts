import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { stateDigest } from './state_digest.ts';

const state = () => ({ params: Float32Array.from({ length: 64 }, (_, i) => Math.sin(i)), velocity: Float32Array.from({ length: 64 }, (_, i) => i / 100) });

test('the digest is SHA-256 of the header and the f32 bytes, and binds run, tab, step and every value', async () => {
  const s = state();
  const digest = await stateDigest(3, 'tab-a', 120, s);
  const header = Buffer.from('flock-state/1 run=3 tab=tab-a step=120 floats=64\n');
  const expected = createHash('sha256').update(header).update(Buffer.from(s.params.buffer)).update(Buffer.from(s.velocity.buffer)).digest('hex');
  assert.equal(digest, expected);
  assert.notEqual(await stateDigest(4, 'tab-a', 120, s), digest);
  assert.notEqual(await stateDigest(3, 'tab-b', 120, s), digest);
  assert.notEqual(await stateDigest(3, 'tab-a', 130, s), digest);
  const flipped = state();
  flipped.velocity[63] = Math.fround(flipped.velocity[63] * (1 + 2 ** -20));
  assert.notEqual(await stateDigest(3, 'tab-a', 120, flipped), digest);
  await assert.rejects(stateDigest(3, 'tab-a', 1, { params: s.params, velocity: s.velocity.subarray(1) }), /momentum values/);
});
