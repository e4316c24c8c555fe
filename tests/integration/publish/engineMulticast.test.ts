/**
 * Engine -> publisher -> receivers, end to end on loopback multicast.
 *
 * Real recordings of six venues (Binance spot and USD-M, OKX books-l2-tbt, Kraken v1 book-1000,
 * Bybit v5 linear + spot, Hyperliquid l2Book) run through the real venue sessions and books
 * (`VerifyRun`, interleaved by RecordedEngine), and the publisher is attached to them exactly as
 * in a feed process (`attachPublisher`: applied messages, state transitions, trades). That puts
 * * 35 instruments on 7 channels. Three fault transformations of the real streams make books leave
 * live:
 * - OKX ELON-USDT: one update dropped, so the next checksum fails (checksummed venue);
 * - Binance USD-M SUSHIUSDT: one diff dropped, so the U/pu chain breaks (sequenced venue), and
 *   the snapshot it asks for cannot be answered offline: it stays out of live;
 * - Hyperliquid BTC: one level corrupted, so the book is invalidated and the next l2Book message
 *   (a full snapshot) brings it back: an inline RESET on the wire.
 * OKX's ETH-USD-220325-8800-P really widens its price scale mid-recording (3 -> 4 decimals): the
 * publisher must announce a new definition and RESET at the new exponents.
 *
 * Per channel, one receiver joins from the start behind a seeded impairment shim (random loss
 * plus bursts), and one joins late, after 40% of the records. At quiescence every receiver holds
 * exactly the publisher's published books (levels, bookSeq, CRC-32, venue status) and the gaps it
 * recovered from are reported. Tap sockets check on the wire that a book that left live got its
 * InstrumentStatus and no delta after it.
 *
 * No timing assertions: conditions are awaited (bounded by the test timeout), never timed.
 */
import dgram from 'node:dgram';
import { basename } from 'node:path';
import { setImmediate as yieldTurn, setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachPublisher, type AttachedPublisher } from '../../../src-main/engine/publish/attachPublisher.ts';
import { channelEndpoints, VENUE_CHANNEL } from '../../../src-main/engine/publish/channelAddressing.ts';
import { STATUS_NAMES, type ReceiverEvent } from '../../../src-main/engine/publish/channelReceiver.ts';
import { Impairment } from '../../../src-main/engine/publish/impairment.ts';
import type { MulticastPublisher } from '../../../src-main/engine/publish/multicastPublisher.ts';
import { openReceiver, type MulticastReceiver } from '../../../src-main/engine/publish/receiver.ts';
import { loadRecording } from '../../../src-main/engine/replay/recording.ts';
import type { RecordLine } from '../../../src-main/engine/replay/recording.ts';
import type { VenueId } from '../../../src-shared/model/market.ts';
import { decodePacket } from '../../../src-shared/wire/packetDecoder.ts';
import { BOOK_SNAPSHOT_RESET, InstrumentStatusCode, type ObmcMessage } from '../../../src-shared/wire/obmcMessage.ts';
import { dataPath } from '../../support/data.ts';
import { RecordedEngine } from '../../support/recordedEngine.ts';
import { dropAt, nthIndex, rewriteAt } from '../../support/runRecords.ts';
import { activeHandles, expectNoLeaks, TEST_TIMING } from '../../support/liveReplay.ts';
import { mulberry32 } from '../../../src-main/engine/feed/backoff.ts';
import { startReplay, type ReplayPlan } from '../../../src-main/engine/replay/replayPlan.ts';
import { EngineService } from '../../../src-main/engine/services/engineService.ts';
import type { PublishingEngine } from '../../../src-main/engine/publish/attachPublisher.ts';
import type { SymbolBook } from '../../../src-main/engine/sync/symbolBook.ts';

const BASE = { group: '239.192.81.1', port: 48101 };
const VENUES: VenueId[] = ['binance-spot', 'binance-usdm', 'okx', 'bybit-spot', 'bybit-linear', 'kraken', 'hyperliquid'];

