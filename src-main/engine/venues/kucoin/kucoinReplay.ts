/**
 * KuCoin spot as a local replay venue (ReplayProtocol).
 *
 * Docs followed (venues.md section 14.2, kucoinSession.ts, kucoinBullet.ts):
 * - the push endpoint `/endpoint?token=...&connectId=...` (the token is not checked here);
 *   requests `{"id","type":"subscribe"|"unsubscribe","topic":"/market/level2:A,B","response":true}`
 *   answered `{"id","type":"ack"}`; `{"id","type":"ping"}` answered `{"id","type":"pong"}`;
 *   "100 messages per 10 seconds" from a client;
 * - `POST /api/v1/bullet-public` -> token + instanceServers (here: this server's own endpoint);
 * - REST `GET /api/v1/market/orderbook/level2_20|level2_100?symbol=` (and the keyed full-depth
 *   `/api/v3/market/orderbook/level2`, which the 2021 recording used) -> `{"code":"200000",
 *   "data":{"time","sequence":"...","bids":[["p","q"]],"asks":[...]}}`; over the rate limit
 *   HTTP 429 with code 429000.
 *
 * The `welcome` frame KuCoin sends on connect is not produced (the server framework has no
 * on-connect frames); the session does not depend on it.
 */
import { formatScaled } from '../../../../src-shared/model/decimal.ts';
import type { BookSide } from '../../book/orderBook.ts';
import type { ClientFrameResult, ReplayProtocol, ReplayTopic, RestAnswer, SnapshotAsk } from '../../replay/replayProtocol.ts';
import type { SymbolBook } from '../../sync/symbolBook.ts';
import { KUCOIN_PING_INTERVAL_MS } from './kucoinSession.ts';
import { kucoin } from './kucoinSpec.ts';
import { kucoinInstrumentsAnswer } from './kucoinInstruments.ts';

/** Topic prefix -> channel family. */
const FAMILIES: Record<string, string> = {
  '/market/level2': 'depth',
  '/market/match': 'trade',
  '/market/ticker': 'ticker',
  '/market/candles': 'candles',
};

/** "/market/level2:BTC-USDT,ETH-USDT" -> topics; "/market/candles:BTC-USDT_1min" keeps the symbol. */
function parseTopic(topic: string): ReplayTopic[] {
  const colon = topic.indexOf(':');
  if (colon < 0) return [];
  const family = FAMILIES[topic.slice(0, colon)];
  if (family === undefined) return [];
  return topic
    .slice(colon + 1)
    .split(',')
    .filter((s) => s !== '')
    .map((s) => ({ symbol: (family === 'candles' ? s.slice(0, s.lastIndexOf('_')) : s).toUpperCase(), channel: family }));
}

function levels(side: BookSide, limit: number, ps: number, ss: number): string {
  const k = Math.min(limit, side.count);
  const parts: string[] = [];
  for (let i = 0; i < k; i++) parts.push(`["${formatScaled(side.priceAt(i), ps)}","${formatScaled(side.sizeAtLevel(i), ss)}"]`);
  return `[${parts.join(',')}]`;
}

function kucoinError(status: number, code: string, msg: string): RestAnswer {
  return { status, body: JSON.stringify({ code, msg }) };
}

