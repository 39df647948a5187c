// CPU reference for assembling a minibatch from a uint8 dataset.

/** x[r*sampleSize + j] = pixels[indices[r]*sampleSize + j] / 255; labelsOut[r] = labels[indices[r]] */
export function gatherBatch(pixels: Uint8Array, labels: Uint8Array, indices: ArrayLike<number>, sampleSize: number): { x: Float64Array; y: Uint32Array } {
  const samples = labels.length;
  if (pixels.length < samples * sampleSize) throw new Error(`gatherBatch: ${samples} labels need ${samples * sampleSize} pixels, got ${pixels.length}`);
  const batch = indices.length;
  const x = new Float64Array(batch * sampleSize);
  const y = new Uint32Array(batch);
  for (let r = 0; r < batch; r++) {
    const s = indices[r];
    if (!Number.isInteger(s) || s < 0 || s >= samples) throw new Error(`gatherBatch: index ${s} of row ${r} is not a sample in 0..${samples - 1}`);
    for (let j = 0; j < sampleSize; j++) x[r * sampleSize + j] = pixels[s * sampleSize + j] / 255;
    y[r] = labels[s];
  }
  return { x, y };
}
