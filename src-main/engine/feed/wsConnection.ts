/**
 * One venue WebSocket connection: connect, keep alive, detect silence, rotate, reconnect.
 * Knows nothing about books; `LiveContext` turns its events into book operations.
 *
 * Rules followed (venues.md sections 1.1, 3, 4 and 15):
 * - Connect with exponential backoff + jitter after a failure, never faster than the venue's
 *   connect limit (`ConnectGate`, shared by every connection of the venue: Binance allows 300
 *   attempts per 5 minutes per IP and bans repeat offenders).
 * - Server pings are answered by `ws` itself (`autoPong`, on by default; Binance disconnects a
 *   client that does not pong within 1 minute). Tests check this against a pinging server.
 * - Application keepalive frames (OKX "ping", Bybit {"op":"ping"}) come from the session and go
 *   through the same throttle as every other frame we send.
 * - Frames we send are throttled to `controlMessagesPerSecond` (Binance spot: 5 incoming messages
 *   per second per connection, PING/PONG included; over it the venue disconnects). One slot per
 *   second is left for the automatic pongs we cannot schedule. A fractional rate is an hourly
 *   operation limit (OKX 480 subscribe/unsubscribe ops per hour = 0.133/s, Bitget 240/h): it is
 *   counted over a sliding hour, so bursts up to the hourly budget go out at once, and keepalive
 *   frames and probes, which are not subscription ops, are neither queued nor counted.
 * - Stale: no frame for `staleAfterMs` -> tell the owner (books flagged stale), send a WebSocket
 *   ping as a probe; no pong and no frame within `probeTimeoutMs` -> drop the socket and reconnect.
 *   A pong without data means the socket is alive and the venue is quiet: books stay flagged until
 *   their own data returns.
 * - Planned rotation before the venue's hard lifetime (Binance 24 h): close and reconnect at once.
 *   Make-before-break (a second socket that takes over after its books resync) is not done here:
 *   the books on a rotated connection resync like after any reconnect.
 * - A reconnect the owner asks for (`reconnect`: Binance announced `serverShutdown`, venues.md
 *   section 3, "reconnect immediately") is handled like a rotation: close, reconnect at once. The
 *   same reason keeps it break-before-make: the sessions write into the books the engine
 *   publishes, so a second socket would need books of its own and a hand-over of every book.
 * - Where the venue wants a client request on a quiet socket and takes protocol pings as one
 *   (Kraken Futures, "at least every 60 seconds"), WebSocket pings go out every `pingIntervalMs`,
 *   through the same throttle as the frames.
 * - Where the URL is not fixed (KuCoin: a bullet-public token for every connect), `resolve` gives
 *   the URL of each attempt; a failure is reported and retried with the same backoff as a refused
 *   handshake, and bounded by the handshake timeout.
 */
import { WebSocket } from 'ws';
import type { RawData } from 'ws';
import { backoffDelay } from './backoff.ts';
import type { BackoffPolicy, ConnectGate } from './backoff.ts';
import { monotonicMs, wallClockNs } from './wallClock.ts';
import type { VenueId } from '../../../src-shared/model/market.ts';
import type { FrameTap } from '../record/frameTap.ts';
import type { ResolvedConnection } from '../venues/venue.ts';

export type ConnectionState = 'idle' | 'connecting' | 'open' | 'backoff' | 'stopped';

/** Why a socket went away ('requested': the owner asked for a new socket, `reconnect`). */
export type CloseCause = 'remote' | 'error' | 'stale' | 'rotation' | 'requested' | 'stopped';

export interface CloseInfo {
  cause: CloseCause;
  code: number;
  reason: string;
  /** The socket had opened (books were on it); false for a failed handshake. */
  wasOpen: boolean;
}

export interface WsConnectionHandler {
  onOpen(): void;
  onMessage(text: string, recvTsNs: bigint): void;
  onClose(info: CloseInfo): void;
  /** No frame for `silentMs`: flag the books stale. */
  onStale(silentMs: number): void;
  onNotice(level: 'info' | 'warn' | 'error', message: string): void;
}

