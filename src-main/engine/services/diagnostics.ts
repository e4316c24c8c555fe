/**
 * Diagnostics bundle: the one file a desk sends support when a book went wrong. A zip with
 *
 *   manifest.json        app version and build, OS, CPU, memory, uptime, clock offset, parts, omissions
 *   config.json          the effective configuration, secrets redacted
 *   status/venues.json   venue tiles          status/symbols.json  every book's state row
 *   status/processes.json
 *   events/timeline.json transitions, resyncs (cause, duration, outcome), process events, notices
 *   metrics/history.json periodic status samples (msgs/s, latency, gaps, resyncs per venue)
 *   books/<venue>/<symbol>.json  current top-N of every book
 *   logs/...             the processes' log files (newest first, bounded)
 *   incidents/<id>/...   incident captures (raw frames + event record), newest first, bounded
 *   recordings/index.json the raw recorder's files (names, sizes, times; not their contents)
 *   SUMMARY.txt          what is inside and what was left out, in words
 *
 * The bundle is bounded (`maxBytes`): parts are added in priority order and whatever would not
 * fit is listed under "omitted" with its size, never silently dropped. Every text part goes
 * through the secret scrub (registered secret values and credential-named fields) before it is
 * written; gzip captures are opened and scrubbed the same way (raw public market data, but a
 * frame sent to a venue could carry a key one day), and re-compressed only when they changed.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { arch, cpus, freemem, hostname, platform, release, totalmem, uptime } from 'node:os';
import { basename, join } from 'node:path';
import type { BookView, ConfigView, DiagnosticsResult, EngineStatus, NoticeEvent, ProcessEvent, ResyncEvent, TransitionEvent } from '../../../src-shared/contracts/engineApi.ts';
import { ZipWriter } from '../record/zipWriter.ts';
import { maskSecrets, redact, registeredSecrets } from './logger.ts';

export interface DiagnosticsSource {
  build: string;
  version: string;
  startedMs: number;
  status(): Promise<EngineStatus>;
  config(): Promise<ConfigView>;
  events(): Promise<{ transitions: TransitionEvent[]; resyncs: ResyncEvent[]; processes: ProcessEvent[]; notices: NoticeEvent[] }>;
  book(venue: string, symbol: string, depth: number): Promise<BookView>;
  /** Periodic samples kept by the host (newest last). */
  metricsHistory(): unknown[];
  logDir?: string;
  incidentDir?: string;
  /** The raw recorder's folder: listed (not included) so support knows what the desk can replay. */
  recordingDir?: string;
}

export interface DiagnosticsOptions {
  /** Upper bound of the zip (default 200 MiB). */
  maxBytes?: number;
  /** Top-N depth of the book dumps (default 50). */
  bookDepth?: number;
  onProgress?(p: { step: string; done: number; total: number; bytes: number }): void;
}

function scrubText(s: string): string {
  return maskSecrets(s);
}

/** A gzip part with every registered secret masked inside (unchanged bytes when none occurs). */
function scrubGzip(buf: Buffer): Buffer {
  const secrets = registeredSecrets();
  if (secrets.size === 0) return buf;
  let text: string;
  try {
    text = gunzipSync(buf).toString('utf8');
  } catch {
    return buf;
  }
  for (const v of secrets) if (text.includes(v)) return gzipSync(Buffer.from(maskSecrets(text), 'utf8'));
  return buf;
}

/** Recorder files under `dir` (one folder per venue), newest first. */
function recordingIndex(dir: string | undefined): { venue: string; file: string; bytes: number; modified: string }[] {
  if (dir === undefined || !existsSync(dir)) return [];
  const out: { venue: string; file: string; bytes: number; modified: string; ms: number }[] = [];
  for (const venue of readdirSync(dir)) {
    const sub = join(dir, venue);
    if (!statSync(sub).isDirectory()) continue;
    for (const f of readdirSync(sub)) {
      const st = statSync(join(sub, f), { throwIfNoEntry: false });
      if (st?.isFile()) out.push({ venue, file: f, bytes: st.size, modified: new Date(st.mtimeMs).toISOString(), ms: st.mtimeMs });
    }
  }
  return out.sort((a, b) => b.ms - a.ms).map(({ ms: _ms, ...r }) => r);
}

function json(value: unknown): string {
  return `${JSON.stringify(redact(value), null, 2)}\n`;
}

function listFiles(dir: string | undefined, match: (name: string) => boolean): { path: string; size: number; mtimeMs: number }[] {
  if (dir === undefined || !existsSync(dir)) return [];
  const out: { path: string; size: number; mtimeMs: number }[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isFile() && match(name)) out.push({ path: p, size: st.size, mtimeMs: st.mtimeMs });
  }
  return out.sort((a, b) => b.mtimeMs - a.mtimeMs);
}

