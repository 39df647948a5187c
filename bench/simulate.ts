// bench:simulate: LSGD and its baselines at volunteer scale in virtual time (bench/README.md, "Simulator").
// Prints one JSON line per algorithm, setting and worker count; writes a markdown table, the accuracy curves as SVG
// and the curves themselves as JSON under --out.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { loadDataset } from '../server/datasets/catalog.ts';
import { sliceSplit } from '../shared/dataset.ts';
import { parameterLayout } from '../shared/layout.ts';
import { shapeSize, trainingFlopsPerSample } from '../shared/model.ts';
import { ALGORITHMS } from './simulate/algorithms.ts';
import { parseOptions } from './simulate/options.ts';
import { curvesSvg, markdownTable, rowOf, type Row } from './simulate/report.ts';
import { simulate, type CurvePoint } from './simulate/simulation.ts';

const o = parseOptions(process.argv.slice(2));
const mnist = await loadDataset('mnist');
const size = shapeSize(mnist.sampleShape);
// as the coordinator's dataset service: validation is the end of the training split, held out of it
const held = Math.min(512, Math.floor(mnist.train.count / 4));
const data = {
  train: sliceSplit(mnist.train, size, 0, mnist.train.count - held),
  validation: sliceSplit(mnist.train, size, mnist.train.count - held, held),
  test: mnist.test,
};
const cpuStepSeconds = (trainingFlopsPerSample(o.costModel) * o.hyper.batch) / (o.cpuGflops * 1e9);
const copyBytes = 4 * parameterLayout(o.costModel).length;
console.error(`model ${o.model.name}, costed as ${o.costModel.name}: ${(cpuStepSeconds * 1000).toFixed(2)} ms per step on a CPU tab, ${copyBytes} bytes per copy`);

const runs: { row: Row; curve: CurvePoint[] }[] = [];
for (const setting of o.settings) {
  for (const workers of o.workers) {
    for (const name of o.algorithms) {
      const entry = ALGORITHMS[name];
      const attackers = Math.round(setting.knobs.byzantineFraction * workers);
      const started = performance.now();
      const result = simulate({
        spec: o.model,
        data,
        workers,
        knobs: setting.knobs,
        coordinator: o.coordinator,
        hyper: o.hyper,
        options: { ...o.algorithm, f: o.algorithm.f ?? attackers, ...entry.fixed },
        algorithm: entry.factory,
        cpuStepSeconds,
        copyBytes,
        seed: o.seed,
        maxSeconds: o.maxSeconds,
        stepsPerWorker: o.stepsPerWorker,
        evalEverySeconds: o.evalEverySeconds,
      });
      const row = rowOf({ algorithm: name, workers, setting: setting.name, target: o.target }, result);
      runs.push({ row, curve: result.curve });
      console.log(JSON.stringify(row));
      console.error(`  (${name}, ${workers} workers, ${setting.name}: ${((performance.now() - started) / 1000).toFixed(0)} s of this machine's time)`);
    }
  }
}

mkdirSync(dirname(o.out), { recursive: true });
writeFileSync(`${o.out}.md`, markdownTable(runs.map((r) => r.row)));
writeFileSync(`${o.out}.svg`, curvesSvg(runs));
writeFileSync(`${o.out}-curves.json`, JSON.stringify(runs.map((r) => ({ algorithm: r.row.algorithm, workers: r.row.workers, setting: r.row.setting, curve: r.curve }))));
console.error(`wrote ${o.out}.md, ${o.out}.svg, ${o.out}-curves.json`);
