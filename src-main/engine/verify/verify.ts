/**
 * `depthdesk verify`: run recordings through the real venue sessions and books, exactly as the
 * live feed would see them, and report per (venue, symbol) what was checked.
 *
 * Recorded REST snapshots are handed to the session that owns the symbol when they appear in the
 * stream (so a snapshot that arrives after the first diffs exercises buffering for real).
 * Snapshot requests and resubscribes cannot be answered offline: a symbol that needs one stays
 * out of "live" and the report says so.
 *
 * A `disconnect` record, or a second `connect` of the same connection label, is a new socket as
 * in the live feed (liveContext.ts): the books on it leave live (anomaly `reconnect`) and a new
 * session starts over the same books, so recorder files that span a reconnect or a planned
 * rotation verify like the live engine saw them. A disconnect the recorder wrote when the engine
 * stopped (`stopped ...`) only ends the connection: the books are reported as they were.
 */
import { basename } from 'node:path';
import type { AnomalyKind, Trade, VenueId } from '../../../src-shared/model/market.ts';
import { formatScaled } from '../../../src-shared/model/decimal.ts';
import { readRecording, RecordingError } from '../replay/recording.ts';
import type { RecordLine } from '../replay/recording.ts';
import { SymbolBook } from '../sync/symbolBook.ts';
import type { SymbolCounters } from '../sync/symbolBook.ts';
import type { SessionContext, SnapshotPriority, VenueSession, VenueSpec } from '../venues/venue.ts';
import { VENUES, venueForUrl, venueSpec } from '../venues/registry.ts';

export interface SymbolReport {
  venue: VenueId;
  symbol: string;
  normalized: string;
  state: string;
  counters: SymbolCounters;
  snapshotRequests: number;
  bestBid: string | null;
  bestBidSize: string | null;
  bestAsk: string | null;
  bestAskSize: string | null;
  levels: number;
  anomalies: { kind: AnomalyKind; detail: string }[];
  /**
   * The file carries trades of this symbol and no book message at all (Bithumb's recording): the
   * trades were read exactly, and nothing about a book was verified.
   */
  tradesOnly: boolean;
  /** Why this symbol fails verification; empty when it passes. */
  failures: string[];
}

export interface FileReport {
  file: string;
  records: number;
  venues: VenueId[];
  symbols: SymbolReport[];
  notices: string[];
  error?: string;
}

export interface VerifyOptions {
  /** Force the venue for records whose URL does not name one (e.g. hftbacktest captures). */
  venue?: VenueId;
  /** Called for every applied book message (tests compare books mid-stream). */
  onApplied?(sb: SymbolBook, rec: RecordLine): void;
  /** Called when a book becomes live (also when its snapshot alone makes it live, no diff applied). */
  onLive?(sb: SymbolBook): void;
  /** Called for every normalized trade. */
  onTrade?(t: Trade): void;
}

/** Guess the venue of a file from its name when records carry no URL (hftbacktest captures). */
function venueFromFileName(file: string): VenueSpec | undefined {
  const name = basename(file);
  // The recorder's own files: <venue>-<UTC time>.ndjson.gz (rawRecorder.ts). Their records carry
  // the live URL, which may be a proxy or a local replay server the registry cannot recognize.
  const rec = /^([a-z0-9-]+?)-\d{4}-\d{2}-\d{2}T/.exec(name);
  if (rec !== null && VENUES.has(rec[1] as VenueId)) return VENUES.get(rec[1] as VenueId);
  if (name.startsWith('spot_')) return VENUES.get('binance-spot');
  if (name.startsWith('usdm_')) return VENUES.get('binance-usdm');
  if (name.startsWith('coinm_')) return VENUES.get('binance-coinm');
  // Bybit's public archive (orderbook.500 day files) is the linear category's stream, without URL.
  if (name.startsWith('bybit_public_archive_')) return VENUES.get('bybit-linear');
  // hftbacktest's Hyperliquid capture (COIN_l2Book_trades_DATE), recorded without URL.
  if (/^[A-Za-z0-9]+_l2Book_trades_/.test(name)) return VENUES.get('hyperliquid');
  return undefined;
}

interface ConnState {
  label: string;
  spec: VenueSpec;
  session: VenueSession;
  ctx: SessionContext;
  books: Map<string, SymbolBook>;
  /** A disconnect was recorded and no connect since. */
  closed: boolean;
}

