/**
 * An engine over recordings, offline: each recording runs through its own `VerifyRun` (the real
 * venue sessions and books, as `depthdesk verify` feeds them), and the runs are interleaved so
 * that several venues progress together. It offers the hooks the multicast publisher takes from
 * the live `EngineService` (`PublishingEngine`): applied messages, trades, and state transitions.
 *
 * Transitions: VerifyRun has no transition hook, so after every record the books of that run are
 * compared with the state they had before it, and each change is reported with the book's own
 * last Transition (its real cause). A book that goes out of live and back inside one record is
 * reported by its end state only; the live engine reports every step.
 */
import type { TransitionEvent } from '../../src-shared/contracts/engineApi.ts';
import type { SyncState, Trade, VenueId } from '../../src-shared/model/market.ts';
import type { PublishingEngine } from '../../src-main/engine/publish/attachPublisher.ts';
import type { RecordLine } from '../../src-main/engine/replay/recording.ts';
import type { SymbolBook } from '../../src-main/engine/sync/symbolBook.ts';
import { VerifyRun } from '../../src-main/engine/verify/verify.ts';
import type { VerifyOptions } from '../../src-main/engine/verify/verify.ts';

export interface RecordedSource {
  /** File name (venue inference for recordings without URLs, as verify does). */
  file: string;
  records: readonly RecordLine[];
  venue?: VenueId;
}

interface SourceRun {
  run: VerifyRun;
  records: readonly RecordLine[];
  next: number;
  states: Map<SymbolBook, SyncState>;
}

export class RecordedEngine implements PublishingEngine {
  private readonly sources: SourceRun[];
  private readonly books = new Map<string, SymbolBook>();
  private readonly bookFns = new Set<(sb: SymbolBook) => void>();
  private readonly tradeFns = new Set<(t: Trade) => void>();
  private readonly transitionFns = new Set<(t: TransitionEvent) => void>();
  /** Every transition reported, in order (tests check what the publisher was told). */
  readonly transitions: TransitionEvent[] = [];
  /** Called before the publisher hook of each applied message (benchmarks take the time here). */
  beforeBook: ((sb: SymbolBook) => void) | undefined;

  constructor(sources: readonly RecordedSource[]) {
    this.sources = sources.map((s) => {
      const opts: VerifyOptions = {
        onApplied: (sb) => this.applied(sb),
        onTrade: (t) => {
          for (const fn of this.tradeFns) fn(t);
        },
      };
      if (s.venue !== undefined) opts.venue = s.venue;
      return { run: new VerifyRun(s.file, opts), records: s.records, next: 0, states: new Map() };
    });
  }

  get total(): number {
    return this.sources.reduce((n, s) => n + s.records.length, 0);
  }

  get done(): boolean {
    return this.sources.every((s) => s.next >= s.records.length);
  }

  /**
   * Handle the next record of the source that is least far along its own recording, so every
   * source advances in proportion to its length. Returns false when all are done.
   */
  step(): boolean {
    let best: SourceRun | undefined;
    let bestProgress = Number.POSITIVE_INFINITY;
    for (const s of this.sources) {
      if (s.next >= s.records.length) continue;
      const p = s.next / s.records.length;
      if (p < bestProgress) {
        bestProgress = p;
        best = s;
      }
    }
    if (best === undefined) return false;
    best.run.handle(best.records[best.next++]!);
    this.pollTransitions(best);
    return true;
  }

  /** Every book any run opened. */
  *allBooks(): Iterable<SymbolBook> {
    for (const s of this.sources) yield* s.run.allBooks();
  }

  reports(): ReturnType<VerifyRun['report']> {
    return this.sources.flatMap((s) => s.run.report());
  }

  // PublishingEngine

  onBook(fn: (sb: SymbolBook) => void): () => void {
    this.bookFns.add(fn);
    return () => this.bookFns.delete(fn);
  }

  onTrade(fn: (t: Trade) => void): () => void {
    this.tradeFns.add(fn);
    return () => this.tradeFns.delete(fn);
  }

  on(_topic: 'feed.transition', fn: (t: TransitionEvent) => void): () => void {
    this.transitionFns.add(fn);
    return () => this.transitionFns.delete(fn);
  }

  book(venue: VenueId, venueSymbol: string): SymbolBook | undefined {
    return this.books.get(`${venue}|${venueSymbol}`);
  }

  private remember(sb: SymbolBook): void {
    const key = `${sb.instrument.venue}|${sb.symbol}`;
    const known = this.books.get(key);
    if (known !== undefined && known !== sb) {
      // Two runs (or two connections of one run) carrying one book would publish two different
      // books under one instrument: the sources must not overlap.
      throw new Error(`${key} is carried by two sources; give the recorded engine disjoint recordings`);
    }
    this.books.set(key, sb);
  }

  private applied(sb: SymbolBook): void {
    this.remember(sb);
    this.beforeBook?.(sb);
    for (const fn of this.bookFns) fn(sb);
  }

  private pollTransitions(s: SourceRun): void {
    for (const sb of s.run.allBooks()) {
      const before = s.states.get(sb) ?? 'connecting';
      if (sb.state === before) continue;
      s.states.set(sb, sb.state);
      this.remember(sb);
      const last = sb.transitions.at(-1);
      const ev: TransitionEvent = {
        venue: sb.instrument.venue,
        symbol: sb.symbol,
        from: before,
        to: sb.state,
        cause: last?.cause ?? 'observed',
        detail: last?.detail ?? null,
        tsMs: last?.tsMs ?? 0,
      };
      this.transitions.push(ev);
      for (const fn of this.transitionFns) fn(ev);
    }
  }
}
