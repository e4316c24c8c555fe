/**
 * BitMEX as a local replay venue (ReplayProtocol).
 *
 * Docs followed:
 * - https://www.bitmex.com/app/wsAPI (endpoint /realtime, optional `?subscribe=a,b` in the URL;
 *   `{"op":"subscribe","args":[...]}` answered per topic with
 *   `{"success":true,"subscribe":"orderBookL2:XBTUSD","request":{...}}`; errors
 *   `{"status":400,"error":"...","request":{...}}`; the text "ping" is answered "pong";
 *   "subscriptions are not rate-limited once connected")
 *
 * Recorded frames name their table and, in their rows (or the partial's `filter`), the symbol.
 * A client that (re)subscribes `orderBookL2:X` mid-stream gets a `partial` cut from the reference
 * book with the reference's own ids (bitmexIdTable), so the recorded updates and deletes that
 * follow name rows the client holds -- as BitMEX's own partial on resubscription does.
 */
import { formatScaled } from '../../../../src-shared/model/decimal.ts';
import type { ReplayProtocol, ReplayTopic } from '../../replay/replayProtocol.ts';
import type { SymbolBook } from '../../sync/symbolBook.ts';
import { BITMEX_BOOK_TABLE, bitmexIdTable } from './bitmexSession.ts';
import { bitmexInstrumentsAnswer } from './bitmexInstruments.ts';

/** "orderBookL2:XBTUSD" -> topic ("instrument" alone, without a symbol, is not served). */
function argTopic(arg: string): ReplayTopic | undefined {
  const colon = arg.indexOf(':');
  return colon > 0 ? { symbol: arg.slice(colon + 1), channel: arg.slice(0, colon) } : undefined;
}

const PARTIAL_HEAD =
  '"keys":["symbol","id","side"],"types":{"symbol":"symbol","id":"long","side":"symbol","size":"long","price":"float"},"foreignKeys":{"symbol":"instrument","side":"side"},"attributes":{"symbol":"parted","id":"sorted"}';

export function bitmexReplay(): ReplayProtocol {
  return {
    venue: 'bitmex',
    // instrument/active with the recorded symbols ("symbols": "all" against a replay).
    instruments: bitmexInstrumentsAnswer,
    topicOf(raw: string): ReplayTopic | undefined {
      if (!raw.startsWith('{"table":')) return undefined;
      let m: { table?: unknown; filter?: { symbol?: unknown }; data?: { symbol?: unknown }[] };
      try {
        m = JSON.parse(raw);
      } catch {
        return undefined;
      }
      const symbol = m.data?.[0]?.symbol ?? m.filter?.symbol;
      return typeof m.table === 'string' && typeof symbol === 'string' ? { symbol, channel: m.table } : undefined;
    },
    isBookChannel: (channel) => channel === BITMEX_BOOK_TABLE || channel === `${BITMEX_BOOK_TABLE}_25`,
    connect(url: URL) {
      if (!url.pathname.startsWith('/realtime')) return { refuse: { status: 404, message: `BitMEX serves its WebSocket API on /realtime, not ${url.pathname}` } };
      const subscribe = url.searchParams.get('subscribe');
      return { topics: (subscribe ? subscribe.split(',') : []).map(argTopic).filter((t): t is ReplayTopic => t !== undefined) };
    },
    clientFrame(raw: string) {
      if (raw === 'ping') return { replies: ['pong'] };
      let msg: { op?: unknown; args?: unknown };
      try {
        msg = JSON.parse(raw);
      } catch {
        return { replies: [JSON.stringify({ status: 400, error: 'Unable to parse request.' })] };
      }
      const request = msg;
      if (msg.op !== 'subscribe' && msg.op !== 'unsubscribe') return { replies: [JSON.stringify({ status: 400, error: `Unknown or unsupported op: ${String(msg.op)}`, request })] };
      const args = typeof msg.args === 'string' ? [msg.args] : msg.args;
      if (!Array.isArray(args) || !args.every((a) => typeof a === 'string')) return { replies: [JSON.stringify({ status: 400, error: 'args must be a topic or an array of topics', request })] };
      const topics: ReplayTopic[] = [];
      const replies: string[] = [];
      for (const a of args as string[]) {
        const t = argTopic(a);
        if (t === undefined) {
          replies.push(JSON.stringify({ status: 400, error: `Unknown or unsupported topic: ${a}`, request }));
          continue;
        }
        topics.push(t);
        replies.push(JSON.stringify({ success: true, [msg.op]: a, request }));
      }
      return msg.op === 'subscribe' ? { subscribe: topics, replies } : { unsubscribe: topics, replies };
    },
    snapshotFrames(topic: ReplayTopic, ref: SymbolBook): string[] {
      const ids = bitmexIdTable(ref);
      if (ids === undefined) return [];
      const b = ref.book;
      const rows: string[] = [];
      for (const [id, row] of ids) {
        const price = ref.price(row.priceText);
        const size = (row.isBid ? b.bids : b.asks).sizeAt(price);
        rows.push(`{"symbol":"${topic.symbol}","id":${id},"side":"${row.isBid ? 'Buy' : 'Sell'}","size":${formatScaled(size, b.sizeScale)},"price":${row.priceText}}`);
      }
      return [`{"table":"${topic.channel}","action":"partial",${PARTIAL_HEAD},"filter":{"symbol":"${topic.symbol}"},"data":[${rows.join(',')}]}`];
    },
  };
}
