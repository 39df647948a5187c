// Streams an upload's body to disk, cutting it into the files its query declares. Nothing is kept in memory beyond
// the chunk at hand, and the body is cut off (not read further) as soon as it passes the limit or its declaration.
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { UploadFile } from '../../shared/dataset_upload.ts';
import type { ReceivedFile } from './convert_upload.ts';
import { UploadIssue, UploadTooLarge } from './upload_issue.ts';

/** Writes the body's bytes to one file per entry of `files` in `dir`, in order. */
export async function receiveFiles(body: Readable, files: readonly UploadFile[], dir: string, limit: number): Promise<ReceivedFile[]> {
  const declared = files.reduce((n, f) => n + f.bytes, 0);
  const received = files.map((f, i) => ({ part: f.part, path: join(dir, `${i}-${f.part}`) }));
  let index = 0;
  let written = 0;
  let total = 0;
  let handle: FileHandle | null = null;
  /** Opens the next file that still needs bytes, creating (empty) the zero-length ones on the way. */
  const advance = async () => {
    while (index < files.length && written === files[index].bytes) {
      if (handle) await handle.close();
      else await (await open(received[index].path, 'wx')).close();
      handle = null;
      index++;
      written = 0;
    }
    if (index < files.length && !handle) handle = await open(received[index].path, 'wx');
  };
  try {
    await advance();
    // not destroyed on an early exit: the 413 or 400 must still reach the client
    for await (const chunk of body.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > limit) throw new UploadTooLarge(`the upload is larger than the server's limit of ${limit} bytes (maxUploadBytes)`);
      if (total > declared) throw new UploadIssue('files', `the body is longer than the ${declared} bytes its files declare`);
      for (let offset = 0; offset < chunk.length;) {
        const take = Math.min(files[index].bytes - written, chunk.length - offset);
        await handle!.write(chunk.subarray(offset, offset + take));
        written += take;
        offset += take;
        await advance();
      }
    }
    if (total < declared) throw new UploadIssue('files', `the body ended after ${total} bytes, its files declare ${declared}`);
    return received;
  } finally {
    await (handle as FileHandle | null)?.close();
  }
}
