// The Samples panel of a text run's view: the text its global copy writes (server/text_samples.ts), polled every
// SAMPLES_POLL_MS while the view is open. Model output is shown as text nodes only, never parsed as HTML.
import type { TextSample } from '../../shared/api_responses.ts';
import { ApiError, type Api } from './api.ts';
import { byId } from './dom.ts';
import { clockTime } from './format.ts';

/** The server makes a sample at most every 20 s: polling twice as often shows each soon after it is made. */
const SAMPLES_POLL_MS = 10_000;

export class SamplesPanel {
  private readonly panel = byId('samples');
  private runId: number | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly api: Api) {}

  /** Shows and polls the panel for a text run (a sequence model's); hides it for any other. */
  show(runId: number, text: boolean): void {
    if (text && this.runId === runId) return;
    this.hide();
    if (!text) return;
    this.runId = runId;
    renderSamples([]);
    this.panel.hidden = false;
    void this.poll();
  }

  hide(): void {
    this.runId = null;
    this.panel.hidden = true;
    clearTimeout(this.timer);
  }

  private async poll(): Promise<void> {
    const id = this.runId;
    if (id === null) return;
    try {
      const samples = await this.api.samples(id);
      if (id === this.runId) renderSamples(samples);
    } catch (err) {
      // the run was deleted: the run view notices and closes
      if (err instanceof ApiError && err.status === 404) return;
      if (id === this.runId) byId('sample-meta').textContent = `Samples: ${(err as Error).message}`;
    }
    if (id === this.runId) this.timer = setTimeout(() => void this.poll(), SAMPLES_POLL_MS);
  }
}

function renderSamples(samples: readonly TextSample[]): void {
  const latest = samples.at(-1);
  byId('sample-meta').textContent = latest
    ? `Global copy v${latest.version}, step ${latest.step}, sampled at ${clockTime(latest.t)}`
    : 'No sample yet: the first global copy is sampled once the server has measured it.';
  byId('sample-prompt').textContent = visible(latest?.prompt ?? '');
  byId('sample-text').textContent = visible(latest?.text ?? '');
}

/** Control characters (an untrained model writes many) as their Unicode pictures, ␀ to ␟ and ␡; newlines and
 *  tabs stay as they are. */
function visible(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, (c) => String.fromCharCode(c === '\u007f' ? 0x2421 : 0x2400 + c.charCodeAt(0)));
}
