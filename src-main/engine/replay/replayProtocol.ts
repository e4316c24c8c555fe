/**
 * The venue-specific part of a local replay server (`venueServer.ts`): how a venue's clients
 * subscribe, which recorded frames belong to which symbol, and how the venue hands out snapshots.
 * Everything else (timing, backpressure, fault injection, reference books, HTTP and WebSocket
 * plumbing) is generic. docs/ADDING_A_VENUE.md explains how to write one; binanceReplay.ts is the
 * reference implementation.
 *
 * A protocol is pure: no sockets, no timers, no state across calls. Frames it returns are sent
 * as they are; recorded frames are replayed byte for byte, except the per-connection counter of
 * venues that have one (`sequenceFrame`: the server keeps the count, the protocol writes it).
 */
import type { VenueId } from '../../../src-shared/model/market.ts';
import type { SymbolBook } from '../sync/symbolBook.ts';

/**
 * A stream a client can subscribe to: the venue symbol (as the engine's books name it, e.g.
 * "BTCUSDT") and a channel family ("depth", "trade", "bookTicker"...). Families are coarse on
 * purpose: a client asking for a sibling of what was recorded (depth@100ms vs depth@0ms, trade vs
 * aggTrade) gets what the recording holds.
 */
export interface ReplayTopic {
  symbol: string;
  channel: string;
}

/** What the server does with a text frame a client sent. */
export interface ClientFrameResult {
  subscribe?: ReplayTopic[];
  unsubscribe?: ReplayTopic[];
  /** Frames sent back at once, in order (acks, errors, application pongs). */
  replies?: string[];
  /** Close the client (the venue would disconnect it for this frame). */
  close?: { code: number; reason: string };
  /**
   * Frames sent after the fresh snapshots of `subscribe` (Coinbase Advanced Trade acknowledges a
   * subscription on its `subscriptions` channel after the channel's snapshot events).
   */
  after?: string[];
}

/** An HTTP answer the protocol fully decides (bad parameters, refusals). */
export interface RestAnswer {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

/** A snapshot request the server answers from the reference book of `symbol`. */
export interface SnapshotAsk {
  symbol: string;
  /** Levels per side. */
  limit: number;
  /** Request weight the venue charges (counted in the used-weight header). */
  weight: number;
}

/** REST snapshot endpoint (venues whose first book comes from REST: Binance, Gate, KuCoin...). */
export interface ReplayRest {
  /** A snapshot ask, an immediate answer (bad parameters), or undefined for "no such route" (404). */
  route(url: URL): SnapshotAsk | RestAnswer | undefined;
  /** The snapshot body for `ref` (a live reference book) at `limit` levels per side. */
  snapshotBody(ref: SymbolBook, limit: number): string;
  /** Answer for a symbol the recording does not hold. */
  unknownSymbol(symbol: string): RestAnswer;
  /** Body of a 429 / 418 refusal as the venue words it. */
  refusalBody(status: number, retryAfterSec: number): string;
  /** Response header carrying the weight used in the current window, if the venue sends one. */
  usedWeightHeader?: string;
  /** Window of that weight count (ms). */
  weightWindowMs?: number;
}

export interface ReplayProtocol {
  readonly venue: VenueId;
  /** Symbol and channel of a recorded venue->client frame; undefined = not replayed (e.g. recorded acks). */
  topicOf(raw: string): ReplayTopic | undefined;
  /** True for channels that carry the order book (what a replay plan subscribes the engine to). */
  isBookChannel(channel: string): boolean;
  /** A client opens `url`: the topics the URL itself subscribes (may be none), or a refusal. */
  connect(url: URL): { topics: ReplayTopic[] } | { refuse: { status: number; message: string } };
  /**
   * A text frame from a client; `current` are its subscriptions, `client` the server-assigned
   * client id (1-based, in connection order; the server always passes it) for venues that name
   * the connection in their answers (Bybit's `conn_id`).
   */
  clientFrame(raw: string, current: readonly ReplayTopic[], client?: number): ClientFrameResult;
  /** Frames per second a client may send before the venue disconnects it (Binance 5 / 10). */
  clientFramesPerSecond?: number;
  /** REST-snapshot venues. */
  rest?: ReplayRest;
  /**
   * In-band-snapshot venues: the frames that give a client who (re)subscribes to `topic`
   * mid-stream a fresh snapshot of `ref` (a live reference book, in the state after the last
   * recorded frame sent). Sequence fields must continue the recording's chain so that the next
   * recorded diff applies on top of it. Return [] when the channel carries no book. `last` is
   * the last recorded frame of `topic` the cursor passed (the message that put `ref` in its
   * state; the server always passes it): venues whose snapshot repeats that message's ids and times (Bybit `u`/`seq`/`cts`)
   * or number format take them from there.
   */
  snapshotFrames?(topic: ReplayTopic, ref: SymbolBook, last?: string): string[];
  /**
   * Venues whose envelope carries one counter per connection (Coinbase Advanced Trade
   * `sequence_num`): the server numbers every frame it sends to a client 0, 1, 2... in sending
   * order, before fault injection (a dropped frame leaves a hole, as a loss on the wire would),
   * and this writes number `n` into `raw`. Undefined = the frame carries no number (an error);
   * it does not use one.
   */
  sequenceFrame?(raw: string, n: number): string | undefined;
  /**
   * The venue's public instrument-list endpoint (configuration `"symbols": "all"`), answered in
   * the venue's documented shape from `symbols`: the recording's book symbols, nothing else (a
   * transformation of the recording; no prices are involved). Undefined = not this route.
   */
  instruments?(req: InstrumentListRequest, symbols: readonly string[]): RestAnswer | undefined;
}

/** An HTTP request to a replay server, as `ReplayProtocol.instruments` sees it. */
export interface InstrumentListRequest {
  url: URL;
  method: string;
  /** Request body (POST endpoints such as Hyperliquid's `/info`); "" for GET. */
  body: string;
}

export function topicKey(t: ReplayTopic): string {
  return `${t.symbol}|${t.channel}`;
}
