/**
 * Venues that can be replayed by a local venue server. Adding a venue's replay = implement
 * ReplayProtocol in its folder and add one line here (docs/ADDING_A_VENUE.md).
 */
import type { VenueId } from '../../../src-shared/model/market.ts';
import { binanceCoinm, binanceSpot, binanceUs, binanceUsdm } from '../venues/binance/binanceSpec.ts';
import { binanceReplay } from '../venues/binance/binanceReplay.ts';
import { deribitReplay } from '../venues/deribit/deribitReplay.ts';
import { upbitReplay } from '../venues/upbit/upbitReplay.ts';
import { bithumbReplay } from '../venues/bithumb/bithumbReplay.ts';
import { hyperliquidReplay } from '../venues/hyperliquid/hyperliquidReplay.ts';
import { bitmexReplay } from '../venues/bitmex/bitmexReplay.ts';
import { okxReplay } from '../venues/okx/okxReplay.ts';
import { krakenReplay } from '../venues/kraken/krakenReplay.ts';
import { krakenFuturesReplay } from '../venues/kraken/krakenFuturesReplay.ts';
import { bitgetReplay } from '../venues/bitget/bitgetReplay.ts';
import { gateReplay } from '../venues/gate/gateReplay.ts';
import { kucoinReplay } from '../venues/kucoin/kucoinReplay.ts';
import { bitfinexReplay } from '../venues/bitfinex/bitfinexReplay.ts';
import { bybitSpot, bybitLinear } from '../venues/bybit/bybitSpec.ts';
import { bybitReplay } from '../venues/bybit/bybitReplay.ts';
import { coinbaseExchangeReplay, coinbaseReplay } from '../venues/coinbase/coinbaseReplay.ts';
import type { ReplayProtocol } from './replayProtocol.ts';

const FACTORIES: Partial<Record<VenueId, () => ReplayProtocol>> = {
  'binance-spot': () => binanceReplay(binanceSpot, 'spot'),
  'binance-us': () => binanceReplay(binanceUs, 'spot'),
  'binance-usdm': () => binanceReplay(binanceUsdm, 'usdm'),
  'binance-coinm': () => binanceReplay(binanceCoinm, 'coinm'),
  deribit: deribitReplay,
  upbit: () => upbitReplay('upbit'),
  bithumb: bithumbReplay,
  hyperliquid: hyperliquidReplay,
  bitmex: bitmexReplay,
  okx: okxReplay,
  // The Kraken spot recordings speak v1, served at the root (krakenReplay.ts).
  kraken: krakenReplay,
  'kraken-futures': krakenFuturesReplay,
  // The only Bitget recording speaks v1.
  bitget: () => bitgetReplay('v1'),
  gate: gateReplay,
  kucoin: kucoinReplay,
  bitfinex: bitfinexReplay,
  // Bybit's legacy v2 feed is recordings-only (verify), so it has no replay server.
  'bybit-spot': () => bybitReplay(bybitSpot, 'spot'),
  'bybit-linear': () => bybitReplay(bybitLinear, 'linear'),
  coinbase: coinbaseReplay,
  'coinbase-exchange': coinbaseExchangeReplay,
};

/** The replay protocol of a venue, or undefined when nobody wrote it yet. */
export function replayProtocol(venue: VenueId): ReplayProtocol | undefined {
  return FACTORIES[venue]?.();
}

export function replayableVenues(): VenueId[] {
  return Object.keys(FACTORIES) as VenueId[];
}
