/**
 * The live engine (EngineService: real sockets, sessions) against local Bybit v5 servers replaying
 * the real orderbook.200 recording of 2026-08-09: one server per category (linear: BTC, ETH, SOL,
 * DOGE; spot: BTC, ETH), both started by the replay plan from the recording's connection URLs.
 * Every book goes live on the recorded snapshot, every delta chains (`u` + 1) and every book ends
 * equal to the reference rebuilt from the recording. A delta lost in transit is a gap on that
 * symbol only: the engine unsubscribes and subscribes that topic, the server answers like Bybit
 * (ack, then a snapshot cut from its reference with the current `u`/`seq`), the recorded deltas
 * that follow apply on top of it and the book ends exact, while the other symbols on the same
 * connection never leave live. Timings are test-only options; nothing asserts on durations.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TransitionEvent } from '../../src-shared/contracts/engineApi.ts';
import type { VenueId } from '../../src-shared/model/market.ts';
import { loadRecording } from '../../src-main/engine/replay/recording.ts';
import type { RecordLine } from '../../src-main/engine/replay/recording.ts';
import type { VenueServer } from '../../src-main/engine/replay/venueServer.ts';
import type { SymbolBook } from '../../src-main/engine/sync/symbolBook.ts';
import { VerifyRun } from '../../src-main/engine/verify/verify.ts';
import { bybitReplay } from '../../src-main/engine/venues/bybit/bybitReplay.ts';
import { bybitLinear, bybitSpot } from '../../src-main/engine/venues/bybit/bybitSpec.ts';
import { dataPath } from '../support/data.ts';
import { activeHandles, bookDifferences, expectNoLeaks, liveReplay, until } from '../support/liveReplay.ts';
import type { LiveReplay } from '../support/liveReplay.ts';

const FILE = 'bybit/cryptofeed_v5_linear+spot_orderbook200_2026-08-09.ndjson';
/** PROVENANCE.md: deltas per symbol after the one snapshot, and the last `u`. */
const LINEAR: Record<string, number> = { BTCUSDT: 413, ETHUSDT: 420, SOLUSDT: 382, DOGEUSDT: 379 };
const SPOT: Record<string, number> = { BTCUSDT: 299, ETHUSDT: 249 };
const VENUES: [VenueId, Record<string, number>][] = [
  ['bybit-linear', LINEAR],
  ['bybit-spot', SPOT],
];

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

function server(run: LiveReplay, venue: VenueId): VenueServer {
  const s = run.plan.server(venue);
  if (s === undefined) throw new Error(`no ${venue} server in the plan`);
  return s;
}

function book(run: LiveReplay, venue: VenueId, symbol: string): SymbolBook {
  const sb = run.svc.book(venue, symbol);
  if (sb === undefined) throw new Error(`no ${venue} book ${symbol}`);
  return sb;
}

/** Every recorded frame of both servers was sent, and the engine received every frame they sent. */
async function delivered(run: LiveReplay): Promise<void> {
  for (const [venue] of VENUES) await server(run, venue).ended;
  await until(() =>
    VENUES.every(([venue]) => {
      const sent = server(run, venue).clients().reduce((n, c) => n + c.framesSent, 0);
      const received = run.svc.connections(venue).reduce((n, c) => n + c.connection.counters.messages, 0);
      return sent === received;
    }),
  );
}

/** Transitions of one book out of "live" after it first went live (BTCUSDT exists in both categories). */
function leftLive(run: LiveReplay, venue: VenueId, symbol: string): TransitionEvent[] {
  const mine = run.transitions.filter((t) => t.venue === venue && t.symbol === symbol);
  const first = mine.findIndex((t) => t.to === 'live');
  return first < 0 ? [] : mine.slice(first + 1).filter((t) => t.from === 'live');
}

