/**
 * Engine throughput and latency: parse + normalize + apply, on the real captures, one core.
 *
 * For each data set the book messages (diffs, snapshots) are loaded into memory first, then fed
 * through the same offline run `depthdesk verify` uses (real venue sessions, real books). The
 * same messages go through tardis-dev's normalizing mapper + OrderBook in the same process, so
 * the ratio compares like with like. Each side is run warmupPasses() times first, then RUNS times
 * alternating with the other; the median run is reported (throughput), and latency comes from
 * one more, timed, run.
 * Prints figures; never asserts on them.
 */
import { readRecording } from '../../src-main/engine/replay/recording.ts';
import type { RecordLine } from '../../src-main/engine/replay/recording.ts';
import { VerifyRun } from '../../src-main/engine/verify/verify.ts';
import { VENUES } from '../../src-main/engine/venues/registry.ts';
import type { VenueId } from '../../src-shared/model/market.ts';
import { dataPath } from '../support/data.ts';
import { normalizeBookChanges, OrderBook as TardisOrderBook } from 'tardis-dev';
import { OkexV5BookChangeMapper } from 'tardis-dev/dist/mappers/okex.js';

interface DataSet {
  name: string;
  file: string;
  venue: VenueId;
  /** tardis-dev exchange id of the same feed. */
  tardis: 'binance' | 'binance-futures' | 'binance-delivery' | 'okex' | 'kraken';
  /** Keep only book frames (and REST snapshots). */
  isBook(raw: string): boolean;
}

const DATA_SETS: DataSet[] = [
  { name: 'binance spot BTCUSDT 10 min', file: 'binance/spot_BTCUSDT_2024-08-08T2354Z_10min.hftbacktest.ndjson.gz', venue: 'binance-spot', tardis: 'binance', isBook: (r) => r.includes('depthUpdate') },
  { name: 'binance usdm BTCUSDT 8 min', file: 'binance/usdm_BTCUSDT_2024-07-18T2357Z_8min.hftbacktest.ndjson.gz', venue: 'binance-usdm', tardis: 'binance-futures', isBook: (r) => r.includes('depthUpdate') },
  { name: 'binance coinm BTCUSD_PERP 11 min', file: 'binance/coinm_BTCUSD_PERP_2024-08-08T2354Z_11min.hftbacktest.ndjson.gz', venue: 'binance-coinm', tardis: 'binance-delivery', isBook: (r) => r.includes('depthUpdate') },
  { name: 'okx books-l2-tbt 2022-02-27', file: 'okx/cryptofeed_books-l2-tbt_2022-02-27.ndjson', venue: 'okx', tardis: 'okex', isBook: (r) => r.includes('"books') },
  { name: 'okx books 2022-05-13', file: 'okx/cryptofeed_books_2022-05-13.ndjson', venue: 'okx', tardis: 'okex', isBook: (r) => r.includes('"books') },
  { name: 'kraken v1 book-1000 10 pairs', file: 'kraken/cryptofeed_v1_book1000_XBTUSD+9pairs_2021-04-05_120s.ndjson', venue: 'kraken', tardis: 'kraken', isBook: (r) => r.includes('"book-') },
];

async function load(ds: DataSet): Promise<RecordLine[]> {
  const out: RecordLine[] = [];
  for await (const r of readRecording(dataPath(ds.file))) {
    if (r.dir === 'connect' || r.dir === 'http' || (r.dir === 'recv' && ds.isBook(r.raw))) out.push(r);
  }
  return out;
}

/**
 * Passes before measuring: at least WARMUP, and enough for WARMUP_MESSAGES messages (a 3,679
 * message recording passed 3 times is still being compiled when measured). Then RUNS measured
 * passes; the median is reported.
 */
const WARMUP = 3;
const WARMUP_MESSAGES = 200_000;
const RUNS = 7;

function warmupPasses(recs: readonly RecordLine[]): number {
  return Math.max(WARMUP, Math.ceil(WARMUP_MESSAGES / Math.max(1, recs.length)));
}

