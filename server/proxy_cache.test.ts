import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyUrl } from '../shared/protocol.ts';
import { nginxSite, README_SITE } from './nginx_config.ts';
import { api, createAndStart, startTestFlock, TestWorker, until } from './test_support.ts';

const NGINX = '/usr/sbin/nginx';

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** nginx serving nginxSite in front of `upstream`, everything it writes in a temp dir, its access log naming each request's cache status. */
async function startNginx(upstream: string): Promise<{ url: string; accessLog: string; process: ChildProcess }> {
  const dir = mkdtempSync(join(tmpdir(), 'flock-nginx-'));
  // started as root, nginx's workers run as nobody, and they write the cache below this dir
  chmodSync(dir, 0o755);
  const port = await freePort();
  const accessLog = join(dir, 'access.log');
  const temp = (name: string) => join(dir, name);
  writeFileSync(join(dir, 'nginx.conf'), `pid ${temp('nginx.pid')};
error_log ${temp('error.log')};
events {}
http {
    log_format cache '$request_uri $status $upstream_cache_status';
    access_log ${accessLog} cache;
    client_body_temp_path ${temp('body')};
    proxy_temp_path ${temp('proxy')};
    fastcgi_temp_path ${temp('fastcgi')};
    uwsgi_temp_path ${temp('uwsgi')};
    scgi_temp_path ${temp('scgi')};
${nginxSite({ listen: `127.0.0.1:${port}`, upstream, cacheDir: temp('cache') })}
}
`);
  const child = spawn(NGINX, ['-p', dir, '-e', temp('error.log'), '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const url = `http://127.0.0.1:${port}`;
  for (const end = Date.now() + 10_000; ; await new Promise((r) => setTimeout(r, 50))) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}: ${stderr}${readFileSync(temp('error.log'), 'utf8')}`);
    if (Date.now() > end) throw new Error(`nginx did not answer on ${url} within 10 s: ${stderr}`);
    if (await fetch(url).then(() => true, () => false)) return { url, accessLog, process: child };
  }
}

async function stopNginx(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** The cache statuses nginx logged for `path`, oldest first, as "status cacheStatus". */
function logged(accessLog: string, path: string): string[] {
  return readFileSync(accessLog, 'utf8').split('\n').filter((l) => l.startsWith(`${path} `)).map((l) => l.slice(path.length + 1));
}

test('the README shows the nginx site this test runs', () => {
  assert.ok(readFileSync(new URL('../README.md', import.meta.url), 'utf8').includes(nginxSite(README_SITE)), 'README.md must show nginxSite(README_SITE) verbatim');
});

test('behind nginx: tabs train over the proxied WebSocket, a copy leaves Flock once and is then served from the cache, a 404 is never cached', async () => {
  assert.ok(existsSync(NGINX), `${NGINX} not found: this test runs a real nginx; install it with \`apt-get install -y nginx\` (or \`npm run setup\`)`);
  // scripted tabs send no heartbeats: a stall of a loaded machine past the default 1 s would lapse the leader's upload
  const flock = await startTestFlock({ heartbeatTimeoutMs: 30_000 });
  let nginx: ChildProcess | undefined;
  try {
    const proxy = await startNginx(flock.url);
    nginx = proxy.process;
    const runId = await createAndStart(flock);
    const path = copyUrl(runId, 1);

    // before the run has a copy its URL answers 404; the proxy must not keep that, since the same URL serves the copy later
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${proxy.url}${path}`);
      assert.equal(res.status, 404);
      assert.notEqual(res.headers.get('x-cache-status'), 'HIT');
      await res.arrayBuffer();
    }

    // both tabs reach Flock only through nginx: hello, reports and the leader's upload over the WebSocket, the follower's copy over HTTP
    const a1 = new TestWorker(proxy.url, 'A', 'a1');
    const b1 = new TestWorker(proxy.url, 'B', 'b1');
    for (const w of [a1, b1]) assert.equal((await w.hello()).ok, true);
    await a1.report(5, 0.5);
    await b1.report(5, 1.0);
    await until('b1 fetched the global copy through nginx', () => b1.copies.length > 0 || b1.errors.length > 0, 10_000);
    assert.deepEqual(b1.errors, []);
    assert.ok(a1.uploads.length === 1 && a1.uploads[0].ok);
    const notice = b1.copies[0];
    assert.equal(notice.version, 1);
    assert.equal(b1.lastCopy!.length, b1.assignment!.paramLength);

    const bodies: Buffer[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${proxy.url}${path}`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('x-cache-status'), 'HIT');
      assert.equal(res.headers.get('etag'), `"sha256-${notice.sha256}"`);
      bodies.push(Buffer.from(await res.arrayBuffer()));
    }
    for (const body of bodies) {
      assert.equal(createHash('sha256').update(body).digest('hex'), notice.sha256);
      assert.ok(body.equals(bodies[0]));
    }

    // nginx went to Flock for both 404s and for b1's fetch, never again
    await until('nginx logged every request', () => logged(proxy.accessLog, path).length === 6);
    assert.deepEqual(logged(proxy.accessLog, path), ['404 MISS', '404 MISS', '200 MISS', '200 HIT', '200 HIT', '200 HIT']);
    const { rounds } = (await api(flock, 'GET', `/api/runs/${runId}/metrics`)).body as { rounds: { bytesDown: number; downloads: number }[] };
    assert.equal(rounds.reduce((n, r) => n + r.downloads, 0), 1);
    assert.equal(rounds.reduce((n, r) => n + r.bytesDown, 0), notice.bytes);

    a1.close();
    b1.close();
  } finally {
    if (nginx) await stopNginx(nginx);
    await flock.close();
  }
});
