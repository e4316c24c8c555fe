/**
 * The live engine against local venue servers replaying real recordings: start both, collect the
 * engine's events, wait for conditions without timing assumptions (vitest's test timeout is the
 * only bound), and compare a live book with the server's reference book.
 */
import { expect } from 'vitest';
import type { NoticeEvent, ResyncEvent, TransitionEvent } from '../../src-shared/contracts/engineApi.ts';
import { formatScaled, rescale } from '../../src-shared/model/decimal.ts';
import type { VenueId } from '../../src-shared/model/market.ts';
import type { BookSide } from '../../src-main/engine/book/orderBook.ts';
import { mulberry32 } from '../../src-main/engine/feed/backoff.ts';
import { startReplay } from '../../src-main/engine/replay/replayPlan.ts';
import type { ReplayPlan, ReplayPlanOptions } from '../../src-main/engine/replay/replayPlan.ts';
import type { VenueServer } from '../../src-main/engine/replay/venueServer.ts';
import { EngineService } from '../../src-main/engine/services/engineService.ts';
import type { EngineVenueConfig, FeedTiming } from '../../src-main/engine/services/engineService.ts';
import type { SymbolBook } from '../../src-main/engine/sync/symbolBook.ts';
import { dataPath } from './data.ts';

export interface LiveReplay {
  plan: ReplayPlan;
  /** The (single) venue server. */
  server: VenueServer;
  venue: VenueId;
  svc: EngineService;
  transitions: TransitionEvent[];
  resyncs: ResyncEvent[];
  notices: NoticeEvent[];
  book(symbol: string): SymbolBook;
  close(): Promise<void>;
}

export interface LiveReplayOptions {
  speed?: number;
  timing?: Partial<FeedTiming>;
  server?: ReplayPlanOptions['server'];
  seed?: number;
  /** Called with the service before it starts (attach hot-path listeners). */
  before?(svc: EngineService): void;
  /** Change the venue configuration the replay plan made (point REST at a fault-injecting proxy). */
  configure?(venue: EngineVenueConfig, server: VenueServer): EngineVenueConfig | Promise<EngineVenueConfig>;
}

/** Short, test-only timing: fast reconnects; staleness off unless a test turns it on. */
export const TEST_TIMING: Partial<FeedTiming> = {
  staleAfterMs: 3_600_000,
  reconnect: { initialMs: 20, maxMs: 200 },
  restRetry: { initialMs: 20, maxMs: 200 },
  statsIntervalMs: 50,
  bookFrameIntervalMs: 20,
};

/** Replay `rel` (a path under ../shared/data) to a fresh EngineService. */
export async function liveReplay(rel: string, opts: LiveReplayOptions = {}): Promise<LiveReplay> {
  const r = await startReplay({ files: [dataPath(rel)], speed: opts.speed ?? 0, ...(opts.server ? { server: opts.server } : {}) });
  if (!r.ok) throw new Error(r.error);
  const plan = r.plan;
  const server = plan.servers[0]!;
  const venues = opts.configure === undefined ? plan.venues : await Promise.all(plan.venues.map((v) => opts.configure!(v, server)));
  const svc = new EngineService({
    venues,
    processName: 'feed-test',
    mode: 'replay',
    timing: { ...TEST_TIMING, ...opts.timing },
    random: mulberry32(opts.seed ?? 7),
  });
  const transitions: TransitionEvent[] = [];
  const resyncs: ResyncEvent[] = [];
  const notices: NoticeEvent[] = [];
  svc.on('feed.transition', (e) => transitions.push(e));
  svc.on('feed.resync', (e) => resyncs.push(e));
  svc.on('feed.notice', (e) => notices.push(e));
  opts.before?.(svc);
  await svc.start();
  return {
    plan,
    server,
    venue: server.venue,
    svc,
    transitions,
    resyncs,
    notices,
    book(symbol: string): SymbolBook {
      const sb = svc.book(server.venue, symbol);
      if (sb === undefined) throw new Error(`no book ${symbol}`);
      return sb;
    },
    async close() {
      await svc.stop();
      await plan.close();
    },
  };
}

/** Resolve once `cond()` holds (checked every few ms). */
export async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((resolve) => setTimeout(resolve, 5));
}

/** Every recorded frame was sent and every frame the server sent was received by the engine. */
export async function delivered(run: LiveReplay): Promise<void> {
  await run.server.ended;
  await until(() => {
    const sent = run.server.clients().reduce((n, c) => n + c.framesSent, 0);
    const received = run.svc.connections(run.venue).reduce((n, c) => n + c.connection.counters.messages, 0);
    return sent === received;
  });
}

/**
 * The replay sent its last frame and every book caught up with its reference (same sequence id,
 * live). Books whose symbol the replay never synced are not waited for.
 */
export async function quiescent(r: LiveReplay): Promise<void> {
  await r.server.ended;
  await until(() =>
    [...r.svc.books()].every((sb) => {
      const ref = r.server.reference(sb.symbol);
      return ref === undefined || (sb.seq === ref.seq && sb.state === 'live');
    }),
  );
}

