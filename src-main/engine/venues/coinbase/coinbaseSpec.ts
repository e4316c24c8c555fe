/**
 * Coinbase Advanced Trade (`coinbase`) and the legacy Coinbase Exchange ws-feed
 * (`coinbase-exchange`): endpoints, limits, instrument naming.
 *
 * Docs followed (venues.md sections 7 and 8):
 * - https://docs.cdp.coinbase.com/coinbase-app/advanced-trade-apis/websocket/websocket-overview
 * - https://docs.cdp.coinbase.com/coinbase-app/advanced-trade-apis/websocket/websocket-channels
 * - https://docs.cdp.coinbase.com/api-reference/advanced-trade-api/websocket/level2
 * - https://docs.cdp.coinbase.com/coinbase-app/advanced-trade-apis/websocket/websocket-rate-limits
 *   (8 unauthenticated messages per second per IP; 750 connections per second per IP)
 * - https://docs.cdp.coinbase.com/exchange/websocket-feed/overview (+ channels, rate-limits:
 *   100 client messages per second per IP, 8 connection requests per second)
 *
 * Naming (docs/NORMALIZATION.md): Coinbase product ids are already BASE-QUOTE ("BTC-USD"), so
 * the normalized symbol is the product id. Products with more parts (Advanced Trade derivatives
 * such as "BTC-PERP-INTX") keep their product id as the normalized name: their settlement asset
 * is not in the id.
 */
import type { Instrument, VenueId } from '../../../../src-shared/model/market.ts';
import type { ConnectionPlan, SessionContext, VenueSession, VenueSpec } from '../venue.ts';
import { chunk } from '../venue.ts';
import { CoinbaseSession } from './coinbaseSession.ts';
import { CoinbaseExchangeSession } from './coinbaseExchangeSession.ts';
import { COINBASE_AT_REST_URL, COINBASE_EXCHANGE_REST_URL, listCoinbaseExchangeSymbols, listCoinbaseSymbols } from './coinbaseInstruments.ts';

export function coinbaseInstrument(venue: VenueId, productId: string): Instrument {
  const id = productId.toUpperCase();
  const parts = id.split('-');
  if (parts.length === 2 && parts[0] && parts[1]) {
    return { venue, venueSymbol: id, symbol: id, base: parts[0], quote: parts[1], kind: 'spot', inverse: false, priceScale: 0, sizeScale: 0 };
  }
  const kind = parts.includes('PERP') ? 'perpetual' : 'future';
  return { venue, venueSymbol: id, symbol: id, base: parts[0] ?? id, quote: '', kind, inverse: false, priceScale: 0, sizeScale: 0 };
}

function hostIs(url: string, hosts: readonly string[]): boolean {
  const host = URL.parse(url)?.hostname;
  return host !== undefined && hosts.includes(host);
}

/**
 * Products per Advanced Trade connection. `sequence_num` is per connection, so one lost message
 * resyncs every book on the socket: small connections bound that blast radius (and the burst of
 * full-book snapshots that follows).
 */
const AT_PRODUCTS_PER_CONNECTION = 10;
/** Exchange ws-feed: no per-connection sequence, but a disconnect still drops every book on it. */
const EXCHANGE_PRODUCTS_PER_CONNECTION = 20;

export const coinbase: VenueSpec = {
  id: 'coinbase',
  label: 'Coinbase Advanced Trade',
  docs: [
    'https://docs.cdp.coinbase.com/coinbase-app/advanced-trade-apis/websocket/websocket-overview',
    'https://docs.cdp.coinbase.com/api-reference/advanced-trade-api/websocket/level2',
    'https://docs.cdp.coinbase.com/api-reference/advanced-trade-api/websocket/heartbeats',
    'https://docs.cdp.coinbase.com/coinbase-app/advanced-trade-apis/websocket/websocket-rate-limits',
  ],
  snapshot: 'in-band',
  wsUrl: 'wss://advanced-trade-ws.coinbase.com',
  limits: {
    symbolsPerConnection: AT_PRODUCTS_PER_CONNECTION,
    // 8 unauthenticated messages per second per IP (shared by every connection from this host).
    controlMessagesPerSecond: 8,
    connectionLifetimeMs: 0,
    // `heartbeats` arrive every second on a healthy connection.
    staleAfterMs: 5_000,
  },
  depthCap: 0,
  instrument: (s) => coinbaseInstrument('coinbase', s),
  plan(venueSymbols: string[], url?: string): ConnectionPlan[] {
    return chunk(venueSymbols.map((s) => s.toUpperCase()), AT_PRODUCTS_PER_CONNECTION).map((syms, i) => ({
      id: `coinbase#${i}`,
      url: url ?? 'wss://advanced-trade-ws.coinbase.com',
      venueSymbols: syms,
    }));
  },
  createSession(ctx: SessionContext, plan: ConnectionPlan): VenueSession {
    return new CoinbaseSession(ctx, plan);
  },
  recognizes: (url) => hostIs(url, ['advanced-trade-ws.coinbase.com']),
  // "symbols": "all": online spot products of the public market/products list (coinbaseInstruments.ts).
  listSymbols: (restBaseUrl) => listCoinbaseSymbols(restBaseUrl ?? COINBASE_AT_REST_URL),
};

export const coinbaseExchange: VenueSpec = {
  id: 'coinbase-exchange',
  label: 'Coinbase Exchange (ws-feed)',
  docs: [
    'https://docs.cdp.coinbase.com/exchange/websocket-feed/overview',
    'https://docs.cdp.coinbase.com/exchange/websocket-feed/channels',
    'https://docs.cdp.coinbase.com/exchange/websocket-feed/rate-limits',
  ],
  snapshot: 'in-band',
  wsUrl: 'wss://ws-feed.exchange.coinbase.com',
  limits: {
    symbolsPerConnection: EXCHANGE_PRODUCTS_PER_CONNECTION,
    // 100 client messages per second per IP; stay at a tenth of it across connections.
    controlMessagesPerSecond: 10,
    connectionLifetimeMs: 0,
    // The `heartbeat` channel sends one message per product per second.
    staleAfterMs: 5_000,
  },
  depthCap: 0,
  instrument: (s) => coinbaseInstrument('coinbase-exchange', s),
  plan(venueSymbols: string[], url?: string): ConnectionPlan[] {
    return chunk(venueSymbols.map((s) => s.toUpperCase()), EXCHANGE_PRODUCTS_PER_CONNECTION).map((syms, i) => ({
      id: `coinbase-exchange#${i}`,
      url: url ?? 'wss://ws-feed.exchange.coinbase.com',
      venueSymbols: syms,
    }));
  },
  createSession(ctx: SessionContext, plan: ConnectionPlan): VenueSession {
    return new CoinbaseExchangeSession(ctx, plan);
  },
  // ws-direct is the authenticated low-latency host; ws-feed.pro is the same feed under the
  // Coinbase Pro name used by the 2021 recording.
  recognizes: (url) => hostIs(url, ['ws-feed.exchange.coinbase.com', 'ws-direct.exchange.coinbase.com', 'ws-feed.pro.coinbase.com']),
  // "symbols": "all": online products of GET /products (coinbaseInstruments.ts).
  listSymbols: (restBaseUrl) => listCoinbaseExchangeSymbols(restBaseUrl ?? COINBASE_EXCHANGE_REST_URL),
};
