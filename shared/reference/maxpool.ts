// CPU reference for 2x2 stride-2 max-pooling over NHWC; output floor(h / 2) x floor(w / 2).

export interface PoolShape {
  batch: number;
  height: number;
  width: number;
  channels: number;
}

/**
 * argmax[i] is the index into x of output i's maximum. Ties go to the first maximum in window order
 * (0,0), (0,1), (1,0), (1,1): after relu many windows are all zeros, and the GPU kernel must pick the same one.
 */
export function maxpoolForward(x: ArrayLike<number>, s: PoolShape): { y: Float64Array; argmax: Uint32Array } {
  const { batch, height, width, channels: c } = s;
  const oh = Math.floor(height / 2);
  const ow = Math.floor(width / 2);
  const y = new Float64Array(batch * oh * ow * c);
  const argmax = new Uint32Array(y.length);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < oh; h++) {
      for (let w = 0; w < ow; w++) {
        for (let ch = 0; ch < c; ch++) {
          const o = ((b * oh + h) * ow + w) * c + ch;
          const first = ((b * height + 2 * h) * width + 2 * w) * c + ch;
          let bestIndex = first;
          for (const i of [first + c, first + width * c, first + width * c + c]) {
            if (x[i] > x[bestIndex]) bestIndex = i;
          }
          y[o] = x[bestIndex];
          argmax[o] = bestIndex;
        }
      }
    }
  }
  return { y, argmax };
}

export function maxpoolBackward(dy: ArrayLike<number>, argmax: ArrayLike<number>, s: PoolShape): Float64Array {
  const dx = new Float64Array(s.batch * s.height * s.width * s.channels);
  const outputs = s.batch * Math.floor(s.height / 2) * Math.floor(s.width / 2) * s.channels;
  for (let o = 0; o < outputs; o++) dx[argmax[o]] += dy[o];
  return dx;
}