/** Offline feed over recorded records: also used by benchmarks to time the real code path. */
export class VerifyRun {
  readonly notices: string[] = [];
  private readonly conns = new Map<string, ConnState>();
  /** Connection label -> venue, learnt from `connect` records. */
  private readonly connVenue = new Map<string, VenueSpec>();
  /** (venue, symbol) -> owning connection, for routing recorded REST snapshots. */
  private readonly owner = new Map<string, ConnState>();
  private readonly snapshotRequests = new Map<string, number>();
  private pendingSnapshots: { rec: RecordLine; spec: VenueSpec; symbol: string }[] = [];
  private current: RecordLine | undefined;
  private readonly file: string;
  private readonly opts: VerifyOptions;
  private readonly fileVenue: VenueSpec | undefined;
  records = 0;

  constructor(file: string, opts: VerifyOptions) {
    this.file = file;
    this.opts = opts;
    this.fileVenue = opts.venue !== undefined ? venueSpec(opts.venue) : venueFromFileName(file);
  }

  private nowMs = (): number => (this.current ? Number(this.current.recvTsNs / 1_000_000n) : 0);

  /** The connection of the previous record (consecutive records mostly share one). */
  private lastConn: ConnState | undefined;

  private conn(label: string, spec: VenueSpec): ConnState {
    const last = this.lastConn;
    if (last !== undefined && last.label === label && last.spec === spec) return last;
    const key = `${spec.id}|${label}`;
    const c = this.conns.get(key);
    if (c !== undefined) return (this.lastConn = c);
    const books = new Map<string, SymbolBook>();
    const state: ConnState = { label, spec, books, session: undefined as unknown as VenueSession, ctx: undefined as unknown as SessionContext, closed: false };
    const ctx: SessionContext = {
      send: () => {},
      book: (venueSymbol: string): SymbolBook | undefined => {
        let sb = books.get(venueSymbol);
        if (sb === undefined) {
          // The same book may be carried by two connections (OKX once recorded three): each
          // connection keeps its own copy; recorded snapshots go to the first one.
          const ownerKey = `${spec.id}|${venueSymbol}`;
          const other = this.owner.get(ownerKey);
          sb = new SymbolBook(spec.instrument(venueSymbol), {
            onAnomaly: (b, kind) => {
              // As live: a stale book is only flagged; a reconnect resyncs through the next socket's session.
              if (kind !== 'stale' && kind !== 'reconnect') state.session.resync(b.symbol, kind);
            },
            onApplied: (b) => {
              if (this.current !== undefined) this.opts.onApplied?.(b, this.current);
            },
            onTransition: (b, t) => {
              if (t.to === 'live') this.opts.onLive?.(b);
            },
          }, this.nowMs);
          sb.book.depthCap = spec.depthCap;
          books.set(venueSymbol, sb);
          if (other === undefined) this.owner.set(ownerKey, state);
        }
        return sb;
      },
      books: () => books.values(),
      requestSnapshot: (venueSymbol: string, _p: SnapshotPriority): void => {
        const k = `${spec.id}|${venueSymbol}`;
        this.snapshotRequests.set(k, (this.snapshotRequests.get(k) ?? 0) + 1);
      },
      trade: (t) => this.opts.onTrade?.(t),
      crossCheck: (sb: SymbolBook, ok: boolean, detail: string): void => {
        if (ok) sb.counters.crossCheckOk++;
        else {
          sb.counters.crossCheckFailed++;
          if (sb.counters.crossCheckFailed <= 5) this.notices.push(`${spec.id} ${sb.symbol}: top-of-book cross-check failed: ${detail}`);
        }
      },
      notice: (level, message, venueSymbol) => {
        if (level !== 'info') this.notices.push(`${spec.id}${venueSymbol ? ` ${venueSymbol}` : ''} [${label}] ${level}: ${message}`);
      },
      connectionAnomaly: (kind, detail) => {
        for (const sb of books.values()) sb.anomaly(kind, detail);
      },
    };
    state.ctx = ctx;
    state.session = spec.createSession(ctx, { id: label, url: '', venueSymbols: [] });
    state.session.onOpen();
    this.conns.set(key, state);
    return state;
  }

  /** The socket of `c` went away: its books stop being live, as in LiveContext.closed(). */
  private closeConn(c: ConnState, rec: RecordLine): void {
    if (c.closed) return;
    c.closed = true;
    // The recorder writes "<cause> <code> <reason>" (wsConnection.ts); "stopped" is the engine's
    // own shutdown: the recording ends there, and the books are reported as they were.
    if (rec.dir === 'disconnect' && rec.raw.startsWith('stopped')) return;
    c.session.onClose?.();
    for (const sb of c.books.values()) if (sb.state !== 'connecting') sb.anomaly('reconnect', `connection ${c.label} closed (${this.file}:${rec.line})`);
  }

