// The machines -> tabs tree: who leads each machine, who leads globally, how fast each tab trains, who is out.
import type { WorkerView } from './api.ts';
import { byId, el } from './dom.ts';
import { ago, formatNumber } from './format.ts';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** "2 machines · 4 tabs · 2 local leaders · 1 global leader" (live tabs only). */
export function machinesSummary(workers: readonly WorkerView[]): string {
  const live = workers.filter((w) => w.connected !== false);
  const machines = new Set(live.map((w) => w.machineId)).size;
  const local = live.filter((w) => w.isLocalLeader).length;
  const global = live.filter((w) => w.isGlobalLeader).length;
  const quarantined = workers.filter((w) => w.quarantined).length;
  const parts = [plural(machines, 'machine'), plural(live.length, 'tab'), plural(local, 'local leader'), plural(global, 'global leader')];
  if (quarantined > 0) parts.push(`${quarantined} quarantined`);
  if (workers.length > live.length) parts.push(`${workers.length - live.length} gone`);
  return parts.join(' · ');
}

function tabItem(w: WorkerView, samplesPerSec: number | undefined, now: number): HTMLElement {
  const offline = w.connected === false;
  const badges = [
    w.isGlobalLeader ? el('span', { class: 'badge global', 'data-badge': 'global' }, 'global leader') : null,
    w.isLocalLeader ? el('span', { class: 'badge local', 'data-badge': 'local' }, 'local leader') : null,
    w.quarantined ? el('span', { class: 'badge quarantined', 'data-badge': 'quarantined' }, 'quarantined') : null,
    offline ? el('span', { class: 'badge offline', 'data-badge': 'offline' }, 'offline') : null,
  ].filter((b): b is HTMLElement => b !== null);
  const stats = [
    w.step === undefined ? null : `step ${w.step}`,
    w.loss === undefined ? null : `loss ${formatNumber(w.loss)}`,
    samplesPerSec === undefined ? null : `${Math.round(samplesPerSec)} samples/s`,
    `seen ${ago(w.lastSeen, now)}`,
  ].filter((s) => s !== null);
  return el('li', { 'data-worker': w.workerId, class: offline ? 'offline' : '' }, el('strong', {}, w.workerId), ...badges, el('span', { class: 'stats' }, stats.join(' · ')));
}

export function renderMachines(workers: readonly WorkerView[], samplesPerSec: ReadonlyMap<string, number>, now: number): void {
  byId('machines-summary').textContent = workers.length === 0 ? 'No tabs have joined yet.' : machinesSummary(workers);
  const byMachine = new Map<string, WorkerView[]>();
  for (const w of workers) byMachine.set(w.machineId, [...(byMachine.get(w.machineId) ?? []), w]);
  byId('machines-tree').replaceChildren(
    ...[...byMachine.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([machine, tabs]) =>
      el('li', { 'data-machine': machine },
        el('strong', {}, `machine ${machine}`),
        el('span', { class: 'muted' }, ` · ${plural(tabs.length, 'tab')}`),
        el('ul', {}, ...tabs.sort((a, b) => a.workerId.localeCompare(b.workerId)).map((w) => tabItem(w, samplesPerSec.get(w.workerId), now))),
      ),
    ),
  );
}
