/**
 * The engine's control and data contract, used by both ends of every boundary: feed processes
 * <-> supervisor, supervisor <-> headless host bridge <-> renderer, and the HTTP API. Defined once
 * here; never hand-copied on the other side.
 *
 * Control traffic: typed request/response (`EngineMethods`) + events (`EngineEvents`).
 * Market data: compact batched frames (`BookFrame`, `StatsFrame`) sent only for what a view
 * subscribed to (subscribe on first listener, unsubscribe on last).
 *
 * Numbers that must stay exact (prices, sizes) travel as decimal strings; counters and
 * timestamps as numbers (ms since the epoch unless the name says otherwise).
 */
import type { AnomalyKind, SyncState, VenueId } from '../model/market.ts';

/** Bumped on any incompatible change; additive changes (new optional fields, new tags) keep it. */
export const PROTOCOL_VERSION = 1;

export type Role = 'feed' | 'publisher' | 'supervisor' | 'host' | 'renderer' | 'cli' | 'test';

export interface Hello {
  protocolVersion: number;
  build: string;
  role: Role;
  /** Process identity ("feed-0", "host"), for logs. */
  name: string;
  pid?: number;
}

export interface LevelText {
  price: string;
  size: string;
}

export interface TrustBandText {
  mode: 'full' | 'snapshot' | 'window';
  /** Lowest bid known complete; null = the whole bid side is known. */
  bidFloor: string | null;
  askCeiling: string | null;
}

export interface SymbolCountersView {
  /** Book messages seen for this symbol (diffs and snapshots). */
  messages: number;
  /** Book messages applied to the book. */
  applied: number;
  /** Individual level updates applied (inserts, changes, deletes). */
  levelUpdates: number;
  snapshots: number;
  gaps: number;
  duplicates: number;
  regress: number;
  resyncs: number;
  checksumOk: number;
  checksumFailed: number;
  checksumNotProvided: number;
  crossCheckOk: number;
  crossCheckFailed: number;
  crossed: number;
  invalid: number;
  stale: number;
  trades: number;
}

/** Every counter at 0. */
export function emptyCountersView(): SymbolCountersView {
  return {
    messages: 0,
    applied: 0,
    levelUpdates: 0,
    snapshots: 0,
    gaps: 0,
    duplicates: 0,
    regress: 0,
    resyncs: 0,
    checksumOk: 0,
    checksumFailed: 0,
    checksumNotProvided: 0,
    crossCheckOk: 0,
    crossCheckFailed: 0,
    crossed: 0,
    invalid: 0,
    stale: 0,
    trades: 0,
  };
}

/** One row of the symbols table / `/api/status`. */
export interface SymbolStatus {
  venue: VenueId;
  /** The venue's own symbol. */
  symbol: string;
  /** Normalized symbol (docs/NORMALIZATION.md). */
  normalized: string;
  base: string;
  quote: string;
  kind: string;
  state: SyncState;
  stateSinceMs: number;
  /** Cause of the last transition. */
  stateCause: string;
  /** Last applied venue sequence id (-1 if none). */
  seq: number;
  /** Updates received but not yet applied. */
  sequenceLag: number;
  /** ms since the last book message (null before the first). */
  updateAgeMs: number | null;
  /** Exchange-to-receive latency, microseconds (null when the venue sends no exchange time). */
  latencyP50Us: number | null;
  latencyP99Us: number | null;
  bestBid: string | null;
  bestBidSize: string | null;
  bestAsk: string | null;
  bestAskSize: string | null;
  spread: string | null;
  levels: number;
  trustBand: TrustBandText;
  counters: SymbolCountersView;
  /** Feed process that owns this book. */
  process: string;
}

export interface RestBudgetView {
  used: number;
  limit: number;
  windowMs: number;
  queued: number;
  /** Set while the venue has banned or throttled us (429/418 + Retry-After). */
  blockedUntilMs: number | null;
  lastStatus: number | null;
}

export interface PublisherView {
  enabled: boolean;
  groups: { channel: string; group: string; port: number; kind: 'incremental' | 'snapshot' }[];
  packetsPerSec: number;
  bytesPerSec: number;
  instruments: number;
}

/** One venue tile. */
export interface VenueStatus {
  venue: VenueId;
  label: string;
  connections: number;
  connectionsOpen: number;
  messagesPerSec: number;
  bytesPerSec: number;
  latencyP50Us: number | null;
  latencyP99Us: number | null;
  /** Median (receive - exchange) time over recent messages, ms: a clock-offset estimate. */
  clockOffsetMs: number | null;
  reconnects: number;
  gaps: number;
  resyncs: number;
  checksumOk: number;
  checksumFailed: number;
  symbols: number;
  liveSymbols: number;
  staleSymbols: number;
  rest: RestBudgetView | null;
}

