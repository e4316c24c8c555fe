/**
 * Coinbase Advanced Trade (`coinbase`) and the legacy Exchange ws-feed (`coinbase-exchange`) as
 * local replay venues (ReplayProtocol).
 *
 * Advanced Trade, docs followed (venues.md section 7):
 * - https://docs.cdp.coinbase.com/coinbase-app/advanced-trade-apis/websocket/websocket-overview:
 *   `{"type":"subscribe"|"unsubscribe","product_ids":[...],"channel":"level2"}`, exactly ONE
 *   channel per message (an Exchange-style `channels` list is refused); `heartbeats` takes no
 *   products; `-USDC` product ids other than USDT-USDC and EURC-USDC are served the `-USD` data.
 * - https://docs.cdp.coinbase.com/coinbase-app/advanced-trade-apis/websocket/websocket-channels
 *   and .../api-reference/advanced-trade-api/websocket/level2: envelope `{"channel","timestamp",
 *   "sequence_num","events"}`; `level2` arrives as `l2_data`, its first event per product a full
 *   `snapshot`. Errors are `{"type":"error","message":...}` (their wording here is this replay's).
 * - The recording shows the rest: every change of subscriptions is answered on the
 *   `subscriptions` channel with the connection's whole subscription map (channels in name order,
 *   heartbeats listed as `"heartbeats":["heartbeats"]`), and a subscribe is answered AFTER the
 *   channel's snapshot events (sequence 0-1 market_trades snapshots, 2 subscriptions; 13 and 21
 *   level2 snapshots, 24 subscriptions).
 *
 * `sequence_num` is one counter per socket, shared by every channel (the recording runs 0 -> 1029
 * over subscriptions, candles, ticker, market_trades, l2_data and heartbeats without a hole). It
 * numbers what the venue sends on THAT connection, so a client subscribed to a subset of the
 * recorder's channels (the engine takes heartbeats, level2 and market_trades, not ticker or
 * candles) must still see 0, 1, 2... without holes; forwarding the recorded numbers would show a
 * hole wherever a ticker or candle frame went to the recorder only, and the engine would resync
 * every book on every such hole. So the server numbers per client what it actually sends, acks
 * and fresh snapshots included (`sequenceFrame`), before fault injection: a dropped frame still
 * leaves a hole, as a loss on a real socket would.
 *
 * A client that (re)subscribes `level2` for a product mid-stream gets a full `snapshot` event cut
 * from the reference book (bids best first, then offers best first; numbers without trailing
 * zeros, as Coinbase writes them), stamped with the time of the last recorded `l2_data` of that
 * product; the recorded updates that follow apply on top of it.
 *
 * Exchange ws-feed (2021 recording), docs followed (venues.md section 8):
 * - https://docs.cdp.coinbase.com/exchange/websocket-feed/overview: `{"type":"subscribe",
 *   "product_ids":[...],"channels":["level2_batch",{"name":"ticker","product_ids":[...]}]}`,
 *   answered `{"type":"subscriptions","channels":[{"name","product_ids"}]}` (before the data, as
 *   recorded); failures `{"type":"error","message":"Failed to subscribe","reason":...}` with the
 *   reasons clients have reported ("No channels provided", "You need to specify at least one
 *   product ID for channel ...", "... is not a valid product").
 * - .../websocket-feed/channels: `snapshot` then `l2update`; `level2_batch` is `level2` batched
 *   every 50 ms with the same schema. The recording is unbatched `level2`, so both names
 *   subscribe the recorded stream (family "level2", also the name the answer lists);
 *   `ticker_batch` likewise serves `ticker`. Nothing of `heartbeat` was recorded: subscribing it
 *   is answered and sends nothing.
 * - A client that (re)subscribes level2 gets a `snapshot` cut from the reference book, with the
 *   decimals the venue used for that product in its last recorded message (the Exchange writes
 *   fixed decimals per product: "123.10", "0.00001306").
 *
 * Not enforced: the 5 s subscribe deadline and the per-IP message rates (8/s unauthenticated on
 * Advanced Trade, 100/s on the Exchange), which would need timers and an IP-wide count.
 */
