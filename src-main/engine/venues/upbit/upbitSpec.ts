/**
 * Upbit (WebSocket v1): endpoint, limits, instrument naming.
 *
 * Docs followed (venues.md section 11):
 * - https://docs.upbit.com/kr/v1.6.4/reference/websocket-guide (endpoint, request array, formats)
 * - https://docs.upbit.com/kr/v1.6.4/reference/websocket-orderbook (units 1/5/15/30, default 30)
 * - https://docs.upbit.com/kr/v1.6.4/reference/websocket-trade
 * - https://docs.upbit.com/kr/reference/rate-limits (connections per IP, messages per connection;
 *   the exact figures were not in the copies read, venues.md 16.9)
 *
 * Market codes are QUOTE-BASE ("KRW-BTC", "BTC-XTZ"): the normalized name flips them ("BTC-KRW",
 * "XTZ-BTC"). Every Upbit market is spot.
 */
import type { Instrument, VenueId } from '../../../../src-shared/model/market.ts';
import type { ConnectionPlan, SessionContext, VenueSession, VenueSpec } from '../venue.ts';
import { chunk } from '../venue.ts';
import { connectionUrl, hostIn } from '../venueUrl.ts';
import { UPBIT_DEFAULT_UNITS, UpbitSession } from './upbitSession.ts';
import { listMarketAllSymbols, UPBIT_REST_URL } from './upbitInstruments.ts';

export const UPBIT_WS_URL = 'wss://api.upbit.com/websocket/v1';

const HOSTS = new Set(['api.upbit.com']);

/**
 * Codes per connection: Upbit publishes no cap. One request carries every code of a connection,
 * and each code is one 30-unit book per change, so connections are kept moderate.
 */
const CODES_PER_CONNECTION = 50;

/** Name a QUOTE-BASE market code ("KRW-BTC" -> BTC-KRW), as Upbit and Bithumb v1 write them. */
export function quoteBaseInstrument(venue: VenueId, code: string): Instrument {
  const c = code.toUpperCase();
  const dash = c.indexOf('-');
  const quote = dash < 0 ? '' : c.slice(0, dash);
  const base = dash < 0 ? c : c.slice(dash + 1);
  return { venue, venueSymbol: c, symbol: quote ? `${base}-${quote}` : c, base, quote, kind: 'spot', inverse: false, priceScale: 0, sizeScale: 0 };
}

export const upbit: VenueSpec = {
  id: 'upbit',
  label: 'Upbit',
  docs: [
    'https://docs.upbit.com/kr/v1.6.4/reference/websocket-guide',
    'https://docs.upbit.com/kr/v1.6.4/reference/websocket-orderbook',
    'https://docs.upbit.com/kr/v1.5.9/changelog/websocket_orderbook_unit_options',
    'https://docs.upbit.com/kr/v1.6.4/reference/websocket-trade',
    'https://docs.upbit.com/kr/reference/rate-limits',
  ],
  snapshot: 'every-message',
  wsUrl: UPBIT_WS_URL,
  limits: {
    symbolsPerConnection: CODES_PER_CONNECTION,
    // Commonly cited 5 messages/s per connection (venues.md 11, "verify"); one request subscribes
    // everything, so the budget is only spent by PINGs.
    controlMessagesPerSecond: 5,
    connectionLifetimeMs: 0,
    // Books are pushed on change only; PING every 60 s gets {"status":"UP"}, so two minutes
    // without any frame means the connection is gone (the server's own idle cut is ~120 s).
    staleAfterMs: 120_000,
  },
  depthCap: UPBIT_DEFAULT_UNITS,
  instrument: (code) => quoteBaseInstrument('upbit', code),
  plan(venueSymbols: string[], wsUrl?: string): ConnectionPlan[] {
    const url = connectionUrl(wsUrl, UPBIT_WS_URL);
    return chunk(venueSymbols.map((s) => s.toUpperCase()), CODES_PER_CONNECTION).map((codes, i) => ({ id: `upbit#${i}`, url, venueSymbols: codes }));
  },
  createSession(ctx: SessionContext, plan: ConnectionPlan): VenueSession {
    return new UpbitSession(ctx, plan);
  },
  recognizes: (url) => hostIn(url, HOSTS, '/websocket'),
  // "symbols": "all": every market of /v1/market/all (upbitInstruments.ts).
  listSymbols: (restBaseUrl) => listMarketAllSymbols('upbit', restBaseUrl ?? UPBIT_REST_URL),
};
