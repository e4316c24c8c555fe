/**
 * The file side of the raw recorder: per-venue rolling gzip files, run inside the recorder's
 * worker thread so formatting and compression never compete with the feed's event loop.
 *
 * Retention: whenever a file is opened or finished, the recordings under `dir` (every venue,
 * every process writing there) are trimmed, oldest first, to `maxTotalBytes` and `maxAgeMs`;
 * files still being written by this recorder are never removed.
 */
import { createWriteStream, mkdirSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { join } from 'node:path';
import { constants as zlibConstants, createGzip } from 'node:zlib';
import type { Gzip } from 'node:zlib';
import { envelopeLine } from './frameTap.ts';
import type { FrameRecord } from './frameTap.ts';

export interface RecorderFilesConfig {
  dir: string;
  maxFileBytes: number;
  maxFileAgeMs: number;
  retryMs: number;
  gzipLevel: number;
  /** Keep the recordings under `dir` within this many bytes on disk (0 = no limit). */
  maxTotalBytes?: number;
  /** Delete recordings older than this (0 = keep). */
  maxAgeMs?: number;
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
  /** Files deleted by the retention limits. */
  filesRemoved?: number;
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
        // A gzip file has its real size once it is closed: apply the limits then.
        void p.then(() => {
          this.closing.delete(p);
          this.retain(Date.now());
        });
        vf = undefined;
      }
      vf ??= this.open(venue, now);
      if (vf === undefined) {
        this.stats.droppedOnError += lines.length;
        continue;
      }
      const text = lines.join('');
      vf.gzip.write(text);
      // Each batch ends on a flush point: a file cut short (the process was killed, the disk
      // filled) still holds every batch before, and a file being written can be read to its end.
      vf.gzip.flush(zlibConstants.Z_SYNC_FLUSH);
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
    this.retain(nowMs);
    return vf;
  }

  /** Apply the size and age limits to every recording under `dir`, oldest first. */
  private retain(nowMs: number): void {
    const maxTotal = this.cfg.maxTotalBytes ?? 0;
    const maxAge = this.cfg.maxAgeMs ?? 0;
    if (maxTotal <= 0 && maxAge <= 0) return;
    const open = new Set([...this.files.values()].map((f) => f.path));
    const all: { path: string; order: string; size: number; mtimeMs: number }[] = [];
    try {
      for (const d of readdirSync(this.cfg.dir, { withFileTypes: true })) {
        if (!d.isDirectory()) continue;
        const sub = join(this.cfg.dir, d.name);
        for (const f of readdirSync(sub)) {
          if (!f.endsWith('.ndjson.gz')) continue;
          const p = join(sub, f);
          const st = statSync(p, { throwIfNoEntry: false });
          if (st !== undefined) all.push({ path: p, order: fileOrder(f), size: st.size, mtimeMs: st.mtimeMs });
        }
      }
    } catch (e) {
      this.error(`recorder: cannot list ${this.cfg.dir} for retention: ${(e as Error).message}`);
      return;
    }
    // Oldest first by the time the file was opened (its name), not by its last write: files close
    // asynchronously, so an older file can be written to last.
    all.sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0));
    let total = all.reduce((n, f) => n + f.size, 0);
    for (const f of all) {
      const tooOld = maxAge > 0 && nowMs - f.mtimeMs > maxAge;
      const tooBig = maxTotal > 0 && total > maxTotal;
      if (!tooOld && !tooBig) break;
      if (open.has(f.path)) continue;
      try {
        unlinkSync(f.path);
        total -= f.size;
        this.stats.filesRemoved = (this.stats.filesRemoved ?? 0) + 1;
      } catch (e) {
        // Another process writing to the same folder may have removed it first.
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') this.error(`recorder: cannot remove ${f.path}: ${(e as Error).message}`);
      }
    }
  }

  async close(): Promise<void> {
    const done = [...this.files.values()].map(endFile);
    this.files.clear();
    await Promise.all([...done, ...this.closing]);
    this.stats.currentFiles = [];
    this.retain(Date.now());
  }
}

/** Sort key of `<venue>-<UTC time>[-n].ndjson.gz`: the time, then the same-millisecond counter. */
function fileOrder(name: string): string {
  const m = /(\d{4}-\d{2}-\d{2}T[\d-]+Z)(?:-(\d+))?\.ndjson\.gz$/.exec(name);
  return m === null ? name : `${m[1]}-${(m[2] ?? '0').padStart(6, '0')}`;
}

function endFile(vf: VenueFile): Promise<void> {
  return new Promise<void>((resolve) => {
    if (vf.failed) return resolve();
    vf.out.once('close', () => resolve());
    vf.out.once('error', () => resolve());
    vf.gzip.end();
  });
}