import { formatScaled, formatWithDecimals } from '../../../../src-shared/model/decimal.ts';
import type { BookSide } from '../../book/orderBook.ts';
import type { ClientFrameResult, ReplayProtocol, ReplayTopic } from '../../replay/replayProtocol.ts';
import type { SymbolBook } from '../../sync/symbolBook.ts';
import { coinbaseInstrumentsAnswer } from './coinbaseInstruments.ts';

/** Products whose -USDC id is its own market (not an alias of -USD); coinbaseSession.ts routes the same way. */
const USDC_OWN_MARKETS = new Set(['USDT-USDC', 'EURC-USDC']);
/** Advanced Trade channels served, by subscribe name; the value is the envelope `channel`. */
const AT_CHANNELS: Record<string, string> = {
  level2: 'l2_data',
  market_trades: 'market_trades',
  ticker: 'ticker',
  ticker_batch: 'ticker_batch',
  candles: 'candles',
  heartbeats: 'heartbeats',
  status: 'status',
};
/** Envelope channel -> subscribe name. */
const AT_FAMILY = new Map(Object.entries(AT_CHANNELS).map(([name, envelope]) => [envelope, name]));
/** The topic symbol of the connection-wide heartbeats (Coinbase lists it so: `"heartbeats":["heartbeats"]`). */
export const HEARTBEATS = 'heartbeats';
const PRODUCT_RE = /^[A-Z0-9]+(?:-[A-Z0-9]+)+$/;

/** The product whose data Advanced Trade sends for a subscribed id ("BTC-USDC" -> "BTC-USD"). */
export function servedProduct(productId: string): string {
  if (productId.endsWith('-USDC') && !USDC_OWN_MARKETS.has(productId)) return `${productId.slice(0, -'USDC'.length)}USD`;
  return productId;
}

function nowRfc3339(): string {
  // Coinbase stamps nanoseconds; the local clock has milliseconds.
  return `${new Date().toISOString().slice(0, -1)}000000Z`;
}

function atError(message: string): string {
  return JSON.stringify({ type: 'error', message });
}

/** `{"channel":"subscriptions",...}` listing `topics` (sequence_num is written per client). */
function subscriptionsFrame(topics: readonly ReplayTopic[]): string {
  const byChannel = new Map<string, string[]>();
  for (const t of topics) {
    const list = byChannel.get(t.channel) ?? [];
    if (!list.includes(t.symbol)) list.push(t.symbol);
    byChannel.set(t.channel, list);
  }
  const channels = [...byChannel.keys()].sort();
  const map = channels.map((c) => `${JSON.stringify(c)}:${JSON.stringify(byChannel.get(c))}`).join(',');
  return `{"channel":"subscriptions","timestamp":"${nowRfc3339()}","sequence_num":0,"events":[{"subscriptions":{${map}}}]}`;
}

/** Product of the first event of an Advanced Trade envelope (events of one envelope share a product in the recording). */
function atProduct(env: { events?: unknown }): string | undefined {
  const e = Array.isArray(env.events) ? (env.events[0] as Record<string, unknown> | undefined) : undefined;
  if (e === undefined || e === null || typeof e !== 'object') return undefined;
  if (typeof e['product_id'] === 'string') return e['product_id'];
  for (const list of ['trades', 'tickers', 'candles']) {
    const first = Array.isArray(e[list]) ? (e[list] as Record<string, unknown>[])[0] : undefined;
    if (first !== undefined && typeof first['product_id'] === 'string') return first['product_id'];
  }
  return undefined;
}

function allLevels(side: BookSide, fmtPrice: (m: number) => string, fmtSize: (m: number) => string, each: (price: string, size: string) => string): string[] {
  const out: string[] = [];
  for (let i = 0; i < side.count; i++) out.push(each(fmtPrice(side.priceAt(i)), fmtSize(side.sizeAtLevel(i))));
  return out;
}