  /** A new socket on a known connection label: a fresh session over the same books. */
  private reopenConn(c: ConnState, rec: RecordLine): void {
    this.closeConn(c, rec);
    c.closed = false;
    c.session = c.spec.createSession(c.ctx, { id: c.label, url: '', venueSymbols: [] });
    c.session.onOpen();
  }

  private existingConn(label: string): ConnState | undefined {
    for (const c of this.conns.values()) if (c.label === label) return c;
    return undefined;
  }

  private specFor(rec: RecordLine): VenueSpec | undefined {
    if (rec.url) {
      const s = venueForUrl(rec.url);
      if (s !== undefined) return s;
    }
    if (rec.conn) {
      const s = this.connVenue.get(rec.conn);
      if (s !== undefined) return s;
    }
    return this.fileVenue;
  }

  handle(rec: RecordLine): void {
    this.records++;
    this.current = rec;
    if (rec.dir === 'connect') {
      const s = rec.url ? venueForUrl(rec.url) : undefined;
      if (s !== undefined) this.connVenue.set(rec.conn, s);
      else if (this.fileVenue) this.connVenue.set(rec.conn, this.fileVenue);
      else this.notices.push(`${this.file}:${rec.line}: connection ${rec.conn} to ${rec.url || '(no url)'} is not a venue this build knows`);
      const known = this.existingConn(rec.conn);
      if (known !== undefined) this.reopenConn(known, rec);
      return;
    }
    if (rec.dir === 'disconnect') {
      const known = this.existingConn(rec.conn);
      if (known !== undefined) this.closeConn(known, rec);
      return;
    }
    if (rec.dir === 'send') return;
    const spec = this.specFor(rec);
    if (spec === undefined) throw new RecordingError(this.file, rec.line, `cannot tell which venue this ${rec.dir} record belongs to (url ${rec.url || 'none'}, conn ${rec.conn || 'none'}); pass --venue`);
    if (rec.dir === 'http') return this.snapshot(rec, spec);
    this.conn(rec.conn, spec).session.onMessage(rec.raw, rec.recvTsNs);
    this.flushPendingSnapshots();
  }

  private snapshot(rec: RecordLine, spec: VenueSpec): void {
    let symbol = rec.url ? spec.snapshotSymbol?.(rec.url) : undefined;
    if (symbol === undefined) {
      // No URL (hftbacktest): the snapshot belongs to the only symbol of this venue seen so far.
      const seen = [...this.owner.keys()].filter((k) => k.startsWith(`${spec.id}|`));
      if (seen.length !== 1) throw new RecordingError(this.file, rec.line, `REST snapshot without a symbol in its URL and ${seen.length} candidate symbols`);
      symbol = seen[0]!.slice(spec.id.length + 1);
    }
    const owner = this.owner.get(`${spec.id}|${symbol}`);
    if (owner === undefined) {
      // Recorded before the first diff of this symbol: hand it over once a connection carries the
      // symbol, as a live snapshot request would only be answered after subscribing.
      this.pendingSnapshots.push({ rec, spec, symbol });
      return;
    }
    this.deliver(owner, rec, spec, symbol);
  }

  private flushPendingSnapshots(): void {
    if (this.pendingSnapshots.length === 0) return;
    const still: typeof this.pendingSnapshots = [];
    for (const p of this.pendingSnapshots) {
      const owner = this.owner.get(`${p.spec.id}|${p.symbol}`);
      if (owner === undefined) still.push(p);
      else this.deliver(owner, p.rec, p.spec, p.symbol);
    }
    this.pendingSnapshots = still;
  }

  private deliver(owner: ConnState, rec: RecordLine, spec: VenueSpec, symbol: string): void {
    if (owner.session.onSnapshot === undefined) {
      this.notices.push(`${this.file}:${rec.line}: ${spec.id} does not use REST snapshots; ignored`);
      return;
    }
    owner.session.onSnapshot(symbol, rec.raw, rec.recvTsNs);
  }

  /** Every book the run opened. */
  *allBooks(): Iterable<SymbolBook> {
    for (const c of this.conns.values()) yield* c.books.values();
  }

  /** Snapshots that never found their symbol's stream. */
  unclaimed(): string[] {
    return this.pendingSnapshots.map((p) => `${this.file}:${p.rec.line}: REST snapshot for ${p.spec.id} ${p.symbol} but no diff of that symbol in the recording`);
  }

  report(): SymbolReport[] {
    const out: SymbolReport[] = [];
    for (const c of this.conns.values()) {
      for (const sb of c.books.values()) {
        if (sb.counters.messages === 0 && sb.counters.snapshots === 0 && sb.counters.trades === 0) continue;
        out.push(symbolReport(sb, this.snapshotRequests.get(`${c.spec.id}|${sb.symbol}`) ?? 0));
      }
    }
    out.sort((a, b) => (a.venue + a.symbol).localeCompare(b.venue + b.symbol));
    return out;
  }
}

