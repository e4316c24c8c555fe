/**
 * electron-vite builds the Electron shell's three parts and every utility-process entry:
 * - main: the shell (src-main/app/main.ts -> out/main/index.js) and each engine process entry
 *   (src-main/hosts/*.entry.ts -> out/main/<name>.js, started with utilityProcess.fork);
 * - preload: CommonJS (out/preload/index.cjs), because a sandboxed renderer cannot load an ES
 *   module preload (https://www.electronjs.org/docs/latest/tutorial/esm#sandboxed-preload-scripts-cant-use-esm-imports);
 * - renderer: the console page (src-renderer/index.html -> out/renderer).
 * Dependencies of main and the entries stay external (node_modules inside the asar).
 */
import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import react from '@vitejs/plugin-react';

const root = import.meta.dirname;

/** Every utility-process entry, by output name. The packaging test checks each is in the asar. */
export const UTILITY_ENTRIES: Record<string, string> = {
  feed: resolve(root, 'src-main/hosts/feed.entry.ts'),
};

/**
 * Worker-thread entries, bundled beside the entry that starts them: the raw recorder looks for
 * recorderWorker.js next to feed.js (rawRecorder.ts, workerUrl).
 */
export const WORKER_ENTRIES: Record<string, string> = {
  recorderWorker: resolve(root, 'src-main/engine/record/recorderWorker.ts'),
};

export default defineConfig({
  main: {
    build: {
      outDir: resolve(root, 'out/main'),
      rollupOptions: {
        input: { index: resolve(root, 'src-main/app/main.ts'), ...UTILITY_ENTRIES, ...WORKER_ENTRIES },
      },
    },
  },
  preload: {
    build: {
      outDir: resolve(root, 'out/preload'),
      rollupOptions: {
        input: { index: resolve(root, 'src-main/app/preload.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(root, 'src-renderer'),
    plugins: [react()],
    build: {
      outDir: resolve(root, 'out/renderer'),
      rollupOptions: { input: { index: resolve(root, 'src-renderer/index.html') } },
    },
  },
});
