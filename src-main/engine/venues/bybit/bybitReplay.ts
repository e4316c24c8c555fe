/**
 * Bybit v5 public spot and linear as a local replay venue (ReplayProtocol).
 *
 * Docs followed (venues.md section 5):
 * - https://bybit-exchange.github.io/docs/v5/ws/connect ("How to Subscribe to Topics",
 *   "Understanding the Subscription Response", "How to Send the Heartbeat Packet"):
 *   `{"req_id","op":"subscribe"|"unsubscribe","args":[...]}`; spot takes at most 10 args per
 *   request; `{"req_id","op":"ping"}` is answered `{"success":true,"ret_msg":"pong",...,"op":"ping"}`.
 *   The subscription answer differs by category, and the recording shows both:
 *   linear `{"success":true,"ret_msg":"","conn_id":"…","req_id":"","op":"subscribe"}` (req_id
 *   always there, "" when the client sent none), spot
 *   `{"success":true,"ret_msg":"subscribe","conn_id":"…","op":"subscribe"}` (req_id only when the
 *   client sent one: the docs' spot example carries "10001", the recorded answer to a request
 *   without req_id has none).
 * - https://bybit-exchange.github.io/docs/v5/websocket/public/orderbook: the first message after
 *   subscribe is a `snapshot` of the topic's depth (1/50/200/1000), then deltas; `u`, `seq`, `cts`.
 * - Refusals are not documented; their wording is the live API's as reported by clients that
 *   probed it: `error:handler not found,topic:<arg>` for a topic the category does not serve
 *   (unknown family, depth or lower-case symbol), `error:already subscribed,topic:<arg>` for a
 *   repeat, `args size >10` on spot, `error:invalid op`. A refused request subscribes nothing
 *   (clients resend its other args), and names the first refused arg.
 *
 * Recorded frames name their topic (`orderbook.200.BTCUSDT`): the last dot-separated part is the
 * symbol, the rest the channel (`orderbook.200`, `publicTrade`, `kline.1`). Depths are distinct
 * channels: each depth is its own stream with its own `u` chain, so `orderbook.50.X` is not
 * served from a recorded `orderbook.200.X`. Recorded subscription answers are not replayed (the
 * server answers the engine's own requests).
 *
 * A client that (re)subscribes a book mid-stream gets a `snapshot` cut from the reference book:
 * the top `depth` levels per side, with the `u`, `seq`, `ts` and `cts` of the last recorded
 * message of that topic (the one that put the reference in its state), so the next recorded delta
 * (`u + 1`) applies on top of it, exactly as after Bybit's own snapshot. Numbers are written the
 * way that message wrote them (spot trims trailing zeros, linear keeps the tick's decimals), and
 * so is the key order (`ts` before or after `type`, which differs by category and depth).
 *
 * The legacy v2 feed (`bybit-legacy`, /realtime_public and /realtime) is recordings-only: it is
 * never used live, so it has no replay server (`depthdesk verify` reads its recordings).
 */
import { formatScaled, formatWithDecimals } from '../../../../src-shared/model/decimal.ts';
import type { BookSide } from '../../book/orderBook.ts';
import type { ClientFrameResult, ReplayProtocol, ReplayTopic } from '../../replay/replayProtocol.ts';
import type { SymbolBook } from '../../sync/symbolBook.ts';
import type { VenueSpec } from '../venue.ts';
import type { BybitMarket } from './bybitSession.ts';
import { bybitInstrumentsAnswer } from './bybitInstruments.ts';

/** Book depths served per category (orderbook page: 1, 50, 200, 1000 on spot and linear). */
const BOOK_DEPTHS = new Set(['1', '50', '200', '1000']);
/** Kline intervals (kline page): minutes, day, week, month. */
const KLINE_INTERVALS = new Set(['1', '3', '5', '15', '30', '60', '120', '240', '360', '720', 'D', 'W', 'M']);
/** Spot: at most 10 args per subscribe request (connect page, "Public channel - Args limits"). */
const SPOT_ARGS_PER_REQUEST = 10;
/** Upper-case symbols, dated futures with their DDMMMYY suffix (`BTCUSDT-26DEC25`, `BTC-26DEC25`). */
const SYMBOL_RE = /^[A-Z0-9]+(?:-\d{2}[A-Z]{3}\d{2})?$/;
const TOPIC_RE = /^\{"topic":"([^"]+)"/;

