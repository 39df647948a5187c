// npm run attack as an operator runs it, against a server with tiny synthetic data: its output format and exit codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createAndStart, startTestFlock, TEST_TOKEN } from '../server/test_support.ts';

const CLI = join(import.meta.dirname, 'attack.ts');

function attack(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('without a running run or a token there is nothing to attack: exit 2 and what is needed', async () => {
  const flock = await startTestFlock();
  try {
    const { code, stdout, stderr } = await attack(['--url', `${flock.url}/`]);
    assert.equal(code, 2);
    assert.equal(stdout, '');
    assert.match(stderr, /no run is active .* pass --token/);
  } finally {
    await flock.close();
  }
});

test('against a running run: one JSON line per attack, each held with its evidence, exit 0', async () => {
  const flock = await startTestFlock({ identitiesPerMinute: 10, proofProbability: 0.5 });
  try {
    const runId = await createAndStart(flock);
    const { code, stdout, stderr } = await attack(['--url', `${flock.url}/`, '--token', TEST_TOKEN, '--only', 'identity-takeover,foreign-machine-id,step-inflation,fake-work,identity-leak,identity-churn', '--churn', '30']);
    assert.equal(code, 0, stderr);
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as { attack: string; outcome: string; evidence: string });
    assert.deepEqual(lines.map((l) => l.attack), ['identity-takeover', 'foreign-machine-id', 'step-inflation', 'fake-work', 'identity-leak', 'identity-churn']);
    for (const l of lines) {
      assert.equal(l.outcome, 'held', `${l.attack}: ${l.evidence}`);
      assert.ok(l.evidence.length > 20, l.attack);
    }
    assert.match(stderr, new RegExp(`attacking run ${runId}`));
  } finally {
    await flock.close();
  }
});
