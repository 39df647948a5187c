// The event log: joins, leaves, leader changes, rejected uploads, quarantines, newest first.
import type { RunEvent } from './api.ts';
import { byId, el } from './dom.ts';
import { clockTime } from './format.ts';

const BAD = new Set(['upload-rejected', 'quarantine', 'malformed', 'error']);
const LEADER = new Set(['local-leader', 'global-leader', 'global-candidate']);
const SHOWN = 300;

export class EventLog {
  private readonly list = byId('event-log');

  clear(): void {
    this.list.replaceChildren();
  }

  append(events: readonly RunEvent[]): void {
    for (const e of events) {
      const kindClass = BAD.has(e.kind) ? 'kind bad' : LEADER.has(e.kind) ? 'kind leader' : 'kind';
      this.list.prepend(
        el('li', { 'data-event': e.kind },
          el('time', { datetime: new Date(e.t).toISOString() }, clockTime(e.t)),
          el('span', { class: kindClass }, e.kind),
          el('span', {}, e.message),
        ),
      );
    }
    while (this.list.childElementCount > SHOWN) this.list.lastElementChild!.remove();
  }
}
