/**
 * The live engine (EngineService: real sockets, REST budget, sessions) against local Binance
 * servers replaying real recordings: every book goes live from a REST snapshot the server cut
 * from its reference book, every bookTicker cross-check passes, and at the end every book equals
 * the reference rebuilt from the recording.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { activeHandles, expectAllExact, expectNoLeaks, leftLive, liveReplay, quiescent } from '../support/liveReplay.ts';
import type { LiveReplay } from '../support/liveReplay.ts';

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

describe('Binance replay -> live engine', () => {
  it('cryptofeed_spot_10sym: all 10 symbols go live on one connection, 0 gaps, every cross-check passes, books exact', async () => {
    let onBook = 0;
    let onTrade = 0;
    r = await liveReplay('binance/cryptofeed_spot_10sym_2021-04-05_120s.ndjson', {
      before: (svc) => {
        svc.onBook(() => onBook++);
        svc.onTrade(() => onTrade++);
      },
    });
    await quiescent(r);
    const books = [...r.svc.books()];
    // The hot-path hooks fire once per applied book message and once per trade.
    expect(onBook).toBe(books.reduce((n, b) => n + b.counters.applied, 0));
    expect(onTrade).toBe(books.reduce((n, b) => n + b.counters.trades, 0));
    expect(onTrade).toBe(1240);
    expect(books.map((b) => b.symbol).sort()).toEqual(['AXSBNB', 'BTCAUD', 'BTCSTUSDT', 'DENTUSDT', 'ETHBRL', 'MANAUSDT', 'NEOUSDC', 'QTUMETH', 'RENBTCETH', 'ZILUSDT']);
    expect(r.svc.connections('binance-spot')).toHaveLength(1);
    let crossChecks = 0;
    for (const sb of books) {
      expect(sb.state, sb.symbol).toBe('live');
      expect(sb.counters.gaps, sb.symbol).toBe(0);
      expect(sb.counters.resyncs, sb.symbol).toBe(0);
      expect(sb.counters.crossCheckFailed, sb.symbol).toBe(0);
      expect(sb.counters.applied, sb.symbol).toBeGreaterThan(0);
      expect(leftLive(r, sb.symbol), sb.symbol).toEqual([]);
      crossChecks += sb.counters.crossCheckOk;
    }
    expect(crossChecks).toBeGreaterThan(0);
    // One snapshot per symbol, each the reference book at the moment it was asked for.
    const snaps = r.server.restLog.filter((l) => l.status === 200);
    expect(snaps.map((l) => l.symbol).sort()).toEqual(books.map((b) => b.symbol).sort());
    expect(r.server.restLog.every((l) => l.limit === 1000)).toBe(true);
    expect(r.resyncs).toEqual([]);
    expectAllExact(r);
  });

  it('spot_BTCUSDT 10-minute capture: every depth message received, live from the server snapshot, every cross-check passes, book exact', async () => {
    r = await liveReplay('binance/spot_BTCUSDT_2024-08-08T2354Z_10min.hftbacktest.ndjson.gz');
    await quiescent(r);
    const sb = r.book('BTCUSDT');
    // PROVENANCE.md: 6,495 depth messages and 19,904 trades in the capture.
    expect(sb.counters.messages).toBe(6495);
    expect(sb.counters.trades).toBe(19904);
    expect(sb.state).toBe('live');
    expect(sb.seq).toBe(50093696318);
    expect(sb.counters.gaps).toBe(0);
    expect(sb.counters.crossCheckFailed).toBe(0);
    expect(sb.counters.crossCheckOk).toBeGreaterThan(0);
    expect(sb.counters.crossCheckOk).toBeLessThanOrEqual(1072);
    expect(leftLive(r, 'BTCUSDT')).toEqual([]);
    expectAllExact(r);
    const st = r.svc.symbolStatus(sb);
    expect(st.trustBand.mode).toBe('snapshot');
    expect(st.sequenceLag).toBe(0);
    expect(st.counters.messages).toBe(6495);
  });

  it('cryptofeed_usdm_5sym (USD-M, pu chain, /fapi/v1/depth): all live, 0 gaps, cross-checks pass, books exact', async () => {
    r = await liveReplay('binance/cryptofeed_usdm_5sym_2021-04-05_120s.ndjson');
    await quiescent(r);
    expect(r.venue).toBe('binance-usdm');
    const books = [...r.svc.books()];
    expect(books).toHaveLength(5);
    for (const sb of books) {
      expect(sb.state, sb.symbol).toBe('live');
      expect(sb.counters.gaps, sb.symbol).toBe(0);
      expect(sb.counters.crossCheckFailed, sb.symbol).toBe(0);
    }
    // Futures snapshot weight is 20 at limit 1000 (Order-Book page): five snapshots counted.
    expect(r.svc.restBudget('binance-usdm')!.history.map((a) => a.weight)).toEqual([20, 20, 20, 20, 20]);
    expectAllExact(r);
  });
});
