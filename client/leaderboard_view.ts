// The leaderboard's two tables (browsers and tabs by verified samples), filled from GET /api/leaderboard: on the
// volunteer page, which marks the visitor's own browser, and on the dashboard.
import type { Leaderboard } from '../shared/api_responses.ts';

function fill(table: HTMLElement, rows: { name: string; verifiedSamples: number; proofsPassed: number }[], mine: (name: string) => boolean): void {
  const body = table.querySelector('tbody')!;
  body.replaceChildren(...rows.map((r, i) => {
    const tr = document.createElement('tr');
    if (mine(r.name)) tr.className = 'mine';
    for (const text of [String(i + 1), r.name, r.verifiedSamples.toLocaleString(), String(r.proofsPassed)]) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.append(td);
    }
    return tr;
  }));
  if (rows.length === 0) {
    const tr = document.createElement('tr');
    const td = document.createElement('td');
    td.colSpan = 4;
    td.textContent = 'no verified work yet';
    tr.append(td);
    body.append(tr);
  }
}

export function showLeaderboard(board: Leaderboard, tables: { machines: HTMLElement; tabs: HTMLElement }, myMachine: string | null): void {
  fill(tables.machines, board.machines, (name) => name === myMachine);
  fill(tables.tabs, board.tabs, (name) => myMachine !== null && name.startsWith(`${myMachine} / `));
}
