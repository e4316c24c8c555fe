/**
 * BitMEX: endpoint, limits, instrument naming.
 *
 * Docs followed:
 * - https://www.bitmex.com/app/wsAPI (wss://ws.bitmex.com/realtime; the 2021 recordings used
 *   wss://www.bitmex.com/realtime; subscriptions are "not rate-limited once connected")
 * - https://blog.bitmex.com/site_announcement/rate-limiting-websocket-connections/ (connects:
 *   token bucket, burst 20 per hour -- the welcome frame reports `limit.remaining`)
 * - https://www.bitmex.com/app/contract/XBTUSD, https://www.bitmex.com/app/futuresGuide
 *   (contract types; quarterly futures settle on the last Friday of the contract month, 12:00 UTC)
 *
 * Symbols and their normalized names (XBT is BTC):
 * - inverse perpetual "XBTUSD" -> BTC-USD-PERP-INV (also XBTEUR -> BTC-EUR-PERP-INV);
 * - linear perpetual "LINKUSDT" -> LINK-USDT-PERP (USDT- or USDC-margined, quoted in it);
 * - inverse future "XBTM21" -> BTC-USD-210625-INV: the futures month code (F G H J K M N Q U V X
 *   Z = January..December) and two-digit year name the month, and the expiry day is that month's
 *   last Friday, derived here rather than looked up;
 * - linear future "XBTUSDTM21" -> BTC-USDT-210625; XBT-quoted futures "ADAM21" -> ADA-BTC-210625;
 * - spot "XBT_USDT" -> BTC-USDT.
 * Quanto contracts ("ETHUSD", "BCHUSD", "ETHUSDM21": USD-quoted, settled in XBT at a fixed
 * multiplier) are neither inverse nor linear, and the normalized scheme has no kind for them: they
 * keep the venue symbol as their name, so that no quanto book is ever merged with a USD-linear one
 * in a cross-venue view. Anything else (weekly "XBT7D_U105"...) keeps the venue symbol too.
 */
import type { Instrument } from '../../../../src-shared/model/market.ts';
import type { ConnectionPlan, SessionContext, VenueSession, VenueSpec } from '../venue.ts';
import { chunk } from '../venue.ts';
import { connectionUrl, hostIn } from '../venueUrl.ts';
import { BitmexSession } from './bitmexSession.ts';
import { BITMEX_REST_URL, listBitmexSymbols } from './bitmexInstruments.ts';

export const BITMEX_WS_URL = 'wss://ws.bitmex.com/realtime';

const HOSTS = new Set(['ws.bitmex.com', 'www.bitmex.com', 'testnet.bitmex.com', 'ws.testnet.bitmex.com']);

/**
 * Symbols per connection (two topics each). BitMEX documents no topic cap; connects are the scarce
 * resource (20 per hour), so connections carry many symbols.
 */
const SYMBOLS_PER_CONNECTION = 100;

const MONTH_CODES = 'FGHJKMNQUVXZ';
const FIATS = new Set(['USD', 'EUR']);

/** The last Friday of a month, as YYMMDD (`year` full, `month` 1-12). */
export function lastFridayYymmdd(year: number, month: number): string {
  // Day 0 of the next month is the last day of this one (UTC, no local time involved).
  const last = new Date(Date.UTC(year, month, 0));
  const back = (last.getUTCDay() - 5 + 7) % 7;
  const day = last.getUTCDate() - back;
  return `${String(year % 100).padStart(2, '0')}${String(month).padStart(2, '0')}${String(day).padStart(2, '0')}`;
}

/** "M21" -> "210625" (June 2021's last Friday); undefined when not a futures month code. */
export function bitmexExpiry(code: string): string | undefined {
  const m = /^([FGHJKMNQUVXZ])(\d{2})$/.exec(code);
  if (!m) return undefined;
  return lastFridayYymmdd(2000 + Number(m[2]), MONTH_CODES.indexOf(m[1]!) + 1);
}

function asset(code: string): string {
  return code === 'XBT' ? 'BTC' : code;
}

