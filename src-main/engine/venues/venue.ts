/**
 * The contract every venue folder implements (docs/ADDING_A_VENUE.md).
 *
 * A venue is a description (`VenueSpec`: endpoints, limits, how to shard symbols over
 * connections, how to name instruments) plus a `VenueSession` per WebSocket connection that turns
 * raw frames into book operations on `SymbolBook`s. The same session code runs live, against the
 * local replay servers, and inside `depthdesk verify` over recordings: only the `SessionContext`
 * differs.
 */
import type { AnomalyKind, Instrument, Trade, VenueId } from '../../../src-shared/model/market.ts';
import type { SymbolBook } from '../sync/symbolBook.ts';
import type { SymbolListResult } from './instrumentListing.ts';

/** What a venue says about its REST snapshot endpoint and limits. */
export interface RestSpec {
  /** Base URL of the REST API ("https://api.binance.com"). */
  baseUrl: string;
  /** Path + query of the depth snapshot for a venue symbol. */
  snapshotPath(venueSymbol: string): string;
  /** Depth the snapshot asks for (levels per side), for the trust band. */
  snapshotDepth: number;
  /** Weight one snapshot request costs. */
  snapshotWeight: number;
  /** Weight budget per window (venue's documented IP limit). */
  weightPerWindow: number;
  windowMs: number;
  /** Header carrying the weight the venue has counted, if any ("x-mbx-used-weight-1m"). */
  usedWeightHeader?: string;
}

export interface VenueLimits {
  /** Streams/topics/symbols per connection (Binance 1024 streams, Kucoin 100 ...). */
  symbolsPerConnection: number;
  /** Control messages (subscribe/ping) per second per connection. */
  controlMessagesPerSecond: number;
  /** Hard connection lifetime, rotate before it (Binance 24 h). 0 = none. */
  connectionLifetimeMs: number;
  /** No book message nor heartbeat for this long => stale. */
  staleAfterMs: number;
  /**
   * Connection attempts allowed per window and IP, when the venue documents one (Binance 300 per
   * 5 min, OKX 3 per s): every connection of the venue waits on one gate, so a mass reconnect
   * never trips the venue's ban.
   */
  connectAttempts?: { count: number; windowMs: number };
  /**
   * Send a WebSocket ping frame this often while the socket is open, for venues that close a
   * client which sent nothing for a while and accept protocol pings as its request (Kraken
   * Futures: "a ping request at least every 60 seconds"). Absent = the connection pings only as a
   * stale probe. Application-level keepalives (text "ping", JSON pings) are the session's
   * `keepalive` instead.
   */
  pingIntervalMs?: number;
}

export interface ConnectionPlan {
  /** Stable id within the venue ("binance-spot#0"). */
  id: string;
  url: string;
  venueSymbols: string[];
  /**
   * Keepalive interval the venue handed out for this socket (KuCoin's bullet-public
   * `pingInterval`): set on the plan a session is created with when `resolveConnection` gave one.
   */
  pingIntervalMs?: number;
}

/**
 * Where one connection attempt goes, decided right before it (`VenueSpec.resolveConnection`).
 * A failure is expected (the venue refused, the network is down): the connection reports it and
 * retries with its backoff.
 */
export type ResolvedConnection = { ok: true; url: string; pingIntervalMs?: number } | { ok: false; message: string };

/** What a resolver gets for one attempt. */
export interface ResolveContext {
  /** REST origin to ask: the venue's, or the override the engine runs with (a local replay server). */
  restBase: string;
  /** Attempts of this connection so far (0 for the first), for ids the venue wants unique per socket. */
  attempt: number;
  /** Aborted when the connection stops or the attempt times out: the resolver must give up then. */
  signal: AbortSignal;
}

