/**
 * Hyperliquid as a local replay venue (ReplayProtocol).
 *
 * Docs followed (venues.md section 14.4):
 * - https://hyperliquid.gitbook.io/hyperliquid-docs/for-developers/api/websocket (endpoint /ws;
 *   `{"method":"subscribe","subscription":{...}}` answered with
 *   `{"channel":"subscriptionResponse","data":{"method":"subscribe","subscription":{...}}}`)
 * - .../websocket/timeouts-and-heartbeats (`{"method":"ping"}` -> `{"channel":"pong"}`)
 *
 * Recorded frames start with their channel and, in their data, the coin. No snapshot is
 * synthesized for a mid-stream subscriber: every l2Book message is the whole book (about one per
 * half second in the recording), and a synthesized one would have to invent the `n` order counts.
 */
import type { ReplayProtocol, ReplayTopic } from '../../replay/replayProtocol.ts';
import { hyperliquidInstrumentsAnswer } from './hyperliquidInstruments.ts';

const HEAD_RE = /^\{"channel":"([A-Za-z0-9]+)","data":\[?\{"coin":"([^"]+)"/;

export function hyperliquidReplay(): ReplayProtocol {
  return {
    venue: 'hyperliquid',
    // POST /info {"type":"meta"} with the recorded coins ("symbols": "all" against a replay).
    instruments: hyperliquidInstrumentsAnswer,
    topicOf(raw: string): ReplayTopic | undefined {
      const m = HEAD_RE.exec(raw);
      return m ? { symbol: m[2]!, channel: m[1]! } : undefined;
    },
    isBookChannel: (channel) => channel === 'l2Book',
    connect(url: URL) {
      if (url.pathname !== '/ws') return { refuse: { status: 404, message: `Hyperliquid serves its WebSocket API on /ws, not ${url.pathname}` } };
      return { topics: [] };
    },
    clientFrame(raw: string) {
      let msg: { method?: unknown; subscription?: { type?: unknown; coin?: unknown } };
      try {
        msg = JSON.parse(raw);
      } catch {
        return { replies: ['{"channel":"error","data":"Invalid JSON"}'] };
      }
      if (msg.method === 'ping') return { replies: ['{"channel":"pong"}'] };
      if (msg.method !== 'subscribe' && msg.method !== 'unsubscribe') return { replies: [JSON.stringify({ channel: 'error', data: `Unknown method: ${raw}` })] };
      const sub = msg.subscription;
      if (typeof sub?.type !== 'string' || typeof sub.coin !== 'string') return { replies: [JSON.stringify({ channel: 'error', data: `Invalid subscription: ${raw}` })] };
      const topic: ReplayTopic = { symbol: sub.coin, channel: sub.type };
      const reply = JSON.stringify({ channel: 'subscriptionResponse', data: { method: msg.method, subscription: sub } });
      return msg.method === 'subscribe' ? { subscribe: [topic], replies: [reply] } : { unsubscribe: [topic], replies: [reply] };
    },
  };
}
