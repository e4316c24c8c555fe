/**
 * Gate (API v4) spot and USDT-settled perpetual futures: endpoints, limits, instrument naming.
 *
 * Docs followed (venues.md section 14.1; Gate facts there come from client code, see section 16.11):
 * - https://www.gate.io/docs/developers/apiv4/ws/en/ (spot WebSocket v4: wss://api.gateio.ws/ws/v4/,
 *   `{"time","channel","event","payload"}` requests, `spot.order_book_update` with U/u,
 *   `spot.ping` -> `spot.pong`)
 * - https://www.gate.io/docs/developers/futures/ws/en/ (USDT futures: wss://fx-ws.gateio.ws/v4/ws/usdt,
 *   `futures.order_book_update` with U/u, `futures.ping`)
 * - https://www.gate.io/docs/developers/apiv4/en/#retrieve-order-book and
 *   #futures-order-book (`with_id=true` adds the `id` the diffs align with; limit <= 100 here)
 * - https://www.gate.io/docs/developers/apiv4/en/#frequency-limit-rule (public endpoints:
 *   200 requests per 10 s per endpoint per IP)
 *
 * Venue symbols: "BTC_USDT" spot, "usdt/BTC_USDT" USDT-settled perpetual (gateSymbol.ts).
 */
import type { Instrument } from '../../../../src-shared/model/market.ts';
import type { ConnectionPlan, SessionContext, VenueSession, VenueSpec } from '../venue.ts';
import { chunk } from '../venue.ts';
import { GATE_SNAPSHOT_DEPTH, GateSession } from './gateSession.ts';
import { gateVenueSymbol, parseGateSymbol } from './gateSymbol.ts';
import { listGateSymbols } from './gateInstruments.ts';

export const GATE_SPOT_WS_URL = 'wss://api.gateio.ws/ws/v4/';
const GATE_SPOT_WS_BASE = 'wss://api.gateio.ws';
const GATE_FUTURES_WS_BASE = 'wss://fx-ws.gateio.ws';
export const GATE_REST_BASE = 'https://api.gateio.ws';

/**
 * Gate documents no per-connection subscription cap in the sources read; each symbol costs one
 * order-book subscribe frame, so 50 per socket keeps a reconnect's resubscribe burst short.
 */
const SYMBOLS_PER_CONNECTION = 50;

/** Name a Gate pair or contract. Scales start at 0 and widen to the venue's decimals on the first snapshot. */
export function gateInstrument(venueSymbol: string): Instrument {
  const g = parseGateSymbol(venueSymbol);
  const us = g.name.indexOf('_');
  const base = us < 0 ? g.name : g.name.slice(0, us);
  const quote = us < 0 ? '' : g.name.slice(us + 1);
  const vs = gateVenueSymbol(g.market, g.settle, g.name);
  if (g.market === 'spot') {
    return { venue: 'gate', venueSymbol: vs, symbol: quote ? `${base}-${quote}` : base, base, quote, kind: 'spot', inverse: false, priceScale: 0, sizeScale: 0 };
  }
  // BTC-settled contracts (settle "btc") are inverse; USDT-settled ones are linear. Sizes are contracts.
  const inverse = g.settle === 'btc';
  return { venue: 'gate', venueSymbol: vs, symbol: `${base}-${quote}-PERP${inverse ? '-INV' : ''}`, base, quote, kind: 'perpetual', inverse, priceScale: 0, sizeScale: 0 };
}

const HOSTS = new Set(['api.gateio.ws', 'fx-ws.gateio.ws', 'api.gate.io', 'ws.gate.io', 'fx-api.gateio.ws', 'fx-ws-testnet.gateio.ws']);

function recognizes(url: string): boolean {
  const u = URL.parse(url);
  if (u === null) return false;
  return HOSTS.has(u.hostname) && (u.pathname.startsWith('/ws/v4') || u.pathname.startsWith('/v4/ws') || u.pathname.startsWith('/api/v4/'));
}

