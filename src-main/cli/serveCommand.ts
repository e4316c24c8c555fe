/**
 * `depthdesk serve`: the headless console. Feed processes under the supervisor, the console page
 * and its WebSocket bridge, and the HTTP API, on 127.0.0.1 with a random token printed in the URL.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { VenueId } from '../../src-shared/model/market.ts';
import { flagNumber, flagString, parseArgs, UsageError } from './args.ts';
import type { ParsedArgs } from './args.ts';
import { isLoopback, loadConfigOrThrow } from '../hosts/config.ts';
import { startConsole } from '../hosts/consoleHost.ts';
import type { RunningConsole } from '../hosts/consoleHost.ts';
import { venueSpec } from '../engine/venues/registry.ts';

export const SERVE_USAGE = `usage: depthdesk serve [--config FILE] [--replay <recordings...>] [--speed N] [--venue ID]
                       [--host H] [--port P] [--feeds N] [--no-multicast] [--no-build]
  Runs the console without Electron: feed processes, the console page, its WebSocket bridge and
  the HTTP API (GET /api/status, POST /api/resync, GET /api/book/{venue}/{symbol}?depth=N,
  GET /api/events, GET /api/diagnostics (a zip for support), GET /metrics). Prints the URL to
  open; it carries the access token, and is kept in <dataDir>/run/serve.json (mode 0600) for
  "depthdesk export-diagnostics".
  --config FILE    configuration file (docs/CONFIG.md); default: DEPTHDESK_CONFIG or the shipped defaults
  --replay ...     replay recordings (files or folders of .ndjson[.gz]) through local venue servers
                   instead of connecting to the venues; multicast publishing is on unless --no-multicast
  --speed N        replay speed: 1 = real time (default), N = N times faster, 0 = as fast as possible
  --venue ID       venue of records whose URL names none (recordings without URLs)
  --host H         address to bind (default 127.0.0.1; another address needs http.allowRemote)
  --port P         port (default 8470; 0 = any free port)
  --feeds N        feed processes the venues are sharded over
  --no-multicast   do not publish over UDP multicast
  --no-build       do not build the console page when it is missing`;

const FLAGS = {
  config: { value: true },
  replay: { value: false },
  speed: { value: true },
  venue: { value: true },
  host: { value: true },
  port: { value: true },
  feeds: { value: true },
  'no-multicast': { value: false },
  'no-build': { value: false },
} as const;

function expand(paths: string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    if (!existsSync(p)) throw new UsageError(`--replay: ${p} does not exist`);
    if (statSync(p).isDirectory()) {
      for (const f of readdirSync(p).sort()) if (/\.ndjson(\.gz)?$/.test(f)) out.push(join(p, f));
    } else out.push(p);
  }
  if (out.length === 0) throw new UsageError('--replay: no .ndjson or .ndjson.gz recording in the given paths');
  return out;
}

/** Parse, load the configuration, start. Shared with `start` when Electron is not available. */
export async function runServe(argv: string[], say: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<RunningConsole> {
  const args: ParsedArgs = parseArgs(argv, FLAGS);
  const replaying = args.flags.has('replay');
  if (!replaying && args.positional.length > 0) throw new UsageError(`unexpected argument "${args.positional[0]}" (recordings go after --replay)\n${SERVE_USAGE}`);
  if (replaying && args.positional.length === 0) throw new UsageError(`--replay needs recording files or folders\n${SERVE_USAGE}`);
  const file = flagString(args, 'config');
  const loaded = loadConfigOrThrow(file !== undefined ? { file } : {});
  for (const w of loaded.warnings) say(`warning: ${w}`);
  const config = structuredClone(loaded.config);
  const host = flagString(args, 'host');
  if (host !== undefined) {
    if (!isLoopback(host) && !config.http.allowRemote) throw new UsageError(`--host ${host} is not a loopback address; set http.allowRemote (DEPTHDESK_HTTP_ALLOW_REMOTE=1) to serve other machines (the token stays required)`);
    config.http.host = host;
  }
  const port = flagNumber(args, 'port', 0, 65_535);
  if (port !== undefined) {
    if (!Number.isInteger(port)) throw new UsageError('--port must be an integer');
    config.http.port = port;
  }
  const feeds = flagNumber(args, 'feeds', 1, 64);
  if (feeds !== undefined) config.processes.feeds = Math.floor(feeds);
  const speed = flagNumber(args, 'speed', 0, 10_000) ?? 1;
  const venue = flagString(args, 'venue');
  if (venue !== undefined) venueSpec(venue);
  return startConsole({
    config,
    configSource: loaded.source,
    ...(replaying ? { replay: { files: expand(args.positional), speed, ...(venue !== undefined ? { venue: venue as VenueId } : {}) } } : {}),
    ...(args.flags.has('no-multicast') ? { multicast: false } : {}),
    buildRenderer: !args.flags.has('no-build'),
    say,
  });
}

/** Resolves when SIGINT/SIGTERM arrives (Ctrl+C), after everything stopped. */
export async function serveUntilSignal(c: RunningConsole, say: (line: string) => void): Promise<number> {
  say(`\nDepthdesk console: ${c.url}`);
  say(`API: curl -H "Authorization: Bearer ${c.token}" ${c.url.replace(/\/\?token=.*$/, '')}/api/status`);
  say('Ctrl+C stops it.');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  say('stopping ...');
  await c.stop();
  return 0;
}

export async function serveCommand(argv: string[]): Promise<number> {
  const say = (l: string) => process.stdout.write(`${l}\n`);
  const c = await runServe(argv, say);
  return serveUntilSignal(c, say);
}