/** Coinbase Advanced Trade market data (`wss://advanced-trade-ws.coinbase.com`). */
export function coinbaseReplay(): ReplayProtocol {
  return {
    venue: 'coinbase',
    // The product list with the recorded products ("symbols": "all" against a replay).
    instruments: (req, symbols) => coinbaseInstrumentsAnswer('coinbase', req, symbols),
    topicOf(raw: string): ReplayTopic | undefined {
      let env: { channel?: unknown; events?: unknown };
      try {
        env = JSON.parse(raw);
      } catch {
        return undefined;
      }
      const family = typeof env.channel === 'string' ? AT_FAMILY.get(env.channel) : undefined;
      if (family === undefined) return undefined; // recorded `subscriptions` answers, errors
      if (family === HEARTBEATS) return { symbol: HEARTBEATS, channel: HEARTBEATS };
      const product = atProduct(env);
      return product === undefined ? undefined : { symbol: product, channel: family };
    },
    isBookChannel: (channel) => channel === 'level2',
    connect(url: URL) {
      if (url.pathname !== '/' && url.pathname !== '') {
        return { refuse: { status: 404, message: `the Advanced Trade replay serves market data at /, not ${url.pathname}` } };
      }
      return { topics: [] };
    },
    clientFrame(raw: string, current: readonly ReplayTopic[]): ClientFrameResult {
      let m: { type?: unknown; channel?: unknown; channels?: unknown; product_ids?: unknown };
      try {
        m = JSON.parse(raw);
      } catch {
        return { replies: [atError('malformed message: not JSON')] };
      }
      if (m === null || typeof m !== 'object' || (m.type !== 'subscribe' && m.type !== 'unsubscribe')) {
        return { replies: [atError(`unknown message type ${JSON.stringify((m as { type?: unknown } | null)?.type)}: expected subscribe or unsubscribe`)] };
      }
      const kind = m.type;
      if (typeof m.channel !== 'string') {
        return { replies: [atError(`${kind}: exactly one "channel" per message${m.channels !== undefined ? ' (a "channels" list is the Exchange feed\'s form)' : ''}`)] };
      }
      const channel = m.channel;
      if (AT_CHANNELS[channel] === undefined) return { replies: [atError(`${kind}: channel ${channel} is not a market-data channel of this endpoint`)] };
      const ids = Array.isArray(m.product_ids) ? m.product_ids : [];
      if (!ids.every((p): p is string => typeof p === 'string' && PRODUCT_RE.test(p))) {
        return { replies: [atError(`${kind}: product_ids must be product ids such as "BTC-USD"`)] };
      }
      let topics: ReplayTopic[];
      if (channel === HEARTBEATS) topics = [{ symbol: HEARTBEATS, channel }];
      else if (ids.length > 0) topics = [...new Set(ids.map(servedProduct))].map((symbol) => ({ symbol, channel }));
      // Unsubscribe without products leaves the whole channel.
      else if (kind === 'unsubscribe') topics = current.filter((t) => t.channel === channel);
      else return { replies: [atError(`subscribe: channel ${channel} needs product_ids`)] };
      const key = (t: ReplayTopic) => `${t.channel}|${t.symbol}`;
      if (kind === 'unsubscribe') {
        const gone = new Set(topics.map(key));
        return { unsubscribe: topics, replies: [subscriptionsFrame(current.filter((t) => !gone.has(key(t))))] };
      }
      const have = new Set(current.map(key));
      return { subscribe: topics, after: [subscriptionsFrame([...current, ...topics.filter((t) => !have.has(key(t)))])] };
    },
    snapshotFrames(topic: ReplayTopic, ref: SymbolBook, last?: string): string[] {
      if (topic.channel !== 'level2') return [];
      let timestamp = nowRfc3339();
      let eventTime = timestamp;
      if (last !== undefined) {
        try {
          const env = JSON.parse(last) as { timestamp?: unknown; events?: { updates?: { event_time?: unknown }[] }[] };
          if (typeof env.timestamp === 'string') timestamp = env.timestamp;
          const updates = env.events?.[env.events.length - 1]?.updates;
          const t = updates?.[updates.length - 1]?.event_time;
          eventTime = typeof t === 'string' ? t : timestamp;
        } catch {
          // An unreadable last frame only costs the recorded time stamps.
        }
      }
      const b = ref.book;
      const price = (x: number) => formatScaled(x, b.priceScale);
      const size = (x: number) => formatScaled(x, b.sizeScale);
      const level = (side: string) => (p: string, q: string) => `{"side":"${side}","event_time":"${eventTime}","price_level":"${p}","new_quantity":"${q}"}`;
      const updates = [...allLevels(b.bids, price, size, level('bid')), ...allLevels(b.asks, price, size, level('offer'))];
      return [`{"channel":"l2_data","timestamp":"${timestamp}","sequence_num":0,"events":[{"type":"snapshot","product_id":${JSON.stringify(topic.symbol)},"updates":[${updates.join(',')}]}]}`];
    },
    sequenceFrame(raw: string, n: number): string | undefined {
      const at = raw.indexOf('"sequence_num":');
      if (at < 0) return undefined;
      const start = at + '"sequence_num":'.length;
      let end = start;
      while (end < raw.length && raw.charCodeAt(end) >= 48 && raw.charCodeAt(end) <= 57) end++;
      return `${raw.slice(0, start)}${n}${raw.slice(end)}`;
    },
  };
}

