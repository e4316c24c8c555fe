/**
 * Gate v4 (spot and USDT futures) as a local replay venue (ReplayProtocol).
 *
 * Docs followed (venues.md section 14.1, gateSession.ts):
 * - requests `{"time","channel","event":"subscribe"|"unsubscribe","payload":[...]}`, acks
 *   `{"time","channel","event":"subscribe","result":{"status":"success"}}` (as recorded);
 *   `spot.ping` / `futures.ping` -> `spot.pong` / `futures.pong`;
 * - `*.order_book_update` payload `[name, interval]` (one pair per request), `*.trades` payload
 *   `[names...]`;
 * - REST `GET /api/v4/spot/order_book?currency_pair=&limit=&with_id=true` -> `{id, current,
 *   update, asks:[["p","q"]], bids}` and `GET /api/v4/futures/usdt/order_book?contract=...` ->
 *   `{id, current, update, asks:[{"p":"0.2974","s":803}], bids}` (sizes are JSON numbers, in
 *   contracts); limit at most 100 here (the `with_id` snapshots the engine aligns with); errors
 *   `{"label","message"}`; 200 requests per 10 s per endpoint.
 *
 * Topics: spot books are the pair ("BTC_USDT"), futures books "usdt/BTC_USDT" (gateSymbol.ts);
 * channel families "depth", "trade", "ticker", "candles", "book_ticker". Recorded futures frames
 * are taken as USDT-settled (the only futures recording is /v4/ws/usdt). A snapshot without
 * `with_id=true` is refused here: without `id` it cannot be aligned, which is all the engine
 * would do with it.
 */
import { formatScaled } from '../../../../src-shared/model/decimal.ts';
import type { BookSide } from '../../book/orderBook.ts';
import type { ClientFrameResult, ReplayProtocol, ReplayTopic, RestAnswer, SnapshotAsk } from '../../replay/replayProtocol.ts';
import type { SymbolBook } from '../../sync/symbolBook.ts';
import { gate } from './gateSpec.ts';
import { gateVenueSymbol, parseGateSymbol } from './gateSymbol.ts';
import type { GateMarket } from './gateSymbol.ts';
import { gateInstrumentsAnswer } from './gateInstruments.ts';

const MAX_LIMIT = 100;

interface Frame {
  time?: number;
  channel?: string;
  event?: string;
  payload?: unknown;
  result?: unknown;
}

function marketOf(channel: string): GateMarket | undefined {
  if (channel.startsWith('spot.')) return 'spot';
  if (channel.startsWith('futures.')) return 'futures';
  return undefined;
}

