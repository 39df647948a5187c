import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { decodeProof, encodeProof, stateDigest, type CommittedState } from './state_digest.ts';

const state = () => ({ params: Float32Array.from({ length: 64 }, (_, i) => Math.sin(i)), velocity: Float32Array.from({ length: 64 }, (_, i) => i / 100) });
const adamwState = () => ({ ...state(), secondMoment: Float32Array.from({ length: 64 }, (_, i) => i / 1000), momentsFrom: 40 });

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
  await assert.rejects(stateDigest(3, 'tab-a', 1, { params: s.params, velocity: s.velocity.subarray(1) }), /optimizer values/);
});

test('an AdamW digest names the optimizer and where its moments started, and binds the second moment', async () => {
  const s = adamwState();
  const digest = await stateDigest(3, 'tab-a', 120, s);
  const header = Buffer.from('flock-state/2 optimizer=adamw moments-from=40 run=3 tab=tab-a step=120 floats=64\n');
  const expected = createHash('sha256').update(header).update(Buffer.from(s.params.buffer)).update(Buffer.from(s.velocity.buffer)).update(Buffer.from(s.secondMoment.buffer)).digest('hex');
  assert.equal(digest, expected);
  assert.notEqual(await stateDigest(3, 'tab-a', 120, { ...s, momentsFrom: 41 }), digest);
  const flipped = adamwState();
  flipped.secondMoment[0] = 1e-9;
  assert.notEqual(await stateDigest(3, 'tab-a', 120, flipped), digest);
  // the same parameters and first moment as a momentum state: another digest
  assert.notEqual(await stateDigest(3, 'tab-a', 120, { params: s.params, velocity: s.velocity }), digest);
  await assert.rejects(stateDigest(3, 'tab-a', 1, { ...s, secondMoment: s.secondMoment.subarray(2) }), /optimizer values/);
  await assert.rejects(stateDigest(3, 'tab-a', 1, { ...s, momentsFrom: undefined }), /both a second moment and momentsFrom/);
});

test('a proof\'s payload decodes to the states encoded, momentum or AdamW, with or without a local copy; a wrong length is named', () => {
  const local = { ...adamwState(), momentsFrom: 7 };
  const cases: [CommittedState, CommittedState, CommittedState | null][] = [[state(), state(), null], [state(), state(), state()], [adamwState(), adamwState(), null], [adamwState(), adamwState(), local]];
  for (const [from, to, copy] of cases) {
    const adamw = from.momentsFrom !== undefined;
    const bytes = encodeProof({ from, to, local: copy });
    // at an odd offset of a larger buffer, as a received message may be
    const received = new Uint8Array(bytes.length + 3).subarray(3);
    received.set(bytes);
    assert.deepEqual(decodeProof(received, 64, adamw, copy !== null), { from, to, local: copy });
    assert.match(decodeProof(received.subarray(4), 64, adamw, copy !== null) as string, /expected \d x 64 floats/);
  }
  assert.throws(() => encodeProof({ from: adamwState(), to: { ...adamwState(), momentsFrom: 41 }, local: null }), /moments start at step 40 but end from step 41/);
  assert.throws(() => encodeProof({ from: adamwState(), to: adamwState(), local: state() }), /different optimizers/);
});
