/**
 * Incident captures: for every resync, anomaly and process restart, the raw frames of the
 * affected connection from `beforeMs` before the event to `afterMs` after it, written beside the
 * event record so support can replay exactly what happened (`depthdesk verify <incident>`).
 *
 * Each connection keeps a ring of its recent frames in memory (bounded by time, count and bytes;
 * frames are kept by reference, nothing is copied on the hot path). When an incident triggers,
 * the ring's window is taken and the capture keeps collecting that connection's frames until
 * `afterMs` has passed; then `<dir>/<id>/frames.ndjson.gz` and `<dir>/<id>/event.json` are
 * written. Several incidents on one connection while a capture is open extend that capture
 * instead of writing overlapping copies.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { AnomalyKind, VenueId } from '../../../src-shared/model/market.ts';
import { envelopeLine } from './frameTap.ts';
import type { FrameRecord, FrameTap } from './frameTap.ts';

export interface IncidentConfig {
  dir: string;
  /** Frames kept before the event (default 10 s). */
  beforeMs?: number;
  /** Frames kept after the event (default 10 s). */
  afterMs?: number;
  /** Ring bounds per connection (defaults 50 000 frames, 32 MiB of text). */
  maxFrames?: number;
  maxBytes?: number;
  /** Incidents kept on disk; older ones are counted as pruned (default 200). */
  maxIncidents?: number;
  now?: () => number;
}

export interface IncidentEvent {
  kind: AnomalyKind | 'process-restart' | 'manual';
  venue: VenueId;
  symbol: string | null;
  /** Connection whose frames are captured ('' = every connection of the venue). */
  conn: string;
  detail: string;
  tsMs: number;
}

export interface IncidentRecord {
  id: string;
  path: string;
  events: IncidentEvent[];
  frames: number;
  bytes: number;
  fromNs: string;
  toNs: string;
}

/** Frames in [head, frames.length) are live; the dead head is compacted away in chunks. */
interface Ring {
  frames: FrameRecord[];
  head: number;
  bytes: number;
}

interface OpenCapture {
  id: string;
  conn: string;
  venue: VenueId;
  events: IncidentEvent[];
  frames: FrameRecord[];
  untilMs: number;
  timer: ReturnType<typeof setTimeout>;
}

export class IncidentRecorder implements FrameTap {
  private readonly cfg: Required<IncidentConfig>;
  private readonly rings = new Map<string, Ring>();
  private readonly open = new Map<string, OpenCapture>();
  private readonly written: IncidentRecord[] = [];
  private readonly writes = new Set<Promise<unknown>>();
  private readonly listeners = new Set<(r: IncidentRecord) => void>();
  private readonly errorListeners = new Set<(m: string) => void>();
  private seq = 0;
  errors = 0;
  lastError: string | null = null;

  constructor(cfg: IncidentConfig) {
    this.cfg = { beforeMs: 10_000, afterMs: 10_000, maxFrames: 50_000, maxBytes: 32 * 2 ** 20, maxIncidents: 200, now: Date.now, ...cfg };
  }

  private key(venue: string, conn: string): string {
    return `${venue}|${conn}`;
  }

  frame(f: FrameRecord): void {
    const k = this.key(f.venue, f.conn);
    let ring = this.rings.get(k);
    if (ring === undefined) {
      ring = { frames: [], head: 0, bytes: 0 };
      this.rings.set(k, ring);
    }
    const frames = ring.frames;
    frames.push(f);
    ring.bytes += f.raw.length;
    // Trim by count, bytes and age (age against the newest frame's receive time).
    const oldestNs = f.recvTsNs - BigInt(this.cfg.beforeMs) * 1_000_000n;
    while (ring.head < frames.length - 1 && (frames.length - ring.head > this.cfg.maxFrames || ring.bytes > this.cfg.maxBytes || frames[ring.head]!.recvTsNs < oldestNs)) {
      ring.bytes -= frames[ring.head]!.raw.length;
      ring.head++;
    }
    // Amortized compaction of the dead head.
    if (ring.head > 1024 && ring.head * 2 > frames.length) {
      frames.splice(0, ring.head);
      ring.head = 0;
    }
    const cap = this.open.get(k);
    if (cap !== undefined) cap.frames.push(f);
  }

