/**
 * The host side of the diagnostics export: the one file a desk sends support.
 *
 * - `MetricsHistory` keeps periodic samples of the merged status (per venue: messages/s, bytes/s,
 *   latency, live/stale books, gaps, resyncs, reconnects; per process: state and restarts) in a
 *   ring, so a bundle shows how the last hours went, not only the moment of the export.
 * - `DiagnosticsService` builds bundles with `exportDiagnostics` (engine/services/diagnostics.ts)
 *   from what the host knows (supervisor status, events, books, the redacted configuration, the
 *   log and incident folders), one at a time: a second request while one runs gets the same
 *   bundle. Progress goes to every console view (`diagnostics.progress`). Bundles are written to
 *   `<dataDir>/diagnostics/` (the newest `keep` are kept) and served by the headless host:
 *
 *     GET /api/diagnostics          builds a bundle and streams it (application/zip)
 *     GET /api/diagnostics/<name>   a bundle built before (the console's and the CLI's download)
 *
 * A caller may name the file (`diagnostics.export { path }`), but only a plain file name: the
 * bundle always lands in the diagnostics folder, so no page or tool can make the engine write
 * elsewhere on disk.
 */
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { basename, join } from 'node:path';
import type { BookView, ConfigView, DiagnosticsProgress, DiagnosticsResult, EngineStatus, ResultOf } from '../../src-shared/contracts/engineApi.ts';
import { RpcError } from '../../src-shared/contracts/rpc.ts';
import type { Handlers } from '../../src-shared/contracts/rpc.ts';
import { exportDiagnostics } from '../engine/services/diagnostics.ts';
import type { DiagnosticsSource } from '../engine/services/diagnostics.ts';
import { appRoot } from './buildInfo.ts';
import type { DataPaths } from './config.ts';

export interface MetricsSample {
  tsMs: number;
  venues: {
    venue: string;
    messagesPerSec: number;
    bytesPerSec: number;
    latencyP50Us: number | null;
    latencyP99Us: number | null;
    symbols: number;
    liveSymbols: number;
    staleSymbols: number;
    gaps: number;
    resyncs: number;
    reconnects: number;
    checksumFailed: number;
    connectionsOpen: number;
  }[];
  processes: { name: string; state: string; restarts: number }[];
  publisher: { packetsPerSec: number; bytesPerSec: number } | null;
}

/** A ring of periodic status samples (default every 10 s, the last 24 h). */
export class MetricsHistory {
  private readonly ring: MetricsSample[] = [];
  private readonly source: () => EngineStatus;
  private readonly intervalMs: number;
  private readonly keep: number;
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(source: () => EngineStatus, opts: { intervalMs?: number; keep?: number } = {}) {
    this.source = source;
    this.intervalMs = opts.intervalMs ?? 10_000;
    this.keep = opts.keep ?? 8640;
  }

