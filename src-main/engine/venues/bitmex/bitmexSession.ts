/**
 * BitMEX realtime session: `orderBookL2` (partial, then insert/update/delete rows keyed by id)
 * and `trade`.
 *
 * Docs followed:
 * - https://www.bitmex.com/app/wsAPI (subscribe `{"op":"subscribe","args":["orderBookL2:XBTUSD"]}`,
 *   table diffing with partial/insert/update/delete, "ignore messages before the partial",
 *   heartbeat: send the text "ping", the server answers "pong")
 * - https://www.bitmex.com/api/explorer/#!/OrderBook (orderBookL2 row: symbol, id, side, size, price)
 * - https://blog.bitmex.com/site_announcement/rate-limiting-websocket-connections/ (connects are
 *   token-bucket limited; the welcome frame reports `limit.remaining`)
 * - impl: tardis-node src/mappers/bitmex.ts (BitmexBookChangeMapper keeps an id -> price map)
 *
 * Quirks carried here:
 * - Rows are keyed by (symbol, id, side). An insert names its price; an update or a delete names
 *   only the id (2021 recordings: no update carries a price), so the session keeps id -> (price
 *   text, side) per symbol and resolves each row through it. That map is the feed's continuity
 *   proof -- there is no sequence number and no checksum: an insert must name a new id, an
 *   update or delete an id the book holds, on the same side (and the same price if the row repeats
 *   it). Every row of both recordings agrees (`refsOk`); one that does not means a message was
 *   lost, and is reported as a gap: that symbol is unsubscribed and subscribed again for a new
 *   partial.
 * - Sizes are contracts (integers); prices are JSON numbers, parsed from their source text
 *   (parseJsonExact). `size` is the level's new total.
 * - A message may hold rows of several symbols: each symbol's rows are applied, then checked
 *   (crossed book) as one unit.
 * - `orderBookL2_25` is the same protocol for the best 25 levels: the trust band is that window.
 * - Trades: `side` is the taker's ("Buy" / "Sell"); the `partial` of the trade table replays
 *   trades from before the subscription and is not re-emitted.
 */
import type { AnomalyKind } from '../../../../src-shared/model/market.ts';
import { asArray, asObject, asText } from '../../../../src-shared/model/jsonExact.ts';
import type { ExactJson, ExactObject } from '../../../../src-shared/model/jsonExact.ts';
import type { ConnectionPlan, SessionContext, VenueSession } from '../venue.ts';
import { exactObjectFrame } from '../jsonFrame.ts';
import { emitTrade, takerSide } from '../tradeOut.ts';
import { leaveLiveForResync } from '../resubscribe.ts';
import type { SymbolBook } from '../../sync/symbolBook.ts';

export const BITMEX_BOOK_TABLE = 'orderBookL2';
/** Levels per side of the windowed `orderBookL2_25` table. */
const WINDOW_25 = 25;

interface Row {
  priceText: string;
  isBid: boolean;
}

/** Per-symbol BitMEX state beside the SymbolBook. */
interface SymbolState {
  /** id -> the level it names. */
  ids: Map<string, Row>;
  /** The table this book comes from (resubscribe exactly that). */
  table: string;
}

/**
 * The id table behind each BitMEX book, for code that must speak about the same rows (the local
 * replay server cuts a `partial` from a reference book, bitmexReplay.ts). Keyed by the book, so it
 * goes away with it.
 */
const ID_TABLES = new WeakMap<SymbolBook, ReadonlyMap<string, Row>>();

/** id -> (price text, side) of the rows the book holds, or undefined before its partial. */
export function bitmexIdTable(sb: SymbolBook): ReadonlyMap<string, { priceText: string; isBid: boolean }> | undefined {
  return ID_TABLES.get(sb);
}

