// Node-only: a WebGPU device through Dawn (the `webgpu` package), on SwiftShader unless a real GPU is present.
// Importing this module installs the WebGPU globals (GPUBufferUsage, ...) that browser code expects.
import { dawnPrerequisiteProblem, SWIFTSHADER_ICD } from './dawn_prerequisites.ts';
import { openDevice, type GpuHandle } from './device.ts';

process.env.VK_ICD_FILENAMES ??= SWIFTSHADER_ICD;
const { create, globals } = await import('webgpu');
Object.assign(globalThis, globals);

// Dawn frees its instance when this GPU object is garbage-collected, and then crashes (use after free in
// ProcessEvents) on the next event poll of any device it created: keep every instance reachable.
const instances: GPU[] = [];

export function openNodeDevice(): Promise<GpuHandle> {
  const problem = dawnPrerequisiteProblem();
  const gpu = create([]);
  instances.push(gpu);
  const missing = `WebGPU through Dawn (the \`webgpu\` npm package) offered no adapter: ${problem ?? `no Vulkan driver answered (VK_ICD_FILENAMES=${process.env.VK_ICD_FILENAMES})`}`;
  return openDevice(gpu, missing);
}
