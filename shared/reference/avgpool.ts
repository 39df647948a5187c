// CPU reference for average pooling over NHWC with windowH x windowW windows at stride windowH x windowW (no
// overlap); output floor(height / windowH) x floor(width / windowW), rows and columns past the last whole window
// dropped. Global average pooling is the window height x width.

export interface AvgPoolShape {
  batch: number;
  height: number;
  width: number;
  channels: number;
  windowH: number;
  windowW: number;
}

export function avgpoolOutputSize(s: AvgPoolShape): { height: number; width: number } {
  return { height: Math.floor(s.height / s.windowH), width: Math.floor(s.width / s.windowW) };
}

export function avgpoolForward(x: ArrayLike<number>, s: AvgPoolShape): Float64Array {
  const { batch, height, width, channels: c, windowH, windowW } = s;
  if (x.length !== batch * height * width * c) throw new Error(`avgpoolForward: x has ${x.length} values, expected ${batch * height * width * c} for ${JSON.stringify(s)}`);
  const out = avgpoolOutputSize(s);
  const y = new Float64Array(batch * out.height * out.width * c);
  const scale = 1 / (windowH * windowW);
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < out.height; i++) {
      for (let j = 0; j < out.width; j++) {
        for (let ch = 0; ch < c; ch++) {
          let sum = 0;
          for (let ky = 0; ky < windowH; ky++) {
            for (let kx = 0; kx < windowW; kx++) sum += x[((b * height + i * windowH + ky) * width + j * windowW + kx) * c + ch];
          }
          y[((b * out.height + i) * out.width + j) * c + ch] = sum * scale;
        }
      }
    }
  }
  return y;
}

/** Each input of a window gets its output's dy / (windowH * windowW); dropped rows and columns get 0. */
export function avgpoolBackward(dy: ArrayLike<number>, s: AvgPoolShape): Float64Array {
  const { batch, height, width, channels: c, windowH, windowW } = s;
  const out = avgpoolOutputSize(s);
  if (dy.length !== batch * out.height * out.width * c) throw new Error(`avgpoolBackward: dy has ${dy.length} values, expected ${batch * out.height * out.width * c} for ${JSON.stringify(s)}`);
  const dx = new Float64Array(batch * height * width * c);
  const scale = 1 / (windowH * windowW);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < out.height * windowH; h++) {
      for (let w = 0; w < out.width * windowW; w++) {
        const o = ((b * out.height + Math.floor(h / windowH)) * out.width + Math.floor(w / windowW)) * c;
        for (let ch = 0; ch < c; ch++) dx[((b * height + h) * width + w) * c + ch] = dy[o + ch] * scale;
      }
    }
  }
  return dx;
}
