// What a simulated run reports: one JSON line (the fields bench:compare's lines have, in virtual time), a markdown
// table of all of them, and accuracy curves against virtual time as SVG.
import { lineChartsSvg, type Panel, type Series } from '../plot_svg.ts';
import type { CurvePoint, RunResult } from './simulation.ts';

export interface Row {
  algorithm: string;
  workers: number;
  setting: string;
  target: number;
  virtual_seconds_to_target: number | null;
  final_test_acc: number;
  coordinator_bytes: number;
  bytes_per_worker: number;
  best_test_acc: number;
  virtual_seconds: number;
  steps_total: number;
  bytes_per_worker_max: number;
  [stat: string]: number | string | null;
}

const round = (v: number, digits: number) => Number(v.toFixed(digits));

export function secondsToTarget(curve: readonly CurvePoint[], target: number): number | null {
  return curve.find((p) => p.accuracy >= target)?.seconds ?? null;
}

export function rowOf(meta: { algorithm: string; workers: number; setting: string; target: number }, r: RunResult): Row {
  const reached = secondsToTarget(r.curve, meta.target);
  return {
    ...meta,
    virtual_seconds_to_target: reached === null ? null : round(reached, 3),
    final_test_acc: round(r.curve[r.curve.length - 1].accuracy, 4),
    coordinator_bytes: r.coordinatorBytes,
    bytes_per_worker: Math.round(r.coordinatorBytes / r.workerBytes.length),
    best_test_acc: round(Math.max(...r.curve.map((p) => p.accuracy)), 4),
    virtual_seconds: round(r.seconds, 3),
    steps_total: r.steps,
    bytes_per_worker_max: Math.max(...r.workerBytes),
    ...r.stats,
  };
}

const mb = (bytes: number) => (bytes / 1e6).toFixed(bytes >= 1e8 ? 0 : 1);

export function markdownTable(rows: readonly Row[]): string {
  const lines = [
    '| setting | workers | algorithm | s to target | final acc | best acc | coordinator MB | MB per worker | steps | virtual s |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.setting} | ${r.workers} | ${r.algorithm} | ${r.virtual_seconds_to_target ?? `never (${r.target})`} | ${r.final_test_acc} | ${r.best_test_acc} | ${mb(r.coordinator_bytes)} | ${mb(r.bytes_per_worker)} | ${r.steps_total} | ${r.virtual_seconds} |`),
  ];
  return `${lines.join('\n')}\n`;
}

/** The colours plot_svg.ts cycles through: a panel holds at most this many lines, so that no two share one. */
const LINES_PER_PANEL = 6;

/** Panels per (setting, workers): test accuracy against virtual seconds (log axis: runs differ 100-fold in length). */
export function curvesSvg(runs: readonly { row: Row; curve: readonly CurvePoint[] }[]): string {
  const groups = new Map<string, Series[]>();
  for (const { row, curve } of runs) {
    const title = `${row.setting}, ${row.workers} workers`;
    groups.set(title, [...(groups.get(title) ?? []), { label: row.algorithm, points: curve.map((p) => ({ x: p.seconds, y: p.accuracy })) }]);
  }
  const panels: Panel[] = [];
  for (const [title, series] of groups) {
    for (let i = 0; i < series.length; i += LINES_PER_PANEL) {
      const part = series.length > LINES_PER_PANEL ? ` (${i / LINES_PER_PANEL + 1})` : '';
      panels.push({ title: `${title}${part}`, xLabel: 'virtual seconds (log)', yLabel: 'test accuracy', logX: true, series: series.slice(i, i + LINES_PER_PANEL) });
    }
  }
  return lineChartsSvg(panels);
}
