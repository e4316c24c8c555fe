/**
 * Wires the bridge to the stores. Every engine event is buffered as it arrives and applied once
 * per animation frame (newest book per key, merged stats, appended events); on every
 * (re)connection the session re-seeds the stores from `status.get` / `events.recent` /
 * `nbbo.get` and re-subscribes the open ladders. User actions (resync, diagnostics export) go
 * through here so their progress lands in the stores the views read.
 */
import type { BookFrame, EngineEvents, EngineMethod, EngineTopic, ParamsOf, ResultOf, ResyncScope, StatsFrame, TradeView } from '../../src-shared/contracts/engineApi.ts';
import { RpcError } from '../../src-shared/contracts/rpc.ts';
import type { BridgeStatus } from '../bridge/bridge.ts';
import { applyBookFrames, createBooksStore, retainBooks } from './booksStore.ts';
import type { BooksStore, PendingBook } from './booksStore.ts';
import { createConnectionStore } from './connectionStore.ts';
import type { ConnectionStore } from './connectionStore.ts';
import { addManual, applyEvents, createEventsStore, emptyPending, seedEvents, settleManual } from './eventsStore.ts';
import type { EventsStore, PendingEvents } from './eventsStore.ts';
import type { FrameScheduler } from './frameScheduler.ts';
import { createHistoryStore, sampleInspected, sampleVenues } from './historyStore.ts';
import type { HistoryStore } from './historyStore.ts';
import { bookKey } from './keys.ts';
import { applyStatsFrames, applyStatus, createMarketStore } from './marketStore.ts';
import type { MarketStore } from './marketStore.ts';
import { createUiStore } from './uiStore.ts';
import type { KeyValueStorage, UiStore } from './uiStore.ts';

/** What the session needs from the bridge (the real `Bridge`, or a stand-in in tests). */
export interface EngineLink {
  readonly status: BridgeStatus;
  readonly transport: { kind: string; display: string };
  start(): void;
  close(reason?: string): void;
  onStatus(fn: (s: BridgeStatus) => void): () => void;
  onOpen(fn: () => void): () => void;
  on<T extends EngineTopic>(topic: T, fn: (data: EngineEvents[T]) => void): () => void;
  call<M extends EngineMethod>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>>;
}

export interface ConsoleStores {
  market: MarketStore;
  books: BooksStore;
  events: EventsStore;
  history: HistoryStore;
  ui: UiStore;
  connection: ConnectionStore;
}

/** Timings the benchmark and the perf overlay read. */
export interface SessionPerf {
  /** Wall time spent applying buffered frames to the stores, per animation frame (ms). */
  applyMs: number[];
  /** Frames (engine messages) applied per animation frame. */
  batch: number[];
}

export interface ConsoleSessionOptions {
  scheduler: FrameScheduler;
  storage: KeyValueStorage | null;
  now?: () => number;
  /** How many events to ask for on (re)connection. */
  recentEvents?: number;
  /** How often to refresh the grouped NBBO while it is shown (ms). */
  nbboPollMs?: number;
}

const PERF_KEPT = 2_000;

/** Books (ladders) repainted per animation frame; the rest wait for the next frames, in turn. */
export const LADDER_BOOKS_PER_FRAME = 2;

export class ConsoleSession {
  readonly stores: ConsoleStores;
  readonly link: EngineLink;
  readonly perf: SessionPerf = { applyMs: [], batch: [] };
  private readonly scheduler: FrameScheduler;
  private readonly now: () => number;
  private readonly opts: ConsoleSessionOptions;
  private readonly offs: (() => void)[] = [];
  private scheduled = false;
  private stats: StatsFrame[] = [];
  private books = new Map<string, PendingBook>();
  private trades: TradeView[] = [];
  private events: PendingEvents = emptyPending();
  private pendingCount = 0;
  private subscribeScheduled = false;
  private lastSubscription = '';
  private nbboTimer: ReturnType<typeof setInterval> | null = null;
  private disposed = false;

  constructor(link: EngineLink, opts: ConsoleSessionOptions) {
    this.link = link;
    this.opts = opts;
    this.scheduler = opts.scheduler;
    this.now = opts.now ?? Date.now;
    this.stores = {
      market: createMarketStore(),
      books: createBooksStore(),
      events: createEventsStore(),
      history: createHistoryStore(),
      ui: createUiStore(opts.storage),
      connection: createConnectionStore(link.transport, link.status),
    };
  }