const OKX_TBT = 'okx/cryptofeed_books-l2-tbt_2022-02-27.ndjson';
const USDM = 'binance/cryptofeed_usdm_4sym_2021-07-22.ndjson';
const HYPERLIQUID = 'hyperliquid/BTC_l2Book_trades_2025-01-26.hftbacktest.ndjson';

const isOkxUpdateOf = (instId: string) => (raw: string) => raw.includes('"action":"update"') && raw.includes(`"instId":"${instId}"`);
const isUsdmDiffOf = (symbol: string) => (raw: string) => raw.includes('"e":"depthUpdate"') && raw.includes(`"s":"${symbol}"`);
const isL2Book = (raw: string) => raw.includes('"channel":"l2Book"');

/** The recordings, each with at most one fault transformation of its real stream. */
async function sources(): Promise<{ file: string; records: RecordLine[] }[]> {
  const load = async (rel: string) => ({ file: basename(rel), records: await loadRecording(dataPath(rel)) });
  const okx = await load(OKX_TBT);
  okx.records = dropAt(okx.records, nthIndex(okx.records, 800, isOkxUpdateOf('ELON-USDT')));
  const usdm = await load(USDM);
  usdm.records = dropAt(usdm.records, nthIndex(usdm.records, 150, isUsdmDiffOf('SUSHIUSDT')));
  const hl = await load(HYPERLIQUID);
  // "123.0" -> "123.0.0": not a decimal, so the l2Book message cannot be applied.
  hl.records = rewriteAt(hl.records, nthIndex(hl.records, 30, isL2Book), (raw) => raw.replace(/"px":"(\d+)\.0"/, '"px":"$1.0.0"'));
  return [
    await load('binance/cryptofeed_spot_4sym_2021-10-12.ndjson'),
    usdm,
    okx,
    await load('kraken/cryptofeed_v1_book1000_XBTUSD+9pairs_2021-04-05_120s.ndjson'),
    await load('bybit/cryptofeed_v5_linear+spot_orderbook200_2026-08-09.ndjson'),
    hl,
  ];
}

interface Rx {
  venue: VenueId;
  role: 'lossy' | 'late';
  rx: MulticastReceiver;
  shim?: Impairment;
  gaps: Extract<ReceiverEvent, { type: 'gap' }>[];
}

const disposers: (() => Promise<void> | void)[] = [];

async function receiver(venue: VenueId, role: Rx['role'], shim?: Impairment, base = BASE): Promise<Rx> {
  const ep = channelEndpoints(base, VENUE_CHANNEL[venue]);
  const r = await openReceiver({ ...ep.incremental, interface: '127.0.0.1', ...(shim ? { impairment: shim } : {}) });
  if (!r.ok) throw new Error(r.error.detail);
  disposers.push(() => r.receiver.close());
  const out: Rx = { venue, role, rx: r.receiver, gaps: [], ...(shim ? { shim } : {}) };
  r.receiver.on((e) => {
    if (e.type === 'gap') out.gaps.push(e);
  });
  return out;
}

/** A plain socket on a group, keeping every datagram (what went on the wire, in order). */
async function tap(group: string, port: number, owner = disposers): Promise<Buffer[]> {
  const seen: Buffer[] = [];
  const s = dgram.createSocket({ type: 'udp4', reuseAddr: true });
  await new Promise<void>((r) => s.bind({ port, address: '0.0.0.0' }, () => r()));
  s.addMembership(group, '127.0.0.1');
  s.on('message', (m) => seen.push(m));
  owner.push(() => new Promise<void>((r) => s.close(() => r())));
  return seen;
}

function messagesOf(packets: Buffer[]): ObmcMessage[] {
  const out: ObmcMessage[] = [];
  for (const p of packets) {
    const d = decodePacket(p);
    if (d.ok) for (const m of d.packet.messages) out.push(m.message);
  }
  return out;
}

/** The instruments of this receiver's channel, as published. */
function publishedOn(pub: MulticastPublisher, venue: VenueId) {
  return new Map([...pub.publishedBooks()].filter(([, b]) => b.channelId === VENUE_CHANNEL[venue]));
}

