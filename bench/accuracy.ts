// npm run bench:accuracy — test accuracy after a fixed number of epochs in one headless Chromium tab.
// Prints one JSON line per case: {"case","dataset","epochs","test_acc","test_loss","seconds","adapter"}.
import { launchBrowser } from '../e2e/browser.ts';
import { buildClient } from '../server/client_build.ts';
import { startE2eFlock } from '../e2e/flock_server.ts';
import { round, runEnginePage } from './engine_page.ts';

const CASES = [
  { model: 'mlp', dataset: 'mnist', epochs: 3, lr: 0.05, batch: 32, decay: 'cosine' },
  { model: 'cnn', dataset: 'mnist', epochs: 3, lr: 0.05, batch: 32, decay: 'cosine' },
  { model: 'mlp', dataset: 'fashion-mnist', epochs: 2, lr: 0.05, batch: 64, decay: 'cosine' },
];
// Arguments pick cases as model:dataset, optionally with a learning rate and batch: `mlp:mnist:0.1:32`.
const picks = process.argv.slice(2).map((a) => a.split(':'));
const selected = picks.length === 0 ? CASES : picks.map(([model, dataset, lr, batch]) => {
  const base = CASES.find((c) => c.model === model && c.dataset === dataset);
  if (!base) throw new Error(`no case ${model}:${dataset}`);
  return { ...base, lr: lr === undefined ? base.lr : Number(lr), batch: batch === undefined ? base.batch : Number(batch) };
});

await buildClient();
const server = await startE2eFlock();
const browser = await launchBrowser();
try {
  for (const c of selected) {
    const page = await browser.newPage();
    const started = performance.now();
    const url = `${server.url}/engine.html?model=${c.model}&dataset=${c.dataset}&epochs=${c.epochs}&evalEvery=${c.epochs}&lr=${c.lr}&batch=${c.batch}&momentum=0.9&decay=${c.decay}`;
    const lines = await runEnginePage(page, url, 1_800_000);
    const adapter = await page.locator('#adapter').textContent();
    await page.close();
    const final = lines.filter((l) => 'accuracy' in l && !('samplesPerSec' in l)).at(-1);
    if (!final) throw new Error(`${c.model} on ${c.dataset}: no evaluation reported`);
    console.log(
      JSON.stringify({
        case: c.model,
        dataset: c.dataset,
        epochs: c.epochs,
        lr: c.lr,
        batch: c.batch,
        decay: c.decay,
        test_acc: round(final.accuracy as number, 4),
        test_loss: round(final.loss as number, 4),
        seconds: round((performance.now() - started) / 1000, 1),
        adapter,
      }),
    );
  }
} finally {
  await browser.close();
  await server.close();
}
