/**
 * Hyperliquid: endpoint, limits, instrument naming.
 *
 * Docs followed (venues.md section 14.4; the limits there come from third parties and disagree,
 * venues.md 16.10):
 * - https://hyperliquid.gitbook.io/hyperliquid-docs/for-developers/api/websocket
 * - https://hyperliquid.gitbook.io/hyperliquid-docs/for-developers/api/rate-limits-and-user-limits
 *   (1000 subscriptions per IP and 2000 messages sent per minute -- both sources agree;
 *   connections per IP: 100 (dwellir) vs 10 simultaneous and 30 new per minute (guilder README))
 *
 * Names: a bare coin ("BTC") is the USDC-margined perpetual -> BTC-USDC-PERP. "PURR/USDC" is a
 * spot pair -> PURR-USDC. Spot index names ("@107") and builder-deployed perps ("xyz:TSLA") do not
 * name their assets without the venue's metadata, so they keep the venue symbol as their name.
 */
import type { Instrument } from '../../../../src-shared/model/market.ts';
import type { ConnectionPlan, SessionContext, VenueSession, VenueSpec } from '../venue.ts';
import { chunk } from '../venue.ts';
import { connectionUrl, hostIn } from '../venueUrl.ts';
import { HYPERLIQUID_BOOK_DEPTH, HyperliquidSession } from './hyperliquidSession.ts';
import { HYPERLIQUID_REST_URL, listHyperliquidSymbols } from './hyperliquidInstruments.ts';

export const HYPERLIQUID_WS_URL = 'wss://api.hyperliquid.xyz/ws';

const HOSTS = new Set(['api.hyperliquid.xyz', 'api.hyperliquid-testnet.xyz']);

/**
 * Coins per connection: two subscriptions each (l2Book, trades) against 1000 subscriptions per IP,
 * and the stricter reading of the connection limit is 10 per IP: 50 coins x 10 connections fits.
 */
const COINS_PER_CONNECTION = 50;

export function hyperliquidInstrument(coin: string): Instrument {
  const slash = coin.indexOf('/');
  if (slash > 0) {
    const base = coin.slice(0, slash);
    const quote = coin.slice(slash + 1);
    return { venue: 'hyperliquid', venueSymbol: coin, symbol: `${base}-${quote}`, base, quote, kind: 'spot', inverse: false, priceScale: 0, sizeScale: 0 };
  }
  if (coin.startsWith('@') || coin.includes(':')) {
    return { venue: 'hyperliquid', venueSymbol: coin, symbol: coin, base: coin, quote: '', kind: coin.startsWith('@') ? 'spot' : 'perpetual', inverse: false, priceScale: 0, sizeScale: 0 };
  }
  return { venue: 'hyperliquid', venueSymbol: coin, symbol: `${coin}-USDC-PERP`, base: coin, quote: 'USDC', kind: 'perpetual', inverse: false, priceScale: 0, sizeScale: 0 };
}

export const hyperliquid: VenueSpec = {
  id: 'hyperliquid',
  label: 'Hyperliquid',
  docs: [
    'https://hyperliquid.gitbook.io/hyperliquid-docs/for-developers/api/websocket',
    'https://hyperliquid.gitbook.io/hyperliquid-docs/for-developers/api/websocket/subscriptions',
    'https://hyperliquid.gitbook.io/hyperliquid-docs/for-developers/api/websocket/timeouts-and-heartbeats',
    'https://hyperliquid.gitbook.io/hyperliquid-docs/for-developers/api/rate-limits-and-user-limits',
  ],
  snapshot: 'every-message',
  wsUrl: HYPERLIQUID_WS_URL,
  limits: {
    symbolsPerConnection: COINS_PER_CONNECTION,
    // 2000 messages sent per minute per IP, shared by every connection: 10/s stays well inside.
    controlMessagesPerSecond: 10,
    connectionLifetimeMs: 0,
    // l2Book arrives about every 0.5 s even when nothing changes (recording: 46 in 25 s) and pings
    // every 30 s are answered: 30 s of silence means the feed is gone.
    staleAfterMs: 30_000,
  },
  depthCap: HYPERLIQUID_BOOK_DEPTH,
  instrument: hyperliquidInstrument,
  plan(venueSymbols: string[], wsUrl?: string): ConnectionPlan[] {
    const url = connectionUrl(wsUrl, HYPERLIQUID_WS_URL);
    return chunk(venueSymbols, COINS_PER_CONNECTION).map((coins, i) => ({ id: `hyperliquid#${i}`, url, venueSymbols: coins }));
  },
  createSession(ctx: SessionContext, plan: ConnectionPlan): VenueSession {
    return new HyperliquidSession(ctx, plan);
  },
  recognizes: (url) => hostIn(url, HOSTS, '/ws'),
  // "symbols": "all": the perpetuals universe of POST /info {"type":"meta"}, delisted coins left out (hyperliquidInstruments.ts).
  listSymbols: (restBaseUrl) => listHyperliquidSymbols(restBaseUrl ?? HYPERLIQUID_REST_URL),
};
