/**
 * Where the built console page is, and building it when a checkout has not yet. `npm run build`
 * (electron-vite) writes the renderer to out/renderer; the headless host serves that folder.
 */
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { appRoot } from './buildInfo.ts';

export const BUILD_COMMAND = 'npm run build';

export type RendererResult = { ok: true; dir: string; built: boolean } | { ok: false; hint: string };

export function rendererDir(root: string = appRoot): string {
  return join(root, 'out/renderer');
}

/**
 * The renderer folder, building it first when this is a checkout with the toolchain installed
 * and `build` is allowed. Never throws: a failed build says what to run.
 */
export function ensureRenderer(opts: { build: boolean; root?: string; say?: (line: string) => void }): RendererResult {
  const root = opts.root ?? appRoot;
  const dir = rendererDir(root);
  if (existsSync(join(dir, 'index.html'))) return { ok: true, dir, built: false };
  const bin = join(root, 'node_modules/.bin', process.platform === 'win32' ? 'electron-vite.cmd' : 'electron-vite');
  const hint = `The console page is not built: run "${BUILD_COMMAND}" in ${root}, then reload.`;
  if (!opts.build || !existsSync(bin) || !existsSync(join(root, 'electron.vite.config.ts'))) return { ok: false, hint };
  opts.say?.(`building the console page once (${BUILD_COMMAND}) ...`);
  const r = spawnSync(bin, ['build'], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', shell: process.platform === 'win32' });
  if (r.status !== 0 || !existsSync(join(dir, 'index.html'))) {
    const why = (r.stderr ?? '').trim().split('\n').slice(-3).join(' | ');
    return { ok: false, hint: `${hint} (the automatic build failed${why ? `: ${why}` : ''})` };
  }
  return { ok: true, dir, built: true };
}
