// Fashion-MNIST (Zalando, 28x28 grey, 10 clothing classes) from Debian's `dataset-fashion-mnist`
// package, which installs the original gzipped IDX files: 60,000 train and 10,000 test images.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeSplit, type DataSplit, type Dataset } from '../../shared/dataset.ts';
import { readIdx, type IdxArray } from '../../shared/idx.ts';

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

const imagesFile = (prefix: 'train' | 't10k') => `${prefix}-images-idx3-ubyte.gz`;
const labelsFile = (prefix: 'train' | 't10k') => `${prefix}-labels-idx1-ubyte.gz`;
/** The package's four files, for the test prerequisites check. */
export const FASHION_MNIST_FILES = (['train', 't10k'] as const).flatMap((p) => [imagesFile(p), labelsFile(p)]);

const SIZE = 28 * 28;
const CLASSES = 10;

async function readIdxFile(path: string, dir: string): Promise<IdxArray> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    throw new Error(
      `Fashion-MNIST not found: ${path} is missing. It comes from the Debian package dataset-fashion-mnist ` +
        `(apt-get install dataset-fashion-mnist), which puts it in ${FASHION_MNIST_DIR}; looked in ${dir}.`,
    );
  }
  try {
    return await readIdx(bytes);
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`);
  }
}

async function readSplit(dir: string, prefix: 'train' | 't10k', count: number): Promise<DataSplit> {
  const imagesPath = join(dir, imagesFile(prefix));
  const labelsPath = join(dir, labelsFile(prefix));
  const [images, labels] = await Promise.all([readIdxFile(imagesPath, dir), readIdxFile(labelsPath, dir)]);
  if (!(images.data instanceof Uint8Array) || images.dims.join('x') !== `${count}x28x28`) {
    throw new Error(`${imagesPath}: expected ${count}x28x28 u8 images, got ${images.dims.join('x')} ${images.data.constructor.name}`);
  }
  if (!(labels.data instanceof Uint8Array) || labels.dims.join('x') !== `${count}`) {
    throw new Error(`${labelsPath}: expected ${count} u8 labels, got ${labels.dims.join('x')} ${labels.data.constructor.name}`);
  }
  return makeSplit(images.data, labels.data, SIZE, CLASSES);
}

export async function loadFashionMnist(dir = FASHION_MNIST_DIR): Promise<Dataset> {
  const [train, test] = await Promise.all([readSplit(dir, 'train', 60000), readSplit(dir, 't10k', 10000)]);
  return { name: 'fashion-mnist', sampleShape: { height: 28, width: 28, channels: 1 }, classes: CLASSES, train, test };
}