interface Lvl {
  key: number;
  price: string;
  size: string;
}

function levelsOf(side: BookSide, priceScale: number, sizeScale: number, scale: number): Lvl[] {
  const out: Lvl[] = [];
  for (let i = 0; i < side.count; i++) {
    const p = side.priceAt(i);
    out.push({ key: rescale(p, priceScale, scale), price: formatScaled(p, priceScale), size: formatScaled(side.sizeAtLevel(i), sizeScale) });
  }
  return out;
}

/**
 * Differences between a live book and the reference book, as text (empty = exact):
 * - the top `topN` levels per side must be identical;
 * - inside the live book's trust band (the range its snapshot proved), every level must be
 *   identical, none missing, none extra;
 * - outside the band the live book may know fewer levels (its snapshot was depth-limited), but
 *   every level it holds must be in the reference with the same size.
 */
export function bookDifferences(sb: SymbolBook, ref: SymbolBook, topN: number): string[] {
  const out: string[] = [];
  const a = sb.book;
  const b = ref.book;
  const scale = Math.max(a.priceScale, b.priceScale);
  const band = a.trustBand();
  for (const isBid of [true, false]) {
    const name = isBid ? 'bid' : 'ask';
    const mine = levelsOf(a.side(isBid), a.priceScale, a.sizeScale, scale);
    const theirs = levelsOf(b.side(isBid), b.priceScale, b.sizeScale, scale);
    for (let i = 0; i < topN; i++) {
      const x = mine[i];
      const y = theirs[i];
      if (x?.price !== y?.price || x?.size !== y?.size) out.push(`${sb.symbol} ${name} level ${i}: ${x ? `${x.price}@${x.size}` : 'none'} vs reference ${y ? `${y.price}@${y.size}` : 'none'}`);
    }
    const edge = isBid ? band.bidFloor : band.askCeiling;
    const inside = (l: Lvl) => Number.isNaN(edge) || (isBid ? l.key >= rescale(edge, a.priceScale, scale) : l.key <= rescale(edge, a.priceScale, scale));
    const ref = new Map(theirs.map((l) => [l.key, l]));
    const have = new Map(mine.map((l) => [l.key, l]));
    for (const l of mine) {
      const r = ref.get(l.key);
      if (r === undefined || r.size !== l.size) out.push(`${sb.symbol} ${name} ${l.price}@${l.size} vs reference ${r ? r.size : 'absent'}`);
    }
    for (const r of theirs) if (inside(r) && !have.has(r.key)) out.push(`${sb.symbol} ${name} ${r.price}@${r.size} missing inside the trust band`);
  }
  return out;
}

export interface ExactOptions {
  /** Levels per side that must be identical from the top (default 50). */
  topN?: number;
  /** The book is live. */
  live?: boolean;
  /** The book applied the same last sequence id as its reference. */
  seq?: boolean;
  /** The book holds as many levels as its reference (windowed feeds: the whole window). */
  levelCount?: boolean;
}

/** Every book of the run has a reference on the server and equals it (`bookDifferences`). */
export function expectAllExact(run: LiveReplay, opts: ExactOptions = {}): void {
  for (const sb of run.svc.books()) {
    const ref = run.server.reference(sb.symbol);
    expect(ref, `${sb.symbol} reference`).toBeDefined();
    if (ref === undefined) continue;
    if (opts.live === true) expect(sb.state, sb.symbol).toBe('live');
    if (opts.seq === true) expect(sb.seq, sb.symbol).toBe(ref.seq);
    expect(bookDifferences(sb, ref, opts.topN ?? 50), sb.symbol).toEqual([]);
    if (opts.levelCount === true) expect(sb.book.levelCount(), sb.symbol).toBe(ref.book.levelCount());
  }
}

/** Transitions of `symbol` out of "live" after it first became live. */
export function leftLive(r: LiveReplay, symbol: string): TransitionEvent[] {
  const mine = r.transitions.filter((t) => t.symbol === symbol);
  const first = mine.findIndex((t) => t.to === 'live');
  return first < 0 ? [] : mine.slice(first + 1).filter((t) => t.from === 'live');
}

/** Counts of active handles by type (sockets, servers, timers). */
export function activeHandles(): Map<string, number> {
  const m = new Map<string, number>();
  for (const t of process.getActiveResourcesInfo()) m.set(t, (m.get(t) ?? 0) + 1);
  return m;
}

/**
 * Fail when sockets, servers or timers outlive the test that made them. Closed handles are freed
 * by libuv on a later turn of the loop, so the check looks again for a few turns before it fails.
 */
export async function expectNoLeaks(baseline: Map<string, number>): Promise<void> {
  let extra: string[] = [];
  for (let turn = 0; turn < 100; turn++) {
    extra = [];
    for (const [type, n] of activeHandles()) {
      if (type === 'PipeWrap' || type === 'TTYWrap' || type === 'FSReqCallback') continue;
      const more = n - (baseline.get(type) ?? 0);
      if (more > 0) extra.push(`${more} x ${type}`);
    }
    if (extra.length === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`leaked handles after the test closed everything: ${extra.join(', ')}`);
}
