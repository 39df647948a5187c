// Turns an upload's received files into a dataset, in any of the upload formats, checking what the formats
// themselves cannot: images and labels agree in count, train and test in shape, no split is empty, every label is
// below the classes. Each problem is an UploadIssue naming the part to fix.
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { cifarClasses, CIFAR_SAMPLE_SHAPE, parseCifarBatch, type CifarVariant } from '../../shared/cifar.ts';
import { concatSplits, sampleSize, type DataSplit, type Dataset } from '../../shared/dataset.ts';
import type { UploadFormat, UploadPart } from '../../shared/dataset_upload.ts';
import { parseIdx } from '../../shared/idx.ts';
import type { TensorShape } from '../../shared/model.ts';
import { npyNumbers, parseNpy } from '../../shared/npy.ts';
import { TEXT_CLASSES, textDataset } from '../../shared/text_dataset.ts';
import { UploadIssue } from './upload_issue.ts';

export interface ReceivedFile { part: UploadPart; path: string }

export interface UploadRequest {
  name: string;
  format: UploadFormat;
  /** The operator's class count, when given. */
  classes?: number;
  files: readonly ReceivedFile[];
  /** What gzipped files may inflate to, all together. */
  maxInflatedBytes: number;
}

/** One split's images (NHWC bytes) and labels (any integers, checked later), as a format gave them. */
interface RawSplit { count: number; shape: TensorShape; pixels: Uint8Array; labels: ArrayLike<number> }

/** Runs `parse`, turning its error into an issue on `field`. */
function at<T>(field: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof UploadIssue) throw err;
    throw new UploadIssue(field, (err as Error).message);
  }
}

/** A Buffer's bytes as a plain Uint8Array (what the parsers and the dataset hold). */
const plain = (b: Buffer) => new Uint8Array(b.buffer, b.byteOffset, b.length);

/** Reads the received files, inflating gzipped ones (any format may be gzipped: none starts with 1f 8b otherwise). */
class UploadedFileReader {
  private inflated = 0;

  constructor(private readonly maxInflatedBytes: number) {}

  async read(file: ReceivedFile): Promise<Uint8Array> {
    const bytes = plain(await readFile(file.path));
    if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
    const room = this.maxInflatedBytes - this.inflated;
    try {
      const out = await promisify(gunzip)(bytes, { maxOutputLength: Math.max(1, room) });
      this.inflated += out.length;
      return plain(out);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new UploadIssue(file.part, `the gzipped files inflate to more than ${this.maxInflatedBytes} bytes, the limit (4 times maxUploadBytes)`);
      }
      throw new UploadIssue(file.part, `the file looks gzipped (starts with 1f 8b) but does not inflate: ${(err as Error).message}`);
    }
  }
}

const describeShape = (s: TensorShape) => `${s.height}x${s.width}x${s.channels}`;

/** Images of shape (n, h, w) or (n, h, w, c). */
function imageShape(dims: number[], part: string): TensorShape {
  if (dims.length !== 3 && dims.length !== 4) throw new UploadIssue(part, `images must have shape (n, height, width) or (n, height, width, channels), got (${dims.join(', ')})`);
  const [, height, width, channels = 1] = dims;
  if (height < 1 || width < 1 || channels < 1) throw new UploadIssue(part, `images of shape (${dims.join(', ')}) hold no pixels`);
  return { height, width, channels };
}

function labelDims(dims: number[], part: string): void {
  if (dims.length !== 1) throw new UploadIssue(part, `labels must have shape (n,), got (${dims.join(', ')})`);
}

/** The split's images and labels from the two files of a format that keeps them apart (IDX, npy). */
async function pairedSplit(reader: UploadedFileReader, images: ReceivedFile, labels: ReceivedFile, format: 'idx' | 'npy'): Promise<RawSplit> {
  const [imageBytes, labelBytes] = [await reader.read(images), await reader.read(labels)];
  if (format === 'idx') {
    const img = at(images.part, () => parseIdx(imageBytes));
    if (!(img.data instanceof Uint8Array)) throw new UploadIssue(images.part, `IDX images must be unsigned bytes (type 0x08), got ${img.data.constructor.name}`);
    const lab = at(labels.part, () => parseIdx(labelBytes));
    labelDims(lab.dims, labels.part);
    return { count: img.dims[0], shape: imageShape(img.dims, images.part), pixels: img.data, labels: lab.data };
  }
  const img = at(images.part, () => parseNpy(imageBytes));
  if (img.dtype !== 'uint8') throw new UploadIssue(images.part, `npy images must be uint8, got ${img.dtype}`);
  const lab = at(labels.part, () => parseNpy(labelBytes));
  labelDims(lab.shape, labels.part);
  return { count: img.shape[0], shape: imageShape(img.shape, images.part), pixels: img.data, labels: npyNumbers(lab) };
}

