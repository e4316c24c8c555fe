/**
 * The live engine (EngineService: real sockets, sessions) against local Coinbase servers replaying
 * the real recordings:
 * - Advanced Trade 2026-08-09 (BTC-USD, ETH-USD on one connection): the engine subscribes
 *   heartbeats, level2 and market_trades but not the recorder's ticker and candles, and still sees
 *   an unbroken `sequence_num` (the server numbers what it sends to each socket); both books go
 *   live on the recorded snapshots and end equal to the reference. A frame lost in transit, of
 *   any channel, is a hole in that connection-wide counter: every book on the connection resyncs
 *   (level2 unsubscribed and subscribed again for all products), the server answers with
 *   snapshots cut from its reference and the books end exact.
 * - Exchange ws-feed 2021-04-17 (10 products, snapshot + l2update, no sequence): all live, books
 *   exact; a manual resync brings a snapshot cut from the reference and the book stays exact.
 * Timings are test-only options; nothing asserts on durations.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { loadRecording } from '../../src-main/engine/replay/recording.ts';
import type { RecordLine } from '../../src-main/engine/replay/recording.ts';
import type { ReplayProtocol } from '../../src-main/engine/replay/replayProtocol.ts';
import { startReplay } from '../../src-main/engine/replay/replayPlan.ts';
import type { SymbolBook } from '../../src-main/engine/sync/symbolBook.ts';
import { VerifyRun } from '../../src-main/engine/verify/verify.ts';
import { coinbaseExchangeReplay, coinbaseReplay, HEARTBEATS } from '../../src-main/engine/venues/coinbase/coinbaseReplay.ts';
import { coinbase } from '../../src-main/engine/venues/coinbase/coinbaseSpec.ts';
import { dataPath } from '../support/data.ts';
import { activeHandles, bookDifferences, delivered, expectAllExact, expectNoLeaks, leftLive, liveReplay, until } from '../support/liveReplay.ts';
import type { LiveReplay } from '../support/liveReplay.ts';

const AT = 'coinbase/cryptofeed_advanced_trade_level2_2026-08-09.ndjson';
const EXCHANGE = 'coinbase/cryptofeed_exchange_level2_2021-04-17.ndjson';
/** PROVENANCE.md: one snapshot and this many updates per product. */
const AT_UPDATES: Record<string, number> = { 'BTC-USD': 399, 'ETH-USD': 374 };

let r: LiveReplay | undefined;
let baseline = activeHandles();
beforeEach(() => {
  baseline = activeHandles();
});
afterEach(async () => {
  await r?.close();
  r = undefined;
  await expectNoLeaks(baseline);
});

/** Every recorded frame was sent, and the engine received every frame the server sent. */
/**
 * Both AT books came back live from a resync. Waited for before `delivered`: at speed 0 the
 * recording may end before the resubscribe reaches the server, whose answer then comes last.
 */
async function resynced(run: LiveReplay): Promise<void> {
  await until(() => Object.keys(AT_UPDATES).every((s) => run.resyncs.some((e) => e.symbol === s && e.outcome === 'live')));
}

/** Both AT books: one connection-wide gap each, one resync, a second (server-cut) snapshot, exact. */
function expectConnectionResync(run: LiveReplay): void {
  for (const s of Object.keys(AT_UPDATES)) {
    const sb = run.book(s);
    expect(sb.counters.gaps, s).toBe(1);
    expect(sb.counters.resyncs, s).toBe(1);
    expect(sb.counters.snapshots, s).toBe(2);
    expect(sb.anomalies.map((a) => a.kind), s).toEqual(['gap']);
    expect(sb.anomalies[0]!.detail, s).toMatch(/connection-wide sequence_num jumped/);
    const ev = run.resyncs.filter((e) => e.symbol === s);
    expect(ev.map((e) => e.outcome), s).toEqual(['pending', 'live']);
  }
  expectAllExact(run, { live: true, topN: 100 });
}

