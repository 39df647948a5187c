// CPU reference for conv2d in float64: NHWC activations, HWIO weights, stride 1, same padding (pad = floor(kernel / 2)).

export interface ConvShape {
  batch: number;
  height: number;
  width: number;
  inChannels: number;
  outChannels: number;
  kernel: number;
}

/**
 * Calls visit(xIndex, wIndex, yIndex) for every multiply-add of the convolution, so the three passes share
 * one definition of which input, weight and output meet.
 */
function forEachTap(s: ConvShape, visit: (xi: number, wi: number, yi: number) => void): void {
  const { batch, height, width, inChannels: cin, outChannels: cout, kernel } = s;
  const pad = Math.floor(kernel / 2);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < height; h++) {
      for (let w = 0; w < width; w++) {
        const yBase = ((b * height + h) * width + w) * cout;
        for (let kh = 0; kh < kernel; kh++) {
          const ih = h + kh - pad;
          if (ih < 0 || ih >= height) continue;
          for (let kw = 0; kw < kernel; kw++) {
            const iw = w + kw - pad;
            if (iw < 0 || iw >= width) continue;
            const xBase = ((b * height + ih) * width + iw) * cin;
            for (let ci = 0; ci < cin; ci++) {
              const wBase = ((kh * kernel + kw) * cin + ci) * cout;
              for (let co = 0; co < cout; co++) visit(xBase + ci, wBase + co, yBase + co);
            }
          }
        }
      }
    }
  }
}

export function conv2dForward(x: ArrayLike<number>, w: ArrayLike<number>, bias: ArrayLike<number>, s: ConvShape): Float64Array {
  const y = new Float64Array(s.batch * s.height * s.width * s.outChannels);
  for (let i = 0; i < y.length; i++) y[i] = bias[i % s.outChannels];
  forEachTap(s, (xi, wi, yi) => {
    y[yi] += x[xi] * w[wi];
  });
  return y;
}

export function conv2dBackwardData(dy: ArrayLike<number>, w: ArrayLike<number>, s: ConvShape): Float64Array {
  const dx = new Float64Array(s.batch * s.height * s.width * s.inChannels);
  forEachTap(s, (xi, wi, yi) => {
    dx[xi] += dy[yi] * w[wi];
  });
  return dx;
}

export function conv2dBackwardFilter(x: ArrayLike<number>, dy: ArrayLike<number>, s: ConvShape): { dw: Float64Array; db: Float64Array } {
  const dw = new Float64Array(s.kernel * s.kernel * s.inChannels * s.outChannels);
  const db = new Float64Array(s.outChannels);
  forEachTap(s, (xi, wi, yi) => {
    dw[wi] += x[xi] * dy[yi];
  });
  for (let i = 0; i < s.batch * s.height * s.width * s.outChannels; i++) db[i % s.outChannels] += dy[i];
  return { dw, db };
}
