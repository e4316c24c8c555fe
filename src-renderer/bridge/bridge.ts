/**
 * The console's only way to the engine: a `Bridge` owns one transport (WebSocket to the headless
 * host, or the MessagePort the Electron preload hands over), opens a `Peer` of the shared RPC
 * contract on it, and keeps it open: when the connection drops it reconnects with capped
 * exponential backoff and says so through `status`, so the UI never shows stale numbers as if
 * they were live. Listeners and the "on every (re)connection" hooks survive reconnects; views
 * re-seed and re-subscribe from `onOpen`.
 *
 * A protocol-version mismatch is not retried: the page and the engine come from different builds
 * and only reloading the page (or upgrading) fixes that, which the status says in words.
 */
import { PROTOCOL_VERSION } from '../../src-shared/contracts/engineApi.ts';
import type { EngineEvents, EngineMethod, EngineTopic, Hello, ParamsOf, ResultOf } from '../../src-shared/contracts/engineApi.ts';
import { Peer, RpcError } from '../../src-shared/contracts/rpc.ts';
import type { Port } from '../../src-shared/contracts/rpc.ts';

/** One way of reaching the engine. `open` resolves with a connected port or rejects with a reason. */
export interface Transport {
  readonly kind: 'websocket' | 'messageport' | 'memory';
  /** Where it connects, safe to show (no token). */
  readonly display: string;
  open(): Promise<Port>;
}

export type BridgeStatus =
  | { phase: 'connecting'; attempt: number; sinceMs: number; reconnecting: boolean }
  | { phase: 'open'; remote: Hello; sinceMs: number; reconnects: number }
  | { phase: 'waiting'; attempt: number; retryAtMs: number; reason: string; sinceMs: number }
  | { phase: 'failed'; reason: string; sinceMs: number }
  | { phase: 'closed'; reason: string; sinceMs: number };

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface BridgeOptions {
  /** Build id the page announces in its hello. */
  build: string;
  /** First retry delay; doubles per failed attempt up to `maxBackoffMs`. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** ms to wait for the engine's hello after the transport opened. */
  helloTimeoutMs?: number;
  /** ms before an unanswered request fails with 'timeout'. */
  callTimeoutMs?: number;
  /** Jitter source in [0, 1): spreads reconnects of many consoles after a host restart. */
  random?: () => number;
  now?: () => number;
  timers?: Timers;
}

const defaultTimers: Timers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>),
};

type AnyListener = (data: unknown) => void;

export class Bridge {
  readonly transport: Transport;
  private readonly opts: Required<Omit<BridgeOptions, 'build'>> & { build: string };
  private peer: Peer | null = null;
  private current: BridgeStatus;
  private attempt = 0;
  private reconnects = 0;
  private retryTimer: unknown = null;
  private stopped = false;
  private readonly statusListeners = new Set<(s: BridgeStatus) => void>();
  private readonly openListeners = new Set<(peer: Peer) => void>();
  private readonly topicListeners = new Map<string, Set<AnyListener>>();
  /** Per current peer: the dispatcher registered for each topic (removed with the peer). */
  private peerOffs: (() => void)[] = [];

  constructor(transport: Transport, opts: BridgeOptions) {
    this.transport = transport;
    this.opts = {
      build: opts.build,
      initialBackoffMs: opts.initialBackoffMs ?? 500,
      maxBackoffMs: opts.maxBackoffMs ?? 10_000,
      helloTimeoutMs: opts.helloTimeoutMs ?? 5_000,
      callTimeoutMs: opts.callTimeoutMs ?? 15_000,
      random: opts.random ?? Math.random,
      now: opts.now ?? Date.now,
      timers: opts.timers ?? defaultTimers,
    };
    this.current = { phase: 'connecting', attempt: 0, sinceMs: this.opts.now(), reconnecting: false };
  }

  get status(): BridgeStatus {
    return this.current;
  }

  get connected(): boolean {
    return this.current.phase === 'open' && this.peer !== null && !this.peer.isClosed;
  }

  /** Start connecting (idempotent). */
  start(): void {
    if (this.stopped || this.peer !== null || this.retryTimer !== null || this.current.phase === 'failed') return;
    if (this.attempt > 0 && this.current.phase === 'connecting') return;
    void this.connect();
  }

  onStatus(fn: (s: BridgeStatus) => void): () => void {
    this.statusListeners.add(fn);
    return () => this.statusListeners.delete(fn);
  }

  /** Called on every successful (re)connection, after the engine's hello. */
  onOpen(fn: (peer: Peer) => void): () => void {
    this.openListeners.add(fn);
    if (this.connected && this.peer) fn(this.peer);
    return () => this.openListeners.delete(fn);
  }

  on<T extends EngineTopic>(topic: T, fn: (data: EngineEvents[T]) => void): () => void {
    let set = this.topicListeners.get(topic);
    if (!set) {
      set = new Set();
      this.topicListeners.set(topic, set);
      if (this.peer) this.attachTopic(this.peer, topic);
    }
    set.add(fn as AnyListener);
    return () => set.delete(fn as AnyListener);
  }

