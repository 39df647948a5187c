// Dropout with masks a CPU replay reproduces bit for bit: element i is kept iff hash(seed, i) >= rate * 2^32, with
// the integer hash written identically here and in shaders/dropout.wgsl. Kept values are scaled by 1 / (1 - rate).

/** lowbias32 (Chris Wellons' hash prospector): a u32 bijection with good avalanche, in u32 arithmetic
 *  (Math.imul and >>> 0) so that it matches WGSL's wrapping u32 operations exactly. */
export function lowbias32(x: number): number {
  x >>>= 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** The u32 seed of one dropout op's mask at one step of a run; the trainer writes it to the op's seed buffer. */
export function dropoutSeed(runSeed: number, step: number, layer: number): number {
  return lowbias32(lowbias32(lowbias32(runSeed) ^ step) ^ layer);
}

/** Elements whose hash is below this are dropped: floor(rate * 2^32), a u32 for every rate in [0, 1). */
export function dropoutThreshold(rate: number): number {
  if (!(rate >= 0 && rate < 1)) throw new Error(`dropout: rate must be in [0, 1), got ${rate}`);
  return Math.floor(rate * 2 ** 32);
}

/** Hashing the seed first makes nearby seeds (step s and s + 1) give unrelated masks. */
function elementHash(seed: number, i: number): number {
  return lowbias32((i ^ lowbias32(seed)) >>> 0);
}

export function dropoutKeep(seed: number, i: number, rate: number): boolean {
  return elementHash(seed, i) >= dropoutThreshold(rate);
}

export function dropoutForward(x: ArrayLike<number>, rate: number, seed: number): Float64Array {
  const threshold = dropoutThreshold(rate);
  const scale = 1 / (1 - rate);
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = elementHash(seed, i) >= threshold ? x[i] * scale : 0;
  return y;
}

/** The same mask and scale as the forward: dropout is linear in x. */
export function dropoutBackward(dy: ArrayLike<number>, rate: number, seed: number): Float64Array {
  return dropoutForward(dy, rate, seed);
}
