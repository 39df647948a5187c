// Builds the client and serves it with the datasets on a free loopback port: the engine on its own,
// for engine tests and benchmarks that need no coordinator.
import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';
import { build } from 'vite';
import { isDatasetName, loadDataset } from '../server/datasets/catalog.ts';
import { encodeDataset } from '../shared/dataset.ts';

const root = resolve(import.meta.dirname, '..');
const dist = join(root, 'dist');
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm' };

export async function buildClient(): Promise<void> {
  await build({ configFile: join(root, 'vite.config.ts'), logLevel: 'warn' });
}

export interface EngineServer {
  url: string;
  close(): Promise<void>;
}

export async function serveEngine(): Promise<EngineServer> {
  const blobs = new Map<string, Uint8Array>();
  const server: Server = createServer(async (req, res) => {
    try {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
      const data = path.match(/^\/api\/datasets\/([a-z-]+)\/data\.bin$/);
      if (data) {
        if (!isDatasetName(data[1])) throw new Error(`no dataset ${data[1]}`);
        let blob = blobs.get(data[1]);
        if (!blob) blobs.set(data[1], (blob = encodeDataset(await loadDataset(data[1]))));
        res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(blob);
        return;
      }
      const file = normalize(join(dist, path === '/' ? 'engine.html' : path));
      if (!file.startsWith(dist)) throw new Error('outside dist');
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch (e) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(String(e));
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return {
    url: `http://localhost:${address.port}`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
