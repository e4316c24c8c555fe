/**
 * Raw recorder: every frame of the enabled venues to rolling gzip NDJSON files, in the envelope
 * of ../shared/data, so a desk keeps its own captures and every fix can be proven on them.
 *
 * The hot path (`frame`) only appends the frame object to a batch. A timer posts the batch to a
 * worker thread (recorderWorker.ts) that formats the lines and writes the gzip files, so the
 * feed's event loop pays neither JSON escaping nor compression. What has been posted but not yet
 * written is bounded: when the disk cannot keep up, frames are dropped and counted rather than
 * slowing the feed. A directory that cannot be created, a full disk or any write error is
 * reported through `onError` and the stats; the engine keeps running, and the recorder retries a
 * new file later.
 */
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { VenueId } from '../../../src-shared/model/market.ts';
import type { FrameRecord, FrameTap } from './frameTap.ts';
import { packFrames } from './framePacking.ts';
import type { RecorderFileStats, RecorderFilesConfig } from './recorderFiles.ts';

export interface RecorderConfig {
  /** Root folder; files go to `<dir>/<venue>/<venue>-<UTC time>.ndjson.gz`. */
  dir: string;
  /** Venues recorded ('all' or a list). */
  venues: 'all' | VenueId[];
  /** Roll to a new file after this many uncompressed bytes (default 256 MiB). */
  maxFileBytes?: number;
  /** Roll to a new file after this long (default 1 h). */
  maxFileAgeMs?: number;
  /** Frames posted but not yet written, in bytes of raw text, before dropping (default 64 MiB). */
  maxQueueBytes?: number;
  /** Batch interval (default 50 ms). */
  flushMs?: number;
  /** After an error, wait this long before opening a new file (default 30 s). */
  retryMs?: number;
  /** gzip level (default 3: captures are written continuously, speed matters more than size). */
  gzipLevel?: number;
  /** Keep everything under `dir` within this many bytes (default 0 = no limit). */
  maxTotalBytes?: number;
  /** Delete files older than this (default 0 = keep). */
  maxAgeMs?: number;
}

export interface RecorderStats extends RecorderFileStats {
  enabled: boolean;
  venues: string[];
  queuedBytes: number;
  dropped: number;
}

export { packFrames, unpackFrames } from './framePacking.ts';
export type { PackedFrames } from './framePacking.ts';

/** The worker entry: the .ts source under Node, the bundled .js beside the feed entry in the app. */
function workerUrl(): URL {
  const ts = new URL('./recorderWorker.ts', import.meta.url);
  if (ts.protocol === 'file:' && existsSync(ts)) return ts;
  return new URL('./recorderWorker.js', import.meta.url);
}

export class RawRecorder implements FrameTap {
  private readonly cfg: Required<RecorderConfig>;
  private readonly worker: Worker;
  private batch: FrameRecord[] = [];
  private batchBytes = 0;
  /** Bytes posted to the worker and not yet acknowledged as written. */
  private inFlight = 0;
  private timer: ReturnType<typeof setInterval> | null;
  private readonly errorListeners = new Set<(message: string) => void>();
  private fileStats: RecorderFileStats = { files: 0, linesWritten: 0, bytesWritten: 0, droppedOnError: 0, errors: 0, lastError: null, currentFiles: [] };
  private dropped = 0;
  private closed = false;
  private closing: Promise<void> | null = null;
  private resolveClosed: (() => void) | null = null;

  constructor(cfg: RecorderConfig) {
    this.cfg = {
      maxFileBytes: 256 * 2 ** 20,
      maxFileAgeMs: 3600_000,
      maxQueueBytes: 64 * 2 ** 20,
      flushMs: 50,
      retryMs: 30_000,
      gzipLevel: 3,
      maxTotalBytes: 0,
      maxAgeMs: 0,
      ...cfg,
    };
    const filesCfg: RecorderFilesConfig = {
      dir: this.cfg.dir,
      maxFileBytes: this.cfg.maxFileBytes,
      maxFileAgeMs: this.cfg.maxFileAgeMs,
      retryMs: this.cfg.retryMs,
      gzipLevel: this.cfg.gzipLevel,
      maxTotalBytes: this.cfg.maxTotalBytes,
      maxAgeMs: this.cfg.maxAgeMs,
    };
    this.worker = new Worker(workerUrl(), { workerData: filesCfg });
    this.worker.unref();
    this.worker.on('message', (m: { t: string; message?: string; bytes?: number; stats?: RecorderFileStats }) => {
      if (m.stats) this.fileStats = m.stats;
      if (m.t === 'written') this.inFlight -= m.bytes ?? 0;
      else if (m.t === 'error') this.emitError(m.message ?? 'recorder error');
      else if (m.t === 'closed') this.resolveClosed?.();
    });
    this.worker.on('error', (e) => this.emitError(`recorder worker failed: ${e.message}`));
    this.timer = setInterval(() => this.drain(), this.cfg.flushMs);
    this.timer.unref?.();
  }

  /** Listen for recorder errors (unwritable directory, disk full...). */
  onError(fn: (message: string) => void): () => void {
    this.errorListeners.add(fn);
    return () => this.errorListeners.delete(fn);
  }

  private emitError(message: string): void {
    for (const fn of this.errorListeners) {
      try {
        fn(message);
      } catch {
        // A listener's failure must not stop the recorder.
      }
    }
  }

  records(venue: VenueId): boolean {
    return this.cfg.venues === 'all' || this.cfg.venues.includes(venue);
  }

  /** Hot path: append to the batch. Never blocks, never throws. */
  frame(f: FrameRecord): void {
    if (this.closed || !this.records(f.venue)) return;
    const n = f.raw.length + 64;
    if (this.inFlight + this.batchBytes + n > this.cfg.maxQueueBytes) {
      this.dropped++;
      return;
    }
    this.batch.push(f);
    this.batchBytes += n;
  }

  /** Post the current batch to the writer, packed so that the copy is a few memcpy's. */
  drain(): void {
    if (this.batch.length === 0) return;
    const frames = this.batch;
    const bytes = this.batchBytes;
    this.batch = [];
    this.batchBytes = 0;
    this.inFlight += bytes;
    const packed = packFrames(frames);
    this.worker.postMessage({ t: 'frames', packed, bytes }, [packed.lens.buffer as ArrayBuffer, packed.ts.buffer as ArrayBuffer, packed.meta.buffer as ArrayBuffer]);
  }

  stats(): RecorderStats {
    return {
      enabled: !this.closed,
      venues: this.cfg.venues === 'all' ? ['all'] : [...this.cfg.venues],
      ...this.fileStats,
      queuedBytes: this.inFlight + this.batchBytes,
      dropped: this.dropped + this.fileStats.droppedOnError,
    };
  }

  /** Flush everything, close the files and stop the worker. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.drain();
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.closing = new Promise<void>((resolve) => {
      this.resolveClosed = resolve;
      this.worker.postMessage({ t: 'close' });
    }).then(() => this.worker.terminate().then(() => undefined));
    return this.closing;
  }
}
