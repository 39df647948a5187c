// The fused AdamW update (penalty pulls toward the leaders, moments, bias-corrected step, decoupled weight decay)
// over the whole flat parameter vector.
import code from '../../shaders/adamw_update.wgsl?raw';
import { adamwBiasCorrections, type AdamwHyper } from '../../shared/reference/adamw_update.ts';
import type { Binding, Dispatch, PipelineCache } from './dispatch.ts';
import { elementwiseDispatch } from './elementwise.ts';
import type { UpdatePulls } from './lsgd_update.ts';

/** Size of the uniform buffer: lr, weightDecay, lambdaL, lambdaG, beta1, 1 - beta1, beta2, 1 - beta2, eps, c1, c2
 *  (f32), padded to 16 bytes. lr, lambdaL and lambdaG are where writeUpdateHyper puts them, so leaderPullDispatch
 *  may be given this buffer as its `hyper`. */
export const ADAMW_HYPER_BYTES = 48;

/** The rates and the bias corrections of step `step` (1 for the first): written before each step, so the same
 *  dispatch serves every step. */
export function writeAdamwHyper(device: GPUDevice, buffer: GPUBuffer, h: Omit<AdamwHyper, 'useLocal' | 'useGlobal'>, step: number): void {
  const { c1, c2 } = adamwBiasCorrections(h.beta1, h.beta2, step);
  const values = [h.lr, h.weightDecay, h.lambdaL, h.lambdaG, h.beta1, 1 - h.beta1, h.beta2, 1 - h.beta2, h.eps, c1, c2, 0];
  device.queue.writeBuffer(buffer, 0, new Float32Array(values));
}

/** One fused kernel over the whole flat vector. params, m and v are updated in place (m and v may be ranges of one
 *  buffer). A leader buffer whose pull is off is never read, but must still be a valid binding that is not a range
 *  of a buffer written here: any placeholder of at least 16 bytes will do. */
export function adamwUpdateDispatch(
  cache: PipelineCache,
  a: { length: number; pulls: UpdatePulls; params: Binding; grads: Binding; m: Binding; v: Binding; localLeader: Binding; globalLeader: Binding; hyper: GPUBuffer },
): Dispatch {
  const constants = { USE_LOCAL: a.pulls.useLocal ? 1 : 0, USE_GLOBAL: a.pulls.useGlobal ? 1 : 0 };
  return elementwiseDispatch(cache, 'adamw update', code, a.length, [a.params, a.grads, a.m, a.v, a.localLeader, a.globalLeader, a.hyper], constants);
}
