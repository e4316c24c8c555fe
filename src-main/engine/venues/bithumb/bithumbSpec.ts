/**
 * Bithumb: endpoints, limits, instrument naming for the current public API (generation 2, an
 * Upbit clone) and the legacy one (generation 1, trades only here: its book stream is not
 * syncable, bithumbSession.ts).
 *
 * Docs followed (venues.md section 12):
 * - https://apidocs.bithumb.com/reference/기본-정보 (public `wss://ws-api.bithumb.com/websocket/v1`;
 *   WebSocket connection requests 10/s per IP, excess -> 429, persistent excess -> 10 min block)
 * - https://apidocs.bithumb.com/reference/연결-관리 (idle timeout ~120 s; PING -> {"status":"UP"})
 * - https://apidocs.bithumb.com/v1.2.0/reference/빗썸-거래소-정보-수신 (legacy
 *   `wss://pubwss.bithumb.com/pub/ws`)
 *
 * Symbols are the wire's: v1 codes are QUOTE-BASE ("KRW-BTC"), legacy symbols BASE_QUOTE
 * ("BTC_KRW"); both normalize to "BTC-KRW". Every Bithumb market is spot.
 */
import type { Instrument } from '../../../../src-shared/model/market.ts';
import type { ConnectionPlan, SessionContext, VenueSession, VenueSpec } from '../venue.ts';
import { chunk } from '../venue.ts';
import { connectionUrl, hostIn } from '../venueUrl.ts';
import { quoteBaseInstrument } from '../upbit/upbitSpec.ts';
import { UPBIT_DEFAULT_UNITS } from '../upbit/upbitSession.ts';
import { BithumbSession } from './bithumbSession.ts';
import { BITHUMB_REST_URL, listMarketAllSymbols } from '../upbit/upbitInstruments.ts';

export const BITHUMB_WS_URL = 'wss://ws-api.bithumb.com/websocket/v1';
export const BITHUMB_LEGACY_WS_URL = 'wss://pubwss.bithumb.com/pub/ws';

const HOSTS = new Set(['ws-api.bithumb.com', 'pubwss.bithumb.com']);

/** Not published; one request subscribes every code of a connection, so keep them moderate. */
const CODES_PER_CONNECTION = 50;

/** "KRW-BTC" (v1) or "BTC_KRW" (legacy) -> BTC-KRW. */
export function bithumbInstrument(symbol: string): Instrument {
  const s = symbol.toUpperCase();
  const us = s.indexOf('_');
  if (us < 0) return quoteBaseInstrument('bithumb', s);
  const base = s.slice(0, us);
  const quote = s.slice(us + 1);
  return { venue: 'bithumb', venueSymbol: s, symbol: `${base}-${quote}`, base, quote, kind: 'spot', inverse: false, priceScale: 0, sizeScale: 0 };
}

export const bithumb: VenueSpec = {
  id: 'bithumb',
  label: 'Bithumb',
  docs: [
    'https://apidocs.bithumb.com/reference/기본-정보',
    'https://apidocs.bithumb.com/reference/연결-관리',
    'https://apidocs.bithumb.com/v1.2.0/reference/빗썸-거래소-정보-수신',
  ],
  snapshot: 'every-message',
  wsUrl: BITHUMB_WS_URL,
  limits: {
    symbolsPerConnection: CODES_PER_CONNECTION,
    // The documented figure is 10 connection requests/s per IP; per-connection message pacing is
    // not published, so control frames keep Upbit's commonly cited 5/s.
    controlMessagesPerSecond: 5,
    connectionLifetimeMs: 0,
    staleAfterMs: 120_000,
  },
  depthCap: UPBIT_DEFAULT_UNITS,
  instrument: bithumbInstrument,
  plan(venueSymbols: string[], wsUrl?: string): ConnectionPlan[] {
    const url = connectionUrl(wsUrl, BITHUMB_WS_URL);
    return chunk(venueSymbols.map((s) => s.toUpperCase()), CODES_PER_CONNECTION).map((codes, i) => ({ id: `bithumb#${i}`, url, venueSymbols: codes }));
  },
  createSession(ctx: SessionContext, plan: ConnectionPlan): VenueSession {
    return new BithumbSession(ctx, plan);
  },
  recognizes: (url) => hostIn(url, HOSTS),
  // "symbols": "all": every market of /v1/market/all, the v1 codes the live feed subscribes (upbit/upbitInstruments.ts).
  listSymbols: (restBaseUrl) => listMarketAllSymbols('bithumb', restBaseUrl ?? BITHUMB_REST_URL),
};
