/**
 * OKX v5 public WebSocket as a local replay venue (ReplayProtocol).
 *
 * Docs followed (venues.md section 6):
 * - https://www.okx.com/docs-v5/en/#overview-websocket-subscribe (`{"op":"subscribe","args":
 *   [{"channel","instId"}]}`, one `{"event":"subscribe","arg":{...}}` answer per argument, errors
 *   `{"event":"error","code","msg"}`; the text "ping" is answered "pong")
 * - https://www.okx.com/docs-v5/en/#order-book-trading-market-data-ws-order-book-channel (a
 *   subscription starts with `action:"snapshot"` of up to 400 levels per side, levels
 *   `[price, size, "0", orders]`, `seqId`/`prevSeqId` with prevSeqId -1 on the snapshot, CRC-32
 *   `checksum` over the top 25 levels)
 *
 * Recorded frames start with their `arg` (`{"arg":{"channel":"books-l2-tbt","instId":"ELON-USDT"}`):
 * the instId is the symbol and the channel family is "books" for both 400-level book channels
 * (`books`, the engine's default, and `books-l2-tbt`, what the 2022-02-27 capture holds), so a
 * client gets what was recorded. Recorded subscribe answers are not replayed: the protocol answers
 * the client's own requests, in the recorded layout. The server is served at the root and at
 * /ws/v5/public (a configured `wsUrl` without a path is the root).
 *
 * A client that (re)subscribes a book mid-stream gets a snapshot cut from the reference book:
 * - levels rendered with `formatScaled`, which gives back OKX's own strings exactly (no trailing
 *   zeros, no exponents: okxVerify.test.ts checks it over all 44,408 recorded level strings);
 * - the 4th level field (orders at the level) is not part of the book state the engine keeps, so
 *   it cannot be known for a level that changed since the recorded snapshot: it is written "0"
 *   (the engine reads price and size only; the checksum covers price and size only);
 * - `checksum` is the real CRC-32 of the top 25 levels, not 0. Since 2026-06-23 OKX itself sends
 *   0 ("not provided", okxChecksum.ts), but the recordings replayed here are from 2022 and carry
 *   checksums on every message, and a real value lets the replay prove that the resynced book is
 *   exact from its first message;
 * - `seqId` is the reference's (prevSeqId -1) when the recording has seqIds, so the next recorded
 *   update (prevSeqId = that seqId) chains onto it; the 2022 recordings have none, and neither
 *   does the snapshot.
 */
import { formatScaled } from '../../../../src-shared/model/decimal.ts';
import type { BookSide } from '../../book/orderBook.ts';
import type { ClientFrameResult, ReplayProtocol, ReplayTopic } from '../../replay/replayProtocol.ts';
import type { SymbolBook } from '../../sync/symbolBook.ts';
import { okxBookChecksum } from './okxChecksum.ts';
import { OKX_BOOK_DEPTH } from './okxSpec.ts';
import { okxInstrumentsAnswer } from './okxInstruments.ts';

const ARG_RE = /^\{"arg":\{"channel":"([^"]+)","instId":"([^"]+)"\}/;

/** Channel family: the two 400-level book channels are one ("books"); others keep their name. */
export function okxChannelFamily(channel: string): string {
  return channel === 'books' || channel === 'books-l2-tbt' ? 'books' : channel;
}

function levels(side: BookSide, ps: number, ss: number): string {
  const n = Math.min(side.count, OKX_BOOK_DEPTH);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(`["${formatScaled(side.priceAt(i), ps)}","${formatScaled(side.sizeAtLevel(i), ss)}","0","0"]`);
  return `[${parts.join(',')}]`;
}

/** OKX error answer (60012 "Illegal request", as OKX words it for malformed requests). */
function illegal(detail: string): string {
  return JSON.stringify({ event: 'error', msg: `Illegal request: ${detail}`, code: '60012' });
}

export function okxReplay(): ReplayProtocol {
  return {
    venue: 'okx',
    // GET /api/v5/public/instruments with the recorded instruments ("symbols": "all" against a replay).
    instruments: okxInstrumentsAnswer,
    topicOf(raw: string): ReplayTopic | undefined {
      const m = ARG_RE.exec(raw);
      return m ? { symbol: m[2]!, channel: okxChannelFamily(m[1]!) } : undefined;
    },
    isBookChannel: (channel) => channel === 'books',
    connect(url: URL) {
      if (url.pathname !== '/' && url.pathname !== '/ws/v5/public') {
        return { refuse: { status: 404, message: `this OKX replay serves the public channels at / and /ws/v5/public, not ${url.pathname}` } };
      }
      return { topics: [] };
    },
    clientFrame(raw: string): ClientFrameResult {
      if (raw === 'ping') return { replies: ['pong'] };
      let msg: { op?: unknown; args?: unknown };
      try {
        msg = JSON.parse(raw);
      } catch {
        return { replies: [illegal(raw.slice(0, 80))] };
      }
      if ((msg.op !== 'subscribe' && msg.op !== 'unsubscribe') || !Array.isArray(msg.args)) return { replies: [illegal(raw.slice(0, 80))] };
      const topics: ReplayTopic[] = [];
      const replies: string[] = [];
      for (const a of msg.args as unknown[]) {
        const arg = a as { channel?: unknown; instId?: unknown };
        if (typeof arg?.channel !== 'string' || typeof arg.instId !== 'string') {
          replies.push(illegal(JSON.stringify(a)));
          continue;
        }
        topics.push({ symbol: arg.instId, channel: okxChannelFamily(arg.channel) });
        replies.push(JSON.stringify({ event: msg.op, arg: { channel: arg.channel, instId: arg.instId } }));
      }
      return msg.op === 'subscribe' ? { subscribe: topics, replies } : { unsubscribe: topics, replies };
    },
    snapshotFrames(topic: ReplayTopic, ref: SymbolBook): string[] {
      if (topic.channel !== 'books') return [];
      const b = ref.book;
      const seq = ref.seq >= 0 ? `,"prevSeqId":-1,"seqId":${ref.seq}` : '';
      const data = `{"asks":${levels(b.asks, b.priceScale, b.sizeScale)},"bids":${levels(b.bids, b.priceScale, b.sizeScale)},"ts":"${ref.lastExchTsMs}","checksum":${okxBookChecksum(b)}${seq}}`;
      return [`{"arg":{"channel":"books","instId":"${topic.symbol}"},"action":"snapshot","data":[${data}]}`];
    },
  };
}
