/**
 * The recorder and the incident captures on the live engine: EngineService against the local
 * venue servers replaying real recordings, with the raw recorder and the incident rings tapping
 * every connection exactly as in a feed process.
 *
 * - What the recorder wrote replays (depthdesk verify's code) to the very books the live engine
 *   built: Binance (REST snapshots recorded as `http` records of their connection) and OKX
 *   (in-band snapshots and checksums) across a socket the server closed mid-run.
 * - A diff dropped in transit (the server's fault injection on the real stream) is a gap; its
 *   resync event names an incident capture, and `npx depthdesk verify <capture>` replays the
 *   capture, prints the event record first and shows that gap on that symbol.
 * - A manual resync and a stale connection are captured too, and say where.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { NoticeEvent, ResyncEvent } from '../../../src-shared/contracts/engineApi.ts';
import { mulberry32 } from '../../../src-main/engine/feed/backoff.ts';
import { IncidentRecorder } from '../../../src-main/engine/record/incidents.ts';
import type { IncidentConfig } from '../../../src-main/engine/record/incidents.ts';
import { RawRecorder } from '../../../src-main/engine/record/rawRecorder.ts';
import { readRecording } from '../../../src-main/engine/replay/recording.ts';
import { startReplay } from '../../../src-main/engine/replay/replayPlan.ts';
import type { ReplayPlan, ReplayPlanOptions } from '../../../src-main/engine/replay/replayPlan.ts';
import type { VenueServer } from '../../../src-main/engine/replay/venueServer.ts';
import { EngineService } from '../../../src-main/engine/services/engineService.ts';
import type { FeedTiming } from '../../../src-main/engine/services/engineService.ts';
import type { SymbolBook } from '../../../src-main/engine/sync/symbolBook.ts';
import { VerifyRun } from '../../../src-main/engine/verify/verify.ts';
import { dataPath, repoRoot } from '../../support/data.ts';
import { bookDifferences, TEST_TIMING, until } from '../../support/liveReplay.ts';

const SPOT = 'binance/cryptofeed_spot_10sym_2021-04-05_120s.ndjson';
const TBT = 'okx/cryptofeed_books-l2-tbt_2022-02-27.ndjson';

interface Run {
  plan: ReplayPlan;
  server: VenueServer;
  svc: EngineService;
  recorder: RawRecorder | null;
  incidents: IncidentRecorder | null;
  resyncs: ResyncEvent[];
  notices: NoticeEvent[];
  dir: string;
  /** Frames the engine received on sockets that have closed since (the server forgets closed clients). */
  receivedOnClosedSockets: number;
  close(): Promise<void>;
}

const runs: Run[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const r of runs.splice(0)) await r.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function recordedRun(rel: string, opts: { speed?: number; server?: ReplayPlanOptions['server']; recorder?: boolean; incidents?: Omit<IncidentConfig, 'dir'>; timing?: Partial<FeedTiming> }): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'depthdesk-reclive-'));
  dirs.push(dir);
  const r = await startReplay({ files: [dataPath(rel)], speed: opts.speed ?? 0, ...(opts.server ? { server: opts.server } : {}) });
  if (!r.ok) throw new Error(r.error);
  const recorder = opts.recorder ? new RawRecorder({ dir: join(dir, 'recordings'), venues: 'all' }) : null;
  const incidents = opts.incidents ? new IncidentRecorder({ dir: join(dir, 'incidents'), ...opts.incidents }) : null;
  const svc = new EngineService({
    venues: r.plan.venues,
    processName: 'feed-test',
    mode: 'replay',
    timing: { ...TEST_TIMING, ...opts.timing },
    random: mulberry32(11),
    ...(recorder ? { tap: recorder } : {}),
    ...(incidents ? { incidents } : {}),
  });
  const resyncs: ResyncEvent[] = [];
  const notices: NoticeEvent[] = [];
  svc.on('feed.resync', (e) => resyncs.push(e));
  svc.on('feed.notice', (e) => notices.push(e));
  // Books leave live when their socket closes, after its last frame was handled: count those frames once per socket.
  const closedSockets = new Set<number>();
  svc.on('feed.transition', (t) => {
    if (t.from !== 'live' || t.cause !== 'reconnect') return;
    const k = svc.connections(t.venue)[0]!.connection.counters;
    if (closedSockets.has(k.connects)) return;
    closedSockets.add(k.connects);
    run.receivedOnClosedSockets = k.messages;
  });
  let closed = false;
  const run: Run = {
    plan: r.plan,
    server: r.plan.servers[0]!,
    svc,
    recorder,
    incidents,
    resyncs,
    notices,
    dir,
    receivedOnClosedSockets: 0,
    async close() {
      if (closed) return;
      closed = true;
      await svc.stop();
      await incidents?.flush();
      await recorder?.close();
      await r.plan.close();
    },
  };
  runs.push(run);
  await svc.start();
  return run;
}

