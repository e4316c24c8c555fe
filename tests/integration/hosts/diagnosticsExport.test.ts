/**
 * Recorder, incident captures, logs and the diagnostics export in the running headless console:
 * the real feed process (child process, real entry) replays the real Binance capture through
 * the local venue server, with the recorder on and credentials given both as configuration and
 * as environment (DEPTHDESK_BINANCE_API_KEY), as a desk would run it.
 *
 * - A manual resync (HTTP API) and a SIGKILLed feed process are captured: the resync events name
 *   their captures, the restarted process's books resync with cause process-restart and their
 *   end events point at the capture the new process announced.
 * - `GET /api/diagnostics` streams a zip holding every listed part; no entry (gzip captures
 *   opened) contains a credential or the access token, even one an operator pasted into a log.
 * - A bundle limit leaves parts out and says which, in the result, the manifest and SUMMARY.txt.
 * - An unwritable data directory: the recorder's and the captures' failures are error notices
 *   and log lines, the books stay live and exact, and the export says why it cannot write.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { BookView, EngineStatus, NoticeEvent, ResyncEvent } from '../../../src-shared/contracts/engineApi.ts';
import { formatScaled } from '../../../src-shared/model/decimal.ts';
import { readZip } from '../../../src-main/engine/record/zipWriter.ts';
import { loadConfigOrThrow } from '../../../src-main/hosts/config.ts';
import type { DepthdeskConfig } from '../../../src-main/hosts/config.ts';
import { startConsole } from '../../../src-main/hosts/consoleHost.ts';
import type { RunningConsole } from '../../../src-main/hosts/consoleHost.ts';
import { DiagnosticsService, MetricsHistory, supervisorEngine } from '../../../src-main/hosts/diagnosticsHost.ts';
import { dataPath } from '../../support/data.ts';
import { EventLog } from '../../support/eventLog.ts';

const FILE = 'binance/cryptofeed_spot_10sym_2021-04-05_120s.ndjson';
const SYMBOLS = ['AXSBNB', 'BTCAUD', 'BTCSTUSDT', 'DENTUSDT', 'ETHBRL', 'MANAUSDT', 'NEOUSDC', 'QTUMETH', 'RENBTCETH', 'ZILUSDT'];
// Credentials of the test desk: fixed strings (no randomness), long enough to be unmistakable.
const ENV_KEY = 'envKey-7Qm2Vx9Lp4Rt8Wz1Nb6Hc3Jd';
const CFG_KEY = 'cfgKey-5Ys8Kf2Gm7Tq1Xv4Bn9Lw6Pz';
const CFG_SECRET = 'cfgSecret-3Hd6Rj9Wc2Np5Vm8Qt1Kx4Lb';

const dirs: string[] = [];
function tmp(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

interface Host {
  c: RunningConsole;
  log: EventLog;
  dataDir: string;
}

function api<T>(h: Host, path: string, method = 'GET', body?: unknown): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer; json(): T }> {
  const base = h.c.url.replace(/\/\?token=.*$/, '');
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method, headers: { authorization: `Bearer ${h.c.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (b: Buffer) => chunks.push(b));
      res.on('end', () => {
        const buf = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: buf, json: () => JSON.parse(buf.toString('utf8')) as T });
      });
    });
    req.on('error', reject);
    req.end(body !== undefined ? JSON.stringify(body) : undefined);
  });
}

async function waitStatus(h: Host, cond: (st: EngineStatus) => boolean): Promise<EngineStatus> {
  for (;;) {
    const st = (await api<EngineStatus>(h, '/api/status')).json();
    if (cond(st)) return st;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 20));
}

async function start(env: Record<string, string>, edit: (c: DepthdeskConfig) => void, speed: number): Promise<Host> {
  const config = structuredClone(loadConfigOrThrow({ env: { DEPTHDESK_HTTP_PORT: '0', DEPTHDESK_FEEDS: '1', ...env } }).config);
  edit(config);
  const c = await startConsole({ config, configSource: 'test', replay: { files: [dataPath(FILE)], speed }, multicast: false, buildRenderer: false });
  const log = new EventLog();
  c.supervisor.subscribe(log);
  return { c, log, dataDir: config.dataDir };
}

const saved = process.env['DEPTHDESK_BINANCE_API_KEY'];
let h: Host;

beforeAll(async () => {
  // As an operator sets it: the host and the feed processes it starts inherit it.
  process.env['DEPTHDESK_BINANCE_API_KEY'] = ENV_KEY;
  const dataDir = tmp('depthdesk-diag-');
  h = await start({ DEPTHDESK_DATA_DIR: dataDir, DEPTHDESK_BINANCE_API_KEY: ENV_KEY, DEPTHDESK_RECORDER_ENABLED: '1', DEPTHDESK_INCIDENTS_BEFORE_MS: '2000', DEPTHDESK_INCIDENTS_AFTER_MS: '1500' }, (c) => {
    c.credentials.okx = { apiKey: CFG_KEY, apiSecret: CFG_SECRET, passphrase: '' };
  }, 4);
});

afterAll(async () => {
  await h?.c.stop();
  if (saved === undefined) delete process.env['DEPTHDESK_BINANCE_API_KEY'];
  else process.env['DEPTHDESK_BINANCE_API_KEY'] = saved;
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('incident captures in the running console', () => {
  it('a manual resync and a killed feed process are captured; their events say where', async () => {
    await waitStatus(h, (st) => st.symbols.length === 10 && st.symbols.every((s) => s.state === 'live'));
    expect((await api<{ accepted: number }>(h, '/api/resync', 'POST', { scope: 'symbol', venue: 'binance-spot', symbol: 'ZILUSDT' })).json()).toEqual({ accepted: 1 });
    const manual = (await h.log.waitFor('feed.resync', (r) => r.symbol === 'ZILUSDT' && r.cause === 'manual' && r.outcome === 'pending')).data as ResyncEvent;
    expect(manual.incident).toMatchObject({ cause: 'manual' });
    expect(manual.incident!.path).toBe(join(h.dataDir, 'incidents', manual.incident!.id));
    await until(() => existsSync(join(manual.incident!.path, 'event.json')));
    const ev = JSON.parse(readFileSync(join(manual.incident!.path, 'event.json'), 'utf8')) as { events: { kind: string; symbol: string }[]; frames: number };
    expect(ev.events[0]).toMatchObject({ kind: 'manual', symbol: 'ZILUSDT' });
    expect(ev.frames).toBeGreaterThan(0);

    const feed = (await api<EngineStatus>(h, '/api/status')).json().processes[0]!;
    process.kill(feed.pid!, 'SIGKILL');
    // The restarted process announces its capture; the restart resyncs end naming it.
    const announced = (await h.log.waitFor('feed.notice', (n) => n.incident?.cause === 'process-restart')).data as NoticeEvent;
    expect(announced).toMatchObject({ level: 'warn', venue: 'binance-spot' });
    expect(announced.message).toMatch(/^binance-spot#0: feed-0 restarted \(restart 1\): its books resync from scratch; incident capture /);
    await waitStatus(h, (st) => st.symbols.every((s) => s.state === 'live') && st.processes[0]!.restarts === 1);
    const ends = h.log.of('feed.resync').filter((r) => r.cause === 'process-restart' && r.outcome === 'live');
    expect(ends.map((r) => r.symbol).sort()).toEqual(SYMBOLS);
    for (const r of ends) expect(r.incident, r.symbol).toEqual(announced.incident);
    await until(() => existsSync(join(announced.incident!.path, 'event.json')));
    const restartEv = JSON.parse(readFileSync(join(announced.incident!.path, 'event.json'), 'utf8')) as { events: { kind: string }[]; frames: number };
    expect(restartEv.events[0]!.kind).toBe('process-restart');
    // The new process's first seconds: connect, subscribe, snapshots, diffs.
    expect(restartEv.frames).toBeGreaterThan(10);
  });
});

describe('GET /api/diagnostics', () => {
  let entries: Map<string, Buffer>;

  it('streams a zip with every listed part', async () => {
    // An operator pastes a key into a note the host logs: the logger masks it at write time.
    h.c.log.warn(`operator note: tried key ${ENV_KEY} and ${CFG_SECRET}`);
    const r = await api<never>(h, '/api/diagnostics');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/zip');
    expect(r.headers['content-disposition']).toMatch(/^attachment; filename="depthdesk-diagnostics-[\dT-]+Z\.zip"$/);
    entries = readZip(r.body);
    const names = [...entries.keys()];
    expect(Number(r.headers['x-depthdesk-parts'])).toBe(names.length);
    for (const part of ['manifest.json', 'SUMMARY.txt', 'config.json', 'status/venues.json', 'status/symbols.json', 'status/processes.json', 'events/timeline.json', 'metrics/history.json', 'recordings/index.json', 'logs/host.log', 'logs/feed-0.log']) {
      expect(names, part).toContain(part);
    }
    for (const s of SYMBOLS) expect(names).toContain(`books/binance-spot/${s}.json`);
    const incidents = names.filter((n) => n.startsWith('incidents/'));
    expect(incidents.some((n) => /-ZILUSDT-manual-\d+\/frames\.ndjson\.gz$/.test(n))).toBe(true);
    expect(incidents.some((n) => /-all-process-restart-\d+\/event\.json$/.test(n))).toBe(true);

    const json = <T>(name: string): T => JSON.parse(entries.get(name)!.toString('utf8')) as T;
    const manifest = json<{ version: string; build: string; os: { platform: string }; cpu: { cores: number }; memory: { totalBytes: number }; uptime: { engineMs: number }; clockOffsetMs: { perVenue: Record<string, number | null> }; parts: string[]; omitted: string[] }>('manifest.json');
    expect(manifest.version).toBe('0.1.0');
    expect(manifest.build).toBe(h.c.supervisor.cachedStatus().build);
    expect(manifest.os.platform).toBe(process.platform);
    expect(manifest.cpu.cores).toBeGreaterThan(0);
    expect(manifest.memory.totalBytes).toBeGreaterThan(0);
    expect(manifest.uptime.engineMs).toBeGreaterThan(0);
    expect(Object.keys(manifest.clockOffsetMs.perVenue)).toEqual(['binance-spot']);
    expect(manifest.omitted).toEqual([]);
    expect(new Set(manifest.parts)).toEqual(new Set(names));
    expect(entries.get('SUMMARY.txt')!.toString('utf8')).toMatch(/Nothing was left out\./);
    // State tables, timeline, metrics history and books as the host holds them.
    expect(json<{ symbol: string }[]>('status/symbols.json').map((s) => s.symbol).sort()).toEqual(SYMBOLS);
    const timeline = json<{ resyncs: ResyncEvent[]; processes: { kind: string }[] }>('events/timeline.json');
    expect(timeline.resyncs.some((r) => r.cause === 'manual' && r.incident?.cause === 'manual')).toBe(true);
    expect(timeline.processes.map((p) => p.kind)).toEqual(expect.arrayContaining(['started', 'exited', 'restarting']));
    expect(json<unknown[]>('metrics/history.json').length).toBeGreaterThan(0);
    const zil = json<BookView>('books/binance-spot/ZILUSDT.json');
    expect(zil.bids.length).toBeGreaterThan(0);
    expect(json<{ files: { venue: string }[] }>('recordings/index.json').files.some((f) => f.venue === 'binance-spot')).toBe(true);
    // The feed's log: identity, venue and symbol on its lines.
    const feedLog = entries.get('logs/feed-0.log')!.toString('utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(feedLog.some((l) => l['proc'] === 'feed-0' && l['venue'] === 'binance-spot' && l['symbol'] === 'ZILUSDT' && l['msg'] === 'resync started' && l['cause'] === 'manual')).toBe(true);
    // The bundle is also kept on the host and can be fetched again by name.
    const name = /filename="([^"]+)"/.exec(String(r.headers['content-disposition']))![1]!;
    expect(existsSync(join(h.dataDir, 'diagnostics', name))).toBe(true);
    const again = await api<never>(h, `/api/diagnostics/${name}`);
    expect(again.body.equals(r.body)).toBe(true);
  });

  it('holds nothing secret: no entry, gzip captures opened, contains a credential or the token', () => {
    const secrets = [ENV_KEY, CFG_KEY, CFG_SECRET, h.c.token];
    for (const [name, raw] of entries) {
      const text = (name.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
      for (const s of secrets) expect(text.includes(s), `${name} contains a secret`).toBe(false);
    }
    const config = JSON.parse(entries.get('config.json')!.toString('utf8')) as { config: { credentials: Record<string, Record<string, string>> } };
    // Redacted twice over: by the configuration's own view, then by the bundle's scrub of every
    // credential-named field.
    expect(config.config.credentials['okx']).toEqual({ apiKey: '[redacted]', apiSecret: '[redacted]', passphrase: '' });
    expect(config.config.credentials['binance']).toEqual({ apiKey: '[redacted]' });
    expect(entries.get('logs/host.log')!.toString('utf8')).toContain('operator note: tried key [redacted] and [redacted]');
  });

  it('is bounded: what does not fit is left out and listed, in the result, the manifest and SUMMARY.txt', async () => {
    const engine = supervisorEngine(h.c.supervisor);
    const history = new MetricsHistory(() => h.c.supervisor.cachedStatus());
    history.sample();
    const out = tmp('depthdesk-diag-bound-');
    const svc = new DiagnosticsService({
      engine,
      config: () => ({ config: {}, source: 'test' }),
      build: 'test',
      startedMs: Date.now(),
      paths: { logs: join(h.dataDir, 'logs'), incidents: join(h.dataDir, 'incidents'), recordings: join(h.dataDir, 'recordings'), diagnostics: out },
      history,
      // Room for the tables and books, not for the captures.
      maxBytes: 320 * 1024,
    });
    try {
      const r = await svc.export({ path: 'bounded.zip' });
      expect(r.path).toBe(join(out, 'bounded.zip'));
      expect(statSync(r.path).size).toBe(r.bytes);
      expect(r.bytes).toBeLessThanOrEqual(320 * 1024);
      expect(r.omitted.length).toBeGreaterThan(0);
      expect(r.omitted.some((o) => /^incidents\/.+\/frames\.ndjson\.gz \(\d+ bytes\): bundle limit 327680 bytes reached$/.test(o))).toBe(true);
      const z = readZip(readFileSync(r.path));
      expect(JSON.parse(z.get('manifest.json')!.toString('utf8')).omitted).toEqual(r.omitted);
      const summary = z.get('SUMMARY.txt')!.toString('utf8');
      expect(summary).toContain(`Left out (${r.omitted.length}):`);
      for (const o of r.omitted) expect(summary).toContain(o);
      // Required parts are never the ones left out.
      for (const part of ['config.json', 'status/symbols.json', 'events/timeline.json', 'metrics/history.json', 'manifest.json', 'SUMMARY.txt']) expect(z.has(part), part).toBe(true);
      // Only plain file names: a caller cannot make the engine write elsewhere.
      await expect(svc.export({ path: '../escape.zip' })).rejects.toMatchObject({ code: 'bad-request' });
    } finally {
      history.stop();
      engine.close();
    }
  });
});

describe('an unwritable data directory', () => {
  it('is reported (error notices, log lines), the books stay live and exact, and the export says why it cannot write', async () => {
    const base = tmp('depthdesk-unwritable-');
    // A regular file where the data folder should be: nothing below it can be created (even for root).
    writeFileSync(join(base, 'data'), 'not a folder');
    const logs = join(base, 'logs');
    mkdirSync(logs);
    const u = await start({ DEPTHDESK_DATA_DIR: join(base, 'data', 'depthdesk'), DEPTHDESK_LOG_DIR: logs, DEPTHDESK_RECORDER_ENABLED: '1', DEPTHDESK_INCIDENTS_AFTER_MS: '200' }, () => {}, 0);
    try {
      const recorderError = (await u.log.waitFor('feed.notice', (n) => n.level === 'error' && n.message.includes('recorder: cannot create'))).data as NoticeEvent;
      expect(recorderError.message).toMatch(/^feed-0: recorder: cannot create .*\/data\/depthdesk\/recordings\/binance-spot: .*ENOTDIR.*; the books stay live, this recording is incomplete$/);
      const server = u.c.replay!.servers[0]!;
      await server.ended;
      const st = await waitStatus(u, (s) => s.symbols.length === 10 && s.symbols.every((x) => x.state === 'live' && x.seq === server.reference(x.symbol)!.seq));
      expect(st.processes[0]!).toMatchObject({ state: 'running', restarts: 0 });
      for (const s of SYMBOLS) {
        const ref = server.reference(s)!;
        const book = (await api<BookView>(u, `/api/book/binance-spot/${s}?depth=10`)).json();
        const top = ref.book.top(10);
        const text = ([p, q]: [number, number]) => ({ price: formatScaled(p, ref.book.priceScale), size: formatScaled(q, ref.book.sizeScale) });
        expect(book.bids, s).toEqual(top.bids.map(text));
        expect(book.asks, s).toEqual(top.asks.map(text));
      }
      // A capture that cannot be written is reported the same way, and the engine goes on.
      await api(u, '/api/resync', 'POST', { scope: 'symbol', venue: 'binance-spot', symbol: 'DENTUSDT' });
      const captureError = (await u.log.waitFor('feed.notice', (n) => n.level === 'error' && n.message.includes('incident'))).data as NoticeEvent;
      expect(captureError.message).toMatch(/^feed-0: incident .*DENTUSDT-manual-1: .*ENOTDIR.*; the books stay live, this capture is lost$/);
      await waitStatus(u, (s) => s.symbols.every((x) => x.state === 'live'));
      // The feed's log (its folder is writable) has both, with identity and component.
      const feedLog = readFileSync(join(logs, 'feed-0.log'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(feedLog.some((l) => l['level'] === 'error' && l['component'] === 'recorder' && String(l['msg']).startsWith('recorder: cannot create'))).toBe(true);
      expect(feedLog.some((l) => l['level'] === 'error' && l['component'] === 'incidents')).toBe(true);
      // The export cannot write its bundle either, and says so.
      const r = await api<{ error: { code: string; message: string } }>(u, '/api/diagnostics');
      expect(r.status).toBe(500);
      expect(r.json().error.message).toMatch(/^cannot create the diagnostics folder .*\/data\/depthdesk\/diagnostics: .*ENOTDIR/);
    } finally {
      await u.c.stop();
    }
  });
});