  start(): void {
    if (this.timer !== null) return;
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  sample(): void {
    const st = this.source();
    this.ring.push({
      tsMs: st.nowMs,
      venues: st.venues.map((v) => ({
        venue: v.venue,
        messagesPerSec: v.messagesPerSec,
        bytesPerSec: v.bytesPerSec,
        latencyP50Us: v.latencyP50Us,
        latencyP99Us: v.latencyP99Us,
        symbols: v.symbols,
        liveSymbols: v.liveSymbols,
        staleSymbols: v.staleSymbols,
        gaps: v.gaps,
        resyncs: v.resyncs,
        reconnects: v.reconnects,
        checksumFailed: v.checksumFailed,
        connectionsOpen: v.connectionsOpen,
      })),
      processes: st.processes.map((p) => ({ name: p.name, state: p.state, restarts: p.restarts })),
      publisher: st.publisher ? { packetsPerSec: st.publisher.packetsPerSec, bytesPerSec: st.publisher.bytesPerSec } : null,
    });
    if (this.ring.length > this.keep) this.ring.shift();
  }

  samples(): MetricsSample[] {
    return [...this.ring];
  }
}

/** What the service needs from the supervisor (a narrow view, so tests can hand in their own). */
export interface DiagnosticsEngine {
  status(): Promise<EngineStatus>;
  recentEvents(limit: number): ResultOf<'events.recent'>;
  book(venue: string, symbol: string, depth: number): Promise<BookView>;
}

export interface DiagnosticsServiceOptions {
  engine: DiagnosticsEngine;
  config: () => ConfigView;
  build: string;
  startedMs: number;
  paths: Pick<DataPaths, 'logs' | 'incidents' | 'diagnostics' | 'recordings'>;
  history: MetricsHistory;
  /** Upper bound of a bundle. */
  maxBytes: number;
  /** Bundles kept in the diagnostics folder (default 20). */
  keep?: number;
  /** Progress of every export, for the console views (Supervisor.announce). */
  onProgress?: (p: DiagnosticsProgress) => void;
  /** Where the HTTP host serves bundles (the result's `download`); absent = no HTTP host. */
  downloadBase?: string;
  now?: () => number;
}

const BUNDLE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,120}\.zip$/;

function appVersion(): string {
  try {
    const v = (JSON.parse(readFileSync(join(appRoot, 'package.json'), 'utf8')) as { version?: unknown }).version;
    return typeof v === 'string' ? v : 'unknown';
  } catch {
    return 'unknown';
  }
}

export class DiagnosticsService {
  private readonly opts: DiagnosticsServiceOptions;
  private running: Promise<DiagnosticsResult> | null = null;
  private seq = 0;

  constructor(opts: DiagnosticsServiceOptions) {
    this.opts = opts;
  }

  /** Build a bundle (or join the one being built). `name` is a plain file name, optional. */
  export(params: { path?: string } = {}): Promise<DiagnosticsResult> {
    if (this.running !== null) return this.running;
    const p = this.build(params).finally(() => {
      this.running = null;
    });
    this.running = p;
    return p;
  }

  private async build(params: { path?: string }): Promise<DiagnosticsResult> {
    const now = this.opts.now ?? Date.now;
    const stamp = new Date(now()).toISOString().replace(/[:.]/g, '-');
    const name = params.path === undefined || params.path === '' ? `depthdesk-diagnostics-${stamp}.zip` : params.path;
    if (!BUNDLE_NAME.test(name)) {
      throw new RpcError('bad-request', `path must be a plain .zip file name (letters, digits, . _ -); bundles are always written to ${this.opts.paths.diagnostics}`);
    }
    const dir = this.opts.paths.diagnostics;
    try {
      mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw new RpcError('internal', `cannot create the diagnostics folder ${dir}: ${(e as Error).message}`);
    }
    const out = join(dir, name);
    const id = `${stamp}#${++this.seq}`;
    const announce = (p: DiagnosticsProgress) => {
      try {
        this.opts.onProgress?.(p);
      } catch {
        // A failing progress listener must not fail the export.
      }
    };
    const engine = this.opts.engine;
    const source: DiagnosticsSource = {
      build: this.opts.build,
      version: appVersion(),
      startedMs: this.opts.startedMs,
      status: () => engine.status(),
      config: async () => this.opts.config(),
      events: async () => engine.recentEvents(500),
      book: (venue, symbol, depth) => engine.book(venue, symbol, depth),
      metricsHistory: () => this.opts.history.samples(),
      logDir: this.opts.paths.logs,
      incidentDir: this.opts.paths.incidents,
      recordingDir: this.opts.paths.recordings,
    };
    announce({ id, phase: 'running', step: 'starting', done: 0, total: 1, bytes: 0 });
    try {
      const r = await exportDiagnostics(source, out, {
        maxBytes: this.opts.maxBytes,
        onProgress: (p) => announce({ id, phase: 'running', step: p.step, done: p.done, total: p.total, bytes: p.bytes }),
      });
      const result: DiagnosticsResult = { ...r, ...(this.opts.downloadBase !== undefined ? { download: `${this.opts.downloadBase}/${encodeURIComponent(name)}` } : {}) };
      this.prune(name);
      announce({ id, phase: 'done', step: 'done', done: 1, total: 1, bytes: r.bytes, result });
      return result;
    } catch (e) {
      const message = e instanceof RpcError ? e.message : `diagnostics export failed: ${(e as Error).message}`;
      announce({ id, phase: 'failed', step: 'failed', done: 0, total: 1, bytes: 0, error: message });
      rmSync(out, { force: true });
      throw e instanceof RpcError ? e : new RpcError('internal', message);
    }
  }

