/**
 * Typed request/response + events over any message port: a Node child process (fork with
 * advanced serialization), an Electron utility process parentPort, a MessagePort in the page, a
 * WebSocket bridge, or an in-memory pair in tests. Every connection starts with `hello`; a
 * protocol mismatch closes it with a clear error.
 */
import { PROTOCOL_VERSION } from './engineApi.ts';
import type { EngineError, EngineErrorCode, EngineEvents, EngineMethod, EngineMethods, EngineTopic, Envelope, Hello, ParamsOf, ResultOf } from './engineApi.ts';

/** The smallest port shape every transport can provide. */
export interface Port {
  post(msg: Envelope): void;
  /** Register the message handler; returns a function that removes it. */
  onMessage(handler: (msg: Envelope) => void): () => void;
  /** Called once when the other end went away. */
  onClose(handler: (reason: string) => void): () => void;
  close(reason: string): void;
}

export class RpcError extends Error implements EngineError {
  readonly code: EngineErrorCode;
  constructor(code: EngineErrorCode, message: string) {
    super(message);
    this.code = code;
    this.name = 'RpcError';
  }
}

/** Two connected in-memory ports (tests, and same-process hosting). Delivery is async like a real port. */
export function memoryPortPair(): [Port, Port] {
  const make = () => ({ handlers: new Set<(m: Envelope) => void>(), closers: new Set<(r: string) => void>(), closed: false });
  const a = make();
  const b = make();
  const port = (self: ReturnType<typeof make>, other: ReturnType<typeof make>): Port => ({
    post(msg) {
      if (self.closed) return;
      const copy = structuredClone(msg);
      queueMicrotask(() => {
        if (!other.closed) for (const h of other.handlers) h(copy);
      });
    },
    onMessage(h) {
      self.handlers.add(h);
      return () => self.handlers.delete(h);
    },
    onClose(h) {
      self.closers.add(h);
      return () => self.closers.delete(h);
    },
    close(reason) {
      if (self.closed) return;
      self.closed = true;
      other.closed = true;
      queueMicrotask(() => {
        for (const h of other.closers) h(reason);
        for (const h of self.closers) h(reason);
      });
    },
  });
  return [port(a, b), port(b, a)];
}

export type Handlers = { [M in EngineMethod]?: (params: ParamsOf<M>) => ResultOf<M> | Promise<ResultOf<M>> };

export interface PeerOptions {
  hello: Hello;
  /** Answers this side gives to the other side's requests. */
  handlers?: Handlers;
  /** ms before an unanswered request fails with 'timeout'. */
  timeoutMs?: number;
  /** Called when the other side's hello arrives (after the version check). */
  onHello?(h: Hello): void;
}

type Listener<T extends EngineTopic> = (data: EngineEvents[T]) => void;

/**
 * One end of a connection. Both ends are symmetric: either may call methods the other handles
 * and emit events the other listens to.
 */