function expectAllExact(run: LiveReplay): void {
  for (const [venue, symbols] of VENUES) {
    for (const s of Object.keys(symbols)) {
      const sb = book(run, venue, s);
      const ref = server(run, venue).reference(s);
      expect(ref, `${venue} ${s} reference`).toBeDefined();
      expect(sb.seq, `${venue} ${s} u`).toBe(ref!.seq);
      expect(sb.state, `${venue} ${s}`).toBe('live');
      expect(bookDifferences(sb, ref!, 200), `${venue} ${s}`).toEqual([]);
    }
  }
}

describe('Bybit v5 replay -> live engine', () => {
  it('orderbook.200 2026-08-09: all 6 books of both categories live, every delta applied in chain, trades, books exact', async () => {
    r = await liveReplay(FILE);
    await delivered(r);
    expect(r.plan.venues.map((v) => [v.venue, v.symbols]).sort()).toEqual([
      ['bybit-linear', ['BTCUSDT', 'DOGEUSDT', 'ETHUSDT', 'SOLUSDT']],
      ['bybit-spot', ['BTCUSDT', 'ETHUSDT']],
    ]);
    for (const [venue, symbols] of VENUES) {
      // One connection per category, on the category's own path of its server.
      expect(r.svc.connections(venue).map((c) => new URL(c.plan.url).pathname)).toEqual([venue === 'bybit-spot' ? '/v5/public/spot' : '/v5/public/linear']);
      expect(server(r, venue).clients()).toHaveLength(1);
      for (const [s, deltas] of Object.entries(symbols)) {
        const sb = book(r, venue, s);
        const ref = server(r, venue).reference(s)!;
        expect(sb.counters.messages, `${venue} ${s}`).toBe(deltas + 1);
        expect(sb.counters.snapshots, `${venue} ${s}`).toBe(1);
        expect(sb.counters.gaps + sb.counters.duplicates + sb.counters.regress + sb.counters.resyncs, `${venue} ${s}`).toBe(0);
        expect(sb.counters.trades, `${venue} ${s} trades`).toBe(ref.counters.trades);
        expect(sb.counters.trades, `${venue} ${s} trades`).toBeGreaterThan(0);
        expect(leftLive(r, venue, s), `${venue} ${s}`).toEqual([]);
      }
    }
    // PROVENANCE.md: linear BTC u 15076952 -> 15077365, spot BTC u 62505424 -> 62505723.
    expect(book(r, 'bybit-linear', 'BTCUSDT').seq).toBe(15077365);
    expect(book(r, 'bybit-spot', 'BTCUSDT').seq).toBe(62505723);
    expect(r.resyncs).toEqual([]);
    expectAllExact(r);
  });

  it('a linear SOLUSDT delta dropped in transit: SOLUSDT resyncs on a server snapshot and ends exact; BTC, ETH, DOGE on the same connection never leave live', async () => {
    // Index 150 among the recorded orderbook.200.SOLUSDT frames: mid-stream (the snapshot is 0).
    r = await liveReplay(FILE, { server: { faults: [{ match: { symbol: 'SOLUSDT', channel: 'orderbook.200', index: 150 }, fault: { kind: 'drop' } }] } });
    // At speed 0 the recording may end before the resubscribe reaches the server, whose answer
    // then comes after the last recorded frame: wait for the resync to finish first.
    await until(() => r!.resyncs.some((e) => e.symbol === 'SOLUSDT' && e.outcome === 'live'));
    await delivered(r);
    const linear = server(r, 'bybit-linear');
    expect(linear.faults.log.map((f) => [f.kind, f.symbol, f.channel, f.index])).toEqual([['drop', 'SOLUSDT', 'orderbook.200', 150]]);
    expect(server(r, 'bybit-spot').faults.log).toEqual([]);
    const sol = book(r, 'bybit-linear', 'SOLUSDT');
    expect(sol.counters.gaps).toBe(1);
    expect(sol.counters.resyncs).toBe(1);
    expect(sol.anomalies.map((a) => a.kind)).toEqual(['gap']);
    // The recorded snapshot, then the one the server cut on the resubscribe.
    expect(sol.counters.snapshots).toBe(2);
    const ev = r.resyncs.filter((e) => e.venue === 'bybit-linear' && e.symbol === 'SOLUSDT');
    expect(ev.map((e) => e.outcome)).toEqual(['pending', 'live']);
    expect(ev[0]!.cause).toBe('gap');
    for (const s of ['BTCUSDT', 'ETHUSDT', 'DOGEUSDT']) {
      const sb = book(r, 'bybit-linear', s);
      expect(leftLive(r, 'bybit-linear', s), s).toEqual([]);
      expect(sb.counters.gaps + sb.counters.resyncs, s).toBe(0);
      expect(sb.counters.messages, s).toBe(LINEAR[s]! + 1);
    }
    expect(r.resyncs.every((e) => e.symbol === 'SOLUSDT')).toBe(true);
    expectAllExact(r);
  });
});

