// A child process of bench/relay.ts: hosts many simulated tabs (socket.io-client) or raw TCP receivers, outside the
// coordinator's process, and reports receipt times to the parent over IPC. Times are epoch milliseconds from
// performance.timeOrigin + performance.now(), which every process on the machine shares.
import { connect } from 'node:net';
import { io, type Socket } from 'socket.io-client';
import { initialParameters } from '../shared/init.ts';
import type { ModelSpec } from '../shared/model.ts';
import { WORKER_NAMESPACE, weightsToBytes, type ClientToServerEvents, type Credential, type ServerToClientEvents } from '../shared/protocol.ts';

export interface Tab { machineId: string; tabId: string; loss: number; leader: boolean }
export type ToChild =
  | { type: 'tabs'; url: string; tabs: Tab[]; spec: ModelSpec; seed: number }
  | { type: 'round'; step: number }
  | { type: 'raw'; port: number; sockets: number; bytes: number };
export type ToParent =
  | { type: 'ready' }
  | { type: 'sent'; step: number; t: number }
  | { type: 'received'; step: number; times: number[] };

const now = () => performance.timeOrigin + performance.now();
const send = (m: ToParent) => process.send!(m);

let tabs: { tab: Tab; socket: Socket<ServerToClientEvents, ClientToServerEvents>; runId: number }[] = [];
const receipts = new Map<number, number[]>();
/** The step of the current round: what the leader's upload carries. */
let step = 0;

function received(step: number, expected: number): void {
  const times = receipts.get(step) ?? [];
  times.push(now());
  receipts.set(step, times);
  if (times.length === expected) {
    receipts.delete(step);
    send({ type: 'received', step, times });
  }
}

async function openTabs(m: Extract<ToChild, { type: 'tabs' }>): Promise<void> {
  const followers = m.tabs.filter((t) => !t.leader).length;
  // any tab may be asked first (the first report to arrive makes a challenger while there is no leader yet)
  const weights = initialParameters(m.spec, m.seed);
  const machines = new Map<string, Promise<Credential>>();
  tabs = await Promise.all(m.tabs.map(async (tab) => {
    const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(`${m.url}${WORKER_NAMESPACE}`, { transports: ['websocket'], forceNew: true, reconnection: false });
    // the copy stays the Buffer the socket decoded: only its arrival is recorded
    socket.on('leaderCopy', (meta) => received(meta.step, followers));
    socket.on('uploadRequest', (r) => {
      send({ type: 'sent', step, t: now() });
      // another copy each round (one weight moved by 1), or the coordinator would refuse it as a re-upload
      weights[0] += 1;
      socket.emit('upload', { runId: r.runId, requestId: r.requestId, step, lossEstimate: tab.loss }, weightsToBytes(weights), () => {});
    });
    // the coordinator issues machine credentials: the first tab of a machine here gets one, the others join with it
    const first = !machines.has(tab.machineId);
    let release = () => {};
    if (first) machines.set(tab.machineId, new Promise<Credential>((resolve) => (release = () => resolve(issued!))));
    let issued: Credential | null = null;
    const machine = first ? undefined : await machines.get(tab.machineId);
    const reply = await socket.timeout(30000).emitWithAck('hello', { machine, adapter: { vendor: 'bench' }, limits: {} });
    if (!reply.ok || !reply.assignment) throw new Error(`hello failed for ${tab.tabId}: ${JSON.stringify(reply)}`);
    issued = reply.credentials.machine;
    release();
    return { tab, socket, runId: reply.assignment.runId };
  }));
  send({ type: 'ready' });
}

async function round(s: number): Promise<void> {
  step = s;
  // in the first round only the leader reports, so it is the first copy measured and leads from then on
  await Promise.all(tabs.filter(({ tab }) => s > 1 || tab.leader).map(({ tab, socket, runId }) =>
    socket.timeout(30000).emitWithAck('report', { runId, step: s, lossEstimate: tab.loss })));
}

/** Raw TCP receivers: each socket stamps the moment its byte count crosses every multiple of `bytes` (one round). */
async function openRaw(port: number, count: number, bytes: number): Promise<void> {
  const rounds = new Map<number, number[]>();
  await Promise.all(Array.from({ length: count }, () => new Promise<void>((resolve, reject) => {
    let total = 0;
    const socket = connect(port, '127.0.0.1', () => resolve());
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      const before = Math.floor(total / bytes);
      total += chunk.byteLength;
      for (let r = before + 1; r <= Math.floor(total / bytes); r++) {
        const times = rounds.get(r) ?? [];
        times.push(now());
        rounds.set(r, times);
        if (times.length === count) send({ type: 'received', step: r, times });
      }
    });
  })));
  send({ type: 'ready' });
}

process.on('message', (m: ToChild) => {
  const fail = (err: Error) => {
    console.error(err);
    process.exit(1);
  };
  if (m.type === 'tabs') openTabs(m).catch(fail);
  else if (m.type === 'round') round(m.step).catch(fail);
  else openRaw(m.port, m.sockets, m.bytes).catch(fail);
});
process.on('disconnect', () => process.exit(0));
