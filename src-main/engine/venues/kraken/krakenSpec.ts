/**
 * Kraken spot, WebSocket v1: endpoint, limits, instrument naming.
 *
 * Docs followed (venues.md section 9):
 * - https://docs.kraken.com/api/docs/websocket-v1/book (wss://ws.kraken.com, depth 10/25/100/
 *   500/1000, snapshot then updates with checksum)
 * - https://docs.kraken.com/api/docs/guides/spot-ws-book-v1 (truncate to the subscribed depth)
 * - https://docs.kraken.com/api/docs/websocket-v1/heartbeat (about one per second when idle)
 * - https://docs.kraken.com/api/docs/guides/spot-ratelimits (the WebSocket message rate is
 *   dynamic and not published; the server answers "Exceeded msg rate")
 *
 * v1 pairs use Kraken's legacy asset codes: XBT for bitcoin, XDG for dogecoin. Normalized names
 * use the common codes (XBT/USD -> BTC-USD, XDG/EUR -> DOGE-EUR); the venue symbol stays the
 * wire pair. Kraken v2 (wss://ws.kraken.com/v2) is a different protocol, not handled here
 * (docs/venues/kraken.md); its URLs are not claimed by this spec.
 */
import type { Instrument } from '../../../../src-shared/model/market.ts';
import type { ConnectionPlan, SessionContext, VenueSession, VenueSpec } from '../venue.ts';
import { chunk } from '../venue.ts';
import { KRAKEN_DEFAULT_DEPTH, KrakenSession } from './krakenSession.ts';

export const KRAKEN_WS_URL = 'wss://ws.kraken.com';

/** Legacy v1 asset codes and their common names. */
const ASSET_ALIASES: Readonly<Record<string, string>> = { XBT: 'BTC', XDG: 'DOGE' };

/**
 * Pairs per connection: Kraken publishes no cap; depth-1000 books are heavy (a 1000-level
 * snapshot per pair, thousands of updates per minute on XBT/USD), so connections stay small.
 */
const PAIRS_PER_CONNECTION = 50;

/** Hosts of the v1 public feed (and the beta host); futures.kraken.com is Kraken Futures. */
const HOSTS = new Set(['ws.kraken.com', 'beta-ws.kraken.com']);

function asset(code: string): string {
  return ASSET_ALIASES[code] ?? code;
}

/** Name a Kraken v1 pair ("XBT/USD"). Scales start at 0 and widen on the first snapshot. */
export function krakenInstrument(pair: string): Instrument {
  const p = pair.toUpperCase();
  const slash = p.indexOf('/');
  const base = asset(slash < 0 ? p : p.slice(0, slash));
  const quote = slash < 0 ? '' : asset(p.slice(slash + 1));
  return {
    venue: 'kraken',
    venueSymbol: p,
    symbol: quote ? `${base}-${quote}` : base,
    base,
    quote,
    kind: 'spot',
    inverse: false,
    priceScale: 0,
    sizeScale: 0,
  };
}

function recognizes(url: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  // v1 lives at the root; /v2 is the other protocol.
  return HOSTS.has(u.hostname) && !u.pathname.startsWith('/v2');
}

export const kraken: VenueSpec = {
  id: 'kraken',
  label: 'Kraken',
  docs: [
    'https://docs.kraken.com/api/docs/websocket-v1/book',
    'https://docs.kraken.com/api/docs/guides/spot-ws-book-v1',
    'https://docs.kraken.com/api/docs/websocket-v1/trade',
    'https://docs.kraken.com/api/docs/websocket-v1/heartbeat',
    'https://docs.kraken.com/api/docs/guides/spot-ratelimits',
  ],
  snapshot: 'in-band',
  wsUrl: KRAKEN_WS_URL,
  limits: {
    symbolsPerConnection: PAIRS_PER_CONNECTION,
    // Not published (dynamic server-side budget); a conservative pace for subscribe/ping frames.
    controlMessagesPerSecond: 5,
    connectionLifetimeMs: 0,
    // Heartbeats flow about once a second on an idle connection: 10 s of silence is stale.
    staleAfterMs: 10_000,
  },
  depthCap: KRAKEN_DEFAULT_DEPTH,
  instrument: krakenInstrument,
  plan(venueSymbols: string[], wsUrl?: string): ConnectionPlan[] {
    const url = wsUrl ?? KRAKEN_WS_URL;
    return chunk(venueSymbols.map((s) => s.toUpperCase()), PAIRS_PER_CONNECTION).map((pairs, i) => ({
      id: `kraken#${i}`,
      url,
      venueSymbols: pairs,
    }));
  },
  createSession(ctx: SessionContext, plan: ConnectionPlan): VenueSession {
    return new KrakenSession(ctx, plan);
  },
  recognizes,
};
