// Traffic: what Leader SGD moved per round and in total, next to what all-reduce would have moved
// (every worker sends and receives the whole model each round: 2 x workers x model bytes).
import type { RoundMetric } from './api.ts';
import { byId, el } from './dom.ts';
import { formatBytes } from './format.ts';

export interface RoundTraffic extends RoundMetric { workers: number; allReduceBytes: number }

/** Workers that reported during each round (between the previous round's close and this one's). */
export function roundTraffic(rounds: readonly RoundMetric[], reports: readonly { t: number; workerId: string }[], modelBytes: number): RoundTraffic[] {
  const sorted = [...reports].sort((a, b) => a.t - b.t);
  let previous = 0;
  let carried = 0;
  return rounds.map((r) => {
    const ids = new Set(sorted.filter((m) => m.t > previous && m.t <= r.t).map((m) => m.workerId));
    previous = r.t;
    // a round with no report in its window (closed by a timer) had the same workers as the one before
    carried = ids.size > 0 ? ids.size : carried;
    return { ...r, workers: carried, allReduceBytes: 2 * carried * modelBytes };
  });
}

const ROWS_SHOWN = 12;

export function renderTraffic(rounds: readonly RoundTraffic[]): void {
  const up = rounds.reduce((n, r) => n + r.bytesUp, 0);
  const down = rounds.reduce((n, r) => n + r.bytesDown, 0);
  const allReduce = rounds.reduce((n, r) => n + r.allReduceBytes, 0);
  const saving = allReduce > 0 ? ` (${((1 - (up + down) / allReduce) * 100).toFixed(0)}% less)` : '';
  byId('traffic-summary').textContent = rounds.length === 0
    ? 'No rounds yet.'
    : `${rounds.length} rounds: ${formatBytes(up)} up, ${formatBytes(down)} down, ${formatBytes(up + down)} in total; all-reduce would have moved ${formatBytes(allReduce)}${saving}.`;
  byId('traffic-table').querySelector('tbody')!.replaceChildren(
    ...rounds.slice(-ROWS_SHOWN).reverse().map((r) =>
      el('tr', { 'data-round': String(r.round) },
        el('td', {}, String(r.round)),
        el('td', {}, String(r.step)),
        el('td', {}, String(r.workers)),
        el('td', {}, `${formatBytes(r.bytesUp)} (${r.uploads})`),
        el('td', {}, `${formatBytes(r.bytesDown)} (${r.downloads})`),
        el('td', {}, formatBytes(r.allReduceBytes)),
      ),
    ),
  );
}