function familyOf(channel: string): string | undefined {
  const name = channel.slice(channel.indexOf('.') + 1);
  if (name === 'order_book_update') return 'depth';
  if (name === 'trades') return 'trade';
  if (name === 'tickers') return 'ticker';
  if (name === 'candlesticks') return 'candles';
  if (name === 'book_ticker') return 'book_ticker';
  return undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Symbol named by one recorded `result` object. */
function resultName(channel: string, r: Record<string, unknown>): string | undefined {
  const family = familyOf(channel);
  if (family === 'depth' || family === 'book_ticker') return str(r['s']);
  if (family === 'trade') return str(r['currency_pair']) ?? str(r['contract']);
  if (family === 'ticker') return str(r['currency_pair']) ?? str(r['contract']);
  if (family === 'candles') {
    // "n":"1m_FRONT_USDT"
    const n = str(r['n']);
    return n === undefined ? undefined : n.slice(n.indexOf('_') + 1);
  }
  return undefined;
}

function levels(side: BookSide, limit: number, ps: number, ss: number, futures: boolean): string {
  const k = Math.min(limit, side.count);
  const parts: string[] = [];
  for (let i = 0; i < k; i++) {
    const p = formatScaled(side.priceAt(i), ps);
    const q = formatScaled(side.sizeAtLevel(i), ss);
    parts.push(futures ? `{"p":"${p}","s":${q}}` : `["${p}","${q}"]`);
  }
  return `[${parts.join(',')}]`;
}

function ack(f: Frame): string {
  return JSON.stringify({ time: f.time ?? Math.floor(Date.now() / 1000), channel: f.channel, event: f.event, result: { status: 'success' } });
}

function gateError(status: number, label: string, message: string): RestAnswer {
  return { status, body: JSON.stringify({ label, message }) };
}

export function gateReplay(): ReplayProtocol {
  const route = (url: URL): SnapshotAsk | RestAnswer | undefined => {
    const futures = /^\/api\/v4\/futures\/([a-z]+)\/order_book$/.exec(url.pathname);
    if (url.pathname !== '/api/v4/spot/order_book' && futures === null) return undefined;
    const name = url.searchParams.get(futures ? 'contract' : 'currency_pair');
    if (name === null || !/^[A-Z0-9_]{1,40}$/.test(name)) return gateError(400, 'INVALID_PARAM_VALUE', `missing or malformed ${futures ? 'contract' : 'currency_pair'}`);
    if (url.searchParams.get('with_id') !== 'true') return gateError(400, 'INVALID_PARAM_VALUE', 'this replay serves with_id=true snapshots only');
    const limit = Number(url.searchParams.get('limit') ?? '10');
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) return gateError(400, 'INVALID_PARAM_VALUE', `limit must be 1..${MAX_LIMIT}`);
    const symbol = futures ? gateVenueSymbol('futures', futures[1]!, name) : name;
    return { symbol, limit, weight: 1 };
  };

  return {
    venue: 'gate',
    // The spot pairs and USDT contracts lists with the recorded symbols ("symbols": "all" against a replay).
    instruments: gateInstrumentsAnswer,
    // No client message limit is documented in the sources read (gateSpec.ts throttles itself to
    // 10/s as a courtesy), so the replay enforces none.
    topicOf(raw: string): ReplayTopic | undefined {
      let f: Frame;
      try {
        f = JSON.parse(raw) as Frame;
      } catch {
        return undefined;
      }
      const channel = f.channel ?? '';
      const market = marketOf(channel);
      const family = familyOf(channel);
      if (f.event !== 'update' || market === undefined || family === undefined) return undefined;
      const r = Array.isArray(f.result) ? f.result[0] : f.result;
      if (r === null || typeof r !== 'object') return undefined;
      const name = resultName(channel, r as Record<string, unknown>);
      return name === undefined ? undefined : { symbol: gateVenueSymbol(market, 'usdt', name), channel: family };
    },
    isBookChannel: (channel) => channel === 'depth',
    connect(url: URL) {
      if (url.pathname === '/ws/v4/' || url.pathname === '/ws/v4' || /^\/v4\/ws\/[a-z]+\/?$/.test(url.pathname)) return { topics: [] };
      return { refuse: { status: 404, message: `Gate serves /ws/v4/ (spot) and /v4/ws/{settle} (futures), not ${url.pathname}` } };
    },
    clientFrame(raw: string): ClientFrameResult {
      let f: Frame;
      try {
        f = JSON.parse(raw) as Frame;
      } catch {
        return { replies: [JSON.stringify({ error: { code: 2, message: 'invalid request: not JSON' }, result: null })] };
      }
      const channel = f.channel ?? '';
      const market = marketOf(channel);
      if (channel.endsWith('.ping') && market !== undefined) {
        return { replies: [JSON.stringify({ time: f.time ?? Math.floor(Date.now() / 1000), channel: `${market}.pong`, event: '', result: null })] };
      }
      const family = familyOf(channel);
      if ((f.event !== 'subscribe' && f.event !== 'unsubscribe') || market === undefined || family === undefined || !Array.isArray(f.payload)) {
        return { replies: [JSON.stringify({ time: f.time, channel, event: f.event, error: { code: 2, message: `unknown channel or event ${channel} ${String(f.event)}` }, result: null })] };
      }
      const payload = f.payload.filter((p): p is string => typeof p === 'string');
      // order_book_update: [name, interval]; trades and the others: [names...].
      const names = family === 'depth' ? payload.slice(0, 1) : family === 'candles' ? payload.slice(1) : payload;
      const topics = names.map((n) => ({ symbol: gateVenueSymbol(market, 'usdt', n), channel: family }));
      return f.event === 'subscribe' ? { subscribe: topics, replies: [ack(f)] } : { unsubscribe: topics, replies: [ack(f)] };
    },
    rest: {
      route,
      snapshotBody(ref: SymbolBook, limit: number): string {
        const b = ref.book;
        const futures = parseGateSymbol(ref.symbol).market === 'futures';
        const t = ref.lastExchTsMs;
        const asks = levels(b.asks, limit, b.priceScale, b.sizeScale, futures);
        const bids = levels(b.bids, limit, b.priceScale, b.sizeScale, futures);
        // Spot times are ms, futures times seconds with ms decimals (as recorded).
        const time = futures ? (t / 1000).toFixed(3) : String(t);
        return `{"id":${ref.seq},"current":${time},"update":${time},"asks":${asks},"bids":${bids}}`;
      },
      unknownSymbol: (symbol) => gateError(400, parseGateSymbol(symbol).market === 'spot' ? 'INVALID_CURRENCY_PAIR' : 'CONTRACT_NOT_FOUND', `${symbol} is not in the replayed recording`),
      refusalBody: (status) => JSON.stringify(status === 429 ? { label: 'TOO_MANY_REQUESTS', message: 'Request Rate limit Exceeded' } : { label: 'SERVER_ERROR', message: 'Internal server error' }),
      weightWindowMs: gate.rest!.windowMs,
    },
  };
}
