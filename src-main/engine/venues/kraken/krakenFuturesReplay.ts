/**
 * Kraken Futures WebSocket v1 as a local replay venue (ReplayProtocol).
 *
 * Docs followed (venues.md section 9, "Kraken Futures"):
 * - https://docs.kraken.com/api/docs/futures-api/websocket/book (`{"event":"subscribe","feed":
 *   "book","product_ids":[...]}`, answered `{"event":"subscribed","feed","product_ids"}`; a
 *   `book_snapshot` with the subscription's `seq`, then single-level deltas; errors
 *   `{"event":"error","message":"Invalid product id" | "Invalid feed" | "Json Error"}`)
 * - https://docs.kraken.com/api/docs/futures-api/websocket/heartbeat (subscribed without products)
 * - https://docs.kraken.com/api/docs/guides/futures-rate-limits (100 requests per second)
 *
 * Recorded frames start with their feed and product (`{"feed":"book","product_id":"PI_ETHUSD"`):
 * the product is the symbol; `book_snapshot` and `book` are the "book" family, `trade_snapshot`
 * and `trade` the "trade" family, other feeds keep their name. Recorded answers and the `info`
 * greeting are not replayed. The recorder answered one `subscribed` per product (2021 capture),
 * and so does this protocol. Served at the root and at /ws/v1.
 *
 * A client that (re)subscribes a book mid-stream gets a `book_snapshot` cut from the reference
 * book (the whole book, best first on each side, JSON numbers as Kraken writes them) whose `seq` is
 * the reference's last applied seq, so the next recorded delta (seq + 1) chains onto it exactly
 * as Kraken's own resubscription snapshot would.
 */
import { formatScaled } from '../../../../src-shared/model/decimal.ts';
import type { BookSide } from '../../book/orderBook.ts';
import type { ClientFrameResult, ReplayProtocol, ReplayTopic } from '../../replay/replayProtocol.ts';
import type { SymbolBook } from '../../sync/symbolBook.ts';
import { krakenFuturesInstrumentsAnswer } from './krakenFuturesInstruments.ts';

const FEED_RE = /^\{"feed":"([a-z_]+)","product_id":"([^"]+)"/;

/** Feed family: a feed and its snapshot feed are one ("book_snapshot" -> "book"). */
export function krakenFuturesFamily(feed: string): string {
  return feed.endsWith('_snapshot') ? feed.slice(0, -'_snapshot'.length) : feed;
}

function levels(side: BookSide, ps: number, ss: number): string {
  const parts: string[] = [];
  for (let i = 0; i < side.count; i++) parts.push(`{"price":${formatScaled(side.priceAt(i), ps)},"qty":${formatScaled(side.sizeAtLevel(i), ss)}}`);
  return `[${parts.join(',')}]`;
}

const error = (message: string): string => JSON.stringify({ event: 'error', message });

export function krakenFuturesReplay(): ReplayProtocol {
  return {
    venue: 'kraken-futures',
    // The instruments list with the recorded products ("symbols": "all" against a replay).
    instruments: krakenFuturesInstrumentsAnswer,
    clientFramesPerSecond: 100,
    topicOf(raw: string): ReplayTopic | undefined {
      const m = FEED_RE.exec(raw);
      return m ? { symbol: m[2]!, channel: krakenFuturesFamily(m[1]!) } : undefined;
    },
    isBookChannel: (channel) => channel === 'book',
    connect(url: URL) {
      if (url.pathname !== '/' && url.pathname !== '/ws/v1') {
        return { refuse: { status: 404, message: `this Kraken Futures replay serves /ws/v1 (and the root), not ${url.pathname}` } };
      }
      return { topics: [] };
    },
    clientFrame(raw: string): ClientFrameResult {
      let msg: { event?: unknown; feed?: unknown; product_ids?: unknown };
      try {
        msg = JSON.parse(raw);
      } catch {
        return { replies: [error('Json Error')] };
      }
      if ((msg.event !== 'subscribe' && msg.event !== 'unsubscribe') || typeof msg.feed !== 'string') return { replies: [error('Json Error')] };
      const feed = msg.feed;
      const answer = msg.event === 'subscribe' ? 'subscribed' : 'unsubscribed';
      if (msg.product_ids === undefined) {
        // heartbeat (and the private feeds, which take no products): nothing recorded to stream.
        return { replies: [JSON.stringify({ event: answer, feed })] };
      }
      if (!Array.isArray(msg.product_ids) || !msg.product_ids.every((p) => typeof p === 'string')) return { replies: [error('Invalid product id')] };
      const topics: ReplayTopic[] = [];
      const replies: string[] = [];
      for (const p of msg.product_ids as string[]) {
        const product = p.toUpperCase();
        topics.push({ symbol: product, channel: krakenFuturesFamily(feed) });
        replies.push(JSON.stringify({ event: answer, feed, product_ids: [product] }));
      }
      return msg.event === 'subscribe' ? { subscribe: topics, replies } : { unsubscribe: topics, replies };
    },
    snapshotFrames(topic: ReplayTopic, ref: SymbolBook): string[] {
      if (topic.channel !== 'book') return [];
      const b = ref.book;
      return [
        `{"feed":"book_snapshot","product_id":"${topic.symbol}","timestamp":${ref.lastExchTsMs},"seq":${ref.seq},"tickSize":null,"bids":${levels(b.bids, b.priceScale, b.sizeScale)},"asks":${levels(b.asks, b.priceScale, b.sizeScale)}}`,
      ];
    },
  };
}
