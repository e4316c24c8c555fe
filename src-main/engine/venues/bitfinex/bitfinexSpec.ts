/**
 * Bitfinex WebSocket v2 public data: endpoint, limits, instrument naming.
 *
 * Docs followed (venues.md section 14.3):
 * - https://docs.bitfinex.com/docs/ws-general (wss://api-pub.bitfinex.com/ws/2 for public
 *   channels; conf flags; heartbeats; info codes; 20 connections per minute on the public API;
 *   a limit on public channel subscriptions per connection: 25 in the copies barter-data
 *   follows, 30 in older ones)
 * - https://docs.bitfinex.com/reference/ws-public-books, https://docs.bitfinex.com/docs/ws-websocket-checksum
 * - https://docs.bitfinex.com/reference/ws-public-trades
 *
 * Symbols are Bitfinex's own ("tBTCUSD", "tTESTBTC:TESTUSD", "tBTCF0:USTF0"): a leading "t"
 * for trading pairs, three-letter codes back to back, or a colon when a code is longer. UST is
 * Bitfinex's code for Tether USDt and is normalized to USDT; an F0 suffix marks a perpetual
 * (venues.md, docs/NORMALIZATION.md).
 */
import type { Instrument } from '../../../../src-shared/model/market.ts';
import type { ConnectionPlan, SessionContext, VenueSession, VenueSpec } from '../venue.ts';
import { chunk } from '../venue.ts';
import { BITFINEX_BOOK_LEN, BitfinexSession } from './bitfinexSession.ts';
import { BITFINEX_REST_URL, listBitfinexSymbols } from './bitfinexInstruments.ts';

export const BITFINEX_WS_URL = 'wss://api-pub.bitfinex.com/ws/2';

/** A book and a trades channel per symbol within 25 public channels per connection. */
const SYMBOLS_PER_CONNECTION = 12;

/** Bitfinex currency codes that differ from the common ticker. */
const CODES: Record<string, string> = { UST: 'USDT', EUT: 'EURT', XAUT: 'XAUT' };

function currency(code: string): string {
  return CODES[code] ?? code;
}

/** Name a Bitfinex trading pair. Scales start at 0 and widen as the snapshot's values require. */
export function bitfinexInstrument(venueSymbol: string): Instrument {
  const pair = venueSymbol.startsWith('t') ? venueSymbol.slice(1) : venueSymbol;
  const colon = pair.indexOf(':');
  let baseCode = colon >= 0 ? pair.slice(0, colon) : pair.slice(0, 3);
  let quoteCode = colon >= 0 ? pair.slice(colon + 1) : pair.slice(3);
  // Derivatives: "BTCF0:USTF0" is the BTC perpetual margined in USDt.
  const perp = baseCode.endsWith('F0') && quoteCode.endsWith('F0');
  if (perp) {
    baseCode = baseCode.slice(0, -2);
    quoteCode = quoteCode.slice(0, -2);
  }
  const base = currency(baseCode);
  const quote = currency(quoteCode);
  return {
    venue: 'bitfinex',
    venueSymbol,
    symbol: perp ? `${base}-${quote}-PERP` : `${base}-${quote}`,
    base,
    quote,
    kind: perp ? 'perpetual' : 'spot',
    inverse: false,
    priceScale: 0,
    sizeScale: 0,
  };
}

function recognizes(url: string): boolean {
  const u = URL.parse(url);
  if (u === null) return false;
  return (u.hostname === 'api.bitfinex.com' || u.hostname === 'api-pub.bitfinex.com') && u.pathname.startsWith('/ws/2');
}

export const bitfinex: VenueSpec = {
  id: 'bitfinex',
  label: 'Bitfinex',
  docs: [
    'https://docs.bitfinex.com/docs/ws-general',
    'https://docs.bitfinex.com/reference/ws-public-books',
    'https://docs.bitfinex.com/docs/ws-websocket-checksum',
    'https://docs.bitfinex.com/reference/ws-public-trades',
  ],
  snapshot: 'in-band',
  wsUrl: BITFINEX_WS_URL,
  limits: {
    symbolsPerConnection: SYMBOLS_PER_CONNECTION,
    // No per-second figure is documented for subscribe frames; 10/s stays well clear.
    controlMessagesPerSecond: 10,
    connectionLifetimeMs: 0,
    // Every channel sends `hb` about every 15 s when nothing changes: three missed ones = stale.
    staleAfterMs: 45_000,
  },
  // The subscribed `len` is a window Bitfinex maintains; the cap only guards it.
  depthCap: BITFINEX_BOOK_LEN,
  instrument: bitfinexInstrument,
  plan(venueSymbols: string[], wsUrl?: string): ConnectionPlan[] {
    // A base URL override (a local replay server) gets the /ws/2 path appended.
    return chunk(venueSymbols, SYMBOLS_PER_CONNECTION).map((syms, i) => ({ id: `bitfinex#${i}`, url: wsUrl !== undefined ? `${wsUrl}/ws/2` : BITFINEX_WS_URL, venueSymbols: syms }));
  },
  createSession(ctx: SessionContext, plan: ConnectionPlan): VenueSession {
    return new BitfinexSession(ctx, plan);
  },
  recognizes,
  // "symbols": "all": the exchange and derivative pair lists of the configs endpoint (bitfinexInstruments.ts).
  listSymbols: (restBaseUrl) => listBitfinexSymbols(restBaseUrl ?? BITFINEX_REST_URL),
};