export interface WsConnectionOptions {
  /** Stable id ("binance-spot#0"), for notices. */
  id: string;
  url: string;
  controlMessagesPerSecond: number;
  staleAfterMs: number;
  /** Wait for a pong or any frame after the stale probe (default staleAfterMs / 2, at most 10 s). */
  probeTimeoutMs?: number;
  /** Rotate the socket after this long; 0 = never. */
  lifetimeMs: number;
  backoff: BackoffPolicy;
  handshakeTimeoutMs?: number;
  /**
   * The URL of each attempt, asked right before it (attempt number from 0); absent = `url`. The
   * signal aborts when the connection stops or the handshake timeout passes.
   */
  resolve?: (attempt: number, signal: AbortSignal) => Promise<ResolvedConnection>;
  /** WebSocket ping frames every this many ms while open (VenueLimits.pingIntervalMs); absent = none. */
  pingIntervalMs?: number;
  gate?: ConnectGate;
  random?: () => number;
  /** Monotonic clock in ms (timers, throttle, stale). */
  nowMs?: () => number;
  handler: WsConnectionHandler;
  /**
   * The recorder and incident rings: every frame received or sent, every connect and disconnect,
   * stamped with `wallClockNs()` (the hrtime-anchored wall clock of wallClock.ts). Absent = not
   * a single extra call per frame.
   */
  tap?: { venue: VenueId; tap: FrameTap };
}

export interface ConnectionCounters {
  messages: number;
  bytes: number;
  /** Connects after the first one (after a close or a failed attempt). */
  reconnects: number;
  connects: number;
  failedConnects: number;
  framesSent: number;
  probes: number;
  /** Periodic pings sent (`pingIntervalMs`), beside the stale probes. */
  pings: number;
  pongs: number;
  stale: number;
  rotations: number;
  /** Attempts that failed before the handshake because the URL could not be resolved. */
  resolveFailures: number;
}

/** Keepalive frame the session wants sent (VenueSession.keepalive). */
export interface Keepalive {
  intervalMs: number;
  frame(): string;
}

type TimerName = 'reconnect' | 'stale' | 'rotate' | 'flush' | 'keepalive' | 'ping' | 'resolve';

/** A WebSocket ping waiting in the send queue (it shares the throttle with text frames). */
const PING: unique symbol = Symbol('ping');

const SEND_LOG_KEPT = 256;
const MAX_QUEUED_FRAMES = 10_000;

export class WsConnection {
  readonly id: string;
  url: string;
  state: ConnectionState = 'idle';
  readonly counters: ConnectionCounters = {
    messages: 0,
    bytes: 0,
    reconnects: 0,
    connects: 0,
    failedConnects: 0,
    framesSent: 0,
    probes: 0,
    pings: 0,
    pongs: 0,
    stale: 0,
    rotations: 0,
    resolveFailures: 0,
  };
  /** Monotonic send times of recent frames and probes (throttle window; tests read it). */
  readonly sendLog: number[] = [];
  /** Monotonic times of recent connection attempts (backoff and connect-limit schedule). */
  readonly attemptLog: number[] = [];
  /** Monotonic time the current socket opened, NaN when not open. */
  openedAtMs = Number.NaN;
  /** Keepalive interval the last resolution handed out (KuCoin's bullet `pingInterval`), if any. */
  resolvedPingIntervalMs: number | undefined;
  private readonly opts: WsConnectionOptions;
  private readonly nowMs: () => number;
  private readonly random: () => number;
  /** Throttle window: 1 s for per-second limits, 1 h for hourly op limits (fractional rates), plus a margin. */
  private readonly windowMs: number;
  /** Frames allowed per window. */
  private readonly perWindow: number;
  /** The venue limit is per second (pings and keepalives count), not an hourly op budget. */
  private readonly perSecondLimit: boolean;
  private readonly probeTimeoutMs: number;
  private ws: WebSocket | undefined;
  private attempt = 0;
  private lastFrameMs = 0;
  private probing = false;
  private staleReported = false;
  private pendingCause: CloseCause | undefined;
  /** Why we closed the socket: the peer's close frame often carries no reason of its own. */
  private pendingReason = '';
  private readonly queue: (string | typeof PING)[] = [];
  private keepalive: Keepalive | undefined;
  private readonly timers: Record<TimerName, ReturnType<typeof setTimeout> | undefined> = {
    reconnect: undefined,
    stale: undefined,
    rotate: undefined,
    flush: undefined,
    keepalive: undefined,
    ping: undefined,
    resolve: undefined,
  };
  /** The URL resolution in flight, and its end (stop waits for it). */
  private resolving: AbortController | undefined;
  private resolveDone: Promise<void> | undefined;
  private resolveAttempts = 0;
  private closed: Promise<void> | undefined;
  private resolveClosed: (() => void) | undefined;

