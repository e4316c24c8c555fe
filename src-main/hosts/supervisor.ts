/**
 * The supervisor: starts the engine processes, checks their hello, watches their heartbeats,
 * restarts a crashed or unresponsive process with capped exponential backoff, stops a crash loop
 * and says so, and makes every book of a restarted process resync visibly (cause
 * `process-restart`): nothing of a dead process is shown as if it were still live.
 *
 * Towards the console it is one engine: it merges the shards' status into one `EngineStatus`,
 * routes requests to the process that owns the venue (one owner per book), fans view
 * subscriptions out to the owning processes and filters their book frames back per view.
 *
 * It knows nothing about how a process is started: a `ProcessLauncher` does that
 * (child_process.fork in the headless host and tests, Electron's utilityProcess in the app).
 * That keeps this file runnable under plain Node and testable over in-memory ports.
 */
import type {
  BookFrame,
  BookView,
  ConfigView,
  DiagnosticsProgress,
  DiagnosticsResult,
  EngineEvents,
  EngineStatus,
  EngineTopic,
  ResultOf,
  NbboView,
  NoticeEvent,
  ProcessEvent,
  ProcessStatus,
  PublisherView,
  ResyncEvent,
  StatsFrame,
  SymbolStatus,
  TransitionEvent,
  VenueStatus,
} from '../../src-shared/contracts/engineApi.ts';
import { emptyCountersView, PROTOCOL_VERSION } from '../../src-shared/contracts/engineApi.ts';
import { Peer, RpcError } from '../../src-shared/contracts/rpc.ts';
import type { Handlers, Port } from '../../src-shared/contracts/rpc.ts';
import type { SyncState, VenueId } from '../../src-shared/model/market.ts';
import type { VenueConfig } from './config.ts';
import { mergeNbbo } from './nbboMerge.ts';
import type { ProcessPayload } from './processPayload.ts';

export interface ExitInfo {
  code: number | null;
  signal: string | null;
  /** The host's own word for it where it has one (Electron: crashed, oom, killed, ...). */
  reason?: string;
}

/** A started process, as the launcher hands it over. */
export interface LaunchedProcess {
  readonly pid: number | null;
  readonly port: Port;
  /** Called once when the process is gone. */
  onExit(fn: (e: ExitInfo) => void): void;
  /** Output lines the process wrote to stderr (for crash reasons). */
  onStderr?(fn: (line: string) => void): void;
  /** Hard kill (SIGKILL or the host's equivalent). */
  kill(): void;
}

export interface ProcessLauncher {
  launch(payload: ProcessPayload): LaunchedProcess;
}

export interface SupervisorPolicy {
  heartbeatMs: number;
  unresponsiveAfterMs: number;
  /** A process that sends no hello within this is treated as unresponsive. */
  helloTimeoutMs: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
  crashLoopCount: number;
  crashLoopWindowMs: number;
  /** Time a process gets to exit after being asked to stop, before it is killed. */
  stopGraceMs: number;
  /** Merged stats frames are sent at most this often. */
  statsIntervalMs: number;
}

/**
 * A process is declared wedged only after 10 s without answering: a busy but healthy process on
 * a loaded two-core machine can miss a few pings, and killing it would only add a resync storm.
 * A crash is noticed at once regardless (exit event).
 */
export const DEFAULT_POLICY: SupervisorPolicy = {
  heartbeatMs: 500,
  unresponsiveAfterMs: 10_000,
  helloTimeoutMs: 15_000,
  backoffInitialMs: 250,
  backoffMaxMs: 10_000,
  crashLoopCount: 5,
  crashLoopWindowMs: 60_000,
  stopGraceMs: 3000,
  statsIntervalMs: 500,
};

/** One engine process to keep running. */
export interface ProcessSpec {
  name: string;
  role: 'feed';
  venues: VenueConfig[];
  bookDepth: number;
  multicast: ProcessPayload['multicast'];
  dataDir: string;
  output?: ProcessPayload['output'];
}

export interface LogEntry {
  level: 'info' | 'warn' | 'error';
  msg: string;
  process?: string;
}

/**
 * What a symbol is called before its process reported it (the host knows the venue registry):
 * the venue's canonical spelling ("btcusdt" -> "BTCUSDT") and the normalized names.
 */
export type SymbolDescriber = (venue: VenueId, symbol: string) => { venueSymbol: string; normalized: string; base: string; quote: string; kind: string };

export interface SupervisorOptions {
  launcher: ProcessLauncher;
  processes: ProcessSpec[];
  policy?: Partial<SupervisorPolicy>;
  build: string;
  mode: 'live' | 'replay';
  /** The effective configuration, redacted (config.get). */
  config?: () => ConfigView;
  /** Diagnostics export; absent until the diagnostics issue lands (answers not-available). */
  diagnostics?: (params: { path?: string }) => Promise<DiagnosticsResult>;
  describeSymbol?: SymbolDescriber;
  log?: (e: LogEntry) => void;
  now?: () => number;
}