/** The server sent every recorded frame and the engine received every frame it sent. */
async function delivered(run: Run): Promise<void> {
  await run.server.ended;
  await until(() => {
    const sent = run.server.clients().reduce((n, c) => n + c.framesSent, 0);
    const received = run.svc.connections(run.server.venue).reduce((n, c) => n + c.connection.counters.messages, 0);
    return sent + run.receivedOnClosedSockets === received;
  });
}

function allLiveAtReference(run: Run): boolean {
  return [...run.svc.books()].every((sb) => sb.state === 'live' && sb.seq === run.server.reference(sb.symbol)?.seq);
}

/** Rebuild the books of a recorder file offline, through the code of depthdesk verify. */
async function rebuild(file: string): Promise<{ run: VerifyRun; books: Map<string, SymbolBook> }> {
  const run = new VerifyRun(file.split('/').at(-1)!, {});
  for await (const rec of readRecording(file)) run.handle(rec);
  const books = new Map<string, SymbolBook>();
  for (const sb of run.allBooks()) books.set(sb.symbol, sb);
  return { run, books };
}

function recorderFiles(run: Run): string[] {
  const root = join(run.dir, 'recordings');
  return readdirSync(root).flatMap((v) => readdirSync(join(root, v)).map((f) => join(root, v, f)));
}

function expectSameBooks(live: Iterable<SymbolBook>, rebuilt: Map<string, SymbolBook>): void {
  let n = 0;
  for (const sb of live) {
    const other = rebuilt.get(sb.symbol);
    expect(other, `${sb.symbol} rebuilt from the recorder file`).toBeDefined();
    expect(other!.state, sb.symbol).toBe('live');
    expect(other!.seq, sb.symbol).toBe(sb.seq);
    expect(other!.book.levelCount(), sb.symbol).toBe(sb.book.levelCount());
    expect(bookDifferences(sb, other!, 1000), sb.symbol).toEqual([]);
    expect(bookDifferences(other!, sb, 1000), sb.symbol).toEqual([]);
    n++;
  }
  expect(n).toBe(rebuilt.size);
}

/** `npx depthdesk verify <args> --json` as an operator runs it. */
function verifyCli(args: string[]): { status: number | null; json: { ok: boolean; files: { symbols: { symbol: string; counters: { gaps: number }; anomalies: { kind: string }[]; failures: string[]; state: string }[] }[]; incidents?: { id: string; venue: string; events: { kind: string; symbol: string | null }[] }[] }; text: string } {
  const j = spawnSync(process.execPath, [join(repoRoot, 'bin/depthdesk.js'), 'verify', ...args, '--json'], { cwd: repoRoot, encoding: 'utf8' });
  const t = spawnSync(process.execPath, [join(repoRoot, 'bin/depthdesk.js'), 'verify', ...args], { cwd: repoRoot, encoding: 'utf8' });
  return { status: j.status, json: JSON.parse(j.stdout), text: t.stdout };
}