  constructor(opts: WsConnectionOptions) {
    this.opts = opts;
    this.id = opts.id;
    this.url = opts.url;
    this.nowMs = opts.nowMs ?? monotonicMs;
    this.random = opts.random ?? Math.random;
    const rate = opts.controlMessagesPerSecond;
    // 5 % more than the venue's window: frames sent a full window apart can arrive closer together
    // (network jitter), and the venue counts arrivals.
    this.windowMs = (rate >= 1 ? 1000 : 3_600_000) * 1.05;
    // Per-second limits count the pongs `ws` sends on its own: leave one slot for them.
    this.perSecondLimit = rate >= 1;
    this.perWindow = rate >= 1 ? Math.max(1, Math.floor(rate) - 1) : Math.max(1, Math.floor(rate * 3600));
    this.probeTimeoutMs = opts.probeTimeoutMs ?? Math.min(10_000, Math.max(1, Math.floor(opts.staleAfterMs / 2)));
  }

  start(): void {
    if (this.state !== 'idle') return;
    this.connectSoon(0);
  }

  isOpen(): boolean {
    return this.state === 'open';
  }

  /** Frames waiting for the throttle. */
  get queued(): number {
    return this.queue.length;
  }

  /** Queue a text frame; sent in order, no faster than the venue's control-message limit. */
  send(frame: string): void {
    if (this.state === 'stopped') return;
    if (this.queue.length >= MAX_QUEUED_FRAMES) {
      this.opts.handler.onNotice('error', `${this.id}: ${MAX_QUEUED_FRAMES} frames waiting to be sent; dropping ${frame.slice(0, 80)}`);
      return;
    }
    this.queue.push(frame);
    this.flush();
  }

  setKeepalive(k: Keepalive | undefined): void {
    this.keepalive = k;
    this.armKeepalive();
  }

  /** Interval of the session keepalive in force, if any. */
  get keepaliveIntervalMs(): number | undefined {
    return this.keepalive?.intervalMs;
  }

  /**
   * Replace the open socket at the owner's request: close it and reconnect without backoff, like
   * a planned rotation. Does nothing unless open (a reconnect is then already under way).
   */
  reconnect(reason: string): void {
    if (this.state !== 'open') return;
    this.opts.handler.onNotice('info', `${this.id}: reconnecting now (${reason})`);
    // A close reason is at most 123 bytes.
    this.drop('requested', 1000, reason.replace(/[^\x20-\x7e]/g, '?').slice(0, 120), false);
  }

