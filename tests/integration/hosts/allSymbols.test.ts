/**
 * `"symbols": "all"` for Binance spot and OKX, end to end through the supervisor and real feed
 * processes, on real recordings:
 * - `depthdesk serve --replay <recordings> --config all.json`: the replayed venues configured with
 *   "all" are listed through their replay servers' instrument routes and every recorded symbol
 *   goes live;
 * - `depthdesk serve --config all.json` with the venues' REST and WebSocket URLs pointing at local
 *   replay servers (the live path: the host lists each venue's instruments over HTTP before it
 *   starts the feed processes), and the same in-process through `selectVenues`, limited-mode cap
 *   included.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EngineStatus } from '../../../src-shared/contracts/engineApi.ts';
import { startReplay } from '../../../src-main/engine/replay/replayPlan.ts';
import type { ReplayPlan } from '../../../src-main/engine/replay/replayPlan.ts';
import { selectReplayVenues, selectVenues } from '../../../src-main/hosts/venueSelection.ts';
import { dataPath } from '../../support/data.ts';
import { consoleGet, launchConsole } from '../../support/consoleProcess.ts';
import type { ConsoleProcess } from '../../support/consoleProcess.ts';

const SPOT = 'binance/cryptofeed_spot_4sym_2021-10-12.ndjson';
const OKX = 'okx/cryptofeed_books_2022-05-13.ndjson';

const dir = mkdtempSync(join(tmpdir(), 'depthdesk-all-'));
const procs: ChildProcess[] = [];
const plans: ReplayPlan[] = [];
afterAll(async () => {
  for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
  await Promise.all(plans.map((p) => p.close()));
  rmSync(dir, { recursive: true, force: true });
});

async function replay(): Promise<ReplayPlan> {
  const r = await startReplay({ files: [dataPath(SPOT), dataPath(OKX)], speed: 0 });
  if (!r.ok) throw new Error(r.error);
  plans.push(r.plan);
  return r.plan;
}

/** Venue -> recorded book symbols, as the replay servers hold them. */
function recorded(plan: ReplayPlan): Map<string, string[]> {
  return new Map(plan.servers.map((s) => [s.venue, s.bookSymbolList()]));
}

function serve(args: string[]): Promise<ConsoleProcess> {
  return launchConsole('serve', ['--port', '0', '--no-build', '--no-multicast', ...args], { DEPTHDESK_DATA_DIR: dir }, procs);
}

function status(s: ConsoleProcess): Promise<EngineStatus> {
  return consoleGet<EngineStatus>(s, '/api/status');
}

/** Poll until every expected (venue, symbol) is live; vitest's timeout is the only bound. */
async function everyBookLive(s: ConsoleProcess, expected: Map<string, string[]>): Promise<EngineStatus> {
  for (;;) {
    const st = await status(s);
    const ok = [...expected].every(([venue, symbols]) => symbols.every((sym) => st.symbols.some((x) => x.venue === venue && x.symbol === sym && x.state === 'live')));
    if (ok) return st;
    await new Promise((r) => setTimeout(r, 100));
  }
}

function followed(st: EngineStatus): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const x of st.symbols) out.set(x.venue, [...(out.get(x.venue) ?? []), x.symbol].sort());
  return out;
}

function writeConfig(name: string, venues: unknown[]): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify({ venues }));
  return file;
}

describe('"symbols": "all" for Binance spot and OKX', () => {
  it('selectVenues lists each venue through its instrument endpoint (a replay server), and the limited-mode cap applies to the listing', async () => {
    const plan = await replay();
    const rec = recorded(plan);
    const configured = plan.venues.map((v) => ({ venue: v.venue, symbols: 'all' as const, wsUrl: v.wsUrl!, restUrl: v.restUrl! }));
    const sel = await selectVenues(configured);
    expect(sel.skipped).toEqual([]);
    expect(new Map(sel.venues.map((v) => [v.venue, [...v.symbols].sort()]))).toEqual(rec);
    const capped = await selectVenues(configured, 2);
    expect(capped.venues.map((v) => v.symbols.length)).toEqual([2, 2]);
    // Replay mode: the same listing from the servers the replay plan started.
    const replayed = await selectReplayVenues([{ venue: 'okx', symbols: 'all' }, { venue: 'binance-spot', symbols: ['BTCUSDT'] }], plan.venues);
    expect(replayed.skipped).toEqual([]);
    expect(replayed.listed).toEqual([`okx: "all" listed ${rec.get('okx')!.length} symbol(s) from the replay server's instrument list`]);
    expect(new Map(replayed.venues.map((v) => [v.venue, [...v.symbols].sort()]))).toEqual(rec);
  });

  it('depthdesk serve --replay with a configuration of "all" goes live on every recorded symbol', async () => {
    const config = writeConfig('all-replay.json', [
      { venue: 'binance-spot', symbols: 'all' },
      { venue: 'okx', symbols: 'all' },
    ]);
    const s = await serve(['--config', config, '--speed', '0', '--replay', dataPath(SPOT), dataPath(OKX)]);
    const plan = await replay();
    const rec = recorded(plan);
    expect(s.lines).toContain(`binance-spot: "all" listed ${rec.get('binance-spot')!.length} symbol(s) from the replay server's instrument list`);
    expect(s.lines).toContain(`okx: "all" listed ${rec.get('okx')!.length} symbol(s) from the replay server's instrument list`);
    const st = await everyBookLive(s, rec);
    expect(followed(st)).toEqual(rec);
    expect(st.processes.every((p) => p.state === 'running')).toBe(true);
    s.proc.kill('SIGINT');
    expect(await s.exited).toBe(0);
  });

  it('depthdesk serve with venues on "all" lists them over HTTP before the feed processes start, and every listed symbol goes live', async () => {
    const plan = await replay();
    const rec = recorded(plan);
    const config = writeConfig(
      'all-live.json',
      plan.venues.map((v) => ({ venue: v.venue, symbols: 'all', wsUrl: v.wsUrl, restUrl: v.restUrl })),
    );
    const s = await serve(['--config', config]);
    expect(s.lines.filter((l) => l.startsWith('skipping '))).toEqual([]);
    const st = await everyBookLive(s, rec);
    expect(st.mode).toBe('live');
    expect(followed(st)).toEqual(rec);
    s.proc.kill('SIGINT');
    expect(await s.exited).toBe(0);
  });
});
