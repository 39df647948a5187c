// CPU reference for size x size stride-size max-pooling over NHWC (size 2 unless given); output
// floor(h / size) x floor(w / size).

export interface PoolShape {
  batch: number;
  height: number;
  width: number;
  channels: number;
  /** Window side and stride; 2 when absent. */
  size?: number;
}

/**
 * argmax[i] is the index into x of output i's maximum. Ties go to the first maximum in row-major window order
 * ((0,0), (0,1), ..., (1,0), ...): after relu many windows are all zeros, and the GPU kernel must pick the same one.
 */
export function maxpoolForward(x: ArrayLike<number>, s: PoolShape): { y: Float64Array; argmax: Uint32Array } {
  const { batch, height, width, channels: c } = s;
  const size = s.size ?? 2;
  const oh = Math.floor(height / size);
  const ow = Math.floor(width / size);
  const y = new Float64Array(batch * oh * ow * c);
  const argmax = new Uint32Array(y.length);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < oh; h++) {
      for (let w = 0; w < ow; w++) {
        for (let ch = 0; ch < c; ch++) {
          const o = ((b * oh + h) * ow + w) * c + ch;
          const first = ((b * height + size * h) * width + size * w) * c + ch;
          let bestIndex = first;
          for (let ky = 0; ky < size; ky++) {
            for (let kx = 0; kx < size; kx++) {
              const i = first + (ky * width + kx) * c;
              if (x[i] > x[bestIndex]) bestIndex = i;
            }
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
  const size = s.size ?? 2;
  const dx = new Float64Array(s.batch * s.height * s.width * s.channels);
  const outputs = s.batch * Math.floor(s.height / size) * Math.floor(s.width / size) * s.channels;
  for (let o = 0; o < outputs; o++) dx[argmax[o]] += dy[o];
  return dx;
}