describe('Coinbase Advanced Trade replay -> live engine', () => {
  it('2026-08-09: BTC-USD and ETH-USD live on one connection, sequence_num unbroken without ticker/candles, every update applied, trades, books exact', async () => {
    r = await liveReplay(AT);
    await delivered(r);
    expect(r.venue).toBe('coinbase');
    expect(r.svc.connections('coinbase')).toHaveLength(1);
    expect(r.server.clients()[0]!.topics.sort()).toEqual(['BTC-USD|level2', 'BTC-USD|market_trades', 'ETH-USD|level2', 'ETH-USD|market_trades', 'heartbeats|heartbeats']);
    for (const [s, updates] of Object.entries(AT_UPDATES)) {
      const sb = r.book(s);
      const ref = r.server.reference(s)!;
      expect(sb.counters.messages, s).toBe(updates + 1);
      expect(sb.counters.snapshots, s).toBe(1);
      expect(sb.counters.gaps + sb.counters.duplicates + sb.counters.regress + sb.counters.resyncs, s).toBe(0);
      expect(sb.counters.trades, s).toBe(ref.counters.trades);
      expect(sb.counters.trades, s).toBeGreaterThan(0);
      expect(leftLive(r, s), s).toEqual([]);
    }
    expect(r.resyncs).toEqual([]);
    expectAllExact(r, { live: true, topN: 100 });
  });

  it('one BTC-USD l2_data frame dropped in transit: a hole in the connection-wide sequence_num, ETH-USD resyncs with it, both end exact', async () => {
    r = await liveReplay(AT, { server: { faults: [{ match: { symbol: 'BTC-USD', channel: 'level2', index: 200 }, fault: { kind: 'drop' } }] } });
    await resynced(r);
    await delivered(r);
    expect(r.server.faults.log.map((f) => [f.kind, f.symbol, f.channel, f.index])).toEqual([['drop', 'BTC-USD', 'level2', 200]]);
    expectConnectionResync(r);
  });

  it('one heartbeats frame dropped: no book message was lost, yet the counter says something was, so every book resyncs and ends exact', async () => {
    r = await liveReplay(AT, { server: { faults: [{ match: { channel: 'heartbeats', index: 10 }, fault: { kind: 'drop' } }] } });
    await resynced(r);
    await delivered(r);
    expect(r.server.faults.log.map((f) => [f.kind, f.channel, f.index])).toEqual([['drop', 'heartbeats', 10]]);
    expectConnectionResync(r);
  });

  it('a client subscribed to a subset (heartbeats, level2 ETH-USD) sees sequence_num 0, 1, 2... and rebuilds the reference book from what it got', async () => {
    const started = await startReplay({ files: [dataPath(AT)], speed: 0 });
    if (!started.ok) throw new Error(started.error);
    const plan = started.plan;
    const server = plan.servers[0]!;
    const ws = new WebSocket(server.wsUrl);
    const frames: string[] = [];
    try {
      ws.on('message', (d) => frames.push(String(d)));
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
      ws.send(JSON.stringify({ type: 'subscribe', product_ids: ['ETH-USD'], channel: 'heartbeats' }));
      ws.send(JSON.stringify({ type: 'subscribe', product_ids: ['ETH-USD'], channel: 'level2' }));
      // The level2 answer (after its snapshot), whether it came mid-stream or after the last frame.
      await until(() => frames.some((f) => f.includes('"level2":["ETH-USD"]')));
      await server.ended;
      await until(() => frames.length === server.clients()[0]!.framesSent);
    } finally {
      ws.close();
      await plan.close();
    }
    const envs = frames.map((f) => JSON.parse(f) as { channel: string; sequence_num: number; events: { type?: string; product_id?: string; subscriptions?: unknown }[] });
    expect(envs.map((e) => e.sequence_num)).toEqual(envs.map((_, i) => i));
    expect(new Set(envs.map((e) => e.channel))).toEqual(new Set(['subscriptions', 'heartbeats', 'l2_data']));
    expect(envs.filter((e) => e.channel === 'heartbeats')).toHaveLength(25);
    const l2 = envs.filter((e) => e.channel === 'l2_data');
    expect(l2.every((e) => e.events.every((ev) => ev.product_id === 'ETH-USD'))).toBe(true);
    // One snapshot (recorded, or cut by the server if the level2 subscription came after it), first.
    expect(l2.filter((e) => e.events[0]!.type === 'snapshot')).toHaveLength(1);
    expect(l2[0]!.events[0]!.type).toBe('snapshot');
    // Rebuild ETH-USD from the frames the client got, through the engine's session, and compare.
    const rebuilt = new VerifyRun('subset', { venue: 'coinbase' });
    const url = coinbase.wsUrl;
    rebuilt.handle({ file: 'subset', line: 0, recvTsNs: 0n, dir: 'connect', conn: 'c', url, raw: '', binary: false });
    frames.forEach((raw, i) => rebuilt.handle({ file: 'subset', line: i + 1, recvTsNs: BigInt(i + 1), dir: 'recv', conn: 'c', url, raw, binary: false }));
    const eth = [...rebuilt.allBooks()].find((b) => b.symbol === 'ETH-USD')!;
    expect(eth.counters.gaps).toBe(0);
    expect(bookDifferences(eth, server.reference('ETH-USD')!, 100)).toEqual([]);
    // The last subscriptions answer lists what this socket holds, channels in name order.
    const acks = envs.filter((e) => e.channel === 'subscriptions');
    expect(acks.at(-1)!.events[0]!.subscriptions).toEqual({ heartbeats: ['heartbeats'], level2: ['ETH-USD'] });
  });
});

