// npm run bench:accuracy — test accuracy after a fixed amount of training in one headless Chromium tab.
// Prints one JSON line per case: {"case","dataset","epochs" or "steps" or "minutes", the settings, the "steps" and
// "epochs" trained (a text case: "passes" over the training bytes), "samples_per_s","test_acc","test_loss","seconds",
// "adapter"};
// a text case adds "tokens_per_s", "val_bits_per_char" (the held-out split's loss in bits per byte) and what a unigram and a bigram
// byte model, counted on the training bytes, score on the same split.
import { launchBrowser } from '../e2e/browser.ts';
import { buildClient } from '../server/client_build.ts';
import { startE2eFlock } from '../e2e/flock_server.ts';
import { loadDataset } from '../server/datasets/catalog.ts';
import { bigramBitsPerByte, unigramBitsPerByte } from '../shared/reference/ngram.ts';
import { median } from '../shared/median.ts';
import { MODEL_PRESETS, type ModelPresetName } from '../shared/model_presets.ts';
import { round, runEnginePage } from './engine_page.ts';

interface Case {
  model: string;
  dataset: string;
  /** Length of training: passes over the training split, steps, or minutes of wall clock (the cosine decay then
   *  spread over the time: "within an hour on one tab" is a time budget). */
  epochs?: number;
  steps?: number;
  minutes?: number;
  lr: number;
  batch: number;
  decay: 'cosine';
  optimizer?: 'adamw';
  /** adamw's second-moment decay and weight decay; linear warm-up steps of the learning rate. */
  beta2?: number;
  wd?: number;
  warmup?: number;
  text?: boolean;
}

const CASES: Case[] = [
  { model: 'mlp', dataset: 'mnist', epochs: 3, lr: 0.05, batch: 32, decay: 'cosine' },
  { model: 'cnn', dataset: 'mnist', epochs: 3, lr: 0.05, batch: 32, decay: 'cosine' },
  { model: 'mlp', dataset: 'fashion-mnist', epochs: 2, lr: 0.05, batch: 64, decay: 'cosine' },
  { model: 'resnet', dataset: 'fashion-mnist', minutes: 55, lr: 0.002, batch: 32, decay: 'cosine', optimizer: 'adamw', wd: 0.01, warmup: 100 },
  { model: 'char-transformer', dataset: 'fortunes', minutes: 55, lr: 0.003, batch: 16, decay: 'cosine', optimizer: 'adamw', beta2: 0.99, wd: 0.01, warmup: 100, text: true },
];
// Arguments pick cases as model:dataset, optionally with a learning rate, batch and length (in the case's unit: epochs,
// steps or minutes): `mlp:mnist:0.1:32`, `char-transformer:fortunes:0.003:16:5`.
const picks = process.argv.slice(2).map((a) => a.split(':'));
const selected = picks.length === 0 ? CASES : picks.map(([model, dataset, lr, batch, length]): Case => {
  const base = CASES.find((c) => c.model === model && c.dataset === dataset);
  if (!base) throw new Error(`no case ${model}:${dataset}`);
  const picked = { ...base, lr: lr ? Number(lr) : base.lr, batch: batch ? Number(batch) : base.batch };
  if (!length) return picked;
  const unit = base.minutes !== undefined ? 'minutes' : base.steps !== undefined ? 'steps' : 'epochs';
  return { ...picked, [unit]: Number(length) };
});

/** The engine page's address for a case. */
function caseUrl(base: string, c: Case): string {
  const q = new URLSearchParams({ model: c.model, dataset: c.dataset, lr: String(c.lr), batch: String(c.batch), momentum: '0.9', decay: c.decay });
  if (c.epochs !== undefined) q.set('epochs', String(c.epochs)), q.set('evalEvery', String(c.epochs));
  if (c.steps !== undefined) q.set('steps', String(c.steps));
  // a time budget goes to training: one evaluation, at the end (the only one reported)
  if (c.minutes !== undefined) q.set('minutes', String(c.minutes)), q.set('evalEvery', 'end');
  for (const key of ['optimizer', 'beta2', 'wd', 'warmup'] as const) if (c[key] !== undefined) q.set(key, String(c[key]));
  return `${base}/engine.html?${q}`;
}

/** Unigram and bigram bits per byte on the text's held-out split, counted on its training bytes. */
async function byteModels(dataset: string): Promise<{ unigram: number; bigram: number }> {
  const d = await loadDataset(dataset as Parameters<typeof loadDataset>[0]);
  // a text split holds each byte with the one after it as its label: the stream is the bytes and the last label
  const stream = (s: typeof d.train) => Uint8Array.from([...s.pixels, s.labels[s.count - 1]]);
  const train = stream(d.train);
  const test = stream(d.test);
  return { unigram: unigramBitsPerByte(train, test), bigram: bigramBitsPerByte(train, test) };
}

await buildClient();
const server = await startE2eFlock();
const browser = await launchBrowser();
try {
  for (const c of selected) {
    const page = await browser.newPage();
    const started = performance.now();
    const lines = await runEnginePage(page, caseUrl(server.url, c), 3_600_000 * 2);
    const adapter = await page.locator('#adapter').textContent();
    await page.close();
    const final = lines.filter((l) => 'accuracy' in l && !('samplesPerSec' in l)).at(-1);
    if (!final) throw new Error(`${c.model} on ${c.dataset}: no evaluation reported`);
    const loss = final.loss as number;
    // the median over the training's progress windows (an evaluation pauses the window it falls in); a window counts
    // the outputs it scored: for a text model every position, so tokens
    const scoredPerSec = median(lines.filter((l) => 'samplesPerSec' in l).map((l) => l.samplesPerSec as number));
    const context = c.text ? MODEL_PRESETS[c.model as ModelPresetName].input.width : 1;
    const samplesPerSec = scoredPerSec / context;
    // a text model's epoch is every window start of the split: in passes over its bytes, context times that
    const trained = c.text ? { passes: round((final.epochs as number) * context, 2) } : { epochs: round(final.epochs as number, 2) };
    const text = c.text ? { tokens_per_s: round(scoredPerSec, 0), val_bits_per_char: round(loss / Math.LN2, 3), ...Object.fromEntries(Object.entries(await byteModels(c.dataset)).map(([k, v]) => [`${k}_bits_per_char`, round(v, 3)])) } : {};
    const { model, dataset, text: _, ...settings } = c;
    console.log(
      JSON.stringify({
        case: model,
        dataset,
        ...settings,
        steps: final.steps,
        ...trained,
        samples_per_s: round(samplesPerSec, 1),
        test_acc: round(final.accuracy as number, 4),
        test_loss: round(loss, 4),
        ...text,
        seconds: round((performance.now() - started) / 1000, 1),
        adapter,
      }),
    );
  }
} finally {
  await browser.close();
  await server.close();
}