export interface ProcessStatus {
  name: string;
  role: Role;
  pid: number | null;
  state: 'starting' | 'running' | 'restarting' | 'crash-loop' | 'stopped';
  restarts: number;
  lastExit: string | null;
  venues: VenueId[];
  uptimeMs: number;
}

/** A process's answer to `process.ping`. */
export interface ProcessPing {
  seq: number;
  pid: number;
  uptimeMs: number;
  rssBytes: number;
  heapUsedBytes: number;
}

export interface EngineStatus {
  build: string;
  startedMs: number;
  nowMs: number;
  mode: 'live' | 'replay';
  venues: VenueStatus[];
  symbols: SymbolStatus[];
  processes: ProcessStatus[];
  publisher: PublisherView | null;
}

export interface BookView {
  venue: VenueId;
  symbol: string;
  normalized: string;
  state: SyncState;
  seq: number;
  tsMs: number;
  bids: LevelText[];
  asks: LevelText[];
  trustBand: TrustBandText;
  spread: string | null;
  mid: string | null;
}

export interface TradeView {
  venue: VenueId;
  symbol: string;
  tradeId: string;
  takerSide: 'buy' | 'sell' | 'unknown';
  price: string;
  size: string;
  exchTsMs: number;
  recvTsMs: number;
}

/** Cross-venue best bid/offer for one normalized instrument and quote group. */
export interface NbboView {
  /** Normalized instrument ("BTC-USDT") or a grouped key ("BTC-USD*" when quotes are grouped). */
  instrument: string;
  bid: { venue: VenueId; price: string; size: string } | null;
  ask: { venue: VenueId; price: string; size: string } | null;
  /** best bid > best ask across venues / equal. */
  crossed: boolean;
  locked: boolean;
  venues: { venue: VenueId; symbol: string; included: boolean; reason: string | null; bid: string | null; ask: string | null }[];
  tsMs: number;
}

export type ResyncScope = { scope: 'symbol'; venue: VenueId; symbol: string } | { scope: 'venue'; venue: VenueId } | { scope: 'all' };

/** A state transition of one book. */
export interface TransitionEvent {
  venue: VenueId;
  symbol: string;
  from: SyncState;
  to: SyncState;
  cause: string;
  detail: string | null;
  tsMs: number;
}

/**
 * Where the incident capture of an event is: the raw frames of the affected connection from a
 * while before the event to a while after it, written beside the event record once the "after"
 * window has passed (`readyMs`). `npx depthdesk verify <path>` replays it.
 */
export interface IncidentRef {
  id: string;
  /** Folder of the capture on the machine that runs the engine (frames.ndjson.gz + event.json). */
  path: string;
  /** Epoch ms after which the folder is complete. */
  readyMs: number;
  /** What triggered the capture (an anomaly kind, "process-restart"). */
  cause?: string;
}

/** A resync from its start to its outcome (one event on start, one on end, same id). */
export interface ResyncEvent {
  id: string;
  venue: VenueId;
  symbol: string;
  cause: AnomalyKind;
  detail: string;
  startedMs: number;
  endedMs: number | null;
  durationMs: number | null;
  outcome: 'pending' | 'live' | 'failed' | 'superseded';
  /** The incident capture of this resync's cause (absent when captures are off). */
  incident?: IncidentRef;
}

export interface ProcessEvent {
  name: string;
  kind: 'started' | 'exited' | 'restarting' | 'unresponsive' | 'crash-loop' | 'stopped';
  detail: string;
  tsMs: number;
}

export interface NoticeEvent {
  level: 'info' | 'warn' | 'error';
  venue: VenueId | null;
  symbol: string | null;
  message: string;
  tsMs: number;
  /** The incident capture this notice is about (stale connections, process restarts). */
  incident?: IncidentRef;
}

/** Batched top-N books for subscribed (venue, symbol)s. */
export interface BookFrame {
  books: BookView[];
  trades: TradeView[];
}

