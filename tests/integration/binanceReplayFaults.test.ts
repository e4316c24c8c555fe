/**
 * Faults injected into real Binance streams (cryptofeed_spot_10sym, ten symbols on one
 * connection) between the local venue server and the live engine: each is detected, only what it
 * touched resyncs, and at the end every book equals the reference rebuilt from the recording.
 * Timing settings are test-only (stale after 300 ms, fast reconnects) and passed as options;
 * nothing asserts on wall-clock durations.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadRecording } from '../../src-main/engine/replay/recording.ts';
import { dataPath } from '../support/data.ts';
import { activeHandles, expectAllExact, expectNoLeaks, leftLive, liveReplay, quiescent, until } from '../support/liveReplay.ts';
import type { LiveReplay } from '../support/liveReplay.ts';
import { nthIndex } from '../support/runRecords.ts';

const FILE = 'binance/cryptofeed_spot_10sym_2021-04-05_120s.ndjson';
const SYMBOLS = ['AXSBNB', 'BTCAUD', 'BTCSTUSDT', 'DENTUSDT', 'ETHBRL', 'MANAUSDT', 'NEOUSDC', 'QTUMETH', 'RENBTCETH', 'ZILUSDT'];

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

function allLive(run: LiveReplay): boolean {
  return [...run.svc.books()].every((b) => b.state === 'live');
}

/** Resync events of a symbol: [start, end] pairs by id. */
function resyncsOf(run: LiveReplay, symbol: string) {
  return run.resyncs.filter((e) => e.symbol === symbol);
}

