// Leader copies shared by the tabs of one machine (one browser profile), so the coordinator sends each copy once
// per machine at most:
// - local copies never leave the browser: the local leader posts the state it committed at each report on a
//   BroadcastChannel, and its machine's other tabs take it from there (the coordinator never sees it);
// - a global copy is fetched from its immutable URL by one tab at a time (a Web Lock per copy), which stores it in
//   Cache Storage: the machine's other tabs find it there instead of downloading it again. Every tab checks the
//   SHA-256 the notice gave before using the bytes, wherever they came from.
/// <reference lib="webworker" />
import { checkCopy, downloadCopy } from '../../shared/copy_fetch.ts';
import { copyUrl, type CopyNotice, type LocalCopyRef } from '../../shared/protocol.ts';
import type { TrainerState } from '../engine/trainer.ts';

export interface LocalCopy {
  ref: LocalCopyRef;
  state: TrainerState;
}

type ChannelMessage = { type: 'local'; copy: LocalCopy } | { type: 'want' };

const CACHE_NAME = 'flock-copies';
/** Global copies kept in Cache Storage per run: older ones are deleted as newer arrive. */
const CACHED_VERSIONS = 4;

export class MachineCopies {
  private readonly channel: BroadcastChannel;
  /** The last local copy this tab shared, for a tab that joins the machine later and asks. */
  private shared: LocalCopy | null = null;

  constructor(private readonly runId: number, private readonly tabId: string, onLocal: (copy: LocalCopy) => void) {
    this.channel = new BroadcastChannel(`flock-local-copies-${runId}`);
    this.channel.onmessage = (e: MessageEvent<ChannelMessage>) => {
      if (e.data.type === 'local') onLocal(e.data.copy);
      else if (this.shared) this.channel.postMessage({ type: 'local', copy: this.shared } satisfies ChannelMessage);
    };
    this.channel.postMessage({ type: 'want' } satisfies ChannelMessage);
  }

  /** The local leader: offers the state it just committed to its machine's other tabs. */
  shareLocal(copy: LocalCopy): void {
    this.shared = copy;
    this.channel.postMessage({ type: 'local', copy } satisfies ChannelMessage);
  }

  /** The bytes of the global copy a notice names, checked against its hash. */
  async fetchGlobal(notice: CopyNotice): Promise<Uint8Array<ArrayBuffer>> {
    const url = copyUrl(notice.runId, notice.version);
    const scope = self as unknown as WorkerGlobalScope;
    // without them (not a secure context) each tab downloads its own, and only the HTTP cache may help
    if (!scope.caches || !scope.navigator.locks) return downloadCopy('', notice, this.tabId);
    return scope.navigator.locks.request(`flock-copy ${url}`, async () => {
      const cache = await scope.caches.open(CACHE_NAME);
      const hit = await cache.match(url);
      if (hit) return checkCopy(notice, new Uint8Array(await hit.arrayBuffer()));
      const bytes = await downloadCopy('', notice, this.tabId);
      await cache.put(url, new Response(bytes, { headers: { 'Content-Type': 'application/octet-stream' } }));
      await this.evict(cache, notice);
      return bytes;
    });
  }

  close(): void {
    this.channel.close();
  }

  /** Deletes the cached copies of other runs and those older than the last few of this one. */
  private async evict(cache: Cache, newest: CopyNotice): Promise<void> {
    for (const request of await cache.keys()) {
      const m = /\/api\/runs\/(\d+)\/copies\/(\d+)$/.exec(new URL(request.url).pathname);
      if (!m || Number(m[1]) !== this.runId || Number(m[2]) <= newest.version - CACHED_VERSIONS) await cache.delete(request);
    }
  }
}