/**
 * A console view attached to the supervisor (a bridge connection, the Electron window).
 * `emit` returns false when it did not pass the event on (a slow socket skipping a frame, a port
 * not open yet): the client's next stats frame is then a full one.
 */
export interface SupervisorClient {
  emit<T extends EngineTopic>(topic: T, data: EngineEvents[T]): boolean | void;
}

export interface Attachment {
  handlers: Handlers;
  detach(): void;
}

const RING = 500;

function push<T>(ring: T[], v: T): void {
  ring.push(v);
  if (ring.length > RING) ring.shift();
}

function key(venue: string, symbol: string): string {
  return `${venue}\u0000${symbol}`;
}

function describeExit(e: ExitInfo, expected: boolean): string {
  const why = e.reason ? ` (${e.reason})` : '';
  if (e.signal) return `killed by ${e.signal}${why}`;
  if (e.code === 0 && !expected) return `exited with code 0 (unexpectedly)${why}`;
  return `exited with code ${e.code}${why}`;
}

interface ViewSub {
  client: SupervisorClient;
  books: Set<string>;
  depth: number;
}

/** One supervised process and everything known about it. */
class Managed {
  readonly spec: ProcessSpec;
  state: ProcessStatus['state'] = 'starting';
  child: LaunchedProcess | null = null;
  peer: Peer | null = null;
  pid: number | null = null;
  restarts = 0;
  /** Exit times inside the crash-loop window. */
  exits: number[] = [];
  lastExit: string | null = null;
  startedMs = 0;
  lastPongMs = 0;
  pingInFlight = false;
  pingSeq = 0;
  stopping = false;
  /** Why the port closed (the child's own "bye" reason, a version mismatch). */
  closeReason: string | null = null;
  stderrTail: string[] = [];
  helloTimer: ReturnType<typeof setTimeout> | null = null;
  restartTimer: ReturnType<typeof setTimeout> | null = null;
  exited: Promise<void> = Promise.resolve();
  /** Last known state of every book this process owns. */
  readonly symbols = new Map<string, SymbolStatus>();
  readonly venues = new Map<VenueId, VenueStatus>();
  publisher: PublisherView | null = null;
  nbbo: NbboView[] = [];
  lastStatsMs = 0;
  /** When each row was last reported: processes send only changed rows, so ages are advanced from here. */
  readonly reportedMs = new Map<string, number>();
  /** Union of the views' subscriptions last sent to this process. */
  sentSubscription = '';
  /** Resyncs started because this process went away, closed when the book is live again. */
  readonly restartResyncs = new Map<string, ResyncEvent>();

  constructor(spec: ProcessSpec) {
    this.spec = spec;
  }

  owns(venue: string): boolean {
    return this.spec.venues.some((v) => v.venue === venue);
  }
}

export class Supervisor {
  private readonly opts: SupervisorOptions;
  private readonly policy: SupervisorPolicy;
  private readonly procs: Managed[];
  private readonly clients = new Set<SupervisorClient>();
  private readonly views = new Map<SupervisorClient, ViewSub>();
  private readonly transitions: TransitionEvent[] = [];
  private readonly resyncs: ResyncEvent[] = [];
  private readonly processEvents: ProcessEvent[] = [];
  private readonly notices: NoticeEvent[] = [];
  private readonly listeners = new Set<SupervisorClient>();
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private statsTimer: ReturnType<typeof setInterval> | null = null;
  private statsDirty = false;
  /** The rows of the previous stats frame (what every client in statsInSync holds) and its time. */
  private sentRows = new Map<string, SymbolStatus>();
  private sentStatsMs = 0;
  /** Clients that were sent the previous stats frame: the next one carries only the changed rows. */
  private readonly statsInSync = new Set<SupervisorClient>();
  private readonly startedMs: number;
  private stopped = false;
  private readonly now: () => number;

  constructor(opts: SupervisorOptions) {
    this.opts = opts;
    this.policy = { ...DEFAULT_POLICY, ...opts.policy };
    this.now = opts.now ?? Date.now;
    this.startedMs = this.now();
    const names = new Set<string>();
    const venues = new Set<string>();
    for (const p of opts.processes) {
      if (names.has(p.name)) throw new Error(`process name ${p.name} used twice`);
      names.add(p.name);
      for (const v of p.venues) {
        // One owner per book: a venue in two processes would have two books that disagree.
        if (venues.has(v.venue)) throw new Error(`venue ${v.venue} assigned to two processes`);
        venues.add(v.venue);
      }
    }
    this.procs = opts.processes.map((s) => new Managed(s));
    for (const m of this.procs) this.seedSymbols(m);
  }

  /** Start every process; resolves when each has said hello (or failed to). */
  async start(): Promise<void> {
    this.heartbeat = setInterval(() => this.tick(), this.policy.heartbeatMs);
    this.statsTimer = setInterval(() => this.flushStats(), this.policy.statsIntervalMs);
    await Promise.all(this.procs.map((m) => this.launch(m)));
  }

