/**
 * Bitget as a local replay venue (ReplayProtocol), serving the v2 public path and the v1 stream
 * paths the recording was made on.
 *
 * Docs followed (venues.md section 13, bitgetSession.ts):
 * - requests `{"op":"subscribe"|"unsubscribe","args":[{"instType","channel","instId"}]}`, each
 *   arg acknowledged `{"event":"subscribe","arg":{...}}` (v1 echoes instType in lower case, as
 *   recorded); unknown instType -> `{"event":"error","code":30001,...}`; the text "ping" is
 *   answered "pong"; 10 messages per second per connection;
 * - `books`: a client that subscribes gets a snapshot first, then updates; every push carries
 *   the checksum of the first 25 levels over the original strings.
 *
 * A client subscribing while the recording is already past a book's recorded snapshot gets a
 * snapshot frame cut from the reference book. Its strings are the exchange's originals (the
 * reference session's bitgetLevelText), so its checksum and every later recorded checksum hold.
 * The frame speaks the recording's dialect: v1 ("sp"/"mc", no seq), the only one recorded.
 */
import type { ClientFrameResult, ReplayProtocol, ReplayTopic } from '../../replay/replayProtocol.ts';
import type { SymbolBook } from '../../sync/symbolBook.ts';
import { bitgetBookChecksum } from './bitgetChecksum.ts';
import { bitgetLevelTextOf } from './bitgetSession.ts';
import { bitgetVenueSymbol, splitBitgetSymbol } from './bitgetSymbol.ts';
import type { BitgetDialect } from './bitgetSymbol.ts';
import { bitgetInstrumentsAnswer } from './bitgetInstruments.ts';

/** Bitget's documented per-connection message limit ("ping" included). */
const MESSAGES_PER_SECOND = 10;

/** Channel family of a Bitget channel name. */
function familyOf(channel: string): string {
  if (channel === 'books') return 'depth';
  return channel;
}

interface Arg {
  instType?: unknown;
  channel?: unknown;
  instId?: unknown;
}

function echoArg(a: Arg): Record<string, unknown> {
  // v1 pushes echo instType in lower case ("SP" -> "sp"); v2 keeps it.
  const t = typeof a.instType === 'string' ? a.instType : '';
  return { instType: t === 'SP' || t === 'MC' ? t.toLowerCase() : t, channel: a.channel, instId: a.instId };
}

export function bitgetReplay(dialect: BitgetDialect = 'v1'): ReplayProtocol {
  return {
    venue: 'bitget',
    // The v2 symbol and contract lists with the recorded symbols ("symbols": "all" against a replay).
    instruments: bitgetInstrumentsAnswer,
    clientFramesPerSecond: MESSAGES_PER_SECOND,
    topicOf(raw: string): ReplayTopic | undefined {
      if (!raw.startsWith('{')) return undefined;
      let m: { action?: string; arg?: Arg; event?: string };
      try {
        m = JSON.parse(raw);
      } catch {
        return undefined;
      }
      if (m.event !== undefined || m.action === undefined) return undefined;
      const a = m.arg;
      if (typeof a?.instType !== 'string' || typeof a.instId !== 'string' || typeof a.channel !== 'string') return undefined;
      const symbol = bitgetVenueSymbol(a.instType, a.instId);
      return symbol === undefined ? undefined : { symbol, channel: familyOf(a.channel) };
    },
    isBookChannel: (channel) => channel === 'depth',
    connect(url: URL) {
      if (url.pathname === '/v2/ws/public' || /^\/(spot|mix)\/v1\/stream\/?$/.test(url.pathname)) return { topics: [] };
      return { refuse: { status: 404, message: `Bitget serves /v2/ws/public (and the v1 /spot|mix/v1/stream), not ${url.pathname}` } };
    },
    clientFrame(raw: string): ClientFrameResult {
      if (raw === 'ping') return { replies: ['pong'] };
      let m: { op?: unknown; args?: unknown };
      try {
        m = JSON.parse(raw);
      } catch {
        return { replies: [JSON.stringify({ event: 'error', code: 30012, msg: 'invalid request: not JSON' })] };
      }
      if ((m.op !== 'subscribe' && m.op !== 'unsubscribe') || !Array.isArray(m.args)) {
        return { replies: [JSON.stringify({ event: 'error', code: 30001, msg: `unknown op ${String(m.op)}` })] };
      }
      const topics: ReplayTopic[] = [];
      const replies: string[] = [];
      for (const a of m.args as Arg[]) {
        const symbol = typeof a.instType === 'string' && typeof a.instId === 'string' ? bitgetVenueSymbol(a.instType, a.instId) : undefined;
        if (symbol === undefined || typeof a.channel !== 'string') {
          replies.push(JSON.stringify({ event: 'error', arg: echoArg(a), code: 30001, msg: `instType:${String(a.instType)},channel:${String(a.channel)},instId:${String(a.instId)} doesn't exist` }));
          continue;
        }
        topics.push({ symbol, channel: familyOf(a.channel) });
        replies.push(JSON.stringify({ event: m.op, arg: echoArg(a) }));
      }
      return m.op === 'subscribe' ? { subscribe: topics, replies } : { unsubscribe: topics, replies };
    },
    snapshotFrames(topic: ReplayTopic, ref: SymbolBook): string[] {
      if (topic.channel !== 'depth') return [];
      const text = bitgetLevelTextOf(ref);
      if (text === undefined) return [];
      const b = ref.book;
      const side = (isBid: boolean) => {
        const n = isBid ? b.bids.count : b.asks.count;
        const out: string[] = [];
        for (let i = 0; i < n; i++) out.push(`["${text.priceText(b, isBid, i)}","${text.sizeText(b, isBid, i)}"]`);
        return `[${out.join(',')}]`;
      };
      const { instId, suffix } = splitBitgetSymbol(ref.symbol);
      const instType = dialect === 'v1' ? (suffix === '' ? 'sp' : 'mc') : suffix === '' ? 'SPOT' : suffix === '_UMCBL' ? 'USDT-FUTURES' : suffix === '_DMCBL' ? 'COIN-FUTURES' : 'USDC-FUTURES';
      const seq = dialect === 'v2' && ref.seq >= 0 ? `,"seq":${ref.seq}` : '';
      const ts = String(ref.lastExchTsMs);
      return [
        `{"action":"snapshot","arg":{"instType":"${instType}","channel":"books","instId":"${instId}"},"data":[{"asks":${side(false)},"bids":${side(true)},"checksum":${bitgetBookChecksum(b, text)}${seq},"ts":"${ts}"}]${dialect === 'v2' ? `,"ts":${ts}` : ''}}`,
      ];
    },
  };
}
