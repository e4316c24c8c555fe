/**
 * In-memory stand-ins for engine processes, for supervisor tests: each "process" is a Peer over
 * memoryPortPair that answers the engine contract from real book states (realBooks.ts), and the
 * test decides when it goes live, crashes, wedges or never says hello.
 */
import type { BookView, EngineMethod, SymbolStatus } from '../../src-shared/contracts/engineApi.ts';
import { PROTOCOL_VERSION } from '../../src-shared/contracts/engineApi.ts';
import { memoryPortPair, Peer, RpcError } from '../../src-shared/contracts/rpc.ts';
import type { Handlers, Port } from '../../src-shared/contracts/rpc.ts';
import type { SyncState } from '../../src-shared/model/market.ts';
import type { ExitInfo, LaunchedProcess, ProcessLauncher } from '../../src-main/hosts/supervisor.ts';
import type { ProcessPayload } from '../../src-main/hosts/processPayload.ts';
import type { RealBook } from './realBooks.ts';

export interface FakeBehaviour {
  /** Say hello at all (false: a process that hangs while starting). */
  hello: boolean;
  protocolVersion: number;
  answerPings: boolean;
}

let nextPid = 50_000;

export class FakeProcess implements LaunchedProcess {
  readonly pid: number;
  readonly port: Port;
  readonly payload: ProcessPayload;
  readonly calls: { method: EngineMethod; params: unknown }[] = [];
  readonly symbols: SymbolStatus[];
  readonly books: BookView[];
  peer: Peer | null = null;
  exited: ExitInfo | null = null;
  private readonly exitFns: ((e: ExitInfo) => void)[] = [];
  private readonly stderrFns: ((l: string) => void)[] = [];
  private readonly behaviour: FakeBehaviour;
  private readonly child: Port;

  constructor(payload: ProcessPayload, data: RealBook[], behaviour: FakeBehaviour) {
    this.pid = nextPid++;
    this.payload = payload;
    this.behaviour = behaviour;
    const owned = data.filter((d) => payload.venues.some((v) => v.venue === d.status.venue));
    this.symbols = owned.map((d) => ({ ...structuredClone(d.status), state: 'connecting' as SyncState, stateCause: 'subscribe', process: payload.name }));
    this.books = owned.map((d) => structuredClone(d.book));
    const [parentEnd, childEnd] = memoryPortPair();
    this.port = parentEnd;
    this.child = childEnd;
    if (behaviour.hello) this.connect();
    // A peer that asks to stop gets a clean exit, like the real entry.
    childEnd.onClose(() => {
      if (!this.exited) queueMicrotask(() => this.exit({ code: 0, signal: null }));
    });
  }

  private connect(): void {
    const track = <M extends EngineMethod>(m: M) => (p: unknown) => {
      this.calls.push({ method: m, params: p });
    };
    const h: Handlers = {
      'status.get': () => {
        track('status.get')({});
        return { build: 'test', startedMs: 0, nowMs: 0, mode: 'replay', venues: [], symbols: structuredClone(this.symbols), processes: [], publisher: null };
      },
      'book.get': (p) => {
        track('book.get')(p);
        const b = this.books.find((x) => x.venue === p.venue && x.symbol === p.symbol);
        if (!b) throw new RpcError('unknown-symbol', `${p.venue} ${p.symbol} is not followed by ${this.payload.name}`);
        return { ...b, bids: b.bids.slice(0, p.depth), asks: b.asks.slice(0, p.depth) };
      },
      resync: (p) => {
        track('resync')(p);
        const n = p.scope === 'all' ? this.symbols.length : p.scope === 'venue' ? this.symbols.filter((s) => s.venue === p.venue).length : 1;
        return { accepted: n };
      },
      'view.subscribe': (p) => {
        track('view.subscribe')(p);
        return { books: p.books.length };
      },
      'nbbo.get': () => [],
      'process.ping': (p) => {
        if (!this.behaviour.answerPings) return new Promise(() => {});
        return { seq: p.seq, pid: this.pid, uptimeMs: 1, rssBytes: 1, heapUsedBytes: 1 };
      },
    };
    this.peer = new Peer(this.child, {
      hello: { protocolVersion: this.behaviour.protocolVersion, build: 'test', role: 'feed', name: this.payload.name, pid: this.pid },
      handlers: h,
    });
  }

  /** Every book goes live, with the transitions a real process would emit. */
  goLive(): void {
    for (const s of this.symbols) {
      const from = s.state;
      s.state = 'live';
      s.stateCause = 'snapshot-aligned';
      this.peer?.emit('feed.transition', { venue: s.venue, symbol: s.symbol, from, to: 'live', cause: 'snapshot-aligned', detail: null, tsMs: Date.now() });
    }
  }

  /** Send a book frame with every book this process has. */
  sendBooks(): void {
    this.peer?.emit('book.frame', { books: structuredClone(this.books), trades: [] });
  }

  stderr(line: string): void {
    for (const f of this.stderrFns) f(line);
  }

  /** The process dies (crash or kill). */
  exit(e: ExitInfo): void {
    if (this.exited) return;
    this.exited = e;
    this.child.close(e.signal ? `exited by ${e.signal}` : `exited with code ${e.code}`);
    for (const f of this.exitFns) f(e);
  }

  onExit(fn: (e: ExitInfo) => void): void {
    this.exitFns.push(fn);
  }

  onStderr(fn: (line: string) => void): void {
    this.stderrFns.push(fn);
  }

  kill(): void {
    queueMicrotask(() => this.exit({ code: null, signal: 'SIGKILL' }));
  }
}

export class FakeLauncher implements ProcessLauncher {
  readonly launched: FakeProcess[] = [];
  private readonly data: RealBook[];
  /** Behaviour of the next launches, by process name (default: a healthy process). */
  readonly behaviour = new Map<string, Partial<FakeBehaviour>>();
  private readonly waiters: { name: string; n: number; resolve(p: FakeProcess): void }[] = [];

  constructor(data: RealBook[]) {
    this.data = data;
  }

  launch(payload: ProcessPayload): FakeProcess {
    const b = this.behaviour.get(payload.name) ?? {};
    const p = new FakeProcess(payload, this.data, { hello: b.hello ?? true, protocolVersion: b.protocolVersion ?? PROTOCOL_VERSION, answerPings: b.answerPings ?? true });
    this.launched.push(p);
    const count = this.of(payload.name).length;
    for (const w of this.waiters.filter((x) => x.name === payload.name && x.n <= count)) {
      this.waiters.splice(this.waiters.indexOf(w), 1);
      w.resolve(p);
    }
    return p;
  }

  of(name: string): FakeProcess[] {
    return this.launched.filter((p) => p.payload.name === name);
  }

  latest(name: string): FakeProcess {
    const all = this.of(name);
    const p = all[all.length - 1];
    if (!p) throw new Error(`${name} was never launched`);
    return p;
  }

  /** Resolves when `name` has been launched `n` times. */
  launchedTimes(name: string, n: number): Promise<FakeProcess> {
    if (this.of(name).length >= n) return Promise.resolve(this.of(name)[n - 1]!);
    return new Promise((resolve) => this.waiters.push({ name, n, resolve }));
  }
}
