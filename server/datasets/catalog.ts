// The built-in datasets the coordinator can serve (operators may upload more: server/datasets/uploaded.ts), each
// loaded at most once per process.
import type { Dataset } from '../../shared/dataset.ts';
import { loadFashionMnist } from './fashion_mnist.ts';
import { loadFortunes } from './fortunes.ts';
import { loadMnist } from './mnist.ts';

export const DATASET_NAMES = ['mnist', 'fashion-mnist', 'fortunes'] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

const LOADERS: Record<DatasetName, () => Promise<Dataset>> = {
  mnist: loadMnist,
  'fashion-mnist': () => loadFashionMnist(),
  fortunes: () => loadFortunes(),
};

export function isDatasetName(s: string): s is DatasetName {
  return (DATASET_NAMES as readonly string[]).includes(s);
}

// Promises, so concurrent first requests share one load.
const loaded = new Map<DatasetName, Promise<Dataset>>();

export async function loadDataset(name: DatasetName): Promise<Dataset> {
  let dataset = loaded.get(name);
  if (!dataset) {
    dataset = LOADERS[name]();
    loaded.set(name, dataset);
    // a failed load (say, a package installed later) is retried on the next request
    dataset.catch(() => loaded.delete(name));
  }
  return dataset;
}
