/**
 * The last step of every venue's trade mapping: price and size parsed from the venue's decimal
 * text at the book's scales (widening them when a finer decimal appears, symbolBook.ts), never
 * through a float; the trade counted on its book and handed to the context.
 *
 * What the venue's fields mean (which side is the taker, which field is the id, how time is
 * written) stays in each session, beside the documentation it follows.
 */
import type { Trade } from '../../../src-shared/model/market.ts';
import type { SymbolBook } from '../sync/symbolBook.ts';
import type { SessionContext } from './venue.ts';

/** A trade as the venue wrote it, read by the session. */
export interface TradeFields {
  priceText: string;
  sizeText: string;
  tradeId: string;
  takerSide: Trade['takerSide'];
  /** Exchange time, epoch ms; 0 when the venue gave none. */
  exchTsMs: number;
}

/**
 * Normalize one trade of `sb` and hand it on. False (nothing counted, nothing sent) when the price
 * or size is not an exact decimal: the book reports that as its own anomaly.
 */
export function emitTrade(ctx: SessionContext, sb: SymbolBook, recvTsNs: bigint, f: TradeFields): boolean {
  const price = sb.price(f.priceText);
  const size = sb.size(f.sizeText);
  if (Number.isNaN(price) || Number.isNaN(size)) return false;
  sb.counters.trades++;
  ctx.trade({
    venue: sb.instrument.venue,
    symbol: sb.symbol,
    tradeId: f.tradeId,
    takerSide: f.takerSide,
    price,
    size,
    priceScale: sb.book.priceScale,
    sizeScale: sb.book.sizeScale,
    exchTsMs: f.exchTsMs,
    recvTsNs,
  });
  return true;
}

/**
 * The taker side from the venue's side text: `buyText` is the text that means the taker bought,
 * `sellText` the one that means it sold (for venues that name the maker's side, the other way
 * round); anything else is unknown.
 */
export function takerSide(text: unknown, buyText: string, sellText: string): Trade['takerSide'] {
  return text === buyText ? 'buy' : text === sellText ? 'sell' : 'unknown';
}
