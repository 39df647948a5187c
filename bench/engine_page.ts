// Drives the engine page in headless Chromium and collects what it logs.
import type { Page } from 'playwright';

export async function runEnginePage(page: Page, url: string, timeoutMs: number): Promise<Record<string, unknown>[]> {
  await page.goto(url);
  await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.state ?? ''), undefined, { timeout: timeoutMs, polling: 500 });
  const error = await page.locator('#error').textContent();
  if ((await page.evaluate(() => document.body.dataset.state)) === 'error') throw new Error(`engine page failed: ${error}`);
  const log = (await page.locator('#log').textContent()) ?? '';
  return log
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

export const round = (x: number, digits = 2) => Number(x.toFixed(digits));
