/**
 * Deribit as a local replay venue (ReplayProtocol).
 *
 * Docs followed (venues.md section 10):
 * - https://docs.deribit.com/api-reference/subscription-management/public-subscribe (JSON-RPC 2.0
 *   on /ws/api/v2; the result lists the channels subscribed)
 * - https://docs.deribit.com/api-reference/session-management/public-set_heartbeat, public-test
 * - https://docs.deribit.com/subscriptions/orderbook/bookinstrument_nameinterval (a subscription
 *   starts with a `type:"snapshot"` notification, then changes chained by prev_change_id)
 * - JSON-RPC 2.0 error object (code -32601 "Method not found")
 *
 * Recorded notifications name their channel (`book.ETH-9APR21-1950-C.raw`): the instrument is the
 * symbol, the first word the channel family ("book", "trades", "ticker"), whatever the interval --
 * the engine asks for `.100ms`, the 2021 recordings hold `.raw`, and the client gets what was
 * recorded. A client that (re)subscribes a book mid-stream gets a snapshot notification cut from
 * the reference book, whose `change_id` is the reference's, so the next recorded change chains
 * onto it exactly as Deribit's own resubscription snapshot would.
 */
import { formatScaled } from '../../../../src-shared/model/decimal.ts';
import type { BookSide } from '../../book/orderBook.ts';
import type { ReplayProtocol, ReplayTopic } from '../../replay/replayProtocol.ts';
import { deribitInstrumentsAnswer } from './deribitInstruments.ts';
import type { SymbolBook } from '../../sync/symbolBook.ts';

const NOTIFICATION_RE = /^\{"jsonrpc":"2\.0","method":"subscription","params":\{"channel":"([a-z_]+)\.([^".]+)\.[^"]+"/;

/** "book.BTC-PERPETUAL.100ms" -> topic; undefined for anything that is not kind.instrument.interval. */
function channelTopic(channel: string): ReplayTopic | undefined {
  const m = /^([a-z_]+)\.([^.]+)\.[^.]+$/.exec(channel);
  return m ? { symbol: m[2]!, channel: m[1]! } : undefined;
}

function entries(side: BookSide, ps: number, ss: number): string {
  const parts: string[] = [];
  for (let i = 0; i < side.count; i++) parts.push(`["new",${formatScaled(side.priceAt(i), ps)},${formatScaled(side.sizeAtLevel(i), ss)}]`);
  return `[${parts.join(',')}]`;
}

function rpcResult(id: unknown, result: unknown): string {
  return JSON.stringify({ jsonrpc: '2.0', id: id ?? null, result, testnet: false });
}

function rpcError(id: unknown, code: number, message: string): string {
  return JSON.stringify({ jsonrpc: '2.0', id: id ?? null, error: { code, message }, testnet: false });
}

export function deribitReplay(): ReplayProtocol {
  return {
    venue: 'deribit',
    // public/get_instruments with the recorded instruments ("symbols": "all" against a replay).
    instruments: deribitInstrumentsAnswer,
    // Subscribe requests cost 3000 of a 30000-credit pool: ten in a burst, then about three a second.
    clientFramesPerSecond: 10,
    topicOf(raw: string): ReplayTopic | undefined {
      const m = NOTIFICATION_RE.exec(raw);
      return m ? { symbol: m[2]!, channel: m[1]! } : undefined;
    },
    isBookChannel: (channel) => channel === 'book',
    connect(url: URL) {
      if (url.pathname !== '/ws/api/v2') return { refuse: { status: 404, message: `Deribit serves JSON-RPC on /ws/api/v2, not ${url.pathname}` } };
      return { topics: [] };
    },
    clientFrame(raw: string) {
      let msg: { id?: unknown; method?: unknown; params?: { channels?: unknown } };
      try {
        msg = JSON.parse(raw);
      } catch {
        return { replies: [rpcError(null, -32700, 'Parse error')] };
      }
      const id = msg.id;
      switch (msg.method) {
        case 'public/subscribe':
        case 'public/unsubscribe': {
          const channels = msg.params?.channels;
          if (!Array.isArray(channels) || !channels.every((c) => typeof c === 'string')) return { replies: [rpcError(id, -32602, 'Invalid params: channels')] };
          const topics = (channels as string[]).map(channelTopic).filter((t): t is ReplayTopic => t !== undefined);
          const reply = rpcResult(id, channels);
          return msg.method === 'public/subscribe' ? { subscribe: topics, replies: [reply] } : { unsubscribe: topics, replies: [reply] };
        }
        case 'public/set_heartbeat':
          return { replies: [rpcResult(id, 'ok')] };
        case 'public/test':
          return { replies: [rpcResult(id, { version: 'replay' })] };
        default:
          return { replies: [rpcError(id, -32601, 'Method not found')] };
      }
    },
    snapshotFrames(topic: ReplayTopic, ref: SymbolBook): string[] {
      const b = ref.book;
      const data = `{"type":"snapshot","timestamp":${ref.lastExchTsMs},"instrument_name":"${topic.symbol}","change_id":${ref.seq},"bids":${entries(b.bids, b.priceScale, b.sizeScale)},"asks":${entries(b.asks, b.priceScale, b.sizeScale)}}`;
      return [`{"jsonrpc":"2.0","method":"subscription","params":{"channel":"book.${topic.symbol}.raw","data":${data}}}`];
    },
  };
}
