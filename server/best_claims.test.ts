import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BestClaims } from './best_claims.ts';

/** The lowest (loss, id) among `claims` that passes, by a plain scan. */
function scanBest(claims: Map<string, number>, passes: (id: string) => boolean): string | null {
  let best: [string, number] | null = null;
  for (const [id, loss] of claims) {
    if (!passes(id)) continue;
    if (!best || loss < best[1] || (loss === best[1] && id < best[0])) best = [id, loss];
  }
  return best?.[0] ?? null;
}

test('the best claim that passes a test is the one a scan of every claim finds, over random updates', () => {
  let seed = 7;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const claims = new BestClaims();
  const truth = new Map<string, number>();
  for (let i = 0; i < 5000; i++) {
    const id = `w${Math.floor(random() * 60)}`;
    // few distinct losses, so ties (broken by id) happen often
    const loss = random() < 0.15 ? null : Math.floor(random() * 20) / 10;
    claims.set(id, loss);
    if (loss === null) truth.delete(id);
    else truth.set(id, loss);
    const excluded = new Set(Array.from({ length: 5 }, () => `w${Math.floor(random() * 60)}`));
    const passes = (w: string) => !excluded.has(w);
    assert.equal(claims.best((w, l) => passes(w) && truth.get(w) === l)?.workerId ?? null, scanBest(truth, passes), `after update ${i}`);
  }
});

test('retain forgets the claims of workers no longer kept', () => {
  const claims = new BestClaims();
  claims.set('a', 1);
  claims.set('b', 2);
  claims.retain((id) => id !== 'a');
  assert.equal(claims.best(() => true)?.workerId, 'b');
  claims.retain(() => false);
  assert.equal(claims.best(() => true), null);
});
