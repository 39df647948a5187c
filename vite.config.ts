import { defineConfig } from 'vite';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, 'client');

export default defineConfig({
  root,
  build: {
    outDir: resolve(import.meta.dirname, 'dist'),
    emptyOutDir: true,
    target: 'es2022',
    rollupOptions: {
      input: {
        index: resolve(root, 'index.html'),
        engine: resolve(root, 'engine.html'),
        admin: resolve(root, 'admin.html'),
      },
    },
  },
  worker: { format: 'es' },
  server: { fs: { allow: [import.meta.dirname] } },
});