/** "orderbook.200.BTCUSDT" -> { symbol: "BTCUSDT", channel: "orderbook.200" }; undefined without a dot. */
export function bybitTopic(arg: string): ReplayTopic | undefined {
  const dot = arg.lastIndexOf('.');
  if (dot <= 0 || dot === arg.length - 1) return undefined;
  return { symbol: arg.slice(dot + 1), channel: arg.slice(0, dot) };
}

/** The topic of a subscribe arg if the category serves it, else undefined ("handler not found"). */
function servedTopic(arg: string, market: BybitMarket): ReplayTopic | undefined {
  const t = bybitTopic(arg);
  if (t === undefined || !SYMBOL_RE.test(t.symbol)) return undefined;
  const [family, param, extra] = t.channel.split('.');
  if (extra !== undefined) return undefined;
  if (family === 'orderbook') return param !== undefined && BOOK_DEPTHS.has(param) ? t : undefined;
  if (family === 'kline') return param !== undefined && KLINE_INTERVALS.has(param) ? t : undefined;
  if (param !== undefined) return undefined;
  if (family === 'publicTrade' || family === 'tickers') return t;
  // All-liquidation covers contracts only (linear and inverse).
  if (family === 'allLiquidation') return market === 'linear' ? t : undefined;
  return undefined;
}

/** Digits after the point of the longest-fractioned non-zero number among `texts` (-1 when none). */
function decimalsOf(texts: string[]): number {
  let max = -1;
  for (const s of texts) {
    if (/^0*\.?0*$/.test(s)) continue; // a delete ("0") says nothing about the precision
    const dot = s.indexOf('.');
    max = Math.max(max, dot < 0 ? 0 : s.length - dot - 1);
  }
  return max;
}

interface LastBookMessage {
  ts?: unknown;
  cts?: unknown;
  data?: { b?: unknown; a?: unknown; seq?: unknown };
}

function levelTexts(v: unknown, i: 0 | 1): string[] {
  if (!Array.isArray(v)) return [];
  return v.map((l) => (Array.isArray(l) && typeof l[i] === 'string' ? l[i] : '')).filter((x) => x !== '');
}

/** `[["price","size"],...]` for the best `depth` levels of a side. */
function sideText(side: BookSide, depth: number, fmtPrice: (m: number) => string, fmtSize: (m: number) => string): string {
  const n = Math.min(depth, side.count);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(`["${fmtPrice(side.priceAt(i))}","${fmtSize(side.sizeAtLevel(i))}"]`);
  return `[${parts.join(',')}]`;
}

