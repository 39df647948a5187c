// Node's WebGPU errors name Dawn and the missing piece, never a browser.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { dawnPrerequisiteProblem, SWIFTSHADER_ICD } from './dawn_prerequisites.ts';

test('nothing is missing on a machine set up by npm run setup', () => {
  assert.equal(dawnPrerequisiteProblem({}), null);
});

test('a missing Vulkan driver manifest is named with the command that installs it', () => {
  const problem = dawnPrerequisiteProblem({ VK_ICD_FILENAMES: '/nonexistent/icd.json' });
  assert.match(problem ?? '', /\/nonexistent\/icd\.json.*Dawn.*apt-get install -y chromium/);
  assert.equal(dawnPrerequisiteProblem({ VK_ICD_FILENAMES: SWIFTSHADER_ICD }), null);
});

test('opening a device without a driver fails with a message about Dawn, not a browser', () => {
  const script = "import { openNodeDevice } from './client/gpu/node_device.ts'; openNodeDevice().then(() => console.log('opened'), (e) => console.log(e.message)).then(() => process.exit(0));";
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    env: { ...process.env, VK_ICD_FILENAMES: '/nonexistent/icd.json' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'],
  });
  assert.match(out, /Dawn \(the `webgpu` npm package\) offered no adapter: .*\/nonexistent\/icd\.json/);
  assert.doesNotMatch(out, /browser/);
});
