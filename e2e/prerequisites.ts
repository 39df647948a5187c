// `npm test` runs this first: it checks the system packages the tests need and, when one is missing, stops with
// one line naming it and the command that installs it (instead of dozens of failing tests with other messages).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { dawnPrerequisiteProblem } from '../client/gpu/dawn_prerequisites.ts';
import { FASHION_MNIST_DIR, FASHION_MNIST_FILES } from '../server/datasets/fashion_mnist.ts';
import { FORTUNES_DIR, FORTUNES_PROBE } from '../server/datasets/fortunes.ts';
import { CHROMIUM_PATH } from './browser.ts';

const SETUP = 'npm run setup installs all of them';

function pythonWithNumpy(): boolean {
  try {
    execFileSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Each prerequisite: a problem line when it is missing, null when present. */
const checks: (() => string | null)[] = [
  () => existsSync(CHROMIUM_PATH) ? null : `Chromium is missing at ${CHROMIUM_PATH} (FLOCK_CHROMIUM overrides the path): apt-get install -y chromium`,
  () => dawnPrerequisiteProblem(),
  () => {
    const missing = FASHION_MNIST_FILES.map((f) => join(FASHION_MNIST_DIR, f)).find((p) => !existsSync(p));
    return missing ? `Fashion-MNIST is missing (${missing}): apt-get install -y dataset-fashion-mnist` : null;
  },
  () => existsSync(join(FORTUNES_DIR, FORTUNES_PROBE)) ? null : `the fortunes text dataset is missing (${join(FORTUNES_DIR, FORTUNES_PROBE)}): apt-get install -y fortunes`,
  () => existsSync('/usr/sbin/nginx') ? null : 'nginx, the caching reverse proxy server/proxy_cache.test.ts runs in front of Flock, is missing: apt-get install -y nginx',
  () => pythonWithNumpy() ? null : 'python3 with numpy, which runs the README\'s model loader in a test, is missing: apt-get install -y python3-numpy',
];

const problems = checks.map((c) => c()).filter((p): p is string => p !== null);
if (problems.length > 0) {
  for (const p of problems) console.error(`missing prerequisite: ${p}`);
  console.error(`(${SETUP}: apt-get update, apt-get install and npm ci)`);
  process.exit(1);
}