export class Peer {
  readonly port: Port;
  remote: Hello | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void; timer: ReturnType<typeof setTimeout> }>();
  private readonly listeners = new Map<string, Set<(d: unknown) => void>>();
  private readonly opts: PeerOptions;
  private closed: string | null = null;
  private readonly helloWaiters: { resolve(h: Hello): void; reject(e: Error): void }[] = [];
  private readonly offs: (() => void)[] = [];

  constructor(port: Port, opts: PeerOptions) {
    this.port = port;
    this.opts = opts;
    this.offs.push(port.onMessage((m) => this.receive(m)));
    this.offs.push(port.onClose((r) => this.shutdown(r)));
    port.post({ t: 'hello', hello: opts.hello });
  }

  get isClosed(): boolean {
    return this.closed !== null;
  }

  /** Resolves with the other side's hello. */
  ready(): Promise<Hello> {
    if (this.remote) return Promise.resolve(this.remote);
    if (this.closed) return Promise.reject(new RpcError('not-available', this.closed));
    return new Promise((resolve, reject) => this.helloWaiters.push({ resolve, reject }));
  }

  call<M extends EngineMethod>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
    if (this.closed) return Promise.reject(new RpcError('not-available', `connection closed: ${this.closed}`));
    const id = this.nextId++;
    return new Promise<ResultOf<M>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RpcError('timeout', `${method} got no answer within ${this.opts.timeoutMs ?? 10_000} ms`));
      }, this.opts.timeoutMs ?? 10_000);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.port.post({ t: 'req', id, method, params });
    });
  }

  emit<T extends EngineTopic>(topic: T, data: EngineEvents[T]): void {
    if (!this.closed) this.port.post({ t: 'evt', topic, data });
  }

  on<T extends EngineTopic>(topic: T, fn: Listener<T>): () => void {
    let set = this.listeners.get(topic);
    if (!set) {
      set = new Set();
      this.listeners.set(topic, set);
    }
    set.add(fn as (d: unknown) => void);
    return () => set.delete(fn as (d: unknown) => void);
  }

  close(reason = 'closed'): void {
    if (this.closed) return;
    this.port.post({ t: 'bye', reason });
    this.port.close(reason);
    this.shutdown(reason);
  }

  private shutdown(reason: string): void {
    if (this.closed) return;
    this.closed = reason;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new RpcError('not-available', `connection closed: ${reason}`));
    }
    this.pending.clear();
    // A connection that closes before the other side's hello (version mismatch, the process died) must not leave ready() hanging.
    for (const w of this.helloWaiters.splice(0)) w.reject(new RpcError('not-available', `connection closed before hello: ${reason}`));
    for (const off of this.offs) off();
  }

  private receive(m: Envelope): void {
    switch (m.t) {
      case 'hello': {
        if (m.hello.protocolVersion !== PROTOCOL_VERSION) {
          const reason = `protocol version mismatch: ${this.opts.hello.role} speaks ${PROTOCOL_VERSION}, ${m.hello.role} "${m.hello.name}" (build ${m.hello.build}) speaks ${m.hello.protocolVersion}`;
          this.port.post({ t: 'bye', reason });
          this.port.close(reason);
          this.shutdown(reason);
          return;
        }
        this.remote = m.hello;
        this.opts.onHello?.(m.hello);
        for (const w of this.helloWaiters.splice(0)) w.resolve(m.hello);
        return;
      }
      case 'req':
        void this.answer(m.id, m.method, m.params);
        return;
      case 'res': {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        clearTimeout(p.timer);
        if (m.ok) p.resolve(m.result);
        else p.reject(new RpcError(m.error.code, m.error.message));
        return;
      }
      case 'evt': {
        const set = this.listeners.get(m.topic);
        if (!set) return;
        for (const fn of set) {
          try {
            fn(m.data);
          } catch (e) {
            // A throwing listener never breaks the loop (house style): report and go on.
            console.error(`listener for ${m.topic} threw:`, e);
          }
        }
        return;
      }
      case 'bye':
        this.port.close(m.reason);
        this.shutdown(m.reason);
        return;
    }
  }

  private async answer(id: number, method: string, params: unknown): Promise<void> {
    const h = (this.opts.handlers as Record<string, ((p: unknown) => unknown) | undefined> | undefined)?.[method];
    if (!h) {
      this.port.post({ t: 'res', id, ok: false, error: { code: 'bad-request', message: `unknown method "${method}"` } });
      return;
    }
    try {
      const result = await h(params);
      if (!this.closed) this.port.post({ t: 'res', id, ok: true, result });
    } catch (e) {
      const err = e instanceof RpcError ? { code: e.code, message: e.message } : { code: 'internal' as const, message: (e as Error).message ?? String(e) };
      if (!this.closed) this.port.post({ t: 'res', id, ok: false, error: err });
    }
  }
}

/** Typed method handler helper with the right inference at call sites. */
export function handlers(h: Handlers): Handlers {
  return h;
}

export type { EngineMethods };
