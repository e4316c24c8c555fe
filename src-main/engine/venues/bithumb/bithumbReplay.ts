/**
 * Bithumb as a local replay venue (ReplayProtocol): the v1 endpoint speaks Upbit's protocol
 * (upbitReplay.ts), the legacy endpoint its own.
 *
 * Docs followed (venues.md section 12):
 * - https://apidocs.bithumb.com/reference/기본-정보 (v1 at /websocket/v1, Upbit request format)
 * - https://apidocs.bithumb.com/v1.2.0/reference/빗썸-거래소-정보-수신 (legacy /pub/ws:
 *   `{"type":"transaction","symbols":[...]}` acknowledged with
 *   `{"status":"0000","resmsg":"Filter Registered Successfully"}`, bad filters with status 5100
 *   "Invalid Filter Syntax")
 *
 * The only Bithumb recording holds legacy trades and no book, so a replay of it has nothing to
 * make live: the replay plan says so ("no order-book stream") rather than pretend.
 */
import type { ReplayProtocol, ReplayTopic } from '../../replay/replayProtocol.ts';
import { upbitRequest, upbitTopicOf } from '../upbit/upbitReplay.ts';
import { marketAllAnswer } from '../upbit/upbitInstruments.ts';

const LEGACY_RE = /^\{"type":"([a-z]+)","content":\{.*?"symbol":"([^"]+)"/;

const FILTER_OK = '{"status":"0000","resmsg":"Filter Registered Successfully"}';
const FILTER_BAD = '{"status":"5100","resmsg":"Invalid Filter Syntax"}';

export function bithumbReplay(): ReplayProtocol {
  return {
    venue: 'bithumb',
    // /v1/market/all with the recorded v1 markets ("symbols": "all" against a replay).
    instruments: marketAllAnswer,
    topicOf(raw: string): ReplayTopic | undefined {
      const legacy = LEGACY_RE.exec(raw);
      if (legacy) return { symbol: legacy[2]!, channel: legacy[1]! };
      return upbitTopicOf(raw);
    },
    isBookChannel: (channel) => channel === 'orderbook',
    connect(url: URL) {
      if (url.pathname !== '/websocket/v1' && url.pathname !== '/pub/ws') return { refuse: { status: 404, message: `Bithumb serves /websocket/v1 and the legacy /pub/ws, not ${url.pathname}` } };
      return { topics: [] };
    },
    clientFrame(raw: string) {
      if (raw === 'PING') return { replies: ['{"status":"UP"}'] };
      let msg: unknown;
      try {
        msg = JSON.parse(raw);
      } catch {
        return { replies: [FILTER_BAD] };
      }
      if (Array.isArray(msg)) {
        const r = upbitRequest(raw);
        return 'error' in r ? { replies: [r.error] } : { subscribe: r.topics };
      }
      const f = msg as { type?: unknown; symbols?: unknown };
      if (typeof f.type !== 'string' || !Array.isArray(f.symbols) || !f.symbols.every((s) => typeof s === 'string')) return { replies: [FILTER_BAD] };
      return { subscribe: (f.symbols as string[]).map((symbol) => ({ symbol, channel: f.type as string })), replies: [FILTER_OK] };
    },
  };
}
