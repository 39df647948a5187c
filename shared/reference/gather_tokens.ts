// CPU reference for a byte-level language model's minibatch: windows of a byte stream and the bytes that follow.

/** Row b is the window of `context` bytes starting at starts[b]: x[b*context + t] = pixels[starts[b] + t] (the raw
 *  byte value, a token id, not scaled) and y[b*context + t] = labels[starts[b] + t], the byte that follows it. */
export function gatherTokens(pixels: Uint8Array, labels: Uint8Array, starts: ArrayLike<number>, context: number): { x: Float64Array; y: Uint32Array } {
  if (labels.length !== pixels.length) throw new Error(`gatherTokens: ${pixels.length} bytes need as many labels, got ${labels.length}`);
  const batch = starts.length;
  const x = new Float64Array(batch * context);
  const y = new Uint32Array(batch * context);
  for (let b = 0; b < batch; b++) {
    const s = starts[b];
    if (!Number.isInteger(s) || s < 0 || s + context > pixels.length) {
      throw new Error(`gatherTokens: row ${b} starts at ${s}, but a window of ${context} must start in 0..${pixels.length - context}`);
    }
    for (let t = 0; t < context; t++) {
      x[b * context + t] = pixels[s + t];
      y[b * context + t] = labels[s + t];
    }
  }
  return { x, y };
}
