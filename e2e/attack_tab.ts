// A tab as an attacker scripts it: a plain Socket.IO client on the worker namespace that says hello with whatever
// credentials it is handed, claims whatever loss it is told, answers upload requests with whatever the attack
// crafts, and keeps every message the coordinator sent it, since a leaked identity would show there.
import { createHash, randomBytes } from 'node:crypto';
import { io, type Socket } from 'socket.io-client';
import { decodeCopy } from '../shared/copy_encoding.ts';
import { downloadCopy } from '../shared/copy_fetch.ts';
import {
  WORKER_NAMESPACE, weightsToBytes,
  type Assignment, type ClientToServerEvents, type Commitment, type CopyNotice, type Credential, type HelloReply, type ReportReply, type Roles, type ServerToClientEvents, type UploadReply,
} from '../shared/protocol.ts';

/** A global copy it was told of and fetched: `bytes` are its f32 weights, `sha256` their hash. */
export interface ReceivedCopy { meta: CopyNotice; bytes: Uint8Array; sha256: string }
export interface AnsweredRequest { sha256: string; reply: UploadReply }

export const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** A secret of the right form that proves nothing. */
export const wrongSecret = () => randomBytes(32).toString('hex');

const isBinary = (x: unknown) => x instanceof ArrayBuffer || ArrayBuffer.isView(x);

/** Polls `check` every 50 ms; false when `timeoutMs` passed first. */
export async function waitUntil(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

export class AttackTab {
  readonly socket: Socket<ServerToClientEvents, ClientToServerEvents>;
  credentials: { machine: Credential; tab: Credential } | null = null;
  assignment: Assignment | null = null;
  /** Every roles message and report reply's roles, in order. */
  readonly roles: Roles[] = [];
  readonly copies: ReceivedCopy[] = [];
  /** Upload requests received, answered or not. */
  requests = 0;
  readonly answered: AnsweredRequest[] = [];
  /** Every message and reply from the coordinator as JSON, weights left out. */
  readonly seen: string[] = [];
  /** The weights to upload when asked; null ignores the request. */
  answer: (() => Uint8Array | null) | null = null;
  /** The loss this tab claims in reports and uploads. */
  claim = 10;
  step = 0;

  constructor(url: string) {
    this.socket = io(`${url}${WORKER_NAMESPACE}`, { transports: ['websocket'], forceNew: true, reconnection: false });
    this.socket.onAny((event: string, ...args: unknown[]) => this.seen.push(JSON.stringify([event, ...args.filter((a) => !isBinary(a))])));
    this.socket.on('assignment', (a) => (this.assignment = a));
    this.socket.on('roles', (r) => this.roles.push(r));
    this.socket.on('copyNotice', (meta) => {
      setImmediate(() => void downloadCopy(url, meta, this.tabId ?? '').then((encoded) => {
        const bytes = weightsToBytes(decodeCopy(encoded, meta.encoding, this.assignment!.paramLength).slice());
        this.copies.push({ meta, bytes, sha256: sha256(bytes) });
      }, (e: Error) => this.seen.push(JSON.stringify(['copy-fetch-failed', e.message]))));
    });
    this.socket.on('uploadRequest', ({ runId, requestId }) => {
      this.requests++;
      const bytes = this.answer?.();
      if (!bytes) return;
      const digest = sha256(bytes);
      this.socket.emit('upload', { runId, requestId, step: this.step, lossEstimate: this.claim }, bytes, (reply) => {
        this.seen.push(JSON.stringify(['upload-reply', reply]));
        this.answered.push({ sha256: digest, reply });
      });
    });
  }

  get tabId(): string | null {
    return this.credentials?.tab.id ?? null;
  }

  get machineId(): string | null {
    return this.credentials?.machine.id ?? null;
  }

  async hello(claimed: { machine?: Credential; tab?: Credential } = {}): Promise<HelloReply> {
    const reply = await this.socket.timeout(10_000).emitWithAck('hello', { ...claimed, adapter: { name: 'flock attack client' }, limits: {} });
    this.seen.push(JSON.stringify(['hello-reply', reply]));
    if (reply.ok) {
      this.credentials = reply.credentials;
      if (reply.assignment) this.assignment = reply.assignment;
      this.step = reply.assignment?.startStep ?? 0;
    }
    return reply;
  }

  /** Reports `step` (by default one more than the last) with the claimed loss, and a commitment when given. */
  async report(step = this.step + 1, commitment?: Commitment): Promise<ReportReply> {
    if (!this.assignment) throw new Error('report: this tab has no assignment (no run is running)');
    const reply = await this.socket.timeout(10_000).emitWithAck('report', { runId: this.assignment.runId, step, lossEstimate: this.claim, commitment });
    this.seen.push(JSON.stringify(['report-reply', reply]));
    if (reply.ok) {
      this.step = step;
      this.roles.push(reply.roles);
    }
    return reply;
  }

  /** The newest global copy received, if any. */
  latestGlobal(): ReceivedCopy | null {
    return this.copies.at(-1) ?? null;
  }

  get everGlobalLeader(): boolean {
    return this.roles.some((r) => r.isGlobalLeader);
  }

  get quarantined(): boolean {
    return this.roles.at(-1)?.quarantined ?? false;
  }

  close(): void {
    this.socket.disconnect();
  }
}
