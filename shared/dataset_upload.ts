// Uploading a dataset, as the dashboard and the server agree on it: one POST whose body is the files one after the
// other, whose query names the dataset, its format and each file's part and length; and the dataset list's entries.
import { z } from 'zod';
import { DATASET_KINDS } from './dataset.ts';

export const UPLOAD_FORMATS = ['idx', 'cifar10', 'cifar100', 'npy', 'text'] as const;
export type UploadFormat = (typeof UPLOAD_FORMATS)[number];

export const DATASET_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const NAME_RULE = '1 to 64 lowercase letters, digits, - and _, starting with a letter or digit';

export type UploadPart = 'train-images' | 'train-labels' | 'test-images' | 'test-labels' | 'train-batches' | 'test-batches' | 'text';

/** The parts each format takes; a `multiple` part takes one file or more (CIFAR's batch files), the others exactly one. */
export const UPLOAD_PARTS: Record<UploadFormat, readonly { part: UploadPart; multiple: boolean }[]> = {
  idx: [{ part: 'train-images', multiple: false }, { part: 'train-labels', multiple: false }, { part: 'test-images', multiple: false }, { part: 'test-labels', multiple: false }],
  npy: [{ part: 'train-images', multiple: false }, { part: 'train-labels', multiple: false }, { part: 'test-images', multiple: false }, { part: 'test-labels', multiple: false }],
  cifar10: [{ part: 'train-batches', multiple: true }, { part: 'test-batches', multiple: true }],
  cifar100: [{ part: 'train-batches', multiple: true }, { part: 'test-batches', multiple: true }],
  text: [{ part: 'text', multiple: false }],
};

/** One file of the body: which part it is and how many bytes it has. */
export interface UploadFile { part: UploadPart; bytes: number }

/** The `files` query parameter: `part:bytes`, comma-separated, in body order. */
export function formatFileList(files: readonly UploadFile[]): string {
  return files.map((f) => `${f.part}:${f.bytes}`).join(',');
}

/** The files `list` declares, or why it does not fit `format`. */
export function parseFileList(list: string, format: UploadFormat): { files: UploadFile[] } | { error: string } {
  const parts = UPLOAD_PARTS[format];
  const files: UploadFile[] = [];
  for (const entry of list.split(',')) {
    const m = /^([a-z-]+):(\d{1,15})$/.exec(entry);
    if (!m) return { error: `${JSON.stringify(entry)} is not part:bytes (e.g. train-images:47040016)` };
    if (!parts.some((p) => p.part === m[1])) return { error: `${format} takes the parts ${parts.map((p) => p.part).join(', ')}, not ${m[1]}` };
    files.push({ part: m[1] as UploadPart, bytes: Number(m[2]) });
  }
  for (const { part, multiple } of parts) {
    const n = files.filter((f) => f.part === part).length;
    if (n === 0) return { error: `${format} needs ${multiple ? 'one or more files' : 'a file'} for ${part}` };
    if (n > 1 && !multiple) return { error: `${format} takes one file for ${part}, got ${n}` };
  }
  return { files };
}

/** How much of each file has been sent once `loaded` bytes of the body have (a progress bar per file). */
export function fileProgress(files: readonly UploadFile[], loaded: number): number[] {
  let start = 0;
  return files.map((f) => {
    const done = f.bytes === 0 ? (loaded >= start ? 1 : 0) : Math.min(1, Math.max(0, (loaded - start) / f.bytes));
    start += f.bytes;
    return done;
  });
}

export const uploadQuerySchema = z.object({
  name: z.string().regex(DATASET_NAME_PATTERN, `a dataset name is ${NAME_RULE}`).describe(`the new dataset's name: ${NAME_RULE}, not one already used`),
  format: z.enum(UPLOAD_FORMATS).describe('idx: IDX images and labels per split (gzipped or not); cifar10, cifar100: binary batches; npy: uint8 images (n, h, w) or (n, h, w, c) and integer labels (n,) per split; text: UTF-8, split 90/5/5 into train, test and validation'),
  classes: z.coerce.number().int().min(1).max(256).optional().describe('idx and npy: the number of classes (default: the largest label + 1); CIFAR has 10 or 100, text 256'),
  files: z.string().min(1).max(2000).describe('the files in the body, in order, as part:bytes separated by commas: train-images, train-labels, test-images and test-labels (idx, npy), train-batches and test-batches, each as often as there are files (cifar10, cifar100), or text'),
});
export type UploadQuery = z.infer<typeof uploadQuerySchema>;

const int = z.number().int();

export const datasetStatsSchema = z.object({
  kind: z.enum(DATASET_KINDS),
  sampleShape: z.object({ height: int, width: int, channels: int }),
  classes: int,
  samples: z.object({
    train: int.describe('samples tabs download'),
    validation: int.describe('samples held out of them, on which the server measures leader copies'),
    test: int,
  }),
  bytes: int.describe('pixels and labels of every split'),
  labelHistogram: z.array(int).nullable().describe('samples per label over every split (images); null for text'),
  text: z.object({ bytes: int, distinctBytes: int }).nullable().describe('text: its length in bytes and how many distinct byte values occur in it'),
});

export const datasetSummarySchema = z.object({
  name: z.string(),
  builtIn: z.boolean(),
  format: z.enum(UPLOAD_FORMATS).nullable().describe('what it was uploaded as; null for a built-in dataset'),
  createdAt: int.nullable().describe('when it was uploaded (ms since the Unix epoch); null for a built-in dataset'),
  usedBy: z.array(int).describe('ids of the runs using it: an uploaded dataset can be deleted only when no run does'),
  stats: datasetStatsSchema.nullable(),
  error: z.string().nullable().describe('why a built-in dataset does not load (its package is missing, say); its stats are then null'),
});
export type DatasetSummary = z.infer<typeof datasetSummarySchema>;
