// The fused Leader SGD update (pulls toward the leaders, momentum, step) over the whole flat parameter vector.
import code from '../../shaders/lsgd_update.wgsl?raw';
import type { UpdateHyper } from '../../shared/reference/lsgd_update.ts';
import type { Binding, Dispatch, PipelineCache } from './dispatch.ts';
import { elementwiseDispatch } from './elementwise.ts';

/** Size of the uniform buffer for UpdateHyper: lr, momentum, lambdaL, lambdaG (f32), useLocal, useGlobal (u32), padding. */
export const UPDATE_HYPER_BYTES = 32;

export function writeUpdateHyper(device: GPUDevice, buffer: GPUBuffer, h: UpdateHyper): void {
  const data = new ArrayBuffer(UPDATE_HYPER_BYTES);
  new Float32Array(data, 0, 4).set([h.lr, h.momentum, h.lambdaL, h.lambdaG]);
  new Uint32Array(data, 16, 2).set([h.useLocal ? 1 : 0, h.useGlobal ? 1 : 0]);
  device.queue.writeBuffer(buffer, 0, data);
}

/** One fused kernel over the whole flat vector. params and velocity are updated in place. A leader buffer whose
 *  pull is off is never read, but must still be a valid binding that is not a range of params or velocity
 *  (a buffer written in a dispatch cannot be bound again in it): any placeholder of at least 16 bytes will do. */
export function lsgdUpdateDispatch(
  cache: PipelineCache,
  a: { length: number; params: Binding; grads: Binding; velocity: Binding; localLeader: Binding; globalLeader: Binding; hyper: GPUBuffer },
): Dispatch {
  return elementwiseDispatch(cache, 'lsgd update', code, a.length, [a.params, a.grads, a.velocity, a.localLeader, a.globalLeader, a.hyper]);
}
