/**
 * LEGACY Bybit v2 `orderBookL2_25` session: reads the 2021 recordings only. Bybit retired these
 * streams (`wss://stream.bybit.com/realtime_public` for USDT perpetuals, `/realtime` for inverse
 * contracts) in favour of v5; live feeds use bybitSession.ts.
 *
 * Docs followed (archived):
 * - https://bybit-exchange.github.io/docs-legacy/linear/#t-websocketorderbook25
 * - https://bybit-exchange.github.io/docs-legacy/inverse/#t-websocketorderbook25
 *
 * Quirks carried here:
 * - Levels are keyed by an `id`. The snapshot and `insert` entries carry the price; `update` and
 *   `delete` are applied by id, so the session keeps a map id -> price per symbol and never trusts
 *   an update's own price field over it (a disagreement is an invalid message).
 * - A delta lists `delete`, `update`, `insert`; applied in that order, all before any check.
 * - An `update` for an id the book never saw means an insert was lost: a gap. A `delete` of an
 *   unknown id is ignored (venues.md section 0 rule 3).
 * - No per-topic sequence: `cross_seq` is the matching engine's sequence shared across symbols,
 *   so it only has to rise. Equal = duplicate, lower = regression (both dropped). Gaps in the
 *   book itself cannot be detected beyond the unknown-id case.
 * - The snapshot shape differs by endpoint: USDT perpetuals put the levels in
 *   `data.order_book` with string ids and string `cross_seq`; inverse contracts send `data` as the
 *   array with numeric ids and numbers elsewhere. Sizes and inverse trade prices are JSON
 *   *numbers*: they are read from the message text (`parseJsonExact`, JSON.parse source text) so
 *   they stay exact decimals and never pass through a binary float.
 * - Depth: 25 levels per side (trust 'window').
 * - Trades (`trade.SYM`): `side` is the taker side; keepalive `{"op":"ping"}` every 30 s.
 */
import type { AnomalyKind } from '../../../../src-shared/model/market.ts';
import type { ConnectionPlan, SessionContext, VenueSession } from '../venue.ts';
import { exactFrame } from '../jsonFrame.ts';
import { emitTrade, takerSide } from '../tradeOut.ts';
import type { SymbolBook } from '../../sync/symbolBook.ts';
import { crossedText } from '../crossedText.ts';
import type { ExactJson as Exact } from '../../../../src-shared/model/jsonExact.ts';

const DEPTH = 25;
const PING_INTERVAL_MS = 30_000;

interface Entry {
  id: string;
  price: string | undefined;
  side: string | undefined;
  size: string | undefined;
}

function entries(v: Exact | undefined): Entry[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const out: Entry[] = [];
  for (const e of v) {
    if (e === null || typeof e !== 'object' || Array.isArray(e)) return undefined;
    const id = e['id'];
    if (typeof id !== 'string') return undefined;
    const price = e['price'];
    const side = e['side'];
    const size = e['size'];
    out.push({
      id,
      price: typeof price === 'string' ? price : undefined,
      side: typeof side === 'string' ? side : undefined,
      size: typeof size === 'string' ? size : undefined,
    });
  }
  return out;
}

interface Known {
  price: string;
  isBid: boolean;
}

interface LegacyState {
  ids: Map<string, Known>;
  crossSeq: number;
  awaitingSnapshot: boolean;
}

function field(o: { [k: string]: Exact }, k: string): string | undefined {
  const v = o[k];
  return typeof v === 'string' ? v : undefined;
}

export class BybitLegacySession implements VenueSession {
  private readonly ctx: SessionContext;
  private readonly plan: ConnectionPlan;
  private readonly states = new Map<string, LegacyState>();

  readonly keepalive = { intervalMs: PING_INTERVAL_MS, frame: (): string => JSON.stringify({ op: 'ping' }) };

  constructor(ctx: SessionContext, plan: ConnectionPlan) {
    this.ctx = ctx;
    this.plan = plan;
  }

  onOpen(): void {
    const args = this.plan.venueSymbols.flatMap((s) => [`orderBookL2_25.${s}`, `trade.${s}`]);
    if (args.length > 0) this.ctx.send(JSON.stringify({ op: 'subscribe', args }));
  }

