/**
 * Gate venue symbols. Spot keeps Gate's currency pair ("BTC_USDT"); futures are written the way
 * Gate's REST paths write them, settle currency then contract ("usdt/BTC_USDT", from
 * /api/v4/futures/usdt/order_book?contract=BTC_USDT). Gate uses one name for a spot pair and its
 * perpetual, and both live under the single `gate` venue id: the settle prefix keeps the two books
 * apart. Only the part after the slash goes on the wire.
 */

export type GateMarket = 'spot' | 'futures';

export interface GateSymbol {
  market: GateMarket;
  /** Settle currency of a futures contract ("usdt"), "" for spot. */
  settle: string;
  /** The name Gate puts on the wire ("BTC_USDT"). */
  name: string;
}

/** Split a venue symbol ("BTC_USDT" or "usdt/BTC_USDT"). */
export function parseGateSymbol(venueSymbol: string): GateSymbol {
  const slash = venueSymbol.indexOf('/');
  if (slash < 0) return { market: 'spot', settle: '', name: venueSymbol.toUpperCase() };
  return { market: 'futures', settle: venueSymbol.slice(0, slash).toLowerCase(), name: venueSymbol.slice(slash + 1).toUpperCase() };
}

/** The venue symbol for a wire name. */
export function gateVenueSymbol(market: GateMarket, settle: string, name: string): string {
  return market === 'spot' ? name : `${settle}/${name}`;
}
