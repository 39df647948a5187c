import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openNodeDevice } from './node_device.ts';
import { PipelineCache } from './dispatch.ts';
import { bufferFrom, emptyBuffer, randomArray, readF32, relativeError, run } from './test_support.ts';
import { avgpoolBackwardDispatch, avgpoolForwardDispatch, type AvgPoolShape } from './avgpool.ts';
import { avgpoolBackward, avgpoolForward, avgpoolOutputSize } from '../../shared/reference/avgpool.ts';

const { device } = await openNodeDevice();
const cache = new PipelineCache(device);

// Channels that are multiples of 4 take the vec4 path; odd shapes leave rows and columns past the last window.
const SHAPES: AvgPoolShape[] = [
  { batch: 1, height: 1, width: 1, channels: 1, windowH: 1, windowW: 1 },
  { batch: 3, height: 7, width: 5, channels: 3, windowH: 2, windowW: 2 },
  { batch: 2, height: 28, width: 28, channels: 16, windowH: 2, windowW: 2 },
  { batch: 3, height: 11, width: 13, channels: 5, windowH: 3, windowW: 3 },
  { batch: 2, height: 9, width: 10, channels: 8, windowH: 4, windowW: 4 },
  // global average pooling, square and not
  { batch: 4, height: 8, width: 8, channels: 64, windowH: 8, windowW: 8 },
  { batch: 3, height: 5, width: 7, channels: 6, windowH: 5, windowW: 7 },
  // non-square windows
  { batch: 2, height: 6, width: 9, channels: 4, windowH: 2, windowW: 3 },
];

for (const [i, s] of SHAPES.entries()) {
  test(`avgpool ${s.batch}x${s.height}x${s.width}x${s.channels}, window ${s.windowH}x${s.windowW}: y and dx match the reference`, async () => {
    const inputs = s.batch * s.height * s.width * s.channels;
    const out = avgpoolOutputSize(s);
    const outputs = s.batch * out.height * out.width * s.channels;
    const xs = randomArray(inputs, i + 1);
    const dys = randomArray(outputs, i + 100);
    const y = emptyBuffer(device, outputs);
    // NaN everywhere first: the backward kernel must write every element of dx.
    const dx = bufferFrom(device, new Float32Array(inputs).fill(NaN));
    run(device, [
      avgpoolForwardDispatch(cache, { shape: s, x: bufferFrom(device, xs), y }),
      avgpoolBackwardDispatch(cache, { shape: s, dy: bufferFrom(device, dys), dx }),
    ]);
    assert.ok(relativeError(await readF32(device, y, outputs), avgpoolForward(xs, s)) <= 1e-5, 'y');
    assert.ok(relativeError(await readF32(device, dx, inputs), avgpoolBackward(dys, s)) <= 1e-6, 'dx');
  });
}

test('avgpool refuses a window larger than its input', () => {
  const s: AvgPoolShape = { batch: 1, height: 2, width: 5, channels: 1, windowH: 3, windowW: 3 };
  assert.throws(() => avgpoolForwardDispatch(cache, { shape: s, x: emptyBuffer(device, 10), y: emptyBuffer(device, 1) }), /needs at least 3x3 input, got 2x5/);
});
