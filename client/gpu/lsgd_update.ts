// The fused Leader SGD update (pulls toward the leaders, momentum, step) over the whole flat parameter vector.
import code from '../../shaders/lsgd_update.wgsl?raw';
import type { UpdateHyper } from '../../shared/reference/lsgd_update.ts';
import type { Binding, Dispatch, PipelineCache } from './dispatch.ts';
import { elementwiseDispatch } from './elementwise.ts';

/** Size of the uniform buffer for the rates: lr, momentum, lambdaL, lambdaG (f32). */
export const UPDATE_HYPER_BYTES = 16;

export type UpdateRates = Pick<UpdateHyper, 'lr' | 'momentum' | 'lambdaL' | 'lambdaG'>;
/** Which leader pulls apply: fixed per pipeline (override constants), so switching them switches dispatch. */
export type UpdatePulls = Pick<UpdateHyper, 'useLocal' | 'useGlobal'>;

export function writeUpdateHyper(device: GPUDevice, buffer: GPUBuffer, h: UpdateRates): void {
  device.queue.writeBuffer(buffer, 0, new Float32Array([h.lr, h.momentum, h.lambdaL, h.lambdaG]));
}

/** One fused kernel over the whole flat vector. params and velocity are updated in place. A leader buffer whose
 *  pull is off is never read, but must still be a valid binding that is not a range of params or velocity
 *  (a buffer written in a dispatch cannot be bound again in it): any placeholder of at least 16 bytes will do. */
export function lsgdUpdateDispatch(
  cache: PipelineCache,
  a: { length: number; pulls: UpdatePulls; params: Binding; grads: Binding; velocity: Binding; localLeader: Binding; globalLeader: Binding; hyper: GPUBuffer },
): Dispatch {
  const constants = { USE_LOCAL: a.pulls.useLocal ? 1 : 0, USE_GLOBAL: a.pulls.useGlobal ? 1 : 0 };
  return elementwiseDispatch(cache, 'lsgd update', code, a.length, [a.params, a.grads, a.velocity, a.localLeader, a.globalLeader, a.hyper], constants);
}
