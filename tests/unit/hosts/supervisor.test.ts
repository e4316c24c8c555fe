import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Supervisor } from '../../../src-main/hosts/supervisor.ts';
import type { ProcessSpec, SupervisorPolicy } from '../../../src-main/hosts/supervisor.ts';
import type { VenueConfig } from '../../../src-main/hosts/config.ts';
import type { Handlers } from '../../../src-shared/contracts/rpc.ts';
import type { ProcessEvent } from '../../../src-shared/contracts/engineApi.ts';
import { realBooks } from '../../support/realBooks.ts';
import type { RealBook } from '../../support/realBooks.ts';
import { FakeLauncher } from '../../support/fakeProcesses.ts';
import { EventLog } from '../../support/eventLog.ts';

// Real book states: Binance spot (4 symbols) in feed-0, Binance USD-M (4 symbols) in feed-1.
const SPOT = 'binance/cryptofeed_spot_4sym_2021-10-12.ndjson';
const USDM = 'binance/cryptofeed_usdm_4sym_2021-07-22.ndjson';
let data: RealBook[] = [];
beforeAll(async () => {
  data = [...(await realBooks(SPOT)), ...(await realBooks(USDM))];
});

const running: Supervisor[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) await s.stop();
});

function venues(v: 'binance-spot' | 'binance-usdm'): VenueConfig[] {
  return [{ venue: v, symbols: data.filter((d) => d.status.venue === v).map((d) => d.status.symbol) }];
}

function setup(policy: Partial<SupervisorPolicy> = {}) {
  const launcher = new FakeLauncher(data);
  const spec = (name: string, v: 'binance-spot' | 'binance-usdm'): ProcessSpec => ({ name, role: 'feed', venues: venues(v), bookDepth: 0, multicast: null, dataDir: '/nonexistent' });
  const sup = new Supervisor({
    launcher,
    processes: [spec('feed-0', 'binance-spot'), spec('feed-1', 'binance-usdm')],
    build: 'test',
    mode: 'replay',
    policy: { heartbeatMs: 20, unresponsiveAfterMs: 200, backoffInitialMs: 5, backoffMaxMs: 40, crashLoopCount: 4, crashLoopWindowMs: 60_000, statsIntervalMs: 20, helloTimeoutMs: 500, stopGraceMs: 200, ...policy },
    log: () => {},
  });
  running.push(sup);
  const log = new EventLog();
  const att = sup.attach(log);
  // Through a promise, as the Peer calls handlers: a handler that throws becomes a rejected request.
  const call = <M extends keyof Handlers>(m: M, p: Parameters<NonNullable<Handlers[M]>>[0]) => Promise.resolve().then(() => (att.handlers[m] as (x: unknown) => unknown)(p));
  return { launcher, sup, log, att, call };
}

/** One binance-spot feed on a fake launcher, with a clock the test moves (`clock.t`, ms). */
function clockedFeed(clock: { t: number }, policy: Partial<SupervisorPolicy> = {}) {
  const launcher = new FakeLauncher(data);
  const sup = new Supervisor({
    launcher,
    processes: [{ name: 'feed-0', role: 'feed', venues: venues('binance-spot'), bookDepth: 0, multicast: null, dataDir: '/nonexistent' }],
    build: 'test',
    mode: 'replay',
    policy,
    log: () => {},
    now: () => clock.t,
  });
  running.push(sup);
  return { launcher, sup };
}

const kinds = (log: EventLog, name: string) => log.of('process.event').filter((e) => e.name === name).map((e) => e.kind);

