/**
 * Bybit v5 public spot and linear (USDT/USDC perpetuals, dated futures), plus the obsolete v2
 * `orderBookL2_25` feed kept only to read old recordings: endpoints, limits, instrument naming.
 *
 * Docs followed (venues.md section 5):
 * - https://bybit-exchange.github.io/docs/v5/ws/connect (public hosts per category; args <= 21 000
 *   characters per connection; spot <= 10 args per subscribe request; `{"op":"ping"}` every 20 s,
 *   the server cuts a silent connection after 10 min)
 * - https://bybit-exchange.github.io/docs/v5/rate-limit (500 new connections per 5 min per domain)
 * - https://bybit-exchange.github.io/docs/v5/websocket/public/orderbook (depths 1/50/200/1000; in-band
 *   snapshot then deltas; `u == 1` service restart; level-1 re-push every 3 s with the same `u`)
 * - https://bybit-exchange.github.io/docs/v5/websocket/public/trade (`S` taker side, `i` trade id)
 * - Legacy v2 (recordings only, never used live):
 *   https://bybit-exchange.github.io/docs-legacy/linear/#t-websocketorderbook25 and
 *   https://bybit-exchange.github.io/docs-legacy/inverse/#t-websocketorderbook25
 *
 * Symbol naming (docs/NORMALIZATION.md): the venue symbol alone names the contract, so no
 * instrument metadata is needed:
 * - spot `BTCUSDT` -> `BTC-USDT`;
 * - linear `BTCUSDT` -> `BTC-USDT-PERP`; USDC perpetuals are called `BTCPERP` -> `BTC-USDC-PERP`;
 * - dated linear futures carry their expiry as DDMMMYY after a dash. USDT-settled ones keep the
 *   quote in the name (`BTCUSDT-26DEC25` -> `BTC-USDT-251226`); the bare `BTC-26DEC25` form is
 *   Bybit's USDC-settled future (it is listed beside `BTCUSDT-26DEC25` and `BTCPERP`), so it
 *   becomes `BTC-USDC-251226`, not `-USDT-`;
 * - anything else keeps its venue symbol as the normalized name (reported, never guessed).
 * Legacy v2: `BCHUSDT` on /realtime_public -> `BCH-USDT-PERP`; `BTCUSD` on /realtime ->
 * `BTC-USD-PERP-INV`; inverse quarterlies (`BTCUSDM21`) name only the expiry month, so they keep
 * their venue symbol.
 */
import type { Instrument, VenueId } from '../../../../src-shared/model/market.ts';
import type { ConnectionPlan, SessionContext, VenueSession, VenueSpec } from '../venue.ts';
import { chunk } from '../venue.ts';
import { connectionUrl } from '../venueUrl.ts';
import { BybitSession, bybitTopics } from './bybitSession.ts';
import type { BybitMarket } from './bybitSession.ts';
import { BybitLegacySession } from './bybitLegacySession.ts';
import { BYBIT_REST_URL, listBybitSymbols } from './bybitInstruments.ts';

/** Spot quote assets, longest first so "USDT" wins over "USD" and "USDC" over "USD". */
const SPOT_QUOTES = ['USDT', 'USDC', 'USDE', 'USDR', 'FDUSD', 'BTC', 'ETH', 'EUR', 'BRL', 'PLN', 'TRY', 'DAI', 'MNT', 'USD'].sort((a, b) => b.length - a.length);

const MONTHS: Record<string, string> = { JAN: '01', FEB: '02', MAR: '03', APR: '04', MAY: '05', JUN: '06', JUL: '07', AUG: '08', SEP: '09', OCT: '10', NOV: '11', DEC: '12' };

/** "27DEC24" -> "241227"; undefined when the text is not a DDMMMYY date. */
export function bybitExpiry(ddmmmyy: string): string | undefined {
  const m = /^(\d{2})([A-Z]{3})(\d{2})$/.exec(ddmmmyy);
  if (!m) return undefined;
  const month = MONTHS[m[2]!];
  return month === undefined ? undefined : `${m[3]}${month}${m[1]}`;
}

function keepVenueName(venue: VenueId, sym: string, kind: Instrument['kind'], inverse: boolean): Instrument {
  return { venue, venueSymbol: sym, symbol: sym, base: sym, quote: '', kind, inverse, priceScale: 0, sizeScale: 0 };
}