export class BitmexSession implements VenueSession {
  private readonly ctx: SessionContext;
  private readonly plan: ConnectionPlan;
  private readonly states = new Map<string, SymbolState>();
  private readonly ignoredTables = new Set<string>();
  /** "ping" keeps the socket open and proves the server alive ("pong"). */
  readonly keepalive = { intervalMs: 5_000, frame: (): string => 'ping' };

  constructor(ctx: SessionContext, plan: ConnectionPlan) {
    this.ctx = ctx;
    this.plan = plan;
  }

  onOpen(): void {
    const symbols = this.plan.venueSymbols;
    if (symbols.length === 0) return;
    this.ctx.send(JSON.stringify({ op: 'subscribe', args: symbols.flatMap((s) => [`${BITMEX_BOOK_TABLE}:${s}`, `trade:${s}`]) }));
  }

  private state(sb: SymbolBook, table: string): SymbolState {
    let st = this.states.get(sb.symbol);
    if (st === undefined) {
      st = { ids: new Map(), table };
      this.states.set(sb.symbol, st);
      ID_TABLES.set(sb, st.ids);
    }
    st.table = table;
    return st;
  }

  onMessage(raw: string, recvTsNs: bigint): void {
    if (raw === 'pong') return;
    const msg = exactObjectFrame(this.ctx, raw);
    if (msg === undefined) return;
    const table = asText(msg['table']);
    const action = asText(msg['action']);
    const data = asArray(msg['data']);
    if (table !== undefined && action !== undefined && data !== undefined) {
      if (table === BITMEX_BOOK_TABLE || table === `${BITMEX_BOOK_TABLE}_25`) return this.onBook(table, action, data, msg, recvTsNs);
      if (table === 'trade') return this.onTrades(action, data, recvTsNs);
      if (!this.ignoredTables.has(table)) {
        this.ignoredTables.add(table);
        this.ctx.notice('info', `ignoring ${table} table`);
      }
      return;
    }
    if (msg['error'] !== undefined) return this.onError(msg);
    // {"success":true,"subscribe":...} acks and the {"info":"Welcome..."} frame.
  }

  private onError(msg: ExactObject): void {
    const text = asText(msg['error']) ?? JSON.stringify(msg['error']);
    this.ctx.notice('error', `venue error ${asText(msg['status']) ?? ''}: ${text}`);
    const args = asArray(asObject(msg['request'])?.['args']) ?? [];
    for (const a of args) {
      const topic = asText(a) ?? '';
      const colon = topic.indexOf(':');
      if (colon > 0 && topic.startsWith(BITMEX_BOOK_TABLE)) this.ctx.book(topic.slice(colon + 1))?.anomaly('subscribe-error', `${topic}: ${text}`);
    }
  }

  private onBook(table: string, action: string, data: ExactJson[], msg: ExactObject, recvTsNs: bigint): void {
    // Rows grouped by symbol, in message order.
    const bySymbol = new Map<string, ExactObject[]>();
    for (const d of data) {
      const row = asObject(d);
      const symbol = row === undefined ? undefined : asText(row['symbol']);
      if (row === undefined || symbol === undefined) {
        this.ctx.notice('warn', `${table} ${action} row without symbol`);
        return;
      }
      let rows = bySymbol.get(symbol);
      if (rows === undefined) bySymbol.set(symbol, (rows = []));
      rows.push(row);
    }
    if (action === 'partial') {
      // An empty partial still names its symbol in the filter: the book is empty, and known.
      const filtered = asText(asObject(msg['filter'])?.['symbol']);
      if (filtered !== undefined && !bySymbol.has(filtered)) bySymbol.set(filtered, []);
    }
    for (const [symbol, rows] of bySymbol) {
      const sb = this.ctx.book(symbol);
      if (sb === undefined) continue;
      sb.counters.messages++;
      sb.observe(recvTsNs, 0);
      if (action === 'partial') this.onPartial(sb, this.state(sb, table), rows);
      else this.onRows(sb, this.state(sb, table), action, rows);
    }
  }

