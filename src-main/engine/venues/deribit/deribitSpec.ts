/**
 * Deribit: endpoint, limits, instrument naming (options, futures, perpetuals).
 *
 * Docs followed (venues.md section 10):
 * - https://docs.deribit.com/subscriptions/orderbook/bookinstrument_nameinterval
 * - https://docs.deribit.com/api-reference/session-management/public-set_heartbeat
 * - https://docs.deribit.com/articles/rate-limits (credit-based; subscribe requests cost 3000 of
 *   30000 credits, about 3.3 per second sustained -- figures as mirrored by nautilus_deribit)
 * - https://docs.deribit.com/api-reference/market-data/public-get_instruments (instrument names)
 *
 * Instrument names on the wire and their normalized names:
 * - inverse (coin-settled): "BTC-PERPETUAL" -> BTC-USD-PERP-INV; "BTC-30APR21" -> BTC-USD-210430-INV;
 *   options "BTC-30APR21-54000-C" -> BTC-210430-54000-C;
 * - linear (USDC/USDT-settled, BASE_QUOTE prefix): "BTC_USDC-PERPETUAL" -> BTC-USDC-PERP;
 *   "SOL_USDC-30APR21" -> SOL-USDC-210430; options "XRP_USDC-30AUG24-0d625-C" ->
 *   XRP-USDC-240830-0.625-C (strike decimals are written with "d");
 * - spot "BTC_USDC" -> BTC-USDC;
 * - combinations and spreads ("BTC-FS-26APR24_PERP") keep the venue name: they are not one
 *   instrument's book in the normalized scheme.
 */
import type { Instrument } from '../../../../src-shared/model/market.ts';
import type { ConnectionPlan, SessionContext, VenueSession, VenueSpec } from '../venue.ts';
import { chunk } from '../venue.ts';
import { connectionUrl, hostIn } from '../venueUrl.ts';
import { DERIBIT_HEARTBEAT_S, DeribitSession } from './deribitSession.ts';
import { DERIBIT_REST_URL, listDeribitSymbols } from './deribitInstruments.ts';

export const DERIBIT_WS_URL = 'wss://www.deribit.com/ws/api/v2';

/** streams.deribit.com is the unauthenticated market-data host tardis-node uses. */
const HOSTS = new Set(['www.deribit.com', 'streams.deribit.com', 'test.deribit.com']);

/**
 * Instruments per connection (two channels each). Deribit publishes no channel cap; one
 * subscribe request carries them all, and a resubscribe is per instrument, so the bound is about
 * how many books one lost socket takes down.
 */
const INSTRUMENTS_PER_CONNECTION = 100;

const MONTHS: Readonly<Record<string, string>> = { JAN: '01', FEB: '02', MAR: '03', APR: '04', MAY: '05', JUN: '06', JUL: '07', AUG: '08', SEP: '09', OCT: '10', NOV: '11', DEC: '12' };

/** "30APR21" / "5APR21" -> "210430" / "210405"; undefined when not a Deribit expiry. */
export function deribitExpiry(s: string): string | undefined {
  const m = /^(\d{1,2})([A-Z]{3})(\d{2})$/.exec(s);
  const month = m ? MONTHS[m[2]!] : undefined;
  if (!m || month === undefined) return undefined;
  return `${m[3]}${month}${m[1]!.padStart(2, '0')}`;
}

export function deribitInstrument(name: string): Instrument {
  const keep = (kind: Instrument['kind']): Instrument => ({ venue: 'deribit', venueSymbol: name, symbol: name, base: name.split(/[-_]/)[0] ?? name, quote: '', kind, inverse: false, priceScale: 0, sizeScale: 0 });
  const parts = name.split('-');
  const head = parts[0] ?? '';
  const us = head.indexOf('_');
  const linear = us > 0;
  const base = linear ? head.slice(0, us) : head;
  const quote = linear ? head.slice(us + 1) : 'USD';
  const make = (symbol: string, kind: Instrument['kind']): Instrument => ({ venue: 'deribit', venueSymbol: name, symbol, base, quote, kind, inverse: !linear, priceScale: 0, sizeScale: 0 });
  if (parts.length === 1) return linear ? { ...make(`${base}-${quote}`, 'spot'), inverse: false } : keep('spot');
  if (parts.length === 2 && parts[1] === 'PERPETUAL') return make(linear ? `${base}-${quote}-PERP` : `${base}-USD-PERP-INV`, 'perpetual');
  const expiry = deribitExpiry(parts[1] ?? '');
  if (expiry === undefined) return keep('future');
  if (parts.length === 2) return make(linear ? `${base}-${quote}-${expiry}` : `${base}-USD-${expiry}-INV`, 'future');
  const strike = (parts[2] ?? '').replace('d', '.');
  const right = parts[3];
  if (parts.length === 4 && /^\d+(?:\.\d+)?$/.test(strike) && (right === 'C' || right === 'P')) {
    return make(linear ? `${base}-${quote}-${expiry}-${strike}-${right}` : `${base}-${expiry}-${strike}-${right}`, 'option');
  }
  return keep('future');
}

export const deribit: VenueSpec = {
  id: 'deribit',
  label: 'Deribit',
  docs: [
    'https://docs.deribit.com/subscriptions/orderbook/bookinstrument_nameinterval',
    'https://docs.deribit.com/subscriptions/trades/tradesinstrument_nameinterval',
    'https://docs.deribit.com/api-reference/session-management/public-set_heartbeat',
    'https://docs.deribit.com/articles/rate-limits',
  ],
  snapshot: 'in-band',
  wsUrl: DERIBIT_WS_URL,
  limits: {
    symbolsPerConnection: INSTRUMENTS_PER_CONNECTION,
    // Subscribe requests: 3000 credits each from a 30000 pool refilled at ~10000/s -> ~3/s.
    controlMessagesPerSecond: 3,
    connectionLifetimeMs: 0,
    // Heartbeats every DERIBIT_HEARTBEAT_S seconds keep a quiet options book provably fresh:
    // three missed heartbeats mean the connection is gone.
    staleAfterMs: 3 * DERIBIT_HEARTBEAT_S * 1000,
  },
  depthCap: 0,
  instrument: deribitInstrument,
  plan(venueSymbols: string[], wsUrl?: string): ConnectionPlan[] {
    const url = connectionUrl(wsUrl, DERIBIT_WS_URL);
    return chunk(venueSymbols, INSTRUMENTS_PER_CONNECTION).map((names, i) => ({ id: `deribit#${i}`, url, venueSymbols: names }));
  },
  createSession(ctx: SessionContext, plan: ConnectionPlan): VenueSession {
    return new DeribitSession(ctx, plan);
  },
  recognizes: (url) => hostIn(url, HOSTS, '/ws'),
  // "symbols": "all": active futures, perpetuals, options and spot pairs (deribitInstruments.ts).
  listSymbols: (restBaseUrl) => listDeribitSymbols(restBaseUrl ?? DERIBIT_REST_URL),
};