  /** Ask every process to stop, kill those that do not within the grace time. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.statsTimer) clearInterval(this.statsTimer);
    this.heartbeat = null;
    this.statsTimer = null;
    await Promise.all(this.procs.map((m) => this.stopOne(m, 'supervisor stopping')));
  }

  /** Process table (also part of status). */
  processes(): ProcessStatus[] {
    const now = this.now();
    return this.procs.map((m) => ({
      name: m.spec.name,
      role: m.spec.role,
      pid: m.pid,
      state: m.state,
      restarts: m.restarts,
      lastExit: m.lastExit,
      venues: m.spec.venues.map((v) => v.venue),
      uptimeMs: m.state === 'running' ? now - m.startedMs : 0,
    }));
  }

  /** Kill a process the hard way (tests, and the operator's "kill" in the console). */
  kill(name: string): boolean {
    const m = this.procs.find((p) => p.spec.name === name);
    if (!m?.child) return false;
    m.child.kill();
    return true;
  }

  /** Tell every console view how a diagnostics export is going (whoever started it). */
  announce(p: DiagnosticsProgress): void {
    this.broadcast('diagnostics.progress', p);
  }

  /** Listen to everything the supervisor emits (logs, the HTTP host's event stream). */
  subscribe(listener: SupervisorClient): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Connect a console view: its handlers answer from the merged engine. */
  attach(client: SupervisorClient): Attachment {
    this.clients.add(client);
    return {
      handlers: this.handlersFor(client),
      detach: () => {
        this.clients.delete(client);
        this.statsInSync.delete(client);
        if (this.views.delete(client)) this.pushSubscriptions();
      },
    };
  }

  /** The merged status from the latest each process reported (no round trip). */
  cachedStatus(): EngineStatus {
    const symbols: SymbolStatus[] = [];
    const venues: VenueStatus[] = [];
    const publishers: PublisherView[] = [];
    const now = this.now();
    for (const m of this.procs) {
      const up = m.state === 'running';
      for (const s of m.symbols.values()) {
        const out = { ...s, process: m.spec.name };
        if (m.restartResyncs.has(key(s.venue, s.symbol)) && out.state !== 'live') out.stateCause = 'process-restart';
        // A quiet book is not re-sent by its process: its update age keeps growing from the last report.
        const at = m.reportedMs.get(key(s.venue, s.symbol));
        if (out.updateAgeMs !== null && at !== undefined) out.updateAgeMs += Math.max(0, now - at);
        symbols.push(out);
      }
      for (const v of m.spec.venues) {
        const known = m.venues.get(v.venue);
        const mine = [...m.symbols.values()].filter((s) => s.venue === v.venue);
        const live = mine.filter((s) => s.state === 'live').length;
        const stale = mine.filter((s) => s.state === 'stale').length;
        if (known && up) venues.push({ ...known, symbols: mine.length || known.symbols, liveSymbols: live, staleSymbols: stale });
        else venues.push(this.deadVenue(v.venue, known, mine.length, live, stale));
      }
      if (m.publisher && up) publishers.push(m.publisher);
    }
    symbols.sort((a, b) => a.venue.localeCompare(b.venue) || a.symbol.localeCompare(b.symbol));
    return {
      build: this.opts.build,
      startedMs: this.startedMs,
      nowMs: now,
      mode: this.opts.mode,
      venues,
      symbols,
      processes: this.processes(),
      publisher: mergePublishers(publishers),
    };
  }

  /** Ask every running process for its status, then merge. */
  async status(): Promise<EngineStatus> {
    await Promise.all(this.procs.filter((m) => m.state === 'running' && m.peer).map((m) => this.refresh(m)));
    return this.cachedStatus();
  }

  recentEvents(limit = 100): ResultOf<'events.recent'> {
    const n = Math.max(1, Math.min(RING, limit));
    return {
      transitions: this.transitions.slice(-n),
      resyncs: this.resyncs.slice(-n),
      processes: this.processEvents.slice(-n),
      notices: this.notices.slice(-n),
    };
  }

  // ---- process lifecycle -------------------------------------------------------------------