describe('raw recorder on the live engine', () => {
  it('Binance spot, 10 books: the recorder file replays to exactly the live books (REST snapshots recorded on their connection)', async () => {
    const run = await recordedRun(SPOT, { recorder: true });
    await run.server.ended;
    await until(() => allLiveAtReference(run));
    await run.svc.stop();
    await run.recorder!.close();
    const files = recorderFiles(run);
    expect(files).toHaveLength(1);
    expect(files[0]!).toMatch(/\/binance-spot\/binance-spot-\d{4}-\d{2}-\d{2}T[\d-]+Z\.ndjson\.gz$/);
    const stats = run.recorder!.stats();
    expect(stats.dropped).toBe(0);
    expect(stats.errors).toBe(0);
    // The envelope of ../shared/data: a connect with the URL, the subscription sent, the frames,
    // and one http record per REST snapshot the sessions consumed (ten books, ten snapshots).
    const lines = gunzipSync(readFileSync(files[0]!)).toString('utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { dir: string; conn: string; url?: string; recv_ts_ns: string });
    expect(lines[0]).toMatchObject({ dir: 'connect', conn: 'binance-spot#0' });
    expect(lines[0]!.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\//);
    expect(lines.filter((l) => l.dir === 'http')).toHaveLength(10);
    expect(lines.filter((l) => l.dir === 'http').every((l) => l.conn === 'binance-spot#0' && /[?&]symbol=[A-Z]+/.test(l.url ?? ''))).toBe(true);
    expect(lines.filter((l) => l.dir === 'recv').length).toBe(run.svc.connections('binance-spot')[0]!.connection.counters.messages);
    const ts = lines.map((l) => BigInt(l.recv_ts_ns));
    expect(ts.every((t, i) => i === 0 || t >= ts[i - 1]!)).toBe(true);
    const { run: offline, books } = await rebuild(files[0]!);
    expect(offline.notices).toEqual([]);
    expect(books.size).toBe(10);
    expectSameBooks(run.svc.books(), books);
  });

  it('OKX books-l2-tbt across a socket the server closed: the file spans both sockets and replays to the live books, every checksum verified', async () => {
    const run = await recordedRun(TBT, { recorder: true, server: { faults: [{ match: { symbol: 'ELON-USDT', channel: 'books', index: 300 }, fault: { kind: 'close', code: 1001 } }] } });
    await delivered(run);
    await until(() => [...run.svc.books()].every((sb) => sb.state === 'live'));
    await delivered(run);
    expect(run.svc.connections('okx')[0]!.connection.counters.reconnects).toBe(1);
    await run.svc.stop();
    await run.recorder!.close();
    const files = recorderFiles(run);
    expect(files).toHaveLength(1);
    const dirsInFile = gunzipSync(readFileSync(files[0]!)).toString('utf8').trimEnd().split('\n').map((l) => (JSON.parse(l) as { dir: string }).dir);
    expect(dirsInFile.filter((d) => d === 'connect')).toHaveLength(2);
    expect(dirsInFile.filter((d) => d === 'disconnect')).toHaveLength(2);
    const { books } = await rebuild(files[0]!);
    expect(books.size).toBe(10);
    for (const sb of books.values()) {
      const live = run.svc.book('okx', sb.symbol)!;
      expect(sb.counters.checksumFailed, sb.symbol).toBe(0);
      expect(sb.counters.checksumOk, sb.symbol).toBe(live.counters.checksumOk);
      // The closed socket is seen by the replay as by the engine: the books wait for the next
      // socket's snapshot (the server cuts one after the resubscribe) and take it.
      expect(sb.counters.snapshots, sb.symbol).toBe(live.counters.snapshots);
      expect(sb.anomalies.map((a) => a.kind), sb.symbol).toEqual(live.anomalies.map((a) => a.kind));
    }
    expectSameBooks(run.svc.books(), books);
  });
});

describe('incident captures on the live engine', () => {
  it('a diff dropped in transit: the gap resync names a capture, and depthdesk verify replays it showing that gap', async () => {
    const run = await recordedRun(SPOT, { speed: 20, incidents: { beforeMs: 3_000, afterMs: 60_000 } });
    await until(() => [...run.svc.books()].every((sb) => sb.state === 'live'));
    run.server.faults.addFrameRule({ match: { symbol: 'ZILUSDT', channel: 'depth' }, fault: { kind: 'drop' } });
    await run.server.ended;
    await until(() => allLiveAtReference(run));
    const start = run.resyncs.find((e) => e.symbol === 'ZILUSDT' && e.outcome === 'pending')!;
    expect(start.cause).toBe('gap');
    expect(start.incident).toBeDefined();
    expect(start.incident!.cause).toBe('gap');
    expect(start.incident!.path).toBe(join(run.dir, 'incidents', start.incident!.id));
    // The end of the resync carries the same capture.
    expect(run.resyncs.find((e) => e.id === start.id && e.outcome === 'live')!.incident).toEqual(start.incident);
    // Close the capture now rather than after its 60 s window: the resync ended, its snapshot is in.
    await run.incidents!.flush();
    const [written] = run.incidents!.list();
    expect(written!.id).toBe(start.incident!.id);
    const event = JSON.parse(readFileSync(join(start.incident!.path, 'event.json'), 'utf8')) as { venue: string; conn: string; events: { kind: string; symbol: string }[] };
    expect(event).toMatchObject({ venue: 'binance-spot', conn: 'binance-spot#0' });
    expect(event.events[0]).toMatchObject({ kind: 'gap', symbol: 'ZILUSDT' });

    const v = verifyCli([start.incident!.path]);
    // The capture replays the fault: verification fails, on the gap, on that symbol.
    expect(v.status).toBe(1);
    expect(v.json.incidents!.map((i) => [i.id, i.venue, i.events[0]!.kind, i.events[0]!.symbol])).toEqual([[start.incident!.id, 'binance-spot', 'gap', 'ZILUSDT']]);
    const zil = v.json.files[0]!.symbols.find((s) => s.symbol === 'ZILUSDT')!;
    expect(zil.counters.gaps).toBe(1);
    expect(zil.anomalies[0]!.kind).toBe('gap');
    expect(zil.failures.join(' ')).toMatch(/1 sequence gap/);
    // After the gap, the resync snapshot captured on that connection brought the book back.
    expect(zil.state).toBe('live');
    // The text report starts with the event record.
    expect(v.text.split('\n').filter(Boolean).slice(0, 3).join('\n')).toMatch(new RegExp(`^incident ${start.incident!.id}: binance-spot, connection binance-spot#0\\n.*\\n  event \\S+ gap ZILUSDT: `));
  });

  it('a manual resync and a stale connection are captured and say where', async () => {
    const run = await recordedRun(SPOT, { incidents: { beforeMs: 2_000, afterMs: 60_000 }, timing: { staleAfterMs: 300 } });
    await run.server.ended;
    await until(() => allLiveAtReference(run) || [...run.svc.books()].some((sb) => sb.state === 'stale'));
    // The replay is over: the connection goes quiet, every book is flagged stale, one capture.
    await until(() => run.notices.some((n) => n.incident?.cause === 'stale'));
    const stale = run.notices.filter((n) => n.incident?.cause === 'stale');
    expect(stale).toHaveLength(1);
    expect(stale[0]!.level).toBe('warn');
    expect(stale[0]!.message).toMatch(/^binance-spot#0: stale \(no frame on binance-spot#0 for \d+ ms\); incident capture /);
    expect(run.svc.resync({ scope: 'symbol', venue: 'binance-spot', symbol: 'DENTUSDT' })).toBe(1);
    const manual = run.resyncs.find((e) => e.symbol === 'DENTUSDT' && e.cause === 'manual')!;
    // One capture per connection while it is open: the manual resync joins the stale capture.
    expect(manual.incident!.id).toBe(stale[0]!.incident!.id);
    await until(() => run.svc.book('binance-spot', 'DENTUSDT')!.state === 'live');
    await run.incidents!.flush();
    const event = JSON.parse(readFileSync(join(manual.incident!.path, 'event.json'), 'utf8')) as { events: { kind: string; symbol: string | null }[]; frames: number };
    expect(event.events.map((e) => e.kind)).toEqual([...Array(10).fill('stale'), 'manual']);
    // A silent connection's capture holds its last traffic before the silence.
    expect(event.frames).toBeGreaterThan(0);
  });
});
