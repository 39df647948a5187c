// The live view of one run: polls the REST API every 1.5 s (only what is new, through `since`), and renders
// the summary, the charts, the machines tree, the traffic, the event log and a text run's samples. Also runs the
// admin's actions.
import type { RunConfig, RunState, RunView } from '../../shared/run_config.ts';
import { resolveModel } from '../../shared/run_config.ts';
import { parameterLayout } from '../../shared/layout.ts';
import { modelSummary } from '../../shared/model_summary.ts';
import { isSequenceModel } from '../../shared/model.ts';
import { nextState, type RunAction } from '../../shared/run_control.ts';
import { ApiError, type Api, type EvalMetric, type Metrics, type RoundMetric, type WorkerView } from './api.ts';
import { paletteColor, TimeChart, type TimeSeries } from './charts.ts';
import { confirmAction } from './confirm.ts';
import { byId, el } from './dom.ts';
import { downloadModel, fetchManifest, saveManifest, type Manifest } from './download.ts';
import { EventLog } from './events.ts';
import { formatBytes, formatDuration, formatNumber, percent } from './format.ts';
import { formatCount, formatFlops } from './model_cost.ts';
import { renderMachines } from './machines.ts';
import { renderProofs } from './proofs.ts';
import { SamplesPanel } from './samples.ts';
import { showLeaderboard } from '../leaderboard_view.ts';
import { renderTraffic, roundTraffic } from './traffic.ts';

const POLL_MS = 1500;
/** Rows per series per poll (the API's default limit). */
const METRICS_PAGE = 2000;
const ACTIONS: RunAction[] = ['start', 'pause', 'resume', 'stop'];
/** The coordinator refuses to delete the active run (a paused run is still active). */
const DELETABLE: readonly RunState[] = ['created', 'stopped', 'finished'];

/** Everything fetched so far for the run on screen; metrics and events arrive incrementally. */
class RunData {
  metricsSince = 0;
  /** Newest time seen per series: a series cut short by the page limit comes again from `metricsSince`. */
  private readonly seen = { workers: 0, leaders: 0, eval: 0, rounds: 0 };
  eventsSince = 0;
  readonly workerLoss = new Map<string, [number, number][]>();
  readonly leaderLoss: [number, number][] = [];
  readonly evals: EvalMetric[] = [];
  /** By round number: the coordinator rewrites a round's row while it is open, so it can arrive more than once. */
  readonly rounds = new Map<number, RoundMetric>();
  readonly reports: { t: number; workerId: string }[] = [];
  readonly samplesPerSec = new Map<string, number>();

  add(m: Metrics): void {
    const fresh = <T extends { t: number }>(key: keyof RunData['seen'], rows: T[]): T[] => {
      const out = rows.filter((r) => r.t > this.seen[key]);
      this.seen[key] = Math.max(this.seen[key], ...rows.map((r) => r.t));
      return out;
    };
    const workers = fresh('workers', m.workers);
    const leaders = fresh('leaders', m.leaders);
    const evals = fresh('eval', m.eval);
    const rounds = fresh('rounds', m.rounds);
    for (const w of workers) {
      const points = this.workerLoss.get(w.workerId) ?? [];
      points.push([w.t, w.loss]);
      this.workerLoss.set(w.workerId, points);
      this.reports.push({ t: w.t, workerId: w.workerId });
      this.samplesPerSec.set(w.workerId, w.samplesPerSec);
    }
    for (const l of leaders) if (l.kind === 'global') this.leaderLoss.push([l.t, l.loss]);
    this.evals.push(...evals);
    for (const r of rounds) this.rounds.set(r.round, r);
    // the next page starts where the shortest full series ended, so no series skips rows
    const full = ([m.workers, m.leaders, m.eval, m.rounds] as { t: number }[][]).filter((rows) => rows.length >= METRICS_PAGE);
    this.metricsSince = full.length > 0 ? Math.min(...full.map((rows) => rows[rows.length - 1].t)) : Math.max(...Object.values(this.seen));
  }
}

export class RunViewPanel {
  private readonly view = byId('run-view');
  private readonly lossChart = new TimeChart(byId('loss-chart'), 'loss');
  private readonly accuracyChart = new TimeChart(byId('accuracy-chart'), 'test accuracy', [0, 1]);
  private readonly events = new EventLog();
  private readonly samples: SamplesPanel;
  private runId: number | null = null;
  private run: RunView | null = null;
  private data = new RunData();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private polling = false;
  private pollFailed = false;
  /** The last model downloaded for this run: the manifest button saves the one that describes it. */
  private downloaded: Manifest | null = null;