export function kucoinReplay(): ReplayProtocol {
  const route = (url: URL): SnapshotAsk | RestAnswer | undefined => {
    if (url.pathname === '/api/v1/bullet-public') {
      const ws = new URL(url.href);
      ws.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
      ws.pathname = '/endpoint';
      ws.search = '';
      return {
        status: 200,
        body: JSON.stringify({
          code: '200000',
          data: { token: 'replay', instanceServers: [{ endpoint: ws.toString(), encrypt: false, protocol: 'websocket', pingInterval: KUCOIN_PING_INTERVAL_MS, pingTimeout: 10_000 }] },
        }),
      };
    }
    const partial = /^\/api\/v1\/market\/orderbook\/level2_(20|100)$/.exec(url.pathname);
    if (partial === null && url.pathname !== '/api/v3/market/orderbook/level2') return undefined;
    const symbol = url.searchParams.get('symbol');
    if (symbol === null || !/^[A-Z0-9]{1,20}-[A-Z0-9]{1,20}$/.test(symbol)) return kucoinError(400, '400100', 'symbol is missing or malformed');
    // Full depth: every level the reference holds.
    const limit = partial ? Number(partial[1]) : Number.MAX_SAFE_INTEGER;
    return { symbol, limit, weight: kucoin.rest!.snapshotWeight };
  };

  return {
    venue: 'kucoin',
    // /api/v2/symbols with the recorded symbols ("symbols": "all" against a replay).
    instruments: kucoinInstrumentsAnswer,
    clientFramesPerSecond: kucoin.limits.controlMessagesPerSecond,
    topicOf(raw: string): ReplayTopic | undefined {
      let m: { type?: string; topic?: string; subject?: string; data?: { symbol?: unknown } };
      try {
        m = JSON.parse(raw);
      } catch {
        return undefined;
      }
      if (m.type !== 'message' || typeof m.topic !== 'string') return undefined;
      const topics = parseTopic(m.topic);
      const symbol = typeof m.data?.symbol === 'string' ? m.data.symbol : topics[0]?.symbol;
      const family = topics[0]?.channel;
      return symbol === undefined || family === undefined ? undefined : { symbol, channel: family };
    },
    isBookChannel: (channel) => channel === 'depth',
    connect(url: URL) {
      if (url.pathname === '/endpoint' || url.pathname === '/') return { topics: [] };
      return { refuse: { status: 404, message: `KuCoin push servers serve /endpoint, not ${url.pathname}` } };
    },
    clientFrame(raw: string): ClientFrameResult {
      let m: { id?: unknown; type?: unknown; topic?: unknown; response?: unknown };
      try {
        m = JSON.parse(raw);
      } catch {
        return { replies: [JSON.stringify({ id: '', type: 'error', code: 400, data: 'invalid request: not JSON' })] };
      }
      const id = typeof m.id === 'string' || typeof m.id === 'number' ? String(m.id) : '';
      if (m.type === 'ping') return { replies: [JSON.stringify({ id, type: 'pong', timestamp: Date.now() * 1000 })] };
      if ((m.type !== 'subscribe' && m.type !== 'unsubscribe') || typeof m.topic !== 'string') {
        return { replies: [JSON.stringify({ id, type: 'error', code: 400, data: `unsupported request type ${String(m.type)}` })] };
      }
      const topics = parseTopic(m.topic);
      if (topics.length === 0) return { replies: [JSON.stringify({ id, type: 'error', code: 404, data: `topic ${m.topic} is not supported` })] };
      if (topics.length > 100) return { replies: [JSON.stringify({ id, type: 'error', code: 509, data: 'exceed max subscription count limitation of 100 per time' })] };
      const replies = m.response === true ? [JSON.stringify({ id, type: 'ack' })] : [];
      return m.type === 'subscribe' ? { subscribe: topics, replies } : { unsubscribe: topics, replies };
    },
    rest: {
      route,
      snapshotBody(ref: SymbolBook, limit: number): string {
        const b = ref.book;
        return `{"code":"200000","data":{"time":${ref.lastExchTsMs},"sequence":"${ref.seq}","bids":${levels(b.bids, limit, b.priceScale, b.sizeScale)},"asks":${levels(b.asks, limit, b.priceScale, b.sizeScale)}}}`;
      },
      unknownSymbol: (symbol) => kucoinError(400, '400100', `${symbol} is not in the replayed recording`),
      refusalBody: (status) => JSON.stringify(status === 429 ? { code: '429000', msg: 'Too Many Requests' } : { code: '500000', msg: 'Internal Server Error' }),
      weightWindowMs: kucoin.rest!.windowMs,
    },
  };
}
