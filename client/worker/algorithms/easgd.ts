// easgd on the tab: every tau steps the worker sends its weights and is answered with the center; it then takes
// the elastic pull x - alpha (x - center). The weights are on the CPU already for the push, so the pull is one
// pass there and one buffer write, rather than a second upload of the center for a GPU kernel.
import type { Socket } from 'socket.io-client';
import type { Trainer, TrainerState } from '../../engine/trainer.ts';
import { checkedLeaderCopy } from '../../../shared/leader_copy.ts';
import { bytesToWeights, weightsToBytes, type ClientToServerEvents, type PushReply, type ServerToClientEvents, type WeightBytes } from '../../../shared/protocol.ts';
import { easgdWorkerPull } from '../../../shared/reference/easgd.ts';

const ACK_TIMEOUT_MS = 30_000;

/** One elastic exchange: the state before it (what the stretch of steps since the last exchange ended with) and
 *  the exchange's version when the pull was taken; an error text when the coordinator refused or did not answer. */
export async function elasticExchange(
  socket: Socket<ServerToClientEvents, ClientToServerEvents>,
  trainer: Trainer,
  meta: { runId: number; step: number; lossEstimate: number; alpha: number },
): Promise<{ before: TrainerState; version: number | null; error: string | null }> {
  const before = await trainer.getState();
  const x = before.params;
  const answer = await new Promise<{ reply: PushReply; center: WeightBytes | null } | string>((resolve) => {
    socket.timeout(ACK_TIMEOUT_MS).emit('push', { runId: meta.runId, step: meta.step, lossEstimate: meta.lossEstimate }, weightsToBytes(x), (err: Error | null, reply: PushReply, center: WeightBytes | null) =>
      resolve(err ? `no answer: ${err.message}` : { reply, center }),
    );
  });
  const refused = (error: string) => ({ before, version: null, error });
  if (typeof answer === 'string') return refused(answer);
  if (!answer.reply.ok) return refused(answer.reply.error);
  if (!answer.center) return refused('the answer carried no center');
  const center = checkedLeaderCopy(bytesToWeights(answer.center), x.length);
  // the coordinator recomputes this pull with the same function to check the state this tab commits to
  trainer.setParams(Float32Array.from(easgdWorkerPull(x, center, meta.alpha)));
  return { before, version: answer.reply.version, error: null };
}
