/**
 * Every venue the engine knows, validated when this module loads: ids are unique, specs are
 * complete, limits are positive. Adding a venue = one folder + one entry here
 * (docs/ADDING_A_VENUE.md).
 */
import type { VenueId } from '../../../src-shared/model/market.ts';
import type { VenueSpec } from './venue.ts';
import { binanceCoinm, binanceSpot, binanceUs, binanceUsdm } from './binance/binanceSpec.ts';
import { okx } from './okx/okxSpec.ts';
import { kraken } from './kraken/krakenSpec.ts';
import { krakenFutures } from './kraken/krakenFuturesSpec.ts';
import { bybitLegacy, bybitLinear, bybitSpot } from './bybit/bybitSpec.ts';
import { coinbase, coinbaseExchange } from './coinbase/coinbaseSpec.ts';
import { deribit } from './deribit/deribitSpec.ts';
import { upbit } from './upbit/upbitSpec.ts';
import { bithumb } from './bithumb/bithumbSpec.ts';
import { hyperliquid } from './hyperliquid/hyperliquidSpec.ts';
import { bitmex } from './bitmex/bitmexSpec.ts';
import { bitget } from './bitget/bitgetSpec.ts';
import { gate } from './gate/gateSpec.ts';
import { kucoin } from './kucoin/kucoinSpec.ts';
import { bitfinex } from './bitfinex/bitfinexSpec.ts';

const ALL: VenueSpec[] = [
  binanceSpot,
  binanceUs,
  binanceUsdm,
  binanceCoinm,
  okx,
  kraken,
  krakenFutures,
  bybitSpot,
  bybitLinear,
  bybitLegacy,
  coinbase,
  coinbaseExchange,
  deribit,
  upbit,
  bithumb,
  hyperliquid,
  bitmex,
  bitget,
  gate,
  kucoin,
  bitfinex,
];

export class RegistryError extends Error {}

function validate(specs: VenueSpec[]): Map<VenueId, VenueSpec> {
  const map = new Map<VenueId, VenueSpec>();
  for (const s of specs) {
    if (map.has(s.id)) throw new RegistryError(`venue ${s.id} registered twice`);
    if (s.docs.length === 0) throw new RegistryError(`venue ${s.id} names no exchange documentation`);
    if (!/^wss?:\/\//.test(s.wsUrl)) throw new RegistryError(`venue ${s.id} has no WebSocket URL`);
    if (s.snapshot === 'rest' && s.rest === undefined) throw new RegistryError(`venue ${s.id} takes REST snapshots but has no REST spec`);
    const l = s.limits;
    if (!(l.symbolsPerConnection > 0 && l.controlMessagesPerSecond > 0 && l.staleAfterMs > 0)) throw new RegistryError(`venue ${s.id} has non-positive limits`);
    map.set(s.id, s);
  }
  return map;
}

export const VENUES: ReadonlyMap<VenueId, VenueSpec> = validate(ALL);

export function venueSpec(id: string): VenueSpec {
  const s = VENUES.get(id as VenueId);
  if (s === undefined) throw new RegistryError(`unknown venue "${id}" (known: ${[...VENUES.keys()].join(', ')})`);
  return s;
}

/** Venue behind a WebSocket or REST URL, by host and path. */
export function venueForUrl(url: string): VenueSpec | undefined {
  for (const s of VENUES.values()) if (s.recognizes?.(url)) return s;
  return undefined;
}