  /** Keep the newest bundles only. */
  private prune(justWritten: string): void {
    const keep = this.opts.keep ?? 20;
    const dir = this.opts.paths.diagnostics;
    const bundles = readdirSync(dir)
      .filter((f) => f.endsWith('.zip') && f !== justWritten)
      .map((f) => ({ f, ms: statSync(join(dir, f)).mtimeMs }))
      .sort((a, b) => b.ms - a.ms);
    for (const b of bundles.slice(Math.max(0, keep - 1))) rmSync(join(dir, b.f), { force: true });
  }

  /** `GET /api/diagnostics[/<name>]` on the headless host. */
  readonly route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://host.invalid').pathname;
    if (req.method !== 'GET') {
      res.setHeader('Allow', 'GET');
      return sendJson(res, 405, { error: { code: 'bad-request', message: 'use GET' } });
    }
    const rest = path.replace(/^\/api\/diagnostics\/?/, '');
    let name: string;
    let result: DiagnosticsResult | null = null;
    if (rest === '') {
      try {
        result = await this.export({});
      } catch (e) {
        const err = e instanceof RpcError ? e : new RpcError('internal', (e as Error).message);
        return sendJson(res, err.code === 'bad-request' ? 400 : 500, { error: { code: err.code, message: err.message } });
      }
      name = basename(result.path);
    } else {
      name = decodeURIComponent(rest);
      if (!BUNDLE_NAME.test(name)) return sendJson(res, 400, { error: { code: 'bad-request', message: `not a bundle name: ${name}` } });
    }
    const file = join(this.opts.paths.diagnostics, name);
    if (!existsSync(file)) return sendJson(res, 404, { error: { code: 'bad-request', message: `no bundle ${name} (bundles are kept in ${this.opts.paths.diagnostics}, the newest ${this.opts.keep ?? 20})` } });
    const size = statSync(file).size;
    res.writeHead(200, {
      'Content-Type': 'application/zip',
      'Content-Length': size,
      'Content-Disposition': `attachment; filename="${name}"`,
      'Cache-Control': 'no-store',
      ...(result !== null ? { 'X-Depthdesk-Parts': String(result.parts.length), 'X-Depthdesk-Omitted': String(result.omitted.length) } : {}),
    });
    await new Promise<void>((resolve, reject) => {
      const s = createReadStream(file);
      s.on('error', reject);
      res.on('close', () => {
        s.destroy();
        resolve();
      });
      s.pipe(res);
    });
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** The engine view of a supervisor: status, events and books through its own handlers. */
export function supervisorEngine(sup: { status(): Promise<EngineStatus>; recentEvents(limit?: number): ResultOf<'events.recent'>; attach(client: { emit(): void }): { handlers: Handlers; detach(): void } }): DiagnosticsEngine & { close(): void } {
  const att = sup.attach({ emit: () => {} });
  return {
    status: () => sup.status(),
    recentEvents: (limit) => sup.recentEvents(limit),
    book: async (venue, symbol, depth) => {
      const h = att.handlers['book.get'];
      if (h === undefined) throw new RpcError('not-available', 'book.get is not served');
      return await h({ venue: venue as BookView['venue'], symbol, depth });
    },
    close: () => att.detach(),
  };
}