  private launch(m: Managed): Promise<void> {
    if (this.stopped) return Promise.resolve();
    m.state = m.restarts > 0 || m.exits.length > 0 ? 'restarting' : 'starting';
    m.closeReason = null;
    m.stderrTail = [];
    m.pingInFlight = false;
    m.sentSubscription = '';
    const payload: ProcessPayload = {
      name: m.spec.name,
      role: m.spec.role,
      build: this.opts.build,
      venues: m.spec.venues,
      bookDepth: m.spec.bookDepth,
      restart: m.restarts,
      multicast: m.spec.multicast,
      dataDir: m.spec.dataDir,
      mode: this.opts.mode,
      ...(m.spec.output !== undefined ? { output: m.spec.output } : {}),
    };
    let child: LaunchedProcess;
    try {
      child = this.opts.launcher.launch(payload);
    } catch (e) {
      // A launch that fails outright (missing entry file) is an exit like any other: it counts towards the crash loop.
      this.log('error', `could not start: ${(e as Error).message}`, m.spec.name);
      m.closeReason = `launch failed: ${(e as Error).message}`;
      this.onExit(m, null, { code: null, signal: null });
      return Promise.resolve();
    }
    m.child = child;
    m.pid = child.pid;
    let resolveExit!: () => void;
    m.exited = new Promise<void>((r) => (resolveExit = r));
    child.onStderr?.((line) => {
      m.stderrTail.push(line);
      if (m.stderrTail.length > 20) m.stderrTail.shift();
    });
    const peer = new Peer(child.port, {
      hello: { protocolVersion: PROTOCOL_VERSION, build: this.opts.build, role: 'supervisor', name: 'supervisor', pid: process.pid },
      timeoutMs: this.policy.unresponsiveAfterMs,
    });
    m.peer = peer;
    child.port.onClose((reason) => {
      if (m.child === child && m.closeReason === null) m.closeReason = reason;
    });
    child.onExit((e) => {
      resolveExit();
      this.onExit(m, child, e);
    });
    this.wireEvents(m, peer);
    return new Promise<void>((resolve) => {
      m.helloTimer = setTimeout(() => {
        if (m.child !== child || m.state === 'running') return;
        this.processEvent(m, 'unresponsive', `no hello within ${this.policy.helloTimeoutMs} ms of starting; killing pid ${child.pid ?? '?'}`);
        m.closeReason = `no hello within ${this.policy.helloTimeoutMs} ms`;
        child.kill();
        resolve();
      }, this.policy.helloTimeoutMs);
      peer.ready().then(
        (hello) => {
          if (m.helloTimer) clearTimeout(m.helloTimer);
          if (m.child !== child) return resolve();
          if (hello.build !== this.opts.build) {
            this.notice('warn', `${m.spec.name} runs build ${hello.build}, the supervisor ${this.opts.build}: a stale process or a partial rebuild`);
          }
          m.state = 'running';
          m.startedMs = this.now();
          m.lastPongMs = m.startedMs;
          m.pid = hello.pid ?? child.pid;
          this.processEvent(m, 'started', `pid ${m.pid ?? '?'}, build ${hello.build}${m.restarts > 0 ? `, restart ${m.restarts}` : ''}`);
          this.pushSubscriptions();
          void this.refresh(m);
          resolve();
        },
        () => {
          // The port closed before hello (version mismatch, or the child died first): the exit handler reports it.
          if (m.helloTimer) clearTimeout(m.helloTimer);
          if (m.closeReason?.startsWith('protocol version mismatch') && m.child === child) child.kill();
          resolve();
        },
      );
    });
  }

  private onExit(m: Managed, child: LaunchedProcess | null, e: ExitInfo): void {
    if (child !== null && m.child !== child) return;
    if (m.helloTimer) clearTimeout(m.helloTimer);
    m.child = null;
    m.peer?.close('process exited');
    m.peer = null;
    m.pid = null;
    const wasUp = m.state === 'running';
    const why = [child === null ? 'did not start' : describeExit(e, m.stopping || this.stopped)];
    if (m.closeReason && !m.closeReason.startsWith('exited') && m.closeReason !== 'IPC channel disconnected' && m.closeReason !== 'process exited') why.push(`reason: ${m.closeReason}`);
    const lastErr = [...m.stderrTail].reverse().find((l) => /error|exception|fatal|abort/i.test(l)) ?? m.stderrTail[m.stderrTail.length - 1];
    if (lastErr && !m.stopping) why.push(`stderr: ${lastErr.trim().slice(0, 300)}`);
    const detail = why.join('; ');
    m.lastExit = detail;
    if (m.stopping || this.stopped) {
      m.state = 'stopped';
      this.processEvent(m, 'stopped', detail);
      return;
    }
    this.processEvent(m, 'exited', detail);
    this.log('error', `exited: ${detail}`, m.spec.name);
    if (m.closeReason?.startsWith('protocol version mismatch')) {
      // Restarting the same files cannot fix a version mismatch: stop and say what to do.
      m.state = 'stopped';
      this.markBooksDown(m, 'halted', 'process-stopped', `${m.spec.name} speaks another protocol version: ${m.closeReason}. Rebuild and restart Depthdesk.`);
      this.processEvent(m, 'stopped', `not restarted: ${m.closeReason}`);
      return;
    }
    const now = this.now();
    m.exits = m.exits.filter((t) => now - t < this.policy.crashLoopWindowMs);
    m.exits.push(now);
    if (m.exits.length >= this.policy.crashLoopCount) {
      m.state = 'crash-loop';
      const msg = `${m.exits.length} exits within ${Math.round(this.policy.crashLoopWindowMs / 1000)} s; not restarting (last: ${detail}). Fix the cause, then restart it from the console (processes.restart).`;
      this.markBooksDown(m, 'halted', 'process-crash-loop', msg);
      this.processEvent(m, 'crash-loop', msg);
      this.notice('error', `${m.spec.name} (${m.spec.venues.map((v) => v.venue).join(', ')}) is in a crash loop: ${msg}`);
      return;
    }
    const delay = Math.min(this.policy.backoffMaxMs, this.policy.backoffInitialMs * 2 ** (m.exits.length - 1));
    m.state = 'restarting';
    this.markBooksDown(m, 'resyncing', 'process-restart', `${m.spec.name} ${detail}; restarting`);
    this.processEvent(m, 'restarting', `restart ${m.restarts + 1} in ${delay} ms (${m.exits.length} exit(s) in the last ${Math.round(this.policy.crashLoopWindowMs / 1000)} s${wasUp ? '' : ', it never came up'})`);
    m.restartTimer = setTimeout(() => {
      m.restartTimer = null;
      m.restarts++;
      void this.launch(m);
    }, delay);
  }