  private state(symbol: string): LegacyState {
    let st = this.states.get(symbol);
    if (st === undefined) {
      st = { ids: new Map(), crossSeq: -1, awaitingSnapshot: true };
      this.states.set(symbol, st);
    }
    return st;
  }

  onMessage(raw: string, recvTsNs: bigint): void {
    const msg = exactFrame(this.ctx, raw);
    if (msg === undefined || msg === null || typeof msg !== 'object' || Array.isArray(msg)) return;
    const topic = field(msg, 'topic');
    if (topic === undefined) {
      if (msg['success'] === false) this.ctx.notice('error', `subscribe rejected: ${field(msg, 'ret_msg') ?? 'no reason given'}`);
      return;
    }
    if (topic.startsWith('orderBookL2_25.')) return this.onBook(topic.slice('orderBookL2_25.'.length), msg, recvTsNs);
    if (topic.startsWith('trade.')) return this.onTrades(msg['data'], recvTsNs);
  }

  private onBook(symbol: string, msg: { [k: string]: Exact }, recvTsNs: bigint): void {
    const sb = this.ctx.book(symbol);
    if (sb === undefined) return;
    const st = this.state(symbol);
    sb.counters.messages++;
    const tsE6 = field(msg, 'timestamp_e6');
    sb.observe(recvTsNs, tsE6 !== undefined && /^\d+$/.test(tsE6) ? Math.floor(Number(tsE6) / 1000) : 0);
    const csText = field(msg, 'cross_seq');
    const crossSeq = csText !== undefined && /^\d+$/.test(csText) ? Number(csText) : Number.NaN;
    if (!Number.isSafeInteger(crossSeq)) {
      this.ctx.notice('warn', `orderBookL2_25.${symbol}: message without an integer cross_seq`, symbol);
      return;
    }
    if (crossSeq > sb.lastSeenSeq) sb.lastSeenSeq = crossSeq;
    sb.book.depthCap = DEPTH;
    const data = msg['data'];
    const type = field(msg, 'type');
    if (type === 'snapshot') {
      const list = Array.isArray(data) ? entries(data) : data !== null && typeof data === 'object' ? entries(data['order_book']) : undefined;
      if (list === undefined) {
        this.ctx.notice('warn', `orderBookL2_25.${symbol}: snapshot without a level list`, symbol);
        return;
      }
      this.loadSnapshot(sb, st, list, crossSeq);
      return;
    }
    if (type !== 'delta' || data === null || typeof data !== 'object' || Array.isArray(data)) {
      this.ctx.notice('warn', `orderBookL2_25.${symbol}: unknown message type ${type ?? '(none)'}`, symbol);
      return;
    }
    if (st.awaitingSnapshot) {
      sb.counters.droppedBeforeSnapshot++;
      return;
    }
    if (crossSeq <= st.crossSeq) {
      sb.anomaly(crossSeq === st.crossSeq ? 'duplicate' : 'regress', `cross_seq ${crossSeq} at or before applied ${st.crossSeq}`);
      return;
    }
    const del = entries(data['delete']);
    const upd = entries(data['update']);
    const ins = entries(data['insert']);
    if (del === undefined || upd === undefined || ins === undefined) {
      sb.anomaly('invalid-price', `cross_seq ${crossSeq}: delta without delete/update/insert lists`);
      return;
    }
    let n = 0;
    for (const e of del) {
      const known = st.ids.get(e.id);
      if (known === undefined) continue; // unknown delete: normal, ignored
      st.ids.delete(e.id);
      if (!sb.setLevel(known.isBid, known.price, '0')) return;
      n++;
    }
    for (const e of upd) {
      const known = st.ids.get(e.id);
      if (known === undefined) {
        sb.anomaly('gap', `cross_seq ${crossSeq}: update of level id ${e.id} that was never inserted`);
        return;
      }
      if (e.price !== undefined && e.price !== known.price) {
        sb.anomaly('invalid-price', `cross_seq ${crossSeq}: id ${e.id} updated at ${e.price}, inserted at ${known.price}`);
        return;
      }
      if (e.size === undefined) {
        sb.anomaly('invalid-size', `cross_seq ${crossSeq}: update of id ${e.id} without size`);
        return;
      }
      if (!sb.setLevel(known.isBid, known.price, e.size)) return;
      n++;
    }
    for (const e of ins) {
      if (!this.insert(sb, st, e, crossSeq)) return;
      n++;
    }
    st.crossSeq = crossSeq;
    sb.seq = crossSeq;
    if (sb.book.isCrossed()) {
      sb.anomaly('crossed-book', `${crossedText(sb)} after cross_seq ${crossSeq}`);
      return;
    }
    if (sb.state === 'stale') sb.transition('live', 'fresh data');
    sb.afterApply(n);
  }