export interface VenueSpec {
  id: VenueId;
  label: string;
  /** Exchange documentation this implementation follows. */
  docs: string[];
  /** How the first book arrives. */
  snapshot: 'rest' | 'in-band' | 'every-message';
  wsUrl: string;
  rest?: RestSpec;
  limits: VenueLimits;
  /** Depth cap for windowed feeds (levels per side), 0 when the feed covers the whole book. */
  depthCap: number;
  /** Names the instrument behind a venue symbol (normalized symbol, base/quote, kind). */
  instrument(venueSymbol: string): Instrument;
  /** Shard symbols over connections honouring per-connection limits. */
  plan(venueSymbols: string[], wsUrl?: string): ConnectionPlan[];
  /** Create the protocol session for one connection. */
  createSession(ctx: SessionContext, plan: ConnectionPlan): VenueSession;
  /**
   * The URL of the next connection attempt, when it is not fixed: KuCoin hands out a token
   * (bullet-public) that must be fetched before every connect. Called before each (re)connect;
   * absent = `plan.url` every time.
   */
  resolveConnection?(plan: ConnectionPlan, ctx: ResolveContext): Promise<ResolvedConnection>;
  /** True when a recorded WebSocket or REST URL belongs to this venue (used by `verify`). */
  recognizes?(url: string): boolean;
  /** Venue symbol a recorded REST snapshot URL asks for. */
  snapshotSymbol?(url: string): string | undefined;
  /**
   * Every symbol the venue currently lists for this market, from its public instruments endpoint
   * (configuration `"symbols": "all"`). A venue without it cannot follow "all" yet; the hosts say so.
   */
  listSymbols?(restBaseUrl?: string): Promise<SymbolListResult>;
}

export interface VenueSession {
  /** Frames to send right after the socket opens (subscriptions). */
  onOpen(): void;
  /** A text frame from the venue. */
  onMessage(raw: string, recvTsNs: bigint): void;
  /** A REST snapshot response for one symbol (REST-snapshot venues). */
  onSnapshot?(venueSymbol: string, body: string, recvTsNs: bigint): void;
  /**
   * Start a resync of one symbol after its book was invalidated (anomaly, manual request, or
   * process restart): REST venues re-buffer and ask for a snapshot, in-band venues unsubscribe and
   * subscribe again for a fresh snapshot. Other symbols on the connection are not touched.
   */
  resync(venueSymbol: string, cause: AnomalyKind): void;
  /** Application-level keepalive frame, sent every `intervalMs` when the venue wants one. */
  keepalive?: { intervalMs: number; frame(): string };
  /** Called when the socket closed; every book on it is no longer live. */
  onClose?(): void;
}

/** What a session may do. Implemented by the live feed and by the verifier. */
export interface SessionContext {
  /** Send a text frame on this connection. */
  send(frame: string): void;
  /** The book of a venue symbol on this connection, or undefined if not subscribed here. */
  book(venueSymbol: string): SymbolBook | undefined;
  /** All books on this connection. */
  books(): Iterable<SymbolBook>;
  /** Ask for a REST snapshot of one symbol through the venue's REST budget. */
  requestSnapshot(venueSymbol: string, priority: SnapshotPriority): void;
  /** A normalized trade. */
  trade(t: Trade): void;
  /** A cross-check against an independent venue signal (Binance bookTicker). */
  crossCheck(sb: SymbolBook, ok: boolean, detail: string): void;
  /** Something about the connection itself (subscription error, venue notice). */
  notice(level: 'info' | 'warn' | 'error', message: string, venueSymbol?: string): void;
  /** Report that every book on the connection must resync (connection-wide sequence gap). */
  connectionAnomaly(kind: AnomalyKind, detail: string): void;
  /**
   * Replace this socket now (Binance `serverShutdown`: the venue is about to cut it): the socket
   * closes, a new one opens without backoff, and every book on it resyncs as after any reconnect.
   * Absent where the socket is not the context's to replace (`verify` replays a recording, whose
   * own disconnect and connect records say what happened next).
   */
  reconnect?(reason: string): void;
}

/** Gap resyncs are served before cold starts (issue: "serves gap resyncs before cold starts"). */
export type SnapshotPriority = 'gap' | 'manual' | 'cold';

/**
 * Priority of the snapshot a resync for `cause` needs: an operator's request is 'manual'; a book
 * found wrong or lost (gap, checksum, crossed, invalid level, reconnect, restarted process...)
 * is repaired first, as 'gap'. Sessions ask with it and the engine applies the same rule to
 * every request of a book that is resyncing (engineService.snapshotPriority).
 */
export function resyncPriority(cause: AnomalyKind): SnapshotPriority {
  return cause === 'manual' ? 'manual' : 'gap';
}

/** Nanoseconds to milliseconds as a number. */
export function nsToMs(ns: bigint): number {
  return Number(ns / 1_000_000n);
}

/** Split symbols into groups of at most n. */
export function chunk<T>(items: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += n) out.push(items.slice(i, i + n));
  return out;
}