  private async stopOne(m: Managed, reason: string): Promise<void> {
    m.stopping = true;
    if (m.restartTimer) clearTimeout(m.restartTimer);
    m.restartTimer = null;
    const child = m.child;
    if (!child) {
      if (m.state !== 'stopped') {
        m.state = 'stopped';
        this.processEvent(m, 'stopped', reason);
      }
      return;
    }
    m.peer?.close(reason);
    const timer = setTimeout(() => child.kill(), this.policy.stopGraceMs);
    await m.exited;
    clearTimeout(timer);
  }

  /** Operator restart: also the way out of a crash loop. */
  private async restart(name: string): Promise<{ restarted: boolean; detail: string }> {
    const m = this.procs.find((p) => p.spec.name === name);
    if (!m) throw new RpcError('bad-request', `no process named "${name}" (known: ${this.procs.map((p) => p.spec.name).join(', ')})`);
    if (this.stopped) return { restarted: false, detail: 'the supervisor is stopping' };
    if (m.child) {
      await this.stopOne(m, 'restart requested');
      this.markBooksDown(m, 'resyncing', 'process-restart', `${m.spec.name} restarted by request`);
    }
    if (m.restartTimer) clearTimeout(m.restartTimer);
    m.restartTimer = null;
    m.stopping = false;
    m.exits = [];
    m.restarts++;
    this.processEvent(m, 'restarting', 'restart requested');
    await this.launch(m);
    return { restarted: true, detail: `${m.spec.name} is ${m.state}` };
  }

  // ---- heartbeats -------------------------------------------------------------------------

  private tick(): void {
    const now = this.now();
    for (const m of this.procs) {
      if (m.state !== 'running' || !m.peer || !m.child) continue;
      if (m.pingInFlight) {
        if (now - m.lastPongMs > this.policy.unresponsiveAfterMs) {
          const silent = now - m.lastPongMs;
          m.closeReason = `unresponsive: no heartbeat answer for ${silent} ms`;
          this.processEvent(m, 'unresponsive', `no heartbeat answer for ${silent} ms; killing pid ${m.pid ?? '?'}`);
          m.child.kill();
        }
        continue;
      }
      m.pingInFlight = true;
      const peer = m.peer;
      const seq = ++m.pingSeq;
      peer.call('process.ping', { seq, sentMs: now }).then(
        () => {
          if (m.peer !== peer) return;
          m.pingInFlight = false;
          m.lastPongMs = this.now();
        },
        () => {
          // Timeouts are judged by lastPongMs above; a closed port is judged by the exit.
        },
      );
    }
  }

  // ---- what the processes report ------------------------------------------------------------

  private wireEvents(m: Managed, peer: Peer): void {
    peer.on('feed.transition', (t) => {
      const s = m.symbols.get(key(t.venue, t.symbol));
      if (s) {
        s.state = t.to;
        s.stateSinceMs = t.tsMs;
        s.stateCause = t.cause;
      }
      push(this.transitions, t);
      this.broadcast('feed.transition', t);
      if (t.to === 'live') this.closeRestartResync(m, t.venue, t.symbol);
      this.statsDirty = true;
    });
    peer.on('feed.resync', (r) => {
      push(this.resyncs, r);
      this.broadcast('feed.resync', r);
    });
    peer.on('feed.notice', (n) => {
      push(this.notices, n);
      this.broadcast('feed.notice', n);
      // A restarted process says where it captures its connections: the restart resyncs of that
      // venue point there, so their end events name the capture.
      if (n.incident?.cause === 'process-restart' && n.venue !== null) {
        for (const r of m.restartResyncs.values()) if (r.venue === n.venue && r.incident === undefined) r.incident = n.incident;
      }
    });
    peer.on('stats.frame', (f) => {
      this.absorbSymbols(m, f.symbols, f.venues);
      m.nbbo = f.nbbo;
      this.statsDirty = true;
    });
    peer.on('book.frame', (f) => this.routeBooks(f));
    // A process may report its own process events (e.g. a publisher socket error).
    peer.on('process.event', (e) => {
      push(this.processEvents, e);
      this.broadcast('process.event', e);
    });
  }

