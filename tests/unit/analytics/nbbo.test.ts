/**
 * The engine's NBBO on real books: every side is the exact best over the live venues quoting the
 * instrument, a venue whose book is not live (a real stream with one diff dropped) is listed as
 * excluded with the reason, quote currencies stay apart unless grouped, and crossed/locked are
 * decided exactly.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import type { SymbolStatus } from '../../../src-shared/contracts/engineApi.ts';
import { parseScaledBig, requiredScale } from '../../../src-shared/model/decimal.ts';
import { computeNbbo, nbboInstrument } from '../../../src-main/engine/analytics/nbbo.ts';
import { consoleFixture } from '../../support/consoleFixtures.ts';
import { dataPath } from '../../support/data.ts';

const BINANCE_4 = 'binance/cryptofeed_spot_4sym_2021-10-12.ndjson';
const BITFINEX = 'bitfinex/cryptofeed_ws2_book_P0_len100_seqall_2021-04-05_120s.ndjson';
const OKX = 'okx/cryptofeed_books_2022-05-13.ndjson';
const BYBIT = 'bybit/cryptofeed_v5_linear+spot_orderbook200_2026-08-09.ndjson';
const KRAKEN = 'kraken/cryptofeed_v1_book1000_XBTUSD+9pairs_2021-04-05_120s.ndjson';

/** Exact value of a decimal as a fraction n / 10^s, for an independent ordering. */
function exact(s: string): { n: bigint; s: number } {
  const sc = requiredScale(s);
  return { n: parseScaledBig(s, sc)!, s: sc };
}
function less(a: string, b: string): boolean {
  const x = exact(a);
  const y = exact(b);
  return x.n * 10n ** BigInt(y.s) < y.n * 10n ** BigInt(x.s);
}

function bestOf(rows: SymbolStatus[], side: 'bid' | 'ask'): SymbolStatus | undefined {
  let best: SymbolStatus | undefined;
  for (const r of rows) {
    const p = side === 'bid' ? r.bestBid : r.bestAsk;
    if (p === null) continue;
    const cur = best && (side === 'bid' ? best.bestBid! : best.bestAsk!);
    if (!best || (side === 'bid' ? less(cur!, p) : less(p, cur!))) best = r;
  }
  return best;
}

/** The 1-based line of the third LRCBTC depth diff after its REST snapshot (a mid-stream diff to drop). */
function lrcbtcDiffLine(): number {
  const lines = readFileSync(dataPath(BINANCE_4), 'utf8').split('\n');
  const snap = lines.findIndex((l) => l.includes('"dir":"http"') && l.includes('symbol=LRCBTC'));
  let seen = 0;
  for (let i = snap + 1; i < lines.length; i++) if (lines[i]!.includes('lrcbtc@depth') && ++seen === 3) return i + 1;
  throw new Error('no such diff');
}

