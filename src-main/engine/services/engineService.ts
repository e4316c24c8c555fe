/**
 * The live engine of one feed process: venues -> connections -> sessions -> books, the REST
 * budgets, and the control/data contract of engineApi.ts served over any RPC port.
 *
 * Ownership: the service owns every SymbolBook (they survive reconnects and re-plans), one
 * `LiveContext` per planned connection, and one `RestBudget` and `ConnectGate` per venue. `stop()`
 * closes every socket, HTTP pool and timer it created.
 *
 * What it emits (`on(topic, fn)`):
 * - `feed.transition`: every state change of every book, as it happens.
 * - `feed.resync`: a resync starts when a book leaves live for a reason other than staleness
 *   (outcome "pending") and ends with the same id ("live", "failed" when its snapshot was refused
 *   for good or the book was removed/stopped, "superseded" when another anomaly restarted it).
 * - `feed.notice`: venue/connection notices (subscription errors, rate limits, refused snapshots).
 * - `stats.frame`: every `statsIntervalMs`, only when something changed: the rows of the books
 *   that changed since the previous frame (merge them by venue + symbol; `status.get` gives the
 *   whole table) and every venue tile.
 * - `book.frame`: every `bookFrameIntervalMs`, the top-N of the books a view subscribed to
 *   (`view.subscribe`) that changed, plus their trades since the last frame.
 *
 * Recorder and incidents (optional): `tap` sees every frame of every connection (sent, received,
 * connects, disconnects, consumed REST snapshots); `incidents` keeps rings of recent frames per
 * connection and, on every resync start (gap, checksum mismatch, crossed book, reconnect, manual
 * ...) and every stale connection, captures the affected connection around the event. The
 * resync event (or, for staleness, a notice) carries `incident`: where the capture will be.
 *
 * Hot path hooks: `onBook(fn)` is called after every applied book message (the book may still be
 * syncing: publish only when `sb.isLive()`), `onTrade(fn)` for every normalized trade. Listeners
 * run synchronously on the socket loop: keep them cheap; a throwing listener is reported, never
 * allowed to break the loop.
 */
import type {
  BookFrame,
  BookView,
  EngineEvents,
  EngineStatus,
  EngineTopic,
  IncidentRef,
  NoticeEvent,
  ProcessStatus,
  ResyncEvent,
  ResyncScope,
  StatsFrame,
  SymbolStatus,
  TransitionEvent,
  VenueStatus,
} from '../../../src-shared/contracts/engineApi.ts';
import { RpcError } from '../../../src-shared/contracts/rpc.ts';
import type { Handlers } from '../../../src-shared/contracts/rpc.ts';
import type { AnomalyKind, InstrumentIncrements, Trade, VenueId } from '../../../src-shared/model/market.ts';
import { SymbolBook } from '../sync/symbolBook.ts';
import type { Transition } from '../sync/symbolBook.ts';
import { VENUES } from '../venues/registry.ts';
import type { ConnectionPlan, SnapshotPriority, VenueSpec } from '../venues/venue.ts';
import { resyncPriority } from '../venues/venue.ts';
import { ConnectGate } from '../feed/backoff.ts';
import type { BackoffPolicy } from '../feed/backoff.ts';
import { LiveContext } from '../feed/liveContext.ts';
import type { LiveContextHost } from '../feed/liveContext.ts';
import { RestBudget } from '../feed/restBudget.ts';
import { monotonicMs } from '../feed/wallClock.ts';
import { bookView, symbolStatus, tradeView } from './statusViews.ts';
import { computeNbbo, quoteOfBook } from '../analytics/nbbo.ts';
import { TapSet } from '../record/frameTap.ts';
import type { FrameTap } from '../record/frameTap.ts';
import type { IncidentRecorder } from '../record/incidents.ts';

export interface EngineVenueConfig {
  venue: VenueId;
  symbols: string[];
  /** WebSocket base URL override (a local replay server); the venue's plan appends its path. */
  wsUrl?: string;
  /** REST origin override for snapshots. */
  restUrl?: string;
  /**
   * Tick and lot size per venue symbol, from the venue's instrument listing when the symbols came
   * from one (`"symbols": "all"`); carried into the books' instruments (and the multicast
   * instrument definitions).
   */
  increments?: InstrumentIncrements;
}