  /** A request to the engine. Fails fast with 'not-available' while disconnected. */
  call<M extends EngineMethod>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
    if (!this.connected || !this.peer) {
      const why = this.current.phase === 'waiting' || this.current.phase === 'connecting' ? 'reconnecting to the engine' : `engine connection ${this.current.phase}`;
      return Promise.reject(new RpcError('not-available', `${method}: ${why}`));
    }
    return this.peer.call(method, params);
  }

  close(reason = 'console closed'): void {
    this.stopped = true;
    if (this.retryTimer !== null) this.opts.timers.clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const p = this.peer;
    this.detachPeer();
    p?.close(reason);
    this.setStatus({ phase: 'closed', reason, sinceMs: this.opts.now() });
  }

  private setStatus(s: BridgeStatus): void {
    this.current = s;
    for (const fn of this.statusListeners) {
      try {
        fn(s);
      } catch (e) {
        console.error('bridge status listener threw:', e);
      }
    }
  }

  private async connect(): Promise<void> {
    this.attempt++;
    this.setStatus({ phase: 'connecting', attempt: this.attempt, sinceMs: this.opts.now(), reconnecting: this.reconnects > 0 });
    let port: Port;
    try {
      port = await this.transport.open();
    } catch (e) {
      this.scheduleRetry(errorText(e));
      return;
    }
    if (this.stopped) {
      port.close('console closed');
      return;
    }
    const peer = new Peer(port, {
      hello: { protocolVersion: PROTOCOL_VERSION, build: this.opts.build, role: 'renderer', name: 'console' },
      timeoutMs: this.opts.callTimeoutMs,
    });
    let closedReason: string | null = null;
    let resolveClosed: (r: string) => void = () => {};
    const closed = new Promise<string>((r) => (resolveClosed = r));
    const offClose = port.onClose((reason) => {
      closedReason = reason;
      resolveClosed(reason);
    });
    let helloTimer: unknown = null;
    const timedOut = new Promise<'timeout'>((r) => (helloTimer = this.opts.timers.setTimeout(() => r('timeout'), this.opts.helloTimeoutMs)));
    // ready() rejects when the connection closes before the engine's hello (version mismatch,
    // host went away); the close reason is what the operator needs, so take it either way.
    const hello = peer.ready().catch((e: unknown) => (closedReason ?? errorText(e)));
    const first = await Promise.race([hello, closed, timedOut]);
    this.opts.timers.clearTimeout(helloTimer);
    if (first === 'timeout' || typeof first === 'string') {
      offClose();
      const reason = first === 'timeout' ? `the engine did not say hello within ${this.opts.helloTimeoutMs} ms` : first;
      if (first === 'timeout') peer.close(reason);
      if (reason.includes('protocol version mismatch')) {
        this.setStatus({ phase: 'failed', reason: `${reason.slice(reason.indexOf('protocol version mismatch'))}. Reload the console from the running engine (or upgrade) to connect.`, sinceMs: this.opts.now() });
        return;
      }
      this.scheduleRetry(reason);
      return;
    }
    if (this.stopped) {
      offClose();
      peer.close('console closed');
      return;
    }
    if (closedReason !== null) {
      offClose();
      this.scheduleRetry(closedReason);
      return;
    }
    offClose();
    this.peer = peer;
    for (const topic of this.topicListeners.keys()) this.attachTopic(peer, topic as EngineTopic);
    this.peerOffs.push(
      port.onClose((reason) => {
        if (this.peer !== peer) return;
        this.detachPeer();
        if (this.stopped) return;
        if (reason.includes('protocol version mismatch')) {
          this.setStatus({ phase: 'failed', reason, sinceMs: this.opts.now() });
          return;
        }
        this.reconnects++;
        this.scheduleRetry(`connection lost: ${reason}`);
      }),
    );
    this.attempt = 0;
    this.setStatus({ phase: 'open', remote: first, sinceMs: this.opts.now(), reconnects: this.reconnects });
    for (const fn of this.openListeners) {
      try {
        fn(peer);
      } catch (e) {
        console.error('bridge open listener threw:', e);
      }
    }
  }

  private attachTopic(peer: Peer, topic: EngineTopic): void {
    this.peerOffs.push(
      peer.on(topic, (data) => {
        const set = this.topicListeners.get(topic);
        if (!set) return;
        for (const fn of set) {
          try {
            fn(data);
          } catch (e) {
            // A throwing view never breaks the stream for the others (house style).
            console.error(`console listener for ${topic} threw:`, e);
          }
        }
      }),
    );
  }

  private detachPeer(): void {
    for (const off of this.peerOffs) off();
    this.peerOffs = [];
    this.peer = null;
  }

  /** Next delay: initial * 2^(attempt-1), capped, with up to 25% jitter below the cap. */
  backoffMs(attempt: number): number {
    const base = Math.min(this.opts.maxBackoffMs, this.opts.initialBackoffMs * 2 ** Math.max(0, attempt - 1));
    return Math.round(base * (0.75 + 0.25 * this.opts.random()));
  }

  private scheduleRetry(reason: string): void {
    if (this.stopped) return;
    const delay = this.backoffMs(Math.max(1, this.attempt));
    const now = this.opts.now();
    this.setStatus({ phase: 'waiting', attempt: this.attempt, retryAtMs: now + delay, reason, sinceMs: now });
    this.retryTimer = this.opts.timers.setTimeout(() => {
      this.retryTimer = null;
      if (!this.stopped) void this.connect();
    }, delay);
  }
}

export function errorText(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
