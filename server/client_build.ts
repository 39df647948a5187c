// Building the client bundle (dist/) with vite: `npm start` does it when dist/ is missing or older than the
// sources it is built from; browser tests and benchmarks always do.
import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { build } from 'vite';

export const ROOT = resolve(import.meta.dirname, '..');

/** What the bundle is built from: every file under these, plus the vite config. */
const SOURCES = ['client', 'shaders', 'shared', 'vite.config.ts'];

export async function buildClient(): Promise<void> {
  await build({ configFile: join(ROOT, 'vite.config.ts'), logLevel: 'warn' });
}

/** Why `root`/dist needs building, or null when it is newer than every source file. */
export function staleReason(root = ROOT): string | null {
  const built = statSync(join(root, 'dist', 'index.html'), { throwIfNoEntry: false });
  if (!built) return 'dist/ is missing';
  for (const source of SOURCES) {
    const newer = newerFile(join(root, source), built.mtimeMs);
    if (newer) return `${relative(root, newer)} changed after the last build`;
  }
  return null;
}

/** A file at or under `path` modified after `ms`, if any. */
function newerFile(path: string, ms: number): string | null {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return null;
  if (!stat.isDirectory()) return stat.mtimeMs > ms ? path : null;
  for (const entry of readdirSync(path)) {
    const newer = newerFile(join(path, entry), ms);
    if (newer) return newer;
  }
  return null;
}