/** Timing knobs. Production uses the venue's documented limits; tests shorten them here. */
export interface FeedTiming {
  /** Override every venue's `limits.staleAfterMs`. */
  staleAfterMs?: number;
  /** Wait for a pong or a frame after the stale probe (default staleAfterMs / 2, at most 10 s). */
  probeTimeoutMs?: number;
  /** Rotate connections after this long (default: the venue lifetime minus a tenth, at most 10 min early); 0 = never. */
  connectionLifetimeMs?: number;
  /** Override the WebSocket ping interval of venues that ask for pings (`limits.pingIntervalMs`); others never ping. */
  pingIntervalMs?: number;
  reconnect: BackoffPolicy;
  restRetry: BackoffPolicy;
  restTimeoutMs: number;
  /** Fraction of the venue's REST weight this process may use. */
  restShare: number;
  handshakeTimeoutMs: number;
  statsIntervalMs: number;
  bookFrameIntervalMs: number;
}

export const DEFAULT_TIMING: FeedTiming = {
  reconnect: { initialMs: 500, maxMs: 30_000 },
  restRetry: { initialMs: 500, maxMs: 30_000 },
  restTimeoutMs: 10_000,
  restShare: 0.8,
  handshakeTimeoutMs: 10_000,
  statsIntervalMs: 250,
  bookFrameIntervalMs: 100,
};

export interface EngineServiceOptions {
  venues: EngineVenueConfig[];
  /** Process identity ("feed-0"), reported in every symbol row. */
  processName: string;
  /** Largest depth served by `book.get` and book frames (default 100 levels per side). */
  bookDepth?: number;
  /** Wall clock, epoch ms. */
  now?: () => number;
  timing?: Partial<FeedTiming>;
  /** Jitter source (seeded in tests). */
  random?: () => number;
  mode?: 'live' | 'replay';
  build?: string;
  /** Raw recorder (or any tap): every frame of every connection. Absent = no per-frame cost. */
  tap?: FrameTap;
  /** Incident captures around every resync, stale connection and (captureAll) process restart. */
  incidents?: IncidentRecorder;
}

interface VenueRuntime {
  spec: VenueSpec;
  config: EngineVenueConfig;
  books: Map<string, SymbolBook>;
  owner: Map<string, LiveContext>;
  contexts: LiveContext[];
  budget: RestBudget | undefined;
  gate: ConnectGate;
  /** Recent exchange-to-receive latencies of applied messages, microseconds (ring). */
  latency: Float64Array;
  latencyCount: number;
  /** Counters of connections that were replaced (re-plans), so totals never go down. */
  retired: { messages: number; bytes: number; reconnects: number };
  host: LiveContextHost;
  rate: { messages: number; bytes: number; atMs: number; messagesPerSec: number; bytesPerSec: number };
  planSeq: number;
}

const TRANSITIONS_KEPT = 1000;
const RESYNCS_KEPT = 500;
const NOTICES_KEPT = 500;
const TRADES_PER_FRAME = 2000;

type Listener<T extends EngineTopic> = (data: EngineEvents[T]) => void;

export class EngineService {
  readonly processName: string;
  private readonly opts: EngineServiceOptions;
  private readonly timing: FeedTiming;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly bookDepth: number;
  private readonly venues = new Map<VenueId, VenueRuntime>();
  private readonly bookVenue = new Map<SymbolBook, VenueRuntime>();
  private readonly listeners = new Map<EngineTopic, Set<(d: unknown) => void>>();
  private readonly bookListeners = new Set<(sb: SymbolBook) => void>();
  private readonly tradeListeners = new Set<(t: Trade) => void>();
  private readonly statsDirty = new Set<SymbolBook>();
  private readonly frameDirty = new Set<SymbolBook>();
  private readonly viewBooks = new Set<SymbolBook>();
  private viewDepth = 10;
  private pendingTrades: Trade[] = [];
  private readonly pendingResync = new Map<SymbolBook, ResyncEvent>();
  private readonly recentTransitions: TransitionEvent[] = [];
  private readonly recentResyncs: ResyncEvent[] = [];
  private readonly recentNotices: NoticeEvent[] = [];
  private resyncSeq = 0;
  private lastVenuesJson = '';
  private statsTimer: ReturnType<typeof setInterval> | undefined;
  private frameTimer: ReturnType<typeof setInterval> | undefined;
  private started = false;
  private stopped = false;
  private startedMs = 0;
  private readonly tap: FrameTap | undefined;
  private readonly incidents: IncidentRecorder | undefined;
  /** Incident ids already announced by a notice (a stale connection flags every book on it). */
  private readonly announced = new Set<string>();

