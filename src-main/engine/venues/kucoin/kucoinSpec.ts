/**
 * KuCoin spot (classic API): endpoints, limits, instrument naming.
 *
 * Docs followed (venues.md section 14.2):
 * - https://www.kucoin.com/docs/websocket/basic-info/create-connection (token from
 *   `POST /api/v1/bullet-public`, kucoinBullet.ts; ping every `pingInterval`, 18 s by default)
 * - https://www.kucoin.com/docs/websocket/spot-trading/public-channels/level2-market-data
 *   (`/market/level2:{symbol},{symbol}`, at most 100 symbols per topic)
 * - https://www.kucoin.com/docs/rest/spot-trading/market-data/get-part-order-book-aggregated-
 *   (`GET /api/v1/market/orderbook/level2_100`, public, with `sequence`; the full-depth
 *   `/api/v3/market/orderbook/level2` needs an API key and is what the 2021 recording used)
 * - https://www.kucoin.com/docs/basic-info/request-rate-limit/rest-api (Public resource pool
 *   2000 per 30 s per IP) and .../websocket ("100 messages per 10 seconds" sent per connection)
 *
 * Sharding: a topic takes at most 100 symbols, and ccxws met "509: exceed max subscription count
 * limitation of 100 per session" counting each symbol of a topic; level2 and match for 50 symbols
 * stay within 100 per connection.
 */
import type { Instrument } from '../../../../src-shared/model/market.ts';
import type { ConnectionPlan, ResolveContext, ResolvedConnection, SessionContext, VenueSession, VenueSpec } from '../venue.ts';
import { chunk } from '../venue.ts';
import { KUCOIN_PING_INTERVAL_MS, KUCOIN_SNAPSHOT_DEPTH, KucoinSession } from './kucoinSession.ts';
import { fetchKucoinBullet } from './kucoinBullet.ts';
import { listKucoinSymbols } from './kucoinInstruments.ts';

/** Where bullet-public pointed in 2021-2026 (the live URL always comes from bullet-public). */
export const KUCOIN_WS_URL = 'wss://ws-api-spot.kucoin.com/';
export const KUCOIN_REST_BASE = 'https://api.kucoin.com';

/** Two subscriptions (level2 + match) per symbol, 100 per session. */
const SYMBOLS_PER_CONNECTION = 50;

/** Name a KuCoin spot symbol ("BTC-USDT"). Scales start at 0 and widen on the first snapshot. */
export function kucoinInstrument(venueSymbol: string): Instrument {
  const sym = venueSymbol.toUpperCase();
  const dash = sym.indexOf('-');
  const base = dash < 0 ? sym : sym.slice(0, dash);
  const quote = dash < 0 ? '' : sym.slice(dash + 1);
  return { venue: 'kucoin', venueSymbol: sym, symbol: sym, base, quote, kind: 'spot', inverse: false, priceScale: 0, sizeScale: 0 };
}

function recognizes(url: string): boolean {
  const u = URL.parse(url);
  if (u === null) return false;
  const h = u.hostname;
  if (h === 'api.kucoin.com') return u.pathname.startsWith('/api/');
  // Spot push servers handed out by bullet-public: push-*.kucoin.com/endpoint, ws-api-spot.kucoin.com.
  return h === 'ws-api-spot.kucoin.com' || (h.endsWith('.kucoin.com') && h.startsWith('push') && u.pathname.startsWith('/endpoint'));
}

function snapshotSymbol(url: string): string | undefined {
  const u = URL.parse(url);
  if (u === null) return undefined;
  if (!u.pathname.includes('/market/orderbook/level2')) return undefined;
  return u.searchParams.get('symbol')?.toUpperCase() ?? undefined;
}

/**
 * A fresh bullet-public token before every connect (create-connection doc: the token is for one
 * connection), from the REST origin the engine runs with (a local replay server answers with its
 * own push endpoint). The connectId must be unique per socket: the plan id and the attempt.
 * One bullet request per attempt, spaced by the connection's backoff, is far inside the Public
 * pool (2000 per 30 s), so it does not wait on the snapshot budget.
 */
async function resolveConnection(plan: ConnectionPlan, ctx: ResolveContext): Promise<ResolvedConnection> {
  const connectId = `${plan.id.replace(/[^A-Za-z0-9]/g, '-')}-${ctx.attempt}`;
  const bullet = await fetchKucoinBullet(connectId, `${ctx.restBase}/api/v1/bullet-public`, ctx.signal);
  return bullet.ok ? { ok: true, url: bullet.url, pingIntervalMs: bullet.pingIntervalMs } : { ok: false, message: bullet.message };
}

export const kucoin: VenueSpec = {
  id: 'kucoin',
  label: 'KuCoin',
  docs: [
    'https://www.kucoin.com/docs/websocket/basic-info/create-connection',
    'https://www.kucoin.com/docs/websocket/spot-trading/public-channels/level2-market-data',
    'https://www.kucoin.com/docs-new/3470068w0',
    'https://www.kucoin.com/docs/rest/spot-trading/market-data/get-part-order-book-aggregated-',
    'https://www.kucoin.com/docs/basic-info/request-rate-limit/rest-api',
  ],
  snapshot: 'rest',
  wsUrl: KUCOIN_WS_URL,
  rest: {
    baseUrl: KUCOIN_REST_BASE,
    snapshotPath: (s) => `/api/v1/market/orderbook/level2_${KUCOIN_SNAPSHOT_DEPTH}?symbol=${encodeURIComponent(s.toUpperCase())}`,
    snapshotDepth: KUCOIN_SNAPSHOT_DEPTH,
    // The per-request weight of the partial book was not in the sources read: counted
    // conservatively at 4 of the Public pool's 2000 per 30 s.
    snapshotWeight: 4,
    weightPerWindow: 2000,
    windowMs: 30_000,
  },
  limits: {
    symbolsPerConnection: SYMBOLS_PER_CONNECTION,
    // "100 messages per 10 seconds" from the client, pings included.
    controlMessagesPerSecond: 10,
    // Tokens are valid for 24 h; rotate the socket before that.
    connectionLifetimeMs: 24 * 3600_000,
    // Diffs only on change; the ping/pong keeps the socket up, not the book fresh.
    staleAfterMs: 60_000,
  },
  depthCap: 0,
  instrument: kucoinInstrument,
  plan(venueSymbols: string[], wsUrl?: string): ConnectionPlan[] {
    return chunk(venueSymbols.map((s) => s.toUpperCase()), SYMBOLS_PER_CONNECTION).map((syms, i) => ({
      id: `kucoin#${i}`,
      // The URL each socket really opens comes from bullet-public (resolveConnection); this one
      // names the connection (a base URL override, a local replay server, gets the push path).
      url: wsUrl !== undefined ? `${wsUrl}/endpoint` : KUCOIN_WS_URL,
      venueSymbols: syms,
    }));
  },
  createSession(ctx: SessionContext, plan: ConnectionPlan): VenueSession {
    // Ping as often as the bullet said (pingInterval); verify and tests have no bullet: the default.
    return new KucoinSession(ctx, plan, plan.pingIntervalMs ?? KUCOIN_PING_INTERVAL_MS);
  },
  resolveConnection,
  recognizes,
  snapshotSymbol,
  // "symbols": "all": trading symbols of /api/v2/symbols, within the Public pool above (kucoinInstruments.ts).
  listSymbols(restBaseUrl) {
    return listKucoinSymbols(restBaseUrl ?? KUCOIN_REST_BASE, kucoin.rest!);
  },
};