  constructor(private readonly api: Api, private readonly onChanged: () => void, private readonly onGone: () => void, private readonly notify: (message: string | null) => void) {
    this.samples = new SamplesPanel(api);
    this.view.addEventListener('click', (e) => {
      const button = (e.target as HTMLElement).closest<HTMLButtonElement>('button[data-action]');
      if (button) void this.act(button.dataset.action!);
    });
  }

  show(id: number): void {
    if (this.runId !== id) {
      this.runId = id;
      this.run = null;
      this.data = new RunData();
      this.lossChart.clear();
      this.accuracyChart.clear();
      this.events.clear();
      this.downloaded = null;
      this.samples.hide();
      byId('download-status').textContent = '';
    }
    this.view.hidden = false;
    void this.poll();
  }

  hide(): void {
    this.runId = null;
    this.view.hidden = true;
    clearTimeout(this.timer);
    this.samples.hide();
  }

  private async poll(): Promise<void> {
    clearTimeout(this.timer);
    if (this.runId === null || this.polling) return;
    this.polling = true;
    const id = this.runId;
    try {
      const [run, metrics, workers, events, proofs, board] = await Promise.all([
        this.api.run(id), this.api.metrics(id, this.data.metricsSince, METRICS_PAGE), this.api.workers(id), this.api.events(id, this.data.eventsSince),
        this.api.proofs(id), this.api.leaderboard(),
      ]);
      if (id !== this.runId) return;
      this.data.add(metrics);
      this.events.append(events);
      if (events.length > 0) this.data.eventsSince = events[events.length - 1].id;
      this.render(run, workers, metrics.now);
      renderProofs(proofs);
      showLeaderboard(board, { machines: byId('admin-board-machines'), tabs: byId('admin-board-tabs') }, null);
      if (this.pollFailed) this.notify(null);
      this.pollFailed = false;
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return this.onGone();
      this.pollFailed = true;
      this.notify(`Live view: ${(err as Error).message}`);
    } finally {
      this.polling = false;
      if (this.runId === id) this.timer = setTimeout(() => void this.poll(), POLL_MS);
    }
  }

  private render(run: RunView, workers: WorkerView[], now: number): void {
    const stateChanged = this.run?.state !== run.state;
    this.run = run;
    byId('run-title').textContent = `#${run.id} ${run.config.name}`;
    const state = byId('run-state');
    state.textContent = run.state;
    state.className = `state ${run.state}`;
    for (const action of ACTIONS) this.button(action).hidden = !nextState(run.state, action).ok;
    this.button('delete').hidden = !DELETABLE.includes(run.state);
    if (stateChanged) this.onChanged();

    const lastEval = this.data.evals.at(-1);
    const best = this.data.evals.reduce<EvalMetric | null>((b, e) => (!b || e.testAccuracy >= b.testAccuracy ? e : b), null);
    const leader = workers.find((w) => w.isGlobalLeader);
    const c = run.config;
    const spec = resolveModel(c.model);
    const text = isSequenceModel(spec);
    const items: [string, string, string][] = [
      ['state', 'Status', run.state],
      ['step', 'Step', String(run.step)],
      ['rounds', 'Rounds', String(run.rounds)],
      ['running', 'Running time', formatDuration(run.runningMs)],
      ['leader', 'Global leader', leader ? leader.workerId : '—'],
      ['leader-loss', 'Leader loss', formatNumber(this.data.leaderLoss.at(-1)?.[1])],
      ['accuracy', text ? 'Next-byte accuracy' : 'Test accuracy', percent(lastEval?.testAccuracy)],
      ['best-accuracy', text ? 'Best next-byte accuracy' : 'Best test accuracy', percent(best?.testAccuracy)],
      // a language model's loss per byte, in the unit text models are compared in
      ...(text ? [['bits-per-byte', 'Test bits per byte', formatNumber(lastEval && lastEval.testLoss / Math.LN2, 3)] as [string, string, string]] : []),
      ['model', 'Model', typeof c.model === 'string' ? c.model : c.model.name],
      ...modelCostItems(c),
      ['dataset', 'Dataset', c.dataset],
      ['algorithm', 'Algorithm', algorithmSummary(c)],
    ];
    byId('run-summary').replaceChildren(...items.map(([key, label, value]) => el('div', {}, el('dt', {}, label), el('dd', { 'data-summary': key }, value))));

    this.renderCharts();
    renderMachines(workers, this.data.samplesPerSec, now);
    this.samples.show(run.id, text);
    const modelBytes = parameterLayout(spec).length * 4;
    renderTraffic(roundTraffic([...this.data.rounds.values()].sort((a, b) => a.round - b.round), this.data.reports, modelBytes));
  }

