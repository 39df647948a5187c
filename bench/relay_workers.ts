// A child process of bench/relay.ts: hosts whole simulated machines (their tabs, socket.io-client) or raw TCP
// receivers, outside the coordinator's process, and reports receipt times to the parent over IPC. Times are epoch
// milliseconds from performance.timeOrigin + performance.now(), which every process on the machine shares.
import { get } from 'node:http';
import { connect } from 'node:net';
import { io, type Socket } from 'socket.io-client';
import { checkCopy } from '../shared/copy_fetch.ts';
import { decodeCopy } from '../shared/copy_encoding.ts';
import { initialParameters } from '../shared/init.ts';
import type { ModelSpec } from '../shared/model.ts';
import { WORKER_NAMESPACE, copyUrl, weightsToBytes, type ClientToServerEvents, type CopyNotice, type Credential, type ServerToClientEvents } from '../shared/protocol.ts';

/** A simulated tab; `machine` is a label of the bench (the coordinator issues the real machine credential). */
export interface Tab { machine: string; loss: number; leader: boolean }
export type ToChild =
  | { type: 'tabs'; url: string; tabs: Tab[]; spec: ModelSpec; seed: number }
  | { type: 'round'; step: number }
  | { type: 'raw'; port: number; sockets: number; bytes: number };
/** `received`: per follower, when it held the hash-checked, decoded copy (`times`) and when its notice arrived; per
 *  machine, when the tab that downloaded the copy held its checked bytes. Raw TCP receivers send only `times`. */
export type ToParent =
  | { type: 'ready' }
  | { type: 'sent'; step: number; t: number }
  | { type: 'received'; step: number; times: number[]; notices: number[]; machines: number[] };

const now = () => performance.timeOrigin + performance.now();
const send = (m: ToParent) => process.send!(m);

let tabs: { tab: Tab; socket: Socket<ServerToClientEvents, ClientToServerEvents>; runId: number }[] = [];
const receipts = new Map<number, { times: number[]; notices: number[]; machines: number[] }>();
/** The step of the current round: what the leader's upload carries. */
let step = 0;

function receiptsAt(step: number) {
  const r = receipts.get(step) ?? { times: [], notices: [], machines: [] };
  receipts.set(step, r);
  return r;
}

function received(step: number, expected: number, notice: number): void {
  const r = receiptsAt(step);
  r.times.push(now());
  r.notices.push(notice);
  if (r.times.length === expected) {
    receipts.delete(step);
    send({ type: 'received', step, ...r });
  }
}

/**
 * shared/copy_fetch.ts's downloadCopy over node:http instead of fetch: undici's fetch takes about twice as long to read
 * a 4 MB body over loopback here, a cost of the simulated tabs that would hide the coordinator's.
 */
function downloadCopy(origin: string, notice: CopyNotice, tabId: string): Promise<Uint8Array<ArrayBuffer>> {
  const url = `${origin}${copyUrl(notice.runId, notice.version)}`;
  return new Promise((resolve, reject) => {
    get(url, { headers: { 'X-Flock-Tab': tabId } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`fetching ${url}: HTTP ${res.statusCode}`));
      const body = new Uint8Array(notice.bytes);
      let at = 0;
      res.on('data', (chunk: Buffer) => {
        if (at + chunk.byteLength > body.byteLength) return res.destroy(new Error(`fetching ${url}: more than the ${notice.bytes} bytes its notice gave`));
        body.set(chunk, at);
        at += chunk.byteLength;
      });
      res.on('end', () => resolve(checkCopy(notice, body.subarray(0, at))));
      res.on('error', reject);
    }).on('error', reject);
  });
}

/**
 * A machine's shared copy, as a browser's Web Lock + Cache Storage make it (client/worker/machine_copies.ts): the
 * first of its tabs to get a notice downloads the copy, the others take those bytes instead of downloading again.
 */
class MachineCopy {
  private current: { version: number; bytes: Promise<Uint8Array<ArrayBuffer>> } | null = null;

  constructor(private readonly url: string) {}

  /** The copy's bytes, hash-checked for this tab (downloadCopy checks them for the tab that downloads). */
  async get(notice: CopyNotice, tabId: string): Promise<Uint8Array<ArrayBuffer>> {
    if (this.current?.version === notice.version) return checkCopy(notice, await this.current.bytes);
    const bytes = downloadCopy(this.url, notice, tabId).then((b) => {
      receiptsAt(notice.step).machines.push(now());
      return b;
    });
    this.current = { version: notice.version, bytes };
    return bytes;
  }
}

async function openTabs(m: Extract<ToChild, { type: 'tabs' }>): Promise<void> {
  const followers = m.tabs.filter((t) => !t.leader).length;
  // any tab may be asked first (the first report to arrive makes a challenger while there is no leader yet)
  const weights = initialParameters(m.spec, m.seed);
  const credentials = new Map<string, Promise<Credential>>();
  const copies = new Map<string, MachineCopy>();
  tabs = await Promise.all(m.tabs.map(async (tab) => {
    const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(`${m.url}${WORKER_NAMESPACE}`, { transports: ['websocket'], forceNew: true, reconnection: false });
    let tabId = '';
    const copy = copies.get(tab.machine) ?? new MachineCopy(m.url);
    copies.set(tab.machine, copy);
    socket.on('copyNotice', (notice) => {
      const at = now();
      copy.get(notice, tabId).then((bytes) => {
        decodeCopy(bytes, notice.encoding, weights.length);
        received(notice.step, followers, at);
      }, (e: Error) => {
        console.error(e);
        process.exit(1);
      });
    });
    socket.on('uploadRequest', (r) => {
      send({ type: 'sent', step, t: now() });
      // another copy each round (one weight moved by 1), or the coordinator would refuse it as a re-upload
      weights[0] += 1;
      socket.emit('upload', { runId: r.runId, requestId: r.requestId, step, lossEstimate: tab.loss }, weightsToBytes(weights), () => {});
    });
    // the coordinator issues machine credentials: the first tab of a machine here gets one, the others join with it
    const first = !credentials.has(tab.machine);
    let release = () => {};
    if (first) credentials.set(tab.machine, new Promise<Credential>((resolve) => (release = () => resolve(issued!))));
    let issued: Credential | null = null;
    const machine = first ? undefined : await credentials.get(tab.machine);
    const reply = await socket.timeout(30000).emitWithAck('hello', { machine, adapter: { vendor: 'bench' }, limits: {} });
    if (!reply.ok || !reply.assignment) throw new Error(`hello failed for a tab of ${tab.machine}: ${JSON.stringify(reply)}`);
    issued = reply.credentials.machine;
    tabId = reply.credentials.tab.id;
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
        if (times.length === count) send({ type: 'received', step: r, times, notices: [], machines: [] });
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