  constructor(opts: EngineServiceOptions) {
    this.opts = opts;
    this.incidents = opts.incidents;
    const taps = [opts.tap, opts.incidents].filter((t): t is FrameTap => t !== undefined);
    if (taps.length === 1) this.tap = taps[0];
    else if (taps.length > 1) {
      const set = new TapSet();
      for (const t of taps) set.add(t);
      this.tap = set;
    }
    this.processName = opts.processName;
    this.timing = { ...DEFAULT_TIMING, ...opts.timing };
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
    this.bookDepth = Math.max(1, opts.bookDepth ?? 100);
    for (const v of opts.venues) {
      const spec = VENUES.get(v.venue);
      if (spec === undefined) throw new RpcError('unknown-venue', `unknown venue "${v.venue}" (known: ${[...VENUES.keys()].join(', ')})`);
      if (this.venues.has(v.venue)) throw new RpcError('bad-request', `venue ${v.venue} configured twice`);
      this.venues.set(v.venue, this.runtime(spec, v));
    }
  }

  // --- lifecycle ----------------------------------------------------------------------------

  /** Open every connection (returns once they are started, not once they are live). */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.startedMs = this.now();
    for (const rt of this.venues.values()) {
      this.plan(rt, [...rt.books.keys()]);
      for (const c of rt.contexts) c.start();
    }
    this.statsTimer = setInterval(() => this.statsTick(), this.timing.statsIntervalMs);
    this.frameTimer = setInterval(() => this.frameTick(), this.timing.bookFrameIntervalMs);
  }

  /** Close every socket, HTTP pool and timer. Pending resyncs end as failed. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.statsTimer !== undefined) clearInterval(this.statsTimer);
    if (this.frameTimer !== undefined) clearInterval(this.frameTimer);
    this.statsTimer = undefined;
    this.frameTimer = undefined;
    const closing: Promise<void>[] = [];
    for (const rt of this.venues.values()) {
      for (const c of rt.contexts) closing.push(c.stop('shutdown'));
      if (rt.budget !== undefined) closing.push(rt.budget.stop());
    }
    await Promise.all(closing);
    // Shutting down is not a failure worth a notice; the events still close every resync.
    for (const sb of this.pendingResync.keys()) this.endResync(sb, 'failed');
  }

  // --- listeners ----------------------------------------------------------------------------

  on<T extends EngineTopic>(topic: T, fn: Listener<T>): () => void {
    let set = this.listeners.get(topic);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(topic, set);
    }
    set.add(fn as (d: unknown) => void);
    return () => set.delete(fn as (d: unknown) => void);
  }

  /** Called after every applied book message (keep it cheap). */
  onBook(fn: (sb: SymbolBook) => void): () => void {
    this.bookListeners.add(fn);
    return () => this.bookListeners.delete(fn);
  }

  onTrade(fn: (t: Trade) => void): () => void {
    this.tradeListeners.add(fn);
    return () => this.tradeListeners.delete(fn);
  }

  private emit<T extends EngineTopic>(topic: T, data: EngineEvents[T]): void {
    const set = this.listeners.get(topic);
    if (set === undefined) return;
    for (const fn of set) {
      try {
        fn(data);
      } catch (e) {
        // A throwing listener never breaks the loop (house style): report and go on.
        console.error(`${this.processName}: listener for ${topic} threw:`, e);
      }
    }
  }

  private hasListeners(topic: EngineTopic): boolean {
    return (this.listeners.get(topic)?.size ?? 0) > 0;
  }

  // --- books and views ----------------------------------------------------------------------

  *books(): Iterable<SymbolBook> {
    for (const rt of this.venues.values()) yield* rt.books.values();
  }

  book(venue: VenueId, venueSymbol: string): SymbolBook | undefined {
    const rt = this.venues.get(venue);
    if (rt === undefined) return undefined;
    return rt.books.get(venueSymbol) ?? rt.books.get(rt.spec.instrument(venueSymbol).venueSymbol);
  }

  /** Replay mode: exchange times come from a recording (latency is not measurable). */
  private get replay(): boolean {
    return this.opts.mode === 'replay';
  }

  symbolStatus(sb: SymbolBook): SymbolStatus {
    return symbolStatus(sb, this.processName, this.now(), this.replay);
  }

  bookView(sb: SymbolBook, depth: number): BookView {
    return bookView(sb, Math.min(Math.max(1, Math.floor(depth)), this.bookDepth), this.now());
  }

  venueStatus(venue: VenueId): VenueStatus | undefined {
    const rt = this.venues.get(venue);
    return rt === undefined ? undefined : this.venueStatusOf(rt);
  }

  status(): EngineStatus {
    return {
      build: this.opts.build ?? 'dev',
      startedMs: this.startedMs,
      nowMs: this.now(),
      mode: this.opts.mode ?? 'live',
      venues: [...this.venues.values()].map((rt) => this.venueStatusOf(rt)),
      symbols: [...this.books()].map((sb) => this.symbolStatus(sb)),
      processes: [this.processStatus()],
      publisher: null,
    };
  }

  /** The REST budget of a venue (tests and diagnostics read its schedule). */
  restBudget(venue: VenueId): RestBudget | undefined {
    return this.venues.get(venue)?.budget;
  }

  /** The live connections of a venue. */
  connections(venue: VenueId): readonly LiveContext[] {
    return this.venues.get(venue)?.contexts ?? [];
  }

  /** Resync books: manual resyncs enter the same REST queue (priority manual); in-band venues resubscribe. */
  resync(scope: ResyncScope): number {
    const targets: { rt: VenueRuntime; symbol: string }[] = [];
    if (scope.scope === 'all') {
      for (const rt of this.venues.values()) for (const s of rt.books.keys()) targets.push({ rt, symbol: s });
    } else {
      const rt = this.venues.get(scope.venue);
      if (rt === undefined) throw new RpcError('unknown-venue', `venue ${scope.venue} is not configured in ${this.processName}`);
      if (scope.scope === 'venue') for (const s of rt.books.keys()) targets.push({ rt, symbol: s });
      else {
        const sb = this.book(scope.venue, scope.symbol);
        if (sb === undefined) throw new RpcError('unknown-symbol', `${scope.venue} ${scope.symbol} is not subscribed in ${this.processName}`);
        targets.push({ rt, symbol: sb.symbol });
      }
    }
    let accepted = 0;
    for (const t of targets) if (t.rt.owner.get(t.symbol)?.resync(t.symbol)) accepted++;
    return accepted;
  }

  /** Replace the subscribed symbols of a venue. Only connections that lose symbols are re-planned. */
  async setSubscriptions(venue: VenueId, symbols: string[]): Promise<string[]> {
    let rt = this.venues.get(venue);
    if (rt === undefined) {
      const spec = VENUES.get(venue);
      if (spec === undefined) throw new RpcError('unknown-venue', `unknown venue "${venue}"`);
      rt = this.runtime(spec, { venue, symbols: [] });
      this.venues.set(venue, rt);
    }
    const want = [...new Set(symbols.map((s) => rt.spec.instrument(s).venueSymbol))];
    const wanted = new Set(want);
    const removed = [...rt.books.keys()].filter((s) => !wanted.has(s));
    const added = want.filter((s) => !rt.books.has(s));
    if (removed.length === 0 && added.length === 0) return want;
    const gone = new Set(removed);
    const affected = rt.contexts.filter((c) => c.symbols().some((s) => gone.has(s)));
    const moving = affected.flatMap((c) => c.symbols()).filter((s) => !gone.has(s));
    rt.contexts = rt.contexts.filter((c) => !affected.includes(c));
    await Promise.all(affected.map((c) => this.retire(rt, c)));
    for (const s of removed) {
      const sb = rt.books.get(s)!;
      this.endResync(sb, 'failed', 'unsubscribed');
      rt.books.delete(s);
      rt.owner.delete(s);
      this.bookVenue.delete(sb);
      this.statsDirty.delete(sb);
      this.frameDirty.delete(sb);
      this.viewBooks.delete(sb);
      rt.budget?.cancel(s, 'unsubscribed');
    }
    for (const s of added) this.addBook(rt, s);
    if (this.started && !this.stopped) {
      const fresh = this.plan(rt, [...moving, ...added]);
      for (const c of fresh) c.start();
    }
    this.notice('info', `subscriptions set: ${want.length} symbol(s), +${added.length} -${removed.length}, ${affected.length} connection(s) re-planned`, rt.spec.id);
    this.lastVenuesJson = '';
    return want;
  }

  // --- contract handlers --------------------------------------------------------------------

  handlers(): Handlers {
    return {
      'status.get': () => this.status(),
      'venues.list': () => [...this.venues.values()].map((rt) => this.venueStatusOf(rt)),
      'symbols.list': (p) => {
        const out: SymbolStatus[] = [];
        for (const rt of this.venues.values()) {
          if (p.venue !== undefined && rt.spec.id !== p.venue) continue;
          for (const sb of rt.books.values()) out.push(this.symbolStatus(sb));
        }
        return out;
      },
      'book.get': (p) => {
        if (!this.venues.has(p.venue)) throw new RpcError('unknown-venue', `venue ${p.venue} is not configured in ${this.processName}`);
        const sb = this.book(p.venue, p.symbol);
        if (sb === undefined) throw new RpcError('unknown-symbol', `${p.venue} ${p.symbol} is not subscribed in ${this.processName}`);
        if (!Number.isFinite(p.depth) || p.depth < 1) throw new RpcError('bad-request', `depth must be a positive number (got ${p.depth})`);
        return this.bookView(sb, p.depth);
      },
      'nbbo.get': (p) => computeNbbo([...this.books()].map(quoteOfBook), { groupQuotes: p.groupQuotes === true, nowMs: this.now() }),
      resync: (p) => ({ accepted: this.resync(p) }),
      'subscriptions.set': async (p) => ({ venue: p.venue, symbols: await this.setSubscriptions(p.venue, p.symbols) }),
      'view.subscribe': (p) => {
        this.viewBooks.clear();
        this.frameDirty.clear();
        for (const b of p.books) {
          const sb = this.book(b.venue, b.symbol);
          if (sb === undefined) continue;
          this.viewBooks.add(sb);
          // The first frame after subscribing carries every book of the view.
          this.frameDirty.add(sb);
        }
        this.viewDepth = Math.min(Math.max(1, Math.floor(p.depth) || 1), this.bookDepth);
        return { books: this.viewBooks.size };
      },
      'events.recent': (p) => {
        const n = Math.max(0, Math.floor(p.limit ?? 100));
        const last = <T>(a: T[]): T[] => (n === 0 ? [] : a.slice(-n));
        return { transitions: last(this.recentTransitions), resyncs: last(this.recentResyncs), processes: [], notices: last(this.recentNotices) };
      },
    };
  }

  // --- internals: venues, plans, books ------------------------------------------------------

  private runtime(spec: VenueSpec, config: EngineVenueConfig): VenueRuntime {
    const rest = spec.rest;
    const rt: VenueRuntime = {
      spec,
      config,
      books: new Map(),
      owner: new Map(),
      contexts: [],
      budget:
        rest === undefined
          ? undefined
          : new RestBudget({
              venue: spec.id,
              baseUrl: config.restUrl ?? rest.baseUrl,
              weightPerWindow: rest.weightPerWindow,
              windowMs: rest.windowMs,
              ...(rest.usedWeightHeader !== undefined ? { usedWeightHeader: rest.usedWeightHeader } : {}),
              share: this.timing.restShare,
              timeoutMs: this.timing.restTimeoutMs,
              backoff: this.timing.restRetry,
              now: this.now,
              random: this.random,
              notice: (level, message, key) => this.notice(level, message, spec.id, key),
            }),
      gate: new ConnectGate(spec.limits.connectAttempts),
      latency: new Float64Array(512),
      latencyCount: 0,
      retired: { messages: 0, bytes: 0, reconnects: 0 },
      rate: { messages: 0, bytes: 0, atMs: monotonicMs(), messagesPerSec: 0, bytesPerSec: 0 },
      planSeq: 0,
      host: {
        snapshotPriority: (sb, asked) => this.snapshotPriority(sb, asked),
        snapshotFailed: (sb, status) => this.endResync(sb, 'failed', `snapshot refused with HTTP ${status}`),
        trade: (t) => this.onTradeEvent(t),
        notice: (level, message, venueSymbol) => this.notice(level, message, spec.id, venueSymbol),
      },
    };
    for (const s of config.symbols) {
      const sym = spec.instrument(s).venueSymbol;
      if (!rt.books.has(sym)) this.addBook(rt, sym);
    }
    return rt;
  }

  private addBook(rt: VenueRuntime, venueSymbol: string): SymbolBook {
    const listed = rt.config.increments?.[venueSymbol];
    const instrument = rt.spec.instrument(venueSymbol);
    const sb = new SymbolBook(
      listed === undefined ? instrument : { ...instrument, ...(listed.tickSize !== undefined ? { tickSize: listed.tickSize } : {}), ...(listed.lotSize !== undefined ? { lotSize: listed.lotSize } : {}) },
      {
        onTransition: (b, t) => this.onTransition(b, t),
        onAnomaly: (b, kind, detail) => this.onAnomaly(rt, b, kind, detail),
        onApplied: (b) => this.onApplied(rt, b),
      },
      this.now,
    );
    sb.book.depthCap = rt.spec.depthCap;
    rt.books.set(venueSymbol, sb);
    this.bookVenue.set(sb, rt);
    this.statsDirty.add(sb);
    return sb;
  }

  /** Plan connections for `symbols` and create (not start) their contexts. */
  private plan(rt: VenueRuntime, symbols: string[]): LiveContext[] {
    if (symbols.length === 0) return [];
    const spec = rt.spec;
    const limits = spec.limits;
    const staleAfterMs = this.timing.staleAfterMs ?? limits.staleAfterMs;
    const lifetime =
      this.timing.connectionLifetimeMs ?? (limits.connectionLifetimeMs > 0 ? limits.connectionLifetimeMs - Math.min(600_000, limits.connectionLifetimeMs / 10) : 0);
    const out: LiveContext[] = [];
    for (const p of spec.plan(symbols, rt.config.wsUrl)) {
      const plan: ConnectionPlan = rt.planSeq === 0 ? p : { ...p, id: `${p.id}.${rt.planSeq}` };
      const books = new Map<string, SymbolBook>();
      for (const s of plan.venueSymbols) {
        const sb = rt.books.get(s);
        if (sb !== undefined) books.set(s, sb);
      }
      const ctx = new LiveContext({
        spec,
        plan,
        books,
        budget: rt.budget,
        host: rt.host,
        ...(this.tap !== undefined ? { tap: this.tap } : {}),
        ...(rt.config.restUrl !== undefined ? { restBase: rt.config.restUrl } : {}),
        connection: {
          controlMessagesPerSecond: limits.controlMessagesPerSecond,
          staleAfterMs,
          ...(this.timing.probeTimeoutMs !== undefined ? { probeTimeoutMs: this.timing.probeTimeoutMs } : {}),
          lifetimeMs: lifetime,
          ...(this.timing.pingIntervalMs !== undefined && limits.pingIntervalMs !== undefined ? { pingIntervalMs: this.timing.pingIntervalMs } : {}),
          backoff: this.timing.reconnect,
          handshakeTimeoutMs: this.timing.handshakeTimeoutMs,
          gate: rt.gate,
          random: this.random,
        },
      });
      for (const s of books.keys()) rt.owner.set(s, ctx);
      rt.contexts.push(ctx);
      out.push(ctx);
    }
    rt.planSeq++;
    return out;
  }

  private async retire(rt: VenueRuntime, c: LiveContext): Promise<void> {
    await c.stop('replan');
    const k = c.connection.counters;
    rt.retired.messages += k.messages;
    rt.retired.bytes += k.bytes;
    rt.retired.reconnects += k.reconnects + 1;
  }

  // --- book hooks ---------------------------------------------------------------------------

  private onTransition(sb: SymbolBook, t: Transition): void {
    const ev: TransitionEvent = {
      venue: sb.instrument.venue,
      symbol: sb.symbol,
      from: t.from,
      to: t.to,
      cause: t.cause,
      detail: t.detail ?? null,
      tsMs: t.tsMs,
    };
    this.recentTransitions.push(ev);
    if (this.recentTransitions.length > TRANSITIONS_KEPT) this.recentTransitions.shift();
    this.statsDirty.add(sb);
    if (this.viewBooks.has(sb)) this.frameDirty.add(sb);
    this.emit('feed.transition', ev);
    if (t.to === 'live') this.endResync(sb, 'live');
  }

  private onAnomaly(rt: VenueRuntime, sb: SymbolBook, kind: AnomalyKind, detail: string): void {
    this.statsDirty.add(sb);
    const ctx = rt.owner.get(sb.symbol);
    // A connection retired by a subscription change is not an incident: nothing went wrong.
    const incident = ctx !== undefined && rt.contexts.includes(ctx) ? this.captureIncident(kind, sb, ctx.plan.id, detail) : undefined;
    if (kind !== 'stale') this.startResync(sb, kind, detail, incident);
    else if (incident !== undefined && !this.announced.has(incident.id)) {
      if (this.announced.size > 1000) this.announced.clear();
      this.announced.add(incident.id);
      this.notice('warn', `${ctx!.plan.id}: stale (${detail}); incident capture ${incident.id}`, rt.spec.id, sb.symbol, incident);
    }
    ctx?.bookAnomaly(sb, kind);
  }

  private captureIncident(kind: AnomalyKind, sb: SymbolBook, conn: string, detail: string): IncidentRef | undefined {
    if (this.incidents === undefined) return undefined;
    return this.incidents.capture({ kind, venue: sb.instrument.venue, symbol: sb.symbol, conn, detail, tsMs: this.now() });
  }

  /**
   * Capture every connection now (a restarted feed process: its books resync after the restart,
   * and the capture shows how). One notice per connection says where its capture is.
   */
  captureAll(kind: 'process-restart' | 'manual', detail: string): IncidentRef[] {
    const inc = this.incidents;
    if (inc === undefined) return [];
    const out: IncidentRef[] = [];
    for (const rt of this.venues.values()) {
      for (const c of rt.contexts) {
        const ref = inc.capture({ kind, venue: rt.spec.id, symbol: null, conn: c.plan.id, detail, tsMs: this.now() });
        out.push(ref);
        this.notice('warn', `${c.plan.id}: ${detail}; incident capture ${ref.id}`, rt.spec.id, undefined, ref);
      }
    }
    return out;
  }

  private onApplied(rt: VenueRuntime, sb: SymbolBook): void {
    this.statsDirty.add(sb);
    if (this.viewBooks.has(sb)) this.frameDirty.add(sb);
    const lat = sb.lastLatencyUs;
    if (!Number.isNaN(lat)) rt.latency[rt.latencyCount++ % rt.latency.length] = lat;
    for (const fn of this.bookListeners) {
      try {
        fn(sb);
      } catch (e) {
        console.error(`${this.processName}: book listener threw:`, e);
      }
    }
  }

  private onTradeEvent(t: Trade): void {
    for (const fn of this.tradeListeners) {
      try {
        fn(t);
      } catch (e) {
        console.error(`${this.processName}: trade listener threw:`, e);
      }
    }
    if (this.viewBooks.size === 0) return;
    const sb = this.book(t.venue, t.symbol);
    if (sb !== undefined && this.viewBooks.has(sb) && this.pendingTrades.length < TRADES_PER_FRAME) this.pendingTrades.push(t);
  }

  /** A book that lost sync (any cause but an operator request) is served before cold starts. */
  private snapshotPriority(sb: SymbolBook, asked: SnapshotPriority): SnapshotPriority {
    const r = this.pendingResync.get(sb);
    if (r === undefined) return asked;
    return asked === 'gap' ? 'gap' : resyncPriority(r.cause);
  }

  // --- resync events ------------------------------------------------------------------------

  private startResync(sb: SymbolBook, cause: AnomalyKind, detail: string, incident?: IncidentRef): void {
    if (this.pendingResync.has(sb)) this.endResync(sb, 'superseded', `superseded by ${cause}`);
    const ev: ResyncEvent = {
      id: `${sb.instrument.venue}:${sb.symbol}:${++this.resyncSeq}`,
      venue: sb.instrument.venue,
      symbol: sb.symbol,
      cause,
      detail,
      startedMs: this.now(),
      endedMs: null,
      durationMs: null,
      outcome: 'pending',
      ...(incident !== undefined ? { incident } : {}),
    };
    this.pendingResync.set(sb, ev);
    this.remember(ev);
    this.emit('feed.resync', ev);
  }

  private endResync(sb: SymbolBook, outcome: 'live' | 'failed' | 'superseded', why?: string): void {
    const start = this.pendingResync.get(sb);
    if (start === undefined) return;
    this.pendingResync.delete(sb);
    const endedMs = this.now();
    const ev: ResyncEvent = { ...start, endedMs, durationMs: endedMs - start.startedMs, outcome };
    this.remember(ev);
    this.emit('feed.resync', ev);
    if (outcome === 'failed' && why !== undefined) this.notice('warn', `resync ${start.id} failed: ${why}`, start.venue, start.symbol);
  }

  /** Keep the latest version of each resync (the start is replaced by its end). */
  private remember(ev: ResyncEvent): void {
    const i = this.recentResyncs.findIndex((r) => r.id === ev.id);
    if (i >= 0) this.recentResyncs.splice(i, 1);
    this.recentResyncs.push(ev);
    if (this.recentResyncs.length > RESYNCS_KEPT) this.recentResyncs.shift();
  }

  /** A notice from whoever hosts this service (recorder errors...), kept and emitted like the engine's own. */
  report(level: 'info' | 'warn' | 'error', message: string, venue?: VenueId): void {
    this.notice(level, message, venue);
  }

  private notice(level: 'info' | 'warn' | 'error', message: string, venue?: VenueId | string, symbol?: string, incident?: IncidentRef): void {
    const ev: NoticeEvent = {
      level,
      venue: (venue as VenueId | undefined) ?? null,
      symbol: symbol ?? null,
      message,
      tsMs: this.now(),
      ...(incident !== undefined ? { incident } : {}),
    };
    this.recentNotices.push(ev);
    if (this.recentNotices.length > NOTICES_KEPT) this.recentNotices.shift();
    this.emit('feed.notice', ev);
  }

  // --- stats --------------------------------------------------------------------------------

  private processStatus(): ProcessStatus {
    return {
      name: this.processName,
      role: 'feed',
      pid: process.pid,
      state: this.stopped ? 'stopped' : 'running',
      restarts: 0,
      lastExit: null,
      venues: [...this.venues.keys()],
      uptimeMs: this.started ? this.now() - this.startedMs : 0,
    };
  }

  private venueStatusOf(rt: VenueRuntime): VenueStatus {
    let open = 0;
    let reconnects = rt.retired.reconnects;
    for (const c of rt.contexts) {
      if (c.connection.isOpen()) open++;
      reconnects += c.connection.counters.reconnects;
    }
    let gaps = 0;
    let resyncs = 0;
    let checksumOk = 0;
    let checksumFailed = 0;
    let live = 0;
    let stale = 0;
    for (const sb of rt.books.values()) {
      const k = sb.counters;
      gaps += k.gaps;
      resyncs += k.resyncs;
      checksumOk += k.checksumOk;
      checksumFailed += k.checksumFailed;
      if (sb.state === 'live') live++;
      else if (sb.state === 'stale') stale++;
    }
    const n = Math.min(rt.latencyCount, rt.latency.length);
    let p50: number | null = null;
    let p99: number | null = null;
    if (n > 0) {
      const sorted = Array.from(rt.latency.subarray(0, n)).sort((a, b) => a - b);
      p50 = sorted[Math.min(n - 1, Math.floor(0.5 * n))]!;
      p99 = sorted[Math.min(n - 1, Math.floor(0.99 * n))]!;
    }
    return {
      venue: rt.spec.id,
      label: rt.spec.label,
      connections: rt.contexts.length,
      connectionsOpen: open,
      messagesPerSec: rt.rate.messagesPerSec,
      bytesPerSec: rt.rate.bytesPerSec,
      // In a replay the exchange times are the recording's: receive - exchange is the recording's
      // age, not a latency. It is shown as the clock offset and latency stays empty.
      latencyP50Us: this.replay ? null : p50,
      latencyP99Us: this.replay ? null : p99,
      clockOffsetMs: p50 === null ? null : Math.round(p50 / 1000),
      reconnects,
      gaps,
      resyncs,
      checksumOk,
      checksumFailed,
      symbols: rt.books.size,
      liveSymbols: live,
      staleSymbols: stale,
      rest: rt.budget?.view() ?? null,
    };
  }

  private updateRates(rt: VenueRuntime): void {
    let messages = rt.retired.messages;
    let bytes = rt.retired.bytes;
    for (const c of rt.contexts) {
      messages += c.connection.counters.messages;
      bytes += c.connection.counters.bytes;
    }
    const at = monotonicMs();
    const dt = (at - rt.rate.atMs) / 1000;
    if (dt <= 0) return;
    rt.rate.messagesPerSec = Math.round((messages - rt.rate.messages) / dt);
    rt.rate.bytesPerSec = Math.round((bytes - rt.rate.bytes) / dt);
    rt.rate.messages = messages;
    rt.rate.bytes = bytes;
    rt.rate.atMs = at;
  }

  private statsTick(): void {
    for (const rt of this.venues.values()) this.updateRates(rt);
    if (!this.hasListeners('stats.frame')) {
      this.statsDirty.clear();
      return;
    }
    const venues = [...this.venues.values()].map((rt) => this.venueStatusOf(rt));
    const venuesJson = JSON.stringify(venues);
    if (this.statsDirty.size === 0 && venuesJson === this.lastVenuesJson) return;
    this.lastVenuesJson = venuesJson;
    const nowMs = this.now();
    const symbols: SymbolStatus[] = [];
    for (const sb of this.statsDirty) if (this.bookVenue.has(sb)) symbols.push(symbolStatus(sb, this.processName, nowMs, this.replay));
    this.statsDirty.clear();
    // The whole NBBO of this process every frame: the supervisor keeps each process's last one.
    const frame: StatsFrame = { symbols, venues, nbbo: computeNbbo([...this.books()].map(quoteOfBook), { nowMs }), tsMs: nowMs };
    this.emit('stats.frame', frame);
  }

  private frameTick(): void {
    if (this.frameDirty.size === 0 && this.pendingTrades.length === 0) return;
    if (!this.hasListeners('book.frame')) {
      this.frameDirty.clear();
      this.pendingTrades = [];
      return;
    }
    const nowMs = this.now();
    const books: BookView[] = [];
    for (const sb of this.frameDirty) if (this.viewBooks.has(sb)) books.push(bookView(sb, this.viewDepth, nowMs));
    this.frameDirty.clear();
    const trades = this.pendingTrades.map(tradeView);
    this.pendingTrades = [];
    if (books.length === 0 && trades.length === 0) return;
    const frame: BookFrame = { books, trades };
    this.emit('book.frame', frame);
  }
}