  start(): void {
    const l = this.link;
    this.offs.push(
      l.onStatus((s) => this.stores.connection.setState({ status: s })),
      l.onOpen(() => void this.seed()),
      l.on('stats.frame', (f) => this.enqueue(() => this.stats.push(f))),
      l.on('book.frame', (f) => this.enqueue(() => this.takeBooks(f))),
      l.on('feed.transition', (e) => this.enqueue(() => this.events.transitions.push(e))),
      l.on('feed.resync', (e) => this.enqueue(() => this.events.resyncs.push(e))),
      l.on('feed.notice', (e) => this.enqueue(() => this.events.notices.push(e))),
      l.on('process.event', (e) => this.enqueue(() => this.events.processEvents.push(e))),
      l.on('diagnostics.progress', (p) => {
        // Only while this console waits for its export (another console's export runs alongside).
        const d = this.stores.connection.getState().diagnostics;
        if (d.phase === 'running' && p.phase === 'running') this.stores.connection.setState({ diagnostics: { ...d, progress: { step: p.step, done: p.done, total: p.total, bytes: p.bytes } } });
      }),
    );
    // Ladders opened/closed or depth changed: resubscribe once per frame.
    this.offs.push(
      this.stores.ui.subscribe((s, prev) => {
        if (s.ladders !== prev.ladders || s.ladderDepth !== prev.ladderDepth) this.scheduleSubscribe();
        if (s.nbboGroupQuotes !== prev.nbboGroupQuotes || s.lowerTab !== prev.lowerTab) this.updateNbboPolling();
      }),
    );
    this.stores.connection.setState({ status: l.status });
    l.start();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const off of this.offs.splice(0)) off();
    if (this.nbboTimer !== null) clearInterval(this.nbboTimer);
    this.nbboTimer = null;
    this.link.close('console closed');
  }

  private enqueue(take: () => void): void {
    take();
    this.pendingCount++;
    if (this.scheduled) return;
    this.scheduled = true;
    this.scheduler.request(() => this.flush());
  }

  private takeBooks(f: BookFrame): void {
    const at = this.now();
    for (const b of f.books) this.books.set(bookKey(b.venue, b.symbol), { view: b, arrivedAtMs: at });
    for (const t of f.trades) this.trades.push(t);
    // A hidden tab gets no animation frames: keep the trade buffer bounded meanwhile.
    if (this.trades.length > 5_000) this.trades.splice(0, this.trades.length - 5_000);
  }

  /** Apply everything buffered since the last frame. Public for tests and the benchmark. */
  flush(): void {
    this.scheduled = false;
    if (this.disposed) return;
    const t0 = performance.now();
    const at = this.now();
    const stats = this.stats;
    const trades = this.trades;
    const events = this.events;
    const count = this.pendingCount;
    this.stats = [];
    // Ladders repaint in turn: at most LADDER_BOOKS_PER_FRAME books per frame, the ones waiting
    // longest first (a Map keeps the order in which each book first arrived); the others keep
    // their newest view for the next frame. Four busy ladders in one frame cost four layouts
    // and paints; in turn, every frame stays short and each ladder still repaints many times a
    // second.
    let books = this.books;
    if (books.size > LADDER_BOOKS_PER_FRAME) {
      const now = new Map<string, PendingBook>();
      for (const [k, v] of books) {
        if (now.size === LADDER_BOOKS_PER_FRAME) break;
        now.set(k, v);
        books.delete(k);
      }
      this.books = books;
      books = now;
    } else {
      this.books = new Map();
    }
    this.trades = [];
    this.events = emptyPending();
    this.pendingCount = 0;
    const s = this.stores;
    applyStatsFrames(s.market, stats, at);
    applyBookFrames(s.books, books, trades);
    applyEvents(s.events, events);
    if (stats.length > 0) this.sample();
    if (this.books.size > 0 && !this.scheduled) {
      this.scheduled = true;
      this.scheduler.request(() => this.flush());
    }
    this.perf.applyMs.push(performance.now() - t0);
    this.perf.batch.push(count);
    if (this.perf.applyMs.length > PERF_KEPT) {
      this.perf.applyMs.splice(0, PERF_KEPT / 2);
      this.perf.batch.splice(0, PERF_KEPT / 2);
    }
  }

  private sample(): void {
    const m = this.stores.market.getState();
    const ts = m.engineNowMs;
    if (ts === null) return;
    sampleVenues(this.stores.history, m.venues, ts);
    const sel = this.stores.ui.getState().selected;
    sampleInspected(this.stores.history, sel, sel === null ? undefined : m.symbols.get(sel), ts);
  }

  private async seed(): Promise<void> {
    const problems: string[] = [];
    const [status, recent, nbbo] = await Promise.all([
      this.link.call('status.get', {}).catch((e: unknown) => {
        problems.push(`status: ${errText(e)}`);
        return null;
      }),
      this.link.call('events.recent', { limit: this.opts.recentEvents ?? 1_000 }).catch((e: unknown) => {
        problems.push(`recent events: ${errText(e)}`);
        return null;
      }),
      this.link.call('nbbo.get', {}).catch((e: unknown) => {
        problems.push(`NBBO: ${errText(e)}`);
        return null;
      }),
    ]);
    if (this.disposed) return;
    if (status) {
      applyStatus(this.stores.market, status, nbbo, this.now());
      this.sample();
    }
    if (recent) seedEvents(this.stores.events, recent);
    this.stores.connection.setState({ problem: problems.length ? `The engine did not answer: ${problems.join('; ')}` : null });
    this.lastSubscription = '';
    this.scheduleSubscribe();
    this.updateNbboPolling();
  }

  private scheduleSubscribe(): void {
    if (this.subscribeScheduled) return;
    this.subscribeScheduled = true;
    this.scheduler.request(() => {
      this.subscribeScheduled = false;
      void this.subscribe();
    });
  }

  private async subscribe(): Promise<void> {
    const ui = this.stores.ui.getState();
    const books = ui.ladders.map((l) => ({ venue: l.venue, symbol: l.symbol }));
    const key = JSON.stringify([books, ui.ladderDepth]);
    retainBooks(this.stores.books, new Set(books.map((b) => bookKey(b.venue, b.symbol))));
    if (key === this.lastSubscription || this.link.status.phase !== 'open') return;
    this.lastSubscription = key;
    try {
      const r = await this.link.call('view.subscribe', { books, depth: ui.ladderDepth });
      this.stores.connection.setState({ subscribedBooks: r.books });
      if (this.stores.connection.getState().problem?.startsWith('Ladders:')) this.stores.connection.setState({ problem: null });
      // Seed the ladders at once rather than waiting for the next change of each book.
      for (const b of books) {
        this.link.call('book.get', { venue: b.venue, symbol: b.symbol, depth: ui.ladderDepth }).then(
          (view) => {
            if (!this.books.has(bookKey(view.venue, view.symbol)) && !this.stores.books.getState().books[bookKey(view.venue, view.symbol)]) {
              this.enqueue(() => this.books.set(bookKey(view.venue, view.symbol), { view, arrivedAtMs: this.now() }));
            }
          },
          (e: unknown) => this.stores.connection.setState({ problem: `Ladders: ${b.venue} ${b.symbol}: ${errText(e)}` }),
        );
      }
    } catch (e) {
      this.lastSubscription = '';
      this.stores.connection.setState({ problem: `Ladders: subscribing failed: ${errText(e)}` });
    }
  }

  private updateNbboPolling(): void {
    const ui = this.stores.ui.getState();
    const want = ui.nbboGroupQuotes && ui.lowerTab === 'nbbo' && !this.disposed;
    if (!want) {
      if (this.nbboTimer !== null) clearInterval(this.nbboTimer);
      this.nbboTimer = null;
      if (this.stores.market.getState().nbboGrouped !== null) this.stores.market.setState({ nbboGrouped: null });
      return;
    }
    if (this.nbboTimer !== null) return;
    const poll = (): void => {
      if (this.link.status.phase !== 'open') return;
      this.link.call('nbbo.get', { groupQuotes: true }).then(
        (list) => {
          if (this.nbboTimer !== null) this.stores.market.setState({ nbboGrouped: list });
        },
        (e: unknown) => this.stores.connection.setState({ problem: `NBBO (grouped): ${errText(e)}` }),
      );
    };
    this.nbboTimer = setInterval(poll, this.opts.nbboPollMs ?? 1_000);
    poll();
  }

  /** Ask the engine to resync; progress shows in the events store as feed.resync events arrive. */
  async resync(scope: ResyncScope): Promise<void> {
    const id = addManual(this.stores.events, scope, this.now());
    try {
      const r = await this.link.call('resync', scope);
      settleManual(this.stores.events, id, { accepted: r.accepted });
    } catch (e) {
      settleManual(this.stores.events, id, { error: errText(e) });
    }
  }

  /**
   * Export a diagnostics bundle. If this build of the engine has no exporter it answers
   * 'not-available', and the console says exactly that instead of pretending.
   */
  async exportDiagnostics(): Promise<void> {
    const c = this.stores.connection;
    if (c.getState().diagnostics.phase === 'running') return;
    const startedAtMs = this.now();
    c.setState({ diagnostics: { phase: 'running', startedAtMs } });
    try {
      const result = await this.link.call('diagnostics.export', {});
      c.setState({ diagnostics: { phase: 'done', result, tookMs: this.now() - startedAtMs } });
    } catch (e) {
      if (e instanceof RpcError && e.code === 'not-available' && this.link.status.phase === 'open') {
        c.setState({ diagnostics: { phase: 'not-available', message: e.message } });
      } else {
        c.setState({ diagnostics: { phase: 'error', message: errText(e) } });
      }
    }
  }
}

export function errText(e: unknown): string {
  if (e instanceof RpcError) return `${e.message} (${e.code})`;
  if (e instanceof Error) return e.message;
  return String(e);
}
