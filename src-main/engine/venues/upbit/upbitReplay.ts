/**
 * Upbit (and Bithumb v1, its clone) as a local replay venue (ReplayProtocol).
 *
 * Docs followed (venues.md section 11):
 * - https://docs.upbit.com/kr/v1.6.4/reference/websocket-guide (endpoint /websocket/v1; one request
 *   array `[{"ticket"},{"type","codes"},...,{"format"}]`; no acknowledgement; errors
 *   `{"error":{"name":"...","message":"..."}}`; the text "PING" answered {"status":"UP"})
 * - https://docs.upbit.com/kr/v1.6.4/reference/websocket-orderbook (codes may carry a unit count,
 *   "KRW-BTC.15")
 *
 * Recorded frames start with their type and code in either format (`{"ty":"orderbook","cd":...`
 * SIMPLE, `{"type":"orderbook","code":...` DEFAULT); both are served as recorded, whatever format
 * the client asked for (the sessions read all of them). No snapshot is synthesized for a client
 * that subscribes mid-stream: every orderbook message is a whole book, and the next recorded one
 * gives it, as on the venue.
 */
import type { ReplayProtocol, ReplayTopic } from '../../replay/replayProtocol.ts';
import { marketAllAnswer } from './upbitInstruments.ts';
import type { VenueId } from '../../../../src-shared/model/market.ts';

const HEAD_RE = /^\{"(?:ty|type)":"([a-z]+)","(?:cd|code)":"([^"]+)"/;

/** Topic of a recorded Upbit-protocol frame (SIMPLE or DEFAULT), shared with the Bithumb replay. */
export function upbitTopicOf(raw: string): ReplayTopic | undefined {
  const m = HEAD_RE.exec(raw);
  return m ? { symbol: m[2]!, channel: m[1]! } : undefined;
}

function errorFrame(name: string, message: string): string {
  return JSON.stringify({ error: { name, message } });
}

/** A request array: every (type, code) it asks for, or an error frame. */
export function upbitRequest(raw: string): { topics: ReplayTopic[] } | { error: string } {
  if (raw === 'PING') return { topics: [] };
  let req: unknown;
  try {
    req = JSON.parse(raw);
  } catch {
    return { error: errorFrame('WRONG_FORMAT', 'request is not JSON') };
  }
  if (!Array.isArray(req) || !req.some((o: { ticket?: unknown }) => typeof o?.ticket === 'string')) return { error: errorFrame('NO_TICKET', 'request must be an array starting with {"ticket": ...}') };
  const topics: ReplayTopic[] = [];
  for (const o of req as { type?: unknown; codes?: unknown }[]) {
    if (typeof o?.type !== 'string') continue;
    if (!Array.isArray(o.codes) || !o.codes.every((c) => typeof c === 'string')) return { error: errorFrame('NO_CODES', `type ${o.type} without codes`) };
    // "KRW-BTC.15" asks for 15 units: the recording holds what it holds.
    for (const c of o.codes as string[]) topics.push({ symbol: c.split('.')[0]!.toUpperCase(), channel: o.type });
  }
  if (topics.length === 0) return { error: errorFrame('NO_TYPE', 'request names no type') };
  return { topics };
}

export function upbitReplay(venue: VenueId = 'upbit'): ReplayProtocol {
  return {
    venue,
    // /v1/market/all with the recorded markets ("symbols": "all" against a replay).
    instruments: marketAllAnswer,
    topicOf: upbitTopicOf,
    isBookChannel: (channel) => channel === 'orderbook',
    connect(url: URL) {
      if (url.pathname !== '/websocket/v1') return { refuse: { status: 404, message: `the public WebSocket is /websocket/v1, not ${url.pathname}` } };
      return { topics: [] };
    },
    clientFrame(raw: string) {
      if (raw === 'PING') return { replies: ['{"status":"UP"}'] };
      const r = upbitRequest(raw);
      return 'error' in r ? { replies: [r.error] } : { subscribe: r.topics };
    },
  };
}
