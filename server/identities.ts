// Identities are issued, not claimed: the coordinator gives each tab and each machine group an id and a secret.
// Resuming a tab or joining a machine needs the secret; only hashes are kept, compared in constant time.
// Ids are random and never shown to other tabs, so a credential is known only to the tabs it was issued to.
// Identities that never trained expire quickly, the rest after a longer idle time, and each address may be issued
// only so many new tabs a minute, so a script cannot grow the coordinator's state without bound.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Credential } from '../shared/protocol.ts';

interface Issued { hash: Buffer; lastSeen: number }
interface TabIdentity extends Issued { machineId: string }

export type Admission =
  | { ok: true; tabId: string; machineId: string; credentials: { machine: Credential; tab: Credential } | null; resumed: boolean }
  | { ok: false; error: string; refused: 'credential' | 'rate' };

export interface IdentityLimits {
  /** New tab identities one address may be issued per minute. */
  perAddressPerMinute: number;
}

const hashOf = (secret: string) => createHash('sha256').update(secret).digest();

function issue(prefix: string): { id: string; secret: string; hash: Buffer } {
  const secret = randomBytes(32).toString('hex');
  return { id: `${prefix}-${randomBytes(9).toString('base64url')}`, secret, hash: hashOf(secret) };
}

function proves(issued: Issued | undefined, secret: string): boolean {
  return issued !== undefined && timingSafeEqual(issued.hash, hashOf(secret));
}

export class Identities {
  private readonly tabs = new Map<string, TabIdentity>();
  private readonly machines = new Map<string, Issued>();
  /** Address -> times it was issued a tab in the last minute. */
  private readonly issuedTo = new Map<string, number[]>();

  constructor(private readonly limits: IdentityLimits) {}

  /**
   * A hello's identity. A credential that names a known id must carry its secret, or the hello is refused (the
   * owner is untouched). A credential whose id the coordinator does not know (it expired, or the server restarted)
   * is taken up again as it is: ids are never shown to other tabs, so only their holder can name them, and the tabs
   * of one browser stay one machine group across a restart. `credentials` is non-null when something new was issued.
   */
  admit(hello: { machine?: Credential; tab?: Credential }, address: string, now: number): Admission {
    const knownMachine = hello.machine ? this.machines.get(hello.machine.id) : undefined;
    if (hello.machine && knownMachine && !proves(knownMachine, hello.machine.secret)) {
      return { ok: false, refused: 'credential', error: `wrong credential for machine ${hello.machine.id}` };
    }
    const knownTab = hello.tab ? this.tabs.get(hello.tab.id) : undefined;
    if (hello.tab && knownTab) {
      if (!proves(knownTab, hello.tab.secret)) return { ok: false, refused: 'credential', error: `wrong credential for tab ${hello.tab.id}` };
      if (!knownMachine || knownTab.machineId !== hello.machine!.id) return { ok: false, refused: 'credential', error: `tab ${hello.tab.id} belongs to another machine` };
      knownTab.lastSeen = knownMachine.lastSeen = now;
      return { ok: true, tabId: hello.tab.id, machineId: knownTab.machineId, credentials: null, resumed: true };
    }
    if (!this.mayIssue(address, now)) {
      return { ok: false, refused: 'rate', error: `too many new tabs from ${address}: at most ${this.limits.perAddressPerMinute} a minute, try again later` };
    }
    let machine: Credential;
    if (hello.machine) {
      machine = hello.machine;
      if (knownMachine) knownMachine.lastSeen = now;
      else this.machines.set(machine.id, { hash: hashOf(machine.secret), lastSeen: now });
    } else {
      const m = issue('m');
      this.machines.set(m.id, { hash: m.hash, lastSeen: now });
      machine = { id: m.id, secret: m.secret };
    }
    if (hello.tab && hello.machine) {
      this.tabs.set(hello.tab.id, { hash: hashOf(hello.tab.secret), lastSeen: now, machineId: machine.id });
      return { ok: true, tabId: hello.tab.id, machineId: machine.id, credentials: null, resumed: false };
    }
    const t = issue('t');
    this.tabs.set(t.id, { hash: t.hash, lastSeen: now, machineId: machine.id });
    return { ok: true, tabId: t.id, machineId: machine.id, credentials: { machine, tab: { id: t.id, secret: t.secret } }, resumed: false };
  }

  /** The tab (and its machine) is alive: its idle time starts again. */
  touch(tabId: string, now: number): void {
    const t = this.tabs.get(tabId);
    if (!t) return;
    t.lastSeen = now;
    const m = this.machines.get(t.machineId);
    if (m) m.lastSeen = now;
  }

  /** Forgets a tab; its machine goes when no tab of it is left and it has been idle as long. */
  forget(tabId: string): void {
    this.tabs.delete(tabId);
  }

  /** Drops machines without tabs idle since before `before`, and the rate windows that have passed. */
  sweep(now: number, before: number): void {
    const used = new Set([...this.tabs.values()].map((t) => t.machineId));
    for (const [id, m] of this.machines) if (!used.has(id) && m.lastSeen < before) this.machines.delete(id);
    for (const [address, times] of this.issuedTo) {
      const recent = times.filter((t) => now - t < 60_000);
      if (recent.length === 0) this.issuedTo.delete(address);
      else this.issuedTo.set(address, recent);
    }
  }

  get size(): { tabs: number; machines: number } {
    return { tabs: this.tabs.size, machines: this.machines.size };
  }

  private mayIssue(address: string, now: number): boolean {
    const recent = (this.issuedTo.get(address) ?? []).filter((t) => now - t < 60_000);
    if (recent.length >= this.limits.perAddressPerMinute) {
      this.issuedTo.set(address, recent);
      return false;
    }
    recent.push(now);
    this.issuedTo.set(address, recent);
    return true;
  }
}
