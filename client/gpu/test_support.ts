// Helpers for kernel tests and benchmarks in Node: buffers in and out, run a list of dispatches, compare.
import './node_device.ts';
import { bufferBytes, encodeDispatches, type Dispatch } from './dispatch.ts';
import { readBuffer } from './readback.ts';
import { seededRandom } from '../../shared/random.ts';

export { relativeError } from '../../shared/relative_error.ts';

export const STORAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

export function bufferFrom(device: GPUDevice, data: Float32Array | Uint32Array | Int32Array, usage = STORAGE): GPUBuffer {
  const buffer = device.createBuffer({ size: bufferBytes(data.byteLength), usage });
  device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
  return buffer;
}

export function emptyBuffer(device: GPUDevice, floats: number, usage = STORAGE): GPUBuffer {
  return device.createBuffer({ size: bufferBytes(floats * 4), usage });
}

export async function readF32(device: GPUDevice, buffer: GPUBuffer, length: number): Promise<Float32Array> {
  return new Float32Array(await readBuffer(device, buffer, length * 4));
}

export async function readU32(device: GPUDevice, buffer: GPUBuffer, length: number): Promise<Uint32Array> {
  return new Uint32Array(await readBuffer(device, buffer, length * 4));
}

export function run(device: GPUDevice, dispatches: Dispatch[]): void {
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  encodeDispatches(pass, dispatches);
  pass.end();
  device.queue.submit([enc.finish()]);
}

export function randomArray(length: number, seed: number, scale = 1): Float32Array {
  const r = seededRandom(seed);
  const a = new Float32Array(length);
  for (let i = 0; i < length; i++) a[i] = (r() * 2 - 1) * scale;
  return a;
}
