// Fetching a global copy a notice names, as every kind of tab does it (browser tabs, scripted test and attack
// tabs): from its immutable URL, and only trusted once its SHA-256 matches the notice's.
import { copyUrl, type CopyNotice } from './protocol.ts';

/** Throws unless `bytes` hash to the notice's SHA-256. */
export async function checkCopy(notice: CopyNotice, bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  const hex = Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
  if (hex !== notice.sha256) throw new Error(`copy ${notice.version}: its bytes hash to ${hex}, not the ${notice.sha256} its notice gave`);
  return bytes;
}

/** Attempts at a download that failed in the network or the server (5xx); a 4xx answer is final. */
const ATTEMPTS = 3;
const RETRY_MS = 250;

/** The checked bytes of the copy, from `origin` ('' in a page: its own); `tab` names the asker for the traffic counters.
 *  A lost connection or a server error is retried (a missed copy would leave the tab without one until the next). */
export async function downloadCopy(origin: string, notice: CopyNotice, tab: string): Promise<Uint8Array<ArrayBuffer>> {
  const url = `${origin}${copyUrl(notice.runId, notice.version)}`;
  for (let attempt = 1; ; attempt++) {
    let res: Response;
    try {
      res = await fetch(url, { headers: { 'X-Flock-Tab': tab } });
    } catch (err) {
      if (attempt >= ATTEMPTS) throw new Error(`fetching ${url}: ${(err as Error).message} (${attempt} attempts)`);
      await new Promise((r) => setTimeout(r, RETRY_MS * attempt));
      continue;
    }
    if (res.ok) return checkCopy(notice, new Uint8Array(await res.arrayBuffer()));
    const why = `fetching ${url}: HTTP ${res.status} ${await res.text()}`;
    if (res.status < 500 || attempt >= ATTEMPTS) throw new Error(why);
    await new Promise((r) => setTimeout(r, RETRY_MS * attempt));
  }
}
