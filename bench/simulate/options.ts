// bench:simulate's command line: every knob has a default, so `npm run bench:simulate` alone runs the README's
// first setting, and each README figure is one command.
import { parseArgs } from 'node:util';
import { type Layer, type ModelSpec } from '../../shared/model.ts';
import { isModelPresetName, MODEL_PRESETS } from '../../shared/model_presets.ts';
import type { Config } from '../../server/config.ts';
import type { AlgorithmOptions } from './algorithm.ts';
import { ALGORITHMS } from './algorithms.ts';
import { coordinatorConfig } from './coordinator_defaults.ts';
import { settingKnobs } from './settings.ts';
import type { VolunteerKnobs } from './volunteers.ts';
import type { Hyper } from './worker.ts';

export interface SimulateOptions {
  workers: number[];
  algorithms: string[];
  settings: { name: string; knobs: VolunteerKnobs }[];
  coordinator: Config;
  model: ModelSpec;
  costModel: ModelSpec;
  cpuGflops: number;
  hyper: Hyper;
  algorithm: Omit<AlgorithmOptions, 'f'> & { f: number | null };
  seed: number;
  stepsPerWorker: number;
  maxSeconds: number;
  evalEverySeconds: number;
  target: number;
  out: string;
}

const FLAGS = {
  workers: '16',
  algorithms: 'lsgd,lsgd-single-leader,lsgd-penalty,easgd,sync-sgd,sync-sgd-cge,local',
  settings: 'residential',
  model: '784-32-10',
  'cost-model': 'cnn',
  'cpu-gflops': '6.04',
  lr: '0.05',
  momentum: '0.9',
  batch: '32',
  tau: '10',
  'tau-g': '',
  'lambda-l': '0.1',
  'lambda-g': '0.1',
  alpha: '0.2',
  gamma: '0.1',
  rho: '0.5',
  lambda: '0.2',
  f: '',
  'attack-weight-scale': '0.1',
  'attack-gradient-scale': '-10',
  'attack-period': '2',
  seed: '1',
  steps: '300',
  seconds: '600',
  'eval-every': '',
  target: '0.85',
  out: 'bench/results/simulate',
  // knobs of the volunteer population, over the setting's
  'gpu-fraction': '',
  'gpu-speedup': '',
  'straggler-fraction': '',
  'straggler-slowdown': '',
  'down-mbit': '',
  'up-mbit': '',
  'latency-ms': '',
  'egress-mbit': '',
  'ingress-mbit': '',
  'tabs-per-machine': '',
  byzantine: '',
  'session-seconds': '',
  'away-seconds': '',
  // the coordinator's configuration (server/config.ts), e.g. globalCheckMinMs=250,challengeEveryMs=5000
  coordinator: '',
} as const;

type Flag = keyof typeof FLAGS;

/** "784-32-10": a dense net of those widths (relu between), for 28x28 inputs; or a preset's name. */
export function modelOf(text: string): ModelSpec {
  if (isModelPresetName(text)) return MODEL_PRESETS[text];
  const widths = text.split('-').map(Number);
  if (widths.length < 2 || widths[0] !== 784 || widths.some((w) => !Number.isInteger(w) || w < 1)) {
    throw new Error(`--model ${text}: give a preset (${Object.keys(MODEL_PRESETS).join(', ')}) or dense widths from 784 to the classes, like 784-32-10`);
  }
  const hidden = widths.slice(1, -1).flatMap((units): Layer[] => [{ kind: 'dense', units }, { kind: 'relu' }]);
  return { name: text, input: { height: 28, width: 28, channels: 1 }, classes: widths[widths.length - 1], layers: [{ kind: 'flatten' }, ...hidden, { kind: 'dense', units: widths[widths.length - 1] }] };
}

function number(flag: Flag, text: string): number {
  const v = Number(text);
  if (text === '' || !Number.isFinite(v)) throw new Error(`--${flag} ${text}: not a number`);
  return v;
}

function range(flag: Flag, text: string): [number, number] {
  const [lo, hi = lo] = text.split('-').map((part) => number(flag, part));
  if (!(lo > 0 && hi >= lo)) throw new Error(`--${flag} ${text}: give MIN-MAX with 0 < MIN <= MAX`);
  return [lo, hi];
}

