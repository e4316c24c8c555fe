/**
 * The acceptance test of the supervisor on real processes and real data: the headless console
 * replays two real Binance captures (spot and USD-M BTCUSDT) into two feed processes; one feed
 * process is killed with SIGKILL from outside (as the OOM killer or an operator would). The
 * supervisor notices (the latency is measured and printed), restarts it, its book resyncs with
 * cause process-restart and returns to live, the other process's book is untouched, everything
 * is visible through the HTTP API, and at the end of the replay both books equal the reference
 * rebuilt from the recordings, read through the process boundary.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BookView, EngineStatus, ProcessEvent, ResyncEvent, TransitionEvent } from '../../../src-shared/contracts/engineApi.ts';
import { formatScaled } from '../../../src-shared/model/decimal.ts';
import { loadConfigOrThrow } from '../../../src-main/hosts/config.ts';
import { startConsole } from '../../../src-main/hosts/consoleHost.ts';
import type { RunningConsole } from '../../../src-main/hosts/consoleHost.ts';
import { dataPath } from '../../support/data.ts';
import { EventLog } from '../../support/eventLog.ts';

const dir = mkdtempSync(join(tmpdir(), 'depthdesk-kill-'));
let c: RunningConsole;
const log = new EventLog();

function api<T>(path: string, method = 'GET'): Promise<T> {
  const base = c.url.replace(/\/\?token=.*$/, '');
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method, headers: { authorization: `Bearer ${c.token}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (b: Buffer) => chunks.push(b));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if ((res.statusCode ?? 500) >= 400) reject(new Error(`${path}: HTTP ${res.statusCode} ${text}`));
        else resolve(JSON.parse(text) as T);
      });
    });
    req.on('error', reject);
    req.end();
  });
}

async function waitStatus(cond: (st: EngineStatus) => boolean): Promise<EngineStatus> {
  for (;;) {
    const st = await api<EngineStatus>('/api/status');
    if (cond(st)) return st;
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  const config = structuredClone(loadConfigOrThrow({ env: { DEPTHDESK_DATA_DIR: dir, DEPTHDESK_HTTP_PORT: '0', DEPTHDESK_FEEDS: '2' } }).config);
  c = await startConsole({
    config,
    configSource: 'test',
    replay: { files: [dataPath('binance/spot_BTCUSDT_2024-08-08T2354Z_10min.hftbacktest.ndjson.gz'), dataPath('binance/usdm_BTCUSDT_2024-07-18T2357Z_8min.hftbacktest.ndjson.gz')], speed: 40 },
    multicast: false,
    buildRenderer: false,
  });
  c.supervisor.subscribe(log);
});

afterAll(async () => {
  await c?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('killing a feed process (replay of real recordings)', () => {
  it('is noticed, restarted, its books resync and return to live, the other process is untouched', async () => {
    const live = await waitStatus((st) => st.symbols.length === 2 && st.symbols.every((s) => s.state === 'live'));
    expect(live.processes.map((p) => [p.name, p.venues])).toEqual([
      ['feed-0', ['binance-spot']],
      ['feed-1', ['binance-usdm']],
    ]);
    const victim = live.processes.find((p) => p.name === 'feed-1')!;
    const bystander = live.processes.find((p) => p.name === 'feed-0')!;
    expect(victim.pid).toBeGreaterThan(0);

    const t0 = performance.now();
    process.kill(victim.pid!, 'SIGKILL');
    const exited = await log.waitFor('process.event', (e) => e.name === 'feed-1' && e.kind === 'exited');
    const noticedMs = exited.atMs - t0;
    console.log(`feed process kill noticed after ${noticedMs.toFixed(1)} ms (SIGKILL -> 'exited' event)`);
    expect(exited.data.detail).toMatch(/^killed by SIGKILL/);

    // The book leaves live at once, visibly, with a pending process-restart resync.
    const down = await log.waitFor('feed.transition', (t) => t.venue === 'binance-usdm' && t.cause === 'process-restart');
    expect(down.data).toMatchObject({ symbol: 'BTCUSDT', from: 'live', to: 'resyncing' });
    const flagged = await api<EngineStatus>('/api/status');
    const row = flagged.symbols.find((s) => s.venue === 'binance-usdm')!;
    expect(row.state === 'live').toBe(false);
    expect(row.stateCause).toBe('process-restart');

    const restarted = await log.waitFor('process.event', (e) => e.name === 'feed-1' && e.kind === 'started' && e.detail.endsWith('restart 1'));
    console.log(`feed process restarted ${(restarted.atMs - t0).toFixed(1)} ms after the kill`);
    const back = await log.waitFor('feed.resync', (r) => r.venue === 'binance-usdm' && r.cause === 'process-restart' && r.outcome === 'live');
    console.log(`its book was live again ${(back.atMs - t0).toFixed(1)} ms after the kill (resync ${back.data.durationMs} ms)`);
    const after = await waitStatus((st) => st.symbols.every((s) => s.state === 'live'));
    const p1 = after.processes.find((p) => p.name === 'feed-1')!;
    expect(p1.restarts).toBe(1);
    expect(p1.pid).not.toBe(victim.pid);
    expect(p1.lastExit).toMatch(/^killed by SIGKILL/);

    // The other process: same pid, no restart, and its book never left live.
    const p0 = after.processes.find((p) => p.name === 'feed-0')!;
    expect([p0.pid, p0.restarts, p0.state]).toEqual([bystander.pid, 0, 'running']);
    const spotEvents = log.all.filter((e) => e.atMs >= t0 && (e.topic === 'feed.transition' || e.topic === 'feed.resync') && (e.data as TransitionEvent).venue === 'binance-spot');
    expect(spotEvents).toEqual([]);
    expect(log.all.filter((e) => e.atMs >= t0 && e.topic === 'process.event' && (e.data as ProcessEvent).name === 'feed-0')).toEqual([]);

    // The same story through the API.
    const ev = await api<{ processes: ProcessEvent[]; resyncs: ResyncEvent[]; transitions: TransitionEvent[] }>('/api/events?limit=200');
    expect(ev.processes.filter((e) => e.name === 'feed-1').map((e) => e.kind)).toEqual(['started', 'exited', 'restarting', 'started']);
    expect(ev.resyncs.filter((r) => r.cause === 'process-restart').map((r) => `${r.venue} ${r.symbol} ${r.outcome}`)).toEqual(['binance-usdm BTCUSDT pending', 'binance-usdm BTCUSDT live']);
    expect(ev.transitions.some((t) => t.venue === 'binance-usdm' && t.cause === 'process-restart')).toBe(true);
  });

  it('both books are exact at the end of the replay, read through the process boundary', async () => {
    await Promise.all(c.replay!.servers.map((s) => s.ended));
    for (const server of c.replay!.servers) {
      const ref = server.reference('BTCUSDT')!;
      expect(ref.state).toBe('live');
      await waitStatus((st) => st.symbols.some((s) => s.venue === server.venue && s.seq === ref.seq && s.state === 'live'));
      const book = await api<BookView>(`/api/book/${server.venue}/BTCUSDT?depth=10`);
      const top = ref.book.top(10);
      const text = ([p, q]: [number, number]) => ({ price: formatScaled(p, ref.book.priceScale), size: formatScaled(q, ref.book.sizeScale) });
      expect(book.seq, server.venue).toBe(ref.seq);
      expect(book.bids, server.venue).toEqual(top.bids.map(text));
      expect(book.asks, server.venue).toEqual(top.asks.map(text));
    }
    const st = await api<EngineStatus>('/api/status');
    for (const s of st.symbols) {
      expect(s.counters.gaps, s.venue).toBe(0);
      expect(s.counters.crossCheckFailed, s.venue).toBe(0);
      expect(s.counters.crossCheckOk, s.venue).toBeGreaterThan(0);
    }
  });
});