  /** Close for good. Resolves once the socket is gone and every timer is cleared. */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return this.closed;
    const ws = this.ws;
    this.state = 'stopped';
    this.clearAll();
    this.queue.length = 0;
    const resolving = this.resolving;
    if (resolving !== undefined) {
      this.resolving = undefined;
      resolving.abort(new Error('connection stopped'));
      // Its request must not outlive the connection (tests fail on leaked sockets).
      await this.resolveDone;
    }
    if (ws === undefined || ws.readyState === WebSocket.CLOSED) return;
    this.closed = new Promise<void>((resolve) => {
      this.resolveClosed = resolve;
    });
    this.pendingCause = 'stopped';
    this.pendingReason = 'client stopping';
    if (ws.readyState === WebSocket.OPEN) {
      ws.close(1000, 'client stopping');
      // A peer that never answers the close handshake must not hold shutdown for ws's 30 s.
      const t = setTimeout(() => ws.terminate(), 500);
      ws.once('close', () => clearTimeout(t));
    } else ws.terminate();
    return this.closed;
  }

  private connectSoon(delayMs: number): void {
    const now = this.nowMs();
    const gateDelay = this.opts.gate?.delayMs(now) ?? 0;
    const notBefore = now + Math.max(delayMs, gateDelay);
    this.state = 'backoff';
    this.clear('reconnect');
    const fire = (): void => {
      this.timers.reconnect = undefined;
      const t = this.nowMs();
      // Timers may fire a little early by this clock; and the gate may have filled up while we
      // waited (other connections of the venue). Either way: wait the rest.
      const rest = Math.max(notBefore - t, this.opts.gate?.delayMs(t) ?? 0);
      if (rest > 0) {
        this.timers.reconnect = setTimeout(fire, Math.max(1, rest));
        return;
      }
      this.connect();
    };
    this.timers.reconnect = setTimeout(fire, notBefore - now);
  }

  private connect(): void {
    if (this.state === 'stopped') return;
    const at = this.nowMs();
    this.opts.gate?.record(at);
    this.attemptLog.push(at);
    if (this.attemptLog.length > SEND_LOG_KEPT) this.attemptLog.shift();
    if (this.counters.connects + this.counters.failedConnects > 0) this.counters.reconnects++;
    this.state = 'connecting';
    this.pendingCause = undefined;
    const resolve = this.opts.resolve;
    if (resolve === undefined) {
      this.open(this.url);
      return;
    }
    const ac = new AbortController();
    this.resolving = ac;
    const timeoutMs = this.opts.handshakeTimeoutMs ?? 10_000;
    this.timers.resolve = setTimeout(() => ac.abort(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    this.resolveDone = resolve(this.resolveAttempts++, ac.signal)
      // A resolver reports failures as results; a throw is a bug, reported the same way.
      .catch((e: unknown): ResolvedConnection => ({ ok: false, message: `resolver threw (bug): ${(e as Error).stack ?? String(e)}` }))
      .then((r) => {
        if (this.resolving !== ac) return;
        this.resolving = undefined;
        this.clear('resolve');
        if (this.state !== 'connecting') return;
        if (!r.ok) {
          this.counters.resolveFailures++;
          this.counters.failedConnects++;
          const delay = backoffDelay(this.attempt++, this.opts.backoff, this.random);
          this.opts.handler.onNotice('warn', `${this.id}: no connection URL (${r.message}); retrying in ${Math.round(delay)} ms`);
          this.connectSoon(delay);
          return;
        }
        this.url = r.url;
        this.resolvedPingIntervalMs = r.pingIntervalMs;
        this.open(r.url);
      });
  }

  /** Open the socket of one attempt. */
  private open(url: string): void {
    const ws = new WebSocket(url, {
      handshakeTimeout: this.opts.handshakeTimeoutMs ?? 10_000,
      perMessageDeflate: false,
      autoPong: true,
      maxPayload: 256 * 1024 * 1024,
    });
    this.ws = ws;
    let opened = false;
    ws.on('open', () => {
      if (this.ws !== ws || this.state === 'stopped') return;
      opened = true;
      this.state = 'open';
      this.counters.connects++;
      this.openedAtMs = this.nowMs();
      this.lastFrameMs = this.openedAtMs;
      this.probing = false;
      this.staleReported = false;
      this.armStale(this.opts.staleAfterMs);
      if (this.opts.lifetimeMs > 0) {
        this.timers.rotate = setTimeout(() => {
          this.timers.rotate = undefined;
          this.counters.rotations++;
          this.opts.handler.onNotice('info', `${this.id}: rotating the connection before the venue's ${Math.round(this.opts.lifetimeMs / 60_000)} min lifetime`);
          this.drop('rotation', 1000, 'planned rotation', false);
        }, this.opts.lifetimeMs);
      }
      this.armKeepalive();
      this.armPing();
      this.opts.tap?.tap.frame({ venue: this.opts.tap.venue, dir: 'connect', conn: this.id, url: this.url, raw: '', recvTsNs: wallClockNs() });
      this.opts.handler.onOpen();
      this.flush();
    });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (this.ws !== ws) return;
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer);
      this.counters.messages++;
      this.counters.bytes += buf.length;
      this.lastFrameMs = this.nowMs();
      this.probing = false;
      this.staleReported = false;
      // Healthy again: the next failure starts from the shortest backoff.
      this.attempt = 0;
      const text = buf.toString('utf8');
      const recvTsNs = wallClockNs();
      const tap = this.opts.tap;
      // Binary frames (Upbit) are JSON text too; the envelope marks them as the venue sent them.
      if (tap !== undefined) tap.tap.frame({ venue: tap.venue, dir: 'recv', conn: this.id, url: '', raw: text, recvTsNs, binary: isBinary });
      this.opts.handler.onMessage(text, recvTsNs);
    });
    ws.on('pong', () => {
      if (this.ws !== ws) return;
      this.counters.pongs++;
      if (this.probing) {
        // Alive but quiet: check again after another stale period.
        this.probing = false;
        this.armStale(this.opts.staleAfterMs);
      }
    });
    ws.on('error', (err: Error) => {
      if (this.ws !== ws) return;
      if (this.state !== 'stopped') this.opts.handler.onNotice('warn', `${this.id}: ${err.message}`);
    });
    ws.on('close', (code: number, reasonBuf: Buffer) => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      const cause = this.pendingCause ?? (opened ? 'remote' : 'error');
      const reason = reasonBuf.toString() || (this.pendingCause !== undefined ? this.pendingReason : '');
      this.pendingCause = undefined;
      this.clearAll();
      // Frames queued for this socket belong to its session (subscriptions, pings): never replay
      // them on the next socket, whose new session sends its own.
      this.queue.length = 0;
      this.openedAtMs = Number.NaN;
      if (!opened) this.counters.failedConnects++;
      if (opened) {
        this.opts.tap?.tap.frame({ venue: this.opts.tap.venue, dir: 'disconnect', conn: this.id, url: '', raw: `${cause} ${code}${reason ? ` ${reason}` : ''}`, recvTsNs: wallClockNs() });
        this.opts.handler.onClose({ cause, code, reason, wasOpen: true });
      }
      if (this.state === 'stopped') {
        this.resolveClosed?.();
        this.resolveClosed = undefined;
        return;
      }
      if (!opened) this.opts.handler.onNotice('warn', `${this.id}: connect failed (${reason || `code ${code}`})`);
      // A planned rotation or a requested reconnect reconnects at once; everything else backs off.
      const planned = cause === 'rotation' || cause === 'requested';
      const delay = planned ? 0 : backoffDelay(this.attempt++, this.opts.backoff, this.random);
      if (!planned) this.opts.handler.onNotice(opened ? 'warn' : 'info', `${this.id}: ${opened ? `closed (${cause}, code ${code}${reason ? ` ${reason}` : ''})` : 'retrying'}; reconnect in ${Math.round(delay)} ms`);
      this.connectSoon(delay);
    });
  }

  /** Close the current socket for `cause`; the close handler reconnects. */
  private drop(cause: CloseCause, code: number, reason: string, abrupt: boolean): void {
    const ws = this.ws;
    if (ws === undefined) return;
    this.pendingCause = cause;
    this.pendingReason = reason;
    if (abrupt || ws.readyState !== WebSocket.OPEN) {
      ws.terminate();
      return;
    }
    ws.close(code, reason);
    // Do not wait ws's 30 s close timeout for a peer that no longer answers.
    const t = setTimeout(() => ws.terminate(), 1000);
    ws.once('close', () => clearTimeout(t));
  }

  private armStale(afterMs: number): void {
    this.clear('stale');
    this.timers.stale = setTimeout(() => this.checkStale(), Math.max(1, afterMs));
  }

  private checkStale(): void {
    this.timers.stale = undefined;
    const ws = this.ws;
    if (this.state !== 'open' || ws === undefined) return;
    const now = this.nowMs();
    if (this.probing) {
      // Probe sent, and neither a pong nor a frame came back.
      this.opts.handler.onNotice('warn', `${this.id}: no answer to the stale probe within ${this.probeTimeoutMs} ms; reconnecting`);
      this.drop('stale', 4000, 'stale', true);
      return;
    }
    const silent = now - this.lastFrameMs;
    if (silent < this.opts.staleAfterMs) {
      this.armStale(this.opts.staleAfterMs - silent);
      return;
    }
    if (!this.staleReported) {
      this.staleReported = true;
      this.counters.stale++;
      this.opts.handler.onStale(silent);
    }
    this.probing = true;
    this.counters.probes++;
    if (this.perSecondLimit) this.logSend(now);
    ws.ping();
    this.armStale(this.probeTimeoutMs);
  }

  private armKeepalive(): void {
    this.clear('keepalive');
    const k = this.keepalive;
    if (k === undefined || this.state !== 'open') return;
    this.timers.keepalive = setInterval(() => this.sendKeepalive(k.frame()), k.intervalMs);
  }

  private armPing(): void {
    this.clear('ping');
    const every = this.opts.pingIntervalMs;
    if (every === undefined || every <= 0 || this.state !== 'open') return;
    this.timers.ping = setInterval(() => this.sendPing(), every);
  }

  /** Pings share a per-second limit like keepalives (Binance counts PING frames); hourly op limits do not count them. */
  private sendPing(): void {
    if (this.state !== 'open' || this.ws === undefined) return;
    if (this.perSecondLimit) {
      this.queue.push(PING);
      this.flush();
      return;
    }
    this.counters.pings++;
    this.ws.ping();
  }

  /** Keepalives share per-second limits; hourly op limits do not count them (they are not ops). */
  private sendKeepalive(frame: string): void {
    if (this.perSecondLimit) {
      this.send(frame);
      return;
    }
    if (this.state !== 'open' || this.ws === undefined) return;
    this.counters.framesSent++;
    this.tapSent(frame);
    this.ws.send(frame);
  }

  private logSend(now: number): void {
    this.sendLog.push(now);
    if (this.sendLog.length > Math.max(SEND_LOG_KEPT, this.perWindow + 1)) this.sendLog.shift();
  }

  /** Frames sent within the throttle window. */
  private sentInWindow(now: number): { count: number; oldest: number } {
    let count = 0;
    let oldest = now;
    for (let i = this.sendLog.length - 1; i >= 0; i--) {
      const t = this.sendLog[i]!;
      if (t <= now - this.windowMs) break;
      count++;
      oldest = t;
    }
    return { count, oldest };
  }

  private flush(): void {
    if (this.timers.flush !== undefined) return;
    const ws = this.ws;
    if (this.state !== 'open' || ws === undefined) return;
    while (this.queue.length > 0) {
      const now = this.nowMs();
      const { count, oldest } = this.sentInWindow(now);
      if (count >= this.perWindow) {
        this.timers.flush = setTimeout(() => {
          this.timers.flush = undefined;
          this.flush();
        }, Math.max(1, oldest + this.windowMs - now + 1));
        return;
      }
      const frame = this.queue.shift()!;
      this.logSend(now);
      if (frame === PING) {
        this.counters.pings++;
        ws.ping();
        continue;
      }
      this.counters.framesSent++;
      this.tapSent(frame);
      ws.send(frame);
    }
  }

  private tapSent(frame: string): void {
    const tap = this.opts.tap;
    if (tap !== undefined) tap.tap.frame({ venue: tap.venue, dir: 'send', conn: this.id, url: '', raw: frame, recvTsNs: wallClockNs() });
  }

  private clear(name: TimerName): void {
    const t = this.timers[name];
    if (t === undefined) return;
    if (name === 'keepalive' || name === 'ping') clearInterval(t);
    else clearTimeout(t);
    this.timers[name] = undefined;
  }

  private clearAll(): void {
    for (const k of Object.keys(this.timers) as TimerName[]) this.clear(k);
  }

}