async function cifarSplit(reader: UploadedFileReader, files: readonly ReceivedFile[], variant: CifarVariant): Promise<RawSplit> {
  const batches: DataSplit[] = [];
  for (const [i, file] of files.entries()) {
    const bytes = await reader.read(file);
    batches.push(at(file.part, () => {
      try {
        return parseCifarBatch(bytes, variant);
      } catch (err) {
        throw new Error(files.length > 1 ? `file ${i + 1} of ${files.length}: ${(err as Error).message}` : (err as Error).message);
      }
    }));
  }
  const split = concatSplits(batches, sampleSize({ sampleShape: CIFAR_SAMPLE_SHAPE }));
  return { count: split.count, shape: CIFAR_SAMPLE_SHAPE, pixels: split.pixels, labels: split.labels };
}

/** The labels as bytes, each checked to be a whole number below `classes`. */
function labelBytes(labels: ArrayLike<number>, classes: number, part: string): Uint8Array {
  const out = new Uint8Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i];
    if (!Number.isInteger(v) || v < 0) throw new UploadIssue(part, `label ${v} at sample ${i} is not a whole number from 0`);
    if (v >= classes) throw new UploadIssue(part, `label ${v} at sample ${i} is not below the ${classes} classes`);
    out[i] = v;
  }
  return out;
}

function largestLabel(labels: ArrayLike<number>): number {
  let max = -1;
  for (let i = 0; i < labels.length; i++) if (labels[i] > max) max = labels[i];
  return max;
}

/** The checks every image format shares, then the dataset. */
function imageDataset(name: string, train: RawSplit, test: RawSplit, classes: number | undefined, parts: Record<'images' | 'labels', Record<'train' | 'test', string>>): Dataset {
  for (const [split, raw] of [['train', train], ['test', test]] as const) {
    if (raw.count === 0) throw new UploadIssue(parts.images[split], `the ${split} split is empty: it has no images`);
    if (raw.labels.length !== raw.count) throw new UploadIssue(parts.labels[split], `${raw.labels.length} labels, but ${parts.images[split]} has ${raw.count} images`);
  }
  if (describeShape(train.shape) !== describeShape(test.shape)) {
    throw new UploadIssue(parts.images.test, `test images are ${describeShape(test.shape)} (height x width x channels), train images ${describeShape(train.shape)}: they must agree`);
  }
  // inferred: every label that occurs is a class; an operator's count may add classes no sample has
  const n = classes ?? Math.min(256, Math.max(largestLabel(train.labels), largestLabel(test.labels)) + 1);
  const split = (raw: RawSplit, which: 'train' | 'test'): DataSplit => ({ count: raw.count, pixels: raw.pixels, labels: labelBytes(raw.labels, n, parts.labels[which]) });
  return { name, kind: 'images', sampleShape: train.shape, classes: n, train: split(train, 'train'), test: split(test, 'test') };
}

/** The dataset an upload's files hold, or an UploadIssue saying what is wrong with which file. */
export async function convertUpload(req: UploadRequest): Promise<Dataset> {
  const reader = new UploadedFileReader(req.maxInflatedBytes);
  const filesOf = (part: UploadPart) => req.files.filter((f) => f.part === part);
  const one = (part: UploadPart) => filesOf(part)[0];
  switch (req.format) {
    case 'text': {
      if (req.classes !== undefined && req.classes !== TEXT_CLASSES) throw new UploadIssue('classes', `text has ${TEXT_CLASSES} classes (one per byte value), not ${req.classes}`);
      const file = one('text');
      const bytes = await reader.read(file);
      return at(file.part, () => textDataset(req.name, bytes));
    }
    case 'cifar10':
    case 'cifar100': {
      const classes = cifarClasses(req.format);
      if (req.classes !== undefined && req.classes !== classes) throw new UploadIssue('classes', `${req.format} has ${classes} classes, not ${req.classes}`);
      const train = await cifarSplit(reader, filesOf('train-batches'), req.format);
      const test = await cifarSplit(reader, filesOf('test-batches'), req.format);
      const parts = { train: 'train-batches', test: 'test-batches' };
      return imageDataset(req.name, train, test, classes, { images: parts, labels: parts });
    }
    case 'idx':
    case 'npy': {
      const train = await pairedSplit(reader, one('train-images'), one('train-labels'), req.format);
      const test = await pairedSplit(reader, one('test-images'), one('test-labels'), req.format);
      return imageDataset(req.name, train, test, req.classes, {
        images: { train: 'train-images', test: 'test-images' }, labels: { train: 'train-labels', test: 'test-labels' },
      });
    }
  }
}
