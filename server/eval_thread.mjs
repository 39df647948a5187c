// Worker-thread entry: Node 20 does not pass the parent's tsx loader to worker threads, so register it here.
import { register } from 'tsx/esm/api';

register();
await import('./eval_worker.ts');
