/**
 * The live engine (EngineService: real sockets, sessions) against a local OKX server replaying the
 * real 2022 recordings: every book goes live from the recorded snapshot, every recorded checksum
 * verifies, and every book ends equal to the reference rebuilt from the recording. An update lost
 * in transit fails the next checksum (the 2022 stream has no seqId) on that instrument only: the
 * engine resubscribes it, the server answers with a snapshot cut from its reference (with its
 * real checksum), the checksums verify again and the book ends exact.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { loadRecording } from '../../src-main/engine/replay/recording.ts';
import { dataPath } from '../support/data.ts';
import { delivered, expectAllExact, leftLive, liveReplay, until } from '../support/liveReplay.ts';
import type { LiveReplay } from '../support/liveReplay.ts';
import { nthIndex } from '../support/runRecords.ts';

const BOOKS = 'okx/cryptofeed_books_2022-05-13.ndjson';
const TBT = 'okx/cryptofeed_books-l2-tbt_2022-02-27.ndjson';

let r: LiveReplay | undefined;
afterEach(async () => {
  await r?.close();
  r = undefined;
});

/** Recorded trade prints per instrument (each `trades` frame may carry several). */
async function recordedTrades(rel: string): Promise<number> {
  let n = 0;
  for (const rec of await loadRecording(dataPath(rel))) {
    if (rec.dir !== 'recv' || !rec.raw.startsWith('{"arg":{"channel":"trades"')) continue;
    n += (JSON.parse(rec.raw) as { data: unknown[] }).data.length;
  }
  return n;
}

describe('OKX replay -> live engine', () => {
  it('tick and lot sizes a listing gave reach the books\' instruments (and only the books they were listed for)', async () => {
    // BTC-USDT as OKX documents it (GET /api/v5/public/instruments response example: tickSz 0.1,
    // lotSz 0.00000001), as selectVenues passes a listing's increments to a feed process.
    r = await liveReplay(BOOKS, { configure: (v) => ({ ...v, increments: { 'BTC-USDT': { tickSize: '0.1', lotSize: '0.00000001' } } }) });
    await delivered(r);
    const btc = r.svc.book('okx', 'BTC-USDT')!;
    expect(btc.instrument).toMatchObject({ venueSymbol: 'BTC-USDT', tickSize: '0.1', lotSize: '0.00000001' });
    expect(btc.state).toBe('live');
    for (const sym of ['BTC-USD-220527', 'UNI-USD-SWAP']) {
      expect(r.svc.book('okx', sym)!.instrument.tickSize, sym).toBeUndefined();
      expect(r.svc.book('okx', sym)!.state, sym).toBe('live');
    }
  });

  it('books 2022-05-13: 3 instruments live on one connection, all 290 checksums verified, trades, books exact', async () => {
    r = await liveReplay(BOOKS);
    await delivered(r);
    const books = [...r.svc.books()];
    expect(books.map((b) => b.symbol).sort()).toEqual(['BTC-USD-220527', 'BTC-USDT', 'UNI-USD-SWAP']);
    expect(r.svc.connections('okx')).toHaveLength(1);
    for (const sb of books) {
      expect(sb.state, sb.symbol).toBe('live');
      expect(sb.counters.checksumFailed, sb.symbol).toBe(0);
      expect(sb.counters.resyncs, sb.symbol).toBe(0);
      expect(leftLive(r, sb.symbol), sb.symbol).toEqual([]);
    }
    // PROVENANCE figures, as depthdesk verify counts them.
    expect(books.reduce((n, sb) => n + sb.counters.checksumOk, 0)).toBe(290);
    expect(books.reduce((n, sb) => n + sb.counters.trades, 0)).toBe(await recordedTrades(BOOKS));
    expect(r.resyncs).toEqual([]);
    expectAllExact(r);
  });

  it('books-l2-tbt 2022-02-27: 10 instruments live (engine asks `books`, gets the recorded tbt frames), 3,679 checksums, books exact', async () => {
    r = await liveReplay(TBT);
    await delivered(r);
    const books = [...r.svc.books()];
    expect(books).toHaveLength(10);
    for (const sb of books) {
      expect(sb.state, sb.symbol).toBe('live');
      expect(sb.counters.checksumFailed, sb.symbol).toBe(0);
      // The recording's two back-to-back snapshots per instrument are replayed as recorded.
      expect(sb.counters.snapshots, sb.symbol).toBe(2);
    }
    expect(books.reduce((n, sb) => n + sb.counters.checksumOk, 0)).toBe(3679);
    expect(r.book('ELON-USDT').counters.messages).toBe(1602);
    expectAllExact(r);
  });

  it('an ELON-USDT update dropped in transit: checksum mismatch on ELON-USDT only, resubscribed, fresh snapshot with a real checksum, exact again', async () => {
    const records = await loadRecording(dataPath(TBT));
    // Update #100 of ELON-USDT changes its top 25 levels (okxVerify.test.ts): the next checksum fails.
    const line = records[nthIndex(records, 100, (raw) => raw.includes('"action":"update"') && raw.includes('"instId":"ELON-USDT"'))]!.line;
    r = await liveReplay(TBT, { server: { faults: [{ match: { symbol: 'ELON-USDT', channel: 'books', where: (f) => f.line === line }, fault: { kind: 'drop' } }] } });
    await delivered(r);
    await until(() => r!.book('ELON-USDT').state === 'live' && r!.book('ELON-USDT').counters.snapshots === 3);
    await delivered(r);
    expect(r.server.faults.log.map((f) => [f.kind, f.symbol, f.line])).toEqual([['drop', 'ELON-USDT', line]]);
    const elon = r.book('ELON-USDT');
    expect(elon.counters.checksumFailed).toBe(1);
    expect(elon.anomalies.map((a) => a.kind)).toEqual(['checksum-mismatch']);
    // 2 recorded snapshots + 1 cut by the server after the resubscribe.
    expect(elon.counters.snapshots).toBe(3);
    // The fresh snapshot's checksum and every later update's checksum verified: more than the
    // 2 snapshots + 100 updates proven before the hole.
    expect(elon.counters.checksumOk).toBeGreaterThan(102);
    expect(elon.counters.checksumNotProvided).toBe(0);
    expect(new Set(r.resyncs.map((e) => e.symbol))).toEqual(new Set(['ELON-USDT']));
    for (const sb of r.svc.books()) {
      if (sb.symbol === 'ELON-USDT') continue;
      expect(sb.counters.checksumFailed, sb.symbol).toBe(0);
      expect(leftLive(r, sb.symbol), sb.symbol).toEqual([]);
    }
    expectAllExact(r);
  });
});
