/**
 * Bitfinex WebSocket v2 as a local replay venue (ReplayProtocol).
 *
 * Docs followed (venues.md section 14.3, bitfinexSession.ts):
 * - `{"event":"conf","flags":N}` -> `{"event":"conf","status":"OK","flags":N}`;
 *   `{"event":"subscribe","channel","symbol",...}` -> `{"event":"subscribed","channel","chanId",
 *   "symbol",...}` then the channel's snapshot, or `{"event":"error","msg","code":10300}`;
 *   `{"event":"unsubscribe","chanId"}` -> `{"event":"unsubscribed","status":"OK","chanId"}`;
 *   `{"event":"ping","cid"}` -> `{"event":"pong","cid","ts"}`.
 * - With SEQ_ALL every frame ends with one sequence number per connection ([chan, payload, SEQ],
 *   [chan,"hb",SEQ], [chan,"cs",CHECKSUM,SEQ], [chan,"te",TRADE,SEQ]).
 *
 * Two things about this venue shape the replay:
 * - Data frames do not name their symbol, only a chanId announced by a `subscribed` event. The
 *   protocol learns chanId -> (symbol, channel) from the recorded events as the server reads the
 *   recording (topicOf runs over it in recording order): the one piece of state it keeps. A
 *   subscription is answered with the recorded chanId, so recorded frames need no rewriting.
 * - The recorded sequence numbers count every channel of the recorder's connection (tickers
 *   too). A client subscribed to fewer channels gets them renumbered per socket by the server
 *   (`sequenceFrame`, written before fault injection: a frame lost in transit still leaves a
 *   hole), and a snapshot cut for a client that subscribes mid-stream takes the next number, as
 *   Bitfinex's own snapshot after a subscribe does.
 */
import type { ClientFrameResult, ReplayProtocol, ReplayTopic } from '../../replay/replayProtocol.ts';
import type { SymbolBook } from '../../sync/symbolBook.ts';
import { bitfinexNumberText } from './bitfinexChecksum.ts';
import { bitfinexInstrumentsAnswer } from './bitfinexInstruments.ts';

interface Channel {
  symbol: string;
  channel: string;
  /** The recorded `subscribed` event (prec, freq, len, pair...), answered again on subscribe. */
  event: Record<string, unknown>;
}

/** The trailing SEQ_ALL number of a frame: after a payload, "hb", or a checksum. */
const TRAILING_SEQ = /(\]|"hb"|"cs",-?\d+),\d+\]$/;

export function bitfinexReplay(): ReplayProtocol {
  const byChan = new Map<string, Channel>();
  /** `${symbol}|${channel}` -> chanId as recorded. */
  const chanOf = new Map<string, string>();

  return {
    venue: 'bitfinex',
    // The configs pair lists with the recorded pairs ("symbols": "all" against a replay).
    instruments: bitfinexInstrumentsAnswer,
    topicOf(raw: string): ReplayTopic | undefined {
      if (raw.startsWith('[')) {
        const chan = /^\[(\d+),/.exec(raw)?.[1];
        const ch = chan === undefined ? undefined : byChan.get(chan);
        return ch === undefined ? undefined : { symbol: ch.symbol, channel: ch.channel };
      }
      // Events are answered by clientFrame, not replayed; `subscribed` ones teach the chanIds.
      let e: Record<string, unknown>;
      try {
        e = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        return undefined;
      }
      if (e['event'] === 'subscribed' && typeof e['symbol'] === 'string' && typeof e['channel'] === 'string' && e['chanId'] !== undefined) {
        const chan = String(e['chanId']);
        byChan.set(chan, { symbol: e['symbol'], channel: e['channel'], event: e });
        chanOf.set(`${e['symbol']}|${e['channel']}`, chan);
      }
      return undefined;
    },
    isBookChannel: (channel) => channel === 'book',
    connect(url: URL) {
      if (url.pathname === '/ws/2' || url.pathname === '/ws/2/') return { topics: [] };
      return { refuse: { status: 404, message: `Bitfinex serves /ws/2, not ${url.pathname}` } };
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
          return { subscribe: [{ symbol, channel }], replies: [JSON.stringify({ ...byChan.get(chan)!.event, chanId: Number(chan) })] };
        }
        case 'unsubscribe': {
          const ch = byChan.get(String(m['chanId']));
          if (ch === undefined) return { replies: [JSON.stringify({ event: 'error', msg: 'unsubscribe: invalid', code: 10400 })] };
          return { unsubscribe: [{ symbol: ch.symbol, channel: ch.channel }], replies: [JSON.stringify({ event: 'unsubscribed', status: 'OK', chanId: m['chanId'] })] };
        }
        default:
          return { replies: [JSON.stringify({ event: 'error', msg: `unknown event ${String(m['event'])}`, code: 10000 })] };
      }
    },
    snapshotFrames(topic: ReplayTopic, ref: SymbolBook): string[] {
      const chan = chanOf.get(`${topic.symbol}|${topic.channel}`);
      if (topic.channel !== 'book' || chan === undefined) return [];
      const b = ref.book;
      const entries: string[] = [];
      // Bids then asks, best first, [PRICE, COUNT, AMOUNT]. The engine's book keeps no order
      // count: 1 stands in (any positive count means "present"; the checksum does not cover it).
      for (let i = 0; i < b.bids.count; i++) entries.push(`[${bitfinexNumberText(b.bids.priceAt(i), b.priceScale)},1,${bitfinexNumberText(b.bids.sizeAtLevel(i), b.sizeScale)}]`);
      for (let i = 0; i < b.asks.count; i++) entries.push(`[${bitfinexNumberText(b.asks.priceAt(i), b.priceScale)},1,${bitfinexNumberText(-b.asks.sizeAtLevel(i), b.sizeScale)}]`);
      // The trailing 0 is a placeholder: sequenceFrame writes the client's next number.
      return [`[${chan},[${entries.join(',')}],0]`];
    },
    sequenceFrame(raw: string, n: number): string | undefined {
      if (!raw.startsWith('[')) return undefined;
      const m = TRAILING_SEQ.exec(raw);
      if (m === null) return undefined;
      return `${raw.slice(0, m.index + m[1]!.length)},${n}]`;
    },
  };
}
