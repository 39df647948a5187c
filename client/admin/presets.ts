// Starting points for the create-run form: a preset fills every field, the admin edits from there.
import type { RunConfigInput } from '../../shared/run_config.ts';

export interface RunPreset { id: string; label: string; config: RunConfigInput }

/** The paper's periodic pull with its code's strengths (0.1 toward both leaders). */
const lsgd = { lr: 0.05, momentum: 0.9, batch: 64, tau: 10, lambdaL: 0.1, lambdaG: 0.1, pull: 'periodic' as const };

export const RUN_PRESETS: RunPreset[] = [
  {
    id: 'mnist-mlp',
    label: 'MNIST · mlp · multi-leader LSGD',
    config: { name: 'MNIST mlp', model: 'mlp', dataset: 'mnist', algorithm: 'lsgd', hyper: lsgd, stop: { steps: 5000, minutes: 30, targetAccuracy: 0.97 }, seed: 1 },
  },
  {
    id: 'mnist-mlp-single',
    label: 'MNIST · mlp · single leader (λL = 0)',
    config: { name: 'MNIST mlp, single leader', model: 'mlp', dataset: 'mnist', algorithm: 'lsgd', hyper: { ...lsgd, lambdaL: 0, lambdaG: 0.1 }, stop: { steps: 5000, minutes: 30 }, seed: 1 },
  },
  {
    id: 'fashion-cnn',
    label: 'Fashion-MNIST · cnn · multi-leader LSGD',
    config: { name: 'Fashion cnn', model: 'cnn', dataset: 'fashion-mnist', algorithm: 'lsgd', hyper: { ...lsgd, batch: 32 }, stop: { steps: 10000, minutes: 60, targetAccuracy: 0.88 }, seed: 1 },
  },
  {
    id: 'fortunes-char-transformer',
    label: 'Fortunes · char-transformer · AdamW, multi-leader LSGD',
    config: {
      name: 'Fortunes char-transformer', model: 'char-transformer', dataset: 'fortunes', algorithm: 'lsgd',
      hyper: { ...lsgd, lr: 0.001, optimizer: 'adamw', weightDecay: 0.01, batch: 32 }, stop: { steps: 5000, minutes: 60 }, seed: 1,
    },
  },
];
