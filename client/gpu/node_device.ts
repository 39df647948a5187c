// Node-only: a WebGPU device through Dawn (the `webgpu` package), on SwiftShader unless a real GPU is present.
// Importing this module installs the WebGPU globals (GPUBufferUsage, ...) that browser code expects.
import { openDevice, type GpuHandle } from './device.ts';

process.env.VK_ICD_FILENAMES ??= '/usr/lib/chromium/vk_swiftshader_icd.json';
const { create, globals } = await import('webgpu');
Object.assign(globalThis, globals);

// Dawn frees its instance when this GPU object is garbage-collected, and then crashes (use after free in
// ProcessEvents) on the next event poll of any device it created: keep every instance reachable.
const instances: GPU[] = [];

export function openNodeDevice(): Promise<GpuHandle> {
  const gpu = create([]);
  instances.push(gpu);
  return openDevice(gpu);
}
