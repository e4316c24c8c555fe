/**
 * Kraken Futures (derivatives), WebSocket v1: endpoint, limits, instrument naming.
 *
 * Docs followed (venues.md section 9, "Kraken Futures"):
 * - https://docs.kraken.com/api/docs/futures-api/websocket/book (wss://futures.kraken.com/ws/v1)
 * - https://docs.kraken.com/api/docs/guides/futures-rate-limits (WebSocket: 100 requests per
 *   second per connection)
 * - https://support.kraken.com/articles/360000920306-api-symbols-and-tickers (product ids:
 *   PI_ inverse perpetual, PF_ linear multi-collateral perpetual, FI_ inverse fixed-maturity
 *   future with its YYMMDD expiry, FF_ linear fixed-maturity future)
 *
 * Naming (docs/NORMALIZATION.md): PI_XBTUSD -> BTC-USD-PERP-INV, PF_XBTUSD -> BTC-USD-PERP,
 * FI_XBTUSD_210924 -> BTC-USD-210924-INV, FF_XBTUSD_210924 -> BTC-USD-210924. XBT is BTC, as on
 * spot. The venue symbol is the upper-case product id (the server answers in upper case whatever
 * case was subscribed: the 2021 recording subscribed "pi_ethusd" and got "PI_ETHUSD").
 * Inverse contracts are sized in USD contracts, linear ones in the base coin.
 */
import type { Instrument, InstrumentKind } from '../../../../src-shared/model/market.ts';
import type { ConnectionPlan, SessionContext, VenueSession, VenueSpec } from '../venue.ts';
import { chunk } from '../venue.ts';
import { KrakenFuturesSession } from './krakenFuturesSession.ts';
import { KRAKEN_FUTURES_REST_URL, listKrakenFuturesSymbols } from './krakenFuturesInstruments.ts';

export const KRAKEN_FUTURES_WS_URL = 'wss://futures.kraken.com/ws/v1';

/** Kraken Futures codes and their common names. */
const ASSET_ALIASES: Readonly<Record<string, string>> = { XBT: 'BTC', XDG: 'DOGE' };

/** Quote currencies of Kraken Futures pairs, longest first. */
const QUOTES = ['USDT', 'USDC', 'USD', 'EUR', 'GBP', 'XBT'];

/** Products per connection: not published; full books of busy perpetuals are heavy. */
const PRODUCTS_PER_CONNECTION = 50;

const HOSTS = new Set(['futures.kraken.com', 'demo-futures.kraken.com']);

function asset(code: string): string {
  return ASSET_ALIASES[code] ?? code;
}

function splitPair(pair: string): [string, string] {
  for (const q of QUOTES) if (pair.length > q.length && pair.endsWith(q)) return [pair.slice(0, -q.length), q];
  return [pair, ''];
}

/** Name a Kraken Futures product id. Scales start at 0 and widen on the first snapshot. */
export function krakenFuturesInstrument(productId: string): Instrument {
  const id = productId.toUpperCase();
  const [prefix = '', pair = '', expiry] = id.split('_');
  const [b, q] = splitPair(pair);
  const base = asset(b);
  const quote = asset(q);
  const perpetual = prefix.startsWith('P');
  const inverse = prefix === 'PI' || prefix === 'FI';
  const kind: InstrumentKind = perpetual ? 'perpetual' : 'future';
  const inv = inverse ? '-INV' : '';
  const known = (prefix === 'PI' || prefix === 'PF' || prefix === 'FI' || prefix === 'FF') && quote !== '' && (perpetual ? expiry === undefined : expiry !== undefined && /^\d{6}$/.test(expiry));
  const symbol = !known ? id : perpetual ? `${base}-${quote}-PERP${inv}` : `${base}-${quote}-${expiry}${inv}`;
  return {
    venue: 'kraken-futures',
    venueSymbol: id,
    symbol,
    base,
    quote,
    kind,
    inverse,
    priceScale: 0,
    sizeScale: 0,
  };
}

function recognizes(url: string): boolean {
  const u = URL.parse(url);
  if (u === null) return false;
  return HOSTS.has(u.hostname) && u.pathname.startsWith('/ws/');
}

export const krakenFutures: VenueSpec = {
  id: 'kraken-futures',
  label: 'Kraken Futures',
  docs: [
    'https://docs.kraken.com/api/docs/futures-api/websocket/book',
    'https://docs.kraken.com/api/docs/futures-api/websocket/trade',
    'https://docs.kraken.com/api/docs/futures-api/websocket/heartbeat',
    'https://docs.kraken.com/api/docs/guides/futures-rate-limits',
    'https://support.kraken.com/articles/360022635632-subscriptions-websockets-api-derivatives',
  ],
  snapshot: 'in-band',
  wsUrl: KRAKEN_FUTURES_WS_URL,
  limits: {
    symbolsPerConnection: PRODUCTS_PER_CONNECTION,
    // 100 requests per second is the documented cap; a resync costs two, so stay far below it.
    controlMessagesPerSecond: 10,
    connectionLifetimeMs: 0,
    // The heartbeat feed is subscribed on every connection: 30 s without any frame is stale.
    staleAfterMs: 30_000,
    // "Make a ping request at least every 60 seconds" (subscriptions article); the reference
    // client (CryptoFacilities/WebSocket-v1-Python) sends WebSocket ping frames every 30 s.
    pingIntervalMs: 30_000,
  },
  // The book feed is the whole book (snapshot then every change), never a window.
  depthCap: 0,
  instrument: krakenFuturesInstrument,
  plan(venueSymbols: string[], wsUrl?: string): ConnectionPlan[] {
    const url = wsUrl ?? KRAKEN_FUTURES_WS_URL;
    return chunk([...new Set(venueSymbols.map((s) => s.toUpperCase()))], PRODUCTS_PER_CONNECTION).map((products, i) => ({
      id: `kraken-futures#${i}`,
      url,
      venueSymbols: products,
    }));
  },
  createSession(ctx: SessionContext, plan: ConnectionPlan): VenueSession {
    return new KrakenFuturesSession(ctx, plan);
  },
  recognizes,
  // "symbols": "all": tradeable futures of the instruments endpoint (krakenFuturesInstruments.ts).
  listSymbols: (restBaseUrl) => listKrakenFuturesSymbols(restBaseUrl ?? KRAKEN_FUTURES_REST_URL),
};
