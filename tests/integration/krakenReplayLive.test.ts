/**
 * The live engine (EngineService: real sockets, sessions) against local Kraken servers replaying
 * the real recordings:
 * - Kraken spot v1 (the engine's `kraken` venue speaks v1 at the replay server's root URL): every
 *   pair live from the recorded snapshot, all 14,496 update checksums verified, books exact. An
 *   update lost in transit fails the next checksum on that pair only; the engine resubscribes it,
 *   the server answers with a snapshot cut from its reference at the pair's fixed decimals, and
 *   the checksums verify again.
 * - Kraken Futures: every product live, `seq` chains unbroken, books exact. A delta lost in transit
 *   is a gap on that product only; the fresh snapshot's `seq` continues the chain. The connection
 *   keeps itself alive with WebSocket pings (the venue wants a request at least every 60 s).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { loadRecording } from '../../src-main/engine/replay/recording.ts';
import { dataPath } from '../support/data.ts';
import { delivered, expectAllExact, leftLive, liveReplay, until } from '../support/liveReplay.ts';
import type { LiveReplay } from '../support/liveReplay.ts';
import { nthIndex } from '../support/runRecords.ts';

const SPOT = 'kraken/cryptofeed_v1_book1000_XBTUSD+9pairs_2021-04-05_120s.ndjson';
const FUTURES = 'kraken/cryptofeed_futures_v1_book_2021-07-22.ndjson';

let r: LiveReplay | undefined;
afterEach(async () => {
  await r?.close();
  r = undefined;
});

/** Line (in its file) of the n-th received frame `match` accepts. */
async function lineOf(rel: string, n: number, match: (raw: string) => boolean): Promise<number> {
  const records = await loadRecording(dataPath(rel));
  return records[nthIndex(records, n, match)]!.line;
}

describe('Kraken spot v1 replay -> live engine', () => {
  it('10 pairs live on one v1 connection, all 14,496 update checksums verified, books exact', async () => {
    r = await liveReplay(SPOT);
    await delivered(r);
    const books = [...r.svc.books()];
    expect(books).toHaveLength(10);
    expect(r.svc.connections('kraken')).toHaveLength(1);
    for (const sb of books) {
      expect(sb.state, sb.symbol).toBe('live');
      expect(sb.counters.checksumFailed, sb.symbol).toBe(0);
      expect(sb.counters.snapshots, sb.symbol).toBe(1);
      expect(sb.counters.resyncs, sb.symbol).toBe(0);
      expect(leftLive(r, sb.symbol), sb.symbol).toEqual([]);
    }
    expect(books.reduce((n, sb) => n + sb.counters.checksumOk, 0)).toBe(14496);
    expect(r.book('XBT/USD').counters.checksumOk).toBe(5788);
    expect(r.book('XBT/USD').instrument.symbol).toBe('BTC-USD');
    expect(r.resyncs).toEqual([]);
    expectAllExact(r);
  });

  it('an XBT/USD update dropped in transit: checksum mismatch on XBT/USD only, resubscribed, fresh snapshot at the fixed decimals, checksums verify again, exact', async () => {
    // Update #495 sets a new best ask, inside the checksummed top 10 (krakenVerify.test.ts).
    const isXbtUpdate = (raw: string): boolean => raw.endsWith('"book-1000","XBT/USD"]') && raw.includes('"c":"');
    const line = await lineOf(SPOT, 495, isXbtUpdate);
    r = await liveReplay(SPOT, { server: { faults: [{ match: { symbol: 'XBT/USD', channel: 'book', where: (f) => f.line === line }, fault: { kind: 'drop' } }] } });
    await delivered(r);
    await until(() => r!.book('XBT/USD').state === 'live' && r!.book('XBT/USD').counters.snapshots === 2);
    await delivered(r);
    expect(r.server.faults.log.map((f) => [f.kind, f.symbol, f.line])).toEqual([['drop', 'XBT/USD', line]]);
    const xbt = r.book('XBT/USD');
    expect(xbt.counters.checksumFailed).toBe(1);
    expect(xbt.anomalies.map((a) => a.kind)).toEqual(['checksum-mismatch']);
    expect(xbt.counters.snapshots).toBe(2);
    // Updates #0..#494 verified before the hole; updates after the fresh snapshot verify too.
    expect(xbt.counters.checksumOk).toBeGreaterThan(495);
    expect(new Set(r.resyncs.map((e) => e.symbol))).toEqual(new Set(['XBT/USD']));
    for (const sb of r.svc.books()) {
      if (sb.symbol === 'XBT/USD') continue;
      expect(sb.counters.checksumFailed, sb.symbol).toBe(0);
      expect(leftLive(r, sb.symbol), sb.symbol).toEqual([]);
    }
    expectAllExact(r);
  });
});

