/**
 * Bitfinex WebSocket v2 as a local replay venue (ReplayProtocol).
 *
 * Docs followed (venues.md section 14.3, bitfinexSession.ts):
 * - `{"event":"conf","flags":N}` -> `{"event":"conf","status":"OK","flags":N}`;
 *   `{"event":"subscribe","channel","symbol",...}` -> `{"event":"subscribed","channel","chanId",
 *   "symbol",...}` or `{"event":"error","msg","code":10300}`; `{"event":"unsubscribe","chanId"}`
 *   -> `{"event":"unsubscribed","status":"OK","chanId"}`; `{"event":"ping","cid"}` ->
 *   `{"event":"pong","cid","ts"}`.
 *
 * Two things about this venue shape the replay:
 * - Data frames do not name their symbol, only a chanId announced by a `subscribed` event. The
 *   protocol learns chanId -> (symbol, channel) from the recorded events as the server reads the
 *   recording (topicOf is called in recording order), which is the one state it keeps.
 * - With SEQ_ALL the recorded sequence numbers form one chain over every frame of the recorded
 *   connection (tickers and heartbeats included). A client that got only its subscribed channels
 *   would see holes, so every client receives the whole recorded connection, events included,
 *   from the moment it connects; the recorded `subscribed` events map its channels exactly as they
 *   were. Subscribing answers with the recorded chanId; unsubscribing stops nothing (the chain
 *   must stay whole) and the session ignores an unsubscribed chanId. A client resubscribing
 *   mid-stream gets a snapshot frame cut from the reference book; the chain has no free number
 *   for it, so it carries none (the session accepts a frame without one and says so once). The
 *   engine's own first subscriptions usually reach the server after the recorded `subscribed`
 *   events have gone by; they get the same answer, a snapshot equal to the book the client holds.
 */
import type { ClientFrameResult, ReplayProtocol, ReplayTopic } from '../../replay/replayProtocol.ts';
import type { SymbolBook } from '../../sync/symbolBook.ts';
import { bitfinexNumberText } from './bitfinexChecksum.ts';

interface Channel {
  symbol: string;
  channel: string;
  /** The recorded `subscribed` event's fields beyond chanId (prec, freq, len, pair...). */
  event: Record<string, unknown>;
}

/** Topic of connection-level events (info, conf) of the recording. */
const CONNECTION: ReplayTopic = { symbol: '', channel: 'connection' };

export function bitfinexReplay(): ReplayProtocol {
  const byChan = new Map<string, Channel>();
  /** `${symbol}|${channel}` -> chanId as recorded. */
  const chanOf = new Map<string, string>();
  const topics = new Map<string, ReplayTopic>();
  const note = (t: ReplayTopic): ReplayTopic => {
    topics.set(`${t.symbol}|${t.channel}`, t);
    return t;
  };

  return {
    venue: 'bitfinex',
    topicOf(raw: string): ReplayTopic | undefined {
      if (raw.startsWith('[')) {
        const chan = /^\[(\d+),/.exec(raw)?.[1];
        const ch = chan === undefined ? undefined : byChan.get(chan);
        return ch === undefined ? note(CONNECTION) : note({ symbol: ch.symbol, channel: ch.channel });
      }
      let e: Record<string, unknown>;
      try {
        e = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        return undefined;
      }
      if (e['event'] === 'subscribed' && typeof e['symbol'] === 'string' && typeof e['channel'] === 'string' && e['chanId'] !== undefined) {
        const chan = String(e['chanId']);
        const c: Channel = { symbol: e['symbol'], channel: e['channel'], event: e };
        byChan.set(chan, c);
        chanOf.set(`${c.symbol}|${c.channel}`, chan);
        return note({ symbol: c.symbol, channel: c.channel });
      }
      return note(CONNECTION);
    },
    isBookChannel: (channel) => channel === 'book',
    connect(url: URL) {
      if (url.pathname !== '/ws/2' && url.pathname !== '/ws/2/') return { refuse: { status: 404, message: `Bitfinex serves /ws/2, not ${url.pathname}` } };
      // The whole recorded connection: the SEQ_ALL chain covers every frame of it.
      return { topics: [...topics.values()] };
    },
    clientFrame(raw: string): ClientFrameResult {
      let m: Record<string, unknown>;
      try {
        m = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        return { replies: [JSON.stringify({ event: 'error', msg: 'invalid request', code: 10000 })] };
      }
      switch (m['event']) {
        case 'conf':
          return { replies: [JSON.stringify({ event: 'conf', status: 'OK', flags: m['flags'] })] };
        case 'ping':
          return { replies: [JSON.stringify({ event: 'pong', ts: Date.now(), cid: m['cid'] })] };
        case 'subscribe': {
          const symbol = String(m['symbol'] ?? '');
          const channel = String(m['channel'] ?? '');
          const chan = chanOf.get(`${symbol}|${channel}`);
          if (chan === undefined) return { replies: [JSON.stringify({ event: 'error', msg: 'symbol: invalid', code: 10300, channel, symbol })] };
          const recorded = byChan.get(chan)!.event;
          return { subscribe: [{ symbol, channel }], replies: [JSON.stringify({ ...recorded, chanId: Number(chan) })] };
        }
        case 'unsubscribe':
          return { replies: [JSON.stringify({ event: 'unsubscribed', status: 'OK', chanId: m['chanId'] })] };
        default:
          return { replies: [JSON.stringify({ event: 'error', msg: `unknown event ${String(m['event'])}`, code: 10000 })] };
      }
    },
    snapshotFrames(topic: ReplayTopic, ref: SymbolBook): string[] {
      const chan = chanOf.get(`${topic.symbol}|${topic.channel}`);
      if (topic.channel !== 'book' || chan === undefined) return [];
      const b = ref.book;
      const entries: string[] = [];
      // Bids first then asks, best first; COUNT is not kept by the engine's book: 1 stands in
      // (any positive count means "present"; the checksum does not cover it).
      for (let i = 0; i < b.bids.count; i++) entries.push(`[${bitfinexNumberText(b.bids.priceAt(i), b.priceScale)},1,${bitfinexNumberText(b.bids.sizeAtLevel(i), b.sizeScale)}]`);
      for (let i = 0; i < b.asks.count; i++) entries.push(`[${bitfinexNumberText(b.asks.priceAt(i), b.priceScale)},1,${bitfinexNumberText(-b.asks.sizeAtLevel(i), b.sizeScale)}]`);
      return [`[${chan},[${entries.join(',')}]]`];
    },
  };
}
