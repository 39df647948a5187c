// Which admin action is allowed in which run state: a plain table, so the REST layer and the tests agree.
import type { RunState } from './run_config.ts';

export type RunAction = 'start' | 'pause' | 'resume' | 'stop';

const TRANSITIONS: Record<RunAction, { from: readonly RunState[]; to: RunState }> = {
  start: { from: ['created'], to: 'running' },
  pause: { from: ['running'], to: 'paused' },
  resume: { from: ['paused'], to: 'running' },
  stop: { from: ['created', 'running', 'paused'], to: 'stopped' },
};

/** The state after `action`, or an error naming what is allowed. */
export function nextState(state: RunState, action: RunAction): { ok: true; state: RunState } | { ok: false; error: string } {
  const t = TRANSITIONS[action];
  if (t.from.includes(state)) return { ok: true, state: t.to };
  return { ok: false, error: `cannot ${action} a run that is ${state} (only a run that is ${t.from.join(' or ')})` };
}