describe('Kraken Futures replay -> live engine', () => {
  it('10 products live, 7,014 deltas in seq order, 0 gaps, books exact', async () => {
    r = await liveReplay(FUTURES);
    await delivered(r);
    const books = [...r.svc.books()];
    expect(books).toHaveLength(10);
    expect(r.venue).toBe('kraken-futures');
    for (const sb of books) {
      expect(sb.state, sb.symbol).toBe('live');
      expect(sb.counters.gaps, sb.symbol).toBe(0);
      expect(sb.counters.snapshots, sb.symbol).toBe(1);
      expect(sb.counters.applied, sb.symbol).toBe(sb.counters.messages);
      expect(leftLive(r, sb.symbol), sb.symbol).toEqual([]);
    }
    expect(books.reduce((n, sb) => n + sb.counters.messages - 1, 0)).toBe(7014);
    expect(r.book('PI_ETHUSD').counters.messages - 1).toBe(3890);
    expect(r.book('PI_ETHUSD').instrument.symbol).toBe('ETH-USD-PERP-INV');
    expect(r.resyncs).toEqual([]);
    expectAllExact(r, { seq: true });
  });

  it('a PI_ETHUSD delta dropped in transit: gap on PI_ETHUSD only, resubscribed, fresh book_snapshot continuing the seq chain, exact again', async () => {
    const line = await lineOf(FUTURES, 100, (raw) => raw.startsWith('{"feed":"book","product_id":"PI_ETHUSD"'));
    r = await liveReplay(FUTURES, { server: { faults: [{ match: { symbol: 'PI_ETHUSD', channel: 'book', where: (f) => f.line === line }, fault: { kind: 'drop' } }] } });
    await delivered(r);
    await until(() => r!.book('PI_ETHUSD').state === 'live' && r!.book('PI_ETHUSD').counters.snapshots === 2);
    await delivered(r);
    expect(r.server.faults.log.map((f) => [f.kind, f.symbol, f.line])).toEqual([['drop', 'PI_ETHUSD', line]]);
    const eth = r.book('PI_ETHUSD');
    expect(eth.counters.gaps).toBe(1);
    expect(eth.anomalies.map((a) => a.kind)).toEqual(['gap']);
    expect(eth.counters.snapshots).toBe(2);
    expect(new Set(r.resyncs.map((e) => e.symbol))).toEqual(new Set(['PI_ETHUSD']));
    for (const sb of r.svc.books()) {
      if (sb.symbol === 'PI_ETHUSD') continue;
      expect(sb.counters.gaps, sb.symbol).toBe(0);
      expect(leftLive(r, sb.symbol), sb.symbol).toEqual([]);
    }
    expectAllExact(r, { seq: true });
  });

  it('keeps the socket alive with WebSocket pings at the venue interval (30 s; 20 ms here), answered, the books untouched', async () => {
    r = await liveReplay(FUTURES, { timing: { pingIntervalMs: 20 } });
    await delivered(r);
    const conn = r.svc.connections('kraken-futures')[0]!.connection;
    await until(() => conn.counters.pongs >= 3);
    expect(conn.counters.pings).toBeGreaterThanOrEqual(3);
    expect(conn.counters).toMatchObject({ probes: 0, reconnects: 0 });
    // The session sends nothing periodic of its own: its three subscriptions are all it sent.
    expect(conn.counters.framesSent).toBe(3);
    expect(r.resyncs).toEqual([]);
    expectAllExact(r, { seq: true });
  });
});
