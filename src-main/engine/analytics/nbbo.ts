/**
 * Cross-venue best bid/offer per normalized instrument, computed in the engine (the console only
 * shows it) from the books one process owns; the supervisor merges the processes' partial views
 * (src-main/hosts/nbboMerge.ts).
 *
 * Rules (the console's NBBO issue; landscape.md section 4 item 7, "an NBBO that knows book
 * quality", against cryptofeed's NBBO that picks min ask / max bid blindly):
 * - A venue contributes only while its book is live (exact and verified). Any other state, an
 *   empty side or a book crossed in itself keeps the venue listed as excluded, with the reason.
 * - Quote currencies stay distinct instruments (BTC-USDT and BTC-USD are different markets)
 *   unless the caller groups USD, USDT and USDC; prices are compared as quoted, never converted.
 * - Prices are compared exactly as decimals (BigInt mantissas at a common scale), never as floats.
 * - Crossed = best bid above best ask across venues; locked = equal.
 */
import type { NbboView } from '../../../src-shared/contracts/engineApi.ts';
import { formatScaled, parseScaledBig, requiredScale } from '../../../src-shared/model/decimal.ts';
import type { SyncState, VenueId } from '../../../src-shared/model/market.ts';
import type { SymbolBook } from '../sync/symbolBook.ts';

/** What the NBBO needs of one book (cheap to take from a SymbolBook or a SymbolStatus). */
export interface NbboQuote {
  venue: VenueId;
  /** The venue's symbol. */
  symbol: string;
  /** Normalized symbol ("BTC-USDT", "BTC-USDT-PERP", "BTC-USD-PERP-INV"). */
  normalized: string;
  quote: string;
  state: SyncState;
  bestBid: string | null;
  bestBidSize: string | null;
  bestAsk: string | null;
  bestAskSize: string | null;
}

/** A book's top of book as an NBBO input (the exact mantissas rendered as decimal strings). */
export function quoteOfBook(sb: SymbolBook): NbboQuote {
  const b = sb.book;
  const i = sb.instrument;
  return {
    venue: i.venue,
    symbol: i.venueSymbol,
    normalized: i.symbol,
    quote: i.quote,
    state: sb.state,
    bestBid: b.bids.count ? formatScaled(b.bids.bestPrice(), b.priceScale) : null,
    bestBidSize: b.bids.count ? formatScaled(b.bids.bestSize(), b.sizeScale) : null,
    bestAsk: b.asks.count ? formatScaled(b.asks.bestPrice(), b.priceScale) : null,
    bestAskSize: b.asks.count ? formatScaled(b.asks.bestSize(), b.sizeScale) : null,
  };
}

/** Quote currencies a user may group into one "USD*" instrument. */
export const USD_LIKE: ReadonlySet<string> = new Set(['USD', 'USDT', 'USDC']);

/** The instrument key: the normalized symbol, with a USD-like quote replaced by "USD*" when grouping. */
export function nbboInstrument(q: Pick<NbboQuote, 'normalized' | 'quote'>, groupQuotes: boolean): string {
  if (!groupQuotes || !USD_LIKE.has(q.quote)) return q.normalized;
  const parts = q.normalized.split('-');
  const i = parts.indexOf(q.quote);
  if (i < 1) return q.normalized;
  parts[i] = 'USD*';
  return parts.join('-');
}

/** Exact sign of a - b for decimal strings. */
export function compareDecimalText(a: string, b: string): number {
  const scale = Math.max(requiredScale(a), requiredScale(b));
  const x = parseScaledBig(a, scale);
  const y = parseScaledBig(b, scale);
  if (x === undefined || y === undefined) throw new RangeError(`not a decimal: ${x === undefined ? a : b}`);
  return x < y ? -1 : x > y ? 1 : 0;
}

function exclusion(q: NbboQuote): string | null {
  if (q.state !== 'live') return `book ${q.state}`;
  if (q.bestBid === null && q.bestAsk === null) return 'book empty';
  if (q.bestBid !== null && q.bestAsk !== null && compareDecimalText(q.bestBid, q.bestAsk) >= 0) return `book crossed (bid ${q.bestBid} >= ask ${q.bestAsk})`;
  return null;
}

export function computeNbbo(quotes: Iterable<NbboQuote>, opts: { groupQuotes?: boolean; nowMs: number }): NbboView[] {
  const group = opts.groupQuotes === true;
  const by = new Map<string, NbboView>();
  for (const q of quotes) {
    const instrument = nbboInstrument(q, group);
    let v = by.get(instrument);
    if (v === undefined) {
      v = { instrument, bid: null, ask: null, crossed: false, locked: false, venues: [], tsMs: opts.nowMs };
      by.set(instrument, v);
    }
    const reason = exclusion(q);
    v.venues.push({ venue: q.venue, symbol: q.symbol, included: reason === null, reason, bid: q.bestBid, ask: q.bestAsk });
    if (reason !== null) continue;
    if (q.bestBid !== null && q.bestBidSize !== null && (v.bid === null || compareDecimalText(q.bestBid, v.bid.price) > 0)) v.bid = { venue: q.venue, price: q.bestBid, size: q.bestBidSize };
    if (q.bestAsk !== null && q.bestAskSize !== null && (v.ask === null || compareDecimalText(q.bestAsk, v.ask.price) < 0)) v.ask = { venue: q.venue, price: q.bestAsk, size: q.bestAskSize };
  }
  const out = [...by.values()];
  for (const v of out) {
    const c = v.bid !== null && v.ask !== null ? compareDecimalText(v.bid.price, v.ask.price) : -1;
    v.crossed = c > 0;
    v.locked = c === 0;
    v.venues.sort((a, b) => (a.venue < b.venue ? -1 : a.venue > b.venue ? 1 : a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
  }
  return out.sort((a, b) => (a.instrument < b.instrument ? -1 : a.instrument > b.instrument ? 1 : 0));
}
