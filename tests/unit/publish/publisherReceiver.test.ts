/**
 * Publisher -> receivers, deterministic: real Binance depth diffs drive the publisher, which
 * sends into an in-memory network with a manual clock; receivers join on time, late, or behind a
 * seeded lossy link. At quiescence every receiver book must equal the publisher's published
 * top-N book with the same bookSeq and checksum (design 4.5 invariant 1), losses must show up as
 * channel gaps and be recovered, and no receiver may report LIVE with a book that differs.
 */
import { describe, expect, it } from 'vitest';
import { MulticastPublisher, type PublisherConfig } from '../../../src-main/engine/publish/multicastPublisher.ts';
import { channelEndpoints } from '../../../src-main/engine/publish/channelAddressing.ts';
import { Impairment } from '../../../src-main/engine/publish/impairment.ts';
import type { ChannelReceiver } from '../../../src-main/engine/publish/channelReceiver.ts';
import type { SyncState } from '../../../src-shared/model/market.ts';
import type { OrderBook } from '../../../src-main/engine/book/orderBook.ts';
import { InstrumentStatusCode } from '../../../src-shared/wire/obmcMessage.ts';
import { BinanceDepthReplay } from './binanceDepthReplay.ts';
import { ManualClock, MemoryNetwork } from './memoryNetwork.ts';

const BASE = { group: '239.192.50.1', port: 42001 };
/** binance-spot is channel 1 in the venue grouping. */
const EP = channelEndpoints(BASE, 1);

function setup(extra: Partial<PublisherConfig> = {}) {
  const clock = new ManualClock();
  const net = new MemoryNetwork(clock, EP.incremental.port, EP.snapshot.port);
  const publisher = new MulticastPublisher(
    {
      ...BASE,
      autoTick: false,
      clock,
      sessionId: 1_634_000_000,
      depth: 20,
      statusIntervalMs: 200,
      snapshotPacketsPerSecond: 400,
      heartbeatIntervalMs: 100,
      ...extra,
    },
    net,
  );
  const step = (ms: number) => {
    publisher.flushIncremental();
    clock.ms += ms;
    publisher.tick();
  };
  return { clock, net, publisher, step };
}

/** Books equal, LIVE, same bookSeq and checksum as published, for every instrument. */
function converged(publisher: MulticastPublisher, r: ChannelReceiver): boolean {
  const pub = publisher.publishedBooks();
  const got = r.books();
  if (pub.size === 0 || got.size !== pub.size) return false;
  for (const [key, p] of pub) {
    const b = got.get(key);
    if (!b || b.state !== 'live' || b.bookSeq !== p.bookSeq || b.checksum !== p.checksum) return false;
  }
  return true;
}

function expectSameBooks(publisher: MulticastPublisher, r: ChannelReceiver): void {
  const pub = publisher.publishedBooks();
  const got = r.books();
  expect([...got.keys()].sort()).toEqual([...pub.keys()].sort());
  for (const [key, p] of pub) {
    const b = got.get(key)!;
    expect({ key, state: b.state, bookSeq: b.bookSeq, bids: b.bids, asks: b.asks, checksum: b.checksum }).toEqual({
      key, state: 'live', bookSeq: p.bookSeq, bids: p.bids, asks: p.asks, checksum: p.checksum,
    });
  }
}

/** Advance simulated time until every receiver has converged (bounded by simulated seconds). */
function quiesce(step: (ms: number) => void, publisher: MulticastPublisher, receivers: ChannelReceiver[]): void {
  for (let i = 0; i < 6000 && !receivers.every((r) => converged(publisher, r)); i++) step(10);
}

/** Replay the recording; `stateOf` may turn part of it into a venue resync (a fault transformation). */
function replay(
  publisher: MulticastPublisher,
  step: (ms: number) => void,
  opts: {
    stateOf?: (symbol: string, index: number) => SyncState;
    onStep?: (index: number) => void;
    beforeBook?: (symbol: string, index: number, book: OrderBook) => void;
  } = {},
): number {
  const perSymbol = new Map<string, number>();
  let i = 0;
  for (const s of new BinanceDepthReplay().steps()) {
    if (s.kind === 'book') {
      const n = perSymbol.get(s.instrument.venueSymbol) ?? 0;
      perSymbol.set(s.instrument.venueSymbol, n + 1);
      opts.beforeBook?.(s.instrument.venueSymbol, n, s.book);
      publisher.onBook(s.instrument, s.book, opts.stateOf?.(s.instrument.venueSymbol, n) ?? 'live', s.tsNs);
    } else {
      publisher.onTrade(s.trade);
    }
    opts.onStep?.(i);
    step(20);
    i++;
  }
  return i;
}