  private onPartial(sb: SymbolBook, st: SymbolState, rows: ExactObject[]): void {
    sb.book.clear();
    st.ids.clear();
    if (sb.state !== 'syncing') sb.transition('syncing', 'snapshot', `partial of ${rows.length} rows`);
    for (const r of rows) {
      if (!this.insert(sb, st, r, false)) {
        sb.book.clear();
        st.ids.clear();
        return;
      }
    }
    sb.counters.snapshots++;
    sb.book.markSnapshot(st.table === BITMEX_BOOK_TABLE ? 'full' : 'window');
    if (st.table !== BITMEX_BOOK_TABLE) sb.book.depthCap = WINDOW_25;
    if (sb.book.isCrossed()) {
      sb.anomaly('crossed-book', `partial crossed: bid ${sb.book.bids.bestPrice()} >= ask ${sb.book.asks.bestPrice()}`);
      return;
    }
    sb.transition('live', 'snapshot', `partial, ${rows.length} levels`);
    sb.afterApply(rows.length);
  }

  private onRows(sb: SymbolBook, st: SymbolState, action: string, rows: ExactObject[]): void {
    if (sb.state !== 'live' && sb.state !== 'stale') {
      // Before the partial, or after an anomaly while the resubscription's partial is on its way.
      return;
    }
    for (const r of rows) {
      const ok = action === 'insert' ? this.insert(sb, st, r, true) : action === 'update' ? this.update(sb, st, r) : action === 'delete' ? this.remove(sb, st, r) : this.unknownAction(sb, action);
      if (!ok) return;
    }
    if (sb.book.isCrossed()) {
      sb.anomaly('crossed-book', `best bid ${sb.book.bids.bestPrice()} >= best ask ${sb.book.asks.bestPrice()} after ${action}`);
      return;
    }
    if (sb.state === 'stale') sb.transition('live', 'fresh data');
    sb.afterApply(rows.length);
  }

  private unknownAction(sb: SymbolBook, action: string): boolean {
    sb.anomaly('invalid-price', `unknown ${BITMEX_BOOK_TABLE} action "${action}"`);
    return false;
  }

  /** Read id and side; undefined (after an anomaly) when either is missing. */
  private key(sb: SymbolBook, r: ExactObject): { id: string; isBid: boolean } | undefined {
    const id = asText(r['id']);
    const side = asText(r['side']);
    if (id === undefined || (side !== 'Buy' && side !== 'Sell')) {
      sb.anomaly('invalid-price', `row without id or Buy/Sell side: ${JSON.stringify(r)}`);
      return undefined;
    }
    return { id, isBid: side === 'Buy' };
  }

  private insert(sb: SymbolBook, st: SymbolState, r: ExactObject, countRef: boolean): boolean {
    const k = this.key(sb, r);
    if (k === undefined) return false;
    const price = asText(r['price']);
    const size = asText(r['size']);
    if (price === undefined || size === undefined) {
      sb.anomaly('invalid-price', `insert of id ${k.id} without price or size`);
      return false;
    }
    if (st.ids.has(k.id)) {
      sb.anomaly('gap', `insert of id ${k.id} that the book already holds`);
      return false;
    }
    // One id per price level: a second id at a held price would silently merge two rows.
    const p = sb.price(price);
    if (Number.isNaN(p)) return false;
    if ((k.isBid ? sb.book.bids : sb.book.asks).sizeAt(p) > 0) {
      sb.anomaly('gap', `insert of id ${k.id} at ${price}, a price another id already holds`);
      return false;
    }
    if (!sb.setLevel(k.isBid, price, size)) return false;
    st.ids.set(k.id, { priceText: price, isBid: k.isBid });
    if (countRef) sb.counters.refsOk++;
    return true;
  }

