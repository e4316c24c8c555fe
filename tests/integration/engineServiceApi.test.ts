/**
 * EngineService through the engine contract (engineApi.ts) over a Peer pair: the handlers answer
 * from live books built from a replayed real recording, views are exact decimal strings equal to
 * the reference book, manual resyncs and subscription changes go through the real feed.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BookFrame, ResyncEvent, StatsFrame } from '../../src-shared/contracts/engineApi.ts';
import { memoryPortPair, Peer, RpcError } from '../../src-shared/contracts/rpc.ts';
import { PROTOCOL_VERSION } from '../../src-shared/contracts/engineApi.ts';
import { formatScaled } from '../../src-shared/model/decimal.ts';
import { mulberry32 } from '../../src-main/engine/feed/backoff.ts';
import { EngineService } from '../../src-main/engine/services/engineService.ts';
import { activeHandles, bookDifferences, expectNoLeaks, leftLive, liveReplay, quiescent, TEST_TIMING, until } from '../support/liveReplay.ts';
import type { LiveReplay } from '../support/liveReplay.ts';
import { startReplay } from '../../src-main/engine/replay/replayPlan.ts';
import type { ReplayPlan } from '../../src-main/engine/replay/replayPlan.ts';
import { dataPath } from '../support/data.ts';

// Ten symbols on one connection; at speed 0 every book applies diffs after its snapshot.
const TEN = 'binance/cryptofeed_spot_10sym_2021-04-05_120s.ndjson';
const SYMBOLS = ['AXSBNB', 'BTCAUD', 'BTCSTUSDT', 'DENTUSDT', 'ETHBRL', 'MANAUSDT', 'NEOUSDC', 'QTUMETH', 'RENBTCETH', 'ZILUSDT'];

let r: LiveReplay | undefined;
let peers: Peer[] = [];
const extra: { stop(): Promise<void> }[] = [];
let baseline = activeHandles();

beforeEach(() => {
  baseline = activeHandles();
});

afterEach(async () => {
  for (const p of peers) p.close('test done');
  peers = [];
  await r?.close();
  r = undefined;
  for (const x of extra.splice(0)) await x.stop();
  await expectNoLeaks(baseline);
});

/** A client peer talking to the service's handlers, with its events forwarded. */
async function connectClient(svc: EngineService): Promise<Peer> {
  const [a, b] = memoryPortPair();
  const server = new Peer(a, { hello: { protocolVersion: PROTOCOL_VERSION, build: 'test', role: 'feed', name: svc.processName }, handlers: svc.handlers() });
  for (const topic of ['feed.transition', 'feed.resync', 'feed.notice', 'stats.frame', 'book.frame'] as const) {
    svc.on(topic, (d) => server.emit(topic, d as never));
  }
  const client = new Peer(b, { hello: { protocolVersion: PROTOCOL_VERSION, build: 'test', role: 'test', name: 'client' } });
  peers.push(server, client);
  await client.ready();
  return client;
}

async function rejection(p: Promise<unknown>): Promise<RpcError> {
  try {
    await p;
  } catch (e) {
    return e as RpcError;
  }
  throw new Error('expected a rejection');
}

