/**
 * Binance spot / Binance.US / USD-M / COIN-M as a local replay venue (ReplayProtocol).
 *
 * Docs followed (venues.md sections 3 and 4):
 * - https://github.com/binance/binance-spot-api-docs/blob/master/web-socket-streams.md
 *   combined streams `/stream?streams=a/b/c` (frames wrapped as {"stream","data"}), live
 *   SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS answered {"result":...,"id":N}, errors
 *   {"error":{"code","msg"},"id"}; "5 incoming messages per second" (futures: 10), over it the
 *   connection is dropped.
 * - https://github.com/binance/binance-spot-api-docs/blob/master/rest-api.md `GET /api/v3/depth`:
 *   limit default 100, max 5000 (larger values are capped), weight 5/25/50/250 by limit;
 *   `X-MBX-USED-WEIGHT-1M` on every answer; 429 / 418 with Retry-After; error bodies
 *   {"code":-1121,"msg":"Invalid symbol."}, {"code":-1003,...}.
 * - https://developers.binance.com/docs/derivatives/usds-margined-futures/market-data/rest-api/Order-Book
 *   (and the COIN-M page): limit in {5,10,20,50,100,500,1000}, default 500, weight 2/5/10/20;
 *   the answer adds `E` (message time) and `T` (transaction time).
 *
 * The recordings were captured on combined streams, so every recorded frame names its stream:
 * that name gives the symbol and channel. Channel families: every diff-depth cadence is "depth"
 * (the USD-M capture is `@depth@0ms`, the engine asks `@depth@100ms`), `trade` and `aggTrade`
 * are "trade", partial depth is "depth5|10|20", anything else keeps its stream suffix.
 * Only the combined-stream path is served; raw `/ws/<stream>` connections are refused (404).
 */
import { formatFixed } from '../../../../src-shared/model/decimal.ts';
import type { ReplayProtocol, ReplayTopic, RestAnswer, SnapshotAsk } from '../../replay/replayProtocol.ts';
import type { BookSide } from '../../book/orderBook.ts';
import type { SymbolBook } from '../../sync/symbolBook.ts';
import type { VenueSpec } from '../venue.ts';
import type { BinanceMarket } from './binanceSession.ts';
import { binanceInstrumentsAnswer } from './binanceInstruments.ts';

const STREAM_RE = /^\{"stream":"([a-z0-9_]+)@([^"]+)"/;

/** Channel family of a stream suffix ("depth@100ms" -> "depth"). */
export function binanceChannel(suffix: string): string {
  if (/^depth(@\d+ms)?$/.test(suffix)) return 'depth';
  const partial = /^depth(5|10|20)(@\d+ms)?$/.exec(suffix);
  if (partial) return `depth${partial[1]}`;
  if (suffix === 'trade' || suffix === 'aggTrade') return 'trade';
  return suffix;
}

/** "btcusdt@depth@100ms" -> topic, undefined when it is not a stream name. */
function parseStream(name: string): ReplayTopic | undefined {
  const at = name.indexOf('@');
  if (at <= 0) return undefined;
  return { symbol: name.slice(0, at).toUpperCase(), channel: binanceChannel(name.slice(at + 1)) };
}

function error(code: number, msg: string, id: unknown): string {
  return JSON.stringify({ error: { code, msg }, id: id ?? null });
}

const FUTURES_LIMITS = [5, 10, 20, 50, 100, 500, 1000];

/** Spot weight by limit (rest-api.md, "Order book"). */
function spotWeight(limit: number): number {
  return limit <= 100 ? 5 : limit <= 500 ? 25 : limit <= 1000 ? 50 : 250;
}

/** Futures weight by limit (USD-M and COIN-M "Order Book" pages). */
function futuresWeight(limit: number): number {
  return limit <= 50 ? 2 : limit <= 100 ? 5 : limit <= 500 ? 10 : 20;
}

function sideText(side: BookSide, limit: number, ps: number, ss: number): string {
  const k = Math.min(limit, side.count);
  const parts: string[] = [];
  for (let i = 0; i < k; i++) parts.push(`["${formatFixed(side.priceAt(i), ps)}","${formatFixed(side.sizeAtLevel(i), ss)}"]`);
  return `[${parts.join(',')}]`;
}

