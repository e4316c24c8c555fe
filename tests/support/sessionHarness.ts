/**
 * A venue session on a recording SessionContext: what the session sent, said and published,
 * with books created on demand and anomalies answered by `resync` as the live feed does.
 */
import { expect } from 'vitest';
import type { Trade } from '../../src-shared/model/market.ts';
import { SymbolBook } from '../../src-main/engine/sync/symbolBook.ts';
import type { ConnectionPlan, SessionContext, SnapshotPriority, VenueSession, VenueSpec } from '../../src-main/engine/venues/venue.ts';

export interface SessionHarness {
  session: VenueSession;
  sent: string[];
  notices: { level: string; message: string; venueSymbol?: string }[];
  trades: Trade[];
  books: Map<string, SymbolBook>;
  /** REST snapshots the session asked for (with `restSnapshots`). */
  snapshotRequests: { venueSymbol: string; priority: SnapshotPriority }[];
  /** Feed received frames in order. */
  feed(frames: readonly string[]): void;
}

/**
 * `restSnapshots`: record the session's REST snapshot requests (venues that take them) instead
 * of failing on one (in-band venues must never ask).
 */
export function sessionHarness(spec: VenueSpec, venueSymbols: string[] = [], opts: { restSnapshots?: boolean } = {}): SessionHarness {
  const books = new Map<string, SymbolBook>();
  const h: SessionHarness = {
    session: undefined as unknown as VenueSession,
    sent: [],
    notices: [],
    trades: [],
    books,
    snapshotRequests: [],
    feed(frames) {
      let ns = 0n;
      for (const f of frames) h.session.onMessage(f, ns++);
    },
  };
  const ctx: SessionContext = {
    send: (frame) => h.sent.push(frame),
    book(venueSymbol) {
      let sb = books.get(venueSymbol);
      if (sb === undefined) {
        sb = new SymbolBook(spec.instrument(venueSymbol), {
          onAnomaly: (b, kind) => {
            if (kind !== 'stale') h.session.resync(b.symbol, kind);
          },
        }, () => 0);
        sb.book.depthCap = spec.depthCap;
        books.set(venueSymbol, sb);
      }
      return sb;
    },
    books: () => books.values(),
    requestSnapshot: (venueSymbol, priority) => {
      if (opts.restSnapshots === true) {
        h.snapshotRequests.push({ venueSymbol, priority });
        return;
      }
      throw new Error(`${spec.id} takes in-band snapshots and must not ask for REST snapshots`);
    },
    trade: (t) => h.trades.push(t),
    crossCheck: () => {},
    notice: (level, message, venueSymbol) => h.notices.push(venueSymbol === undefined ? { level, message } : { level, message, venueSymbol }),
    connectionAnomaly: (kind, detail) => {
      for (const sb of books.values()) sb.anomaly(kind, detail);
    },
  };
  const plan: ConnectionPlan = spec.plan(venueSymbols)[0] ?? { id: `${spec.id}#0`, url: spec.wsUrl, venueSymbols: [] };
  h.session = spec.createSession(ctx, plan);
  return h;
}

/**
 * Feed `frames` and `other` (the same stream laid out differently, e.g. for the parsing path
 * rather than an in-place scanner) to two sessions of `spec`, and expect the same outcome: the
 * same books with the same counters, top `depth` levels, state, transitions (with their
 * details) and exchange time, and the same notices. Returns both harnesses.
 */
export function expectSameOutcome(spec: VenueSpec, frames: readonly string[], other: readonly string[], depth: number): { a: SessionHarness; b: SessionHarness } {
  const a = sessionHarness(spec);
  const b = sessionHarness(spec);
  a.feed(frames);
  b.feed(other);
  expect([...a.books.keys()].sort()).toEqual([...b.books.keys()].sort());
  for (const [sym, sa] of a.books) {
    const sb = b.books.get(sym)!;
    expect({ ...sa.counters }, sym).toEqual({ ...sb.counters });
    expect(sa.book.top(depth), sym).toEqual(sb.book.top(depth));
    expect(sa.state, sym).toBe(sb.state);
    expect(sa.lastExchTsMs, sym).toBe(sb.lastExchTsMs);
    expect(sa.transitions, sym).toEqual(sb.transitions);
  }
  expect(a.notices.map((n) => n.message)).toEqual(b.notices.map((n) => n.message));
  return { a, b };
}
