import { describe, expect, it } from 'vitest';
import type { NbboView } from '../../../src-shared/contracts/engineApi.ts';
import { mergeNbbo } from '../../../src-main/hosts/nbboMerge.ts';
import { compareDecimalText as compareDecimal } from '../../../src-main/engine/analytics/nbbo.ts';
import { realBooks } from '../../support/realBooks.ts';
import type { RealBook } from '../../support/realBooks.ts';

/** One venue's partial NBBO view of its own book, as a feed process reports it. */
function partial(b: RealBook): NbboView {
  const bid = b.book.bids[0]!;
  const ask = b.book.asks[0]!;
  return {
    instrument: b.status.normalized,
    bid: { venue: b.status.venue, price: bid.price, size: bid.size },
    ask: { venue: b.status.venue, price: ask.price, size: ask.size },
    crossed: false,
    locked: false,
    venues: [{ venue: b.status.venue, symbol: b.status.symbol, included: true, reason: null, bid: bid.price, ask: ask.price }],
    tsMs: b.book.tsMs,
  };
}

describe('NBBO merge across feed processes', () => {
  it('compares decimals exactly, whatever their written scale', () => {
    expect(compareDecimal('61737.63', '61737.630')).toBe(0);
    expect(compareDecimal('0.00000637', '0.0000064')).toBeLessThan(0);
    expect(compareDecimal('30236.2', '30236.1')).toBeGreaterThan(0);
    // Beyond 2^53 as a mantissa: still exact.
    expect(compareDecimal('9007199254740993.1', '9007199254740993.01')).toBeGreaterThan(0);
  });

  it('takes the best bid and best ask over the processes and flags a cross', async () => {
    // BTC-USDT on OKX (feed-1, 2022 recording) and on Binance spot (feed-0, 2024 capture): real
    // quotes of two different days, so the merged view crosses, which it must say.
    const okx = (await realBooks('okx/cryptofeed_books_2022-05-13.ndjson')).find((b) => b.status.symbol === 'BTC-USDT')!;
    const bin = (await realBooks('binance/spot_BTCUSDT_2024-08-08T2354Z_10min.hftbacktest.ndjson.gz')).find((b) => b.status.symbol === 'BTCUSDT')!;
    expect(okx.status.normalized).toBe(bin.status.normalized);
    const [merged] = mergeNbbo([[partial(okx)], [partial(bin)]]);
    const higherBid = compareDecimal(bin.book.bids[0]!.price, okx.book.bids[0]!.price) > 0 ? bin : okx;
    const lowerAsk = compareDecimal(bin.book.asks[0]!.price, okx.book.asks[0]!.price) < 0 ? bin : okx;
    expect(merged!.bid).toEqual({ venue: higherBid.status.venue, price: higherBid.book.bids[0]!.price, size: higherBid.book.bids[0]!.size });
    expect(merged!.ask).toEqual({ venue: lowerAsk.status.venue, price: lowerAsk.book.asks[0]!.price, size: lowerAsk.book.asks[0]!.size });
    expect(merged!.crossed).toBe(compareDecimal(merged!.bid!.price, merged!.ask!.price) > 0);
    expect(merged!.crossed).toBe(true);
    expect(merged!.venues.map((v) => v.venue)).toEqual(['binance-spot', 'okx']);
    // One process alone: its own view, not crossed.
    const [alone] = mergeNbbo([[partial(okx)]]);
    expect([alone!.crossed, alone!.locked, alone!.bid!.price, alone!.ask!.price]).toEqual([false, false, '30236.1', '30236.2']);
  });
});
