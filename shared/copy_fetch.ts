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

/** The checked bytes of the copy, from `origin` ('' in a page: its own); `tab` names the asker for the traffic counters. */
export async function downloadCopy(origin: string, notice: CopyNotice, tab: string): Promise<Uint8Array<ArrayBuffer>> {
  const url = `${origin}${copyUrl(notice.runId, notice.version)}`;
  const res = await fetch(url, { headers: { 'X-Flock-Tab': tab } });
  if (!res.ok) throw new Error(`fetching ${url}: HTTP ${res.status} ${await res.text()}`);
  return checkCopy(notice, new Uint8Array(await res.arrayBuffer()));
}
