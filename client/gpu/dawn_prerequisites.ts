// Node-only: what Dawn (the `webgpu` npm package) needs from the system before it can offer an adapter here.
// Dawn reaches SwiftShader (or a GPU driver) through the Vulkan loader; without either it just offers no
// adapter, so the tests and benches name the missing piece instead.
import { existsSync } from 'node:fs';

export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

const LOADER_DIRS = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/usr/local/lib', '/lib/x86_64-linux-gnu'];

/** The first missing prerequisite of Dawn, as one line naming it and the command that installs it; null when none is missing. */
export function dawnPrerequisiteProblem(env: NodeJS.ProcessEnv = process.env): string | null {
  const loaderDirs = [...(env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean), ...LOADER_DIRS];
  if (!loaderDirs.some((d) => existsSync(`${d}/libvulkan.so.1`))) {
    return 'the Vulkan loader libvulkan.so.1, which Dawn (the `webgpu` npm package) loads to reach a WebGPU adapter, is missing: apt-get install -y libvulkan1';
  }
  const icds = (env.VK_ICD_FILENAMES ?? SWIFTSHADER_ICD).split(':').filter(Boolean);
  const missing = icds.find((f) => !existsSync(f));
  if (missing) {
    return `the Vulkan driver manifest ${missing} (VK_ICD_FILENAMES), through which Dawn reaches SwiftShader, is missing: apt-get install -y chromium, or point VK_ICD_FILENAMES at your GPU's driver`;
  }
  return null;
}
