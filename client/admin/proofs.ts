// Proofs of work in the run on screen: per tab, the samples the coordinator verified by replaying its steps, and
// how many proofs it passed, failed (each quarantined it) and missed.
import type { ProofTally } from '../../shared/api_responses.ts';
import { byId, el } from './dom.ts';

export function renderProofs(tallies: readonly ProofTally[]): void {
  const sum = (key: 'verifiedSamples' | 'passed' | 'failed' | 'missed') => tallies.reduce((n, t) => n + t[key], 0);
  byId('proofs-summary').textContent = tallies.length === 0
    ? 'No proof asked for yet: tabs are asked at random after they commit to their state at a report.'
    : `${sum('passed')} passed, ${sum('failed')} failed, ${sum('missed')} missed by ${tallies.length} tabs; ${sum('verifiedSamples').toLocaleString()} samples verified.`;
  byId('proofs-table').querySelector('tbody')!.replaceChildren(...tallies.map((t) =>
    el('tr', { 'data-worker': t.workerId, ...(t.failed > 0 ? { class: 'bad' } : {}) },
      el('td', {}, t.workerId),
      el('td', {}, t.name),
      el('td', {}, t.verifiedSamples.toLocaleString()),
      el('td', {}, String(t.passed)),
      el('td', {}, String(t.failed)),
      el('td', {}, String(t.missed)),
    )));
}
