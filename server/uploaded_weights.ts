// Uploaded weights as the coordinator accepts them: exactly the run's length, every value finite.

export function uploadedWeights(bytes: Uint8Array | ArrayBuffer, length: number): Float32Array {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  if (u8.byteLength !== length * 4) throw new Error(`expected ${length} f32 values (${length * 4} bytes), got ${u8.byteLength} bytes`);
  // copy: the received buffer may be unaligned, and the copy outlives the socket's buffers
  const w = new Float32Array(new Uint8Array(u8).buffer);
  for (let i = 0; i < w.length; i++) {
    if (!Number.isFinite(w[i])) throw new Error(`value ${i} is ${w[i]}: weights must be finite`);
  }
  return w;
}