  private async refresh(m: Managed): Promise<void> {
    const peer = m.peer;
    if (!peer) return;
    try {
      const st = await peer.call('status.get', {});
      if (m.peer !== peer) return;
      // status.get is the whole table: rows the process does not have (placeholders, books it
      // dropped) go, except books still waiting for their restart resync to end.
      const reported = new Set(st.symbols.map((s) => key(s.venue, s.symbol)));
      for (const k of m.symbols.keys()) if (!reported.has(k) && !m.restartResyncs.has(k)) m.symbols.delete(k);
      this.absorbSymbols(m, st.symbols, st.venues);
      m.publisher = st.publisher;
    } catch (e) {
      this.log('warn', `status.get failed: ${(e as Error).message}`, m.spec.name);
    }
  }

  private absorbSymbols(m: Managed, symbols: SymbolStatus[], venues: VenueStatus[]): void {
    m.lastStatsMs = this.now();
    for (const s of symbols) {
      if (!m.owns(s.venue)) continue;
      m.symbols.set(key(s.venue, s.symbol), { ...s, process: m.spec.name });
      m.reportedMs.set(key(s.venue, s.symbol), m.lastStatsMs);
      if (s.state === 'live') this.closeRestartResync(m, s.venue, s.symbol);
    }
    for (const v of venues) if (m.owns(v.venue)) m.venues.set(v.venue, v);
  }

  /** Placeholder rows so that a process's books are visible before it reports (and if it never does). */
  private seedSymbols(m: Managed): void {
    const now = this.now();
    for (const v of m.spec.venues) {
      if (v.symbols === 'all') continue;
      for (const sym of v.symbols) {
        const d = this.opts.describeSymbol?.(v.venue, sym) ?? { venueSymbol: sym, normalized: sym, base: '', quote: '', kind: '' };
        m.symbols.set(key(v.venue, d.venueSymbol), placeholderSymbol(v.venue, d.venueSymbol, d, m.spec.name, now));
      }
    }
  }

  /**
   * Every book of a process that went away stops being live at once, with a transition and a
   * resync event the console shows; the resync ends when the new process has the book live.
   */
  private markBooksDown(m: Managed, to: SyncState, cause: string, detail: string): void {
    const now = this.now();
    for (const s of m.symbols.values()) {
      const k = key(s.venue, s.symbol);
      const pending = m.restartResyncs.get(k);
      if (pending) {
        const ended: ResyncEvent = { ...pending, endedMs: now, durationMs: now - pending.startedMs, outcome: to === 'halted' ? 'failed' : 'superseded' };
        m.restartResyncs.delete(k);
        push(this.resyncs, ended);
        this.broadcast('feed.resync', ended);
      }
      if (s.state !== to) {
        const t: TransitionEvent = { venue: s.venue, symbol: s.symbol, from: s.state, to, cause, detail, tsMs: now };
        push(this.transitions, t);
        this.broadcast('feed.transition', t);
      }
      s.state = to;
      s.stateSinceMs = now;
      s.stateCause = cause;
      if (to === 'resyncing') {
        const r: ResyncEvent = {
          id: `${m.spec.name}#${m.restarts + 1}:${s.venue}:${s.symbol}`,
          venue: s.venue,
          symbol: s.symbol,
          cause: 'process-restart',
          detail,
          startedMs: now,
          endedMs: null,
          durationMs: null,
          outcome: 'pending',
        };
        m.restartResyncs.set(k, r);
        push(this.resyncs, r);
        this.broadcast('feed.resync', r);
      }
    }
    for (const v of m.venues.values()) {
      v.connectionsOpen = 0;
      v.liveSymbols = 0;
    }
    this.statsDirty = true;
  }

  private closeRestartResync(m: Managed, venue: VenueId, symbol: string): void {
    const k = key(venue, symbol);
    const r = m.restartResyncs.get(k);
    if (!r) return;
    m.restartResyncs.delete(k);
    const now = this.now();
    const ended: ResyncEvent = { ...r, endedMs: now, durationMs: now - r.startedMs, outcome: 'live' };
    push(this.resyncs, ended);
    this.broadcast('feed.resync', ended);
  }

  private deadVenue(venue: VenueId, known: VenueStatus | undefined, symbols: number, live: number, stale: number): VenueStatus {
    return {
      ...(known ?? {
        venue,
        label: venue,
        connections: 0,
        messagesPerSec: 0,
        bytesPerSec: 0,
        latencyP50Us: null,
        latencyP99Us: null,
        clockOffsetMs: null,
        reconnects: 0,
        gaps: 0,
        resyncs: 0,
        checksumOk: 0,
        checksumFailed: 0,
        rest: null,
      }),
      connectionsOpen: 0,
      messagesPerSec: 0,
      bytesPerSec: 0,
      symbols,
      liveSymbols: live,
      staleSymbols: stale,
    };
  }

  // ---- console views ------------------------------------------------------------------------

  private owner(venue: string): Managed {
    const m = this.procs.find((p) => p.owns(venue));
    if (!m) throw new RpcError('unknown-venue', `venue "${venue}" is not configured (configured: ${this.procs.flatMap((p) => p.spec.venues.map((v) => v.venue)).join(', ')})`);
    return m;
  }

  private peerOf(m: Managed): Peer {
    if (m.state !== 'running' || !m.peer) {
      throw new RpcError('not-available', `${m.spec.name} (${m.spec.venues.map((v) => v.venue).join(', ')}) is ${m.state}${m.lastExit ? ` (last exit: ${m.lastExit})` : ''}`);
    }
    return m.peer;
  }