function symbolReport(sb: SymbolBook, snapshotRequests: number): SymbolReport {
  const b = sb.book;
  const c = sb.counters;
  const tradesOnly = c.messages === 0 && c.snapshots === 0;
  const failures: string[] = [];
  if (c.gaps > 0) failures.push(`${c.gaps} sequence gap(s)`);
  if (c.checksumFailed > 0) failures.push(`${c.checksumFailed} checksum failure(s)`);
  if (c.crossCheckFailed > 0) failures.push(`${c.crossCheckFailed} top-of-book mismatch(es)`);
  if (c.crossed > 0) failures.push(`${c.crossed} crossed book(s)`);
  if (c.invalid > 0) failures.push(`${c.invalid} invalid level(s)`);
  if (sb.state !== 'live' && !tradesOnly) failures.push(`ended ${sb.state}${sb.state === 'snapshot-pending' || sb.state === 'buffering' ? ' (the recording holds no usable snapshot for it)' : ''}`);
  const report: SymbolReport = {
    venue: sb.instrument.venue,
    symbol: sb.symbol,
    normalized: sb.instrument.symbol,
    state: tradesOnly ? 'trades-only' : sb.state,
    counters: { ...c },
    snapshotRequests,
    bestBid: b.bids.count ? formatScaled(b.bids.bestPrice(), b.priceScale) : null,
    bestBidSize: b.bids.count ? formatScaled(b.bids.bestSize(), b.sizeScale) : null,
    bestAsk: b.asks.count ? formatScaled(b.asks.bestPrice(), b.priceScale) : null,
    bestAskSize: b.asks.count ? formatScaled(b.asks.bestSize(), b.sizeScale) : null,
    levels: b.levelCount(),
    anomalies: sb.anomalies.map((a) => ({ kind: a.kind, detail: a.detail })),
    tradesOnly,
    failures,
  };
  return report;
}

/** Verify one recording file. Never throws: unreadable input becomes `error`. */
export async function verifyFile(path: string, opts: VerifyOptions = {}): Promise<FileReport> {
  const file = basename(path);
  let run: VerifyRun;
  try {
    run = new VerifyRun(file, opts);
  } catch (e) {
    return { file, records: 0, venues: [], symbols: [], notices: [], error: (e as Error).message };
  }
  try {
    for await (const rec of readRecording(path)) run.handle(rec);
  } catch (e) {
    const symbols = run.report();
    if (e instanceof RecordingError && e.message.endsWith('read failed: unexpected end of file')) {
      // A gzip without its trailer: a recorder file still being written, or one whose writer was
      // killed. Every complete record before the cut was verified; the report says where it ends.
      const notice = `${file}: the gzip stream ends without its trailer after ${run.records} record(s) (a file still being recorded, or its writer was killed); everything before was verified`;
      return { file, records: run.records, venues: [...new Set(symbols.map((s) => s.venue))], symbols, notices: [notice, ...run.notices, ...run.unclaimed(), ...tradesOnlyNotice(symbols)] };
    }
    return { file, records: run.records, venues: [...new Set(symbols.map((s) => s.venue))], symbols, notices: run.notices, error: e instanceof RecordingError ? e.message : `${file}: ${(e as Error).stack ?? e}` };
  }
  const symbols = run.report();
  return { file, records: run.records, venues: [...new Set(symbols.map((s) => s.venue))], symbols, notices: [...run.notices, ...run.unclaimed(), ...tradesOnlyNotice(symbols)] };
}

/** Say plainly when a file passed on trades alone: no order book was in it to verify. */
function tradesOnlyNotice(symbols: SymbolReport[]): string[] {
  const only = symbols.filter((s) => s.tradesOnly);
  if (only.length === 0) return [];
  const trades = only.reduce((n, s) => n + s.counters.trades, 0);
  const what = only.length === symbols.length ? 'this file holds no order book' : `${only.length} of ${symbols.length} symbols have no order book in this file`;
  return [`trades only: ${trades} trade(s) of ${only.map((s) => s.symbol).join(', ')} read exactly; ${what}, so no book was verified for them`];
}

/**
 * True when every symbol of every file passed and no file failed to read. A trades-only file
 * passes on its trades; its report says that no book was in it (`tradesOnly`, the notice).
 */
export function allPassed(reports: FileReport[]): boolean {
  return reports.every((r) => r.error === undefined && r.symbols.length > 0 && r.symbols.every((s) => s.failures.length === 0));
}