describe('supervisor', () => {
  it('starts every process, checks hello, and merges the shards into one status', async () => {
    const { sup, launcher } = setup();
    await sup.start();
    launcher.latest('feed-0').goLive();
    launcher.latest('feed-1').goLive();
    const st = await sup.status();
    expect(st.symbols).toHaveLength(8);
    expect(new Set(st.symbols.map((s) => s.process))).toEqual(new Set(['feed-0', 'feed-1']));
    expect(st.symbols.every((s) => s.state === 'live')).toBe(true);
    // Exact values from the real recording pass through unchanged.
    const nkn = st.symbols.find((s) => s.symbol === 'NKNUSDT')!;
    expect([nkn.bestBid, nkn.bestBidSize, nkn.bestAsk, nkn.bestAskSize]).toEqual(['0.3527', '9602', '0.3531', '152']);
    expect(st.processes.map((p) => [p.name, p.state, p.venues])).toEqual([
      ['feed-0', 'running', ['binance-spot']],
      ['feed-1', 'running', ['binance-usdm']],
    ]);
  });

  it('shows every configured book before its process reports it', () => {
    const { sup } = setup();
    const st = sup.cachedStatus();
    expect(st.symbols).toHaveLength(8);
    expect(st.symbols.every((s) => s.state === 'connecting' && s.stateCause === 'process-starting')).toBe(true);
  });

  it('routes requests to the process that owns the venue', async () => {
    const { sup, launcher, call } = setup();
    await sup.start();
    const f0 = launcher.latest('feed-0');
    const f1 = launcher.latest('feed-1');
    expect(await call('resync', { scope: 'symbol', venue: 'binance-usdm', symbol: 'SUSHIUSDT' })).toEqual({ accepted: 1 });
    expect(f1.calls.filter((c) => c.method === 'resync')).toEqual([{ method: 'resync', params: { scope: 'symbol', venue: 'binance-usdm', symbol: 'SUSHIUSDT' } }]);
    expect(f0.calls.filter((c) => c.method === 'resync')).toEqual([]);
    expect(await call('resync', { scope: 'venue', venue: 'binance-spot' })).toEqual({ accepted: 4 });
    expect(await call('resync', { scope: 'all' })).toEqual({ accepted: 8 });
    const book = (await call('book.get', { venue: 'binance-spot', symbol: 'NKNUSDT', depth: 3 })) as { bids: unknown[]; asks: unknown[] };
    expect(book.bids).toHaveLength(3);
    await expect(call('book.get', { venue: 'okx', symbol: 'BTC-USDT', depth: 3 })).rejects.toMatchObject({ code: 'unknown-venue' });
    await expect(call('book.get', { venue: 'binance-spot', symbol: 'NKNUSDT', depth: 0 })).rejects.toMatchObject({ code: 'bad-request' });
    await expect(call('diagnostics.export', {})).rejects.toMatchObject({ code: 'not-available' });
  });

  it('a crashed process is restarted, its books resync visibly and return to live; the other shard is untouched', async () => {
    const { sup, launcher, log } = setup();
    await sup.start();
    launcher.latest('feed-0').goLive();
    launcher.latest('feed-1').goLive();
    await log.waitFor('feed.transition', (t) => t.venue === 'binance-usdm' && t.to === 'live');
    const before = log.all.length;
    const first = launcher.latest('feed-1');
    first.stderr('Error: socket hang up');
    first.exit({ code: 1, signal: null });

    const exited = await log.waitFor('process.event', (e) => e.name === 'feed-1' && e.kind === 'exited');
    expect(exited.data.detail).toBe('exited with code 1; stderr: Error: socket hang up');
    // Every book of feed-1 left live at once, with cause process-restart, and a pending resync each.
    const down = log.of('feed.transition').filter((t) => t.cause === 'process-restart');
    expect(down.map((t) => t.symbol).sort()).toEqual(['AKROUSDT', 'CTKUSDT', 'KEEPUSDT', 'SUSHIUSDT']);
    expect(down.every((t) => t.from === 'live' && t.to === 'resyncing')).toBe(true);
    const st = sup.cachedStatus();
    expect(st.symbols.filter((s) => s.process === 'feed-1').every((s) => s.state === 'resyncing' && s.stateCause === 'process-restart')).toBe(true);
    expect(st.symbols.filter((s) => s.process === 'feed-0').every((s) => s.state === 'live')).toBe(true);
    expect(st.processes.find((p) => p.name === 'feed-1')!.state).toBe('restarting');

    const second = await launcher.launchedTimes('feed-1', 2);
    expect(second.payload.restart).toBe(1);
    await log.waitFor('process.event', (e) => e.name === 'feed-1' && e.kind === 'started');
    second.goLive();
    for (const sym of ['AKROUSDT', 'CTKUSDT', 'KEEPUSDT', 'SUSHIUSDT']) {
      const end = await log.waitFor('feed.resync', (r) => r.symbol === sym && r.cause === 'process-restart' && r.outcome === 'live');
      expect(end.data.durationMs).toBeGreaterThanOrEqual(0);
    }
    expect(kinds(log, 'feed-1')).toEqual(['started', 'exited', 'restarting', 'started']);
    const after = await sup.status();
    expect(after.symbols.every((s) => s.state === 'live')).toBe(true);
    expect(after.processes.find((p) => p.name === 'feed-1')!.restarts).toBe(1);
    // feed-0 saw nothing: no transition, no resync, no process event after the crash.
    const spotAfter = log.all.slice(before).filter((e) => (e.data as { venue?: string }).venue === 'binance-spot' || (e.data as ProcessEvent).name === 'feed-0');
    expect(spotAfter).toEqual([]);
    expect(launcher.of('feed-0')).toHaveLength(1);
    const recent = sup.recentEvents(50);
    expect(recent.processes.map((e) => e.kind)).toContain('exited');
    expect(recent.resyncs.filter((r) => r.outcome === 'live')).toHaveLength(4);
  });

  it('backs off exponentially up to the cap, then stops a crash loop and says so', async () => {
    const { sup, launcher, log, call } = setup({ crashLoopCount: 5, backoffInitialMs: 5, backoffMaxMs: 20 });
    await sup.start();
    for (let i = 1; i <= 5; i++) {
      const p = await launcher.launchedTimes('feed-0', i);
      await log.waitFor('process.event', (e) => e.name === 'feed-0' && e.kind === 'started' && (i === 1 || e.detail.endsWith(`restart ${i - 1}`)));
      p.exit({ code: 3, signal: null });
      if (i < 5) await log.waitFor('process.event', (e) => e.name === 'feed-0' && e.kind === 'restarting' && e.detail.startsWith(`restart ${i} `));
    }
    const loop = await log.waitFor('process.event', (e) => e.name === 'feed-0' && e.kind === 'crash-loop');
    expect(loop.data.detail).toMatch(/^5 exits within 60 s; not restarting \(last: exited with code 3\)/);
    const delays = log.of('process.event').filter((e) => e.name === 'feed-0' && e.kind === 'restarting').map((e) => Number(/in (\d+) ms/.exec(e.detail)![1]));
    expect(delays).toEqual([5, 10, 20, 20]);
    expect(launcher.of('feed-0')).toHaveLength(5);
    const st = sup.cachedStatus();
    expect(st.processes.find((p) => p.name === 'feed-0')!.state).toBe('crash-loop');
    expect(st.symbols.filter((s) => s.venue === 'binance-spot').every((s) => s.state === 'halted' && s.stateCause === 'process-crash-loop')).toBe(true);
    expect(log.of('feed.notice').some((n) => n.level === 'error' && n.message.startsWith('feed-0 (binance-spot) is in a crash loop'))).toBe(true);
    await expect(call('book.get', { venue: 'binance-spot', symbol: 'NKNUSDT', depth: 1 })).rejects.toMatchObject({ code: 'not-available', message: expect.stringMatching(/^feed-0 \(binance-spot\) is crash-loop/) });
    // The operator's restart gets it going again.
    expect(await call('processes.restart', { name: 'feed-0' })).toEqual({ restarted: true, detail: 'feed-0 is running' });
    expect(launcher.of('feed-0')).toHaveLength(6);
  });

  it('kills and restarts a process that stops answering heartbeats', async () => {
    const { sup, launcher, log } = setup();
    launcher.behaviour.set('feed-0', { answerPings: false });
    await sup.start();
    const wedged = launcher.latest('feed-0');
    launcher.behaviour.delete('feed-0');
    const ev = await log.waitFor('process.event', (e) => e.name === 'feed-0' && e.kind === 'unresponsive');
    expect(ev.data.detail).toMatch(new RegExp(`^no heartbeat answer for \\d+ ms; killing pid ${wedged.pid}$`));
    const exited = await log.waitFor('process.event', (e) => e.name === 'feed-0' && e.kind === 'exited');
    expect(wedged.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(exited.data.detail).toMatch(/^killed by SIGKILL; reason: unresponsive: no heartbeat answer for \d+ ms$/);
    await launcher.launchedTimes('feed-0', 2);
    await log.waitFor('process.event', (e) => e.name === 'feed-0' && e.kind === 'started' && e.detail.endsWith('restart 1'));
  });

  it('kills a process that never says hello', async () => {
    const { sup, launcher, log } = setup({ helloTimeoutMs: 50 });
    launcher.behaviour.set('feed-1', { hello: false });
    await sup.start();
    const ev = await log.waitFor('process.event', (e) => e.name === 'feed-1' && e.kind === 'unresponsive');
    expect(ev.data.detail).toMatch(/^no hello within 50 ms of starting/);
    launcher.behaviour.delete('feed-1');
    await log.waitFor('process.event', (e) => e.name === 'feed-1' && e.kind === 'started');
    expect(kinds(log, 'feed-1')).toEqual(['unresponsive', 'exited', 'restarting', 'started']);
  });

  it('does not restart a process that speaks another protocol version', async () => {
    const { sup, launcher, log } = setup();
    launcher.behaviour.set('feed-1', { protocolVersion: 99 });
    await sup.start();
    const ev = await log.waitFor('process.event', (e) => e.name === 'feed-1' && e.kind === 'stopped');
    expect(ev.data.detail).toMatch(/^not restarted: protocol version mismatch: supervisor speaks 1, feed "feed-1" \(build test\) speaks 99/);
    expect(launcher.of('feed-1')).toHaveLength(1);
    expect(sup.cachedStatus().symbols.filter((s) => s.venue === 'binance-usdm').every((s) => s.state === 'halted')).toBe(true);
  });

  it('fans view subscriptions out to the owners and filters book frames per view', async () => {
    const { sup, launcher, att } = setup();
    await sup.start();
    const other = new EventLog();
    const att2 = sup.attach(other);
    const mine = new EventLog();
    const att1 = sup.attach(mine);
    const call1 = (p: { books: { venue: 'binance-spot' | 'binance-usdm'; symbol: string }[]; depth: number }) => att1.handlers['view.subscribe']!(p);
    const call2 = (p: { books: { venue: 'binance-spot' | 'binance-usdm'; symbol: string }[]; depth: number }) => att2.handlers['view.subscribe']!(p);
    await call1({ books: [{ venue: 'binance-spot', symbol: 'NKNUSDT' }, { venue: 'binance-usdm', symbol: 'SUSHIUSDT' }], depth: 2 });
    await call2({ books: [{ venue: 'binance-spot', symbol: 'LRCBTC' }], depth: 5 });
    await new Promise((r) => setTimeout(r, 0));
    const f0 = launcher.latest('feed-0');
    const subs0 = f0.calls.filter((c) => c.method === 'view.subscribe').map((c) => c.params);
    expect(subs0[subs0.length - 1]).toEqual({ books: [{ venue: 'binance-spot', symbol: 'LRCBTC' }, { venue: 'binance-spot', symbol: 'NKNUSDT' }], depth: 5 });
    const subs1 = launcher.latest('feed-1').calls.filter((c) => c.method === 'view.subscribe').map((c) => c.params);
    expect(subs1[subs1.length - 1]).toEqual({ books: [{ venue: 'binance-usdm', symbol: 'SUSHIUSDT' }], depth: 2 });
    f0.sendBooks();
    const got = await mine.waitFor('book.frame');
    expect(got.data.books.map((b) => b.symbol)).toEqual(['NKNUSDT']);
    expect(got.data.books[0]!.bids).toHaveLength(2);
    expect(got.data.books[0]!.bids[0]).toEqual({ price: '0.3527', size: '9602' });
    const got2 = await other.waitFor('book.frame');
    expect(got2.data.books.map((b) => b.symbol)).toEqual(['LRCBTC']);
    expect(got2.data.books[0]!.bids.length).toBeLessThanOrEqual(5);
    // A view that goes away takes its subscription with it.
    att2.detach();
    await new Promise((r) => setTimeout(r, 0));
    const last = f0.calls.filter((c) => c.method === 'view.subscribe').map((c) => c.params).pop();
    expect(last).toEqual({ books: [{ venue: 'binance-spot', symbol: 'NKNUSDT' }], depth: 2 });
    att.detach();
  });

  it("advances a quiet book's update age between reports (processes send only changed rows)", async () => {
    const clock = { t: 1_000_000 };
    const { sup } = clockedFeed(clock);
    await sup.start();
    const reported = await sup.status();
    const row = reported.symbols.find((x) => x.symbol === 'NKNUSDT')!;
    expect(row.updateAgeMs).toBe(0);
    clock.t += 3000;
    expect(sup.cachedStatus().symbols.find((x) => x.symbol === 'NKNUSDT')!.updateAgeMs).toBe(3000);
  });

  it("sends a view only the rows that changed since its previous stats frame; new and lagging views get the whole table", async () => {
    const clock = { t: 2_000_000 };
    const { launcher, sup } = clockedFeed(clock, { statsIntervalMs: 10 });
    const a = new EventLog();
    sup.attach(a);
    // A view whose socket skips frames while `skip` is set (as a slow browser's does).
    const b = new EventLog();
    let skip = false;
    sup.attach({ emit: (topic, d) => (skip && topic === 'stats.frame' ? false : b.emit(topic, d)) });
    // Listeners (logs, the HTTP host) always get the whole table.
    const l = new EventLog();
    sup.subscribe(l);
    await sup.start();
    const proc = launcher.latest('feed-0');
    const frameAfter = async (log: EventLog, since: number) => (await log.waitFor('stats.frame', () => true, since)).data;
    // Changes in the process: a stats frame with the rows it changed (possibly none).
    const report = async (rows: typeof proc.symbols) => {
      const since = performance.now();
      proc.peer!.emit('stats.frame', { symbols: rows, venues: [], nbbo: [], tsMs: clock.t });
      return { a: await frameAfter(a, since), b: skip ? null : await frameAfter(b, since), l: await frameAfter(l, since) };
    };
    await sup.status();
    const first = await report([]);
    expect(first.a.rows).toBe('full');
    expect(first.a.symbols).toHaveLength(4);
    const ages = new Map(first.a.symbols.map((r) => [r.symbol, r.updateAgeMs]));
    // 1.2 s later only NKNUSDT changed (a real row with another best bid): it alone is sent.
    clock.t += 1200;
    const nkn = proc.symbols.find((x) => x.symbol === 'NKNUSDT')!;
    const next = await report([{ ...nkn, bestBid: '0.3526', updateAgeMs: 3 }]);
    expect(next.a.rows).toBe('changed');
    expect(next.a.symbols.map((r) => [r.symbol, r.bestBid, r.updateAgeMs])).toEqual([['NKNUSDT', '0.3526', 3]]);
    expect(next.b!.symbols.map((r) => r.symbol)).toEqual(['NKNUSDT']);
    expect(next.l.rows).toBe('full');
    expect(next.l.symbols).toHaveLength(4);
    // What was left out is exactly the previous row aged by the frames' time difference.
    for (const r of next.l.symbols) if (r.symbol !== 'NKNUSDT') expect(r).toEqual({ ...first.a.symbols.find((x) => x.symbol === r.symbol)!, updateAgeMs: ages.get(r.symbol) === null ? null : ages.get(r.symbol)! + 1200 });
    // Nothing changed but time: no rows.
    clock.t += 500;
    expect((await report([])).a.symbols).toEqual([]);
    // B skips a frame (its socket is behind); its next frame is the whole table, A's is not.
    skip = true;
    clock.t += 500;
    await report([{ ...nkn, bestBid: '0.3525', updateAgeMs: 1 }]);
    skip = false;
    clock.t += 500;
    const after = await report([]);
    expect(after.a.rows).toBe('changed');
    expect(after.a.symbols).toEqual([]);
    expect(after.b!.rows).toBe('full');
    expect(after.b!.symbols.find((r) => r.symbol === 'NKNUSDT')!.bestBid).toBe('0.3525');
    // A view attached now starts with the whole table.
    const c = new EventLog();
    sup.attach(c);
    clock.t += 500;
    const since = performance.now();
    await report([]);
    const cf = await frameAfter(c, since);
    expect([cf.rows, cf.symbols.length]).toEqual(['full', 4]);
  });

  it('stops every process gracefully', async () => {
    const { sup, launcher, log } = setup();
    await sup.start();
    await sup.stop();
    running.splice(0);
    expect(launcher.launched.every((p) => p.exited?.code === 0)).toBe(true);
    expect(kinds(log, 'feed-0')).toEqual(['started', 'stopped']);
    expect(sup.cachedStatus().processes.every((p) => p.state === 'stopped')).toBe(true);
  });
});