  private handlersFor(client: SupervisorClient): Handlers {
    return {
      'status.get': () => this.status(),
      'venues.list': async () => (await this.status()).venues,
      'symbols.list': async (p) => {
        const st = await this.status();
        if (p.venue !== undefined) this.owner(p.venue);
        return p.venue === undefined ? st.symbols : st.symbols.filter((s) => s.venue === p.venue);
      },
      'book.get': (p) => {
        if (!Number.isInteger(p.depth) || p.depth < 1) throw new RpcError('bad-request', `depth must be a positive integer (got ${String(p.depth)})`);
        return this.peerOf(this.owner(p.venue)).call('book.get', p);
      },
      'nbbo.get': async (p) => {
        const parts = await Promise.all(this.procs.filter((m) => m.state === 'running' && m.peer).map((m) => m.peer!.call('nbbo.get', p).catch(() => m.nbbo)));
        return mergeNbbo(parts);
      },
      resync: async (p) => {
        if (p.scope === 'all') {
          const answers = await Promise.all(this.procs.filter((m) => m.state === 'running' && m.peer).map((m) => m.peer!.call('resync', p)));
          return { accepted: answers.reduce((n, a) => n + a.accepted, 0) };
        }
        return this.peerOf(this.owner(p.venue)).call('resync', p);
      },
      'subscriptions.set': (p) => this.peerOf(this.owner(p.venue)).call('subscriptions.set', p),
      'config.get': () => {
        if (!this.opts.config) throw new RpcError('not-available', 'no configuration was given to this host');
        return this.opts.config();
      },
      'events.recent': (p) => this.recentEvents(p.limit ?? 100),
      'diagnostics.export': (p) => {
        if (!this.opts.diagnostics) throw new RpcError('not-available', 'diagnostics export is not part of this build yet');
        return this.opts.diagnostics(p);
      },
      'view.subscribe': (p) => {
        const books = new Set<string>();
        for (const b of p.books) {
          this.owner(b.venue);
          books.add(key(b.venue, b.symbol));
        }
        const depth = Math.max(1, Math.min(1000, Math.floor(p.depth)));
        if (books.size === 0) this.views.delete(client);
        else this.views.set(client, { client, books, depth });
        this.pushSubscriptions();
        return { books: books.size };
      },
      'process.ping': (p) => ({ seq: p.seq, pid: process.pid, uptimeMs: this.now() - this.startedMs, rssBytes: process.memoryUsage().rss, heapUsedBytes: process.memoryUsage().heapUsed }),
      'processes.restart': (p) => this.restart(p.name),
    };
  }

  /** Send each process the union of the views' subscriptions for its venues (only when it changed). */
  private pushSubscriptions(): void {
    for (const m of this.procs) {
      if (m.state !== 'running' || !m.peer) continue;
      const books: { venue: VenueId; symbol: string }[] = [];
      const seen = new Set<string>();
      let depth = 0;
      for (const v of this.views.values()) {
        for (const k of v.books) {
          const [venue, symbol] = k.split('\u0000') as [VenueId, string];
          if (!m.owns(venue) || seen.has(k)) continue;
          seen.add(k);
          books.push({ venue, symbol });
          depth = Math.max(depth, v.depth);
        }
      }
      books.sort((a, b) => a.venue.localeCompare(b.venue) || a.symbol.localeCompare(b.symbol));
      const sig = JSON.stringify([books, depth]);
      if (sig === m.sentSubscription) continue;
      m.sentSubscription = sig;
      m.peer.call('view.subscribe', { books, depth: Math.max(1, depth) }).catch((e: Error) => {
        m.sentSubscription = '';
        this.log('warn', `view.subscribe failed: ${e.message}`, m.spec.name);
      });
    }
  }

  private routeBooks(f: BookFrame): void {
    for (const v of this.views.values()) {
      const books: BookView[] = [];
      for (const b of f.books) {
        if (!v.books.has(key(b.venue, b.symbol))) continue;
        books.push(b.bids.length > v.depth || b.asks.length > v.depth ? { ...b, bids: b.bids.slice(0, v.depth), asks: b.asks.slice(0, v.depth) } : b);
      }
      const trades = f.trades.filter((t) => v.books.has(key(t.venue, t.symbol)));
      if (books.length > 0 || trades.length > 0) this.safeEmit(v.client, 'book.frame', { books, trades });
    }
  }