/** Name a Bybit v5 symbol. Scales start at 0 and widen on the first snapshot. */
export function bybitInstrument(venue: VenueId, market: BybitMarket, venueSymbol: string): Instrument {
  const sym = venueSymbol.toUpperCase();
  if (market === 'spot') {
    for (const q of SPOT_QUOTES) {
      if (sym.length > q.length && sym.endsWith(q)) {
        const base = sym.slice(0, -q.length);
        return { venue, venueSymbol: sym, symbol: `${base}-${q}`, base, quote: q, kind: 'spot', inverse: false, priceScale: 0, sizeScale: 0 };
      }
    }
    return keepVenueName(venue, sym, 'spot', false);
  }
  const dash = sym.indexOf('-');
  if (dash > 0) {
    const expiry = bybitExpiry(sym.slice(dash + 1));
    if (expiry === undefined) return keepVenueName(venue, sym, 'future', false);
    const head = sym.slice(0, dash);
    const [base, quote] = head.endsWith('USDT') && head.length > 4 ? [head.slice(0, -4), 'USDT'] : [head, 'USDC'];
    return { venue, venueSymbol: sym, symbol: `${base}-${quote}-${expiry}`, base, quote, kind: 'future', inverse: false, priceScale: 0, sizeScale: 0 };
  }
  if (sym.endsWith('USDT') && sym.length > 4) {
    const base = sym.slice(0, -4);
    return { venue, venueSymbol: sym, symbol: `${base}-USDT-PERP`, base, quote: 'USDT', kind: 'perpetual', inverse: false, priceScale: 0, sizeScale: 0 };
  }
  if (sym.endsWith('PERP') && sym.length > 4) {
    const base = sym.slice(0, -4);
    return { venue, venueSymbol: sym, symbol: `${base}-USDC-PERP`, base, quote: 'USDC', kind: 'perpetual', inverse: false, priceScale: 0, sizeScale: 0 };
  }
  return keepVenueName(venue, sym, 'perpetual', false);
}

/** Name a legacy v2 symbol (USDT perpetuals and inverse perpetuals). */
export function bybitLegacyInstrument(venueSymbol: string): Instrument {
  const sym = venueSymbol.toUpperCase();
  const venue: VenueId = 'bybit-legacy';
  if (sym.endsWith('USDT') && sym.length > 4) {
    const base = sym.slice(0, -4);
    return { venue, venueSymbol: sym, symbol: `${base}-USDT-PERP`, base, quote: 'USDT', kind: 'perpetual', inverse: false, priceScale: 0, sizeScale: 0 };
  }
  if (sym.endsWith('USD') && sym.length > 3) {
    const base = sym.slice(0, -3);
    return { venue, venueSymbol: sym, symbol: `${base}-USD-PERP-INV`, base, quote: 'USD', kind: 'perpetual', inverse: true, priceScale: 0, sizeScale: 0 };
  }
  return keepVenueName(venue, sym, 'future', true);
}

/** Exact host and one of the exact paths (no prefix match: /realtime must not claim /realtime_public). */
function urlIs(url: string, hosts: readonly string[], paths: readonly string[]): boolean {
  const u = URL.parse(url);
  if (u === null) return false;
  const path = u.pathname.replace(/\/+$/, '');
  return hosts.includes(u.hostname) && paths.includes(path);
}

/** Mainnet and the documented testnet host. */
const V5_HOSTS = ['stream.bybit.com', 'stream-testnet.bybit.com'];

/**
 * Symbols per connection. Two args per symbol (`orderbook.N.SYM`, `publicTrade.SYM`) of at most
 * ~40 characters keep 100 symbols far below the 21 000-character args budget; `plan` also checks
 * the budget itself. Keeping connections small bounds what one disconnect takes down.
 */
const SYMBOLS_PER_CONNECTION = 100;
/** Documented args budget per public connection. */
export const ARGS_CHARS_PER_CONNECTION = 21_000;
/**
 * New connections allowed per 5 minutes per WebSocket domain (stream.bybit.com); VenueLimits has
 * no connect-rate field yet, so it is exported here for the feed's connect scheduler to honour.
 */
export const CONNECTS_PER_5_MIN = 500;
/** Default book depth: 200 levels at 100 ms on spot and linear (1000 is 200 ms). */
export const DEFAULT_DEPTH = 200;