function converged(pub: MulticastPublisher, r: Rx): boolean {
  const published = publishedOn(pub, r.venue);
  const got = r.rx.books();
  const views = new Map(r.rx.instruments().map((v) => [`${v.exchange}:${v.symbol}`, v]));
  if (published.size === 0 || got.size !== published.size) return false;
  for (const [key, p] of published) {
    const b = got.get(key);
    const v = views.get(key);
    if (!b || !v || b.state !== 'live' || b.bookSeq !== p.bookSeq || b.checksum !== p.checksum) return false;
    if (b.venueStatus !== STATUS_NAMES[p.status] || v.tradeSeq !== p.tradeSeq) return false;
  }
  return true;
}

/**
 * The top `depth` levels of an engine book per side, cut at its trust band like the publisher's
 * window: what a receiver must hold for a live book.
 */
function topOf(sb: SymbolBook, depth: number): { bids: [number, number][]; asks: [number, number][] } {
  const band = sb.book.trustBand();
  const side = (isBid: boolean): [number, number][] => {
    const s = sb.book.side(isBid);
    const edge = isBid ? band.bidFloor : band.askCeiling;
    const out: [number, number][] = [];
    for (let i = 0; i < Math.min(depth, s.count); i++) {
      const p = s.priceAt(i);
      if (!Number.isNaN(edge) && (isBid ? p < edge : p > edge)) break;
      out.push([p, s.sizeAtLevel(i)]);
    }
    return out;
  };
  return { bids: side(true), asks: side(false) };
}

async function until(what: string, cond: () => boolean, state: () => unknown): Promise<void> {
  const deadline = Date.now() + 90_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`never reached: ${what}\n${JSON.stringify(state(), null, 1).slice(0, 6000)}`);
    await sleep(20);
  }
}

/**
 * Lossy receivers saw holes in their channel and say which; every instrument whose bookSeq jumped
 * came back LIVE from the loop or an inline RESET (the books' equality is checked separately).
 * Which packets a shim drops depends on the timers' interleaving, so per receiver only the
 * bookkeeping is asserted, and the losses themselves over all channels.
 */
function expectLossyRecovered(lossy: Rx[]): void {
  let channelGaps = 0;
  let damaged = 0;
  for (const r of lossy) {
    const ch = r.rx.channel();
    channelGaps += ch.channelGaps;
    expect(r.gaps.filter((g) => g.source === 'incremental'), r.venue).toHaveLength(ch.channelGaps);
    // Every reported gap names the missing messages: [fromSeq, toSeq].
    for (const g of r.gaps) expect(g.toSeq).toBeGreaterThanOrEqual(g.fromSeq);
    for (const v of r.rx.instruments().filter((x) => x.gaps > 0)) {
      damaged++;
      expect(v.recoveries + v.resets, `${v.exchange}:${v.symbol}`).toBeGreaterThan(0);
    }
  }
  expect(lossy.reduce((n, r) => n + r.shim!.stats().dropped, 0)).toBeGreaterThan(0);
  expect(channelGaps).toBeGreaterThan(lossy.length);
  expect(damaged).toBeGreaterThan(lossy.length);
}

