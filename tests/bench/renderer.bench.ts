/**
 * Renderer benchmark (not a test; `npm run bench` runs it): the console page in real Chromium,
 * fed by `depthdesk serve --replay` replaying every shared recording at maximum speed.
 *
 * Recordings: every file of ../shared/data whose venue has a replay protocol. Files that carry
 * the same (venue, symbol) cannot run in one replay (two unrelated id chains), so they are split
 * greedily into batches; each batch is one serve run, measured while it replays, and the samples
 * of all batches are pooled.
 *
 * 1000 rows in the table: the recordings hold about two hundred books, a few dozen per batch.
 * To load the table with 1000 rows, the benchmark (not the console) rewrites the bridge traffic in
 * the page (an init script wrapping WebSocket): every symbol row of `status.get` and `stats.frame`
 * is repeated under suffixed keys ("BTCUSDT#r2") with the same real figures, so each frame
 * updates 1000 rows at the rate the real rows change. Ladders get the real book frames of the
 * busiest books of the batch, unmodified.
 *
 * Figures (ms, from the page, `?perf`; see src-renderer/lib/perfProbe.ts):
 * - frame_work_p50/p95/p99: main-thread time per animation frame, rendering included;
 * - frame_interval_p95: time between animation frames (60 Hz = 16.7 ms when none is dropped);
 * - ladder_update_to_paint_p50/p95: a book frame's arrival in the page to the end of the frame
 *   that painted its ladder.
 * Target (issue "The console"): p95 frame under 16 ms with 1000 symbols in the table.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { EngineStatus } from '../../src-shared/contracts/engineApi.ts';
import type { VenueId } from '../../src-shared/model/market.ts';
import { loadRecording } from '../../src-main/engine/replay/recording.ts';
import { splitByVenue } from '../../src-main/engine/replay/replayPlan.ts';
import { replayProtocol } from '../../src-main/engine/replay/replayProtocols.ts';
import { dataDir, repoRoot } from '../support/data.ts';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const TABLE_ROWS = 1000;
const LADDERS = 4;
/** Longest a batch is measured (the replay usually ends sooner). */
const BATCH_MAX_MS = 25_000;

interface Planned {
  file: string;
  keys: Set<string>;
  records: number;
  perSymbol: Map<string, number>;
}

async function plan(): Promise<{ batches: Planned[][]; skipped: string[] }> {
  const root = dataDir();
  const files: string[] = [];
  for (const d of readdirSync(root, { withFileTypes: true })) {
    if (!d.isDirectory()) continue;
    for (const f of readdirSync(join(root, d.name)).sort()) if (/\.ndjson(\.gz)?$/.test(f)) files.push(join(root, d.name, f));
  }
  const batches: Planned[][] = [];
  const skipped: string[] = [];
  for (const file of files) {
    const records = await loadRecording(file).catch(() => null);
    const split = records ? splitByVenue(file, records) : null;
    if (!records || !split || !split.ok) {
      skipped.push(`${file.slice(root.length + 1)} (venue not known from the records)`);
      continue;
    }
    const keys = new Set<string>();
    const perSymbol = new Map<string, number>();
    let replayable = true;
    for (const [venue, recs] of split.byVenue) {
      const protocol = replayProtocol(venue);
      if (!protocol) {
        replayable = false;
        skipped.push(`${file.slice(root.length + 1)} (${venue} has no replay protocol)`);
        break;
      }
      for (const r of recs) {
        if (r.dir !== 'recv') continue;
        const t = protocol.topicOf(r.raw);
        if (t === undefined) continue;
        const k = `${venue}|${t.symbol}`;
        keys.add(k);
        if (protocol.isBookChannel(t.channel)) perSymbol.set(k, (perSymbol.get(k) ?? 0) + 1);
      }
    }
    if (!replayable || perSymbol.size === 0) {
      if (replayable) skipped.push(`${file.slice(root.length + 1)} (no order-book stream)`);
      continue;
    }
    const p: Planned = { file, keys, records: records.length, perSymbol };
    const fit = batches.find((b) => b.every((q) => [...p.keys].every((k) => !q.keys.has(k))));
    if (fit) fit.push(p);
    else batches.push([p]);
  }
  return { batches, skipped };
}

interface Served {
  url: string;
  token: string;
  stop(): Promise<void>;
}

