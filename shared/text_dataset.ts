// UTF-8 text as a dataset for byte-level language modelling. The text is a byte stream, cut by bytes into train
// (the first 90%), test (the next 5%) and validation (the last 5%, which the server keeps to measure models).
// A split of n + 1 bytes b_0..b_n is n samples of shape 1x1x1: pixels b_0..b_{n-1}, and labels[i] = b_{i+1},
// the byte that follows, out of 256 classes.
import type { DataSplit, Dataset } from './dataset.ts';

export const TEXT_CLASSES = 256;
export const TEXT_SAMPLE_SHAPE = { height: 1, width: 1, channels: 1 };
/** A split needs one byte and the byte after it. */
const MIN_SPLIT_BYTES = 2;

/** The offset of the first byte that does not start or continue a valid UTF-8 sequence, or -1 when all is valid.
 *  Overlong forms, surrogates, code points above U+10FFFF and a sequence cut short by the end are invalid. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    // the sequence length, and the range its second byte must fall in (which excludes overlongs, surrogates and
    // code points beyond U+10FFFF: RFC 3629's table)
    let length: number;
    let low = 0x80;
    let high = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) length = 2;
    else if (b >= 0xe0 && b <= 0xef) {
      length = 3;
      if (b === 0xe0) low = 0xa0;
      if (b === 0xed) high = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      length = 4;
      if (b === 0xf0) low = 0x90;
      if (b === 0xf4) high = 0x8f;
    } else return i;
    if (i + length > bytes.length) return i;
    if (bytes[i + 1] < low || bytes[i + 1] > high) return i;
    for (let k = 2; k < length; k++) if ((bytes[i + k] & 0xc0) !== 0x80) return i;
    i += length;
  }
  return -1;
}

/** `where: ` when the caller names the text, for messages. */
const prefix = (where?: string) => (where ? `${where}: ` : '');

/** Throws, naming the byte offset, unless `bytes` is valid UTF-8. */
export function checkUtf8(bytes: Uint8Array, where?: string): void {
  const at = firstInvalidUtf8(bytes);
  if (at < 0) return;
  const shown = Array.from(bytes.subarray(at, at + 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
  throw new Error(`${prefix(where)}invalid UTF-8 at byte ${at} (bytes ${shown}): the text must be UTF-8 encoded`);
}

/** n + 1 bytes as n next-byte samples; the arrays are views on `bytes`. */
export function textSplit(bytes: Uint8Array): DataSplit {
  const count = Math.max(0, bytes.length - 1);
  return { count, pixels: bytes.subarray(0, count), labels: bytes.subarray(1, count + 1) };
}

/** Where the text is cut: train is [0, trainEnd), test [trainEnd, testEnd), validation [testEnd, length). */
export function textSplitPoints(length: number): { trainEnd: number; testEnd: number } {
  // integer arithmetic: the cut must not depend on rounding
  const trainEnd = Math.floor((length * 9) / 10);
  return { trainEnd, testEnd: trainEnd + Math.floor(length / 20) };
}

/** The text as a dataset, after checking it is UTF-8 and long enough for every split to hold a sample. */
export function textDataset(name: string, bytes: Uint8Array, where?: string): Dataset {
  checkUtf8(bytes, where);
  const { trainEnd, testEnd } = textSplitPoints(bytes.length);
  const shortest = Math.min(trainEnd, testEnd - trainEnd, bytes.length - testEnd);
  if (shortest < MIN_SPLIT_BYTES) {
    throw new Error(`${prefix(where)}${bytes.length} bytes are too few: each of train (90%), test (5%) and validation (5%) needs at least ${MIN_SPLIT_BYTES} bytes, so at least 40 bytes of text`);
  }
  return {
    name,
    kind: 'text',
    sampleShape: TEXT_SAMPLE_SHAPE,
    classes: TEXT_CLASSES,
    train: textSplit(bytes.subarray(0, trainEnd)),
    test: textSplit(bytes.subarray(trainEnd, testEnd)),
    validation: textSplit(bytes.subarray(testEnd)),
  };
}