function makeV5Spec(market: BybitMarket): VenueSpec {
  const id: VenueId = market === 'spot' ? 'bybit-spot' : 'bybit-linear';
  const wsUrl = `wss://stream.bybit.com/v5/public/${market}`;
  return {
    id,
    label: market === 'spot' ? 'Bybit Spot' : 'Bybit Linear',
    docs: [
      'https://bybit-exchange.github.io/docs/v5/websocket/public/orderbook',
      'https://bybit-exchange.github.io/docs/v5/ws/connect',
      'https://bybit-exchange.github.io/docs/v5/websocket/public/trade',
      'https://bybit-exchange.github.io/docs/v5/rate-limit',
    ],
    snapshot: 'in-band',
    wsUrl,
    limits: {
      symbolsPerConnection: SYMBOLS_PER_CONNECTION,
      // No documented per-connection message rate; one subscribe batch per 10 args on spot and
      // one ping per 20 s stay well below what any venue in venues.md tolerates.
      controlMessagesPerSecond: 10,
      connectionLifetimeMs: 0,
      // orderbook.N pushes only on change; the 20 s ping/pong proves the socket. A connection
      // without a book message nor a pong for 30 s has missed at least one pong.
      staleAfterMs: 30_000,
    },
    depthCap: DEFAULT_DEPTH,
    instrument: (s) => bybitInstrument(id, market, s),
    plan(venueSymbols: string[], url?: string): ConnectionPlan[] {
      // A bare override host gets the category's path: spot and linear are told apart by the path
      // alone (`/v5/public/spot`, `/v5/public/linear`).
      const base = connectionUrl(url, wsUrl);
      const plans: ConnectionPlan[] = [];
      let current: string[] = [];
      let chars = 0;
      for (const raw of venueSymbols) {
        const s = raw.toUpperCase();
        const cost = bybitTopics(s, DEFAULT_DEPTH).reduce((n, t) => n + t.length, 0);
        if (current.length > 0 && (current.length >= SYMBOLS_PER_CONNECTION || chars + cost > ARGS_CHARS_PER_CONNECTION)) {
          plans.push({ id: `${id}#${plans.length}`, url: base, venueSymbols: current });
          current = [];
          chars = 0;
        }
        current.push(s);
        chars += cost;
      }
      if (current.length > 0) plans.push({ id: `${id}#${plans.length}`, url: base, venueSymbols: current });
      return plans;
    },
    createSession(ctx: SessionContext, plan: ConnectionPlan): VenueSession {
      return new BybitSession(ctx, plan, market, DEFAULT_DEPTH);
    },
    recognizes: (url) => urlIs(url, V5_HOSTS, [`/v5/public/${market}`]),
    // "symbols": "all": Trading instruments of the category (bybitInstruments.ts).
    listSymbols: (restBaseUrl) => listBybitSymbols(id, market, restBaseUrl ?? BYBIT_REST_URL),
  };
}

export const bybitSpot = makeV5Spec('spot');
export const bybitLinear = makeV5Spec('linear');

/**
 * LEGACY, not used live: Bybit retired the v2 `realtime_public` / `realtime` streams in favour of
 * v5. The spec exists so that `verify` can read the 2021 recordings; a live feed must use
 * bybit-spot / bybit-linear.
 */
export const bybitLegacy: VenueSpec = {
  id: 'bybit-legacy',
  label: 'Bybit v2 legacy (recordings only, not used live)',
  docs: [
    'https://bybit-exchange.github.io/docs-legacy/linear/#t-websocketorderbook25',
    'https://bybit-exchange.github.io/docs-legacy/inverse/#t-websocketorderbook25',
  ],
  snapshot: 'in-band',
  wsUrl: 'wss://stream.bybit.com/realtime_public',
  limits: {
    symbolsPerConnection: SYMBOLS_PER_CONNECTION,
    controlMessagesPerSecond: 10,
    connectionLifetimeMs: 0,
    staleAfterMs: 30_000,
  },
  depthCap: 25,
  instrument: (s) => bybitLegacyInstrument(s),
  plan(venueSymbols: string[], url?: string): ConnectionPlan[] {
    // USDT perpetuals lived on /realtime_public, inverse contracts on /realtime.
    const usdt = venueSymbols.map((s) => s.toUpperCase()).filter((s) => s.endsWith('USDT'));
    const inverse = venueSymbols.map((s) => s.toUpperCase()).filter((s) => !s.endsWith('USDT'));
    const groups: [string, string[]][] = [
      ...chunk(usdt, SYMBOLS_PER_CONNECTION).map((g): [string, string[]] => ['wss://stream.bybit.com/realtime_public', g]),
      ...chunk(inverse, SYMBOLS_PER_CONNECTION).map((g): [string, string[]] => ['wss://stream.bybit.com/realtime', g]),
    ];
    return groups.map(([u, syms], i) => ({ id: `bybit-legacy#${i}`, url: url ?? u, venueSymbols: syms }));
  },
  createSession(ctx: SessionContext, plan: ConnectionPlan): VenueSession {
    return new BybitLegacySession(ctx, plan);
  },
  recognizes: (url) => urlIs(url, ['stream.bybit.com'], ['/realtime_public', '/realtime']),
};
