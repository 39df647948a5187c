import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { staleReason } from './client_build.ts';

test('dist/ needs building when it is missing or older than a source file, not otherwise', () => {
  const root = mkdtempSync(join(tmpdir(), 'flock-build-'));
  try {
    mkdirSync(join(root, 'client', 'gpu'), { recursive: true });
    mkdirSync(join(root, 'shaders'));
    writeFileSync(join(root, 'client', 'gpu', 'matmul.ts'), '');
    writeFileSync(join(root, 'shaders', 'relu.wgsl'), '');
    assert.equal(staleReason(root), 'dist/ is missing');

    mkdirSync(join(root, 'dist'));
    writeFileSync(join(root, 'dist', 'index.html'), '');
    const past = new Date(Date.now() - 60_000);
    for (const f of ['client/gpu/matmul.ts', 'shaders/relu.wgsl']) utimesSync(join(root, f), past, past);
    assert.equal(staleReason(root), null);

    const future = new Date(Date.now() + 60_000);
    utimesSync(join(root, 'shaders', 'relu.wgsl'), future, future);
    assert.equal(staleReason(root), 'shaders/relu.wgsl changed after the last build');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
