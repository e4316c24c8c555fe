/**
 * Kraken spot WebSocket v1 as a local replay venue (ReplayProtocol): the protocol of every Kraken
 * spot recording in ../shared/data, served at the root like wss://ws.kraken.com (the engine's
 * Kraken venue speaks v1 at a root URL, v2 under /v2: krakenSpec.ts).
 *
 * Docs followed (venues.md section 9):
 * - https://docs.kraken.com/api/docs/websocket-v1/subscribe (`{"event":"subscribe","pair":[...],
 *   "subscription":{"name":"book","depth":N}}`, one `subscriptionStatus` per pair; errors
 *   `{"errorMessage":...,"event":"subscriptionStatus","status":"error"}`)
 * - https://docs.kraken.com/api/docs/websocket-v1/book (snapshot `[channelID, {"as":[...],"bs":
 *   [...]}, "book-N", pair]`, entries `[price, volume, timestamp]` at the pair's fixed decimals)
 * - https://docs.kraken.com/api/docs/websocket-v1/ping (`{"event":"ping","reqid"}` ->
 *   `{"event":"pong","reqid"}`)
 *
 * Recorded data frames end with their channel name and pair (`...,"book-1000","XBT/USD"]`): the
 * pair is the symbol, the family "book" for every depth (the client gets the recorded depth
 * whatever it asked; the session reads the depth from "book-N"), other channels keep their name.
 * Recorded events (systemStatus, subscriptionStatus, heartbeat) are not replayed: the protocol
 * answers the client's own requests.
 *
 * A client that (re)subscribes a book mid-stream gets a snapshot cut from the reference book.
 * Kraken v1 writes every value of a pair with fixed decimals, and the checksum depends on them
 * (krakenChecksum.ts), but the reference book keeps only exact mantissas. So this protocol keeps
 * state derived from the recording and fixed once the server has read it (`topicOf` scans every
 * recorded frame before any client connects): the decimals of each pair's recorded snapshot, and
 * the channelID each recorded channel had, which the answers and the cut snapshots reuse so that
 * they read like the recorded ones (channelID is deprecated in v1; the session ignores it, and it
 * is 0 for a channel the recording lacks). Per-level timestamps are not part of the book state:
 * every level of a cut snapshot carries the reference's last exchange time.
 */
import { formatWithDecimals } from '../../../../src-shared/model/decimal.ts';
import type { BookSide } from '../../book/orderBook.ts';
import type { ClientFrameResult, ReplayProtocol, ReplayTopic } from '../../replay/replayProtocol.ts';
import type { SymbolBook } from '../../sync/symbolBook.ts';
import type { WireDecimals } from './krakenChecksum.ts';
import { KRAKEN_DEFAULT_DEPTH } from './krakenSession.ts';
import { krakenAssetPairsAnswer } from './krakenInstruments.ts';