  /** Trigger an incident. Returns the capture id (shared when a capture is already open). */
  trigger(ev: IncidentEvent): string {
    const keys = ev.conn ? [this.key(ev.venue, ev.conn)] : [...this.rings.keys()].filter((k) => k.startsWith(`${ev.venue}|`));
    if (keys.length === 0) keys.push(this.key(ev.venue, ev.conn));
    let id = '';
    for (const k of keys) {
      const existing = this.open.get(k);
      if (existing !== undefined) {
        existing.events.push(ev);
        id = existing.id;
        continue;
      }
      const ring = this.rings.get(k);
      const nowNs = BigInt(this.cfg.now()) * 1_000_000n;
      const fromNs = nowNs - BigInt(this.cfg.beforeMs) * 1_000_000n;
      const window = ring ? ring.frames.slice(ring.head).filter((f) => f.recvTsNs >= fromNs) : [];
      const stamp = new Date(ev.tsMs).toISOString().replace(/[:.]/g, '-');
      const capId = `${stamp}-${ev.venue}-${(ev.symbol ?? 'all').replace(/[^A-Za-z0-9_-]/g, '_')}-${ev.kind}-${++this.seq}`;
      const conn = k.slice(ev.venue.length + 1);
      const cap: OpenCapture = {
        id: capId,
        conn,
        venue: ev.venue,
        events: [ev],
        frames: window,
        untilMs: this.cfg.now() + this.cfg.afterMs,
        timer: setTimeout(() => this.close(k), this.cfg.afterMs),
      };
      cap.timer.unref?.();
      this.open.set(k, cap);
      id = capId;
    }
    return id;
  }

  /** Listen for written incidents. */
  onWritten(fn: (r: IncidentRecord) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  onError(fn: (m: string) => void): () => void {
    this.errorListeners.add(fn);
    return () => this.errorListeners.delete(fn);
  }

  list(): IncidentRecord[] {
    return [...this.written];
  }

  private close(k: string): void {
    const cap = this.open.get(k);
    if (cap === undefined) return;
    this.open.delete(k);
    clearTimeout(cap.timer);
    const p = this.write(cap).catch((e: Error) => {
      this.errors++;
      this.lastError = `incident ${cap.id}: ${e.message}`;
      for (const fn of this.errorListeners) fn(this.lastError);
    });
    this.writes.add(p);
    void p.finally(() => this.writes.delete(p));
  }

  private async write(cap: OpenCapture): Promise<void> {
    const dir = join(this.cfg.dir, cap.id);
    await mkdir(dir, { recursive: true });
    const text = cap.frames.map(envelopeLine).join('');
    const gz = gzipSync(Buffer.from(text, 'utf8'));
    await writeFile(join(dir, 'frames.ndjson.gz'), gz);
    const rec: IncidentRecord = {
      id: cap.id,
      path: dir,
      events: cap.events,
      frames: cap.frames.length,
      bytes: gz.length,
      fromNs: String(cap.frames[0]?.recvTsNs ?? 0n),
      toNs: String(cap.frames[cap.frames.length - 1]?.recvTsNs ?? 0n),
    };
    await writeFile(join(dir, 'event.json'), `${JSON.stringify({ ...rec, venue: cap.venue, conn: cap.conn, afterMs: this.cfg.afterMs, beforeMs: this.cfg.beforeMs }, null, 2)}\n`);
    this.written.push(rec);
    if (this.written.length > this.cfg.maxIncidents) this.written.shift();
    for (const fn of this.listeners) fn(rec);
  }

  /** Close every open capture now and wait for the files (shutdown, tests). */
  async flush(): Promise<void> {
    for (const k of this.open.keys()) this.close(k);
    await Promise.all(this.writes);
  }
}