describe('EngineService over the engine contract', () => {
  it('status, symbols, venues and books are exact views of the live books', async () => {
    r = await liveReplay(TEN);
    await quiescent(r);
    const client = await connectClient(r.svc);

    const status = await client.call('status.get', {});
    expect(status.mode).toBe('replay');
    expect(status.processes.map((p) => [p.name, p.role, p.state])).toEqual([['feed-test', 'feed', 'running']]);
    expect(status.venues).toHaveLength(1);
    const v = status.venues[0]!;
    expect(v).toMatchObject({ venue: 'binance-spot', label: 'Binance Spot', connections: 1, connectionsOpen: 1, symbols: 10, liveSymbols: 10, staleSymbols: 0, reconnects: 0, gaps: 0, resyncs: 0 });
    expect(v.rest).toMatchObject({ limit: 6000, windowMs: 60_000, queued: 0, blockedUntilMs: null, lastStatus: 200 });
    // A replay's exchange times are the recording's: no latency, the age shows as clock offset.
    expect(v.latencyP50Us).toBeNull();
    expect(v.clockOffsetMs).toBeGreaterThan(365 * 24 * 3600_000);
    expect(status.symbols.every((s) => s.latencyP50Us === null)).toBe(true);

    expect(status.symbols.map((s) => s.symbol).sort()).toEqual(SYMBOLS);
    for (const s of status.symbols) {
      const ref = r.server.reference(s.symbol)!;
      const b = ref.book;
      expect(s.state).toBe('live');
      expect(s.seq).toBe(ref.seq);
      expect(s.sequenceLag).toBe(0);
      expect(s.updateAgeMs).toBeGreaterThanOrEqual(0);
      expect(s.bestBid).toBe(formatScaled(b.bids.bestPrice(), b.priceScale));
      expect(s.bestAsk).toBe(formatScaled(b.asks.bestPrice(), b.priceScale));
      expect(s.bestBidSize).toBe(formatScaled(b.bids.bestSize(), b.sizeScale));
      expect(s.trustBand.mode).toBe('snapshot');
      expect(s.counters.gaps).toBe(0);
      expect(s.counters.crossCheckFailed).toBe(0);
      expect(s.process).toBe('feed-test');
      expect(s.normalized).toBe(r.book(s.symbol).instrument.symbol);
    }
    expect(await client.call('symbols.list', { venue: 'binance-spot' })).toHaveLength(10);
    expect(await client.call('symbols.list', { venue: 'okx' })).toEqual([]);
    expect((await client.call('venues.list', {})).map((x) => x.venue)).toEqual(['binance-spot']);

    const book = await client.call('book.get', { venue: 'binance-spot', symbol: 'ZILUSDT', depth: 5 });
    const ref = r.server.reference('ZILUSDT')!.book;
    expect(book.bids).toEqual(ref.top(5).bids.map(([p, q]) => ({ price: formatScaled(p, ref.priceScale), size: formatScaled(q, ref.sizeScale) })));
    expect(book.asks).toEqual(ref.top(5).asks.map(([p, q]) => ({ price: formatScaled(p, ref.priceScale), size: formatScaled(q, ref.sizeScale) })));
    expect(book.spread).toBe(formatScaled(ref.asks.bestPrice() - ref.bids.bestPrice(), ref.priceScale));
    expect(book.mid).toBe(formatScaled((ref.asks.bestPrice() + ref.bids.bestPrice()) * 5, ref.priceScale + 1));
    // Lower-case venue symbols name the same book.
    expect((await client.call('book.get', { venue: 'binance-spot', symbol: 'zilusdt', depth: 1 })).seq).toBe(book.seq);

    expect((await rejection(client.call('book.get', { venue: 'binance-spot', symbol: 'ETHUSDT', depth: 5 }))).code).toBe('unknown-symbol');
    expect((await rejection(client.call('book.get', { venue: 'okx', symbol: 'BTC-USDT', depth: 5 }))).code).toBe('unknown-venue');
    expect((await rejection(client.call('book.get', { venue: 'binance-spot', symbol: 'ZILUSDT', depth: 0 }))).code).toBe('bad-request');
  });

  it('view.subscribe gets book frames for the subscribed books only; stats frames carry changed rows and the venue tiles', async () => {
    r = await liveReplay(TEN);
    await quiescent(r);
    const client = await connectClient(r.svc);
    const frames: BookFrame[] = [];
    const stats: StatsFrame[] = [];
    client.on('book.frame', (f) => frames.push(f));
    client.on('stats.frame', (f) => stats.push(f));
    expect(await client.call('view.subscribe', { books: [{ venue: 'binance-spot', symbol: 'MANAUSDT' }, { venue: 'binance-spot', symbol: 'NOPE' }], depth: 3 })).toEqual({ books: 1 });
    await until(() => frames.length > 0);
    const view = frames[0]!.books;
    expect(view.map((b) => b.symbol)).toEqual(['MANAUSDT']);
    expect(view[0]!.bids).toHaveLength(3);
    expect(view[0]!.asks).toHaveLength(3);
    expect(view[0]).toEqual({ ...(await client.call('book.get', { venue: 'binance-spot', symbol: 'MANAUSDT', depth: 3 })), tsMs: view[0]!.tsMs });
    // A manual resync changes the book's state: a stats frame with its row follows.
    expect(await client.call('resync', { scope: 'symbol', venue: 'binance-spot', symbol: 'MANAUSDT' })).toEqual({ accepted: 1 });
    await until(() => stats.some((s) => s.symbols.some((x) => x.symbol === 'MANAUSDT' && x.state === 'live' && x.counters.resyncs === 1)));
    const last = stats.at(-1)!;
    expect(last.venues.map((x) => x.venue)).toEqual(['binance-spot']);
    // The process's NBBO (analytics/nbbo.ts) rides along with every stats frame and answers nbbo.get.
    expect(last.nbbo.map((n) => n.instrument)).toEqual((await client.call('nbbo.get', {})).map((n) => n.instrument));
    expect(last.nbbo.find((n) => n.instrument === 'MANA-USDT')?.bid?.venue).toBe('binance-spot');
  });

  it('manual resyncs take the REST queue at manual priority and end live; events.recent keeps the latest version of each', async () => {
    r = await liveReplay(TEN);
    await quiescent(r);
    const client = await connectClient(r.svc);
    const resyncs: ResyncEvent[] = [];
    client.on('feed.resync', (e) => resyncs.push(e));
    expect(await client.call('resync', { scope: 'venue', venue: 'binance-spot' })).toEqual({ accepted: 10 });
    await until(() => resyncs.filter((e) => e.outcome === 'live').length === 10);
    for (const s of SYMBOLS) {
      const mine = resyncs.filter((e) => e.symbol === s);
      expect(mine.map((e) => [e.cause, e.outcome])).toEqual([
        ['manual', 'pending'],
        ['manual', 'live'],
      ]);
      expect(mine[1]!.durationMs).toBe(mine[1]!.endedMs! - mine[1]!.startedMs);
      expect(r.svc.restBudget('binance-spot')!.history.filter((a) => a.key === s).map((a) => a.priority)).toEqual(['cold', 'manual']);
      expect(bookDifferences(r.book(s), r.server.reference(s)!, 50)).toEqual([]);
    }
    const recent = await client.call('events.recent', { limit: 10 });
    expect(recent.resyncs.map((e) => e.outcome)).toEqual(SYMBOLS.map(() => 'live'));
    expect(recent.transitions.length).toBeLessThanOrEqual(10);
    expect(recent.transitions.at(-1)!.to).toBe('live');
    expect((await rejection(client.call('resync', { scope: 'symbol', venue: 'binance-spot', symbol: 'ETHUSDT' }))).code).toBe('unknown-symbol');
    expect((await rejection(client.call('resync', { scope: 'venue', venue: 'kraken' }))).code).toBe('unknown-venue');
  });

  it('subscriptions.set mid-stream: the removed symbol is gone, its connection is re-planned with the added ones, all end exact', async () => {
    const started = await startReplay({ files: [dataPath(TEN)], speed: 20 });
    if (!started.ok) throw new Error(started.error);
    const plan: ReplayPlan = started.plan;
    const server = plan.servers[0]!;
    const all = plan.venues[0]!.symbols;
    const svc = new EngineService({
      venues: [{ ...plan.venues[0]!, symbols: all.slice(0, 8) }],
      processName: 'feed-test',
      timing: TEST_TIMING,
      random: mulberry32(9),
    });
    extra.push({ stop: async () => {
      await svc.stop();
      await plan.close();
    } });
    await svc.start();
    const client = await connectClient(svc);
    await until(() => [...svc.books()].every((b) => b.state === 'live'));
    const want = [...all.slice(1, 8), ...all.slice(8)];
    const res = await client.call('subscriptions.set', { venue: 'binance-spot', symbols: want.map((s) => s.toLowerCase()) });
    expect(res).toEqual({ venue: 'binance-spot', symbols: want });
    expect([...svc.books()].map((b) => b.symbol).sort()).toEqual([...want].sort());
    // The connection that carried the removed symbol was replaced by one carrying the added ones too.
    expect(svc.connections('binance-spot')).toHaveLength(1);
    expect(svc.connections('binance-spot')[0]!.symbols().sort()).toEqual([...want].sort());
    await server.ended;
    await until(() => [...svc.books()].every((b) => b.state === 'live' && b.seq === server.reference(b.symbol)!.seq));
    for (const sb of svc.books()) expect(bookDifferences(sb, server.reference(sb.symbol)!, 50), sb.symbol).toEqual([]);
    const venue = (await client.call('venues.list', {}))[0]!;
    expect(venue.symbols).toBe(9);
    expect(venue.reconnects).toBe(1);
  });
});

describe('leftLive helper', () => {
  it('lists only departures from live after the first live', () => {
    const fake = { transitions: [
      { venue: 'binance-spot', symbol: 'X', from: 'connecting', to: 'buffering', cause: 'subscribed', detail: null, tsMs: 1 },
      { venue: 'binance-spot', symbol: 'X', from: 'syncing', to: 'live', cause: 'aligned', detail: null, tsMs: 2 },
      { venue: 'binance-spot', symbol: 'X', from: 'live', to: 'resyncing', cause: 'gap', detail: null, tsMs: 3 },
    ] } as unknown as LiveReplay;
    expect(leftLive(fake, 'X').map((t) => t.cause)).toEqual(['gap']);
  });
});
