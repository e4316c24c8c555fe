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
 * (its end moves to `afterMs` after the latest event, up to `maxCaptureMs` in all) instead of
 * writing overlapping copies: a connection that flaps gives one capture of the whole episode.
 *
 * The folder keeps the newest `maxIncidents` captures (every process writing there counts them
 * together); older ones are deleted, so captures never fill a disk.
 */
import { readdirSync, existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { IncidentRef } from '../../../src-shared/contracts/engineApi.ts';
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
  /** Incidents kept on disk; older ones are deleted and counted as pruned (default 200). */
  maxIncidents?: number;
  /** Longest capture when events keep extending it (default 6 x afterMs). */
  maxCaptureMs?: number;
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
  key: string;
  venue: string;
  conn: string;
  frames: FrameRecord[];
  head: number;
  bytes: number;
  /** Frames pushed since the last trim by age. */
  sinceTrim: number;
}

/** Age trimming runs every this many frames (count and byte bounds are checked on every frame). */
const TRIM_EVERY = 64;

interface OpenCapture {
  id: string;
  conn: string;
  venue: VenueId;
  events: IncidentEvent[];
  frames: FrameRecord[];
  openedMs: number;
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
  /** Capture folders deleted to keep the newest `maxIncidents`. */
  pruned = 0;
  private last: Ring | undefined;
  private readonly beforeNs: bigint;

  constructor(cfg: IncidentConfig) {
    const afterMs = cfg.afterMs ?? 10_000;
    this.cfg = { beforeMs: 10_000, afterMs, maxFrames: 50_000, maxBytes: 32 * 2 ** 20, maxIncidents: 200, maxCaptureMs: 6 * afterMs, now: Date.now, ...cfg };
    this.beforeNs = BigInt(this.cfg.beforeMs) * 1_000_000n;
  }

  get dir(): string {
    return this.cfg.dir;
  }

  /** Trigger an incident and say where its capture will be complete (for the event that caused it). */
  capture(ev: IncidentEvent): IncidentRef {
    const id = this.trigger(ev);
    let readyMs = this.cfg.now();
    for (const c of this.open.values()) if (c.id === id) readyMs = c.untilMs;
    return { id, path: join(this.cfg.dir, id), readyMs, cause: ev.kind };
  }

  private key(venue: string, conn: string): string {
    return `${venue}|${conn}`;
  }

  /**
   * Hot path (every frame of every connection): no string building and no BigInt arithmetic per
   * frame. The ring of the previous frame is reused while frames come from the same connection,
   * the age bound (BigInt receive times) is applied every TRIM_EVERY frames, so a ring holds at
   * most that many frames beyond its window (captures cut the window exactly).
   */
  frame(f: FrameRecord): void {
    let ring = this.last;
    if (ring === undefined || ring.conn !== f.conn || ring.venue !== f.venue) {
      const k = this.key(f.venue, f.conn);
      ring = this.rings.get(k);
      if (ring === undefined) {
        ring = { key: k, venue: f.venue, conn: f.conn, frames: [], head: 0, bytes: 0, sinceTrim: 0 };
        this.rings.set(k, ring);
      }
      this.last = ring;
    }
    const frames = ring.frames;
    frames.push(f);
    ring.bytes += f.raw.length;
    if (++ring.sinceTrim >= TRIM_EVERY || frames.length - ring.head > this.cfg.maxFrames || ring.bytes > this.cfg.maxBytes) this.trim(ring, f.recvTsNs);
    if (this.open.size > 0) {
      const cap = this.open.get(ring.key);
      if (cap !== undefined) cap.frames.push(f);
    }
  }

  /** Trim by count, bytes and age (age against the newest frame's receive time). */
  private trim(ring: Ring, newestNs: bigint): void {
    ring.sinceTrim = 0;
    const frames = ring.frames;
    const oldestNs = newestNs - this.beforeNs;
    while (ring.head < frames.length - 1 && (frames.length - ring.head > this.cfg.maxFrames || ring.bytes > this.cfg.maxBytes || frames[ring.head]!.recvTsNs < oldestNs)) {
      ring.bytes -= frames[ring.head]!.raw.length;
      ring.head++;
    }
    // Amortized compaction of the dead head.
    if (ring.head > 1024 && ring.head * 2 > frames.length) {
      frames.splice(0, ring.head);
      ring.head = 0;
    }
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
        const until = Math.min(this.cfg.now() + this.cfg.afterMs, existing.openedMs + this.cfg.maxCaptureMs);
        if (until > existing.untilMs) {
          existing.untilMs = until;
          clearTimeout(existing.timer);
          existing.timer = setTimeout(() => this.close(k), until - this.cfg.now());
          existing.timer.unref?.();
        }
        continue;
      }
      const ring = this.rings.get(k);
      // The window ends at the event, or at the connection's last frame when it went silent
      // (a stale connection): its last `beforeMs` of traffic is what explains the silence.
      const nowNs = BigInt(this.cfg.now()) * 1_000_000n;
      const lastNs = ring !== undefined && ring.frames.length > ring.head ? ring.frames[ring.frames.length - 1]!.recvTsNs : nowNs;
      const fromNs = (lastNs < nowNs ? lastNs : nowNs) - BigInt(this.cfg.beforeMs) * 1_000_000n;
      const window = ring ? ring.frames.slice(ring.head).filter((f) => f.recvTsNs >= fromNs) : [];
      const stamp = new Date(ev.tsMs).toISOString().replace(/[:.]/g, '-');
      let capId = `${stamp}-${ev.venue}-${(ev.symbol ?? 'all').replace(/[^A-Za-z0-9_-]/g, '_')}-${ev.kind}-${++this.seq}`;
      // A restarted process counts from 1 again, and several processes share the folder: never
      // write over a capture that is already there.
      for (let n = 2; existsSync(join(this.cfg.dir, capId)) || [...this.open.values()].some((c) => c.id === capId); n++) capId = `${capId.replace(/~\d+$/, '')}~${n}`;
      const conn = k.slice(ev.venue.length + 1);
      const cap: OpenCapture = {
        id: capId,
        conn,
        venue: ev.venue,
        events: [ev],
        frames: window,
        openedMs: this.cfg.now(),
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
    await this.prune();
    for (const fn of this.listeners) fn(rec);
  }

  /** Delete the oldest capture folders beyond `maxIncidents` (names start with their UTC time). */
  private async prune(): Promise<void> {
    if (!existsSync(this.cfg.dir)) return;
    const captures = readdirSync(this.cfg.dir, { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join(this.cfg.dir, d.name, 'event.json')))
      .map((d) => d.name)
      .sort();
    const excess = captures.length - this.cfg.maxIncidents;
    for (let i = 0; i < excess; i++) {
      await rm(join(this.cfg.dir, captures[i]!), { recursive: true, force: true });
      this.pruned++;
    }
  }

  /** Captures still collecting their "after" frames. */
  get openCaptures(): number {
    return this.open.size;
  }

  /** Close every open capture now and wait for the files (shutdown, tests). */
  async flush(): Promise<void> {
    for (const k of this.open.keys()) this.close(k);
    await Promise.all(this.writes);
  }
}