// --- Exchange ws-feed ---------------------------------------------------------------------------

/** Exchange channel names served -> family (the recorded channel they read). */
const EXCHANGE_CHANNELS: Record<string, string> = {
  level2: 'level2',
  level2_batch: 'level2',
  ticker: 'ticker',
  ticker_batch: 'ticker',
  matches: 'matches',
  heartbeat: 'heartbeat',
  full: 'full',
};
/** Message type -> family. */
const EXCHANGE_TYPES: Record<string, string> = {
  snapshot: 'level2',
  l2update: 'level2',
  ticker: 'ticker',
  match: 'matches',
  last_match: 'matches',
  heartbeat: 'heartbeat',
  received: 'full',
  open: 'full',
  done: 'full',
  change: 'full',
  activate: 'full',
};
const EXCHANGE_HEAD_RE = /^\{"type":"([a-z_0-9]+)"/;
const PRODUCT_FIELD_RE = /"product_id":"([^"]+)"/;

function exchangeError(message: string, reason: string): string {
  return JSON.stringify({ type: 'error', message, reason });
}

/** `{"type":"subscriptions","channels":[{"name","product_ids"}]}`, channels in first-subscribed order. */
function exchangeSubscriptions(topics: readonly ReplayTopic[]): string {
  const byChannel = new Map<string, string[]>();
  for (const t of topics) {
    const list = byChannel.get(t.channel) ?? [];
    if (!list.includes(t.symbol)) list.push(t.symbol);
    byChannel.set(t.channel, list);
  }
  return JSON.stringify({ type: 'subscriptions', channels: [...byChannel].map(([name, product_ids]) => ({ name, product_ids })) });
}

/** Fixed decimals of the prices and sizes of a recorded snapshot / l2update (-1 when it has none). */
function exchangeDecimals(last: string | undefined): { price: number; size: number } {
  const out = { price: -1, size: -1 };
  if (last === undefined) return out;
  let m: { bids?: unknown; asks?: unknown; changes?: unknown };
  try {
    m = JSON.parse(last);
  } catch {
    return out;
  }
  const pairs: [string, string][] = [];
  for (const side of [m.bids, m.asks]) if (Array.isArray(side)) for (const l of side) if (Array.isArray(l)) pairs.push([String(l[0]), String(l[1])]);
  if (Array.isArray(m.changes)) for (const c of m.changes) if (Array.isArray(c)) pairs.push([String(c[1]), String(c[2])]);
  const decimals = (s: string) => (s.indexOf('.') < 0 ? 0 : s.length - s.indexOf('.') - 1);
  for (const [p, q] of pairs) {
    out.price = Math.max(out.price, decimals(p));
    out.size = Math.max(out.size, decimals(q));
  }
  return out;
}

