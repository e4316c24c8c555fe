/**
 * Bitget public WebSocket (v2; v1 recordings still read): endpoint, limits, instrument naming.
 *
 * Docs followed (venues.md section 13):
 * - https://www.bitget.com/api-doc/common/websocket-intro (wss://ws.bitget.com/v2/ws/public;
 *   300 connection requests per IP per 5 min, at most 100 connections per IP; 240 subscribe
 *   requests per hour per connection; at most 1000 channels per connection, fewer than 50
 *   recommended; 10 messages per second per connection, "ping" included; text "ping" every
 *   30 s; forced disconnect every 24 h)
 * - https://www.bitget.com/api-doc/spot/websocket/public/Depth-Channel,
 *   https://www.bitget.com/api-doc/contract/websocket/public/Order-Book-Channel
 * - v1 (retired; the 2022 recording): wss://ws.bitget.com/spot/v1/stream and /mix/v1/stream,
 *   instType SP / MC.
 *
 * Venue symbols: spot "BTCUSDT"; futures with Bitget's product suffix "BTCUSDT_UMCBL",
 * "BTCUSD_DMCBL", "BTCPERP_CMCBL" (bitgetSymbol.ts).
 */
import type { Instrument } from '../../../../src-shared/model/market.ts';
import type { ConnectionPlan, SessionContext, VenueSession, VenueSpec } from '../venue.ts';
import { chunk } from '../venue.ts';
import { BitgetSession } from './bitgetSession.ts';
import { splitBitgetSymbol } from './bitgetSymbol.ts';
import { BITGET_REST_URL, listBitgetSymbols } from './bitgetInstruments.ts';

export const BITGET_WS_URL = 'wss://ws.bitget.com/v2/ws/public';

/** Two channels (books + trade) per symbol, under the recommended 50 per connection. */
const SYMBOLS_PER_CONNECTION = 24;

/** Quote assets, longest first. */
const QUOTES = ['USDT', 'USDC', 'USDE', 'BTC', 'ETH', 'EUR', 'BRL', 'BGB', 'USD'];

function splitPair(pair: string): [string, string] {
  for (const q of QUOTES) if (pair.length > q.length && pair.endsWith(q)) return [pair.slice(0, -q.length), q];
  return [pair, ''];
}

/** Name a Bitget symbol. Scales start at 0 and widen to the venue's decimals on the first snapshot. */
export function bitgetInstrument(venueSymbol: string): Instrument {
  const { instId, suffix } = splitBitgetSymbol(venueSymbol);
  const vs = instId + suffix;
  if (suffix === '') {
    const [base, quote] = splitPair(instId);
    return { venue: 'bitget', venueSymbol: vs, symbol: quote ? `${base}-${quote}` : base, base, quote, kind: 'spot', inverse: false, priceScale: 0, sizeScale: 0 };
  }
  if (suffix === '_CMCBL') {
    // USDC-margined perpetuals are named BASEPERP ("BTCPERP").
    const base = instId.endsWith('PERP') ? instId.slice(0, -4) : instId;
    return { venue: 'bitget', venueSymbol: vs, symbol: `${base}-USDC-PERP`, base, quote: 'USDC', kind: 'perpetual', inverse: false, priceScale: 0, sizeScale: 0 };
  }
  const [base, quote] = splitPair(instId);
  const inverse = suffix === '_DMCBL';
  return { venue: 'bitget', venueSymbol: vs, symbol: `${base}-${quote}-PERP${inverse ? '-INV' : ''}`, base, quote, kind: 'perpetual', inverse, priceScale: 0, sizeScale: 0 };
}

function recognizes(url: string): boolean {
  const u = URL.parse(url);
  if (u === null) return false;
  return u.hostname === 'ws.bitget.com' && (u.pathname.startsWith('/v2/ws/') || /^\/(spot|mix)\/v1\/stream/.test(u.pathname));
}

export const bitget: VenueSpec = {
  id: 'bitget',
  label: 'Bitget',
  docs: [
    'https://www.bitget.com/api-doc/common/websocket-intro',
    'https://www.bitget.com/api-doc/spot/websocket/public/Depth-Channel',
    'https://www.bitget.com/api-doc/contract/websocket/public/Order-Book-Channel',
    'https://www.bitget.org/api-doc/classic/spot/websocket/public/Depth-Channel',
    'https://github.com/JKorf/Bitget.Net/pull/89',
  ],
  snapshot: 'in-band',
  wsUrl: BITGET_WS_URL,
  limits: {
    symbolsPerConnection: SYMBOLS_PER_CONNECTION,
    // 10 messages per second including "ping"; 240 subscribe requests per hour is the tighter
    // bound for resync storms (a resync costs two).
    controlMessagesPerSecond: 240 / 3600,
    connectionLifetimeMs: 24 * 3600_000,
    // `books` pushes only on change (200 ms cadence); quiet pairs can be silent for a while.
    staleAfterMs: 60_000,
  },
  depthCap: 0,
  instrument: bitgetInstrument,
  plan(venueSymbols: string[], wsUrl?: string): ConnectionPlan[] {
    const syms = venueSymbols.map((s) => {
      const { instId, suffix } = splitBitgetSymbol(s);
      return instId + suffix;
    });
    // A base URL override (a local replay server) gets the v2 public path appended.
    return chunk(syms, SYMBOLS_PER_CONNECTION).map((group, i) => ({ id: `bitget#${i}`, url: wsUrl !== undefined ? `${wsUrl}/v2/ws/public` : BITGET_WS_URL, venueSymbols: group }));
  },
  createSession(ctx: SessionContext, plan: ConnectionPlan): VenueSession {
    return new BitgetSession(ctx, plan);
  },
  recognizes,
  // "symbols": "all": online spot symbols and normal contracts of every futures product type (bitgetInstruments.ts).
  listSymbols: (restBaseUrl) => listBitgetSymbols(restBaseUrl ?? BITGET_REST_URL),
};
