import { describe, expect, it } from 'vitest';
import { OrderBook } from '../../../src-main/engine/book/orderBook.ts';
import { loadRecording } from '../../../src-main/engine/replay/recording.ts';
import { parseScaled } from '../../../src-shared/model/decimal.ts';
import { dataPath } from '../../support/data.ts';

/** Reference book: plain Maps keyed by the exact decimal string value, sorted on read. */
function referenceTop(m: Map<number, number>, desc: boolean, n: number): [number, number][] {
  return [...m.entries()].sort((a, b) => (desc ? b[0] - a[0] : a[0] - b[0])).slice(0, n);
}

describe('OrderBook on real Binance diffs', () => {
  it('matches a straightforward map-based reference at every message', async () => {
    const recs = await loadRecording(dataPath('binance/cryptofeed_spot_4sym_2021-10-12.ndjson'));
    const book = new OrderBook(8, 8);
    const bids = new Map<number, number>();
    const asks = new Map<number, number>();
    let checked = 0;
    for (const r of recs) {
      if (r.dir !== 'recv' || !r.raw.includes('depthUpdate') || !r.raw.includes('"NKNUSDT"')) continue;
      const d = JSON.parse(r.raw).data as { b: [string, string][]; a: [string, string][] };
      for (const [p, q] of d.b) {
        const px = parseScaled(p, 8);
        const sz = parseScaled(q, 8);
        book.bids.set(px, sz);
        if (sz === 0) bids.delete(px);
        else bids.set(px, sz);
      }
      for (const [p, q] of d.a) {
        const px = parseScaled(p, 8);
        const sz = parseScaled(q, 8);
        book.asks.set(px, sz);
        if (sz === 0) asks.delete(px);
        else asks.set(px, sz);
      }
      const top = book.top(1000);
      expect(top.bids).toEqual(referenceTop(bids, true, 1000));
      expect(top.asks).toEqual(referenceTop(asks, false, 1000));
      checked++;
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('keeps a 5000-level book (many block splits and merges) equal to the reference', async () => {
    const recs = await loadRecording(dataPath('binance/spot_BTCUSDT_2024-08-08T2354Z_10min.hftbacktest.ndjson.gz'));
    const book = new OrderBook(2, 8);
    const ref = { bids: new Map<number, number>(), asks: new Map<number, number>() };
    const apply = (side: 'bids' | 'asks', levels: [string, string][]) => {
      for (const [p, q] of levels) {
        const px = parseScaled(p, 2);
        const sz = parseScaled(q, 8);
        book[side].set(px, sz);
        if (sz === 0) ref[side].delete(px);
        else ref[side].set(px, sz);
      }
    };
    let n = 0;
    let compared = 0;
    for (const r of recs) {
      if (r.dir === 'http') {
        const snap = JSON.parse(r.raw) as { bids: [string, string][]; asks: [string, string][] };
        apply('bids', snap.bids);
        apply('asks', snap.asks);
        continue;
      }
      if (r.dir !== 'recv' || !r.raw.includes('depthUpdate')) continue;
      const d = JSON.parse(r.raw).data as { b: [string, string][]; a: [string, string][] };
      apply('bids', d.b);
      apply('asks', d.a);
      if (++n % 250 === 0) {
        const all = book.top(1_000_000);
        expect(all.bids).toEqual(referenceTop(ref.bids, true, 1_000_000));
        expect(all.asks).toEqual(referenceTop(ref.asks, false, 1_000_000));
        expect(book.bids.count).toBe(ref.bids.size);
        expect(book.bids.priceAt(10)).toBe(all.bids[10]![0]);
        expect(book.asks.sizeAtLevel(70)).toBe(all.asks[70]![1]);
        expect(book.bids.worstPrice()).toBe(all.bids[all.bids.length - 1]![0]);
        expect(book.asks.bestPrice()).toBe(all.asks[0]![0]);
        // Point lookups all over the book (they start from the last block touched).
        for (let i = 0; i < all.bids.length; i += 97) expect(book.bids.sizeAt(all.bids[i]![0])).toBe(all.bids[i]![1]);
        for (let i = all.asks.length - 1; i >= 0; i -= 89) expect(book.asks.sizeAt(all.asks[i]![0])).toBe(all.asks[i]![1]);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(20);
    expect(book.levelCount()).toBeGreaterThan(2000);
    // Trim across block boundaries keeps exactly the best levels.
    const best = book.top(150);
    book.depthCap = 150;
    book.enforceCap();
    expect(book.top(1000)).toEqual(best);
  });

  it('counts deletes of unknown prices instead of failing, and trims to a depth cap', () => {
    const book = new OrderBook(0, 0);
    expect(book.bids.set(100, 0)).toBe(false);
    expect(book.bids.unknownDeletes).toBe(1);
    for (let p = 1; p <= 10; p++) book.asks.set(p, 1);
    book.depthCap = 3;
    expect(book.enforceCap()).toBe(7);
    expect(book.top(10).asks.map((l) => l[0])).toEqual([1, 2, 3]);
  });

  it('widens its scale exactly and reports the trust band of a depth-limited snapshot', () => {
    const book = new OrderBook(1, 0);
    book.bids.set(10, 5); // 1.0 x 5
    book.asks.set(12, 5);
    book.markSnapshot('snapshot', 1);
    expect(book.trustBand()).toEqual({ mode: 'snapshot', bidFloor: 10, askCeiling: 12 });
    expect(book.widen(3, 2)).toBe(true);
    expect(book.top(1)).toEqual({ bids: [[1000, 500]], asks: [[1200, 500]] });
    expect(book.trustBand().bidFloor).toBe(1000);
  });
});
