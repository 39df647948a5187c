// npm run attack -- --url http://host:port/ [--token T] [--only a,b] [--churn N] [--wait S]: the attacks of e2e/attack_client.ts
// against a Flock server, one JSON line per attack on stdout, progress on stderr. Exit 0: every attack held;
// 1: one broke; 2: a usage error, nothing to attack (no running run and no token), or an attack that could not be
// carried out (nothing to work from).
import { ATTACKS, InconclusiveError, runAttacks, type AttackResult } from './attack_client.ts';
import { NoTargetError, resolveTarget, stopRun, type Target } from './attack_target.ts';

interface Args { url: string; token: string | null; only: string[] | undefined; churn: number; waitMs: number }

const USAGE = `usage: npm run attack -- --url http://host:port/ [--token <admin token>] [--only <attack,...>] [--churn <identities, 100>] [--wait <seconds, 60>]
attacks: ${Object.keys(ATTACKS).join(', ')}`;

function parseArgs(argv: string[]): Args {
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const url = get('url');
  if (!url) throw new Error(`missing --url\n${USAGE}`);
  const churn = Number(get('churn') ?? 100);
  const wait = Number(get('wait') ?? 60);
  if (!Number.isInteger(churn) || churn < 1 || !(wait > 0)) throw new Error(`--churn must be a positive integer and --wait a positive number of seconds\n${USAGE}`);
  const only = get('only')?.split(',');
  const unknown = (only ?? []).filter((name) => !(name in ATTACKS));
  if (unknown.length > 0) throw new Error(`unknown attack ${unknown.join(', ')}\n${USAGE}`);
  return { url: url.replace(/\/+$/, ''), token: get('token') ?? null, only, churn, waitMs: wait * 1000 };
}

const log = (line: string) => process.stderr.write(`attack: ${line}\n`);

async function main(): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    log((err as Error).message);
    return 2;
  }
  let target: Target;
  try {
    target = await resolveTarget(args.url, args.token);
  } catch (err) {
    if (!(err instanceof NoTargetError)) throw err;
    log(err.message);
    return 2;
  }
  log(target.own
    ? `created and started run ${target.runId} (stopped when done); the copy attacks need tabs training it: open ${args.url}/ in a few browsers or run npm run swarm -- --url ${args.url}/`
    : `attacking run ${target.runId}`);
  const results: AttackResult[] = [];
  let inconclusive: string[] = [];
  try {
    ({ inconclusive } = await runAttacks(target, { churn: args.churn, waitMs: args.waitMs, only: args.only, log }, (r) => {
      results.push(r);
      console.log(JSON.stringify(r));
    }));
  } catch (err) {
    if (!(err instanceof InconclusiveError)) throw err;
    inconclusive = [err.message];
  } finally {
    if (target.own && target.token) await stopRun({ ...target, token: target.token });
  }
  for (const line of inconclusive) log(`not carried out: ${line}`);
  if (results.some((r) => r.outcome === 'broken')) return 1;
  return inconclusive.length > 0 ? 2 : 0;
}

process.exit(await main());