export async function exportDiagnostics(src: DiagnosticsSource, outPath: string, opts: DiagnosticsOptions = {}): Promise<DiagnosticsResult> {
  const maxBytes = opts.maxBytes ?? 200 * 2 ** 20;
  const depth = opts.bookDepth ?? 50;
  const parts: string[] = [];
  const omitted: string[] = [];
  const zip = new ZipWriter(outPath);
  // Reserve room for the manifest, summary and central directory.
  const reserve = 256 * 1024;
  let step = 0;
  const status = await src.status();
  const incidents = src.incidentDir && existsSync(src.incidentDir) ? readdirSync(src.incidentDir).filter((d) => statSync(join(src.incidentDir!, d)).isDirectory()).sort().reverse() : [];
  const logs = listFiles(src.logDir, (n) => /\.log(\.\d+)?$/.test(n));
  const total = 7 + status.symbols.length + logs.length + incidents.length;
  const progress = (name: string) => opts.onProgress?.({ step: name, done: ++step, total, bytes: zip.bytes });

  const add = async (name: string, data: string | Buffer, required = false): Promise<boolean> => {
    const size = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
    // Compressed size is unknown before compressing; bound by the raw size for text that
    // compresses well and by the exact size for already-compressed captures.
    const estimate = typeof data === 'string' ? Math.ceil(size / 4) : size;
    if (!required && zip.bytes + estimate + reserve > maxBytes) {
      omitted.push(`${name} (${size} bytes): bundle limit ${maxBytes} bytes reached`);
      return false;
    }
    await zip.add(name, typeof data === 'string' ? scrubText(data) : name.endsWith('.gz') ? scrubGzip(data) : data);
    parts.push(name);
    return true;
  };

  try {
    const config = await src.config();
    await add('config.json', json(config), true);
    progress('config');
    await add('status/venues.json', json(status.venues), true);
    await add('status/symbols.json', json(status.symbols), true);
    await add('status/processes.json', json({ processes: status.processes, publisher: status.publisher }), true);
    progress('status');
    await add('events/timeline.json', json(await src.events()), true);
    progress('events');
    await add('metrics/history.json', json(src.metricsHistory()), true);
    progress('metrics');
    for (const s of status.symbols) {
      try {
        const b = await src.book(s.venue, s.symbol, depth);
        await add(`books/${s.venue}/${s.symbol.replace(/[^A-Za-z0-9_.-]/g, '_')}.json`, json(b));
      } catch (e) {
        omitted.push(`books/${s.venue}/${s.symbol}: ${(e as Error).message}`);
      }
      progress(`book ${s.venue} ${s.symbol}`);
    }
    // Logs rotate and old captures are pruned while the export runs: a part that vanished between
    // listing and reading is reported as left out, never a failed export.
    for (const l of logs) {
      let text: string | null = null;
      try {
        text = readFileSync(l.path, 'utf8');
      } catch (e) {
        omitted.push(`logs/${basename(l.path)}: ${(e as Error).message}`);
      }
      if (text !== null) await add(`logs/${basename(l.path)}`, text);
      progress(`log ${basename(l.path)}`);
    }
    for (const id of incidents) {
      const dir = join(src.incidentDir!, id);
      let files: { name: string; data: string | Buffer }[] = [];
      try {
        files = readdirSync(dir).map((f) => ({ name: f, data: f.endsWith('.json') ? readFileSync(join(dir, f), 'utf8') : readFileSync(join(dir, f)) }));
      } catch (e) {
        omitted.push(`incidents/${id}: ${(e as Error).message}`);
      }
      for (const f of files) await add(`incidents/${id}/${f.name}`, f.data);
      progress(`incident ${id}`);
    }
    const recordings = recordingIndex(src.recordingDir);
    await add('recordings/index.json', json({ dir: src.recordingDir ?? null, files: recordings, note: 'The raw recordings stay on the desk (too large to send); name the ones support needs.' }));
    progress('recordings index');
    const cpu = cpus();
    const nowMs = Date.now();
    const offsets = status.venues.map((v) => v.clockOffsetMs).filter((x): x is number => x !== null).sort((a, b) => a - b);
    const manifest = {
      app: 'depthdesk',
      version: src.version,
      build: src.build,
      createdAt: new Date(nowMs).toISOString(),
      os: { platform: platform(), release: release(), arch: arch(), hostname: hostname() },
      cpu: { model: cpu[0]?.model ?? 'unknown', cores: cpu.length },
      memory: { totalBytes: totalmem(), freeBytes: freemem(), processRss: process.memoryUsage().rss },
      uptime: { systemS: uptime(), engineMs: nowMs - src.startedMs },
      clockOffsetMs: { medianAcrossVenues: offsets.length ? offsets[Math.floor(offsets.length / 2)] : null, perVenue: Object.fromEntries(status.venues.map((v) => [v.venue, v.clockOffsetMs])) },
      mode: status.mode,
      counts: { venues: status.venues.length, symbols: status.symbols.length, live: status.symbols.filter((s) => s.state === 'live').length, incidents: incidents.length, logs: logs.length },
      parts: [...parts, 'manifest.json', 'SUMMARY.txt'],
      omitted,
      maxBytes,
    };
    await add('manifest.json', json(manifest), true);
    const summary = [
      `Depthdesk diagnostics ${manifest.createdAt}`,
      `version ${src.version} build ${src.build}; ${manifest.os.platform} ${manifest.os.release}; ${manifest.cpu.cores} x ${manifest.cpu.model}`,
      `${manifest.counts.symbols} books (${manifest.counts.live} live) on ${manifest.counts.venues} venues; ${incidents.length} incident capture(s); ${logs.length} log file(s)`,
      '',
      `Included (${parts.length}):`,
      ...parts.map((p) => `  ${p}`),
      '',
      omitted.length ? `Left out (${omitted.length}):` : 'Nothing was left out.',
      ...omitted.map((o) => `  ${o}`),
      '',
      'Secrets: configuration fields that look like credentials and every registered secret value are redacted.',
    ].join('\n');
    await add('SUMMARY.txt', `${summary}\n`, true);
    progress('manifest');
    const bytes = await zip.finish();
    return { path: outPath, bytes, parts: [...parts], omitted };
  } catch (e) {
    zip.abort();
    throw e;
  }
}