const CHANNEL_RE = /,"([a-z]+(?:-\d+)?)","([^"]+)"\]$/;
const CHANNEL_ID_RE = /^\[(\d{1,15}),/;
const SNAPSHOT_HEAD_RE = /^\[\d+,\{"as":\[\["(\d+(?:\.(\d*))?)","(\d+(?:\.(\d*))?)"/;
const SNAPSHOT_BIDS_HEAD_RE = /^\[\d+,\{"(?:as":\[\],")?bs":\[\["(\d+(?:\.(\d*))?)","(\d+(?:\.(\d*))?)"/;

/** Channel family: every "book-N" is "book". */
export function krakenChannelFamily(name: string): string {
  return name.startsWith('book') ? 'book' : name;
}

/** "1617666423606" ms -> Kraken's "seconds.microseconds" text. */
function krakenTime(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${s}.${String(ms - s * 1000).padStart(3, '0')}000`;
}

function entries(side: BookSide, book: SymbolBook, dec: WireDecimals, time: string, depth: number): string {
  const b = book.book;
  const n = Math.min(side.count, depth);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    parts.push(`["${formatWithDecimals(side.priceAt(i), b.priceScale, dec.price)}","${formatWithDecimals(side.sizeAtLevel(i), b.sizeScale, dec.size)}","${time}"]`);
  }
  return `[${parts.join(',')}]`;
}

function subscriptionError(message: string, pair: string | undefined, subscription: unknown): string {
  return JSON.stringify({ errorMessage: message, event: 'subscriptionStatus', ...(pair ? { pair } : {}), status: 'error', subscription });
}

export function krakenReplay(): ReplayProtocol {
  /** Fixed decimals of each pair's recorded snapshot (state learnt from the recording: see the header). */
  const decimals = new Map<string, WireDecimals>();
  /** Recorded channelID of each (channel family, pair). */
  const channelIds = new Map<string, number>();
  const learn = (raw: string, topic: ReplayTopic): void => {
    const key = `${topic.channel}|${topic.symbol}`;
    if (!channelIds.has(key)) {
      const id = CHANNEL_ID_RE.exec(raw);
      if (id) channelIds.set(key, Number(id[1]));
    }
    if (topic.channel !== 'book' || decimals.has(topic.symbol)) return;
    const m = SNAPSHOT_HEAD_RE.exec(raw) ?? SNAPSHOT_BIDS_HEAD_RE.exec(raw);
    if (m) decimals.set(topic.symbol, { price: (m[2] ?? '').length, size: (m[4] ?? '').length });
  };
  const channelId = (channel: string, pair: string): number => channelIds.get(`${channel}|${pair}`) ?? 0;
  return {
    venue: 'kraken',
    // AssetPairs with the recorded pairs ("symbols": "all" against a replay).
    instruments: krakenAssetPairsAnswer,
    topicOf(raw: string): ReplayTopic | undefined {
      if (raw.charCodeAt(0) !== 91 /* [ */) return undefined;
      const m = CHANNEL_RE.exec(raw);
      if (!m) return undefined;
      const topic = { symbol: m[2]!, channel: krakenChannelFamily(m[1]!) };
      learn(raw, topic);
      return topic;
    },
    isBookChannel: (channel) => channel === 'book',
    connect(url: URL) {
      if (url.pathname !== '/') {
        return { refuse: { status: 404, message: `this Kraken replay serves the v1 recordings at the root, not ${url.pathname} (no v2 recording exists)` } };
      }
      return { topics: [] };
    },
    clientFrame(raw: string): ClientFrameResult {
      let msg: { event?: unknown; reqid?: unknown; pair?: unknown; subscription?: { name?: unknown; depth?: unknown } };
      try {
        msg = JSON.parse(raw);
      } catch {
        return { replies: [JSON.stringify({ errorMessage: 'Malformed request', event: 'error' })] };
      }
      const reqid = typeof msg.reqid === 'number' ? { reqid: msg.reqid } : {};
      if (msg.event === 'ping') return { replies: [JSON.stringify({ event: 'pong', ...reqid })] };
      if (msg.event !== 'subscribe' && msg.event !== 'unsubscribe') {
        return { replies: [JSON.stringify({ errorMessage: 'Unsupported event', event: 'error', ...reqid })] };
      }
      const sub = msg.subscription;
      const name = sub?.name;
      if (typeof name !== 'string') return { replies: [subscriptionError('Subscription name invalid', undefined, sub)] };
      if (!Array.isArray(msg.pair) || !msg.pair.every((p) => typeof p === 'string')) {
        return { replies: [subscriptionError('Pair field must be an array', undefined, sub)] };
      }
      const depth = name === 'book' ? (typeof sub?.depth === 'number' ? sub.depth : 10) : undefined;
      const status = msg.event === 'subscribe' ? 'subscribed' : 'unsubscribed';
      const topics: ReplayTopic[] = [];
      const replies: string[] = [];
      for (const pair of msg.pair as string[]) {
        const channel = krakenChannelFamily(name);
        topics.push({ symbol: pair, channel });
        const subscription = depth === undefined ? { name } : { depth, name };
        // The recorded answer's layout, key for key.
        replies.push(JSON.stringify({ channelID: channelId(channel, pair), channelName: depth === undefined ? name : `book-${depth}`, event: 'subscriptionStatus', pair, ...reqid, status, subscription }));
      }
      return msg.event === 'subscribe' ? { subscribe: topics, replies } : { unsubscribe: topics, replies };
    },
    snapshotFrames(topic: ReplayTopic, ref: SymbolBook): string[] {
      if (topic.channel !== 'book') return [];
      const b = ref.book;
      const dec = decimals.get(topic.symbol) ?? { price: b.priceScale, size: b.sizeScale };
      const depth = b.depthCap > 0 ? b.depthCap : KRAKEN_DEFAULT_DEPTH;
      const time = krakenTime(ref.lastExchTsMs);
      return [`[${channelId('book', topic.symbol)},{"as":${entries(b.asks, ref, dec, time, depth)},"bs":${entries(b.bids, ref, dec, time, depth)}},"book-${depth}","${topic.symbol}"]`];
    },
  };
}
