/**
 * Raw recorder: every frame of the enabled venues to rolling gzip NDJSON files, in the envelope
 * of ../shared/data, so a desk keeps its own captures and every fix can be proven on them.
 *
 * The hot path (`frame`) only formats one line and appends it to an in-memory queue; a timer
 * drains the queue into a gzip stream (compression runs on libuv's thread pool). The queue is
 * bounded: when the disk cannot keep up, frames are dropped and counted rather than slowing the
 * feed. A directory that cannot be created, a full disk or any write error is reported through
 * `onError` and the stats; the engine keeps running, and the recorder retries a new file later.
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { join } from 'node:path';
import { createGzip } from 'node:zlib';
import type { Gzip } from 'node:zlib';
import type { VenueId } from '../../../src-shared/model/market.ts';
import { envelopeLine } from './frameTap.ts';
import type { FrameRecord, FrameTap } from './frameTap.ts';

export interface RecorderConfig {
  /** Root folder; files go to `<dir>/<venue>/<venue>-<UTC time>.ndjson.gz`. */
  dir: string;
  /** Venues recorded ('all' or a list). */
  venues: 'all' | VenueId[];
  /** Roll to a new file after this many uncompressed bytes (default 256 MiB). */
  maxFileBytes?: number;
  /** Roll to a new file after this long (default 1 h). */
  maxFileAgeMs?: number;
  /** Queue bound before frames are dropped (default 64 MiB of text). */
  maxQueueBytes?: number;
  /** Drain interval (default 50 ms). */
  flushMs?: number;
  /** After an error, wait this long before opening a new file (default 30 s). */
  retryMs?: number;
}

export interface RecorderStats {
  enabled: boolean;
  venues: string[];
  files: number;
  linesWritten: number;
  bytesWritten: number;
  queuedBytes: number;
  dropped: number;
  errors: number;
  lastError: string | null;
  currentFiles: string[];
}

interface VenueFile {
  venue: VenueId;
  path: string;
  gzip: Gzip;
  out: WriteStream;
  openedMs: number;
  bytes: number;
  failed: boolean;
}

export class RawRecorder implements FrameTap {
  private readonly cfg: Required<RecorderConfig>;
  private readonly files = new Map<VenueId, VenueFile>();
  private readonly queues = new Map<VenueId, string[]>();
  private queuedBytes = 0;
  private readonly blockedUntil = new Map<VenueId, number>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly errorListeners = new Set<(message: string) => void>();
  private readonly stats_ = { files: 0, linesWritten: 0, bytesWritten: 0, dropped: 0, errors: 0, lastError: null as string | null };
  private closed = false;
  /** Files rolled over and still flushing. */
  private readonly closing = new Set<Promise<void>>();

  constructor(cfg: RecorderConfig) {
    this.cfg = {
      maxFileBytes: 256 * 2 ** 20,
      maxFileAgeMs: 3600_000,
      maxQueueBytes: 64 * 2 ** 20,
      flushMs: 50,
      retryMs: 30_000,
      ...cfg,
    };
    this.timer = setInterval(() => this.drain(), this.cfg.flushMs);
    this.timer.unref?.();
  }

  /** Listen for recorder errors (unwritable directory, disk full...). */
  onError(fn: (message: string) => void): () => void {
    this.errorListeners.add(fn);
    return () => this.errorListeners.delete(fn);
  }

  records(venue: VenueId): boolean {
    return this.cfg.venues === 'all' || this.cfg.venues.includes(venue);
  }

  /** Hot path: format and queue. Never blocks, never throws. */
  frame(f: FrameRecord): void {
    if (this.closed || !this.records(f.venue)) return;
    const line = envelopeLine(f);
    if (this.queuedBytes + line.length > this.cfg.maxQueueBytes) {
      this.stats_.dropped++;
      return;
    }
    let q = this.queues.get(f.venue);
    if (q === undefined) {
      q = [];
      this.queues.set(f.venue, q);
    }
    q.push(line);
    this.queuedBytes += line.length;
  }

  private error(message: string): void {
    this.stats_.errors++;
    this.stats_.lastError = message;
    for (const fn of this.errorListeners) {
      try {
        fn(message);
      } catch {
        // A listener's failure must not stop the recorder.
      }
    }
  }

  private open(venue: VenueId, nowMs: number): VenueFile | undefined {
    const until = this.blockedUntil.get(venue) ?? 0;
    if (nowMs < until) return undefined;
    const dir = join(this.cfg.dir, venue);
    try {
      mkdirSync(dir, { recursive: true });
    } catch (e) {
      this.blockedUntil.set(venue, nowMs + this.cfg.retryMs);
      this.error(`recorder: cannot create ${dir}: ${(e as Error).message}`);
      return undefined;
    }
    const stamp = new Date(nowMs).toISOString().replace(/[:.]/g, '-');
    const path = join(dir, `${venue}-${stamp}.ndjson.gz`);
    const out = createWriteStream(path, { flags: 'wx' });
    const gzip = createGzip({ level: 6 });
    const vf: VenueFile = { venue, path, gzip, out, openedMs: nowMs, bytes: 0, failed: false };
    const fail = (e: Error) => {
      if (vf.failed) return;
      vf.failed = true;
      this.blockedUntil.set(venue, Date.now() + this.cfg.retryMs);
      if (this.files.get(venue) === vf) this.files.delete(venue);
      this.error(`recorder: writing ${path} failed: ${e.message}`);
      gzip.destroy();
      out.destroy();
    };
    out.on('error', fail);
    gzip.on('error', fail);
    gzip.pipe(out);
    this.files.set(venue, vf);
    this.stats_.files++;
    return vf;
  }

  private rollIfNeeded(vf: VenueFile, nowMs: number): void {
    if (vf.bytes >= this.cfg.maxFileBytes || nowMs - vf.openedMs >= this.cfg.maxFileAgeMs) {
      this.files.delete(vf.venue);
      const p = endFile(vf);
      this.closing.add(p);
      void p.then(() => this.closing.delete(p));
    }
  }

  /** Move queued lines into the gzip streams. */
  drain(): void {
    const now = Date.now();
    for (const [venue, q] of this.queues) {
      if (q.length === 0) continue;
      let vf = this.files.get(venue);
      if (vf !== undefined) this.rollIfNeeded(vf, now);
      vf = this.files.get(venue) ?? this.open(venue, now);
      const text = q.join('');
      const lines = q.length;
      this.queuedBytes -= text.length;
      q.length = 0;
      if (vf === undefined) {
        this.stats_.dropped += lines;
        continue;
      }
      vf.gzip.write(text);
      vf.bytes += text.length;
      this.stats_.linesWritten += lines;
      this.stats_.bytesWritten += text.length;
    }
  }

  stats(): RecorderStats {
    return {
      enabled: !this.closed,
      venues: this.cfg.venues === 'all' ? ['all'] : [...this.cfg.venues],
      ...this.stats_,
      queuedBytes: this.queuedBytes,
      currentFiles: [...this.files.values()].map((f) => f.path),
    };
  }

  /** Flush everything and close the files. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.drain();
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    const done = [...this.files.values()].map(endFile);
    this.files.clear();
    await Promise.all([...done, ...this.closing]);
  }
}

function endFile(vf: VenueFile): Promise<void> {
  return new Promise<void>((resolve) => {
    if (vf.failed) return resolve();
    vf.out.once('close', () => resolve());
    vf.out.once('error', () => resolve());
    vf.gzip.end();
  });
}