describe('Coinbase Exchange (legacy ws-feed) replay -> live engine', () => {
  it('2021-04-17: all 10 products live from their recorded snapshots, every l2update applied, books exact; a manual resync is answered with a snapshot cut from the reference', async () => {
    // Real time x20 (30.8 s -> about 1.5 s) so that the resync lands mid-stream.
    r = await liveReplay(EXCHANGE, { speed: 20 });
    expect(r.venue).toBe('coinbase-exchange');
    await until(() => [...r!.svc.books()].length === 10 && [...r!.svc.books()].every((b) => b.state === 'live'));
    expect(r.svc.resync({ scope: 'symbol', venue: 'coinbase-exchange', symbol: 'SKL-USD' })).toBe(1);
    // The resubscribe may reach the server after its last recorded frame: wait for its answer too.
    await until(() => r!.resyncs.some((e) => e.symbol === 'SKL-USD' && e.outcome === 'live'));
    await delivered(r);
    expect([...r.svc.books()].map((b) => b.symbol).sort()).toEqual(['BAND-BTC', 'BAND-GBP', 'CRV-EUR', 'DASH-BTC', 'NMR-EUR', 'NU-GBP', 'SKL-BTC', 'SKL-GBP', 'SKL-USD', 'YFI-BTC']);
    for (const sb of r.svc.books()) {
      const ref = r.server.reference(sb.symbol)!;
      if (sb.symbol === 'SKL-USD') continue;
      expect(sb.counters.messages, sb.symbol).toBe(ref.counters.messages);
      expect(sb.counters.snapshots, sb.symbol).toBe(1);
      expect(sb.counters.trades, sb.symbol).toBe(ref.counters.trades);
      expect(leftLive(r, sb.symbol), sb.symbol).toEqual([]);
    }
    const skl = r.book('SKL-USD');
    expect(skl.counters.snapshots).toBe(2);
    expect(r.resyncs.filter((e) => e.symbol === 'SKL-USD').map((e) => e.outcome)).toEqual(['pending', 'live']);
    expectAllExact(r, { live: true, topN: 100 });
  });
});

/** Run the server's reference over a recording; `onBook` after each applied book message. */
async function referenceRun(rel: string, onBook: (sb: SymbolBook, rec: RecordLine) => void): Promise<void> {
  const run = new VerifyRun(rel, { onApplied: onBook });
  for (const rec of await loadRecording(dataPath(rel))) run.handle(rec);
}

