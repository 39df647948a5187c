// Worker-thread entry for a TypeScript module (workerData.module, a URL): Node 20 does not pass the parent's tsx
// loader to worker threads, so register it here first.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.module);
