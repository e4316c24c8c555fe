/**
 * The live `SessionContext`: binds one venue connection (`WsConnection`), the venue's protocol
 * session and the books planned on that connection.
 *
 * A session lives for one socket: every time the socket opens, a new session is created over the
 * same books (`spec.createSession`), so no protocol state survives a reconnect. When the socket
 * closes, every book on it leaves "live" visibly (anomaly `reconnect`: it is no longer updated)
 * and resyncs after the reconnect the venue's normal way (REST venues buffer the first diffs and
 * ask for a snapshot, in-band venues get a fresh snapshot on subscribe). Snapshot requests are
 * never sent for a closed socket: a snapshot taken before the stream is subscribed leaves a hole
 * (venues.md section 15, "Snapshot racing the stream").
 *
 * Snapshots go through the venue's `RestBudget`. A snapshot that answers after its socket was
 * replaced is dropped: the new session asks for its own.
 *
 * With a `tap` (recorder, incident rings), the connection hands it every frame, and this context
 * hands it every REST snapshot its session consumes, as an `http` record of this connection: a
 * capture of one connection then holds the snapshots its books were built from, which is what
 * `depthdesk verify` needs to rebuild them. Refused answers and answers for a replaced socket
 * are not recorded (they never reached a session; the notices and logs carry them).
 *
 * A venue whose URL changes per connect (`VenueSpec.resolveConnection`, KuCoin's bullet-public
 * token) is asked before every attempt, against the REST origin the engine runs with; its session
 * is created with the plan as connected (the resolved URL and the keepalive interval the venue
 * handed out). A session may ask for a new socket (`reconnect`, Binance `serverShutdown`).
 */
import type { AnomalyKind, Trade } from '../../../src-shared/model/market.ts';
import type { SymbolBook } from '../sync/symbolBook.ts';
import type { ConnectionPlan, SessionContext, SnapshotPriority, VenueSession, VenueSpec } from '../venues/venue.ts';
import type { RestBudget } from './restBudget.ts';
import type { FrameTap } from '../record/frameTap.ts';
import { WsConnection } from './wsConnection.ts';
import type { CloseInfo, WsConnectionOptions } from './wsConnection.ts';

/** What the owner of the books (the EngineService) provides to each connection. */
export interface LiveContextHost {
  /** Priority a snapshot request for this book really gets (a book that lost sync is a gap). */
  snapshotPriority(sb: SymbolBook, asked: SnapshotPriority): SnapshotPriority;
  /** A snapshot for this book failed for good (a 4xx the venue will keep answering). */
  snapshotFailed(sb: SymbolBook, status: number, body: string): void;
  trade(t: Trade): void;
  notice(level: 'info' | 'warn' | 'error', message: string, venueSymbol?: string): void;
}

/** Why a context stops: the engine shuts down, or its symbols move to a new connection plan. */
export type StopReason = 'shutdown' | 'replan';

export interface LiveContextOptions {
  spec: VenueSpec;
  plan: ConnectionPlan;
  /** Books on this connection, by venue symbol. */
  books: Map<string, SymbolBook>;
  budget: RestBudget | undefined;
  host: LiveContextHost;
  /** Connection settings (url and id come from the plan). */
  connection: Omit<WsConnectionOptions, 'id' | 'url' | 'handler' | 'tap'>;
  /** Recorder / incident rings; absent = nothing is tapped. */
  tap?: FrameTap;
  /** REST origin the budget sends to (for the URL of recorded snapshots). */
  restBase?: string;
}

export class LiveContext implements SessionContext {
  readonly spec: VenueSpec;
  readonly plan: ConnectionPlan;
  readonly connection: WsConnection;
  private readonly booksBySymbol: Map<string, SymbolBook>;
  private readonly budget: RestBudget | undefined;
  private readonly host: LiveContextHost;
  private session: VenueSession | undefined;
  /** Incremented on every socket open; answers for an older socket are dropped. */
  private generation = 0;
  /** Venue symbols with a snapshot requested on the current socket. */
  private readonly requested = new Set<string>();
  /** Cross-check failures reported as notices (bounded, the counters keep the total). */
  private crossCheckNotices = 0;
  private stopReason: StopReason | undefined;
  private readonly tap: FrameTap | undefined;
  private readonly restBase: string;