describe('Coinbase replay protocols', () => {
  it('Advanced Trade: a snapshot cut from the reference right after each recorded snapshot is that snapshot, byte for byte once numbered like it', async () => {
    const p = coinbaseReplay();
    const cut: [string, string][] = [];
    await referenceRun(AT, (sb, rec) => {
      if (!rec.raw.includes('"type":"snapshot","product_id"')) return;
      const seq = (JSON.parse(rec.raw) as { sequence_num: number }).sequence_num;
      cut.push([rec.raw, p.sequenceFrame!(p.snapshotFrames!({ symbol: sb.symbol, channel: 'level2' }, sb, rec.raw)[0]!, seq)!]);
    });
    // BTC-USD 46,000 levels, ETH-USD 23,334.
    expect(cut).toHaveLength(2);
    for (const [recorded, fresh] of cut) expect(fresh).toBe(recorded);
  });

  it('Exchange: a snapshot cut from the reference right after each recorded snapshot is that snapshot, byte for byte (fixed decimals per product)', async () => {
    const p = coinbaseExchangeReplay();
    const cut: [string, string][] = [];
    await referenceRun(EXCHANGE, (sb, rec) => {
      if (rec.raw.startsWith('{"type":"snapshot"')) cut.push([rec.raw, p.snapshotFrames!({ symbol: sb.symbol, channel: 'level2' }, sb, rec.raw)[0]!]);
    });
    expect(cut).toHaveLength(10);
    for (const [recorded, fresh] of cut) expect(fresh).toBe(recorded);
  });

  it('Advanced Trade answers: one channel per message, subscriptions after the snapshots, -USDC served as -USD, errors as type error', () => {
    const p: ReplayProtocol = coinbaseReplay();
    const held = [{ symbol: HEARTBEATS, channel: HEARTBEATS }];
    const res = p.clientFrame(JSON.stringify({ type: 'subscribe', product_ids: ['BTC-USDC', 'ETH-USD'], channel: 'level2' }), held, 1);
    expect(res.subscribe).toEqual([
      { symbol: 'BTC-USD', channel: 'level2' },
      { symbol: 'ETH-USD', channel: 'level2' },
    ]);
    expect(res.replies).toBeUndefined();
    const ack = JSON.parse(res.after![0]!) as { channel: string; sequence_num: number; events: { subscriptions: unknown }[] };
    expect(ack.channel).toBe('subscriptions');
    expect(ack.events[0]!.subscriptions).toEqual({ heartbeats: ['heartbeats'], level2: ['BTC-USD', 'ETH-USD'] });
    expect(p.sequenceFrame!(res.after![0]!, 41)).toContain('"sequence_num":41,');
    const un = p.clientFrame(JSON.stringify({ type: 'unsubscribe', product_ids: ['ETH-USD'], channel: 'level2' }), [...held, { symbol: 'ETH-USD', channel: 'level2' }], 1);
    expect(un.unsubscribe).toEqual([{ symbol: 'ETH-USD', channel: 'level2' }]);
    expect((JSON.parse(un.replies![0]!) as { events: { subscriptions: unknown }[] }).events[0]!.subscriptions).toEqual({ heartbeats: ['heartbeats'] });
    const err = (raw: string) => {
      const e = p.clientFrame(raw, [], 1);
      expect(e.subscribe).toBeUndefined();
      const m = JSON.parse(e.replies![0]!) as { type: string; message: string };
      expect(m.type).toBe('error');
      // Errors carry no sequence_num and take none.
      expect(p.sequenceFrame!(e.replies![0]!, 5)).toBeUndefined();
      return m.message;
    };
    expect(err(JSON.stringify({ type: 'subscribe', product_ids: ['BTC-USD'], channels: ['level2', 'heartbeats'] }))).toMatch(/exactly one "channel"/);
    expect(err(JSON.stringify({ type: 'subscribe', product_ids: [], channel: 'level2' }))).toMatch(/needs product_ids/);
    expect(err(JSON.stringify({ type: 'subscribe', product_ids: ['BTC-USD'], channel: 'user' }))).toMatch(/not a market-data channel/);
  });

  it('Exchange answers: subscriptions before the data, level2_batch reads the recorded level2, the documented refusals', () => {
    const p: ReplayProtocol = coinbaseExchangeReplay();
    const res = p.clientFrame(JSON.stringify({ type: 'subscribe', product_ids: ['SKL-USD'], channels: ['level2_batch', 'heartbeat', { name: 'matches', product_ids: ['BAND-GBP'] }] }), [], 1);
    expect(res.subscribe).toEqual([
      { symbol: 'SKL-USD', channel: 'level2' },
      { symbol: 'SKL-USD', channel: 'heartbeat' },
      { symbol: 'BAND-GBP', channel: 'matches' },
    ]);
    expect(res.replies).toEqual(['{"type":"subscriptions","channels":[{"name":"level2","product_ids":["SKL-USD"]},{"name":"heartbeat","product_ids":["SKL-USD"]},{"name":"matches","product_ids":["BAND-GBP"]}]}']);
    const reason = (raw: string) => (JSON.parse(p.clientFrame(raw, [], 1).replies![0]!) as { reason: string }).reason;
    expect(reason(JSON.stringify({ type: 'subscribe', product_ids: ['SKL-USD'] }))).toBe('No channels provided');
    expect(reason(JSON.stringify({ type: 'subscribe', channels: ['heartbeat'] }))).toBe('You need to specify at least one product ID for channel heartbeat');
    expect(reason(JSON.stringify({ type: 'subscribe', product_ids: ['GIBBERISH'], channels: ['level2'] }))).toBe('GIBBERISH is not a valid product');
  });
});
