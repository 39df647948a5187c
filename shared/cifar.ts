// The binary batches of CIFAR-10 and CIFAR-100 (https://www.cs.toronto.edu/~kriz/cifar.html): fixed-size records
// of a label byte (CIFAR-10) or a coarse and a fine label byte (CIFAR-100, whose fine label is the class), then a
// 32x32 colour image as 1024 red, 1024 green and 1024 blue bytes (each plane row-major). Flock's activations are
// NHWC, so the planes are interleaved into 32x32x3.
import type { DataSplit } from './dataset.ts';

export type CifarVariant = 'cifar10' | 'cifar100';

export const CIFAR_SAMPLE_SHAPE = { height: 32, width: 32, channels: 3 };
const PIXELS = 32 * 32;
const IMAGE_BYTES = PIXELS * 3;

const VARIANTS: Record<CifarVariant, { title: string; labelBytes: number; classes: number; coarseClasses: number }> = {
  cifar10: { title: 'CIFAR-10', labelBytes: 1, classes: 10, coarseClasses: 0 },
  cifar100: { title: 'CIFAR-100', labelBytes: 2, classes: 100, coarseClasses: 20 },
};

export function cifarClasses(variant: CifarVariant): number {
  return VARIANTS[variant].classes;
}

export function cifarRecordBytes(variant: CifarVariant): number {
  return VARIANTS[variant].labelBytes + IMAGE_BYTES;
}

/** One batch file's records as NHWC samples with their (fine) labels. */
export function parseCifarBatch(bytes: Uint8Array, variant: CifarVariant): DataSplit {
  const { title, labelBytes, classes, coarseClasses } = VARIANTS[variant];
  const record = labelBytes + IMAGE_BYTES;
  const count = Math.floor(bytes.length / record);
  const rest = bytes.length - count * record;
  if (rest !== 0) {
    throw new Error(`${title} batch: ${bytes.length} bytes is not a whole number of ${record}-byte records (${count} records and ${rest} bytes): the file is truncated or not a ${title} batch`);
  }
  const pixels = new Uint8Array(count * IMAGE_BYTES);
  const labels = new Uint8Array(count);
  for (let r = 0; r < count; r++) {
    const at = r * record;
    if (coarseClasses > 0 && bytes[at] >= coarseClasses) {
      throw new Error(`${title} batch: coarse label ${bytes[at]} of record ${r} is not below ${coarseClasses}: is this a ${title} batch?`);
    }
    const label = bytes[at + labelBytes - 1];
    if (label >= classes) throw new Error(`${title} batch: label ${label} of record ${r} is not below the ${classes} classes: is this a ${title} batch?`);
    labels[r] = label;
    const image = at + labelBytes;
    const out = r * IMAGE_BYTES;
    for (let p = 0; p < PIXELS; p++) {
      pixels[out + 3 * p] = bytes[image + p];
      pixels[out + 3 * p + 1] = bytes[image + PIXELS + p];
      pixels[out + 3 * p + 2] = bytes[image + 2 * PIXELS + p];
    }
  }
  return { count, pixels, labels };
}
