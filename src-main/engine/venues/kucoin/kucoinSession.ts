/**
 * KuCoin spot `/market/level2` session: `trade.l2update` diffs aligned with a REST snapshot that
 * carries `sequence`, plus `/market/match` trades.
 *
 * Docs followed (venues.md section 14.2):
 * - https://www.kucoin.com/docs/websocket/spot-trading/public-channels/level2-market-data and the
 *   newer page https://www.kucoin.com/docs-new/3470068w0 ("Orderbook - Increment"): message
 *   `{subject:"trade.l2update", data:{changes:{asks:[[price,size,sequence]],bids:[...]},
 *   sequenceStart, sequenceEnd, symbol, time}}` and the calibration procedure: cache the stream,
 *   fetch a snapshot with `sequence`, replay the cache, keep applying while
 *   `sequenceStart(new) <= sequenceEnd(old) + 1` and `sequenceEnd(new) > sequenceEnd(old)`;
 *   entries whose own sequence is not newer than the book are ignored (the doc's worked example:
 *   snapshot sequence 16, entries at 16 and 15 ignored); price "0" only advances the sequence;
 *   size "0" removes the price.
 * - https://www.kucoin.com/docs/websocket/basic-info/create-connection (bullet-public token,
 *   `welcome`, `{"id","type":"ping"}` every pingInterval, subscribe with `response: true`)
 * - Kucoin/kucoin-api-docs issue #44: the server drops messages for slow readers, which shows up
 *   as a sequence gap -> resync that symbol only.
 *
 * Quirks carried here:
 * - The per-entry `sequence` is the last modification of that price, not a continuity counter;
 *   only sequenceStart/sequenceEnd chain (KUCOIN_RULES).
 * - The 2021 recording's messages each carry one sequence (start == end) and about a third of
 *   BCHSV-USDT's entries have price "0" (sequence-only markers): they must advance the book's
 *   sequence without touching a level.
 */
import type { AnomalyKind } from '../../../../src-shared/model/market.ts';
import type { ConnectionPlan, SessionContext, VenueSession } from '../venue.ts';
import { resyncPriority } from '../venue.ts';
import { jsonObjectFrame } from '../jsonFrame.ts';
import { emitTrade, takerSide } from '../tradeOut.ts';
import { setLevels } from '../setLevels.ts';
import type { SymbolBook } from '../../sync/symbolBook.ts';
import { RestAligned } from '../../sync/restAligned.ts';
import type { AlignRules, IdRange } from '../../sync/restAligned.ts';

/** Levels per side of the public partial snapshot (`level2_100`), the trust band of the book. */
export const KUCOIN_SNAPSHOT_DEPTH = 100;

/** KuCoin's default `pingInterval` from bullet-public, in ms. */
export const KUCOIN_PING_INTERVAL_MS = 18_000;

/**
 * The KuCoin calibration rule as alignment rules (level2 doc, "calibration procedure"):
 * - a diff is already in the snapshot when `sequenceEnd <= snapshot sequence`;
 * - the first one applied after the snapshot must start at or before `sequence + 1` and end after it;
 * - then each diff applies while `sequenceStart <= prevEnd + 1` and `sequenceEnd > prevEnd`;
 *   a diff ending at or before prevEnd is a repeat, one starting after prevEnd + 1 is a gap.
 */
export const KUCOIN_RULES: AlignRules = {
  contained: (d, snap) => d.last <= snap,
  bridges: (d, snap) => d.first <= snap + 1 && d.last > snap,
  continues: (d, last) => (d.last <= last ? 'duplicate' : d.first <= last + 1 ? 'ok' : 'gap'),
  tooOld: (snap, first) => snap < first.first - 1,
  expected: (last) => `sequenceStart <= ${last + 1}`,
};

/** One change: [price, size, sequence]. */
type Change = [string, string, string?];

interface L2Payload {
  asks: Change[];
  bids: Change[];
}

interface KucoinFrame {
  id?: string;
  type?: string;
  topic?: string;
  subject?: string;
  code?: number | string;
  data?: unknown;
}

interface L2Data {
  symbol?: string;
  sequenceStart?: number;
  sequenceEnd?: number;
  time?: number;
  changes?: { asks?: Change[]; bids?: Change[] };
}

interface MatchData {
  symbol?: string;
  sequence?: string;
  side?: string;
  size?: string;
  price?: string;
  tradeId?: string;
  time?: string;
}

function isChanges(v: unknown): v is Change[] {
  return Array.isArray(v) && v.every((c) => Array.isArray(c) && typeof c[0] === 'string' && typeof c[1] === 'string');
}

export class KucoinSession implements VenueSession {
  private readonly ctx: SessionContext;
  private readonly plan: ConnectionPlan;
  private readonly aligned = new Map<string, RestAligned<L2Payload>>();
  private nextId = 1;
  readonly keepalive: { intervalMs: number; frame(): string };

  constructor(ctx: SessionContext, plan: ConnectionPlan, pingIntervalMs = KUCOIN_PING_INTERVAL_MS) {
    this.ctx = ctx;
    this.plan = plan;
    this.keepalive = { intervalMs: pingIntervalMs, frame: () => JSON.stringify({ id: String(this.nextId++), type: 'ping' }) };
  }

  onOpen(): void {
    if (this.plan.venueSymbols.length === 0) return;
    // One topic carries up to 100 symbols (the plan shards below that).
    const list = this.plan.venueSymbols.join(',');
    for (const topic of [`/market/level2:${list}`, `/market/match:${list}`]) {
      this.ctx.send(JSON.stringify({ id: String(this.nextId++), type: 'subscribe', topic, privateChannel: false, response: true }));
    }
  }