describe('engine -> publisher -> receivers over loopback multicast (real recordings of six venues)', () => {
  let engine: RecordedEngine;
  let attached: AttachedPublisher;
  let pub: MulticastPublisher;
  const rxs: Rx[] = [];
  let okxInc: Buffer[];
  let hlInc: Buffer[];

  beforeAll(async () => {
    engine = new RecordedEngine(await sources());
    const r = await attachPublisher(engine, {
      ...BASE,
      interface: '127.0.0.1',
      ttl: 1,
      depth: 20,
      statusIntervalMs: 300,
      snapshotPacketsPerSecond: 500,
      heartbeatIntervalMs: 100,
      endOfSessionRepeats: 2,
      endOfSessionIntervalMs: 20,
    });
    if (!r.ok) throw new Error(r.error.detail);
    attached = r.attached;
    pub = attached.publisher;
    disposers.push(() => attached.close());
    okxInc = await tap(channelEndpoints(BASE, VENUE_CHANNEL.okx).incremental.group, channelEndpoints(BASE, VENUE_CHANNEL.okx).incremental.port);
    hlInc = await tap(channelEndpoints(BASE, VENUE_CHANNEL.hyperliquid).incremental.group, channelEndpoints(BASE, VENUE_CHANNEL.hyperliquid).incremental.port);

    for (const [i, venue] of VENUES.entries()) {
      // Random loss plus bursts; every other channel loses snapshot-loop packets too.
      const shim = new Impairment({ seed: 0x5eed + 7919 * i, lossRate: 0.04, burstProbability: 0.01, burstLength: 6, applyTo: i % 2 === 0 ? 'incremental' : 'both' });
      rxs.push(await receiver(venue, 'lossy', shim));
    }
    const lateAt = Math.floor(engine.total * 0.4);
    let n = 0;
    while (engine.step()) {
      n++;
      if (n === lateAt) for (const venue of VENUES) rxs.push(await receiver(venue, 'late'));
      // Let the sockets and the publisher's timers (snapshot loop, statuses) run between records.
      await yieldTurn();
      if (n % 250 === 0) await sleep(2);
    }
    await until('every receiver holds the published books', () => rxs.every((r) => converged(pub, r)), () =>
      rxs.filter((r) => !converged(pub, r)).map((r) => ({ venue: r.venue, role: r.role, channel: r.rx.channel(), instruments: r.rx.instruments() })),
    );
  }, 240_000);

  afterAll(async () => {
    while (disposers.length > 0) await disposers.pop()!();
  });

  it('the engine verified the recordings and the three faults took their books out of live', () => {
    const reports = new Map(engine.reports().map((s) => [`${s.venue}:${s.symbol}`, s]));
    expect(reports.size).toBe(35);
    const faulted = ['okx:ELON-USDT', 'binance-usdm:SUSHIUSDT', 'hyperliquid:BTC'];
    for (const [key, s] of reports) {
      if (faulted.includes(key)) continue;
      expect({ key, failures: s.failures, state: s.state }).toEqual({ key, failures: [], state: 'live' });
    }
    expect(reports.get('okx:ELON-USDT')!.counters.checksumFailed).toBe(1);
    expect(reports.get('okx:ELON-USDT')!.state).not.toBe('live');
    expect(reports.get('binance-usdm:SUSHIUSDT')!.counters.gaps).toBe(1);
    expect(reports.get('binance-usdm:SUSHIUSDT')!.state).not.toBe('live');
    // Hyperliquid heals on the next full l2Book message.
    expect(reports.get('hyperliquid:BTC')!.counters.invalid).toBe(1);
    expect(reports.get('hyperliquid:BTC')!.state).toBe('live');
  });

  it('every receiver, lossy or late, ends with the published books, bookSeqs, CRCs and statuses', () => {
    const stats = attached.stats();
    expect(stats.instruments).toBe(35);
    expect(stats.rejectedInstruments).toEqual([]);
    expect(stats.groups.map((g) => g.channelId).sort((a, b) => a - b)).toEqual(
      VENUES.flatMap((v) => [VENUE_CHANNEL[v], VENUE_CHANNEL[v]]).sort((a, b) => a - b),
    );
    expect(stats.sendErrors).toBe(0);
    for (const r of rxs) {
      const published = publishedOn(pub, r.venue);
      const got = r.rx.books();
      expect([...got.keys()].sort()).toEqual([...published.keys()].sort());
      for (const [key, p] of published) {
        const b = got.get(key)!;
        expect({ who: `${r.role} ${key}`, state: b.state, venueStatus: b.venueStatus, bookSeq: b.bookSeq, bids: b.bids, asks: b.asks, checksum: b.checksum }).toEqual({
          who: `${r.role} ${key}`, state: 'live', venueStatus: STATUS_NAMES[p.status], bookSeq: p.bookSeq, bids: p.bids, asks: p.asks, checksum: p.checksum,
        });
      }
      for (const v of r.rx.instruments()) expect({ who: `${r.role} ${v.exchange}:${v.symbol}`, mismatch: v.checksumMismatch }).toEqual({ who: `${r.role} ${v.exchange}:${v.symbol}`, mismatch: 0 });
      expect(r.rx.channel().decodeErrors).toEqual({});
      expect(r.rx.channel().internalErrors).toBe(0);
    }
    // Books that left live are published with their status, at the last exact state.
    const books = pub.publishedBooks();
    expect(books.get('okx:ELON-USDT')!.status).toBe(InstrumentStatusCode.RESYNCING);
    expect(books.get('binance-usdm:SUSHIUSDT')!.status).toBe(InstrumentStatusCode.RESYNCING);
    expect(books.get('hyperliquid:BTC')!.status).toBe(InstrumentStatusCode.TRADING);
    expect(attached.view()).toEqual({
      enabled: true,
      groups: stats.groups.map((g) => ({ channel: String(g.channelId), group: g.group, port: g.port, kind: g.role })),
      packetsPerSec: stats.packetsPerSec,
      bytesPerSec: stats.bytesPerSec,
      instruments: 33,
    });
  });

  it("what was published is the engine's books: top 20 within the trust band, at the engine's scale", () => {
    const books = pub.publishedBooks();
    let live = 0;
    for (const sb of engine.allBooks()) {
      if (sb.state !== 'live') continue;
      live++;
      const p = books.get(`${sb.instrument.venue}:${sb.symbol}`)!;
      expect({ key: p.exchange + ':' + p.symbol, exp: [p.priceExponent, p.sizeExponent], ...topOf(sb, 20) }).toEqual({
        key: p.exchange + ':' + p.symbol, exp: [-sb.book.priceScale, -sb.book.sizeScale], bids: p.bids, asks: p.asks,
      });
    }
    expect(live).toBe(33);
  });

  it('lossy receivers report the channel gaps they recovered from; late receivers synced once from the loop', () => {
    for (const r of rxs) {
      const ch = r.rx.channel();
      const v = r.rx.instruments();
      const sum = (f: (x: (typeof v)[number]) => number) => v.reduce((n, x) => n + f(x), 0);
      process.stdout.write(
        `${r.role.padEnd(5)} ch ${String(ch.channelId).padStart(2)} ${r.venue.padEnd(12)} dropped ${r.shim?.stats().dropped ?? 0} packets: ` +
          `${ch.channelGaps} channel gaps (${ch.gapMessages} msgs), ${ch.snapshotGaps} loop gaps, instrument gaps ${sum((x) => x.gaps)}, ` +
          `recoveries ${sum((x) => x.recoveries)}, syncs ${sum((x) => x.syncs)}, resets ${sum((x) => x.resets)}, trades lost ${sum((x) => x.tradesLost)}\n`,
      );
    }
    expectLossyRecovered(rxs.filter((x) => x.role === 'lossy'));
    for (const r of rxs.filter((x) => x.role === 'late')) {
      expect(r.rx.channel().channelGaps).toBe(0);
      // Leaving the loop once everything is LIVE, and joining it again, is not a loop gap.
      expect(r.rx.channel().snapshotGaps).toBe(0);
      for (const v of r.rx.instruments()) expect({ key: `${v.exchange}:${v.symbol}`, syncs: v.syncs, gaps: v.gaps }).toEqual({ key: `${v.exchange}:${v.symbol}`, syncs: 1, gaps: 0 });
    }
  });

  it('a book that leaves live gets an InstrumentStatus and no delta after it (OKX ELON-USDT, checksum failure)', () => {
    const msgs = messagesOf(okxInc);
    const id = pub.publishedBooks().get('okx:ELON-USDT')!.instrumentId;
    const mine = msgs.filter((m) => 'instrumentId' in m && m.instrumentId === id);
    const firstResync = mine.findIndex((m) => m.type === 'InstrumentStatus' && m.status === InstrumentStatusCode.RESYNCING);
    expect(firstResync).toBeGreaterThan(0);
    expect(mine.slice(0, firstResync).filter((m) => m.type === 'BookDelta').length).toBeGreaterThan(100);
    const after = mine.slice(firstResync);
    expect(after.filter((m) => m.type === 'BookDelta' || m.type === 'BookSnapshot')).toEqual([]);
    // Periodic statuses keep saying so, with the frozen bookSeq.
    const statuses = after.filter((m) => m.type === 'InstrumentStatus');
    expect(new Set(statuses.map((m) => (m.type === 'InstrumentStatus' ? `${m.status}/${m.bookSeq}` : '')))).toEqual(
      new Set([`${InstrumentStatusCode.RESYNCING}/${pub.publishedBooks().get('okx:ELON-USDT')!.bookSeq}`]),
    );
    expect(engine.transitions.some((t) => t.venue === 'okx' && t.symbol === 'ELON-USDT' && t.from === 'live' && t.cause === 'checksum-mismatch')).toBe(true);
  });

  it('a widened scale is re-announced: new definition, RESET at the new exponents (OKX ETH-USD-220325-8800-P)', () => {
    const msgs = messagesOf(okxInc);
    const book = pub.publishedBooks().get('okx:ETH-USD-220325-8800-P')!;
    expect(book.priceExponent).toBe(-4);
    const defs = msgs.filter((m) => m.type === 'InstrumentDefinition' && m.instrumentId === book.instrumentId);
    expect(defs.map((m) => (m.type === 'InstrumentDefinition' ? [m.definitionVersion, m.priceExponent] : []))).toEqual([[1, -3], [2, -4]]);
    // Right after version 2: a RESET snapshot at the new exponents, before any delta.
    const at = msgs.findIndex((m) => m.type === 'InstrumentDefinition' && m.instrumentId === book.instrumentId && m.definitionVersion === 2);
    const next = msgs.slice(at + 1).find((m) => 'instrumentId' in m && m.instrumentId === book.instrumentId && (m.type === 'BookSnapshot' || m.type === 'BookDelta'));
    expect(next?.type).toBe('BookSnapshot');
    if (next?.type === 'BookSnapshot') {
      expect(next.flags & BOOK_SNAPSHOT_RESET).toBe(BOOK_SNAPSHOT_RESET);
      expect(next.priceExponent).toBe(-4);
    }
    for (const r of rxs.filter((x) => x.venue === 'okx')) {
      const v = r.rx.instruments().find((x) => x.symbol === 'ETH-USD-220325-8800-P')!;
      expect([v.definitionVersion, v.priceExponent]).toEqual([2, -4]);
    }
  });

  it('a book that comes back is RESET inline and TRADING again (Hyperliquid BTC, corrupted level)', () => {
    const msgs = messagesOf(hlInc);
    const id = pub.publishedBooks().get('hyperliquid:BTC')!.instrumentId;
    const seq = msgs
      .filter((m) => 'instrumentId' in m && m.instrumentId === id && (m.type === 'InstrumentStatus' || (m.type === 'BookSnapshot' && m.flags & BOOK_SNAPSHOT_RESET)))
      .map((m) => (m.type === 'InstrumentStatus' ? `status ${STATUS_NAMES[m.status]}` : 'RESET'));
    // Status changes only (the periodic statuses repeat the current one): collapse repeats.
    const changes = seq.filter((s, i) => s !== seq[i - 1]);
    expect(changes).toEqual(['RESET', 'status TRADING', 'status RESYNCING', 'RESET', 'status TRADING']);
  });
});

