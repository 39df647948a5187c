// What each label of a served dataset means, for the model download: label k is classNames[k].
import { isDatasetName, type DatasetName } from './catalog.ts';

// a text dataset's label k is the byte value k: no names
const CLASS_NAMES: Partial<Record<DatasetName, readonly string[]>> = {
  mnist: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  // Zalando's labels, in the order of their label values
  'fashion-mnist': ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
};

/** The class names of `dataset`, or null for one this table does not know (a test's synthetic data, say). */
export function classNamesOf(dataset: string): readonly string[] | null {
  return isDatasetName(dataset) ? (CLASS_NAMES[dataset] ?? null) : null;
}