  constructor(opts: LiveContextOptions) {
    this.spec = opts.spec;
    this.tap = opts.tap;
    this.restBase = opts.restBase ?? opts.spec.rest?.baseUrl ?? '';
    this.plan = opts.plan;
    this.booksBySymbol = opts.books;
    this.budget = opts.budget;
    this.host = opts.host;
    const resolveConnection = opts.spec.resolveConnection;
    const pingIntervalMs = opts.connection.pingIntervalMs ?? opts.spec.limits.pingIntervalMs;
    this.connection = new WsConnection({
      ...opts.connection,
      id: opts.plan.id,
      url: opts.plan.url,
      ...(pingIntervalMs !== undefined ? { pingIntervalMs } : {}),
      ...(resolveConnection !== undefined
        ? { resolve: (attempt: number, signal: AbortSignal) => resolveConnection.call(opts.spec, opts.plan, { restBase: this.restBase, attempt, signal }) }
        : {}),
      ...(opts.tap !== undefined ? { tap: { venue: opts.spec.id, tap: opts.tap } } : {}),
      handler: {
        onOpen: () => this.opened(),
        onMessage: (text, recvTsNs) => this.message(text, recvTsNs),
        onClose: (info) => this.closed(info),
        onStale: (silentMs) => this.stale(silentMs),
        onNotice: (level, message) => this.host.notice(level, message),
      },
    });
  }

  start(): void {
    this.connection.start();
  }

  /**
   * Close the connection. On shutdown the books go back to "connecting"; on a re-plan they leave
   * live like after any reconnect and resync on their new connection.
   */
  async stop(reason: StopReason): Promise<void> {
    this.stopReason = reason;
    this.cancelSnapshots(`connection stopped (${reason})`);
    await this.connection.stop();
    this.session = undefined;
  }

  /** The venue symbols planned on this connection. */
  symbols(): string[] {
    return [...this.booksBySymbol.keys()];
  }

  /** Manual resync of one book (operator request): leaves live, then the venue's resync path. */
  resync(venueSymbol: string): boolean {
    const sb = this.booksBySymbol.get(venueSymbol);
    if (sb === undefined) return false;
    sb.anomaly('manual', 'resync requested by the operator');
    return true;
  }

  /**
   * Route a book anomaly to the session (called by the owner's SymbolBook hook). `stale` keeps
   * the book (the connection probes), `reconnect` resyncs once the socket is back.
   */
  bookAnomaly(sb: SymbolBook, kind: AnomalyKind): void {
    if (kind === 'stale' || kind === 'reconnect') return;
    const session = this.session;
    if (session === undefined || !this.connection.isOpen()) return;
    this.guard(() => session.resync(sb.symbol, kind), sb.symbol);
  }

  // --- SessionContext -----------------------------------------------------------------------

  send(frame: string): void {
    this.connection.send(frame);
  }

  book(venueSymbol: string): SymbolBook | undefined {
    return this.booksBySymbol.get(venueSymbol);
  }

  books(): Iterable<SymbolBook> {
    return this.booksBySymbol.values();
  }

  requestSnapshot(venueSymbol: string, priority: SnapshotPriority): void {
    const sb = this.booksBySymbol.get(venueSymbol);
    const rest = this.spec.rest;
    if (sb === undefined) return;
    if (rest === undefined || this.budget === undefined) {
      this.host.notice('error', `${this.spec.id} asked for a REST snapshot but has no REST spec`, venueSymbol);
      return;
    }
    const gen = this.generation;
    if (this.session === undefined) return;
    this.requested.add(venueSymbol);
    const path = rest.snapshotPath(venueSymbol);
    this.budget.request({
      key: venueSymbol,
      path,
      weight: rest.snapshotWeight,
      priority: this.host.snapshotPriority(sb, priority),
      onDone: (o) => {
        if (this.generation === gen) this.requested.delete(venueSymbol);
        if (o.kind === 'cancelled' || this.generation !== gen) return;
        const session = this.session;
        if (session === undefined) return;
        if (o.status >= 200 && o.status < 300) {
          this.tap?.frame({ venue: this.spec.id, dir: 'http', conn: this.plan.id, url: `${this.restBase}${path}`, raw: o.body, recvTsNs: o.recvTsNs });
          this.guard(() => session.onSnapshot?.(venueSymbol, o.body, o.recvTsNs), venueSymbol);
          return;
        }
        this.host.notice('error', `snapshot for ${venueSymbol} refused with HTTP ${o.status}: ${o.body.slice(0, 200)}`, venueSymbol);
        this.host.snapshotFailed(sb, o.status, o.body);
      },
    });
  }

