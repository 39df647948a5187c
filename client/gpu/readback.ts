// Reading a GPU buffer back to the CPU through a staging buffer: weights, stats, test results.

/** The first `bytes` of `buffer`, once the GPU has done everything submitted before. `alsoEncode` adds commands
 *  to the same submission after the copy (e.g. clearing what was just read). */
export async function readBuffer(device: GPUDevice, buffer: GPUBuffer, bytes = buffer.size, alsoEncode?: (encoder: GPUCommandEncoder) => void): Promise<ArrayBuffer> {
  const staging = device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const encoder = device.createCommandEncoder();
  encoder.copyBufferToBuffer(buffer, 0, staging, 0, bytes);
  alsoEncode?.(encoder);
  device.queue.submit([encoder.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const copy = staging.getMappedRange().slice(0);
  staging.destroy();
  return copy;
}
