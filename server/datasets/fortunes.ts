// Fortunes: the English fortune cookies of Debian's `fortunes` package (and `fortunes-min`, which it depends on),
// as a text dataset for byte-level language modelling (shared/text_dataset.ts). The package keeps each collection
// as a text file in FORTUNES_DIR beside its index (.dat) and a UTF-8 link (.u8); other languages live in
// subdirectories. The collections are concatenated in sorted file-name order, so the text is the same everywhere.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Dataset } from '../../shared/dataset.ts';
import { textDataset } from '../../shared/text_dataset.ts';

export const FORTUNES_DIR = '/usr/share/games/fortunes';
/** A file the package always installs, for the test prerequisites check. */
export const FORTUNES_PROBE = 'fortunes';

const INSTALL = 'It comes from the Debian package fortunes (apt-get install fortunes)';

/** The collections' file names in FORTUNES_DIR (regular files, neither index nor link), sorted. */
async function collections(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    throw new Error(`Fortunes not found: ${dir} is missing. ${INSTALL}.`);
  }
  const names = entries.filter((e) => e.isFile() && !/\.(dat|u8)$/.test(e.name)).map((e) => e.name);
  if (names.length === 0) throw new Error(`Fortunes not found: ${dir} holds no collections. ${INSTALL}.`);
  // code-unit order, not the locale's, so every machine concatenates alike
  return names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export async function loadFortunes(dir = FORTUNES_DIR): Promise<Dataset> {
  const files = await collections(dir);
  const texts = await Promise.all(files.map((f) => readFile(join(dir, f))));
  const bytes = new Uint8Array(texts.reduce((n, t) => n + t.length, 0));
  let at = 0;
  for (const t of texts) {
    bytes.set(t, at);
    at += t.length;
  }
  return textDataset('fortunes', bytes, dir);
}
