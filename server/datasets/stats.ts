// What the dashboard's dataset list says about a dataset, computed once from its samples: kind, shape, samples per
// split, bytes, and how its labels spread (images) or which bytes its text holds.
import { kindOf, type DataSplit, type Dataset, type DatasetKind } from '../../shared/dataset.ts';
import type { TensorShape } from '../../shared/model.ts';

/** Samples per split as stored; `validation` is null for a dataset without a validation split of its own. */
export interface StoredSamples { train: number; validation: number | null; test: number }

export interface StoredStats {
  kind: DatasetKind;
  sampleShape: TensorShape;
  classes: number;
  samples: StoredSamples;
  /** Pixels and labels of every split. */
  bytes: number;
  /** Samples per label over every split (images); null for text. */
  labelHistogram: number[] | null;
  /** The text's own bytes (every split's bytes, its last label included) and how many of the 256 values occur. */
  text: { bytes: number; distinctBytes: number } | null;
}

/** Samples DatasetService holds out of the end of a train split when the dataset has no validation split: at most
 *  a quarter of it. */
export function heldOutSamples(trainCount: number, validationSamples: number): number {
  return Math.min(validationSamples, Math.floor(trainCount / 4));
}

/** Samples per split as the server uses them: tabs get `train`, the server measures copies on `validation`. */
export function servedSamples(stored: StoredSamples, validationSamples: number): { train: number; validation: number; test: number } {
  if (stored.validation !== null) return { train: stored.train, validation: stored.validation, test: stored.test };
  const held = heldOutSamples(stored.train, validationSamples);
  return { train: stored.train - held, validation: held, test: stored.test };
}

export function datasetStats(d: Dataset): StoredStats {
  const splits: DataSplit[] = [d.train, d.test, ...(d.validation ? [d.validation] : [])];
  const kind = kindOf(d);
  const stats: StoredStats = {
    kind,
    sampleShape: d.sampleShape,
    classes: d.classes,
    samples: { train: d.train.count, validation: d.validation?.count ?? null, test: d.test.count },
    bytes: splits.reduce((n, s) => n + s.pixels.length + s.labels.length, 0),
    labelHistogram: null,
    text: null,
  };
  if (kind === 'text') {
    // a text split's bytes are its pixels and then its last label (the byte after the last sample)
    const seen = new Uint8Array(256);
    let bytes = 0;
    for (const s of splits) {
      for (const b of s.pixels) seen[b] = 1;
      if (s.count > 0) seen[s.labels[s.count - 1]] = 1;
      bytes += s.count + (s.count > 0 ? 1 : 0);
    }
    stats.text = { bytes, distinctBytes: seen.reduce((n, v) => n + v, 0) };
  } else {
    const histogram = new Array<number>(d.classes).fill(0);
    for (const s of splits) for (const label of s.labels) histogram[label]++;
    stats.labelHistogram = histogram;
  }
  return stats;
}