describe('publisher and receivers on an in-memory network (real Binance data)', () => {
  it('an on-time receiver tracks every delta without a gap or a resync', () => {
    const { net, publisher, step, clock } = setup();
    const a = net.join();
    replay(publisher, step);
    quiesce(step, publisher, [a]);
    expectSameBooks(publisher, a);
    const ch = a.channel();
    expect(ch.channelGaps).toBe(0);
    expect(ch.decodeErrors).toEqual({});
    for (const v of a.instruments()) {
      expect(v.gaps).toBe(0);
      expect(v.checksumMismatch).toBe(0);
      expect(v.venueStatus).toBe('TRADING');
    }
    const stats = publisher.stats();
    expect(stats.instruments).toBe(4);
    expect(stats.instrumentsPublished).toBe(4);
    expect(stats.trades).toBe(2);
    expect(stats.deltas).toBeGreaterThan(100);
    expect(net.undecodable()).toEqual([]);
    // Once everything is LIVE the receiver leaves the snapshot loop (design 2.11 step 4).
    expect(a.wantsSnapshot()).toBe(false);
    // The NKNUSDT book is really the top 20 of a 1000-level REST snapshot plus 149 diffs.
    const nkn = publisher.publishedBooks().get('binance-spot:NKNUSDT')!;
    expect(nkn.bids).toHaveLength(20);
    expect(nkn.asks).toHaveLength(20);
    expect(nkn.bids[0]![0]).toBeLessThan(nkn.asks[0]![0]);
    // Rates cover the last completed one-second window of (simulated) time.
    const t0 = clock.ms;
    while (clock.ms - t0 < 1100) step(10);
    const rates = publisher.stats();
    expect(rates.packetsPerSec).toBeGreaterThan(0);
    expect(rates.bytesPerSec).toBeGreaterThanOrEqual(rates.packetsPerSec * 32);
    expect(rates.groups.map((g) => [g.role, g.group, g.port])).toEqual([
      ['incremental', '239.192.50.1', 42001],
      ['snapshot', '239.192.50.2', 42002],
    ]);
  });

  it('a late receiver syncs from the snapshot loop and buffered deltas', () => {
    const { net, publisher, step } = setup();
    let late: ChannelReceiver | undefined;
    replay(publisher, step, { onStep: (i) => (i === 60 ? (late = net.join()) : undefined) });
    expect(late).toBeDefined();
    quiesce(step, publisher, [late!]);
    expectSameBooks(publisher, late!);
    const views = late!.instruments();
    expect(views.every((v) => v.syncs === 1 && v.recoveries === 0)).toBe(true);
  });

  it('sends RESYNCING while the venue book is not live and an inline RESET when it is back', () => {
    const { net, publisher, step } = setup();
    const a = net.join();
    const states: string[] = [];
    a.on((e) => {
      if (e.type === 'state' && e.symbol === 'NKNUSDT') states.push(e.to);
    });
    let sawResyncing = false;
    replay(publisher, step, {
      // A real stretch of NKNUSDT diffs is presented as a venue resync (the engine would say
      // 'resyncing' while it re-snapshots), then live again.
      stateOf: (sym, n) => (sym === 'NKNUSDT' && n >= 50 && n < 60 ? 'resyncing' : 'live'),
      onStep: () => {
        const v = a.instruments().find((x) => x.symbol === 'NKNUSDT');
        if (v?.venueStatus === 'RESYNCING') sawResyncing = true;
      },
    });
    quiesce(step, publisher, [a]);
    expect(sawResyncing).toBe(true);
    expectSameBooks(publisher, a);
    const nkn = a.instruments().find((x) => x.symbol === 'NKNUSDT')!;
    // The RESET that first published the book, and the one after the resync.
    expect(nkn.resets).toBe(2);
    expect(nkn.gaps).toBe(0);
    expect(publisher.stats().resets).toBe(5); // one initial RESET per instrument + the resync
    expect(publisher.publishedBooks().get('binance-spot:NKNUSDT')!.status).toBe(InstrumentStatusCode.TRADING);
  });

  it('a widened book scale is announced as a new definition and a RESET at the new exponents', () => {
    const { net, publisher, step } = setup();
    const a = net.join();
    let late: ChannelReceiver | undefined;
    replay(publisher, step, {
      // The engine widens a scale when a venue shows a finer decimal; here the real NKNUSDT
      // book is widened by two price digits part way through the recording.
      beforeBook: (sym, n, book) => {
        if (sym === 'NKNUSDT' && n === 30) expect(book.widen(10, 8)).toBe(true);
      },
      onStep: (i) => (i === 120 ? (late = net.join()) : undefined),
    });
    quiesce(step, publisher, [a, late!]);
    expectSameBooks(publisher, a);
    expectSameBooks(publisher, late!);
    const nkn = publisher.publishedBooks().get('binance-spot:NKNUSDT')!;
    expect(nkn.priceExponent).toBe(-10);
    expect(nkn.sizeExponent).toBe(-8);
    const view = a.instruments().find((v) => v.symbol === 'NKNUSDT')!;
    expect(view).toMatchObject({ definitionVersion: 2, priceExponent: -10, resets: 2, gaps: 0, checksumMismatch: 0 });
    expect(late!.instruments().find((v) => v.symbol === 'NKNUSDT')).toMatchObject({ definitionVersion: 2, priceExponent: -10 });
    expect(publisher.stats().exponentViolations).toBe(1);
  });

  for (const seed of [1, 7, 42, 1234, 99991]) {
    it(`a receiver behind a lossy link (seed ${seed}) detects the gaps and recovers exact books`, () => {
      const { net, publisher, step } = setup();
      const lossy = new Impairment({ seed, lossRate: 0.08, burstProbability: 0.03, burstLength: 4, applyTo: 'incremental' });
      const r = net.join({}, lossy);
      const a = net.join();
      const liveBooksDiffer: string[] = [];
      replay(publisher, step, {
        onStep: () => {
          // Invariant 2: a LIVE instrument is never behind a hole it has not filled. Its book at
          // its bookSeq must be what was published at that bookSeq; the on-time receiver holds
          // exactly that when both are at the same bookSeq.
          const ref = a.books();
          for (const [key, b] of r.books()) {
            const x = ref.get(key);
            if (b.state === 'live' && x && x.bookSeq === b.bookSeq && x.checksum !== b.checksum) liveBooksDiffer.push(key);
          }
        },
      });
      quiesce(step, publisher, [r, a]);
      expect(liveBooksDiffer).toEqual([]);
      expectSameBooks(publisher, r);
      expect(lossy.stats().dropped).toBeGreaterThan(0);
      const ch = r.channel();
      expect(ch.channelGaps).toBeGreaterThan(0);
      expect(ch.gapMessages).toBeGreaterThan(0);
      const views = r.instruments();
      // The busiest book lost deltas and was rebuilt from the loop (or an inline RESET).
      const nkn = views.find((v) => v.symbol === 'NKNUSDT')!;
      expect(nkn.gaps).toBeGreaterThan(0);
      expect(nkn.recoveries).toBeGreaterThan(0);
      expect(views.every((v) => v.checksumMismatch === 0)).toBe(true);
    });
  }

  it('keeps every datagram within a small maxDatagram, splitting snapshots into chunks', () => {
    const { net, publisher, step } = setup({ maxDatagram: 400, depth: 50 });
    const late = net.join();
    replay(publisher, step);
    const late2 = net.join();
    quiesce(step, publisher, [late, late2]);
    expectSameBooks(publisher, late);
    expectSameBooks(publisher, late2);
    expect(net.undecodable()).toEqual([]);
    expect(Math.max(...net.sent.map((p) => p.bytes.length))).toBeLessThanOrEqual(400);
    expect(publisher.stats().maxPacketBytes).toBeLessThanOrEqual(400);
    // 100 entries at 400 bytes need several chunks: the late receiver could only sync from them.
    const nkn = publisher.publishedBooks().get('binance-spot:NKNUSDT')!;
    expect(nkn.bids.length + nkn.asks.length).toBe(100);
  });

  it('a new session makes receivers drop their state and resync', () => {
    const first = setup();
    const r = first.net.join();
    replay(first.publisher, first.step);
    quiesce(first.step, first.publisher, [r]);
    // The second publisher incarnation sends into the same receiver with a higher sessionId.
    const clock = first.clock;
    const second = new MulticastPublisher(
      { ...BASE, autoTick: false, clock, sessionId: 1_634_000_001, depth: 20, statusIntervalMs: 200, snapshotPacketsPerSecond: 400 },
      first.net,
    );
    const step2 = (ms: number) => {
      second.flushIncremental();
      clock.ms += ms;
      second.tick();
    };
    replay(second, step2);
    quiesce(step2, second, [r]);
    expectSameBooks(second, r);
    expect(r.channel().sessionChanges).toBe(1);
    expect(r.channel().sessionId).toBe(1_634_000_001);
    // Packets of the old session (here its heartbeats) are recognised as stale and ignored.
    const before = r.books();
    first.step(500);
    expect(r.channel().staleSessionPackets).toBeGreaterThan(0);
    expect(r.channel().sessionId).toBe(1_634_000_001);
    expect(r.books()).toEqual(before);
  });
});
