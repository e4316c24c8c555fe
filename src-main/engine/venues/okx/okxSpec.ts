/**
 * OKX v5 public market data: endpoint, limits, instrument naming.
 *
 * Docs followed (venues.md section 6):
 * - https://www.okx.com/docs-v5/en/#overview-websocket-connect
 *   (wss://ws.okx.com:8443/ws/v5/public; 3 connection requests per second per IP; 480
 *   subscribe/unsubscribe/login ops per hour per connection; the server closes a connection that
 *   receives no data for 30 s, so the client sends the text "ping" when idle and expects "pong")
 * - https://www.okx.com/docs-v5/en/#order-book-trading-market-data-ws-order-book-channel
 *   (`books` / `books-l2-tbt`: 400 levels; fewer than 30 such book channels per connection
 *   recommended; an empty keep-alive update about every 60 s without changes)
 * - https://www.okx.com/docs-v5/en/#public-data-rest-api-get-instruments (instId formats:
 *   BTC-USDT spot, BTC-USDT-SWAP / BTC-USD-SWAP perpetuals, BTC-USD-220527 futures,
 *   BTC-USD-220325-40000-C options)
 *
 * Naming (docs/NORMALIZATION.md): spot keeps the instId; perpetuals end in -PERP; dated futures
 * keep their expiry; coin-margined (inverse) perpetuals and futures, the ones quoted in USD, end
 * in -INV. Options follow the cross-venue option form BASE-YYMMDD-STRIKE-C/P (as Deribit's), so
 * ETH-USD-220624-20000-C -> ETH-220624-20000-C; they are coin-settled (inverse: true). Spot books
 * arrive in base-currency sizes, derivatives in contracts.
 */
import type { Instrument, InstrumentKind } from '../../../../src-shared/model/market.ts';
import type { ConnectionPlan, SessionContext, VenueSession, VenueSpec } from '../venue.ts';
import { chunk } from '../venue.ts';
import { OkxSession } from './okxSession.ts';
import { listOkxSymbols, OKX_REST_URL } from './okxInstruments.ts';

export const OKX_WS_URL = 'wss://ws.okx.com:8443/ws/v5/public';

/** OKX subscribe/unsubscribe/login ops allowed per hour on one connection. */
export const OKX_SUBSCRIBE_OPS_PER_HOUR = 480;

/** OKX connection requests allowed per second per IP. */
export const OKX_CONNECTS_PER_SECOND = 3;

/** "Fewer than 30" 400-level book channels per connection are recommended. */
const BOOKS_PER_CONNECTION = 29;

/** Levels carried by `books` and `books-l2-tbt`. */
export const OKX_BOOK_DEPTH = 400;

/** Hosts serving OKX public data: main, AWS, demo trading, and the pre-2022 okex.com names. */
const HOSTS = new Set(['ws.okx.com', 'wsaws.okx.com', 'wspap.okx.com', 'www.okx.com', 'aws.okx.com', 'ws.okex.com', 'real.okex.com', 'www.okex.com']);

const EXPIRY = /^\d{6}$/;

/** Name an OKX instId. Scales start at 0 and widen to the venue's decimals on the first snapshot. */
export function okxInstrument(instId: string): Instrument {
  const id = instId.toUpperCase();
  const parts = id.split('-');
  const base = parts[0] ?? id;
  const quote = parts[1] ?? '';
  // Coin-margined contracts are quoted in USD and settle in the base coin.
  const inverse = quote === 'USD';
  const inv = inverse ? '-INV' : '';
  let kind: InstrumentKind = 'spot';
  let symbol = id;
  if (parts.length === 3 && parts[2] === 'SWAP') {
    kind = 'perpetual';
    symbol = `${base}-${quote}-PERP${inv}`;
  } else if (parts.length === 3 && EXPIRY.test(parts[2]!)) {
    kind = 'future';
    symbol = `${id}${inv}`;
  } else if (parts.length === 5 && EXPIRY.test(parts[2]!) && (parts[4] === 'C' || parts[4] === 'P')) {
    kind = 'option';
    symbol = `${base}-${parts[2]}-${parts[3]}-${parts[4]}`;
  }
  return {
    venue: 'okx',
    venueSymbol: id,
    symbol,
    base,
    quote,
    kind,
    inverse: kind !== 'spot' && inverse,
    priceScale: 0,
    sizeScale: 0,
  };
}

function recognizes(url: string): boolean {
  const u = URL.parse(url);
  if (u === null) return false;
  return HOSTS.has(u.hostname) && (u.pathname.startsWith('/ws/v5/') || u.pathname.startsWith('/api/v5/'));
}

export const okx: VenueSpec = {
  id: 'okx',
  label: 'OKX',
  docs: [
    'https://www.okx.com/docs-v5/en/#overview-websocket-connect',
    'https://www.okx.com/docs-v5/en/#order-book-trading-market-data-ws-order-book-channel',
    'https://www.okx.com/docs-v5/en/#order-book-trading-market-data-ws-trades-channel',
    'https://www.okx.com/docs-v5/en/#public-data-rest-api-get-instruments',
  ],
  snapshot: 'in-band',
  wsUrl: OKX_WS_URL,
  limits: {
    symbolsPerConnection: BOOKS_PER_CONNECTION,
    // 480 subscribe/unsubscribe ops per hour per connection, as a rate: a resync costs two.
    // The "ping" keepalive is not counted by OKX.
    controlMessagesPerSecond: OKX_SUBSCRIBE_OPS_PER_HOUR / 3600,
    connectionLifetimeMs: 0,
    // Book channels send an empty keep-alive update after ~60 s without changes.
    staleAfterMs: 75_000,
  },
  depthCap: OKX_BOOK_DEPTH,
  instrument: okxInstrument,
  plan(venueSymbols: string[], wsUrl?: string): ConnectionPlan[] {
    const url = wsUrl ?? OKX_WS_URL;
    return chunk(venueSymbols.map((s) => s.toUpperCase()), BOOKS_PER_CONNECTION).map((syms, i) => ({
      id: `okx#${i}`,
      url,
      venueSymbols: syms,
    }));
  },
  createSession(ctx: SessionContext, plan: ConnectionPlan): VenueSession {
    return new OkxSession(ctx, plan);
  },
  recognizes,
  // "symbols": "all": live SPOT, SWAP and FUTURES instruments (okxInstruments.ts).
  listSymbols: (restBaseUrl) => listOkxSymbols(restBaseUrl ?? OKX_REST_URL),
};
