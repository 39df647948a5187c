// Lets Node (tests, benchmarks) import `*.wgsl?raw` the way Vite does in the browser.
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);