/** The run with the median time. */
function median<T extends { seconds: number }>(runs: T[]): T {
  return [...runs].sort((a, b) => a.seconds - b.seconds)[runs.length >> 1]!;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface RunFigures {
  seconds: number;
  messages: number;
  levelUpdates: number;
  p50Us: number;
  p99Us: number;
  p999Us: number;
  bytesPerLevel: number;
  levels: number;
}

function runDepthdesk(ds: DataSet, recs: RecordLine[], timed: boolean): RunFigures {
  const run = new VerifyRun(ds.file.split('/').pop()!, { venue: ds.venue });
  const lat = new Float64Array(recs.length);
  let n = 0;
  const t0 = process.hrtime.bigint();
  if (timed) {
    for (const r of recs) {
      const a = process.hrtime.bigint();
      run.handle(r);
      lat[n++] = Number(process.hrtime.bigint() - a) / 1000;
    }
  } else {
    for (const r of recs) run.handle(r);
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const reports = run.report();
  let levelUpdates = 0;
  let messages = 0;
  for (const s of reports) {
    levelUpdates += s.counters.levelUpdates;
    messages += s.counters.messages;
  }
  const sorted = lat.subarray(0, n).sort();
  let bytes = 0;
  let levels = 0;
  for (const sb of run.allBooks()) {
    const l = sb.book.levelCount();
    bytes += sb.book.bytesPerLevel() * l;
    levels += l;
  }
  return { seconds, messages, levelUpdates, p50Us: percentile(sorted, 50), p99Us: percentile(sorted, 99), p999Us: percentile(sorted, 99.9), bytesPerLevel: levels ? bytes / levels : 0, levels };
}

/** tardis-dev needs Binance REST snapshots as generated `depthSnapshot` stream messages. */
function tardisMessage(ds: DataSet, r: RecordLine, lastSymbol: string): unknown {
  const msg = JSON.parse(r.raw);
  if (r.dir === 'http' && ds.tardis.startsWith('binance')) {
    const sym = (/[?&]symbol=([A-Za-z0-9_]+)/.exec(r.url)?.[1] ?? lastSymbol).toLowerCase();
    return { stream: `${sym}@depthSnapshot`, generated: true, data: msg };
  }
  return msg;
}

function tardisMapper(ds: DataSet, recs: RecordLine[]) {
  // tardis-dev picks its mapper by the data's date (OKX v5 from 2021-12); the public `books`
  // channel is what it uses without VIP credentials (usePublicBooksChannel = true).
  const first = new Date(Number(recs[0]!.recvTsNs / 1_000_000n));
  if (ds.tardis === 'okex') return new OkexV5BookChangeMapper('okex', !ds.file.includes('l2-tbt'));
  return normalizeBookChanges(ds.tardis, first);
}

function runTardis(ds: DataSet, recs: RecordLine[]): { seconds: number; changes: number; levelUpdates: number } {
  const mapper = tardisMapper(ds, recs);
  const books = new Map<string, TardisOrderBook>();
  let lastSymbol = '';
  let changes = 0;
  let levelUpdates = 0;
  // Pre-resolve symbols for snapshots without URL (hftbacktest): the stream's only symbol.
  for (const r of recs) {
    const m = /"s":"([A-Z0-9_]+)"/.exec(r.raw);
    if (m) {
      lastSymbol = m[1]!;
      break;
    }
  }
  const t0 = process.hrtime.bigint();
  for (const r of recs) {
    if (r.dir === 'connect') continue;
    const msg = tardisMessage(ds, r, lastSymbol);
    const ts = new Date(Number(r.recvTsNs / 1_000_000n));
    if (!mapper.canHandle(msg as never)) continue;
    for (const change of (mapper.map(msg as never, ts) ?? []) as Iterable<{ symbol: string; bids: unknown[]; asks: unknown[] }>) {
      let ob = books.get(change.symbol);
      if (ob === undefined) {
        ob = new TardisOrderBook();
        books.set(change.symbol, ob);
      }
      ob.update(change as never);
      changes++;
      levelUpdates += change.bids.length + change.asks.length;
    }
  }
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, changes, levelUpdates };
}

export async function run(): Promise<Record<string, number | string>> {
  const out: Record<string, number | string> = {};
  let totalUpdates = 0;
  let totalSeconds = 0;
  let totalTardisSeconds = 0;
  let totalTardisUpdates = 0;
  for (const ds of DATA_SETS) {
    if (!VENUES.has(ds.venue)) {
      console.log(`engine: ${ds.name}: venue ${ds.venue} not registered in this build, skipped`);
      out[`${ds.name}: skipped`] = 'venue not registered';
      continue;
    }
    const recs = await load(ds);
    // Both paths get the same treatment: warm-up passes for the JIT to settle (the engine runs
    // for hours; the first passes measure the compiler, not the code), then the median of RUNS.
    const warmup = warmupPasses(recs);
    for (let k = 0; k < warmup; k++) runDepthdesk(ds, recs, false);
    let tardisOk = true;
    try {
      for (let k = 0; k < warmup; k++) runTardis(ds, recs);
    } catch (e) {
      tardisOk = false;
      console.log(`engine: ${ds.name}: tardis-dev could not process the messages: ${(e as Error).message}`);
    }
    // Measured passes alternate between the two engines: this machine's speed drifts by up to 2x
    // over seconds, and alternating puts both medians in the same phases, so the ratio holds.
    const ours: ReturnType<typeof runDepthdesk>[] = [];
    const theirs: ReturnType<typeof runTardis>[] = [];
    for (let k = 0; k < RUNS; k++) {
      ours.push(runDepthdesk(ds, recs, false));
      if (tardisOk) theirs.push(runTardis(ds, recs));
    }
    const thr = median(ours);
    let tardis = tardisOk ? median(theirs) : null;
    const lat = runDepthdesk(ds, recs, true);
    const ups = thr.levelUpdates / thr.seconds;
    const mps = thr.messages / thr.seconds;
    totalUpdates += thr.levelUpdates;
    totalSeconds += thr.seconds;
    const line = [
      `${ds.name}:`,
      `${thr.messages} msgs, ${thr.levelUpdates} level updates in ${(thr.seconds * 1000).toFixed(1)} ms`,
      `=> ${(ups / 1e6).toFixed(2)} M level updates/s, ${(mps / 1e3).toFixed(1)} k msgs/s`,
      `latency/msg p50 ${lat.p50Us.toFixed(2)} us p99 ${lat.p99Us.toFixed(2)} us p99.9 ${lat.p999Us.toFixed(2)} us`,
      `${thr.bytesPerLevel.toFixed(1)} bytes/level over ${thr.levels} levels`,
    ];
    out[`${ds.name}: level updates/s`] = Math.round(ups);
    out[`${ds.name}: messages/s`] = Math.round(mps);
    out[`${ds.name}: latency p50 us`] = +lat.p50Us.toFixed(3);
    out[`${ds.name}: latency p99 us`] = +lat.p99Us.toFixed(3);
    out[`${ds.name}: latency p99.9 us`] = +lat.p999Us.toFixed(3);
    out[`${ds.name}: bytes per level`] = +thr.bytesPerLevel.toFixed(1);
    if (tardis && tardis.changes === 0) {
      line.push('tardis-dev: its mapper accepted none of these messages; no ratio');
      tardis = null;
    }
    if (tardis) {
      const tups = tardis.levelUpdates / tardis.seconds;
      // Compare time for the same messages (tardis counts level updates its own way).
      const ratio = tardis.seconds / thr.seconds;
      totalTardisSeconds += tardis.seconds;
      totalTardisUpdates += tardis.levelUpdates;
      line.push(`tardis-dev: ${(tardis.seconds * 1000).toFixed(1)} ms (${(tups / 1e6).toFixed(2)} M level updates/s) => depthdesk ${ratio.toFixed(2)}x faster`);
      out[`${ds.name}: tardis-dev level updates/s`] = Math.round(tups);
      out[`${ds.name}: speedup vs tardis-dev`] = +ratio.toFixed(2);
    }
    console.log(`engine: ${line.join('\n        ')}`);
  }
  if (totalSeconds > 0) {
    out['all: level updates/s'] = Math.round(totalUpdates / totalSeconds);
    console.log(`engine: all data sets: ${(totalUpdates / totalSeconds / 1e6).toFixed(2)} M level updates/s`);
  }
  if (totalTardisSeconds > 0) {
    out['all: tardis-dev level updates/s'] = Math.round(totalTardisUpdates / totalTardisSeconds);
  }
  return out;
}

if (import.meta.main) {
  await run();
}