  private renderCharts(): void {
    const workerSeries: TimeSeries[] = [...this.data.workerLoss.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([id, points], i) => ({ label: id, points, stroke: paletteColor(i) }));
    this.lossChart.update([...workerSeries, { label: 'global leader', points: this.data.leaderLoss, stroke: '#1d232b', width: 2.5 }]);
    this.accuracyChart.update([{ label: 'test accuracy', points: this.data.evals.map((e) => [e.t, e.testAccuracy]), stroke: '#b7791f', width: 2 }]);
  }

  private button(action: string): HTMLButtonElement {
    return this.view.querySelector<HTMLButtonElement>(`button[data-action="${action}"]`)!;
  }

  private async act(action: string): Promise<void> {
    const run = this.run;
    if (!run) return;
    const status = byId('download-status');
    try {
      if (action === 'download-model') {
        status.textContent = 'Preparing the download…';
        this.downloaded = await downloadModel(this.api, run.id);
        status.textContent = `Saved ${this.downloaded.weightsName}`;
        return;
      }
      if (action === 'download-manifest') {
        const manifest = this.downloaded ?? (await fetchManifest(this.api, run.id));
        saveManifest(manifest);
        status.textContent = `Saved ${manifest.name}`;
        return;
      }
      if (action === 'delete') {
        if (!(await confirmAction(`Delete run #${run.id} "${run.config.name}" with all its metrics and checkpoints? This cannot be undone.`))) return;
        await this.api.deleteRun(run.id);
        this.onGone();
        return;
      }
      if (!ACTIONS.includes(action as RunAction)) return;
      if (action === 'stop' && !(await confirmAction(`Stop run #${run.id} "${run.config.name}"? Tabs stop training and a stopped run cannot be resumed.`))) return;
      this.button(action).disabled = true;
      await this.api.act(run.id, action as RunAction);
      this.onChanged();
      await this.poll();
    } catch (err) {
      if (action.startsWith('download')) status.textContent = '';
      this.notify((err as Error).message);
    } finally {
      this.button(action).disabled = false;
    }
  }
}

/** The model's parameters, training FLOPs per sample and memory per tab, as the create form showed them. */
function modelCostItems(c: RunConfig): [string, string, string][] {
  const s = modelSummary(resolveModel(c.model), c.hyper.batch, c.hyper.optimizer ?? 'momentum');
  return [
    ['parameters', 'Parameters', formatCount(s.parameters)],
    ['flops', 'Training FLOPs per sample', formatFlops(s.flopsPerSample)],
    ['memory', 'Memory per tab', `≈ ${formatBytes(s.memoryPerTabBytes.total)}`],
  ];
}

/** The algorithm with the knobs it reads. */
function algorithmSummary(c: RunConfig): string {
  const h = c.hyper;
  if (c.algorithm === 'lsgd') return `lsgd, ${h.pull} pull (λL ${h.lambdaL}, λG ${h.lambdaG}, τ ${h.tau}${h.pull === 'periodic' ? `, τG ${h.tauG ?? h.tau}` : ''}), ${c.copyEncoding} copies`;
  if (c.algorithm === 'easgd') return `easgd (α ${h.alpha}, τ ${h.tau})`;
  if (c.algorithm === 'parle') return `parle (γ ${h.gamma}, ρ ${h.rho}, τ ${h.tau})`;
  if (c.algorithm === 'grawa') return `grawa (λ ${h.lambda}, τ ${h.tau})`;
  if (c.algorithm === 'sync-sgd') return `sync-sgd (${h.aggregate ?? 'mean'}${h.byzantine ? `, f ${h.byzantine}` : ''})`;
  return `${c.algorithm} (τ ${h.tau})`;
}