/** Coinbase Exchange legacy ws-feed (`wss://ws-feed.exchange.coinbase.com`, formerly ws-feed.pro). */
export function coinbaseExchangeReplay(): ReplayProtocol {
  return {
    venue: 'coinbase-exchange',
    // The product list with the recorded products ("symbols": "all" against a replay).
    instruments: (req, symbols) => coinbaseInstrumentsAnswer('coinbase-exchange', req, symbols),
    topicOf(raw: string): ReplayTopic | undefined {
      const type = EXCHANGE_HEAD_RE.exec(raw)?.[1];
      const family = type === undefined ? undefined : EXCHANGE_TYPES[type];
      if (family === undefined) return undefined; // recorded `subscriptions` answers, errors
      const product = PRODUCT_FIELD_RE.exec(raw)?.[1];
      return product === undefined ? undefined : { symbol: product, channel: family };
    },
    isBookChannel: (channel) => channel === 'level2',
    connect(url: URL) {
      if (url.pathname !== '/' && url.pathname !== '') {
        return { refuse: { status: 404, message: `the Exchange ws-feed replay serves /, not ${url.pathname}` } };
      }
      return { topics: [] };
    },
    clientFrame(raw: string, current: readonly ReplayTopic[]): ClientFrameResult {
      let m: { type?: unknown; product_ids?: unknown; channels?: unknown };
      try {
        m = JSON.parse(raw);
      } catch {
        return { replies: [exchangeError('Failed to subscribe', 'malformed JSON')] };
      }
      if (m === null || typeof m !== 'object' || (m.type !== 'subscribe' && m.type !== 'unsubscribe')) {
        return { replies: [exchangeError('Failed to subscribe', `${JSON.stringify((m as { type?: unknown } | null)?.type)} is not a valid type`)] };
      }
      const failed = m.type === 'subscribe' ? 'Failed to subscribe' : 'Failed to unsubscribe';
      const topLevel = Array.isArray(m.product_ids) ? m.product_ids : [];
      const channels = Array.isArray(m.channels) ? m.channels : [];
      if (channels.length === 0) return { replies: [exchangeError(failed, 'No channels provided')] };
      const topics: ReplayTopic[] = [];
      for (const ch of channels) {
        // A channel is a name (products from the top level) or {name, product_ids}.
        const name = typeof ch === 'string' ? ch : ch !== null && typeof ch === 'object' ? (ch as { name?: unknown }).name : undefined;
        const own = ch !== null && typeof ch === 'object' ? (ch as { product_ids?: unknown }).product_ids : undefined;
        const family = typeof name === 'string' ? EXCHANGE_CHANNELS[name] : undefined;
        if (family === undefined) return { replies: [exchangeError(failed, `${String(name)} is not a valid channel`)] };
        const products = Array.isArray(own) ? own : topLevel;
        if (products.length === 0) return { replies: [exchangeError(failed, `You need to specify at least one product ID for channel ${String(name)}`)] };
        for (const p of products) {
          if (typeof p !== 'string' || !PRODUCT_RE.test(p)) return { replies: [exchangeError(failed, `${String(p)} is not a valid product`)] };
          topics.push({ symbol: p, channel: family });
        }
      }
      const key = (t: ReplayTopic) => `${t.channel}|${t.symbol}`;
      if (m.type === 'unsubscribe') {
        const gone = new Set(topics.map(key));
        return { unsubscribe: topics, replies: [exchangeSubscriptions(current.filter((t) => !gone.has(key(t))))] };
      }
      const have = new Set(current.map(key));
      const fresh = topics.filter((t) => !have.has(key(t)));
      return { subscribe: topics, replies: [exchangeSubscriptions([...current, ...fresh])] };
    },
    snapshotFrames(topic: ReplayTopic, ref: SymbolBook, last?: string): string[] {
      if (topic.channel !== 'level2') return [];
      const b = ref.book;
      const d = exchangeDecimals(last);
      // Never fewer digits than the book holds (a wider number seen elsewhere must survive).
      const price = (x: number) => (d.price < 0 ? formatScaled(x, b.priceScale) : formatWithDecimals(x, b.priceScale, Math.max(d.price, b.priceScale)));
      const size = (x: number) => (d.size < 0 ? formatScaled(x, b.sizeScale) : formatWithDecimals(x, b.sizeScale, Math.max(d.size, b.sizeScale)));
      const pair = (p: string, q: string) => `["${p}","${q}"]`;
      const asks = allLevels(b.asks, price, size, pair).join(',');
      const bids = allLevels(b.bids, price, size, pair).join(',');
      return [`{"type":"snapshot","product_id":${JSON.stringify(topic.symbol)},"asks":[${asks}],"bids":[${bids}]}`];
    },
  };
}
