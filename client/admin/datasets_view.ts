// The datasets list: every dataset a run may use, built-in and uploaded, with its statistics; an upload no run
// uses can be deleted from here.
import type { DatasetSummary } from '../../shared/dataset_upload.ts';
import type { Api } from './api.ts';
import { confirmAction } from './confirm.ts';
import { byId, el } from './dom.ts';
import { formatBytes } from './format.ts';

const count = (n: number) => n.toLocaleString('en-US');

/** Samples per label as bars, the counts in the tooltip. */
function histogram(counts: number[]): HTMLElement {
  const max = Math.max(1, ...counts);
  const bars = counts.map((n) => el('i', { style: `height: ${(100 * n) / max}%` }));
  return el('span', { class: 'histogram', title: counts.map((n, label) => `${label}: ${count(n)}`).join(', ') }, ...bars);
}

function row(d: DatasetSummary, onDelete: (name: string) => void): HTMLTableRowElement {
  const name = el('td', { 'data-testid': 'dataset-name' }, d.name, ...(d.builtIn ? [' ', el('span', { class: 'badge offline' }, 'built in')] : []));
  if (!d.stats) return el('tr', { 'data-dataset': d.name, class: 'error' }, name, el('td', { colspan: '9' }, d.error ?? 'not available'));
  const s = d.stats;
  const remove = el('button', { type: 'button', class: 'danger', 'data-action': 'delete-dataset' }, 'Delete');
  remove.disabled = d.usedBy.length > 0;
  remove.title = d.usedBy.length > 0 ? 'runs use it: delete them first' : `delete ${d.name}`;
  remove.addEventListener('click', () => onDelete(d.name));
  return el('tr', { 'data-dataset': d.name },
    name,
    el('td', {}, s.kind),
    el('td', {}, `${s.sampleShape.height}x${s.sampleShape.width}x${s.sampleShape.channels}`),
    el('td', {}, String(s.classes)),
    el('td', { 'data-testid': 'dataset-samples' }, `${count(s.samples.train)} · ${count(s.samples.validation)} · ${count(s.samples.test)}`),
    el('td', {}, formatBytes(s.bytes)),
    el('td', {}, s.labelHistogram ? histogram(s.labelHistogram) : s.text ? `${count(s.text.bytes)} bytes, ${s.text.distinctBytes} distinct` : '—'),
    el('td', {}, d.createdAt === null ? '—' : new Date(d.createdAt).toLocaleString()),
    el('td', {}, d.usedBy.map((id) => `#${id}`).join(' ') || '—'),
    el('td', {}, ...(d.builtIn ? [] : [remove])),
  );
}

export class DatasetsView {
  private readonly view = byId('datasets-view');
  private readonly body = byId('datasets-table').querySelector('tbody')!;

  /** `onChange`: after a delete, so the run form's dataset choice follows. */
  constructor(private readonly api: Api, private readonly onChange: () => void) {}

  get shown(): boolean {
    return !this.view.hidden;
  }

  show(): void {
    this.view.hidden = false;
    void this.refresh();
  }

  hide(): void {
    this.view.hidden = true;
  }

  async refresh(): Promise<void> {
    const error = byId('datasets-error');
    try {
      const list = await this.api.datasets();
      this.body.replaceChildren(...list.map((d) => row(d, (name) => void this.remove(name))));
      error.textContent = '';
    } catch (err) {
      error.textContent = `Datasets: ${(err as Error).message}`;
    }
  }

  private async remove(name: string): Promise<void> {
    if (!(await confirmAction(`Delete the dataset "${name}"? Its files are removed; this cannot be undone.`))) return;
    try {
      await this.api.deleteDataset(name);
    } catch (err) {
      byId('datasets-error').textContent = (err as Error).message;
      return;
    }
    await this.refresh();
    this.onChange();
  }
}
