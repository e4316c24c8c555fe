/**
 * Normalized market-data model shared by the engine, the hosts, the renderer and the wire codec.
 * Units live in names: `...TsNs` nanoseconds since the epoch (bigint where precision matters,
 * number where a millisecond-precision float suffices for display), `...Ms` milliseconds.
 * Prices and sizes are integer mantissas at the instrument's `priceScale` / `sizeScale`.
 */

export type VenueId =
  | 'binance-spot'
  | 'binance-us'
  | 'binance-usdm'
  | 'binance-coinm'
  | 'okx'
  | 'bybit-spot'
  | 'bybit-linear'
  | 'coinbase'
  | 'coinbase-exchange'
  | 'bybit-legacy'
  | 'kraken'
  | 'kraken-futures'
  | 'deribit'
  | 'upbit'
  | 'bithumb'
  | 'bitget'
  | 'gate'
  | 'kucoin'
  | 'bitfinex'
  | 'bitmex'
  | 'hyperliquid';

export type InstrumentKind = 'spot' | 'perpetual' | 'future' | 'option';

export interface Instrument {
  venue: VenueId;
  /** The venue's own symbol exactly as it appears on the wire ("BTCUSDT", "XBT/USD", "BTC-USDT-SWAP"). */
  venueSymbol: string;
  /** Normalized symbol (docs/NORMALIZATION.md): "BTC-USDT", "BTC-USDT-PERP", "BTC-USD-PERP-INV". */
  symbol: string;
  base: string;
  quote: string;
  kind: InstrumentKind;
  /** true for inverse (coin-margined) contracts. */
  inverse: boolean;
  /** Fractional digits of price mantissas. May widen once while a book warms up (see OrderBook.widen). */
  priceScale: number;
  sizeScale: number;
  /** Tick and lot size as decimal strings when known from venue metadata. */
  tickSize?: string;
  lotSize?: string;
}

/** Tick and lot size per venue symbol (decimal strings), as a venue's instrument listing gives them. */
export type InstrumentIncrements = Record<string, { tickSize?: string; lotSize?: string }>;

export type Side = 'bid' | 'ask';
export type TakerSide = 'buy' | 'sell' | 'unknown';

export interface Trade {
  venue: VenueId;
  symbol: string;
  tradeId: string;
  takerSide: TakerSide;
  price: number;
  size: number;
  priceScale: number;
  sizeScale: number;
  exchTsMs: number;
  recvTsNs: bigint;
}

/** Book sync state of one (venue, symbol), venues.md section 1. */
export type SyncState =
  | 'connecting'
  | 'buffering'
  | 'snapshot-pending'
  | 'syncing'
  | 'live'
  | 'resyncing'
  | 'stale'
  | 'halted';

export const SYNC_STATES: readonly SyncState[] = [
  'connecting',
  'buffering',
  'snapshot-pending',
  'syncing',
  'live',
  'resyncing',
  'stale',
  'halted',
];

/** Why a book left "live" or a resync was started. */
export type AnomalyKind =
  | 'gap'
  | 'regress'
  | 'duplicate'
  | 'checksum-mismatch'
  | 'crossed-book'
  | 'invalid-size'
  | 'invalid-price'
  | 'stale'
  | 'reconnect'
  | 'manual'
  | 'process-restart'
  | 'snapshot-too-old'
  | 'buffer-overflow'
  | 'venue-reset'
  | 'subscribe-error';

/** Outcome of a checksum comparison; "not-provided" covers venues sending 0 or no field. */
export type ChecksumResult = 'ok' | 'mismatch' | 'not-provided';

export interface Level {
  price: number;
  size: number;
}

/** A level rendered exactly as decimal strings, for APIs and the UI. */
export interface LevelText {
  price: string;
  size: string;
}

export function instrumentKey(venue: VenueId, venueSymbol: string): string {
  return `${venue}:${venueSymbol}`;
}
