/**
 * Contract frames for the console's component and store tests, built from REAL recordings: each
 * file runs through the real venue sessions and books (`verifyFile`), and the engine's own view
 * builders (src-main/engine/services/statusViews.ts) turn the books into `SymbolStatus`,
 * `BookView` and `TradeView` exactly as the engine would send them. Nothing here invents a price:
 * every level, size and trade is what the venue sent, rebuilt by the engine.
 *
 * Fault cases are transformations of the real streams (a dropped diff line), written to a
 * temporary file outside the repository.
 *
 * What the engine would add over time (venue tiles, NBBO across venues, resync events) is derived
 * here from the same books: venue tiles aggregate the symbols' counters; NBBO is the engine's own
 * (analytics/nbbo.ts) over the final books; resync events pair each book's transition into
 * `resyncing` with its next `live`.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { BookView, EngineStatus, NbboView, ResyncEvent, StatsFrame, SymbolStatus, TradeView, TransitionEvent, VenueStatus } from '../../src-shared/contracts/engineApi.ts';
import type { AnomalyKind, VenueId } from '../../src-shared/model/market.ts';
import { computeNbbo } from '../../src-main/engine/analytics/nbbo.ts';
import { bookView, symbolStatus, tradeView } from '../../src-main/engine/services/statusViews.ts';
import type { SymbolBook } from '../../src-main/engine/sync/symbolBook.ts';
import { verifyFile } from '../../src-main/engine/verify/verify.ts';
import { VENUES } from '../../src-main/engine/venues/registry.ts';
import { dataPath } from './data.ts';

export interface ConsoleFixture {
  files: string[];
  /** status.get at the end of the recordings. */
  status: EngineStatus;
  /** Stats frames, one per second of recorded time per file (all rows seen so far + tiles). */
  statsFrames: StatsFrame[];
  /** Per book key ("venue|symbol"): views captured every `every` applied messages while live. */
  bookViews: Map<string, BookView[]>;
  /** Final view per book key. */
  finalBooks: Map<string, BookView>;
  trades: TradeView[];
  transitions: TransitionEvent[];
  resyncs: ResyncEvent[];
  nbbo: NbboView[];
}

export interface FixtureOptions {
  depth?: number;
  /** Capture a book view every N applied messages of that book (default 25). */
  every?: number;
  /** Lines of the file to drop (1-based), to inject a gap into a real stream. */
  dropLines?: Map<string, number[]>;
}

const PROCESS = 'feed-0';

/** A copy of a recording without some of its lines (a dropped frame), in a temp dir. */
export function withoutLines(rel: string, lines: readonly number[]): string {
  const src = dataPath(rel);
  const buf = readFileSync(src);
  const text = (src.endsWith('.gz') ? gunzipSync(buf) : buf).toString('utf8');
  const drop = new Set(lines);
  const kept = text.split('\n').filter((_, i) => !drop.has(i + 1));
  const dir = mkdtempSync(join(tmpdir(), 'depthdesk-console-'));
  const out = join(dir, basename(src).replace(/\.gz$/, ''));
  writeFileSync(out, kept.join('\n'));
  return out;
}

interface Tracked {
  sb: SymbolBook;
  applied: number;
  lastRecvMs: number;
}

function venueTiles(books: Iterable<Tracked>, windowMsgs: Map<string, { msgs: number; bytes: number }>, conns: Map<string, Set<string>>): VenueStatus[] {
  const by = new Map<VenueId, Tracked[]>();
  for (const t of books) {
    const v = t.sb.instrument.venue;
    let l = by.get(v);
    if (!l) by.set(v, (l = []));
    l.push(t);
  }
  const out: VenueStatus[] = [];
  for (const [venue, list] of by) {
    const lat: number[] = [];
    for (const t of list) {
      const n = Math.min(t.sb.latencyCount, t.sb.latencyUs.length);
      for (let i = 0; i < n; i++) lat.push(t.sb.latencyUs[i]!);
    }
    lat.sort((a, b) => a - b);
    const pct = (p: number) => (lat.length === 0 ? null : lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))]!);
    const sum = (f: (t: Tracked) => number) => list.reduce((a, t) => a + f(t), 0);
    const w = windowMsgs.get(venue) ?? { msgs: 0, bytes: 0 };
    const c = conns.get(venue)?.size ?? 1;
    const p50 = pct(50);
    out.push({
      venue,
      label: VENUES.get(venue)?.label ?? venue,
      connections: c,
      connectionsOpen: c,
      messagesPerSec: w.msgs,
      bytesPerSec: w.bytes,
      latencyP50Us: p50,
      latencyP99Us: pct(99),
      clockOffsetMs: p50 === null ? null : Math.round(p50 / 1000),
      reconnects: 0,
      gaps: sum((t) => t.sb.counters.gaps),
      resyncs: sum((t) => t.sb.counters.resyncs),
      checksumOk: sum((t) => t.sb.counters.checksumOk),
      checksumFailed: sum((t) => t.sb.counters.checksumFailed),
      symbols: list.length,
      liveSymbols: list.filter((t) => t.sb.isLive()).length,
      staleSymbols: list.filter((t) => t.sb.state === 'stale').length,
      rest: null,
    });
  }
  return out.sort((a, b) => (a.venue < b.venue ? -1 : 1));
}

/** The engine's own NBBO over these books (src-main/engine/analytics/nbbo.ts). */
export function nbboOf(rows: readonly SymbolStatus[], tsMs: number): NbboView[] {
  return computeNbbo(rows, { nowMs: tsMs });
}