  trade(t: Trade): void {
    this.host.trade(t);
  }

  /**
   * Binance bookTicker (and similar signals) must equal the rebuilt top at the same update id; a
   * difference means the book is wrong, so it resyncs. The anomaly is raised after the current
   * message finished: the check runs inside the session's apply step.
   */
  crossCheck(sb: SymbolBook, ok: boolean, detail: string): void {
    if (ok) {
      sb.counters.crossCheckOk++;
      return;
    }
    sb.counters.crossCheckFailed++;
    if (this.crossCheckNotices++ < 20) this.host.notice('error', `top-of-book cross-check failed: ${detail}`, sb.symbol);
    queueMicrotask(() => {
      if (sb.state === 'live' || sb.state === 'stale' || sb.state === 'syncing') sb.anomaly('checksum-mismatch', `cross-check: ${detail}`);
    });
  }

  notice(level: 'info' | 'warn' | 'error', message: string, venueSymbol?: string): void {
    this.host.notice(level, `${this.plan.id}: ${message}`, venueSymbol);
  }

  connectionAnomaly(kind: AnomalyKind, detail: string): void {
    for (const sb of this.booksBySymbol.values()) sb.anomaly(kind, detail);
  }

  reconnect(reason: string): void {
    this.connection.reconnect(reason);
  }

  // --- connection events --------------------------------------------------------------------

  private opened(): void {
    this.generation++;
    this.requested.clear();
    const session = this.spec.createSession(this, this.connectedPlan());
    this.session = session;
    this.connection.setKeepalive(session.keepalive);
    this.guard(() => session.onOpen());
  }

  private message(text: string, recvTsNs: bigint): void {
    const session = this.session;
    if (session === undefined) return;
    this.guard(() => session.onMessage(text, recvTsNs));
  }

  private closed(info: CloseInfo): void {
    const session = this.session;
    this.session = undefined;
    this.generation++;
    this.connection.setKeepalive(undefined);
    this.cancelSnapshots(`connection closed (${info.cause})`);
    if (session !== undefined) this.guard(() => session.onClose?.());
    const detail =
      this.stopReason === 'replan'
        ? `connection ${this.plan.id} re-planned`
        : `connection ${this.plan.id} closed (${info.cause}, code ${info.code}${info.reason ? ` ${info.reason}` : ''})`;
    for (const sb of this.booksBySymbol.values()) {
      // Books that never synced just wait again; every other book visibly stops being live.
      if (sb.state === 'connecting') continue;
      if (this.stopReason === 'shutdown') sb.transition('connecting', 'stopped', detail);
      else sb.anomaly('reconnect', detail);
    }
  }

  /** The plan as this socket was opened: the resolved URL and keepalive interval, when resolved. */
  private connectedPlan(): ConnectionPlan {
    if (this.spec.resolveConnection === undefined) return this.plan;
    const pingIntervalMs = this.connection.resolvedPingIntervalMs;
    return { ...this.plan, url: this.connection.url, ...(pingIntervalMs !== undefined ? { pingIntervalMs } : {}) };
  }

  private stale(silentMs: number): void {
    for (const sb of this.booksBySymbol.values()) {
      // Only live books become stale: a book still syncing is already not trusted, and the
      // sessions treat "stale" as live-but-flagged.
      if (sb.state === 'live') sb.anomaly('stale', `no frame on ${this.plan.id} for ${Math.round(silentMs)} ms`);
    }
  }

  private cancelSnapshots(reason: string): void {
    if (this.budget === undefined) return;
    for (const s of this.requested) this.budget.cancel(s, reason);
    this.requested.clear();
  }

  /** Session code must not break the socket loop: a throw is a bug, reported with its stack. */
  private guard(fn: () => void, venueSymbol?: string): void {
    try {
      fn();
    } catch (e) {
      this.host.notice('error', `${this.spec.id} session threw (bug): ${(e as Error).stack ?? String(e)}`, venueSymbol);
    }
  }
}