/** `node bin/depthdesk.js serve ...` as a child process; resolves once it printed its URL. */
function startServe(args: string[], dataDirFor: string): Promise<Served> {
  const proc = spawn(process.execPath, [join(repoRoot, 'bin/depthdesk.js'), 'serve', ...args], {
    cwd: repoRoot,
    env: { ...process.env, DEPTHDESK_DATA_DIR: join(dataDirFor, 'data') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const stop = () =>
    new Promise<void>((resolve) => {
      if (proc.exitCode !== null) return resolve();
      const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      proc.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      proc.kill('SIGTERM');
    });
  return new Promise((resolve, reject) => {
    let buf = '';
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /Depthdesk console: (http:\/\/127\.0\.0\.1:\d+\/\?token=([A-Za-z0-9_-]+))/.exec(buf);
      if (m) resolve({ url: m[1]!, token: m[2]!, stop });
    });
    proc.once('exit', (code) => reject(new Error(`depthdesk serve exited ${code} before printing its URL: ${err}`)));
  });
}

function pct(a: number[], p: number): number {
  if (a.length === 0) return Number.NaN;
  const s = [...a].sort((x, y) => x - y);
  return +s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!.toFixed(2);
}

/**
 * Runs in the page before the console's scripts: wraps the WebSocket so that every symbol row of
 * `status.get` and `stats.frame` arrives repeated under suffixed keys until the table holds
 * `rows` rows. In the page (not through the DevTools protocol, which cannot carry a full-speed
 * replay twice): the extra JSON work lands on the page's main thread, so the figures are, if
 * anything, pessimistic.
 */
function installRowReplication(rows: number): void {
  type Row = { symbol: string };
  type Env = { t: string; topic?: string; data?: { symbols?: Row[] }; result?: { symbols?: Row[]; processes?: unknown } };
  const g = globalThis as unknown as { WebSocket: new (url: string) => EventTarget; MessageEvent: new (t: string, i: { data: unknown }) => Event; __benchRealRows?: number };
  let real = 0;
  const replicate = (text: string): string => {
    if (!text.includes('"symbols"')) return text;
    const m = JSON.parse(text) as Env;
    const target = m.t === 'evt' && m.topic === 'stats.frame' ? m.data : m.t === 'res' && m.result && Array.isArray(m.result.symbols) && m.result.processes !== undefined ? m.result : undefined;
    if (!target?.symbols) return text;
    if (m.t === 'res') real = g.__benchRealRows = target.symbols.length;
    // A stats frame can arrive before the status.get answer: a view's first frame is the whole
    // table, so its rows are the real rows (without this, it was repeated 1000 times: 183,000 rows).
    else if (real === 0) real = g.__benchRealRows = target.symbols.length;
    const copies = Math.max(1, Math.ceil(rows / Math.max(1, real)));
    const out: Row[] = [];
    for (const r of target.symbols) {
      out.push(r);
      for (let i = 2; i <= copies; i++) out.push({ ...r, symbol: `${r.symbol}#r${i}` });
    }
    target.symbols = out;
    return JSON.stringify(m);
  };
  const Orig = g.WebSocket;
  class ReplicatingWebSocket extends Orig {
    override addEventListener(type: string, fn: (ev: Event) => void, opts?: boolean | { once?: boolean; passive?: boolean; capture?: boolean }): void {
      if (type !== 'message') return super.addEventListener(type, fn, opts);
      const wrapped = (ev: Event) => {
        const data = (ev as unknown as { data: unknown }).data;
        fn.call(this, typeof data === 'string' ? new g.MessageEvent('message', { data: replicate(data) }) : ev);
      };
      super.addEventListener(type, wrapped, opts);
    }
  }
  g.WebSocket = ReplicatingWebSocket;
}

export async function run(): Promise<Record<string, number | string>> {
  const { batches, skipped } = await plan();
  console.log(`${batches.length} batch(es) of ${batches.reduce((a, b) => a + b.length, 0)} recording(s); heap ${Math.round(process.memoryUsage().heapUsed / 2 ** 20)} MiB`);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const work: number[] = [];
  const intervals: number[] = [];
  const ladder: number[] = [];
  let replayed = 0;
  let maxRealBooks = 0;
  let maxRows = 0;
  const tmp = mkdtempSync(join(tmpdir(), 'depthdesk-bench-renderer-'));
  try {
    for (const [i, batch] of batches.entries()) {
      const busiest = batch
        .flatMap((p) => [...p.perSymbol.entries()])
        .sort((a, b) => b[1] - a[1])
        .slice(0, LADDERS)
        .map(([k]) => ({ venue: k.slice(0, k.indexOf('|')) as VenueId, symbol: k.slice(k.indexOf('|') + 1) }));
      // The host runs as its own process, as `npx depthdesk serve` does: the replay servers at
      // full speed must not starve this process, which drives the browser.
      const c = await startServe(['--replay', ...batch.map((p) => p.file), '--speed', '0', '--port', '0', '--no-multicast', '--no-build'], tmp);
      try {
        const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
        await page.addInitScript(installRowReplication, TABLE_ROWS);
        // Open the ladders through the console's own persisted layout, before its scripts run.
        const origin = new URL(c.url).origin;
        await page.addInitScript((ladders) => {
          (globalThis as unknown as { localStorage: { setItem(k: string, v: string): void } }).localStorage.setItem('depthdesk.console.v1', JSON.stringify({ ladders, ladderDepth: 20, lowerTab: 'charts' }));
        }, busiest);
        await page.goto(`${c.url}&perf=1`);
        await page.waitForFunction(() => (globalThis as unknown as { __depthdeskPerf?: unknown }).__depthdeskPerf !== undefined);
        const t0 = Date.now();
        let idleSince = 0;
        // Measure while the engine still has messages to process, then a little of the tail.
        for (;;) {
          await new Promise((r) => setTimeout(r, 500));
          const s = await fetch(`${origin}/api/status`, { headers: { authorization: `Bearer ${c.token}` }, signal: AbortSignal.timeout(3_000) })
            .then((r) => r.json() as Promise<EngineStatus>)
            .catch(() => null);
          // A host too busy to answer is not idle.
          const rate = s === null ? 1 : s.venues.reduce((a, v) => a + v.messagesPerSec, 0);
          if (s !== null) maxRealBooks = Math.max(maxRealBooks, s.symbols.length);
          if (rate === 0) idleSince ||= Date.now();
          else idleSince = 0;
          if ((idleSince && Date.now() - idleSince > 1_500) || Date.now() - t0 > BATCH_MAX_MS) break;
        }
        const got = await page.evaluate(() => {
          const w = globalThis as unknown as { __benchRealRows?: number; __depthdeskPerf: { perf: { frameWorkMs: number[]; frameIntervalsMs: number[]; ladderPaintDelayMs: number[] } }; document: { querySelector(s: string): { textContent: string | null } | null } };
          return { ...w.__depthdeskPerf.perf, real: w.__benchRealRows ?? 0, count: w.document.querySelector('[data-testid="symbols-count"]')?.textContent ?? '' };
        });
        work.push(...got.frameWorkMs);
        intervals.push(...got.frameIntervalsMs);
        ladder.push(...got.ladderPaintDelayMs);
        maxRows = Math.max(maxRows, Number(/^(\d+)/.exec(got.count)?.[1] ?? 0));
        replayed += batch.length;
        console.log(`batch ${i + 1}/${batches.length}: ${batch.length} recording(s), ${got.real} real books shown as ${got.count}; ${got.frameWorkMs.length} frames, work p95 ${pct(got.frameWorkMs, 95)} ms, ladder update-to-paint p95 ${pct(got.ladderPaintDelayMs, 95)} ms`);
        await page.close();
      } finally {
        await c.stop();
      }
    }
  } finally {
    await browser.close();
    rmSync(tmp, { recursive: true, force: true });
  }
  for (const s of skipped) console.log(`skipped: ${s}`);
  return {
    recordings_replayed: replayed,
    recordings_skipped: skipped.length,
    batches: batches.length,
    real_books_max_per_batch: maxRealBooks,
    table_rows: maxRows,
    frames: work.length,
    frame_work_p50_ms: pct(work, 50),
    frame_work_p95_ms: pct(work, 95),
    frame_work_p99_ms: pct(work, 99),
    frame_interval_p95_ms: pct(intervals, 95),
    ladder_updates: ladder.length,
    ladder_update_to_paint_p50_ms: pct(ladder, 50),
    ladder_update_to_paint_p95_ms: pct(ladder, 95),
    // Two cores shared with the engine processes, the replay servers and Chromium (and anything
    // else running): the load says how contended the figures above were.
    load_average_1min_at_end: +loadavg()[0]!.toFixed(2),
    target: 'frame_work_p95_ms < 16 with 1000 rows',
    note: `${TABLE_ROWS} table rows = the real rows repeated under suffixed keys by the benchmark (bridge rewritten in the browser); ladders show real book frames`,
  };
}
