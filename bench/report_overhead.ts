// npm run bench:report-overhead — what LSGD's communication steps cost a tab's GPU queue, in Node through Dawn:
// the same training loop (stats read back every 10 steps, a report every tau) with each role's per-report work:
// `local` commits its state (read back params and momentum) as every provable tab does; an lsgd `follower` also
// writes two fresh leader copies and runs the periodic pull; an lsgd `leader` commits, pulls and reads its weights
// back for an upload; `penalty`, a follower under the old rule, pulls inside every step's update instead (two more
// vectors read per step) and writes its copies at reports. Cases are interleaved, so a slow spell of the shared machine lands on all of them; one JSON
// line per case with the median ms per step of the repeats and the overhead against `local`.
import { openNodeDevice } from '../client/gpu/node_device.ts';
import { Trainer } from '../client/engine/trainer.ts';
import { loadDataset } from '../server/datasets/catalog.ts';
import { initialParameters } from '../shared/init.ts';
import { type ModelSpec } from '../shared/model.ts';
import { MODEL_PRESETS } from '../shared/model_presets.ts';
import { median } from '../shared/median.ts';
import { round } from './engine_page.ts';

const option = (name: string, fallback: number) => (process.argv.includes(`--${name}`) ? Number(process.argv[process.argv.indexOf(`--${name}`) + 1]) : fallback);
const model = process.argv.includes('--model') ? (process.argv[process.argv.indexOf('--model') + 1] as 'mlp' | 'cnn') : 'mlp';
const tau = option('tau', 10);
const steps = option('steps', 200);
const repeats = option('repeats', 5);
const ROLES = ['local', 'follower', 'leader', 'penalty'] as const;
type Role = (typeof ROLES)[number];

const handle = await openNodeDevice();
const mnist = await loadDataset('mnist');
const spec = MODEL_PRESETS[model] as ModelSpec;
const copies = [initialParameters(spec, 11), initialParameters(spec, 12)];

async function msPerStep(role: Role): Promise<number> {
  const pull = role === 'penalty' ? 'penalty' : 'periodic';
  const trainer = await Trainer.create(handle, { spec, batch: 64, seed: 1, hyper: { lr: 0.05, momentum: 0.9, lambdaL: 0.1, lambdaG: 0.1 }, pull, train: mnist.train });
  if (role === 'penalty') trainer.setLeader('global', copies[0]);
  const pending: Promise<unknown>[] = [];
  const start = performance.now();
  for (let s = 1; s <= steps; s++) {
    trainer.step();
    if (s % 10 === 0) pending.push(trainer.readStats());
    if (s % tau !== 0) continue;
    pending.push(trainer.getState());
    if (role === 'local') continue;
    if (role === 'follower' || role === 'penalty') {
      trainer.setLeader('local', copies[s % 2]);
      trainer.setLeader('global', copies[(s + 1) % 2]);
    }
    if (role !== 'penalty') trainer.pullTowardLeaders({ local: true, global: true });
    if (role === 'leader') pending.push(trainer.getParams());
  }
  await Promise.all(pending);
  await trainer.flush();
  const ms = (performance.now() - start) / steps;
  trainer.destroy();
  return ms;
}

await msPerStep('local'); // warm-up: pipelines and the adapter's autotune
const times = new Map<Role, number[]>(ROLES.map((r) => [r, []]));
for (let r = 0; r < repeats; r++) for (const role of ROLES) times.get(role)!.push(await msPerStep(role));
const base = median(times.get('local')!);
for (const role of ROLES) {
  const ms = median(times.get(role)!);
  console.log(JSON.stringify({ bench: 'report-overhead', model, tau, role, ms_per_step: round(ms, 3), overhead_vs_local: round(ms / base - 1, 4), runs: times.get(role)!.map((t) => round(t, 2)), adapter: handle.adapterName }));
}
process.exit(0);
