// npm run bench:engine — training throughput of one tab, in headless Chromium on this machine's WebGPU adapter.
// Prints one JSON line per model: {"case","batch","samples_per_s","ms_per_step","gflops","adapter"} (a sequence model
// adds "tokens_per_s": samples are windows of its context); with --profile, first one line per dispatch of the step
// timed alone; --case mlp|cnn|resnet|char-transformer runs one model only, --batch N sets its batch size.
import { launchBrowser } from '../e2e/browser.ts';
import { buildClient } from '../server/client_build.ts';
import { startE2eFlock } from '../e2e/flock_server.ts';
import { round, runEnginePage } from './engine_page.ts';
import { median } from '../shared/median.ts';
import { isSequenceModel, trainingFlopsPerSample } from '../shared/model.ts';
import { MODEL_PRESETS } from '../shared/model_presets.ts';
import type { BenchResult } from '../client/worker/protocol.ts';

const CASES = [
  { name: 'mlp', dataset: 'mnist', batch: 64, windowSteps: 40, warmup: 30 },
  { name: 'cnn', dataset: 'mnist', batch: 64, windowSteps: 10, warmup: 8 },
  { name: 'resnet', dataset: 'fashion-mnist', batch: 64, windowSteps: 3, warmup: 3 },
  { name: 'char-transformer', dataset: 'fortunes', batch: 32, windowSteps: 2, warmup: 2 },
] as const;

const only = process.argv.includes('--case') ? process.argv[process.argv.indexOf('--case') + 1] : undefined;
if (only !== undefined && !CASES.some((c) => c.name === only)) throw new Error(`--case must be one of ${CASES.map((c) => c.name).join(', ')}`);
const batchArg = process.argv.includes('--batch') ? Number(process.argv[process.argv.indexOf('--batch') + 1]) : undefined;
if (batchArg !== undefined && !(Number.isInteger(batchArg) && batchArg > 0 && only !== undefined)) throw new Error('--batch takes a positive whole number, with --case');

await buildClient();
const server = await startE2eFlock();
const browser = await launchBrowser();
try {
  for (const picked of CASES.filter((c) => only === undefined || c.name === only)) {
    const c = { ...picked, batch: batchArg ?? picked.batch };
    const page = await browser.newPage();
    const url = `${server.url}/engine.html?model=${c.name}&dataset=${c.dataset}&mode=bench&batch=${c.batch}&readback=10&warmup=${c.warmup}&windows=7&windowSteps=${c.windowSteps}`;
    const lines = await runEnginePage(page, url, 600_000);
    await page.close();
    if (process.argv.includes('--profile')) {
      const profile = await browser.newPage();
      const [p] = await runEnginePage(profile, url.replace('mode=bench', 'mode=profile'), 600_000);
      await profile.close();
      for (const d of p.dispatches as { index: number; label: string; ms: number }[]) {
        console.log(JSON.stringify({ case: c.name, where: 'chromium', index: d.index, dispatch: d.label, ms: round(d.ms, 3) }));
      }
      console.log(JSON.stringify({ case: c.name, where: 'chromium', step_ms: round(p.stepMs as number, 3) }));
    }
    const result = lines.find((l) => 'windowMs' in l) as unknown as BenchResult | undefined;
    if (!result) throw new Error(`${c.name}: the page reported no benchmark result`);
    const msPerStep = median(result.windowMs) / result.windowSteps;
    const spec = MODEL_PRESETS[c.name];
    const flops = trainingFlopsPerSample(spec) * c.batch;
    const tokens = isSequenceModel(spec) ? { tokens_per_s: round((c.batch * spec.input.width * 1000) / msPerStep, 1) } : {};
    console.log(
      JSON.stringify({
        case: c.name,
        batch: c.batch,
        samples_per_s: round((c.batch * 1000) / msPerStep, 1),
        ...tokens,
        ms_per_step: round(msPerStep, 3),
        gflops: round(flops / msPerStep / 1e6, 3),
        adapter: result.adapter,
      }),
    );
  }
} finally {
  await browser.close();
  await server.close();
}