  /**
   * One stats frame per interval when something changed. A view that got the previous frame gets
   * only the rows that changed since (`rows: 'changed'`): a row whose only change is its update
   * age growing by the time between the frames is left out, and the view ages it itself. Views
   * that missed the previous frame (new, or a skipped frame) and listeners get the whole table.
   */
  private flushStats(): void {
    if (!this.statsDirty || this.clients.size + this.listeners.size === 0) return;
    this.statsDirty = false;
    const st = this.cachedStatus();
    const nbbo = mergeNbbo(this.procs.filter((m) => m.state === 'running').map((m) => m.nbbo));
    const dt = st.nowMs - this.sentStatsMs;
    const rows = new Map<string, SymbolStatus>();
    const changed: SymbolStatus[] = [];
    let kept = 0;
    for (const s of st.symbols) {
      const k = key(s.venue, s.symbol);
      rows.set(k, s);
      const before = this.sentRows.get(k);
      if (before === undefined) changed.push(s);
      else {
        kept++;
        if (!sameButAged(before, s, dt)) changed.push(s);
      }
    }
    // A row that went away can only be said by a full frame.
    const gone = kept < this.sentRows.size;
    this.sentRows = rows;
    this.sentStatsMs = st.nowMs;
    const full: StatsFrame = { symbols: st.symbols, venues: st.venues, nbbo, tsMs: st.nowMs, rows: 'full' };
    const delta: StatsFrame | null = gone ? null : { symbols: changed, venues: st.venues, nbbo, tsMs: st.nowMs, rows: 'changed' };
    for (const c of this.clients) {
      if (this.safeEmit(c, 'stats.frame', delta !== null && this.statsInSync.has(c) ? delta : full)) this.statsInSync.add(c);
      else this.statsInSync.delete(c);
    }
    for (const l of this.listeners) this.safeEmit(l, 'stats.frame', full);
  }

  // ---- events and logs ----------------------------------------------------------------------

  private processEvent(m: Managed, kind: ProcessEvent['kind'], detail: string): void {
    const e: ProcessEvent = { name: m.spec.name, kind, detail, tsMs: this.now() };
    push(this.processEvents, e);
    this.log(kind === 'started' || kind === 'stopped' ? 'info' : 'warn', `${kind}: ${detail}`, m.spec.name);
    this.broadcast('process.event', e);
    this.statsDirty = true;
  }

  private notice(level: NoticeEvent['level'], message: string): void {
    const n: NoticeEvent = { level, venue: null, symbol: null, message, tsMs: this.now() };
    push(this.notices, n);
    this.broadcast('feed.notice', n);
  }

  private broadcast<T extends EngineTopic>(topic: T, data: EngineEvents[T]): void {
    for (const c of this.clients) this.safeEmit(c, topic, data);
    for (const l of this.listeners) this.safeEmit(l, topic, data);
  }

  /** False when the client did not take the event (it said so, or threw). */
  private safeEmit<T extends EngineTopic>(c: SupervisorClient, topic: T, data: EngineEvents[T]): boolean {
    try {
      return c.emit(topic, data) !== false;
    } catch (e) {
      // A throwing client never breaks the others (house style).
      this.log('error', `a client's ${topic} listener threw: ${(e as Error).message}`);
      return false;
    }
  }

  private log(level: LogEntry['level'], msg: string, proc?: string): void {
    const e: LogEntry = proc === undefined ? { level, msg } : { level, msg, process: proc };
    if (this.opts.log) this.opts.log(e);
    else process.stderr.write(`${JSON.stringify({ ts: new Date(this.now()).toISOString(), role: 'supervisor', ...e })}\n`);
  }
}

/** Plain JSON data equal (objects by their own keys, arrays by element). */
function sameData(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (!sameData((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  return true;
}

/** `now` is `before` with nothing changed but its update age, grown by exactly `dt`. */
function sameButAged(before: SymbolStatus, now: SymbolStatus, dt: number): boolean {
  if (before.updateAgeMs === null ? now.updateAgeMs !== null : now.updateAgeMs !== before.updateAgeMs + dt) return false;
  for (const k of Object.keys(now) as (keyof SymbolStatus)[]) if (k !== 'updateAgeMs' && !sameData(before[k], now[k])) return false;
  return Object.keys(before).length === Object.keys(now).length;
}

function placeholderSymbol(venue: VenueId, symbol: string, d: ReturnType<SymbolDescriber>, proc: string, now: number): SymbolStatus {
  return {
    venue,
    symbol,
    normalized: d.normalized,
    base: d.base,
    quote: d.quote,
    kind: d.kind,
    state: 'connecting',
    stateSinceMs: now,
    stateCause: 'process-starting',
    seq: -1,
    sequenceLag: 0,
    updateAgeMs: null,
    latencyP50Us: null,
    latencyP99Us: null,
    bestBid: null,
    bestBidSize: null,
    bestAsk: null,
    bestAskSize: null,
    spread: null,
    levels: 0,
    trustBand: { mode: 'full', bidFloor: null, askCeiling: null },
    counters: emptyCountersView(),
    process: proc,
  };
}

function mergePublishers(list: PublisherView[]): PublisherView | null {
  if (list.length === 0) return null;
  return {
    enabled: list.some((p) => p.enabled),
    groups: list.flatMap((p) => p.groups),
    packetsPerSec: list.reduce((n, p) => n + p.packetsPerSec, 0),
    bytesPerSec: list.reduce((n, p) => n + p.bytesPerSec, 0),
    instruments: list.reduce((n, p) => n + p.instruments, 0),
  };
}