describe('NBBO computed in the engine', () => {
  it('each side is the exact best of the live venues, with that venue and its size', async () => {
    const fx = await consoleFixture([OKX, BYBIT, KRAKEN, BINANCE_4]);
    const nbbo = computeNbbo(fx.status.symbols, { nowMs: fx.status.nowMs });
    const byInstrument = new Map<string, SymbolStatus[]>();
    for (const r of fx.status.symbols) byInstrument.set(r.normalized, [...(byInstrument.get(r.normalized) ?? []), r]);
    expect(nbbo.map((n) => n.instrument)).toEqual([...byInstrument.keys()].sort());
    let multi = 0;
    for (const n of nbbo) {
      const live = byInstrument.get(n.instrument)!.filter((r) => r.state === 'live');
      const b = bestOf(live, 'bid');
      const a = bestOf(live, 'ask');
      expect(n.bid, n.instrument).toEqual(b ? { venue: b.venue, price: b.bestBid, size: b.bestBidSize } : null);
      expect(n.ask, n.instrument).toEqual(a ? { venue: a.venue, price: a.bestAsk, size: a.bestAskSize } : null);
      if (n.venues.length > 1) multi++;
    }
    // BTC-USDT is quoted by OKX and Bybit spot in these recordings.
    const btc = nbbo.find((n) => n.instrument === 'BTC-USDT')!;
    expect(btc.venues.map((v) => v.venue)).toEqual(['bybit-spot', 'okx']);
    expect(multi).toBeGreaterThan(0);
    // Recorded years apart: Bybit's 2026 bid is above OKX's 2022 ask, which the NBBO must call crossed.
    expect(btc.crossed).toBe(less(btc.ask!.price, btc.bid!.price));
    expect(btc.locked).toBe(false);
  });

  it('a venue whose book left live is excluded with the reason, the other venue still quotes', async () => {
    const fx = await consoleFixture([BINANCE_4, BITFINEX], { dropLines: new Map([[BINANCE_4, [lrcbtcDiffLine()]]]) });
    const lrc = computeNbbo(fx.status.symbols, { nowMs: fx.status.nowMs }).find((n) => n.instrument === 'LRC-BTC')!;
    const binance = lrc.venues.find((v) => v.venue === 'binance-spot')!;
    expect(binance.included).toBe(false);
    expect(binance.reason).toBe('book resyncing');
    const bitfinex = fx.status.symbols.find((s) => s.venue === 'bitfinex' && s.normalized === 'LRC-BTC')!;
    expect(lrc.bid).toEqual({ venue: 'bitfinex', price: bitfinex.bestBid, size: bitfinex.bestBidSize });
    expect(lrc.ask).toEqual({ venue: 'bitfinex', price: bitfinex.bestAsk, size: bitfinex.bestAskSize });
  });

  it('keeps USD, USDT and USDC apart unless grouped', async () => {
    const fx = await consoleFixture([OKX, KRAKEN, BYBIT]);
    const apart = computeNbbo(fx.status.symbols, { nowMs: 0 });
    expect(apart.some((n) => n.instrument === 'BTC-USD')).toBe(true);
    expect(apart.some((n) => n.instrument === 'BTC-USDT')).toBe(true);
    const grouped = computeNbbo(fx.status.symbols, { nowMs: 0, groupQuotes: true });
    const g = grouped.find((n) => n.instrument === 'BTC-USD*')!;
    expect(g.venues.map((v) => `${v.venue}:${v.symbol}`)).toEqual(['bybit-spot:BTCUSDT', 'kraken:XBT/USD', 'okx:BTC-USDT']);
    expect(grouped.some((n) => n.instrument === 'BTC-USDT' || n.instrument === 'BTC-USD')).toBe(false);
    // Perpetuals keep their suffix; non-USD quotes are untouched.
    expect(nbboInstrument({ normalized: 'BTC-USDT-PERP', quote: 'USDT' }, true)).toBe('BTC-USD*-PERP');
    expect(nbboInstrument({ normalized: 'LRC-BTC', quote: 'BTC' }, true)).toBe('LRC-BTC');
  });

  it('locked when the best bid equals the best ask across venues, exactly (trailing zeros do not matter)', async () => {
    const fx = await consoleFixture([OKX]);
    const row = fx.status.symbols.find((s) => s.symbol === 'BTC-USDT')!;
    // A transformation of a real book state (as the fault cases are): OKX's real best bid placed
    // as the ask of a second book, written with trailing zeros. Equal prices must read as locked.
    const mirror: SymbolStatus = { ...row, venue: 'okx', symbol: 'BTC-USDT-mirror', bestAsk: `${row.bestBid}00`, bestAskSize: row.bestBidSize, bestBid: null, bestBidSize: null };
    const n = computeNbbo([row, mirror], { nowMs: 0 }).find((x) => x.instrument === 'BTC-USDT')!;
    expect(n.locked).toBe(true);
    expect(n.crossed).toBe(false);
  });
});
