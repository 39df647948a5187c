// Opens a WebGPU device from any GPU entry point (navigator.gpu in a browser, Dawn in Node).

export const WEBGPU_MISSING =
  'WebGPU is not available in this browser: use Chrome or Edge 113+ (or another browser with WebGPU enabled) on a secure (https or localhost) page.';

export interface GpuHandle {
  device: GPUDevice;
  adapterName: string;
}

/** `missing`: what to tell the user when there is no adapter (Node's Dawn has other causes than a browser's). */
export async function openDevice(gpu: GPU | undefined, missing = WEBGPU_MISSING): Promise<GpuHandle> {
  if (!gpu) throw new Error(missing);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new Error(missing === WEBGPU_MISSING ? `${missing} (no GPU adapter was offered)` : missing);
  // Subgroups let the quad matmul share loads across SIMD lanes; it is only offered where the device has them.
  const requiredFeatures: GPUFeatureName[] = adapter.features.has('subgroups') ? ['subgroups'] : [];
  const device = await adapter.requestDevice({
    requiredFeatures,
    requiredLimits: {
      maxStorageBuffersPerShaderStage: Math.min(10, adapter.limits.maxStorageBuffersPerShaderStage),
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      maxBufferSize: adapter.limits.maxBufferSize,
      maxComputeWorkgroupStorageSize: adapter.limits.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: adapter.limits.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupSizeX: adapter.limits.maxComputeWorkgroupSizeX,
    },
  });
  device.lost.then((info) => {
    if (info.reason !== 'destroyed') console.error(`WebGPU device lost: ${info.message}`);
  });
  return { device, adapterName: describeAdapter(adapter.info) };
}

function describeAdapter(info: GPUAdapterInfo): string {
  const parts = [info.vendor, info.architecture, info.device, info.description].filter((s) => s && s.length > 0);
  return parts.length > 0 ? parts.join(' ') : 'unknown adapter';
}
