/**
 * Kraken spot: endpoints, limits, instrument naming, and which protocol a connection speaks.
 *
 * Docs followed (venues.md section 9):
 * - https://docs.kraken.com/api/docs/guides/spot-ws-intro (v2 at wss://ws.kraken.com/v2, v1 at
 *   wss://ws.kraken.com, beta hosts beside them; v2 is where new work happens, v1 is maintained)
 * - https://docs.kraken.com/api/docs/websocket-v2/book, https://docs.kraken.com/api/docs/guides/spot-ws-book-v2
 * - https://docs.kraken.com/api/docs/websocket-v1/book (depth 10/25/100/500/1000, snapshot then
 *   updates with checksum), https://docs.kraken.com/api/docs/guides/spot-ws-book-v1
 * - https://docs.kraken.com/api/docs/websocket-v1/heartbeat (about one per second when idle)
 * - https://docs.kraken.com/api/docs/guides/spot-ratelimits (the WebSocket message rate is
 *   dynamic and not published; the server answers "Exceeded msg rate")
 *
 * One venue, two protocols, chosen by the connection URL exactly as Kraken serves them: a path
 * under /v2 speaks v2 (krakenV2Session.ts), the root speaks v1 (krakenSession.ts). Live
 * connections default to v2, the current API. v1 stays for the recordings in ../shared/data (all
 * of them v1), for `depthdesk verify` (which hands sessions no URL: an empty URL is v1) and for the
 * local replay server, which serves those recordings at its root. docs/venues/kraken.md explains
 * the choice.
 *
 * v1 pairs use Kraken's legacy asset codes (XBT for bitcoin, XDG for dogecoin), v2 the common ones
 * (BTC/USD) and refuses the legacy ones. Books keep the configured name ("XBT/USD" in the default
 * configuration); a v2 session subscribes and reads "BTC/USD" for it (krakenWireSymbol.ts), a v1
 * session uses the name as configured. Normalized names always use the common codes
 * (XBT/USD and BTC/USD -> BTC-USD).
 */
import type { Instrument } from '../../../../src-shared/model/market.ts';
import type { ConnectionPlan, SessionContext, VenueSession, VenueSpec } from '../venue.ts';
import { chunk } from '../venue.ts';
import { KRAKEN_DEFAULT_DEPTH, KrakenSession } from './krakenSession.ts';
import { KrakenV2Session } from './krakenV2Session.ts';
import { krakenAsset } from './krakenWireSymbol.ts';
import { KRAKEN_REST_URL, listKrakenSymbols } from './krakenInstruments.ts';

/** v1 endpoint (the recordings' protocol). */
export const KRAKEN_WS_URL = 'wss://ws.kraken.com';

/** v2 endpoint, the live default. */
export const KRAKEN_V2_WS_URL = 'wss://ws.kraken.com/v2';

export type KrakenProtocol = 'v1' | 'v2';

/**
 * Pairs per connection: Kraken publishes no cap; depth-1000 books are heavy (a 1000-level
 * snapshot per pair, thousands of updates per minute on XBT/USD), so connections stay small.
 */
const PAIRS_PER_CONNECTION = 50;

/** Hosts of the public spot feeds (and the beta host); futures.kraken.com is Kraken Futures. */
const HOSTS = new Set(['ws.kraken.com', 'beta-ws.kraken.com']);

/** Name a Kraken v1 pair ("XBT/USD"). Scales start at 0 and widen on the first snapshot. */
export function krakenInstrument(pair: string): Instrument {
  const p = pair.toUpperCase();
  const slash = p.indexOf('/');
  const base = krakenAsset(slash < 0 ? p : p.slice(0, slash));
  const quote = slash < 0 ? '' : krakenAsset(p.slice(slash + 1));
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

/**
 * Protocol of a connection URL: a path under /v2 is v2, anything else v1 (Kraken's own layout;
 * local replay servers serve the v1 recordings at their root). An empty or unparseable URL is v1:
 * `depthdesk verify` gives sessions no URL and every Kraken spot recording is v1.
 */
export function krakenProtocol(url: string): KrakenProtocol {
  const path = URL.parse(url)?.pathname;
  if (path === undefined) return 'v1';
  return path === '/v2' || path.startsWith('/v2/') ? 'v2' : 'v1';
}

function recognizes(url: string): boolean {
  const u = URL.parse(url);
  if (u === null) return false;
  // v1 lives at the root, v2 under /v2: both are this venue.
  return HOSTS.has(u.hostname);
}

export const kraken: VenueSpec = {
  id: 'kraken',
  label: 'Kraken',
  docs: [
    'https://docs.kraken.com/api/docs/guides/spot-ws-intro',
    'https://docs.kraken.com/api/docs/websocket-v2/book',
    'https://docs.kraken.com/api/docs/guides/spot-ws-book-v2',
    'https://docs.kraken.com/api/docs/websocket-v2/instrument',
    'https://docs.kraken.com/api/docs/websocket-v2/trade',
    'https://docs.kraken.com/api/docs/websocket-v1/book',
    'https://docs.kraken.com/api/docs/guides/spot-ws-book-v1',
    'https://docs.kraken.com/api/docs/websocket-v1/trade',
    'https://docs.kraken.com/api/docs/websocket-v1/heartbeat',
    'https://docs.kraken.com/api/docs/guides/spot-ratelimits',
  ],
  snapshot: 'in-band',
  wsUrl: KRAKEN_V2_WS_URL,
  limits: {
    symbolsPerConnection: PAIRS_PER_CONNECTION,
    // Not published (dynamic server-side budget); a conservative pace for subscribe/ping frames.
    controlMessagesPerSecond: 5,
    connectionLifetimeMs: 0,
    // Heartbeats flow about once a second on an idle connection (v1 and v2): 10 s of silence is stale.
    staleAfterMs: 10_000,
  },
  depthCap: KRAKEN_DEFAULT_DEPTH,
  instrument: krakenInstrument,
  plan(venueSymbols: string[], wsUrl?: string): ConnectionPlan[] {
    const url = wsUrl ?? KRAKEN_V2_WS_URL;
    // Books keep the configured names; a v2 session puts the v2 codes on the wire (krakenWireSymbol.ts).
    const pairs = [...new Set(venueSymbols.map((s) => s.toUpperCase()))];
    return chunk(pairs, PAIRS_PER_CONNECTION).map((group, i) => ({
      id: `kraken#${i}`,
      url,
      venueSymbols: group,
    }));
  },
  createSession(ctx: SessionContext, plan: ConnectionPlan): VenueSession {
    return krakenProtocol(plan.url) === 'v2' ? new KrakenV2Session(ctx, plan) : new KrakenSession(ctx, plan);
  },
  recognizes,
  // "symbols": "all": online AssetPairs by their WebSocket v1 names (krakenInstruments.ts).
  listSymbols: (restBaseUrl) => listKrakenSymbols(restBaseUrl ?? KRAKEN_REST_URL),
};