/** Venue symbol a recorded REST snapshot URL asks for. */
function snapshotSymbol(url: string): string | undefined {
  const u = URL.parse(url);
  if (u === null) return undefined;
  const pair = u.searchParams.get('currency_pair');
  if (pair !== null && u.pathname.endsWith('/spot/order_book')) return pair.toUpperCase();
  const contract = u.searchParams.get('contract');
  const m = /\/futures\/([a-z]+)\/order_book$/.exec(u.pathname);
  if (contract !== null && m !== null) return gateVenueSymbol('futures', m[1]!, contract.toUpperCase());
  return undefined;
}

export const gate: VenueSpec = {
  id: 'gate',
  label: 'Gate',
  docs: [
    'https://www.gate.io/docs/developers/apiv4/ws/en/',
    'https://www.gate.io/docs/developers/futures/ws/en/',
    'https://www.gate.io/docs/developers/apiv4/en/#retrieve-order-book',
    'https://www.gate.io/docs/developers/apiv4/en/#futures-order-book',
    'https://www.gate.io/docs/developers/apiv4/en/#frequency-limit-rule',
  ],
  snapshot: 'rest',
  wsUrl: GATE_SPOT_WS_URL,
  rest: {
    baseUrl: GATE_REST_BASE,
    snapshotPath(venueSymbol: string): string {
      const g = parseGateSymbol(venueSymbol);
      const name = encodeURIComponent(g.name);
      return g.market === 'spot'
        ? `/api/v4/spot/order_book?currency_pair=${name}&limit=${GATE_SNAPSHOT_DEPTH}&with_id=true`
        : `/api/v4/futures/${g.settle}/order_book?contract=${name}&limit=${GATE_SNAPSHOT_DEPTH}&with_id=true`;
    },
    snapshotDepth: GATE_SNAPSHOT_DEPTH,
    snapshotWeight: 1,
    // "200 requests per 10 seconds" per public endpoint per IP; spot and futures order books are
    // separate endpoints, the budget here is the stricter shared reading.
    weightPerWindow: 200,
    windowMs: 10_000,
  },
  limits: {
    symbolsPerConnection: SYMBOLS_PER_CONNECTION,
    // No client-frame limit in the sources read. Gate takes one order-book subscription per
    // frame, and the recorded cryptofeed sessions sent all of theirs (22 frames each) within the
    // same second and were served (gate/cryptofeed_*, PROVENANCE.md): 50/s keeps a
    // connection's subscriptions in one burst.
    controlMessagesPerSecond: 50,
    connectionLifetimeMs: 0,
    // Diffs only on change, no heartbeat on the channel: quiet pairs can be silent for a while.
    staleAfterMs: 60_000,
  },
  depthCap: 0,
  instrument: gateInstrument,
  plan(venueSymbols: string[], wsUrl?: string): ConnectionPlan[] {
    const spot: string[] = [];
    const futures = new Map<string, string[]>();
    for (const s of venueSymbols) {
      const g = parseGateSymbol(s);
      const vs = gateVenueSymbol(g.market, g.settle, g.name);
      if (g.market === 'spot') spot.push(vs);
      else {
        const list = futures.get(g.settle) ?? [];
        list.push(vs);
        futures.set(g.settle, list);
      }
    }
    const plans: ConnectionPlan[] = [];
    // A base URL override (a local replay server) keeps each market's own path.
    chunk(spot, SYMBOLS_PER_CONNECTION).forEach((syms, i) => plans.push({ id: `gate#spot${i}`, url: `${wsUrl ?? GATE_SPOT_WS_BASE}/ws/v4/`, venueSymbols: syms }));
    for (const [settle, list] of futures) {
      chunk(list, SYMBOLS_PER_CONNECTION).forEach((syms, i) =>
        plans.push({ id: `gate#${settle}${i}`, url: `${wsUrl ?? GATE_FUTURES_WS_BASE}/v4/ws/${settle}`, venueSymbols: syms }),
      );
    }
    return plans;
  },
  createSession(ctx: SessionContext, plan: ConnectionPlan): VenueSession {
    return new GateSession(ctx, plan);
  },
  recognizes,
  snapshotSymbol,
  // "symbols": "all": tradable spot pairs and USDT perpetuals, within the REST budget above (gateInstruments.ts).
  listSymbols(restBaseUrl) {
    return listGateSymbols(restBaseUrl ?? GATE_REST_BASE, gate.rest!);
  },
};
