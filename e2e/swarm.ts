// Opens machines x tabs volunteer tabs in headless Chromium: one browser context per machine (so its tabs share
// localStorage and form one group), each tab pressing Start as a volunteer would.
import type { Browser, BrowserContext, Page } from 'playwright';
import { launchBrowser } from './browser.ts';

export interface SwarmTab {
  machine: number;
  tab: number;
  page: Page;
}

export interface Swarm {
  browser: Browser;
  contexts: BrowserContext[];
  tabs: SwarmTab[];
  close(): Promise<void>;
}

export interface TabState {
  status: string;
  /** Samples the coordinator verified for this tab (proofs of work). */
  verifiedSamples: number;
  samplesPerSec: number;
  loss: string;
  localLeader: boolean;
  globalLeader: boolean;
  /** What the tab's last report pulled toward, as the page says it. */
  following: string;
}

export async function openTab(context: BrowserContext, url: string, machine: number, tab: number): Promise<SwarmTab> {
  const page = await context.newPage();
  await page.goto(url);
  await page.click('#start');
  return { machine, tab, page };
}

export async function openSwarm(options: { url: string; machines: number; tabs: number; browser?: Browser; ownSignalHandling?: boolean }): Promise<Swarm> {
  const browser = options.browser ?? (await launchBrowser({ ownSignalHandling: options.ownSignalHandling }));
  const contexts: BrowserContext[] = [];
  const tabs: SwarmTab[] = [];
  for (let m = 0; m < options.machines; m++) {
    const context = await browser.newContext();
    contexts.push(context);
    for (let t = 0; t < options.tabs; t++) tabs.push(await openTab(context, options.url, m, t));
  }
  return {
    browser,
    contexts,
    tabs,
    close: async () => {
      for (const c of contexts) await c.close().catch(() => {});
      if (!options.browser) await browser.close();
    },
  };
}

// A string, not a function: the TypeScript loader would add helper calls that do not exist in the page.
const READ_TAB_STATE = `(() => {
  const text = (id) => document.getElementById(id)?.textContent ?? '';
  const number = (id) => Number(text(id).replace(/[^0-9.]/g, '')) || 0;
  return {
    status: text('status'),
    verifiedSamples: number('verified-tab'),
    samplesPerSec: number('samples-per-sec'),
    loss: text('loss'),
    localLeader: !document.getElementById('badge-local')?.hidden,
    globalLeader: !document.getElementById('badge-global')?.hidden,
    following: text('following'),
  };
})()`;

export function tabState(page: Page): Promise<TabState> {
  return page.evaluate(READ_TAB_STATE) as Promise<TabState>;
}

function parseArgs(argv: string[]): { url: string; machines: number; tabs: number } {
  const get = (name: string, fallback?: string) => {
    const i = argv.indexOf(`--${name}`);
    const v = i >= 0 ? argv[i + 1] : fallback;
    if (v === undefined) throw new Error(`missing --${name}`);
    return v;
  };
  const machines = Number(get('machines', '2'));
  const tabs = Number(get('tabs', '2'));
  if (!Number.isInteger(machines) || machines < 1 || !Number.isInteger(tabs) || tabs < 1) throw new Error('--machines and --tabs must be positive integers');
  return { url: get('url', 'http://localhost:8080/'), machines, tabs };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const swarm = await openSwarm({ ...args, ownSignalHandling: true });
  console.log(`opened ${args.machines} machines x ${args.tabs} tabs on ${args.url}; Ctrl-C to close them`);
  let closing = false;
  const shutdown = async () => {
    if (closing) return;
    closing = true;
    clearInterval(timer);
    await swarm.close();
    console.log('closed all tabs');
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  const timer = setInterval(async () => {
    const states = await Promise.all(swarm.tabs.map((t) => tabState(t.page).catch(() => null)));
    const live = states.filter((s): s is TabState => s !== null);
    const byStatus = new Map<string, number>();
    for (const s of live) byStatus.set(s.status, (byStatus.get(s.status) ?? 0) + 1);
    const statuses = [...byStatus].map(([status, n]) => `${n} ${status}`).join(', ') || 'no tabs';
    const rate = live.reduce((a, s) => a + s.samplesPerSec, 0);
    const samples = live.reduce((a, s) => a + s.verifiedSamples, 0);
    const leaders = swarm.tabs.map((t, i) => (states[i]?.globalLeader ? `G:m${t.machine}t${t.tab}` : states[i]?.localLeader ? `L:m${t.machine}t${t.tab}` : '')).filter(Boolean);
    console.log(`${new Date().toISOString()} ${statuses} · ${Math.round(rate)} samples/s · ${samples} verified samples · leaders ${leaders.join(' ') || '-'}`);
  }, 1000);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
