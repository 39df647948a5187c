import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeIssues, runConfigSchema } from './run_config.ts';

const config = (algorithm: string, hyper: Record<string, unknown>) => ({
  name: 'r', model: 'mlp', dataset: 'mnist', algorithm, hyper: { lr: 0.05, momentum: 0.9, batch: 32, tau: 10, lambdaL: 0, lambdaG: 0, ...hyper }, stop: { steps: 10 },
});
const issues = (c: unknown) => {
  const parsed = runConfigSchema.safeParse(c);
  return parsed.success ? [] : describeIssues(parsed.error);
};

test('sync-sgd takes every aggregate, and f (hyper.byzantine) for those that use it; f is 0 when absent', () => {
  for (const aggregate of ['mean', 'median', 'trimmed-mean', 'cge', 'zeno']) assert.deepEqual(issues(config('sync-sgd', { aggregate })), [], aggregate);
  for (const aggregate of ['trimmed-mean', 'cge', 'zeno']) assert.deepEqual(issues(config('sync-sgd', { aggregate, byzantine: 2 })), [], aggregate);
  assert.equal(runConfigSchema.parse(config('sync-sgd', { aggregate: 'cge' })).hyper.byzantine, undefined);
  assert.deepEqual(issues(config('lsgd', { byzantine: 0 })), []);
});

test('a bad f is refused at hyper.byzantine with what to do instead', () => {
  const at = (c: unknown) => issues(c).map((i) => i.field);
  assert.deepEqual(at(config('sync-sgd', { aggregate: 'cge', byzantine: -1 })), ['hyper.byzantine']);
  assert.match(issues(config('sync-sgd', { aggregate: 'cge', byzantine: 1.5 }))[0].reason, /whole number/);
  assert.deepEqual(at(config('sync-sgd', { aggregate: 'cge', byzantine: '2' })), ['hyper.byzantine']);
  // f that nothing would use: the mean and median take no f, and the other algorithms no aggregate
  for (const c of [config('sync-sgd', { byzantine: 1 }), config('sync-sgd', { aggregate: 'median', byzantine: 1 }), config('lsgd', { aggregate: 'cge', byzantine: 1 })]) {
    const [issue, ...rest] = issues(c);
    assert.equal(rest.length, 0);
    assert.equal(issue.field, 'hyper.byzantine');
    assert.match(issue.reason, /trimmed-mean, cge, zeno/);
  }
  assert.deepEqual(at(config('sync-sgd', { aggregate: 'krum' })), ['hyper.aggregate']);
});

test('lsgd pulls periodically by default; the penalty is a choice; a periodic lambda above 1 or a tauG below tau is refused', () => {
  const periodic = runConfigSchema.parse(config('lsgd', { lambdaL: 0.1, lambdaG: 0.1 }));
  assert.equal(periodic.hyper.pull, 'periodic');
  assert.equal(periodic.hyper.tauG, undefined);
  assert.equal(runConfigSchema.parse(config('lsgd', { pull: 'penalty', lambdaL: 5 })).hyper.pull, 'penalty');
  assert.deepEqual(issues(config('lsgd', { lambdaL: 1, lambdaG: 1, tauG: 40 })), []);
  assert.deepEqual(issues(config('lsgd', { lambdaG: 1.5 })).map((i) => i.field), ['hyper.pull']);
  assert.match(issues(config('lsgd', { lambdaG: 1.5 }))[0].reason, /at most 1/);
  assert.deepEqual(issues(config('lsgd', { tauG: 5 })).map((i) => i.field), ['hyper.tauG']);
  assert.deepEqual(issues(config('lsgd', { pull: 'sometimes' })).map((i) => i.field), ['hyper.pull']);
  assert.deepEqual(issues(config('lsgd', { tauG: 2.5 })).map((i) => i.field), ['hyper.tauG']);
});

test('sgp needs nothing more; parle needs gamma and rho, grawa lambda, each refused at its field when missing or out of range', () => {
  const at = (c: unknown) => issues(c).map((i) => i.field);
  assert.deepEqual(issues(config('sgp', {})), []);
  assert.deepEqual(issues(config('parle', { gamma: 0.1, rho: 0.5 })), []);
  assert.deepEqual(issues(config('grawa', { lambda: 0.5 })), []);
  assert.deepEqual(at(config('parle', { rho: 0.5 })), ['hyper.gamma']);
  assert.deepEqual(at(config('parle', { gamma: 0.1 })), ['hyper.rho']);
  assert.deepEqual(at(config('parle', { gamma: 0.1, rho: 1.5 })), ['hyper.rho']);
  assert.deepEqual(at(config('grawa', {})), ['hyper.lambda']);
  assert.deepEqual(at(config('grawa', { lambda: 0 })), ['hyper.lambda']);
  assert.match(issues(config('grawa', {}))[0].reason, /pull toward the center/);
});

test('leader copies travel as f32 unless the run chooses f16 or int8; a config stored before the choice existed still loads', () => {
  const stored = JSON.stringify(config('lsgd', {}));
  assert.equal(runConfigSchema.parse(JSON.parse(stored)).copyEncoding, 'f32');
  for (const copyEncoding of ['f32', 'f16', 'int8']) assert.equal(runConfigSchema.parse({ ...config('lsgd', {}), copyEncoding }).copyEncoding, copyEncoding);
  const [issue, ...rest] = issues({ ...config('lsgd', {}), copyEncoding: 'bf16' });
  assert.equal(rest.length, 0);
  assert.equal(issue.field, 'copyEncoding');
  assert.match(issue.reason, /f32.*f16.*int8/);
});