export function bybitReplay(spec: VenueSpec, market: BybitMarket): ReplayProtocol {
  const path = new URL(spec.wsUrl).pathname;

  /** The answer to a subscribe / unsubscribe / ping request, in the category's own shape. */
  const answer = (op: string, success: boolean, retMsg: string, reqId: string | undefined, client: number | undefined): string => {
    const connId = JSON.stringify(`depthdesk-replay-${client ?? 0}`);
    if (market === 'linear') {
      return `{"success":${success},"ret_msg":${JSON.stringify(retMsg)},"conn_id":${connId},"req_id":${JSON.stringify(reqId ?? '')},"op":${JSON.stringify(op)}}`;
    }
    const req = reqId === undefined ? '' : `"req_id":${JSON.stringify(reqId)},`;
    return `{"success":${success},"ret_msg":${JSON.stringify(retMsg)},"conn_id":${connId},${req}"op":${JSON.stringify(op)}}`;
  };

  return {
    venue: spec.id,
    // instruments-info with the recorded symbols of this category ("symbols": "all" against a replay).
    instruments: (req, symbols) => bybitInstrumentsAnswer(spec.id, market, req, symbols),
    topicOf(raw: string): ReplayTopic | undefined {
      const m = TOPIC_RE.exec(raw);
      return m === null ? undefined : bybitTopic(m[1]!);
    },
    isBookChannel: (channel) => channel.startsWith('orderbook.'),
    connect(url: URL) {
      if (url.pathname.replace(/\/+$/, '') !== path) {
        return { refuse: { status: 404, message: `the ${spec.id} replay serves ${path}, not ${url.pathname}` } };
      }
      return { topics: [] };
    },
    clientFrame(raw: string, current: readonly ReplayTopic[], client?: number): ClientFrameResult {
      let msg: unknown;
      try {
        msg = JSON.parse(raw);
      } catch (e) {
        // The live API answers undecodable text and keeps the socket open.
        return { replies: [`{"success":false,"ret_msg":${JSON.stringify(`Failed to decode incoming data: ${(e as Error).message}`)},"conn_id":"depthdesk-replay-${client ?? 0}","op":""}`] };
      }
      const m = (msg !== null && typeof msg === 'object' && !Array.isArray(msg) ? msg : {}) as { op?: unknown; req_id?: unknown; args?: unknown };
      const reqId = m.req_id === undefined ? undefined : String(m.req_id);
      const op = typeof m.op === 'string' ? m.op : '';
      if (op === 'ping') return { replies: [answer('ping', true, 'pong', reqId, client)] };
      if (op !== 'subscribe' && op !== 'unsubscribe') return { replies: [answer(op, false, 'error:invalid op', reqId, client)] };
      const args = Array.isArray(m.args) ? m.args.map(String) : [];
      // Spot answers a successful request with the op's name, linear with an empty ret_msg.
      const ok = market === 'spot' ? op : '';
      if (op === 'unsubscribe') {
        const have = new Set(current.map((t) => `${t.channel}.${t.symbol}`));
        const topics = args.filter((a) => have.has(a)).map((a) => bybitTopic(a)!);
        return { unsubscribe: topics, replies: [answer(op, true, ok, reqId, client)] };
      }
      if (market === 'spot' && args.length > SPOT_ARGS_PER_REQUEST) {
        return { replies: [answer(op, false, `args size >${SPOT_ARGS_PER_REQUEST}`, reqId, client)] };
      }
      const have = new Set(current.map((t) => `${t.channel}.${t.symbol}`));
      const topics: ReplayTopic[] = [];
      for (const a of args) {
        const t = servedTopic(a, market);
        if (t === undefined) return { replies: [answer(op, false, `error:handler not found,topic:${a}`, reqId, client)] };
        if (have.has(a)) return { replies: [answer(op, false, `error:already subscribed,topic:${a}`, reqId, client)] };
        have.add(a);
        topics.push(t);
      }
      return { subscribe: topics, replies: [answer(op, true, ok, reqId, client)] };
    },
    snapshotFrames(topic: ReplayTopic, ref: SymbolBook, last?: string): string[] {
      const depth = Number(topic.channel.slice('orderbook.'.length));
      // No recorded message of this very topic (another depth of the symbol was recorded): the
      // recording holds no such stream, so there is no `u` chain to continue.
      if (!Number.isSafeInteger(depth) || depth <= 0 || last === undefined) return [];
      let msg: LastBookMessage;
      try {
        msg = JSON.parse(last) as LastBookMessage;
      } catch {
        return [];
      }
      const b = ref.book;
      const bids = msg.data?.b;
      const asks = msg.data?.a;
      const priceDecimals = decimalsOf([...levelTexts(bids, 0), ...levelTexts(asks, 0)]);
      const sizeDecimals = decimalsOf([...levelTexts(bids, 1), ...levelTexts(asks, 1)]);
      // Spot writes numbers without trailing zeros; linear with the tick's (and the lot's) decimals.
      // (Never fewer digits than the book holds: a wider number seen elsewhere must survive.)
      const fmtPrice = market === 'linear' && priceDecimals >= 0 ? (x: number) => formatWithDecimals(x, b.priceScale, Math.max(priceDecimals, b.priceScale)) : (x: number) => formatScaled(x, b.priceScale);
      const fmtSize = market === 'linear' && sizeDecimals >= 0 ? (x: number) => formatWithDecimals(x, b.sizeScale, Math.max(sizeDecimals, b.sizeScale)) : (x: number) => formatScaled(x, b.sizeScale);
      const ts = typeof msg.ts === 'number' ? msg.ts : ref.lastExchTsMs;
      const cts = typeof msg.cts === 'number' ? msg.cts : ts;
      const seq = typeof msg.data?.seq === 'number' ? `,"seq":${msg.data.seq}` : '';
      const data = `{"s":${JSON.stringify(topic.symbol)},"b":${sideText(b.bids, depth, fmtPrice, fmtSize)},"a":${sideText(b.asks, depth, fmtPrice, fmtSize)},"u":${ref.seq}${seq}}`;
      const name = JSON.stringify(`${topic.channel}.${topic.symbol}`);
      const tsFirst = last.indexOf('"ts":') < last.indexOf('"type":');
      const head = tsFirst ? `"topic":${name},"ts":${ts},"type":"snapshot"` : `"topic":${name},"type":"snapshot","ts":${ts}`;
      return [`{${head},"data":${data},"cts":${cts}}`];
    },
  };
}