  /** Insert one id-keyed level (snapshot or delta). */
  private insert(sb: SymbolBook, st: LegacyState, e: Entry, crossSeq: number): boolean {
    if (e.price === undefined || e.size === undefined || (e.side !== 'Buy' && e.side !== 'Sell')) {
      sb.anomaly('invalid-price', `cross_seq ${crossSeq}: level id ${e.id} without price, size or side`);
      return false;
    }
    const isBid = e.side === 'Buy';
    const known = st.ids.get(e.id);
    if (known !== undefined && (known.price !== e.price || known.isBid !== isBid)) {
      sb.anomaly('invalid-price', `cross_seq ${crossSeq}: id ${e.id} re-inserted at ${e.price}, held at ${known.price}`);
      return false;
    }
    st.ids.set(e.id, { price: e.price, isBid });
    return sb.setLevel(isBid, e.price, e.size);
  }

  private loadSnapshot(sb: SymbolBook, st: LegacyState, list: Entry[], crossSeq: number): void {
    sb.book.clear();
    st.ids.clear();
    for (const e of list) if (!this.insert(sb, st, e, crossSeq)) return;
    sb.book.markSnapshot('window');
    sb.counters.snapshots++;
    st.crossSeq = crossSeq;
    st.awaitingSnapshot = false;
    sb.seq = crossSeq;
    if (sb.book.isCrossed()) {
      sb.anomaly('crossed-book', `snapshot cross_seq ${crossSeq}: ${crossedText(sb)}`);
      return;
    }
    sb.transition('live', 'snapshot', `cross_seq ${crossSeq}`);
    sb.afterApply(list.length);
  }

  private onTrades(data: Exact | undefined, recvTsNs: bigint): void {
    if (!Array.isArray(data)) return;
    for (const t of data) {
      if (t === null || typeof t !== 'object' || Array.isArray(t)) continue;
      const symbol = field(t, 'symbol');
      const sb = symbol !== undefined ? this.ctx.book(symbol) : undefined;
      const p = field(t, 'price');
      const v = field(t, 'size');
      if (sb === undefined || p === undefined || v === undefined) continue;
      const ms = field(t, 'trade_time_ms');
      emitTrade(this.ctx, sb, recvTsNs, {
        priceText: p,
        sizeText: v,
        tradeId: field(t, 'trade_id') ?? '',
        // v2 trade `side` is the taker's side.
        takerSide: takerSide(field(t, 'side'), 'Buy', 'Sell'),
        exchTsMs: ms !== undefined && /^\d+$/.test(ms) ? Number(ms) : 0,
      });
    }
  }

  /** Unsubscribe + subscribe the topic: the venue answers with a new snapshot. */
  resync(venueSymbol: string, cause: AnomalyKind): void {
    const sb = this.ctx.book(venueSymbol);
    if (sb === undefined) return;
    const st = this.state(venueSymbol);
    st.awaitingSnapshot = true;
    st.crossSeq = -1;
    st.ids.clear();
    if (sb.state !== 'resyncing') sb.transition('resyncing', cause, 'resubscribing for a new snapshot');
    const topic = `orderBookL2_25.${venueSymbol}`;
    this.ctx.send(JSON.stringify({ op: 'unsubscribe', args: [topic] }));
    this.ctx.send(JSON.stringify({ op: 'subscribe', args: [topic] }));
  }

  onClose(): void {
    for (const st of this.states.values()) {
      st.awaitingSnapshot = true;
      st.crossSeq = -1;
      st.ids.clear();
    }
  }
}