/** Records of the recording, and the reference run (the server's) over them with a hook after each book message. */
async function referenceRun(onBook: (sb: SymbolBook, rec: RecordLine) => void): Promise<void> {
  const records = await loadRecording(dataPath(FILE));
  const run = new VerifyRun(FILE, { onApplied: onBook });
  for (const rec of records) run.handle(rec);
}

describe('Bybit v5 replay protocol', () => {
  it('a snapshot cut from the reference right after each recorded snapshot is that snapshot, byte for byte (levels, u, seq, ts, cts, number format, key order)', async () => {
    const cut: [string, string][] = [];
    const protocols = { 'bybit-linear': bybitReplay(bybitLinear, 'linear'), 'bybit-spot': bybitReplay(bybitSpot, 'spot') };
    await referenceRun((sb, rec) => {
      if (!rec.raw.includes('"type":"snapshot"')) return;
      const venue = sb.instrument.venue as 'bybit-linear' | 'bybit-spot';
      const p = protocols[venue];
      const topic = p.topicOf(rec.raw)!;
      cut.push([rec.raw, p.snapshotFrames!(topic, sb, rec.raw)[0]!]);
    });
    // 4 linear + 2 spot snapshots; linear writes "65114.20", spot "65140".
    expect(cut).toHaveLength(6);
    for (const [recorded, fresh] of cut) expect(fresh).toBe(recorded);
  });

  it('a snapshot cut mid-stream carries the current u and seq, and the recorded deltas after it chain on it', async () => {
    const p = bybitReplay(bybitLinear, 'linear');
    let fresh: string | undefined;
    const after: string[] = [];
    let deltas = 0;
    await referenceRun((sb, rec) => {
      if (sb.instrument.venue !== 'bybit-linear' || sb.symbol !== 'ETHUSDT') return;
      if (fresh !== undefined) after.push(rec.raw);
      else if (++deltas === 201) fresh = p.snapshotFrames!({ symbol: 'ETHUSDT', channel: 'orderbook.200' }, sb, rec.raw)[0];
    });
    const snap = JSON.parse(fresh!) as { type: string; data: { u: number; seq: number; b: unknown[]; a: unknown[] } };
    const next = JSON.parse(after[0]!) as { data: { u: number; seq: number } };
    expect(snap.type).toBe('snapshot');
    expect(next.data.u).toBe(snap.data.u + 1);
    expect(next.data.seq).toBeGreaterThan(snap.data.seq);
    expect([snap.data.b.length, snap.data.a.length]).toEqual([200, 200]);
    expect(after).toHaveLength(420 - 200);
  });

  it('answers subscribe, unsubscribe and ping in each category\'s own shape, and refuses what Bybit refuses', () => {
    const linear = bybitReplay(bybitLinear, 'linear');
    const spot = bybitReplay(bybitSpot, 'spot');
    const sub = (args: string[], reqId?: string) => JSON.stringify({ ...(reqId === undefined ? {} : { req_id: reqId }), op: 'subscribe', args });
    // Linear: req_id always present ("" when none was sent), empty ret_msg (as recorded).
    expect(linear.clientFrame(sub(['orderbook.200.BTCUSDT']), [], 3)).toEqual({
      subscribe: [{ symbol: 'BTCUSDT', channel: 'orderbook.200' }],
      replies: ['{"success":true,"ret_msg":"","conn_id":"depthdesk-replay-3","req_id":"","op":"subscribe"}'],
    });
    // Spot: ret_msg "subscribe", req_id only when sent (the recorded answer to a request without one has none).
    expect(spot.clientFrame(sub(['orderbook.200.BTCUSDT']), [], 1).replies).toEqual(['{"success":true,"ret_msg":"subscribe","conn_id":"depthdesk-replay-1","op":"subscribe"}']);
    expect(spot.clientFrame(sub(['publicTrade.ETHUSDT'], 'sub-7'), [], 1).replies).toEqual(['{"success":true,"ret_msg":"subscribe","conn_id":"depthdesk-replay-1","req_id":"sub-7","op":"subscribe"}']);
    expect(linear.clientFrame('{"req_id":"ping-4","op":"ping"}', [], 2).replies).toEqual(['{"success":true,"ret_msg":"pong","conn_id":"depthdesk-replay-2","req_id":"ping-4","op":"ping"}']);
    const held = [{ symbol: 'SOLUSDT', channel: 'orderbook.200' }];
    expect(linear.clientFrame('{"req_id":"u1","op":"unsubscribe","args":["orderbook.200.SOLUSDT"]}', held, 2)).toEqual({
      unsubscribe: held,
      replies: ['{"success":true,"ret_msg":"","conn_id":"depthdesk-replay-2","req_id":"u1","op":"unsubscribe"}'],
    });
    // Refusals subscribe nothing and name the first refused arg.
    const refused = (p: typeof linear, raw: string, current = held) => {
      const res = p.clientFrame(raw, current, 2);
      expect(res.subscribe).toBeUndefined();
      return (JSON.parse(res.replies![0]!) as { success: boolean; ret_msg: string }).ret_msg;
    };
    expect(refused(linear, sub(['orderbook.200.ETHUSDT', 'orderbook.30.BTCUSDT']))).toBe('error:handler not found,topic:orderbook.30.BTCUSDT');
    expect(refused(linear, sub(['orderbook.50.btcusdt']))).toBe('error:handler not found,topic:orderbook.50.btcusdt');
    expect(refused(linear, sub(['orderbook.200.SOLUSDT']))).toBe('error:already subscribed,topic:orderbook.200.SOLUSDT');
    expect(refused(spot, sub(['allLiquidation.BTCUSDT']))).toBe('error:handler not found,topic:allLiquidation.BTCUSDT');
    expect(refused(spot, sub(Array.from({ length: 11 }, (_, i) => `publicTrade.S${i}USDT`)))).toBe('args size >10');
    expect(refused(linear, '{"op":"nope"}')).toBe('error:invalid op');
    expect(refused(linear, 'hello')).toMatch(/^Failed to decode incoming data/);
    // Linear takes more than 10 args in one request (no per-request cap there).
    expect(linear.clientFrame(sub(Array.from({ length: 11 }, (_, i) => `publicTrade.S${i}USDT`)), [], 2).subscribe).toHaveLength(11);
  });

  it('serves each category on its own path only', () => {
    expect(bybitReplay(bybitLinear, 'linear').connect(new URL('ws://127.0.0.1/v5/public/linear'))).toEqual({ topics: [] });
    expect(bybitReplay(bybitSpot, 'spot').connect(new URL('ws://127.0.0.1/v5/public/linear'))).toMatchObject({ refuse: { status: 404 } });
    // The engine's plan appends the category path to a bare replay host, and keeps a full URL as it is.
    expect(bybitSpot.plan(['BTCUSDT'], 'ws://127.0.0.1:9000')[0]!.url).toBe('ws://127.0.0.1:9000/v5/public/spot');
    expect(bybitLinear.plan(['BTCUSDT'], 'wss://stream-testnet.bybit.com/v5/public/linear')[0]!.url).toBe('wss://stream-testnet.bybit.com/v5/public/linear');
    expect(bybitLinear.plan(['BTCUSDT'])[0]!.url).toBe('wss://stream.bybit.com/v5/public/linear');
  });
});