describe('faults on a real Binance stream', () => {
  it('a diff dropped mid-run is a gap: only that symbol resyncs from a server snapshot, the nine others never leave live, all books exact', async () => {
    // Real time x20 so that the fault can be armed while the stream runs.
    r = await liveReplay(FILE, { speed: 20 });
    await until(() => allLive(r!));
    // Armed now: the next ZILUSDT diff the server sends is dropped.
    r.server.faults.addFrameRule({ match: { symbol: 'ZILUSDT', channel: 'depth' }, fault: { kind: 'drop' } });
    await quiescent(r);
    const drop = r.server.faults.log.find((f) => f.kind === 'drop')!;
    expect(drop.symbol).toBe('ZILUSDT');
    const zil = r.book('ZILUSDT');
    expect(zil.counters.gaps).toBe(1);
    expect(zil.counters.resyncs).toBe(1);
    expect(zil.anomalies.map((a) => a.kind)).toEqual(['gap']);
    // The resync: one start (pending) and one end (live) with the same id.
    const ev = resyncsOf(r, 'ZILUSDT');
    expect(ev.map((e) => e.outcome)).toEqual(['pending', 'live']);
    expect(ev[0]!.id).toBe(ev[1]!.id);
    expect(ev[0]!.cause).toBe('gap');
    expect(ev[1]!.durationMs).toBeGreaterThanOrEqual(0);
    // A second snapshot came from the server, asked at gap priority.
    expect(r.server.restLog.filter((l) => l.symbol === 'ZILUSDT' && l.status === 200)).toHaveLength(2);
    const zilAttempts = r.svc.restBudget('binance-spot')!.history.filter((a) => a.key === 'ZILUSDT');
    expect(zilAttempts.map((a) => a.priority)).toEqual(['cold', 'gap']);
    for (const s of SYMBOLS.filter((x) => x !== 'ZILUSDT')) {
      expect(leftLive(r, s), s).toEqual([]);
      expect(r.book(s).counters.gaps, s).toBe(0);
      expect(resyncsOf(r, s), s).toEqual([]);
    }
    expectAllExact(r);
  });

  it('a duplicated diff is dropped and counted; the book never leaves live and stays exact', async () => {
    r = await liveReplay(FILE, { server: { faults: [{ match: { symbol: 'DENTUSDT', channel: 'depth', index: 700 }, fault: { kind: 'duplicate' } }] } });
    await quiescent(r);
    expect(r.server.faults.log.map((f) => [f.kind, f.symbol, f.index])).toEqual([['duplicate', 'DENTUSDT', 700]]);
    const dent = r.book('DENTUSDT');
    expect(dent.counters.duplicates).toBe(1);
    expect(dent.counters.gaps).toBe(0);
    expect(dent.counters.resyncs).toBe(0);
    expect(leftLive(r, 'DENTUSDT')).toEqual([]);
    expect(r.resyncs).toEqual([]);
    expectAllExact(r);
  });

  it('a diff delivered after its successor is a gap; the symbol resyncs and ends exact', async () => {
    r = await liveReplay(FILE, { server: { faults: [{ match: { symbol: 'MANAUSDT', channel: 'depth', index: 600 }, fault: { kind: 'reorder', after: 1 } }] } });
    await quiescent(r);
    const mana = r.book('MANAUSDT');
    expect(mana.counters.gaps).toBeGreaterThanOrEqual(1);
    expect(resyncsOf(r, 'MANAUSDT').at(-1)!.outcome).toBe('live');
    for (const s of SYMBOLS.filter((x) => x !== 'MANAUSDT')) expect(leftLive(r, s), s).toEqual([]);
    expectAllExact(r);
  });

  it('a frame cut in half is reported and the symbol resyncs; the others never leave live', async () => {
    r = await liveReplay(FILE, { server: { faults: [{ match: { symbol: 'ZILUSDT', channel: 'depth', index: 600 }, fault: { kind: 'corrupt', how: 'truncate' } }] } });
    await quiescent(r);
    const zil = r.book('ZILUSDT');
    // Reported: the half frame is not JSON, so the session says so (it cannot tell whose it was);
    // the lost diff then shows as a gap on the symbol's next diff.
    expect(r.notices.filter((n) => n.message.includes('unparseable frame')).map((n) => [n.level, n.venue])).toEqual([['warn', 'binance-spot']]);
    expect(zil.anomalies.map((a) => a.kind)).toEqual(['gap']);
    expect(zil.counters.resyncs).toBe(1);
    expect(resyncsOf(r, 'ZILUSDT').map((e) => e.outcome)).toEqual(['pending', 'live']);
    for (const s of SYMBOLS.filter((x) => x !== 'ZILUSDT')) expect(leftLive(r, s), s).toEqual([]);
    expectAllExact(r);
  });

  it('a frame with a corrupted price (still valid JSON) is an invalid level: resync, exact again', async () => {
    // The first NEOUSDC diff from index 100 on that carries bids: its first bid price gets a minus sign.
    r = await liveReplay(FILE, {
      server: {
        faults: [{ match: { symbol: 'NEOUSDC', channel: 'depth', where: (f) => f.index >= 100 && f.raw.includes('"b":[["') }, fault: { kind: 'corrupt', how: 'replace', find: '"b":[["', replace: '"b":[["-' } }],
      },
    });
    await quiescent(r);
    const neo = r.book('NEOUSDC');
    expect(r.server.faults.log).toHaveLength(1);
    expect(neo.anomalies.map((a) => a.kind)).toEqual(['invalid-price']);
    expect(neo.counters.invalid).toBe(1);
    expect(resyncsOf(r, 'NEOUSDC').map((e) => e.outcome)).toEqual(['pending', 'live']);
    for (const s of SYMBOLS.filter((x) => x !== 'NEOUSDC')) expect(leftLive(r, s), s).toEqual([]);
    expectAllExact(r);
  });

  it('a stalled socket is detected as stale, the probe goes unanswered, the engine reconnects and every book resyncs', async () => {
    r = await liveReplay(FILE, {
      timing: { staleAfterMs: 300, probeTimeoutMs: 150 },
      server: { faults: [{ match: { symbol: 'DENTUSDT', channel: 'depth', index: 500 }, fault: { kind: 'stall' } }] },
    });
    await r.server.ended;
    await until(() => [...r!.svc.books()].every((sb) => sb.seq === r!.server.reference(sb.symbol)!.seq && (sb.state === 'live' || sb.state === 'stale')));
    const conn = r.svc.connections('binance-spot')[0]!.connection.counters;
    expect(conn.stale).toBeGreaterThanOrEqual(1);
    expect(conn.probes).toBeGreaterThanOrEqual(1);
    // At least the stall's reconnect; a loaded machine can add a probe that times out on a quiet
    // moment of the recording (staleAfterMs is 300 ms here), which is the same path again.
    expect(conn.reconnects).toBeGreaterThanOrEqual(1);
    const clients = r.server.clients();
    expect(clients.find((c) => c.id === 1)).toBeUndefined(); // the stalled socket was dropped by the engine
    for (const s of SYMBOLS) {
      const t = r.transitions.filter((x) => x.symbol === s);
      // live -> stale (no frame for 300 ms) -> resyncing (the probe failed, socket replaced) -> ... -> live
      const staleThenReconnect = t.some((x, i) => x.from === 'live' && x.to === 'stale' && t[i + 1]?.to === 'resyncing' && t[i + 1]?.cause === 'reconnect');
      expect(staleThenReconnect, s).toBe(true);
      const ev = resyncsOf(r, s);
      const reconnect = ev.find((e) => e.cause === 'reconnect');
      expect(reconnect, s).toBeDefined();
      expect(ev.find((e) => e.id === reconnect!.id && e.outcome === 'live'), s).toBeDefined();
    }
    expectAllExact(r);
  });

  it('429 + Retry-After on a snapshot: nothing is sent until the venue allows it, then the book goes live', async () => {
    r = await liveReplay(FILE, { server: { restFaults: [{ symbol: 'ZILUSDT', status: 429, retryAfterSec: 1 }] } });
    await quiescent(r);
    const budget = r.svc.restBudget('binance-spot')!;
    const h = budget.history;
    const refused = h.find((a) => a.status === 429)!;
    expect(refused.key).toBe('ZILUSDT');
    expect(refused.retryAfterMs).toBe(1000);
    expect(refused.blockedUntilMs).toBe(refused.doneMs! + 1000);
    expect(budget.blockedUntil).toBe(refused.blockedUntilMs);
    // Nothing at all went out while blocked (continuing after 429 escalates to a ban). A request
    // sent in the same millisecond, before the 429 was read, is not "after" it.
    const after = h.filter((a) => a.sentMs > refused.doneMs!);
    expect(after.length).toBeGreaterThan(0);
    for (const a of after) expect(a.sentMs).toBeGreaterThanOrEqual(refused.blockedUntilMs!);
    const zil = h.filter((a) => a.key === 'ZILUSDT');
    expect(zil.map((a) => a.status)).toEqual([429, 200]);
    expect(r.server.restLog.filter((l) => l.symbol === 'ZILUSDT').map((l) => l.status)).toEqual([429, 200]);
    expect(r.notices.some((n) => n.level === 'warn' && n.message.includes('rate limit (429)'))).toBe(true);
    for (const sb of r.svc.books()) expect(sb.state, sb.symbol).toBe('live');
    expectAllExact(r);
  });

  it('429 + Retry-After on a gap resync: the resync waits as the venue asks, at gap priority, then ends live and exact', async () => {
    r = await liveReplay(FILE, { speed: 20 });
    await until(() => allLive(r!));
    // Armed mid-run: the next ZILUSDT diff is lost and the snapshot for the resync is refused once.
    r.server.faults.addRestRule({ symbol: 'ZILUSDT', status: 429, retryAfterSec: 1 });
    r.server.faults.addFrameRule({ match: { symbol: 'ZILUSDT', channel: 'depth' }, fault: { kind: 'drop' } });
    await quiescent(r);
    const budget = r.svc.restBudget('binance-spot')!;
    const zil = budget.history.filter((a) => a.key === 'ZILUSDT');
    expect(zil.map((a) => [a.priority, a.status])).toEqual([
      ['cold', 200],
      ['gap', 429],
      ['gap', 200],
    ]);
    const refused = zil[1]!;
    expect(refused.blockedUntilMs).toBe(refused.doneMs! + 1000);
    expect(zil[2]!.sentMs).toBeGreaterThanOrEqual(refused.blockedUntilMs!);
    const ev = resyncsOf(r, 'ZILUSDT');
    expect(ev.map((e) => [e.cause, e.outcome])).toEqual([
      ['gap', 'pending'],
      ['gap', 'live'],
    ]);
    // The resync could only end after the venue allowed the next request.
    expect(ev[1]!.endedMs!).toBeGreaterThanOrEqual(refused.blockedUntilMs!);
    for (const s of SYMBOLS.filter((x) => x !== 'ZILUSDT')) expect(leftLive(r, s), s).toEqual([]);
    expectAllExact(r);
  });

  it('a closed socket reconnects and every book on it resyncs, then all are exact', async () => {
    r = await liveReplay(FILE, { server: { faults: [{ match: { symbol: 'ZILUSDT', channel: 'depth', index: 500 }, fault: { kind: 'close', code: 1001 } }] } });
    await quiescent(r);
    expect(r.svc.connections('binance-spot')[0]!.connection.counters.reconnects).toBe(1);
    for (const s of SYMBOLS) {
      const t = r.transitions.filter((x) => x.symbol === s);
      const closeAt = t.findIndex((x) => x.from === 'live' && x.cause === 'reconnect');
      expect(closeAt, s).toBeGreaterThanOrEqual(0);
      expect(t[closeAt]!.to, s).toBe('resyncing');
      const ev = resyncsOf(r, s);
      expect(ev.map((e) => [e.cause, e.outcome]), s).toEqual([
        ['reconnect', 'pending'],
        ['reconnect', 'live'],
      ]);
      // A fresh snapshot after the reconnect: two per symbol in all.
      expect(r.server.restLog.filter((l) => l.symbol === s && l.status === 200), s).toHaveLength(2);
    }
    expectAllExact(r);
  });

  it('serverShutdown: the engine replaces the socket at once (no backoff), every book resyncs on the new one, then all are exact', async () => {
    // No recording holds a serverShutdown: the event follows the documentation (venues.md
    // section 3, web-socket-streams.md: {"e":"serverShutdown","E":<ms>} on the combined stream
    // "!serverShutdown"). It stands in place of ZILUSDT's 581st bookTicker (a cross-check signal:
    // no book misses it), stamped with the time that frame was received.
    const records = await loadRecording(dataPath(FILE));
    const replaced = records[nthIndex(records, 580, (raw) => raw.startsWith('{"stream":"zilusdt@bookTicker"'))]!;
    const E = Number(replaced.recvTsNs / 1_000_000n);
    const shutdown = JSON.stringify({ stream: '!serverShutdown', data: { e: 'serverShutdown', E } });
    r = await liveReplay(FILE, {
      // An hour of reconnect backoff: the reconnect happening at all proves it did not wait for it.
      timing: { reconnect: { initialMs: 3_600_000, maxMs: 3_600_000 } },
      server: { faults: [{ match: { symbol: 'ZILUSDT', where: (f) => f.line === replaced.line }, fault: { kind: 'corrupt', how: 'replace', find: replaced.raw, replace: shutdown } }] },
    });
    await quiescent(r);
    expect(r.server.faults.log.map((f) => [f.kind, f.symbol, f.line])).toEqual([['corrupt', 'ZILUSDT', replaced.line]]);
    const conn = r.svc.connections('binance-spot')[0]!.connection;
    expect(conn.counters).toMatchObject({ connects: 2, reconnects: 1, failedConnects: 0 });
    expect(r.notices.some((n) => n.message.includes('venue announced serverShutdown: reconnecting'))).toBe(true);
    for (const s of SYMBOLS) {
      const t = r.transitions.filter((x) => x.symbol === s);
      const closeAt = t.findIndex((x) => x.from === 'live' && x.cause === 'reconnect');
      expect(closeAt, s).toBeGreaterThanOrEqual(0);
      expect(t[closeAt]!.detail, s).toContain('closed (requested, code 1000 venue announced serverShutdown)');
      expect(resyncsOf(r, s).map((e) => [e.cause, e.outcome]), s).toEqual([
        ['reconnect', 'pending'],
        ['reconnect', 'live'],
      ]);
      expect(r.server.restLog.filter((l) => l.symbol === s && l.status === 200), s).toHaveLength(2);
    }
    expectAllExact(r);
  });
});
