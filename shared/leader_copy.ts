// Validation of a leader's weights received from the network: a volunteer can send anything.

/** Throws an Error with a clear message unless `w` has exactly `length` floats, all finite (checks NaN/Infinity); returns it as Float32Array.
 *  An ArrayBuffer is read as float32 values; a Float32Array is returned as is, anything else is converted. */
export function checkedLeaderCopy(w: ArrayLike<number> | ArrayBuffer, length: number): Float32Array {
  if (!Number.isInteger(length) || length < 0) throw new Error(`checkedLeaderCopy: expected length must be a non-negative integer, got ${length}`);
  let floats: Float32Array;
  if (w instanceof ArrayBuffer) {
    if (w.byteLength !== length * 4) {
      throw new Error(`leader copy refused: it has ${w.byteLength} bytes, but the model has ${length} parameters (${length * 4} bytes)`);
    }
    floats = new Float32Array(w);
  } else {
    if (w.length !== length) throw new Error(`leader copy refused: it has ${w.length} values, but the model has ${length} parameters`);
    floats = w instanceof Float32Array ? w : Float32Array.from(w);
  }
  let bad = 0;
  let first = -1;
  for (let i = 0; i < floats.length; i++) {
    if (!Number.isFinite(floats[i])) {
      bad++;
      if (first < 0) first = i;
    }
  }
  if (bad > 0) {
    // Report the value as sent: a finite float64 beyond float32 range shows as itself, not as Infinity.
    const sent = w instanceof ArrayBuffer ? floats[first] : w[first];
    throw new Error(`leader copy refused: ${bad} of its ${length} values are not finite float32 numbers (first: ${String(sent)} at index ${first})`);
  }
  return floats;
}
