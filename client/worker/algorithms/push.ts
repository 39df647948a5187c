// The push exchange sgp, parle and grawa tabs share: send the weights (and what the algorithm claims beside them),
// get back the weights to take or pull toward, checked before anything uses them.
import type { Socket } from 'socket.io-client';
import { checkedLeaderCopy } from '../../../shared/leader_copy.ts';
import { bytesToWeights, weightsToBytes, type ClientToServerEvents, type PushMeta, type PushReply, type ServerToClientEvents, type WeightBytes } from '../../../shared/protocol.ts';

const ACK_TIMEOUT_MS = 30_000;

export type WorkerSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** The coordinator's answer: its weights (of x's length, finite) and sgp's push-sum weight; or why there is none. */
export async function pushWeights(socket: WorkerSocket, meta: PushMeta, x: Float32Array): Promise<{ weights: Float32Array; weight: number | undefined } | string> {
  const answer = await new Promise<{ reply: PushReply; weights: WeightBytes | null } | string>((resolve) => {
    socket.timeout(ACK_TIMEOUT_MS).emit('push', meta, weightsToBytes(x), (err: Error | null, reply: PushReply, weights: WeightBytes | null) =>
      resolve(err ? `no answer: ${err.message}` : { reply, weights }),
    );
  });
  if (typeof answer === 'string') return answer;
  if (!answer.reply.ok) return answer.reply.error;
  if (!answer.weights) return 'the answer carried no weights';
  try {
    return { weights: checkedLeaderCopy(bytesToWeights(answer.weights), x.length), weight: answer.reply.weight };
  } catch (e) {
    return (e as Error).message;
  }
}
