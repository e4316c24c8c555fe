/**
 * Binance spot, USD-M futures and COIN-M futures: endpoints, limits, instrument naming.
 *
 * Docs followed (venues.md sections 3 and 4):
 * - https://github.com/binance/binance-spot-api-docs/blob/master/web-socket-streams.md
 *   (1024 streams per connection, 5 incoming messages/s, 24 h lifetime, ping every 20 s)
 * - https://github.com/binance/binance-spot-api-docs/blob/master/rest-api.md
 *   (GET /api/v3/depth weights 5/25/50/250 by limit, REQUEST_WEIGHT 6000/min, X-MBX-USED-WEIGHT-1M)
 * - https://developers.binance.com/docs/derivatives/usds-margined-futures/market-data/rest-api/Order-Book
 *   (limit 1000 weight 20, REQUEST_WEIGHT 2400/min; 10 incoming messages/s; /public host for depth)
 * - https://developers.binance.com/docs/derivatives/coin-margined-futures/market-data/rest-api/Order-Book
 */
import type { Instrument, VenueId } from '../../../../src-shared/model/market.ts';
import type { ConnectionPlan, SessionContext, VenueSpec, VenueSession } from '../venue.ts';
import { chunk } from '../venue.ts';
import { BinanceSession, binanceStreams } from './binanceSession.ts';
import type { BinanceMarket } from './binanceSession.ts';
import { listBinanceSymbols } from './binanceInstruments.ts';

/** Quote assets, longest first so "FDUSD" wins over "USD". */
const QUOTES = ['FDUSD', 'USDT', 'USDC', 'BUSD', 'TUSD', 'USDP', 'BIDR', 'BVND', 'IDRT', 'DAI', 'USD', 'BTC', 'ETH', 'BNB', 'EUR', 'GBP', 'AUD', 'TRY', 'BRL', 'RUB', 'UAH', 'NGN', 'ZAR', 'JPY', 'PLN', 'RON', 'ARS', 'MXN', 'COP', 'CZK', 'XRP', 'TRX', 'DOGE', 'DOT', 'PAX', 'VAI'];

function splitPair(pair: string): [string, string] {
  for (const q of QUOTES) {
    if (pair.length > q.length && pair.endsWith(q)) return [pair.slice(0, -q.length), q];
  }
  return [pair, ''];
}

/** Name a Binance symbol. Scales start at 0 and widen to the venue's decimals on the first snapshot. */
export function binanceInstrument(venue: VenueId, market: BinanceMarket, venueSymbol: string): Instrument {
  const sym = venueSymbol.toUpperCase();
  if (market === 'spot') {
    const [base, quote] = splitPair(sym);
    return { venue, venueSymbol: sym, symbol: quote ? `${base}-${quote}` : sym, base, quote, kind: 'spot', inverse: false, priceScale: 0, sizeScale: 0 };
  }
  // Futures: "BTCUSDT" perpetual, "BTCUSDT_240927" quarterly (USD-M); "BTCUSD_PERP", "BTCUSD_210924" (COIN-M).
  const [pair, suffix = 'PERP'] = sym.split('_') as [string, string | undefined];
  const [base, quote] = splitPair(pair);
  const inverse = market === 'coinm';
  const perp = suffix === 'PERP';
  const name = `${base}-${quote}-${perp ? 'PERP' : suffix}${inverse ? '-INV' : ''}`;
  return { venue, venueSymbol: sym, symbol: name, base, quote, kind: perp ? 'perpetual' : 'future', inverse, priceScale: 0, sizeScale: 0 };
}

interface MarketConfig {
  id: VenueId;
  label: string;
  wsBase: string;
  restBase: string;
  depthPath: string;
  snapshotDepth: number;
  snapshotWeight: number;
  weightPerMinute: number;
  controlPerSecond: number;
  docs: string[];
  /** Hosts (and path prefixes) whose URLs belong to this market, for recordings. */
  hosts: string[];
}