export function binanceReplay(spec: VenueSpec, market: BinanceMarket): ReplayProtocol {
  const rest = spec.rest;
  if (rest === undefined) throw new Error(`${spec.id} has no REST spec`);
  // The REST path comes from the venue spec, so the engine and the replay always agree on it.
  const depthPath = new URL(rest.snapshotPath('BTCUSDT'), 'http://replay').pathname;
  const futures = market !== 'spot';

  const route = (url: URL): SnapshotAsk | RestAnswer | undefined => {
    if (url.pathname !== depthPath) return undefined;
    const symbol = url.searchParams.get('symbol');
    if (symbol === null || !/^[A-Z0-9_\-.]{1,20}$/.test(symbol)) {
      return { status: 400, body: JSON.stringify({ code: -1102, msg: "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed." }) };
    }
    const limitText = url.searchParams.get('limit');
    let limit = limitText === null ? (futures ? 500 : 100) : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || (futures && !FUTURES_LIMITS.includes(limit))) {
      return { status: 400, body: JSON.stringify({ code: -1130, msg: "Data sent for parameter 'limit' is not valid." }) };
    }
    // Spot caps larger limits at 5000 instead of refusing them.
    if (!futures) limit = Math.min(limit, 5000);
    return { symbol, limit, weight: futures ? futuresWeight(limit) : spotWeight(limit) };
  };

  return {
    venue: spec.id,
    // exchangeInfo with the recorded symbols ("symbols": "all" against a replay).
    instruments: (req, symbols) => binanceInstrumentsAnswer(spec.id, market, req, symbols),
    clientFramesPerSecond: spec.limits.controlMessagesPerSecond,
    topicOf(raw: string): ReplayTopic | undefined {
      const m = STREAM_RE.exec(raw);
      if (m === null) return undefined;
      return { symbol: m[1]!.toUpperCase(), channel: binanceChannel(m[2]!) };
    },
    isBookChannel: (channel) => channel === 'depth',
    connect(url: URL) {
      if (!url.pathname.endsWith('/stream')) {
        return { refuse: { status: 404, message: `only combined streams (/stream?streams=...) are served by this replay, not ${url.pathname}` } };
      }
      const streams = url.searchParams.get('streams');
      const topics: ReplayTopic[] = [];
      for (const name of streams ? streams.split('/') : []) {
        const t = parseStream(name);
        if (t !== undefined) topics.push(t);
      }
      return { topics };
    },
    clientFrame(raw: string, current: readonly ReplayTopic[]) {
      let msg: { method?: unknown; params?: unknown; id?: unknown };
      try {
        msg = JSON.parse(raw);
      } catch {
        return { replies: [error(3, 'Invalid JSON: expected value at line 1 column 1', null)] };
      }
      const id = msg.id;
      if (msg.method === 'LIST_SUBSCRIPTIONS') {
        return { replies: [JSON.stringify({ result: current.map((t) => `${t.symbol.toLowerCase()}@${t.channel}`), id })] };
      }
      if (msg.method !== 'SUBSCRIBE' && msg.method !== 'UNSUBSCRIBE') {
        return { replies: [error(2, `Invalid request: unknown method ${JSON.stringify(msg.method)}`, id)] };
      }
      if (!Array.isArray(msg.params) || !msg.params.every((p) => typeof p === 'string')) {
        return { replies: [error(2, "Invalid request: 'params' must be an array of stream names", id)] };
      }
      const topics = (msg.params as string[]).map(parseStream).filter((t): t is ReplayTopic => t !== undefined);
      const ack = JSON.stringify({ result: null, id });
      return msg.method === 'SUBSCRIBE' ? { subscribe: topics, replies: [ack] } : { unsubscribe: topics, replies: [ack] };
    },
    rest: {
      route,
      snapshotBody(ref: SymbolBook, limit: number): string {
        const b = ref.book;
        const bids = sideText(b.bids, limit, b.priceScale, b.sizeScale);
        const asks = sideText(b.asks, limit, b.priceScale, b.sizeScale);
        if (!futures) return `{"lastUpdateId":${ref.seq},"bids":${bids},"asks":${asks}}`;
        const t = ref.lastExchTsMs;
        return `{"lastUpdateId":${ref.seq},"E":${t},"T":${t},"bids":${bids},"asks":${asks}}`;
      },
      unknownSymbol: () => ({ status: 400, body: JSON.stringify({ code: -1121, msg: 'Invalid symbol.' }) }),
      refusalBody(status: number, retryAfterSec: number): string {
        if (status === 418) {
          return JSON.stringify({ code: -1003, msg: `Way too many requests; IP banned until ${Date.now() + retryAfterSec * 1000}. Please use the websocket for live updates to avoid bans.` });
        }
        if (status === 429) {
          return JSON.stringify({ code: -1003, msg: `Too many requests; current limit of IP is ${rest.weightPerWindow} requests per minute. Please use the websocket for live updates to avoid polling the API.` });
        }
        return JSON.stringify({ code: -1001, msg: 'Internal error; unable to process your request. Please try again.' });
      },
      usedWeightHeader: rest.usedWeightHeader,
      weightWindowMs: rest.windowMs,
    },
  };
}
