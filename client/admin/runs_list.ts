// The runs table: one row per run with its status; clicking a row opens the run's live view.
import type { RunView } from '../../shared/run_config.ts';
import { byId, el } from './dom.ts';

export class RunsList {
  private readonly body = byId('runs-table').querySelector('tbody')!;
  private selected: number | null = null;

  constructor(private readonly onSelect: (id: number) => void) {
    this.body.addEventListener('click', (e) => {
      const row = (e.target as HTMLElement).closest<HTMLElement>('tr[data-run-id]');
      if (row) this.onSelect(Number(row.dataset.runId));
    });
  }

  select(id: number | null): void {
    this.selected = id;
    for (const row of this.body.querySelectorAll<HTMLElement>('tr[data-run-id]')) row.setAttribute('aria-selected', String(Number(row.dataset.runId) === id));
  }

  render(runs: RunView[]): void {
    byId('runs-empty').hidden = runs.length > 0;
    this.body.replaceChildren(
      ...[...runs].reverse().map((r) =>
        el('tr', { 'data-run-id': String(r.id), 'aria-selected': String(r.id === this.selected) },
          el('td', {}, String(r.id)),
          el('td', { 'data-testid': 'run-name' }, r.config.name),
          el('td', {}, el('span', { class: `state ${r.state}`, 'data-testid': 'run-state' }, r.state)),
          el('td', {}, String(r.step)),
        ),
      ),
    );
  }
}