  private alignedFor(sb: SymbolBook): RestAligned<L2Payload> {
    let a = this.aligned.get(sb.symbol);
    if (a === undefined) {
      a = new RestAligned<L2Payload>(sb, KUCOIN_RULES, {
        apply: (b, p) => this.applyChanges(b, p),
        requestSnapshot: (b, priority) => this.ctx.requestSnapshot(b.symbol, priority),
      });
      this.aligned.set(sb.symbol, a);
    }
    return a;
  }

  onMessage(raw: string, recvTsNs: bigint): void {
    const msg = jsonObjectFrame<KucoinFrame>(this.ctx, raw);
    if (msg === undefined) return;
    switch (msg.type) {
      case 'message':
        if (msg.subject === 'trade.l2update') this.onL2(msg.data as L2Data, recvTsNs);
        else if (msg.subject === 'trade.l3match' || msg.subject === 'match') this.onMatch(msg.data as MatchData, recvTsNs);
        // tickers and candles carry nothing the book needs.
        return;
      case 'welcome':
      case 'ack':
      case 'pong':
        return;
      case 'error':
        // e.g. 509 "exceed max subscription count limitation of 100 per session" (ccxws).
        this.ctx.notice('error', `venue error ${String(msg.code ?? '?')}: ${typeof msg.data === 'string' ? msg.data : JSON.stringify(msg.data)}`);
        return;
      default:
        this.ctx.notice('info', `frame type ${String(msg.type)}`);
    }
  }

  private onL2(d: L2Data | undefined, recvTsNs: bigint): void {
    if (d === undefined || typeof d.symbol !== 'string') return;
    const sb = this.ctx.book(d.symbol);
    if (sb === undefined) return;
    sb.observe(recvTsNs, typeof d.time === 'number' ? d.time : 0);
    const first = d.sequenceStart;
    const last = d.sequenceEnd;
    const asks = d.changes?.asks ?? [];
    const bids = d.changes?.bids ?? [];
    if (typeof first !== 'number' || typeof last !== 'number' || !Number.isSafeInteger(first) || !Number.isSafeInteger(last) || !isChanges(asks) || !isChanges(bids)) {
      this.ctx.notice('warn', 'l2update without sequenceStart/sequenceEnd or with malformed changes', sb.symbol);
      return;
    }
    const ids: IdRange = { first, last, prev: -1 };
    this.alignedFor(sb).onDiff(ids, { asks, bids }, recvTsNs);
  }

  /** Apply the changes newer than the book's sequence; -1 when a level was rejected. */
  private applyChanges(sb: SymbolBook, p: L2Payload): number {
    let n = 0;
    for (const [isBid, changes] of [[true, p.bids], [false, p.asks]] as const) {
      for (const c of changes) {
        // Price "0" is a sequence-only marker: it advances the sequence, nothing else.
        if (c[0] === '0') continue;
        const entrySeq = c[2] !== undefined ? Number(c[2]) : Number.NaN;
        // Already reflected in the book (snapshot or an overlapping earlier diff).
        if (entrySeq <= sb.seq) continue;
        if (!sb.setLevel(isBid, c[0], c[1])) return -1;
        n++;
      }
    }
    return n;
  }

  private onMatch(d: MatchData | undefined, recvTsNs: bigint): void {
    if (d === undefined || typeof d.symbol !== 'string' || d.price === undefined || d.size === undefined) return;
    const sb = this.ctx.book(d.symbol);
    if (sb === undefined) return;
    emitTrade(this.ctx, sb, recvTsNs, {
      priceText: d.price,
      sizeText: d.size,
      tradeId: d.tradeId ?? d.sequence ?? '',
      // The match channel's `side` is documented as the taker's side (issue #470 questioned it).
      takerSide: takerSide(d.side, 'buy', 'sell'),
      // `time` is in nanoseconds as a string.
      exchTsMs: d.time !== undefined && /^\d+$/.test(d.time) ? Number(BigInt(d.time) / 1_000_000n) : 0,
    });
  }

  onSnapshot(venueSymbol: string, body: string, _recvTsNs: bigint): void {
    const sb = this.ctx.book(venueSymbol);
    if (sb === undefined) return;
    const aligned = this.alignedFor(sb);
    let snap: { code?: string; msg?: string; data?: { sequence?: string; bids?: unknown; asks?: unknown } };
    try {
      snap = JSON.parse(body);
    } catch {
      this.ctx.notice('error', `snapshot for ${venueSymbol} is not JSON`, venueSymbol);
      aligned.snapshotFailed();
      return;
    }
    const d = snap?.data;
    const seq = typeof d?.sequence === 'string' && /^\d+$/.test(d.sequence) ? Number(d.sequence) : Number.NaN;
    if (snap?.code !== '200000' || d === undefined || !Number.isSafeInteger(seq) || !isChanges(d.bids) || !isChanges(d.asks)) {
      this.ctx.notice('error', `snapshot for ${venueSymbol} is not a level-2 book with a sequence (code ${snap?.code ?? '?'}${snap?.msg ? `: ${snap.msg}` : ''})`, venueSymbol);
      aligned.snapshotFailed();
      return;
    }
    const bids = d.bids;
    const asks = d.asks;
    aligned.onSnapshot((b) => (setLevels(b, bids, asks) < 0 ? -1 : seq), KUCOIN_SNAPSHOT_DEPTH);
  }

  resync(venueSymbol: string, cause: AnomalyKind): void {
    const sb = this.ctx.book(venueSymbol);
    if (sb === undefined) return;
    const a = this.alignedFor(sb);
    a.reset();
    a.askSnapshot(resyncPriority(cause));
  }

  onClose(): void {
    for (const a of this.aligned.values()) a.reset();
  }
}
