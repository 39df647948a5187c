// CPU reference for conv2d in float64: NHWC activations, HWIO weights, any stride, zero padding. Without stride and
// padding it is today's stride-1 'same' convolution (pad = floor(kernel / 2), odd kernels).

export interface ConvShape {
  batch: number;
  height: number;
  width: number;
  inChannels: number;
  outChannels: number;
  kernel: number;
  /** Default 1. */
  stride?: number;
  /** Zeros added on every side; default floor(kernel / 2), which keeps the size at stride 1 for odd kernels. */
  padding?: number;
}

/** The output's spatial size; throws, naming the field, for a shape no convolution has. */
export function convOutputSize(s: ConvShape): { height: number; width: number } {
  for (const name of ['batch', 'height', 'width', 'inChannels', 'outChannels', 'kernel', 'stride'] as const) {
    const v = s[name];
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new Error(`conv2d shape: ${name} must be a positive integer, got ${v}`);
  }
  if (s.padding === undefined) {
    if (s.kernel % 2 !== 1) throw new Error(`conv2d shape: kernel ${s.kernel} is even, so give padding (same padding needs an odd kernel)`);
  } else if (!Number.isInteger(s.padding) || s.padding < 0) {
    throw new Error(`conv2d shape: padding must be a non-negative integer, got ${s.padding}`);
  }
  const { stride, padding } = strideAndPadding(s);
  const size = (n: number) => Math.floor((n + 2 * padding - s.kernel) / stride) + 1;
  const out = { height: size(s.height), width: size(s.width) };
  if (out.height < 1 || out.width < 1) {
    throw new Error(`conv2d shape: a ${s.kernel}x${s.kernel} kernel does not fit a ${s.height}x${s.width} input with padding ${padding}: raise padding or shrink the kernel`);
  }
  return out;
}

/** The shape's stride and padding with their defaults filled in. */
export function strideAndPadding(s: ConvShape): { stride: number; padding: number } {
  return { stride: s.stride ?? 1, padding: s.padding ?? Math.floor(s.kernel / 2) };
}

/**
 * Calls visit(xIndex, wIndex, yIndex) for every multiply-add of the convolution, so the three passes share
 * one definition of which input, weight and output meet.
 */
function forEachTap(s: ConvShape, visit: (xi: number, wi: number, yi: number) => void): void {
  const { batch, height, width, inChannels: cin, outChannels: cout, kernel } = s;
  const out = convOutputSize(s);
  const { stride, padding } = strideAndPadding(s);
  for (let b = 0; b < batch; b++) {
    for (let oh = 0; oh < out.height; oh++) {
      for (let ow = 0; ow < out.width; ow++) {
        const yBase = ((b * out.height + oh) * out.width + ow) * cout;
        for (let kh = 0; kh < kernel; kh++) {
          const ih = oh * stride + kh - padding;
          if (ih < 0 || ih >= height) continue;
          for (let kw = 0; kw < kernel; kw++) {
            const iw = ow * stride + kw - padding;
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

function outputLength(s: ConvShape): number {
  const out = convOutputSize(s);
  return s.batch * out.height * out.width * s.outChannels;
}

export function conv2dForward(x: ArrayLike<number>, w: ArrayLike<number>, bias: ArrayLike<number>, s: ConvShape): Float64Array {
  const y = new Float64Array(outputLength(s));
  for (let i = 0; i < y.length; i++) y[i] = bias[i % s.outChannels];
  forEachTap(s, (xi, wi, yi) => {
    y[yi] += x[xi] * w[wi];
  });
  return y;
}

/** dx for every input element: zero where no output window reads it (stride > kernel, or edges a stride skips). */
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
  const n = outputLength(s);
  for (let i = 0; i < n; i++) db[i % s.outChannels] += dy[i];
  return { dw, db };
}