const MARKETS: Record<BinanceMarket | 'us', MarketConfig> = {
  us: {
    id: 'binance-us',
    label: 'Binance.US',
    wsBase: 'wss://stream.binance.us:9443',
    restBase: 'https://api.binance.us',
    depthPath: '/api/v3/depth',
    snapshotDepth: 1000,
    snapshotWeight: 50,
    weightPerMinute: 6000,
    controlPerSecond: 5,
    docs: ['https://docs.binance.us/#order-book-depth-diff-stream', 'https://docs.binance.us/#get-order-book-depth'],
    hosts: ['stream.binance.us', 'api.binance.us'],
  },
  spot: {
    id: 'binance-spot',
    label: 'Binance Spot',
    wsBase: 'wss://stream.binance.com:9443',
    restBase: 'https://api.binance.com',
    depthPath: '/api/v3/depth',
    snapshotDepth: 1000,
    snapshotWeight: 50,
    weightPerMinute: 6000,
    controlPerSecond: 5,
    docs: [
      'https://github.com/binance/binance-spot-api-docs/blob/master/web-socket-streams.md',
      'https://github.com/binance/binance-spot-api-docs/blob/master/rest-api.md',
    ],
    hosts: ['stream.binance.com', 'api.binance.com', 'www.binance.com/api', 'data-stream.binance.vision'],
  },
  usdm: {
    id: 'binance-usdm',
    label: 'Binance USD-M',
    wsBase: 'wss://fstream.binance.com/public',
    restBase: 'https://fapi.binance.com',
    depthPath: '/fapi/v1/depth',
    snapshotDepth: 1000,
    snapshotWeight: 20,
    weightPerMinute: 2400,
    controlPerSecond: 10,
    docs: [
      'https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams/How-to-manage-a-local-order-book-correctly',
      'https://developers.binance.com/docs/derivatives/usds-margined-futures/market-data/rest-api/Order-Book',
    ],
    hosts: ['fstream.binance.com', 'fapi.binance.com'],
  },
  coinm: {
    id: 'binance-coinm',
    label: 'Binance COIN-M',
    wsBase: 'wss://dstream.binance.com',
    restBase: 'https://dapi.binance.com',
    depthPath: '/dapi/v1/depth',
    snapshotDepth: 1000,
    snapshotWeight: 20,
    weightPerMinute: 2400,
    controlPerSecond: 10,
    docs: [
      'https://developers.binance.com/docs/derivatives/coin-margined-futures/websocket-market-streams/How-to-manage-a-local-order-book-correctly',
      'https://developers.binance.com/docs/derivatives/coin-margined-futures/market-data/rest-api/Order-Book',
    ],
    hosts: ['dstream.binance.com', 'dapi.binance.com'],
  },
};

/** Host match (`host` or `host/path-prefix`), exact on the host name. */
export function urlMatches(url: string, hosts: string[]): boolean {
  const u = URL.parse(url);
  if (u === null) return false;
  return hosts.some((h) => {
    const slash = h.indexOf('/');
    const host = slash < 0 ? h : h.slice(0, slash);
    return u.hostname === host && (slash < 0 || u.pathname.startsWith(h.slice(slash)));
  });
}

/** 1024 streams per connection; three streams per symbol. */
const STREAMS_PER_CONNECTION = 1024;

function makeSpec(key: BinanceMarket | 'us'): VenueSpec {
  const m = MARKETS[key];
  // Binance.US speaks the spot protocol.
  const market: BinanceMarket = key === 'us' ? 'spot' : key;
  const symbolsPerConnection = Math.floor(STREAMS_PER_CONNECTION / 3);
  return {
    id: m.id,
    label: m.label,
    docs: m.docs,
    snapshot: 'rest',
    wsUrl: m.wsBase,
    rest: {
      baseUrl: m.restBase,
      snapshotPath: (s) => `${m.depthPath}?symbol=${encodeURIComponent(s.toUpperCase())}&limit=${m.snapshotDepth}`,
      snapshotDepth: m.snapshotDepth,
      snapshotWeight: m.snapshotWeight,
      weightPerWindow: m.weightPerMinute,
      windowMs: 60_000,
      usedWeightHeader: 'x-mbx-used-weight-1m',
    },
    limits: {
      symbolsPerConnection,
      controlMessagesPerSecond: m.controlPerSecond,
      connectionLifetimeMs: 24 * 3600_000,
      // No heartbeat on the stream; a 100 ms diff stream that is silent for 10 s is stale even
      // on quiet symbols (Binance sends diffs only on change, so quiet symbols get a longer bound).
      staleAfterMs: 30_000,
      // "300 connections per attempt every 5 minutes per IP" (web-socket-streams.md, WebSocket Limits).
      connectAttempts: { count: 300, windowMs: 300_000 },
    },
    depthCap: 0,
    instrument: (s) => binanceInstrument(m.id, market, s),
    plan(venueSymbols: string[], wsUrl?: string): ConnectionPlan[] {
      const base = wsUrl ?? m.wsBase;
      return chunk(venueSymbols.map((s) => s.toUpperCase()), symbolsPerConnection).map((syms, i) => ({
        id: `${m.id}#${i}`,
        url: `${base}/stream?streams=${syms.flatMap((s) => binanceStreams(market, s)).join('/')}`,
        venueSymbols: syms,
      }));
    },
    createSession(ctx: SessionContext): VenueSession {
      return new BinanceSession(ctx, market);
    },
    recognizes: (url) => urlMatches(url, m.hosts),
    // "symbols": "all": exchangeInfo, within the same documented IP weight limit (binanceInstruments.ts).
    listSymbols: (restBaseUrl) => listBinanceSymbols(m.id, key, restBaseUrl ?? m.restBase, { weightPerWindow: m.weightPerMinute, windowMs: 60_000, usedWeightHeader: 'x-mbx-used-weight-1m' }),
    snapshotSymbol(url: string): string | undefined {
      const q = /[?&]symbol=([A-Za-z0-9_]+)/.exec(url);
      return q?.[1]?.toUpperCase();
    },
  };
}

export const binanceSpot = makeSpec('spot');
export const binanceUs = makeSpec('us');
export const binanceUsdm = makeSpec('usdm');
export const binanceCoinm = makeSpec('coinm');