  /** The level an update/delete names; undefined (after a gap anomaly) when it does not match. */
  private resolve(sb: SymbolBook, st: SymbolState, r: ExactObject, verb: string): { id: string; row: Row } | undefined {
    const k = this.key(sb, r);
    if (k === undefined) return undefined;
    const row = st.ids.get(k.id);
    if (row === undefined) {
      sb.anomaly('gap', `${verb} of id ${k.id}, which the book does not hold`);
      return undefined;
    }
    if (row.isBid !== k.isBid) {
      sb.anomaly('gap', `${verb} of id ${k.id} on the ${k.isBid ? 'bid' : 'ask'} side, held on the other`);
      return undefined;
    }
    const price = asText(r['price']);
    if (price !== undefined && !samePrice(sb, price, row.priceText)) {
      sb.anomaly('gap', `${verb} of id ${k.id} at ${price}, held at ${row.priceText}`);
      return undefined;
    }
    return { id: k.id, row };
  }

  private update(sb: SymbolBook, st: SymbolState, r: ExactObject): boolean {
    const found = this.resolve(sb, st, r, 'update');
    if (found === undefined) return false;
    const size = asText(r['size']);
    if (size === undefined) {
      sb.anomaly('invalid-size', `update of id ${found.id} without size`);
      return false;
    }
    if (!sb.setLevel(found.row.isBid, found.row.priceText, size)) return false;
    sb.counters.refsOk++;
    return true;
  }

  private remove(sb: SymbolBook, st: SymbolState, r: ExactObject): boolean {
    const found = this.resolve(sb, st, r, 'delete');
    if (found === undefined) return false;
    if (!sb.setLevel(found.row.isBid, found.row.priceText, '0')) return false;
    st.ids.delete(found.id);
    sb.counters.refsOk++;
    return true;
  }

  private onTrades(action: string, data: ExactJson[], recvTsNs: bigint): void {
    // The partial replays trades from before the subscription: not new trades.
    if (action !== 'insert') return;
    for (const d of data) {
      const t = asObject(d);
      const symbol = t === undefined ? undefined : asText(t['symbol']);
      const px = t === undefined ? undefined : asText(t['price']);
      const qty = t === undefined ? undefined : asText(t['size']);
      if (t === undefined || symbol === undefined || px === undefined || qty === undefined) {
        this.ctx.notice('warn', 'trade row without symbol, price or size');
        continue;
      }
      const sb = this.ctx.book(symbol);
      if (sb === undefined) continue;
      const ts = Date.parse(asText(t['timestamp']) ?? '');
      emitTrade(this.ctx, sb, recvTsNs, {
        priceText: px,
        sizeText: qty,
        tradeId: asText(t['trdMatchID']) ?? '',
        takerSide: takerSide(asText(t['side']), 'Buy', 'Sell'),
        exchTsMs: Number.isNaN(ts) ? 0 : ts,
      });
    }
  }

  /** Unsubscribe and subscribe the symbol's book table: BitMEX answers with a new partial. */
  resync(venueSymbol: string, cause: AnomalyKind): void {
    const sb = this.ctx.book(venueSymbol);
    if (sb === undefined) return;
    leaveLiveForResync(sb, cause);
    this.states.get(venueSymbol)?.ids.clear();
    // A refused subscription would be refused again at once: it waits for a manual resync or a
    // reconnect instead of looping.
    if (cause === 'subscribe-error') return;
    const topic = `${this.states.get(venueSymbol)?.table ?? BITMEX_BOOK_TABLE}:${venueSymbol}`;
    this.ctx.send(JSON.stringify({ op: 'unsubscribe', args: [topic] }));
    this.ctx.send(JSON.stringify({ op: 'subscribe', args: [topic] }));
  }

  onClose(): void {
    for (const st of this.states.values()) st.ids.clear();
    for (const sb of this.ctx.books()) sb.transition('connecting', 'reconnect', 'socket closed');
  }
}

/** Two price texts are the same decimal (parsed after any widening either of them needs). */
function samePrice(sb: SymbolBook, a: string, b: string): boolean {
  sb.price(a);
  sb.price(b);
  const pa = sb.price(a);
  return !Number.isNaN(pa) && pa === sb.price(b);
}
