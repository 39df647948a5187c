// What simple byte models score on a text split, in bits per byte: the floor a character-level language model must
// beat to have learnt anything beyond letter frequencies (unigram) and which letter follows which (bigram).
// Counts come from the training bytes with add-k smoothing, so a byte pair never seen still has a probability.

const VOCAB = 256;

/** Bits per byte of `test` under the byte frequencies of `train` (add-k smoothing). */
export function unigramBitsPerByte(train: Uint8Array, test: Uint8Array, k = 1): number {
  if (test.length === 0) throw new Error('unigram: the test split is empty');
  const counts = new Float64Array(VOCAB).fill(k);
  for (const b of train) counts[b]++;
  const total = train.length + k * VOCAB;
  let bits = 0;
  for (const b of test) bits -= Math.log2(counts[b] / total);
  return bits / test.length;
}

/** Bits per byte of test[1..] given the byte before each, under the pair counts of `train` (add-k smoothing). */
export function bigramBitsPerByte(train: Uint8Array, test: Uint8Array, k = 0.1): number {
  if (test.length < 2) throw new Error('bigram: the test split needs at least two bytes');
  const pairs = new Float64Array(VOCAB * VOCAB);
  const firsts = new Float64Array(VOCAB);
  for (let i = 1; i < train.length; i++) {
    pairs[train[i - 1] * VOCAB + train[i]]++;
    firsts[train[i - 1]]++;
  }
  let bits = 0;
  for (let i = 1; i < test.length; i++) {
    const a = test[i - 1];
    bits -= Math.log2((pairs[a * VOCAB + test[i]] + k) / (firsts[a] + k * VOCAB));
  }
  return bits / (test.length - 1);
}
