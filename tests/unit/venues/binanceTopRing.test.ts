/** The bookTicker cross-check's memory of recent tops, fed from a real Binance spot capture. */
import { describe, expect, it } from 'vitest';
import { OrderBook } from '../../../src-main/engine/book/orderBook.ts';
import { loadRecording } from '../../../src-main/engine/replay/recording.ts';
import { TopRing } from '../../../src-main/engine/venues/binance/topRing.ts';
import { parseScaled } from '../../../src-shared/model/decimal.ts';
import { dataPath } from '../../support/data.ts';

describe('TopRing', () => {
  it('answers the top after each of the last N diffs, by final id, and forgets older ones', async () => {
    const recs = await loadRecording(dataPath('binance/spot_BTCUSDT_2024-08-08T2354Z_10min.hftbacktest.ndjson.gz'));
    const book = new OrderBook(2, 8);
    const ring = new TopRing(16);
    const expected: { u: number; top: string }[] = [];
    const topText = () => JSON.stringify([book.bids.bestPrice(), book.bids.bestSize(), book.asks.bestPrice(), book.asks.bestSize(), 2, 8]);
    for (const r of recs) {
      if (r.dir !== 'recv' || !r.raw.includes('depthUpdate')) continue;
      const d = JSON.parse(r.raw).data as { u: number; b: [string, string][]; a: [string, string][] };
      for (const [p, q] of d.b) book.bids.set(parseScaled(p, 2), parseScaled(q, 8));
      for (const [p, q] of d.a) book.asks.set(parseScaled(p, 2), parseScaled(q, 8));
      ring.record(d.u, book);
      expected.push({ u: d.u, top: topText() });
      if (expected.length === 40) break;
    }
    // The last 16 (more than the capacity were recorded, so the ring wrapped).
    for (const e of expected.slice(-16)) {
      const t = ring.get(e.u)!;
      expect(JSON.stringify([t.bidPrice, t.bidSize, t.askPrice, t.askSize, t.priceScale, t.sizeScale])).toBe(e.top);
    }
    for (const e of expected.slice(0, -16)) expect(ring.get(e.u)).toBeUndefined();
    // An id between two diffs, or ahead of the newest, is not a diff's final id.
    expect(ring.get(expected[expected.length - 1]!.u + 1)).toBeUndefined();
    expect(ring.get(expected[expected.length - 2]!.u + 1)).toBeUndefined();
    ring.clear();
    expect(ring.get(expected[expected.length - 1]!.u)).toBeUndefined();
  });
});
