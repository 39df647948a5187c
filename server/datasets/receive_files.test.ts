import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { receiveFiles } from './receive_files.ts';
import { UploadIssue, UploadTooLarge } from './upload_issue.ts';

const bytes = (n: number, from = 0) => Buffer.from(Array.from({ length: n }, (_, i) => (from + i) % 256));

async function inTempDir(fn: (dir: string) => Promise<void>) {
  const dir = mkdtempSync(join(tmpdir(), 'flock-receive-'));
  try {
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true });
  }
}

test('the body is cut into its declared files, whatever its chunks, empty files included', async () => {
  await inTempDir(async (dir) => {
    const body = bytes(10);
    // chunks straddle the file boundaries at 3 and 3 (an empty file) and 7
    const files = await receiveFiles(Readable.from([body.subarray(0, 2), body.subarray(2, 5), body.subarray(5, 10)]), [
      { part: 'train-images', bytes: 3 }, { part: 'train-labels', bytes: 0 }, { part: 'test-images', bytes: 4 }, { part: 'test-labels', bytes: 3 },
    ], dir, 100);
    assert.deepEqual(files.map((f) => f.part), ['train-images', 'train-labels', 'test-images', 'test-labels']);
    assert.deepEqual(files.map((f) => [...readFileSync(f.path)]), [[0, 1, 2], [], [3, 4, 5, 6], [7, 8, 9]]);
  });
});

test('a body longer than declared or than the limit is cut off, and one shorter is refused', async () => {
  const one = [{ part: 'text' as const, bytes: 8 }];
  await inTempDir(async (dir) => {
    await assert.rejects(receiveFiles(Readable.from([bytes(5), bytes(5)]), one, dir, 100), (err: Error) =>
      err instanceof UploadIssue && err.field === 'files' && /longer than the 8 bytes its files declare/.test(err.message));
  });
  await inTempDir(async (dir) => {
    // the rest of a refused body stays unread (the route then closes the connection)
    const source = Readable.from([bytes(5), bytes(50), bytes(5)]);
    await assert.rejects(receiveFiles(source, one, dir, 20), (err: Error) => err instanceof UploadTooLarge && /limit of 20 bytes/.test(err.message));
    assert.equal(source.destroyed, false);
    assert.equal(source.readableEnded, false);
  });
  await inTempDir(async (dir) => {
    await assert.rejects(receiveFiles(Readable.from([bytes(5)]), one, dir, 100), /the body ended after 5 bytes, its files declare 8/);
  });
});