/** Resync events from real transitions: into `resyncing` (start) and the next `live` (end). */
function resyncsOf(sb: SymbolBook): ResyncEvent[] {
  const out: ResyncEvent[] = [];
  let open: ResyncEvent | null = null;
  let n = 0;
  for (const t of sb.transitions) {
    if (t.to === 'resyncing') {
      if (open) {
        open.outcome = 'superseded';
        open.endedMs = t.tsMs;
        open.durationMs = t.tsMs - open.startedMs;
      }
      open = { id: `${sb.instrument.venue}:${sb.symbol}:${n++}`, venue: sb.instrument.venue, symbol: sb.symbol, cause: t.cause as AnomalyKind, detail: t.detail ?? '', startedMs: t.tsMs, endedMs: null, durationMs: null, outcome: 'pending' };
      out.push(open);
    } else if (t.to === 'live' && open) {
      open.outcome = 'live';
      open.endedMs = t.tsMs;
      open.durationMs = t.tsMs - open.startedMs;
      open = null;
    }
  }
  return out;
}

const cache = new Map<string, Promise<ConsoleFixture>>();

/** Frames for the console from recordings (paths relative to ../shared/data). Cached per arguments. */
export function consoleFixture(files: string[], opts: FixtureOptions = {}): Promise<ConsoleFixture> {
  const key = JSON.stringify([files, opts.depth, opts.every, [...(opts.dropLines ?? new Map()).entries()]]);
  let p = cache.get(key);
  if (!p) {
    p = build(files, opts);
    cache.set(key, p);
  }
  return p;
}

async function build(files: string[], opts: FixtureOptions): Promise<ConsoleFixture> {
  const depth = opts.depth ?? 20;
  const every = opts.every ?? 25;
  const tracked = new Map<string, Tracked>();
  const bookViews = new Map<string, BookView[]>();
  const trades: TradeView[] = [];
  const statsFrames: StatsFrame[] = [];
  let endMs = 0;
  const conns = new Map<string, Set<string>>();
  /** Messages and bytes per venue in the last complete second of recorded time. */
  const rates = new Map<string, { msgs: number; bytes: number }>();
  for (const rel of files) {
    const drop = opts.dropLines?.get(rel);
    const path = drop ? withoutLines(rel, drop) : dataPath(rel);
    let windowStart = -1;
    let window = new Map<string, { msgs: number; bytes: number }>();
    const report = await verifyFile(path, {
      onApplied: (sb, rec) => {
        const k = `${sb.instrument.venue}|${sb.symbol}`;
        const recvMs = Number(rec.recvTsNs / 1_000_000n);
        let t = tracked.get(k);
        if (!t) tracked.set(k, (t = { sb, applied: 0, lastRecvMs: recvMs }));
        t.sb = sb;
        t.applied++;
        t.lastRecvMs = recvMs;
        endMs = Math.max(endMs, recvMs);
        const v = sb.instrument.venue;
        let set = conns.get(v);
        if (!set) conns.set(v, (set = new Set()));
        set.add(rec.conn);
        let w = window.get(v);
        if (!w) window.set(v, (w = { msgs: 0, bytes: 0 }));
        w.msgs++;
        w.bytes += rec.raw.length;
        if (sb.isLive() && t.applied % every === 0) {
          let l = bookViews.get(k);
          if (!l) bookViews.set(k, (l = []));
          l.push(bookView(sb, depth, recvMs));
        }
        if (windowStart < 0) windowStart = recvMs;
        if (recvMs - windowStart >= 1_000) {
          // One stats frame per second of recorded time, as the engine's stats interval would.
          for (const [venue, r] of window) rates.set(venue, r);
          window = new Map();
          windowStart = recvMs;
          statsFrames.push({
            symbols: [...tracked.values()].map((x) => symbolStatus(x.sb, PROCESS, recvMs)),
            venues: venueTiles(tracked.values(), rates, conns),
            nbbo: [],
            tsMs: recvMs,
          });
        }
      },
      onTrade: (tr) => trades.push(tradeView(tr)),
    });
    if (report.error) throw new Error(`${rel}: ${report.error}`);
    const last = statsFrames[statsFrames.length - 1];
    if (last) last.nbbo = nbboOf(last.symbols, last.tsMs);
  }
  const rows = [...tracked.values()].map((t) => symbolStatus(t.sb, PROCESS, endMs));
  const venues = venueTiles(tracked.values(), rates, conns);
  const finalBooks = new Map<string, BookView>();
  const transitions: TransitionEvent[] = [];
  const resyncs: ResyncEvent[] = [];
  for (const [k, t] of tracked) {
    finalBooks.set(k, bookView(t.sb, depth, t.lastRecvMs));
    for (const tr of t.sb.transitions) transitions.push({ venue: t.sb.instrument.venue, symbol: t.sb.symbol, from: tr.from, to: tr.to, cause: tr.cause, detail: tr.detail ?? null, tsMs: tr.tsMs });
    resyncs.push(...resyncsOf(t.sb));
  }
  transitions.sort((a, b) => a.tsMs - b.tsMs);
  const status: EngineStatus = {
    build: 'fixture',
    startedMs: statsFrames[0]?.tsMs ?? endMs,
    nowMs: endMs,
    mode: 'replay',
    venues,
    symbols: rows,
    processes: [{ name: PROCESS, role: 'feed', pid: null, state: 'running', restarts: 0, lastExit: null, venues: venues.map((v) => v.venue), uptimeMs: 0 }],
    publisher: null,
  };
  return { files, status, statsFrames, bookViews, finalBooks, trades, transitions, resyncs, nbbo: nbboOf(rows, endMs) };
}
