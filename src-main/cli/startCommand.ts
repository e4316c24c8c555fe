/**
 * `depthdesk start` (`npm start`): the Electron console when an Electron binary and a display are
 * available; otherwise one line saying why, then the headless console (same options as `serve`).
 *
 * The Electron binary is looked up the way the `electron` package does (path.txt, dist/,
 * ELECTRON_OVERRIDE_DIST_PATH) without requiring that package: requiring it downloads the binary
 * from GitHub when it is missing, which must not happen behind `npm start`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { appRoot } from '../hosts/buildInfo.ts';
import { BUILD_COMMAND } from '../hosts/consoleAssets.ts';
import { runServe, serveUntilSignal, SERVE_USAGE } from './serveCommand.ts';

export const START_USAGE = `usage: depthdesk start [serve options]
  Opens the Electron console when Electron can run here; otherwise starts the headless console
  (depthdesk serve) and prints its URL.
${SERVE_USAGE.split('\n').slice(1).join('\n')}`;

export type ElectronCheck = { ok: true; binary: string } | { ok: false; why: string };

/** Where the Electron binary is, or why it cannot run here. */
export function findElectron(root: string = appRoot, env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): ElectronCheck {
  const pkg = join(root, 'node_modules/electron');
  if (!existsSync(pkg)) return { ok: false, why: 'the electron package is not installed (npm ci)' };
  const pathFile = join(pkg, 'path.txt');
  const rel = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : undefined;
  let binary: string | undefined;
  if (env['ELECTRON_OVERRIDE_DIST_PATH']) binary = join(env['ELECTRON_OVERRIDE_DIST_PATH'], rel ?? (platform === 'win32' ? 'electron.exe' : 'electron'));
  else if (rel !== undefined) binary = join(pkg, 'dist', rel);
  if (binary === undefined || !existsSync(binary)) {
    return { ok: false, why: 'no Electron binary in node_modules/electron/dist (it is downloaded from GitHub on first use)' };
  }
  if (platform === 'linux' && !env['DISPLAY'] && !env['WAYLAND_DISPLAY']) return { ok: false, why: 'no display (DISPLAY/WAYLAND_DISPLAY unset)' };
  return { ok: true, binary };
}

export async function startCommand(argv: string[]): Promise<number> {
  const say = (l: string) => process.stdout.write(`${l}\n`);
  const electron = findElectron();
  if (electron.ok) {
    if (!existsSync(join(appRoot, 'out/main/index.js'))) {
      say(`building the app once (${BUILD_COMMAND}) ...`);
      const b = spawnSync(join(appRoot, 'node_modules/.bin/electron-vite'), ['build'], { cwd: appRoot, stdio: 'inherit', shell: process.platform === 'win32' });
      if (b.status !== 0) {
        process.stderr.write(`depthdesk start: the build failed; run "${BUILD_COMMAND}" to see why\n`);
        return 1;
      }
    }
    const child = spawn(electron.binary, [appRoot, ...argv], { stdio: 'inherit', env: { ...process.env, ELECTRON_RUN_AS_NODE: undefined } });
    return await new Promise<number>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
  }
  say(`Electron cannot run here (${electron.why}); starting the headless console instead.`);
  const c = await runServe(argv, say);
  return serveUntilSignal(c, say);
}