export function bitmexInstrument(symbol: string): Instrument {
  const s = symbol.toUpperCase();
  const base = (b: string, quote: string, name: string, kind: Instrument['kind'], inverse: boolean): Instrument => ({ venue: 'bitmex', venueSymbol: s, symbol: name, base: asset(b), quote: asset(quote), kind, inverse, priceScale: 0, sizeScale: 0 });
  const keep = (kind: Instrument['kind']): Instrument => base(s, '', s, kind, false);
  const spot = /^([A-Z]+)_([A-Z]+)$/.exec(s);
  if (spot) return base(spot[1]!, spot[2]!, `${asset(spot[1]!)}-${asset(spot[2]!)}`, 'spot', false);
  // Optional futures month code at the end.
  const fut = /^([A-Z0-9]+?)([FGHJKMNQUVXZ]\d{2})$/.exec(s);
  const stem = fut ? fut[1]! : s;
  const expiry = fut ? bitmexExpiry(fut[2]!) : undefined;
  const tail = expiry ?? 'PERP';
  const kind: Instrument['kind'] = expiry ? 'future' : 'perpetual';
  for (const q of ['USDT', 'USDC']) {
    if (stem.length > q.length && stem.endsWith(q)) {
      const b = stem.slice(0, -q.length);
      return base(b, q, `${asset(b)}-${q}-${tail}`, kind, false);
    }
  }
  if (stem.startsWith('XBT')) {
    const q = stem.slice(3);
    if (FIATS.has(q)) return base('XBT', q, `BTC-${q}-${tail}-INV`, kind, true);
    // A bare "XBT" + month code is the USD inverse future.
    if (q === '' && expiry !== undefined) return base('XBT', 'USD', `BTC-USD-${expiry}-INV`, 'future', true);
    return keep(kind);
  }
  for (const q of FIATS) {
    // ETHUSD, BCHUSD, ETHUSDM21: quanto (see the header).
    if (stem.length > q.length && stem.endsWith(q)) return { ...base(stem.slice(0, -q.length), q, s, kind, false) };
  }
  // ADAM21, TRXU21: quoted and settled in XBT.
  if (expiry !== undefined && /^[A-Z0-9]+$/.test(stem)) return base(stem, 'XBT', `${asset(stem)}-BTC-${expiry}`, 'future', false);
  return keep(kind);
}

export const bitmex: VenueSpec = {
  id: 'bitmex',
  label: 'BitMEX',
  docs: [
    'https://www.bitmex.com/app/wsAPI',
    'https://www.bitmex.com/api/explorer/#!/OrderBook',
    'https://blog.bitmex.com/site_announcement/rate-limiting-websocket-connections/',
    'https://www.bitmex.com/app/futuresGuide',
  ],
  snapshot: 'in-band',
  wsUrl: BITMEX_WS_URL,
  limits: {
    symbolsPerConnection: SYMBOLS_PER_CONNECTION,
    // Commands on an open socket are not rate-limited by BitMEX; a modest pace all the same.
    controlMessagesPerSecond: 10,
    connectionLifetimeMs: 0,
    // "ping" every 5 s is answered with "pong": three missed answers mean the socket is dead.
    staleAfterMs: 15_000,
  },
  depthCap: 0,
  instrument: bitmexInstrument,
  plan(venueSymbols: string[], wsUrl?: string): ConnectionPlan[] {
    const url = connectionUrl(wsUrl, BITMEX_WS_URL);
    return chunk(venueSymbols.map((s) => s.toUpperCase()), SYMBOLS_PER_CONNECTION).map((syms, i) => ({ id: `bitmex#${i}`, url, venueSymbols: syms }));
  },
  createSession(ctx: SessionContext, plan: ConnectionPlan): VenueSession {
    return new BitmexSession(ctx, plan);
  },
  recognizes: (url) => hostIn(url, HOSTS, '/realtime'),
  // "symbols": "all": Open instruments of instrument/active, indices left out (bitmexInstruments.ts).
  listSymbols: (restBaseUrl) => listBitmexSymbols(restBaseUrl ?? BITMEX_REST_URL),
};