/** Batched per-symbol stats (the table) and venue tiles, coalesced per interval. */
export interface StatsFrame {
  symbols: SymbolStatus[];
  venues: VenueStatus[];
  nbbo: NbboView[];
  tsMs: number;
  /**
   * What `symbols` is (absent: rows to upsert by venue + symbol, as a feed process sends the books
   * that changed):
   * - 'full': the whole table; a row not in it is gone;
   * - 'changed': only the rows that differ, `updateAgeMs` aside, from the previous stats frame on
   *   this connection. Every other row is the previous frame's, its `updateAgeMs` (when not null)
   *   advanced by this frame's `tsMs` minus the previous frame's. A connection's first frame is
   *   'full' (as is any frame after one it was not sent, and after a row went away).
   */
  rows?: 'full' | 'changed';
}

export interface ConfigView {
  /** The effective configuration with secrets redacted. */
  config: Record<string, unknown>;
  source: string;
}

export interface DiagnosticsResult {
  /** Where the bundle was written, on the machine that runs the engine. */
  path: string;
  bytes: number;
  parts: string[];
  /** What was left out (bundle size limit, unreadable parts), each with its size or reason. */
  omitted: string[];
  /** Path on the headless host that serves this bundle (`GET`, token required), when there is one. */
  download?: string;
}

/** Progress of a diagnostics export (event `diagnostics.progress`), for whoever watches it. */
export interface DiagnosticsProgress {
  /** One id per export. */
  id: string;
  phase: 'running' | 'done' | 'failed';
  /** What is being added ("book okx BTC-USDT", "log feed-0.log"). */
  step: string;
  done: number;
  total: number;
  /** Bytes of the zip so far. */
  bytes: number;
  /** Set when done (the result) or failed (why). */
  result?: DiagnosticsResult;
  error?: string;
}

/** Typed error codes of control requests. */
export type EngineErrorCode =
  | 'bad-request'
  | 'unknown-venue'
  | 'unknown-symbol'
  | 'not-available'
  | 'timeout'
  | 'version-mismatch'
  | 'unauthorized'
  | 'internal';

export interface EngineError {
  code: EngineErrorCode;
  message: string;
}

/** Request/response methods: name -> [params, result]. */
export interface EngineMethods {
  'status.get': [Record<string, never>, EngineStatus];
  'venues.list': [Record<string, never>, VenueStatus[]];
  'symbols.list': [{ venue?: VenueId }, SymbolStatus[]];
  'book.get': [{ venue: VenueId; symbol: string; depth: number }, BookView];
  'nbbo.get': [{ groupQuotes?: boolean }, NbboView[]];
  resync: [ResyncScope, { accepted: number }];
  'subscriptions.set': [{ venue: VenueId; symbols: string[] }, { venue: VenueId; symbols: string[] }];
  'config.get': [Record<string, never>, ConfigView];
  'events.recent': [{ limit?: number }, { transitions: TransitionEvent[]; resyncs: ResyncEvent[]; processes: ProcessEvent[]; notices: NoticeEvent[] }];
  'diagnostics.export': [{ path?: string }, DiagnosticsResult];
  /** Views subscribe to market data frames for these books (replaces the previous set). */
  'view.subscribe': [{ books: { venue: VenueId; symbol: string }[]; depth: number }, { books: number }];
  /**
   * Heartbeat the supervisor sends to every engine process. It is answered from the process's
   * event loop, so a wedged process (busy loop, deadlock) misses it even though it has not exited.
   */
  'process.ping': [{ seq: number; sentMs: number }, ProcessPing];
  /** Restart one engine process by name (an operator's way out of a crash loop). */
  'processes.restart': [{ name: string }, { restarted: boolean; detail: string }];
}

export type EngineMethod = keyof EngineMethods;
export type ParamsOf<M extends EngineMethod> = EngineMethods[M][0];
export type ResultOf<M extends EngineMethod> = EngineMethods[M][1];

/** Events: topic -> payload. Tags are dotted lowercase, additive within a version. */
export interface EngineEvents {
  'feed.transition': TransitionEvent;
  'feed.resync': ResyncEvent;
  'feed.notice': NoticeEvent;
  'process.event': ProcessEvent;
  'stats.frame': StatsFrame;
  'book.frame': BookFrame;
  'diagnostics.progress': DiagnosticsProgress;
}

export type EngineTopic = keyof EngineEvents;

/** Wire envelope of every message on a control/data port. */
export type Envelope =
  | { t: 'hello'; hello: Hello }
  | { t: 'req'; id: number; method: string; params: unknown }
  | { t: 'res'; id: number; ok: true; result: unknown }
  | { t: 'res'; id: number; ok: false; error: EngineError }
  | { t: 'evt'; topic: string; data: unknown }
  | { t: 'bye'; reason: string };
