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
import { join, relative, resolve } from 'node:path';
import { CONFIG_FILE_ENV } from '../hosts/config.ts';
import { replayableVenues } from '../engine/replay/replayProtocols.ts';
import { appRoot } from '../hosts/buildInfo.ts';
import { BUILD_COMMAND } from '../hosts/consoleAssets.ts';
import { runServe, serveUntilSignal, SERVE_USAGE } from './serveCommand.ts';

export const START_USAGE = `usage: depthdesk start [serve options]
  Opens the Electron console when Electron can run here; otherwise starts the headless console
  (depthdesk serve) and prints its URL. Headless without --config, DEPTHDESK_CONFIG or --replay,
  it replays one recording per venue from the recordings folder (DEPTHDESK_DATA, ../shared/data).
${SERVE_USAGE.split('\n').slice(1).join('\n')}`;

/**
 * What the headless console replays when `start` gets neither a configuration nor recordings: one
 * capture per venue from the recordings folder, the longest ones, so that a machine without
 * internet access (CI, this project's build machines) still shows live, exact books. A venue whose
 * replay protocol is not registered in this build is left out.
 */
export const DEMO_RECORDINGS: { venue: string; rel: string }[] = [
  { venue: 'binance-spot', rel: 'binance/spot_BTCUSDT_2024-08-08T2354Z_10min.hftbacktest.ndjson.gz' },
  { venue: 'binance-usdm', rel: 'binance/usdm_BTCUSDT_2024-07-18T2357Z_8min.hftbacktest.ndjson.gz' },
  { venue: 'binance-coinm', rel: 'binance/coinm_BTCUSD_PERP_2024-08-08T2354Z_11min.hftbacktest.ndjson.gz' },
  { venue: 'okx', rel: 'okx/cryptofeed_books-l2-tbt_2022-02-27.ndjson' },
  { venue: 'kraken', rel: 'kraken/cryptofeed_v1_book1000_XBTUSD+9pairs_2021-04-05_120s.ndjson' },
  { venue: 'kraken-futures', rel: 'kraken/cryptofeed_futures_v1_book_2021-07-22.ndjson' },
  // One file, two venues: Bybit linear and spot orderbook.200.
  { venue: 'bybit-linear', rel: 'bybit/cryptofeed_v5_linear+spot_orderbook200_2026-08-09.ndjson' },
  { venue: 'coinbase', rel: 'coinbase/cryptofeed_advanced_trade_level2_2026-08-09.ndjson' },
  { venue: 'deribit', rel: 'deribit/cryptofeed_book_raw_options_2021-04-05_120s.ndjson' },
  { venue: 'bitmex', rel: 'bitmex/cryptofeed_orderBookL2_2021-04-05_120s.ndjson' },
  { venue: 'bitfinex', rel: 'bitfinex/cryptofeed_ws2_book_P0_len100_seqall_2021-04-05_120s.ndjson' },
  { venue: 'bitget', rel: 'bitget/cryptofeed_v1_books_spot+mix_2022-04-07.ndjson' },
  { venue: 'gate', rel: 'gate/cryptofeed_futures_order_book_update_2023-05-24.ndjson' },
  { venue: 'kucoin', rel: 'kucoin/cryptofeed_level2_2021-04-25.ndjson' },
  { venue: 'upbit', rel: 'upbit/cryptofeed_orderbook+trade_2021-04-17.ndjson' },
  { venue: 'hyperliquid', rel: 'hyperliquid/BTC_l2Book_trades_2025-01-26.hftbacktest.ndjson' },
];

/** The recordings folder (DEPTHDESK_DATA, else ../shared/data beside the checkout). */
export function recordingsDir(root: string = appRoot, env: NodeJS.ProcessEnv = process.env): string {
  return env['DEPTHDESK_DATA'] ?? resolve(root, '../shared/data');
}

/** `start` arguments with the demo replay added when no configuration and no recordings are given. */
export function withDemoReplay(argv: string[], say: (l: string) => void, env: NodeJS.ProcessEnv = process.env): string[] {
  if (argv.some((a) => a === '--config' || a.startsWith('--config=') || a === '--replay') || env[CONFIG_FILE_ENV]) return argv;
  const dir = recordingsDir(appRoot, env);
  const replayable = new Set<string>(replayableVenues());
  const files = DEMO_RECORDINGS.filter((r) => replayable.has(r.venue)).map((r) => join(dir, r.rel)).filter((f) => existsSync(f));
  if (files.length === 0) return argv;
  say(`no configuration given: replaying ${files.length} recording(s) from ${relative(process.cwd(), dir) || dir} (pass --config FILE for the live venues, docs/CONFIG.md)`);
  return [...argv, '--replay', ...files];
}

export type ElectronCheck = { ok: true; binary: string } | { ok: false; why: string };

/** Where the Electron binary is, or why it cannot run here. */
export function findElectron(root: string = appRoot, env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): ElectronCheck {
  const pkg = join(root, 'node_modules/electron');
  if (!existsSync(pkg)) return { ok: false, why: 'the electron package is not installed; run npm ci' };
  const pathFile = join(pkg, 'path.txt');
  const rel = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : undefined;
  let binary: string | undefined;
  if (env['ELECTRON_OVERRIDE_DIST_PATH']) binary = join(env['ELECTRON_OVERRIDE_DIST_PATH'], rel ?? (platform === 'win32' ? 'electron.exe' : 'electron'));
  else if (rel !== undefined) binary = join(pkg, 'dist', rel);
  if (binary === undefined || !existsSync(binary)) {
    return { ok: false, why: 'no Electron binary in node_modules/electron/dist, which is downloaded from GitHub on first use' };
  }
  if (platform === 'linux' && !env['DISPLAY'] && !env['WAYLAND_DISPLAY']) return { ok: false, why: 'no display: DISPLAY and WAYLAND_DISPLAY are unset' };
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
  const c = await runServe(withDemoReplay(argv, say), say);
  return serveUntilSignal(c, say);
}
