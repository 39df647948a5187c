// easgd on the tab: every tau steps the worker sends its weights and is answered with the center; it then takes
// the elastic pull x - alpha (x - center). The weights are on the CPU already for the push, so the pull is one
// pass there and one buffer write, rather than a second upload of the center for a GPU kernel.
import type { Socket } from 'socket.io-client';
import type { Trainer } from '../../engine/trainer.ts';
import { checkedLeaderCopy } from '../../../shared/leader_copy.ts';
import { bytesToWeights, weightsToBytes, type ClientToServerEvents, type PushReply, type ServerToClientEvents, type WeightBytes } from '../../../shared/protocol.ts';
import { easgdWorkerPull } from '../../../shared/reference/easgd.ts';

const ACK_TIMEOUT_MS = 30_000;

/** One elastic exchange; resolves with an error text when the coordinator refused it or did not answer. */
export async function elasticExchange(
  socket: Socket<ServerToClientEvents, ClientToServerEvents>,
  trainer: Trainer,
  meta: { runId: number; step: number; lossEstimate: number; alpha: number },
): Promise<string | null> {
  const x = await trainer.getParams();
  const answer = await new Promise<{ reply: PushReply; center: WeightBytes | null } | string>((resolve) => {
    socket.timeout(ACK_TIMEOUT_MS).emit('push', { runId: meta.runId, step: meta.step, lossEstimate: meta.lossEstimate }, weightsToBytes(x), (err: Error | null, reply: PushReply, center: WeightBytes | null) =>
      resolve(err ? `no answer: ${err.message}` : { reply, center }),
    );
  });
  if (typeof answer === 'string') return answer;
  if (!answer.reply.ok) return answer.reply.error;
  if (!answer.center) return 'the answer carried no center';
  const center = checkedLeaderCopy(bytesToWeights(answer.center), x.length);
  trainer.setParams(Float32Array.from(easgdWorkerPull(x, center, meta.alpha)));
  return null;
}
