// A child process of bench/control.ts: hosts many simulated tabs (socket.io-client), each reporting once a second
// and heart-beating, outside the coordinator's process. It times each report from emit to ack and sends the times
// of the measure window to the parent.
import { io, type Socket } from 'socket.io-client';
import { initialParameters } from '../shared/init.ts';
import type { ModelSpec } from '../shared/model.ts';
import { WORKER_NAMESPACE, weightsToBytes, type ClientToServerEvents, type Credential, type ServerToClientEvents } from '../shared/protocol.ts';

export interface Tab { machineId: string; tabId: string }
export type ToChild =
  | { type: 'tabs'; url: string; tabs: Tab[]; spec: ModelSpec; seed: number; rampMs: number; tau: number }
  | { type: 'measure' }
  | { type: 'stop' };
export type ToParent =
  | { type: 'ready'; failed: number }
  | { type: 'measured'; latencies: number[]; refused: number; timedOut: number; roles: number; cpuMs: number };

type TabSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

const ACK_TIMEOUT_MS = 10000;
const send = (m: ToParent) => process.send!(m);

let measuring = false;
let latencies: number[] = [];
let refused = 0;
let timedOut = 0;
let roles = 0;
let cpuAtStart = process.cpuUsage();
const timers: NodeJS.Timeout[] = [];

/** One tab: hello, then a report every second (step += tau, a noisy falling loss) and a heartbeat every heartbeatMs. */
async function openTab(m: Extract<ToChild, { type: 'tabs' }>, tab: Tab, machine: Credential | undefined, weights: Float32Array): Promise<Credential> {
  const socket: TabSocket = io(`${m.url}${WORKER_NAMESPACE}`, { transports: ['websocket'], forceNew: true, reconnection: false, timeout: 60000 });
  let step = 0;
  const loss = () => 2 * Math.exp(-step / 5000) * (1 + 0.1 * Math.random());
  socket.on('roles', () => {
    if (measuring) roles++;
  });
  // a challenger or leader asked for its copy answers at once (another copy each time, or it is a re-upload)
  socket.on('uploadRequest', (r) => {
    weights[0] += 1;
    socket.emit('upload', { runId: r.runId, requestId: r.requestId, step, lossEstimate: loss() }, weightsToBytes(weights), () => {});
  });
  const reply = await socket.timeout(60000).emitWithAck('hello', { machine, adapter: { vendor: 'bench' }, limits: {} });
  if (!reply.ok || !reply.assignment) throw new Error(`hello failed for ${tab.tabId}: ${JSON.stringify(reply)}`);
  const { runId, heartbeatMs } = reply.assignment;
  step = reply.assignment.startStep;
  const report = () => {
    step += m.tau;
    const t0 = performance.now();
    const timing = measuring;
    socket.timeout(ACK_TIMEOUT_MS).emit('report', { runId, step, lossEstimate: loss() }, (err, r) => {
      if (!timing || !measuring) return;
      if (err) timedOut++;
      else if (!r.ok) refused++;
      else latencies.push(performance.now() - t0);
    });
  };
  // a random phase each, so the reports spread evenly over the second
  timers.push(setTimeout(() => timers.push(setInterval(report, 1000)), Math.random() * 1000));
  timers.push(setTimeout(() => timers.push(setInterval(() => socket.emit('heartbeat', { runId, step }), heartbeatMs)), Math.random() * heartbeatMs));
  return reply.credentials.machine;
}

async function openTabs(m: Extract<ToChild, { type: 'tabs' }>): Promise<void> {
  const weights = initialParameters(m.spec, m.seed);
  const machines = new Map<string, Promise<Credential>>();
  let failed = 0;
  const gap = m.rampMs / m.tabs.length;
  await Promise.all(m.tabs.map(async (tab, i) => {
    // ramped, so the connect storm does not dominate the first seconds
    await new Promise((r) => setTimeout(r, i * gap));
    // the first tab of a machine is issued its credential; the others join with it
    const first = machines.get(tab.machineId);
    const opened = (async () => openTab(m, tab, first ? await first : undefined, weights))();
    if (!first) machines.set(tab.machineId, opened);
    await opened.catch((err) => {
      failed++;
      console.error((err as Error).message);
    });
  }));
  send({ type: 'ready', failed });
}

process.on('message', (m: ToChild) => {
  if (m.type === 'tabs') openTabs(m).catch((err) => {
    console.error(err);
    process.exit(1);
  });
  else if (m.type === 'measure') {
    measuring = true;
    latencies = [];
    cpuAtStart = process.cpuUsage();
  } else {
    measuring = false;
    const cpu = process.cpuUsage(cpuAtStart);
    send({ type: 'measured', latencies, refused, timedOut, roles, cpuMs: (cpu.user + cpu.system) / 1000 });
  }
});
process.on('disconnect', () => {
  timers.forEach(clearTimeout);
  process.exit(0);
});
