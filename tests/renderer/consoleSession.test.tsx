/// <reference types="node" />
// @vitest-environment happy-dom
/**
 * The console session and its stores, fed by frames built from real recordings through the real
 * bridge and RPC peer: seeding on connect, per-frame coalescing, changed-level detection, trades,
 * manual resync progress, reconnect + resubscribe, diagnostics (including "not available"),
 * chart sampling and the persisted layout.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { BookView, ResyncEvent } from '../../src-shared/contracts/engineApi.ts';
import { RpcError } from '../../src-shared/contracts/rpc.ts';
import { changedLevels } from '../../src-renderer/stores/booksStore.ts';
import { manualProgress } from '../../src-renderer/stores/eventsStore.ts';
import { bookKey } from '../../src-renderer/stores/keys.ts';
import { LADDER_BOOKS_PER_FRAME } from '../../src-renderer/stores/consoleSession.ts';
import { keysByInstrument } from '../../src-renderer/stores/marketStore.ts';
import { createUiStore, defaults, loadPersisted, openLadder, sanitize, STORAGE_KEY } from '../../src-renderer/stores/uiStore.ts';
import { consoleFixture } from '../support/consoleFixtures.ts';
import { MemoryStorage, settle, startHarness } from './harness.tsx';
import type { Harness } from './harness.tsx';

const FILES = ['binance/cryptofeed_spot_4sym_2021-10-12.ndjson', 'okx/cryptofeed_books_2022-05-13.ndjson', 'bybit/cryptofeed_v5_linear+spot_orderbook200_2026-08-09.ndjson'];

let h: Harness | null = null;
afterEach(() => {
  h?.dispose();
  h = null;
});

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('console session on real frames', () => {
  it('seeds every row, tile, event and NBBO from the engine on connect', async () => {
    const fx = await consoleFixture(FILES);
    h = await startHarness(fx);
    await until(() => h!.session.stores.market.getState().symbols.size > 0, 'seed');
    const m = h.session.stores.market.getState();
    expect(m.symbols.size).toBe(fx.status.symbols.length);
    for (const row of fx.status.symbols) expect(m.symbols.get(bookKey(row.venue, row.symbol))).toEqual(row);
    expect(m.venues.map((v) => v.venue)).toEqual(fx.status.venues.map((v) => v.venue));
    expect(m.nbbo).toEqual(fx.nbbo);
    expect(m.engine).toEqual({ build: 'fixture', mode: 'replay', startedMs: fx.status.startedMs });
    expect(h.session.stores.events.getState().transitions.length).toBe(fx.transitions.length);
    expect(h.calls.map((c) => c.method).sort()).toEqual(['events.recent', 'nbbo.get', 'status.get']);
  });

  it('applies a burst of stats frames once per animation frame, ending at the newest values', async () => {
    const fx = await consoleFixture(FILES);
    h = await startHarness(fx);
    await until(() => h!.session.stores.market.getState().symbols.size > 0, 'seed');
    await h.frame();
    const market = h.session.stores.market;
    let notifications = 0;
    market.subscribe(() => notifications++);
    const burst = fx.statsFrames.slice(0, 12);
    for (const f of burst) h.engine().emit('stats.frame', f);
    await settle();
    expect(notifications).toBe(0);
    expect(h.scheduler.pending).toBe(1);
    await h.frame();
    expect(notifications).toBe(1);
    const last = burst[burst.length - 1]!;
    for (const row of last.symbols) expect(market.getState().symbols.get(bookKey(row.venue, row.symbol))).toEqual(row);
    expect(market.getState().engineNowMs).toBe(last.tsMs);
    expect(h.session.perf.batch.at(-1)).toBe(12);
  });

  it("ages the rows a 'changed' stats frame leaves out by the frame's time; a 'full' frame replaces the table", async () => {
    const fx = await consoleFixture(FILES);
    h = await startHarness(fx);
    await until(() => h!.session.stores.market.getState().symbols.size > 0, 'seed');
    await h.frame();
    const market = h.session.stores.market;
    const seeded = new Map(market.getState().symbols);
    expect([...seeded.values()].some((r) => r.updateAgeMs !== null)).toBe(true);
    // One real row changed, 1.5 s of engine time after the status: the others are left out.
    const changed = { ...fx.statsFrames[0]!.symbols[0]!, updateAgeMs: 7 };
    const changedKey = bookKey(changed.venue, changed.symbol);
    const t0 = fx.status.nowMs;
    h.engine().emit('stats.frame', { symbols: [changed], venues: [], nbbo: [], tsMs: t0 + 1500, rows: 'changed' });
    await settle();
    await h.frame();
    let now = market.getState();
    expect(now.symbols.size).toBe(seeded.size);
    expect(now.symbols.get(changedKey)).toEqual(changed);
    for (const [k, r] of seeded) if (k !== changedKey) expect(now.symbols.get(k)).toEqual(r.updateAgeMs === null ? r : { ...r, updateAgeMs: r.updateAgeMs + 1500 });
    // Two more frames in one animation frame (none with rows): ages follow the newest time.
    h.engine().emit('stats.frame', { symbols: [], venues: [], nbbo: [], tsMs: t0 + 1700, rows: 'changed' });
    h.engine().emit('stats.frame', { symbols: [], venues: [], nbbo: [], tsMs: t0 + 2000, rows: 'changed' });
    await settle();
    await h.frame();
    now = market.getState();
    expect(now.symbols.get(changedKey)!.updateAgeMs).toBe(7 + 500);
    for (const [k, r] of seeded) if (k !== changedKey) expect(now.symbols.get(k)!.updateAgeMs).toBe(r.updateAgeMs === null ? null : r.updateAgeMs + 2000);
    // A full frame is the whole table: rows it does not carry are gone, the others are as sent.
    const full = fx.status.symbols.slice(0, 2);
    h.engine().emit('stats.frame', { symbols: full, venues: [], nbbo: [], tsMs: t0 + 2500, rows: 'full' });
    await settle();
    await h.frame();
    now = market.getState();
    expect([...now.symbols.values()]).toEqual(full);
    // Unmarked frames (a feed process's changed rows) are upserted as they are, nothing aged.
    const more = fx.status.symbols[2]!;
    h.engine().emit('stats.frame', { symbols: [more], venues: [], nbbo: [], tsMs: t0 + 3000 });
    await settle();
    await h.frame();
    expect([...market.getState().symbols.values()]).toEqual([...full, more]);
  });

  it('indexes the table by instrument once per table', async () => {
    const fx = await consoleFixture(FILES);
    h = await startHarness(fx);
    await until(() => h!.session.stores.market.getState().symbols.size > 0, 'seed');
    const symbols = h.session.stores.market.getState().symbols;
    const index = keysByInstrument(symbols);
    expect(keysByInstrument(symbols)).toBe(index);
    for (const [k, r] of symbols) expect(index.get(r.normalized)).toContain(k);
    expect([...index.values()].reduce((n, l) => n + l.length, 0)).toBe(symbols.size);
    // BTC-USDT is quoted on several of these recordings' venues.
    expect([...index.values()].some((l) => l.length > 1)).toBe(true);
  });

  it('subscribes the open ladders, marks exactly the levels that changed between two real book states', async () => {
    const fx = await consoleFixture(FILES);
    h = await startHarness(fx);
    await until(() => h!.bridge.connected, 'open');
    const key = 'bybit-linear|BTCUSDT';
    openLadder(h.session.stores.ui, { venue: 'bybit-linear', symbol: 'BTCUSDT' });
    openLadder(h.session.stores.ui, { venue: 'okx', symbol: 'BTC-USDT' });
    await h.frame();
    await until(() => h!.calls.some((c) => c.method === 'view.subscribe'), 'subscribe');
    const sub = h.calls.find((c) => c.method === 'view.subscribe')!.params as { books: unknown[]; depth: number };
    expect(sub.books).toEqual([
      { venue: 'bybit-linear', symbol: 'BTCUSDT' },
      { venue: 'okx', symbol: 'BTC-USDT' },
    ]);
    expect(sub.depth).toBe(h.session.stores.ui.getState().ladderDepth);
    const views = fx.bookViews.get(key)!;
    expect(views.length).toBeGreaterThan(3);
    const [a, b] = [views[1]!, views[2]!];
    await h.emit('book.frame', { books: [a], trades: [] });
    await h.frame();
    await h.emit('book.frame', { books: [b], trades: [] });
    await h.frame();
    const lb = h.session.stores.books.getState().books[key]!;
    expect(lb.view).toEqual(b);
    // Independent expectation: every (side, price, size) of b that is not in a.
    const pairs = (v: BookView) => new Set([...v.bids.map((l) => `b:${l.price}=${l.size}`), ...v.asks.map((l) => `a:${l.price}=${l.size}`)]);
    const before = pairs(a);
    const expected = [...pairs(b)].filter((p) => !before.has(p)).map((p) => p.slice(0, p.indexOf('=')));
    expect([...lb.changed].sort()).toEqual(expected.sort());
    expect(expected.length).toBeGreaterThan(0);
    expect(changedLevels(undefined, b).size).toBe(0);
  });

  it('repaints ladders in turn: at most LADDER_BOOKS_PER_FRAME books per frame, longest waiting first, newest view each', async () => {
    const fx = await consoleFixture(FILES);
    h = await startHarness(fx);
    await until(() => h!.bridge.connected, 'open');
    const keys = [...fx.bookViews.keys()].filter((k) => fx.bookViews.get(k)!.length > 3).slice(0, LADDER_BOOKS_PER_FRAME + 2);
    expect(keys.length).toBe(LADDER_BOOKS_PER_FRAME + 2);
    // One frame from the engine carrying every book, then newer views of the first book.
    await h.emit('book.frame', { books: keys.map((k) => fx.bookViews.get(k)![1]!), trades: [] });
    const newest = fx.bookViews.get(keys[0]!)![2]!;
    await h.emit('book.frame', { books: [newest], trades: [] });
    const books = h.session.stores.books;
    h.scheduler.flush();
    let shown = Object.keys(books.getState().books);
    expect(shown).toEqual(keys.slice(0, LADDER_BOOKS_PER_FRAME));
    expect(books.getState().books[keys[0]!]!.view).toEqual(newest);
    // The rest are painted on the next frame, which the session asked for itself.
    expect(h.scheduler.pending).toBe(1);
    h.scheduler.flush();
    shown = Object.keys(books.getState().books);
    expect(shown.sort()).toEqual([...keys].sort());
    for (const k of keys.slice(1)) expect(books.getState().books[k]!.view).toEqual(fx.bookViews.get(k)![1]);
    expect(h.scheduler.pending).toBe(0);
  });

  it('keeps trades per book, newest first', async () => {
    const fx = await consoleFixture(FILES);
    h = await startHarness(fx);
    await until(() => h!.bridge.connected, 'open');
    const trades = fx.trades.filter((t) => t.venue === 'bybit-linear' && t.symbol === 'BTCUSDT');
    expect(trades.length).toBeGreaterThan(10);
    await h.emit('book.frame', { books: [], trades: trades.slice(0, 5) });
    await h.emit('book.frame', { books: [], trades: trades.slice(5, 10) });
    await h.frame();
    const kept = h.session.stores.books.getState().trades['bybit-linear|BTCUSDT']!;
    expect(kept.map((t) => t.tradeId)).toEqual(trades.slice(0, 10).reverse().map((t) => t.tradeId));
  });

  it('tracks a venue resync from request to every book live', async () => {
    const fx = await consoleFixture(FILES);
    h = await startHarness(fx);
    await until(() => h!.bridge.connected, 'open');
    const books = fx.status.symbols.filter((s) => s.venue === 'bybit-linear');
    const p = h.session.resync({ scope: 'venue', venue: 'bybit-linear' });
    expect(h.session.stores.events.getState().manual[0]!.phase).toBe('sending');
    await p;
    let m = h.session.stores.events.getState().manual[0]!;
    expect(m.phase).toBe('accepted');
    expect(m.accepted).toBe(books.length);
    const t0 = fx.status.nowMs;
    const started: ResyncEvent[] = books.map((b, i) => ({ id: `m${i}`, venue: b.venue, symbol: b.symbol, cause: 'manual', detail: 'requested from the console', startedMs: t0, endedMs: null, durationMs: null, outcome: 'pending' }));
    for (const e of started) h.engine().emit('feed.resync', e);
    await h.frame();
    m = h.session.stores.events.getState().manual[0]!;
    expect(manualProgress(m)).toMatchObject({ started: books.length, pending: books.length, live: 0, done: false });
    for (const e of started.slice(0, 2)) h.engine().emit('feed.resync', { ...e, outcome: 'live', endedMs: t0 + 120, durationMs: 120 });
    await h.frame();
    m = h.session.stores.events.getState().manual[0]!;
    expect(manualProgress(m)).toMatchObject({ live: 2, pending: books.length - 2, done: false });
    for (const e of started.slice(2)) h.engine().emit('feed.resync', { ...e, outcome: 'live', endedMs: t0 + 300, durationMs: 300 });
    await h.frame();
    expect(manualProgress(h.session.stores.events.getState().manual[0]!)).toMatchObject({ live: books.length, pending: 0, failed: 0, done: true });
    expect(h.calls.filter((c) => c.method === 'resync').map((c) => c.params)).toEqual([{ scope: 'venue', venue: 'bybit-linear' }]);
  });

  it('a refused resync says why', async () => {
    const fx = await consoleFixture(FILES);
    h = await startHarness(fx, {
      handlers: {
        resync: () => {
          throw new RpcError('unknown-symbol', 'okx NOPE-USDT is not configured');
        },
      },
    });
    await until(() => h!.bridge.connected, 'open');
    await h.session.resync({ scope: 'symbol', venue: 'okx', symbol: 'NOPE-USDT' });
    const m = h.session.stores.events.getState().manual[0]!;
    expect(m.phase).toBe('rejected');
    expect(m.error).toContain('okx NOPE-USDT is not configured (unknown-symbol)');
  });

  it('after the engine drops the connection it reconnects, re-seeds and re-subscribes the ladders', async () => {
    const fx = await consoleFixture(FILES);
    h = await startHarness(fx);
    await until(() => h!.bridge.connected, 'open');
    openLadder(h.session.stores.ui, { venue: 'okx', symbol: 'BTC-USDT' });
    await h.frame();
    await until(() => h!.calls.filter((c) => c.method === 'view.subscribe').length === 1, 'first subscribe');
    h.dropConnection('host restarting');
    await until(() => h!.session.stores.connection.getState().status.phase === 'waiting', 'waiting');
    const st = h.session.stores.connection.getState().status;
    expect(st.phase === 'waiting' && st.reason).toContain('host restarting');
    await until(() => h!.session.stores.connection.getState().status.phase === 'open', 'reopen');
    await until(() => h!.calls.filter((c) => c.method === 'status.get').length === 2, 'reseed');
    await h.frame();
    await until(() => h!.calls.filter((c) => c.method === 'view.subscribe').length === 2, 'resubscribe');
  });

  it('diagnostics: "not available in this build" when the engine has no exporter, the result when it has one', async () => {
    const fx = await consoleFixture(FILES);
    h = await startHarness(fx);
    await until(() => h!.bridge.connected, 'open');
    await h.session.exportDiagnostics();
    expect(h.session.stores.connection.getState().diagnostics).toMatchObject({ phase: 'not-available' });
    h.dispose();
    h = await startHarness(fx, { handlers: { 'diagnostics.export': () => ({ path: '/var/depthdesk/diag-1.zip', bytes: 48_213, parts: ['status.json', 'events.json', 'logs'], omitted: [] }) } });
    await until(() => h!.bridge.connected, 'open');
    const p = h.session.exportDiagnostics();
    expect(h.session.stores.connection.getState().diagnostics.phase).toBe('running');
    await p;
    expect(h.session.stores.connection.getState().diagnostics).toMatchObject({ phase: 'done', result: { path: '/var/depthdesk/diag-1.zip', bytes: 48_213 } });
  });

  it('diagnostics: progress events from the engine show while the export runs, the download path when done', async () => {
    const fx = await consoleFixture(FILES);
    let finish!: () => void;
    const released = new Promise<void>((r) => (finish = r));
    const result = { path: '/var/depthdesk/diagnostics/depthdesk-diagnostics-1.zip', bytes: 91_000, parts: ['config.json', 'status/venues.json'], omitted: ['logs/feed-0.log.1 (9000000 bytes): bundle limit 1000000 bytes reached'], download: '/api/diagnostics/depthdesk-diagnostics-1.zip' };
    h = await startHarness(fx, { handlers: { 'diagnostics.export': async () => (await released, result) } });
    await until(() => h!.bridge.connected, 'open');
    const p = h.session.exportDiagnostics();
    await h.emit('diagnostics.progress', { id: 'x#1', phase: 'running', step: 'book binance-spot BTCUSDT', done: 3, total: 9, bytes: 4096 });
    await until(() => h!.session.stores.connection.getState().diagnostics.phase === 'running' && 'progress' in h!.session.stores.connection.getState().diagnostics, 'progress');
    expect(h.session.stores.connection.getState().diagnostics).toMatchObject({ phase: 'running', progress: { step: 'book binance-spot BTCUSDT', done: 3, total: 9, bytes: 4096 } });
    finish();
    await p;
    expect(h.session.stores.connection.getState().diagnostics).toMatchObject({ phase: 'done', result: { download: '/api/diagnostics/depthdesk-diagnostics-1.zip', omitted: result.omitted } });
  });

  it('samples the venue tiles once per second of engine time for the charts', async () => {
    const fx = await consoleFixture(FILES);
    h = await startHarness(fx);
    await until(() => h!.bridge.connected, 'open');
    const frames = fx.statsFrames.slice(0, 20);
    for (const f of frames) {
      await h.emit('stats.frame', f);
      await h.frame();
    }
    const hist = h.session.stores.history.getState();
    // The seed sampled the end of the recordings; the frames start earlier (recorded time), so
    // the history restarts at the first frame and then keeps one sample per second.
    const expected: typeof frames = [];
    let last = -Infinity;
    for (const f of frames) {
      if (f.tsMs - last >= 1000) {
        expected.push(f);
        last = f.tsMs;
      }
    }
    expect(expected.length).toBeGreaterThan(5);
    expect(hist.t).toEqual(expected.map((f) => f.tsMs / 1000));
    const lastSampled = expected[expected.length - 1]!;
    for (const v of lastSampled.venues) expect(hist.venues[v.venue]!.msgsPerSec.at(-1)).toBe(v.messagesPerSec);
    for (const s of Object.values(hist.venues)) expect(s.msgsPerSec.length).toBe(hist.t.length);
  });
});

describe('persisted layout', () => {
  it('round-trips through storage and survives a restart', () => {
    const storage = new MemoryStorage();
    const a = createUiStore(storage);
    openLadder(a, { venue: 'okx', symbol: 'BTC-USDT' });
    a.setState({ filters: { venue: 'okx', state: 'not-live', text: 'btc' }, lowerTab: 'nbbo', chartRange: '15m', sort: { column: 'spread', desc: true } });
    const b = createUiStore(storage);
    const s = b.getState();
    expect(s.ladders).toEqual([{ venue: 'okx', symbol: 'BTC-USDT' }]);
    expect(s.selected).toBe('okx|BTC-USDT');
    expect(s.filters).toEqual({ venue: 'okx', state: 'not-live', text: 'btc' });
    expect(s.lowerTab).toBe('nbbo');
    expect(s.chartRange).toBe('15m');
    expect(s.sort).toEqual({ column: 'spread', desc: true });
    expect(s.confirm).toBeNull();
  });

  it('ignores corrupt or foreign storage field by field', () => {
    const storage = new MemoryStorage();
    storage.setItem(STORAGE_KEY, '{not json');
    expect(loadPersisted(storage)).toEqual(defaults());
    const s = sanitize({ ladders: [{ venue: 'okx', symbol: 'BTC-USDT' }, { venue: 'okx', symbol: 'BTC-USDT' }, { venue: '<script>', symbol: 'x' }, 7], ladderDepth: 33, lowerTab: 'nope', filters: { venue: 'kraken', state: 'weird', text: 5 }, lowerHeight: 50_000, chartRange: '1h' });
    expect(s.ladders).toEqual([{ venue: 'okx', symbol: 'BTC-USDT' }]);
    expect(s.ladderDepth).toBe(defaults().ladderDepth);
    expect(s.lowerTab).toBe('timeline');
    expect(s.filters).toEqual({ venue: 'kraken', state: '', text: '' });
    expect(s.lowerHeight).toBe(defaults().lowerHeight);
    expect(s.chartRange).toBe('1h');
  });
});