export function parseOptions(argv: readonly string[]): SimulateOptions {
  const options = Object.fromEntries(Object.keys(FLAGS).map((k) => [k, { type: 'string' as const }]));
  const { values } = parseArgs({ args: [...argv], options, strict: true });
  const get = (flag: Flag) => (values[flag] as string | undefined) ?? FLAGS[flag];
  const num = (flag: Flag) => number(flag, get(flag));
  const given = (flag: Flag) => get(flag) !== '';

  const overrides: Partial<VolunteerKnobs> = {};
  if (given('gpu-fraction')) overrides.gpuFraction = num('gpu-fraction');
  if (given('gpu-speedup')) overrides.gpuSpeedup = num('gpu-speedup');
  if (given('straggler-fraction')) overrides.stragglerFraction = num('straggler-fraction');
  if (given('straggler-slowdown')) overrides.stragglerSlowdown = num('straggler-slowdown');
  if (given('down-mbit')) overrides.downMbit = range('down-mbit', get('down-mbit'));
  if (given('up-mbit')) overrides.upMbit = range('up-mbit', get('up-mbit'));
  if (given('latency-ms')) overrides.latencyMs = range('latency-ms', get('latency-ms'));
  if (given('egress-mbit')) overrides.coordinatorEgressMbit = num('egress-mbit');
  if (given('ingress-mbit')) overrides.coordinatorIngressMbit = num('ingress-mbit');
  if (given('tabs-per-machine')) overrides.tabsPerMachine = num('tabs-per-machine');
  if (given('byzantine')) overrides.byzantineFraction = num('byzantine');
  if (given('session-seconds')) overrides.meanSessionSeconds = num('session-seconds');
  if (given('away-seconds')) overrides.meanAwaySeconds = num('away-seconds');
  const overridden = Object.keys(FLAGS).filter((k) => k in values && ['gpu', 'straggler', 'down', 'up', 'latency', 'egress', 'ingress', 'tabs', 'byzantine', 'session', 'away', 'coordinator'].some((p) => k.startsWith(p)));
  const coordinator = coordinatorConfig(Object.fromEntries(get('coordinator').split(',').filter(Boolean).map((kv) => kv.split('='))));
  const suffix = overridden.length ? `(${overridden.map((k) => `${k}=${get(k as Flag)}`).join(',')})` : '';

  const algorithms = get('algorithms').split(',');
  for (const a of algorithms) if (!ALGORITHMS[a]) throw new Error(`--algorithms: unknown '${a}'; known: ${Object.keys(ALGORITHMS).join(', ')}`);
  const workers = get('workers').split(',').map((w) => number('workers', w));
  if (workers.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--workers ${get('workers')}: whole numbers of 1 or more`);
  const tau = num('tau');
  return {
    workers,
    algorithms,
    settings: get('settings').split(',').map((name) => ({ name: `${name}${suffix}`, knobs: settingKnobs(name, overrides) })),
    coordinator,
    model: modelOf(get('model')),
    costModel: modelOf(get('cost-model')),
    cpuGflops: num('cpu-gflops'),
    hyper: { lr: num('lr'), momentum: num('momentum'), batch: num('batch') },
    algorithm: {
      tau,
      tauG: given('tau-g') ? num('tau-g') : tau,
      lambdaL: num('lambda-l'),
      lambdaG: num('lambda-g'),
      alpha: num('alpha'),
      gamma: num('gamma'),
      rho: num('rho'),
      grawaLambda: num('lambda'),
      f: given('f') ? num('f') : null,
      attackWeightScale: num('attack-weight-scale'),
      attackGradientScale: num('attack-gradient-scale'),
      attackPeriodSeconds: num('attack-period'),
    },
    seed: num('seed'),
    stepsPerWorker: num('steps'),
    maxSeconds: num('seconds'),
    evalEverySeconds: given('eval-every') ? num('eval-every') : num('seconds') / 300,
    target: num('target'),
    out: get('out'),
  };
}