/**
 * The same pipeline on the live engine: local venue servers replay the recordings over WebSocket
 * and REST (replayPlan.ts), EngineService runs its real connections, and the publisher is
 * attached to it as a feed process does. A diff the server drops makes one Binance book resync
 * through a real REST snapshot, so it leaves live and comes back on the wire.
 */
describe('live EngineService -> publisher -> receivers over loopback multicast (replayed recordings)', () => {
  const LIVE_BASE = { group: '239.192.82.1', port: 48201 };
  const LIVE_VENUES: VenueId[] = ['binance-spot', 'binance-usdm', 'bitmex', 'hyperliquid'];
  const baseline = activeHandles();
  const closers: (() => Promise<void> | void)[] = [];
  let svc: EngineService;
  let plan: ReplayPlan;
  let attached: AttachedPublisher;
  let pub: MulticastPublisher;
  const rxs: Rx[] = [];
  let spotInc: Buffer[];
  const transitions: { symbol: string; from: string; to: string }[] = [];

  beforeAll(async () => {
    const r = await startReplay({
      files: [
        dataPath('binance/cryptofeed_spot_10sym_2021-04-05_120s.ndjson'),
        dataPath('binance/cryptofeed_usdm_5sym_2021-04-05_120s.ndjson'),
        dataPath('bitmex/cryptofeed_orderBookL2_2021-07-22.ndjson'),
        dataPath(HYPERLIQUID),
      ],
      speed: 0,
      server: { faults: [{ match: { symbol: 'DENTUSDT', channel: 'depth', index: 700 }, fault: { kind: 'drop' } }] },
    });
    if (!r.ok) throw new Error(r.error);
    plan = r.plan;
    closers.push(() => plan.close());
    svc = new EngineService({ venues: plan.venues, processName: 'feed-test', mode: 'replay', timing: TEST_TIMING, random: mulberry32(11) });
    closers.push(() => svc.stop());
    svc.on('feed.transition', (t) => transitions.push({ symbol: `${t.venue}:${t.symbol}`, from: t.from, to: t.to }));
    // The engine service is a PublishingEngine as it is: no adapter between them.
    const engine: PublishingEngine = svc;
    const a = await attachPublisher(engine, {
      ...LIVE_BASE,
      interface: '127.0.0.1',
      ttl: 1,
      depth: 20,
      statusIntervalMs: 300,
      snapshotPacketsPerSecond: 500,
      heartbeatIntervalMs: 100,
      endOfSessionRepeats: 1,
      endOfSessionIntervalMs: 10,
    });
    if (!a.ok) throw new Error(a.error.detail);
    attached = a.attached;
    pub = attached.publisher;
    closers.push(() => attached.close());
    const spotEp = channelEndpoints(LIVE_BASE, VENUE_CHANNEL['binance-spot']).incremental;
    spotInc = await tap(spotEp.group, spotEp.port, closers);
    for (const [i, venue] of LIVE_VENUES.entries()) {
      const shim = new Impairment({ seed: 0xfeed + 104_729 * i, lossRate: 0.05, burstProbability: 0.01, burstLength: 6, applyTo: i % 2 === 0 ? 'incremental' : 'both' });
      rxs.push(await receiver(venue, 'lossy', shim, LIVE_BASE));
    }
    await svc.start();
    const spot = plan.server('binance-spot')!;
    while (spot.position.sent < spot.position.total * 0.4) await sleep(5);
    for (const venue of LIVE_VENUES) rxs.push(await receiver(venue, 'late', undefined, LIVE_BASE));
    await Promise.all(plan.servers.map((s) => s.ended));
    await until(
      'every book live and caught up with its server reference',
      () => [...svc.books()].every((sb) => {
        const ref = plan.server(sb.instrument.venue)?.reference(sb.symbol);
        return ref === undefined || (sb.state === 'live' && sb.seq === ref.seq);
      }),
      () => [...svc.books()].filter((sb) => sb.state !== 'live').map((sb) => `${sb.instrument.venue}:${sb.symbol} ${sb.state}`),
    );
    await until('every receiver holds the published books', () => rxs.every((x) => converged(pub, x)), () =>
      rxs.filter((x) => !converged(pub, x)).map((x) => ({ venue: x.venue, role: x.role, channel: x.rx.channel(), instruments: x.rx.instruments() })),
    );
  }, 240_000);

  afterAll(async () => {
    while (disposers.length > 0) await disposers.pop()!();
    while (closers.length > 0) await closers.pop()!();
    await expectNoLeaks(baseline);
  });

  it("every receiver ends with the engine's books as published: levels, bookSeq, CRC, TRADING", () => {
    const books = pub.publishedBooks();
    expect(books.size).toBe([...svc.books()].length);
    for (const sb of svc.books()) {
      const p = books.get(`${sb.instrument.venue}:${sb.symbol}`)!;
      expect({ key: `${p.exchange}:${p.symbol}`, status: p.status, ...topOf(sb, 20) }).toEqual({
        key: `${sb.instrument.venue}:${sb.symbol}`, status: InstrumentStatusCode.TRADING, bids: p.bids, asks: p.asks,
      });
    }
    for (const x of rxs) {
      const published = publishedOn(pub, x.venue);
      const got = x.rx.books();
      expect([...got.keys()].sort()).toEqual([...published.keys()].sort());
      for (const [key, p] of published) {
        const b = got.get(key)!;
        expect({ who: `${x.role} ${key}`, state: b.state, bookSeq: b.bookSeq, bids: b.bids, asks: b.asks, checksum: b.checksum }).toEqual({
          who: `${x.role} ${key}`, state: 'live', bookSeq: p.bookSeq, bids: p.bids, asks: p.asks, checksum: p.checksum,
        });
      }
      expect(x.rx.instruments().every((v) => v.checksumMismatch === 0 && v.venueStatus === 'TRADING')).toBe(true);
      if (x.role === 'late') expect(x.rx.channel().channelGaps).toBe(0);
    }
    expectLossyRecovered(rxs.filter((x) => x.role === 'lossy'));
    // The console's publisher tile: every instrument published, two groups per venue channel.
    const view = attached.view();
    expect(view.instruments).toBe(books.size);
    expect(view.groups).toHaveLength(2 * LIVE_VENUES.length);
  });

  it('the dropped diff: DENTUSDT left live (RESYNCING, no deltas), came back through a REST snapshot as an inline RESET, then TRADING', () => {
    expect(plan.server('binance-spot')!.faults.log.map((f) => [f.kind, f.symbol, f.index])).toEqual([['drop', 'DENTUSDT', 700]]);
    const dent = svc.book('binance-spot', 'DENTUSDT')!;
    expect(dent.counters.gaps).toBe(1);
    expect(transitions.filter((t) => t.symbol === 'binance-spot:DENTUSDT' && t.from === 'live').map((t) => t.to)).toEqual(['resyncing']);
    const id = pub.publishedBooks().get('binance-spot:DENTUSDT')!.instrumentId;
    const mine = messagesOf(spotInc).filter((m) => 'instrumentId' in m && m.instrumentId === id && m.type !== 'Trade');
    const kinds = mine.map((m) =>
      m.type === 'InstrumentStatus' ? `status ${STATUS_NAMES[m.status]}` : m.type === 'BookSnapshot' && m.flags & BOOK_SNAPSHOT_RESET ? 'RESET' : m.type,
    );
    // Collapse runs (deltas, periodic statuses) to see the life of the instrument on the wire.
    const life = kinds.filter((k, i) => k !== kinds[i - 1]);
    // Announced once its REST snapshot was loaded (syncing, with its exponents), published at live.
    expect(life.slice(0, 4)).toEqual(['InstrumentDefinition', 'status RESYNCING', 'RESET', 'status TRADING']);
    // The gap: RESYNCING right away, nothing until the resync's RESET, then TRADING again.
    const out = life.lastIndexOf('status RESYNCING');
    expect(out).toBeGreaterThan(4);
    expect(life.slice(4, out)).toContain('BookDelta');
    expect(life.slice(out, out + 3)).toEqual(['status RESYNCING', 'RESET', 'status TRADING']);
    expect(life.slice(out + 3)).toContain('BookDelta');
    expect(life.slice(out + 3).filter((k) => k !== 'BookDelta' && k !== 'status TRADING')).toEqual([]);
    // Same exponents after the resync: one definition for the whole session.
    expect(life.filter((k) => k === 'InstrumentDefinition')).toHaveLength(1);
  });
});
