/**
 * The file side of the raw recorder: per-venue rolling gzip files, run inside the recorder's
 * worker thread so formatting and compression never compete with the feed's event loop.
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { join } from 'node:path';
import { createGzip } from 'node:zlib';
import type { Gzip } from 'node:zlib';
import { envelopeLine } from './frameTap.ts';
import type { FrameRecord } from './frameTap.ts';

export interface RecorderFilesConfig {
  dir: string;
  maxFileBytes: number;
  maxFileAgeMs: number;
  retryMs: number;
  gzipLevel: number;
}

interface VenueFile {
  venue: string;
  path: string;
  gzip: Gzip;
  out: WriteStream;
  openedMs: number;
  bytes: number;
  failed: boolean;
}

export interface RecorderFileStats {
  files: number;
  linesWritten: number;
  bytesWritten: number;
  droppedOnError: number;
  errors: number;
  lastError: string | null;
  currentFiles: string[];
}

export class RecorderFiles {
  private readonly cfg: RecorderFilesConfig;
  private readonly files = new Map<string, VenueFile>();
  private readonly blockedUntil = new Map<string, number>();
  private readonly closing = new Set<Promise<void>>();
  private readonly onError: (message: string) => void;
  readonly stats: RecorderFileStats = { files: 0, linesWritten: 0, bytesWritten: 0, droppedOnError: 0, errors: 0, lastError: null, currentFiles: [] };

  constructor(cfg: RecorderFilesConfig, onError: (message: string) => void) {
    this.cfg = cfg;
    this.onError = onError;
  }

  private error(message: string): void {
    this.stats.errors++;
    this.stats.lastError = message;
    this.onError(message);
  }

  /** Write a batch of frames (any venues, in order). */
  write(frames: FrameRecord[]): void {
    const now = Date.now();
    const byVenue = new Map<string, string[]>();
    for (const f of frames) {
      let lines = byVenue.get(f.venue);
      if (lines === undefined) {
        lines = [];
        byVenue.set(f.venue, lines);
      }
      lines.push(envelopeLine(f));
    }
    for (const [venue, lines] of byVenue) {
      let vf = this.files.get(venue);
      if (vf !== undefined && (vf.bytes >= this.cfg.maxFileBytes || now - vf.openedMs >= this.cfg.maxFileAgeMs)) {
        this.files.delete(venue);
        const p = endFile(vf);
        this.closing.add(p);
        void p.then(() => this.closing.delete(p));
        vf = undefined;
      }
      vf ??= this.open(venue, now);
      if (vf === undefined) {
        this.stats.droppedOnError += lines.length;
        continue;
      }
      const text = lines.join('');
      vf.gzip.write(text);
      vf.bytes += text.length;
      this.stats.linesWritten += lines.length;
      this.stats.bytesWritten += text.length;
    }
    this.stats.currentFiles = [...this.files.values()].map((f) => f.path);
  }

  private open(venue: string, nowMs: number): VenueFile | undefined {
    if (nowMs < (this.blockedUntil.get(venue) ?? 0)) return undefined;
    const dir = join(this.cfg.dir, venue);
    try {
      mkdirSync(dir, { recursive: true });
    } catch (e) {
      this.blockedUntil.set(venue, nowMs + this.cfg.retryMs);
      this.error(`recorder: cannot create ${dir}: ${(e as Error).message}`);
      return undefined;
    }
    const stamp = new Date(nowMs).toISOString().replace(/[:.]/g, '-');
    let path = join(dir, `${venue}-${stamp}.ndjson.gz`);
    // Two files in the same millisecond (fast rolls): keep names unique.
    for (let i = 1; [...this.files.values()].some((f) => f.path === path) || this.stats.currentFiles.includes(path); i++) path = join(dir, `${venue}-${stamp}-${i}.ndjson.gz`);
    const out = createWriteStream(path, { flags: 'wx' });
    const gzip = createGzip({ level: this.cfg.gzipLevel });
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
    this.stats.files++;
    return vf;
  }

  async close(): Promise<void> {
    const done = [...this.files.values()].map(endFile);
    this.files.clear();
    await Promise.all([...done, ...this.closing]);
    this.stats.currentFiles = [];
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
