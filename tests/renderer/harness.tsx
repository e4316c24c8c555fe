/// <reference types="node" />
/**
 * Test harness for the console: the real `Bridge` and `ConsoleSession` connected through an
 * in-memory port pair to an engine `Peer` that answers the contract's methods from frames built
 * out of real recordings (tests/support/consoleFixtures.ts). Animation frames are played by hand
 * (`ManualScheduler`), so a test says exactly when coalesced updates are applied.
 *
 * The node reference above is for the fixture builder, which runs the engine's verifier on the
 * recordings; the console code under test imports nothing from Node.
 */
import { act, render } from '@testing-library/react';
import type { RenderResult } from '@testing-library/react';
import { PROTOCOL_VERSION } from '../../src-shared/contracts/engineApi.ts';
import type { EngineEvents, EngineTopic } from '../../src-shared/contracts/engineApi.ts';
import { memoryPortPair, Peer, RpcError } from '../../src-shared/contracts/rpc.ts';
import type { Handlers } from '../../src-shared/contracts/rpc.ts';
import { App } from '../../src-renderer/App.tsx';
import { Bridge } from '../../src-renderer/bridge/bridge.ts';
import type { Transport } from '../../src-renderer/bridge/bridge.ts';
import { ConsoleProvider } from '../../src-renderer/ConsoleContext.tsx';
import { ConsoleSession } from '../../src-renderer/stores/consoleSession.ts';
import type { EngineLink } from '../../src-renderer/stores/consoleSession.ts';
import { ManualScheduler } from '../../src-renderer/stores/frameScheduler.ts';
import type { KeyValueStorage } from '../../src-renderer/stores/uiStore.ts';
import type { ConsoleFixture } from '../support/consoleFixtures.ts';

export class MemoryStorage implements KeyValueStorage {
  readonly map = new Map<string, string>();
  getItem(k: string): string | null {
    return this.map.get(k) ?? null;
  }
  setItem(k: string, v: string): void {
    this.map.set(k, v);
  }
}

/** Let queued microtasks (memory-port deliveries, promise continuations) run. */
export async function settle(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
  await new Promise((r) => setTimeout(r, 0));
}

export function linkOf(bridge: Bridge): EngineLink {
  return {
    get status() {
      return bridge.status;
    },
    transport: bridge.transport,
    start: () => bridge.start(),
    close: (r) => bridge.close(r),
    onStatus: (fn) => bridge.onStatus(fn),
    onOpen: (fn) => bridge.onOpen(() => fn()),
    on: (topic, fn) => bridge.on(topic, fn),
    call: (m, p) => bridge.call(m, p),
  };
}

export interface Harness {
  fx: ConsoleFixture;
  session: ConsoleSession;
  bridge: Bridge;
  scheduler: ManualScheduler;
  storage: MemoryStorage;
  /** The engine side of the current connection. */
  engine(): Peer;
  /** Requests the engine received, in order. */
  calls: { method: string; params: unknown }[];
  emit<T extends EngineTopic>(topic: T, data: EngineEvents[T]): Promise<void>;
  /** Play one animation frame (inside act, so React commits). */
  frame(): Promise<void>;
  /** Drop the current connection from the engine side. */
  dropConnection(reason: string): void;
  dispose(): void;
}

export interface HarnessOptions {
  storage?: MemoryStorage;
  /** Extra or replacement engine handlers. */
  handlers?: Handlers;
  engineProtocol?: number;
  /** First reconnect delay (default 10 ms). */
  backoffMs?: number;
}

export async function startHarness(fx: ConsoleFixture, opts: HarnessOptions = {}): Promise<Harness> {
  const scheduler = new ManualScheduler();
  const storage = opts.storage ?? new MemoryStorage();
  const calls: { method: string; params: unknown }[] = [];
  const log = <P, R>(method: string, fn: (p: P) => R) => (p: P): R => {
    calls.push({ method, params: p });
    return fn(p);
  };
  const base: Handlers = {
    'status.get': log('status.get', () => fx.status),
    'events.recent': log('events.recent', () => ({ transitions: fx.transitions, resyncs: fx.resyncs, processes: [], notices: [] })),
    'nbbo.get': log('nbbo.get', () => fx.nbbo),
    'view.subscribe': log('view.subscribe', (p: { books: unknown[] }) => ({ books: p.books.length })),
    'book.get': log('book.get', (p: { venue: string; symbol: string; depth: number }) => {
      const b = fx.finalBooks.get(`${p.venue}|${p.symbol}`);
      if (!b) throw new RpcError('unknown-symbol', `${p.venue} ${p.symbol}`);
      return { ...b, bids: b.bids.slice(0, p.depth), asks: b.asks.slice(0, p.depth) };
    }),
    resync: log('resync', (p: { scope: string; venue?: string }) => ({ accepted: p.scope === 'all' ? fx.status.symbols.length : p.scope === 'venue' ? fx.status.symbols.filter((s) => s.venue === p.venue).length : 1 })),
    'diagnostics.export': log('diagnostics.export', () => {
      throw new RpcError('not-available', 'diagnostics export is not part of this engine build');
    }),
  };
  const handlers: Handlers = { ...base, ...opts.handlers };
  let enginePeer: Peer | null = null;
  const transport: Transport = {
    kind: 'memory',
    display: 'in-memory engine',
    open: async () => {
      const [a, b] = memoryPortPair();
      // The engine greets once the connection exists (a task later), as a real host does.
      setTimeout(() => (enginePeer = new Peer(b, { hello: { protocolVersion: opts.engineProtocol ?? PROTOCOL_VERSION, build: 'test-engine', role: 'host', name: 'host' }, handlers })), 0);
      return a;
    },
  };
  const backoff = opts.backoffMs ?? 10;
  const bridge = new Bridge(transport, { build: 'console-test', initialBackoffMs: backoff, maxBackoffMs: backoff * 4, random: () => 0.5 });
  const session = new ConsoleSession(linkOf(bridge), { scheduler, storage, nbboPollMs: 50 });
  session.start();
  await settle();
  const h: Harness = {
    fx,
    session,
    bridge,
    scheduler,
    storage,
    calls,
    engine() {
      if (!enginePeer) throw new Error('no engine connection');
      return enginePeer;
    },
    async emit(topic, data) {
      h.engine().emit(topic, data);
      await settle(4);
    },
    async frame() {
      await act(async () => {
        await settle(4);
        scheduler.flush();
        await settle(4);
        scheduler.flush();
      });
    },
    dropConnection(reason) {
      h.engine().close(reason);
    },
    dispose() {
      session.dispose();
    },
  };
  return h;
}

export function renderConsole(h: Harness): RenderResult {
  return render(
    <ConsoleProvider session={h.session}>
      <App />
    </ConsoleProvider>,
  );
}
