/**
 * Per-venue REST budget for order-book snapshots: a priority queue in front of one HTTP pool that
 * keeps the engine inside the venue's documented request-weight limit.
 *
 * Rules followed (venues.md sections 1.1, 3 and 4; Binance rest-api.md "LIMITS"):
 * - Every request costs a documented weight (Binance spot depth limit 1000 = 50, futures = 20);
 *   the venue allows `weightPerWindow` per `windowMs` and per IP. The budget counts what it sent in
 *   the current window (fixed windows aligned to the epoch, like Binance's per-minute counter) and
 *   never sends a request that would go past `share` of the limit.
 * - The venue's own count wins when it is higher: the `usedWeightHeader` of every response
 *   (`X-MBX-USED-WEIGHT-1M`) includes other programs on the same IP.
 * - 429 = back off for `Retry-After` seconds; 418 = the IP is banned until `Retry-After`.
 *   "Continuing after 429 escalates to a 418 ban scaling from 2 minutes to 3 days", so nothing at
 *   all is sent while blocked; the refused request keeps its place at the head of its priority.
 * - Network errors, timeouts and 5xx are retried per request with exponential backoff and jitter
 *   (`backoff.ts`); other 4xx answers are final and go back to the caller.
 * - Priorities: gap > manual > cold. A book that lost sync is served before cold starts (issue
 *   "serves gap resyncs before cold starts"), so a reconnect storm of cold symbols cannot starve it.
 * - One outstanding request per key (venue symbol): asking again upgrades the priority and
 *   redirects the answer to the newest caller, it never sends twice.
 *
 * Nothing here logs headers or full URLs: snapshot endpoints are public, but the rule is kept so
 * that signed endpoints added later cannot leak a key through a notice.
 */
import { Pool } from 'undici';
import type { RestBudgetView } from '../../../src-shared/contracts/engineApi.ts';
import type { SnapshotPriority } from '../venues/venue.ts';
import { backoffDelay } from './backoff.ts';
import type { BackoffPolicy } from './backoff.ts';
import { wallClockNs } from './wallClock.ts';

export type RestOutcome =
  /** A final answer: 2xx, or a 4xx that retrying cannot fix (the body says why). */
  | { kind: 'response'; status: number; body: string; recvTsNs: bigint }
  /** The request was withdrawn (connection closed, symbol removed, budget stopped). */
  | { kind: 'cancelled'; reason: string };

export interface RestRequest {
  /** Deduplication key: one outstanding request per key (the venue symbol). */
  key: string;
  /** Path and query below the base URL. */
  path: string;
  weight: number;
  priority: SnapshotPriority;
  onDone(outcome: RestOutcome): void;
}

/** One HTTP attempt, kept for observability and for tests that check the schedule. */
export interface RestAttempt {
  key: string;
  priority: SnapshotPriority;
  weight: number;
  queuedMs: number;
  sentMs: number;
  doneMs: number | null;
  status: number | null;
  error: string | null;
  /** Weight counted in the window after this answer (own count, corrected by the header). */
  usedAfter: number | null;
  /** Retry-After the venue sent, in ms. */
  retryAfterMs: number | null;
  /** The block this answer started (429/418), epoch ms. */
  blockedUntilMs: number | null;
}

export interface RestBudgetOptions {
  /** Venue id, for notices. */
  venue: string;
  /** Origin of the REST API ("https://api.binance.com", or a local replay server). */
  baseUrl: string;
  weightPerWindow: number;
  windowMs: number;
  usedWeightHeader?: string;
  /** Fraction of the venue's limit this process may use (default 0.8: room for other tools on the IP). */
  share?: number;
  /** Requests in flight at once (default 2). */
  maxInFlight?: number;
  /** Headers and body timeout per request (default 10 s). */
  timeoutMs?: number;
  /** Retry timing for network errors and 5xx (default 500 ms doubling to 30 s). */
  backoff?: BackoffPolicy;
  /** Block after a 418 without Retry-After (default 2 minutes, the documented first ban). */
  banFallbackMs?: number;
  now?: () => number;
  random?: () => number;
  notice?(level: 'info' | 'warn' | 'error', message: string, key?: string): void;
}

interface Entry {
  key: string;
  path: string;
  weight: number;
  priority: SnapshotPriority;
  onDone: (o: RestOutcome) => void;
  queuedMs: number;
  /** Not before this time (backoff after a failure). */
  notBeforeMs: number;
  failures: number;
  inFlight: boolean;
  cancelled: boolean;
}

const PRIORITIES: readonly SnapshotPriority[] = ['gap', 'manual', 'cold'];
const RANK: Record<SnapshotPriority, number> = { gap: 0, manual: 1, cold: 2 };
const HISTORY_KEPT = 512;

/** Seconds or an HTTP date (RFC 9110 section 10.2.3) to ms from now; undefined if absent/bad. */
export function parseRetryAfter(value: string | string[] | undefined, nowMs: number): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === '') return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

export class RestBudget {
  private readonly opts: RestBudgetOptions;
  private readonly pool: Pool;
  private readonly queues = new Map<SnapshotPriority, Entry[]>(PRIORITIES.map((p) => [p, []]));
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly capacity: number;
  private readonly maxInFlight: number;
  private readonly timeoutMs: number;
  private readonly backoff: BackoffPolicy;
  private inFlight = 0;
  private used = 0;
  private windowStartMs = 0;
  private blockedUntilMs = 0;
  private lastStatus: number | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAtMs = Number.POSITIVE_INFINITY;
  private stopped = false;
  /** Recent attempts, oldest first. */
  readonly history: RestAttempt[] = [];
  /** Totals since start. */
  readonly totals = { sent: 0, ok: 0, rateLimited: 0, banned: 0, retried: 0, failed: 0, cancelled: 0 };

  constructor(opts: RestBudgetOptions) {
    this.opts = opts;
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
    this.capacity = Math.max(1, Math.floor(opts.weightPerWindow * (opts.share ?? 0.8)));
    this.maxInFlight = opts.maxInFlight ?? 2;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.backoff = opts.backoff ?? { initialMs: 500, maxMs: 30_000 };
    this.pool = new Pool(opts.baseUrl, {
      connections: this.maxInFlight,
      connectTimeout: this.timeoutMs,
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
    });
  }

  /** Queue a request (or upgrade the outstanding one with the same key). */
  request(r: RestRequest): void {
    if (this.stopped) {
      queueMicrotask(() => r.onDone({ kind: 'cancelled', reason: 'REST budget stopped' }));
      return;
    }
    const have = this.entries.get(r.key);
    if (have !== undefined) {
      have.onDone = r.onDone;
      have.path = r.path;
      if (RANK[r.priority] < RANK[have.priority]) {
        if (!have.inFlight) {
          this.unqueue(have);
          have.priority = r.priority;
          this.queues.get(have.priority)!.push(have);
        } else have.priority = r.priority;
      }
      this.pump();
      return;
    }
    const e: Entry = { ...r, queuedMs: this.now(), notBeforeMs: 0, failures: 0, inFlight: false, cancelled: false };
    this.entries.set(r.key, e);
    this.queues.get(e.priority)!.push(e);
    this.pump();
  }

  /** Withdraw the request for `key`: a queued one is dropped, an in-flight answer is ignored. */
  cancel(key: string, reason: string): void {
    const e = this.entries.get(key);
    if (e === undefined) return;
    this.entries.delete(key);
    e.cancelled = true;
    if (!e.inFlight) this.unqueue(e);
    this.totals.cancelled++;
    e.onDone({ kind: 'cancelled', reason });
  }

  /** True while a request for `key` is queued or in flight. */
  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** Observable state for the venue tile (RestBudgetView in the contract). */
  view(): RestBudgetView {
    const now = this.now();
    this.rollWindow(now);
    let queued = 0;
    for (const q of this.queues.values()) queued += q.length;
    return {
      used: this.used,
      limit: this.opts.weightPerWindow,
      windowMs: this.opts.windowMs,
      queued,
      blockedUntilMs: this.blockedUntilMs > now ? this.blockedUntilMs : null,
      lastStatus: this.lastStatus,
    };
  }

  /** End of the current block (epoch ms), 0 when never blocked. Stays set after it passed. */
  get blockedUntil(): number {
    return this.blockedUntilMs;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.clearTimer();
    for (const e of this.entries.values()) this.cancel(e.key, 'REST budget stopped');
    await this.pool.destroy();
  }

  private unqueue(e: Entry): void {
    const q = this.queues.get(e.priority)!;
    const i = q.indexOf(e);
    if (i >= 0) q.splice(i, 1);
  }

  private rollWindow(now: number): void {
    const start = Math.floor(now / this.opts.windowMs) * this.opts.windowMs;
    if (start !== this.windowStartMs) {
      this.windowStartMs = start;
      this.used = 0;
    }
  }

  /** First queued entry that may go now, by priority then age; also the earliest wake-up time. */
  private next(now: number): { entry: Entry | undefined; wakeMs: number } {
    let wakeMs = Number.POSITIVE_INFINITY;
    for (const p of PRIORITIES) {
      for (const e of this.queues.get(p)!) {
        if (e.notBeforeMs <= now) return { entry: e, wakeMs };
        wakeMs = Math.min(wakeMs, e.notBeforeMs);
      }
    }
    return { entry: undefined, wakeMs };
  }

  private pump(): void {
    if (this.stopped) return;
    const now = this.now();
    this.rollWindow(now);
    if (this.blockedUntilMs > now) {
      this.arm(this.blockedUntilMs);
      return;
    }
    while (this.inFlight < this.maxInFlight) {
      const { entry, wakeMs } = this.next(now);
      if (entry === undefined) {
        if (wakeMs !== Number.POSITIVE_INFINITY) this.arm(wakeMs);
        return;
      }
      // A request heavier than the whole share can still go alone in a fresh window.
      if (this.used + entry.weight > this.capacity && this.used > 0) {
        this.arm(this.windowStartMs + this.opts.windowMs);
        return;
      }
      this.send(entry, now);
    }
  }

  private arm(atMs: number): void {
    if (this.timer !== undefined && this.timerAtMs <= atMs) return;
    this.clearTimer();
    this.timerAtMs = atMs;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAtMs = Number.POSITIVE_INFINITY;
      this.pump();
    }, Math.max(0, atMs - this.now()));
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAtMs = Number.POSITIVE_INFINITY;
  }

  private send(e: Entry, now: number): void {
    this.unqueue(e);
    e.inFlight = true;
    this.inFlight++;
    this.used += e.weight;
    this.totals.sent++;
    const attempt: RestAttempt = {
      key: e.key,
      priority: e.priority,
      weight: e.weight,
      queuedMs: e.queuedMs,
      sentMs: now,
      doneMs: null,
      status: null,
      error: null,
      usedAfter: null,
      retryAfterMs: null,
      blockedUntilMs: null,
    };
    this.history.push(attempt);
    if (this.history.length > HISTORY_KEPT) this.history.shift();
    this.pool
      .request({ method: 'GET', path: e.path, headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs })
      .then(async (res) => ({ status: res.statusCode, headers: res.headers, body: await res.body.text() }))
      .then(
        (r) => this.answered(e, attempt, r.status, r.headers, r.body),
        (err: Error) => this.failed(e, attempt, err),
      );
  }

  private answered(e: Entry, a: RestAttempt, status: number, headers: Record<string, string | string[] | undefined>, body: string): void {
    const recvTsNs = wallClockNs();
    this.inFlight--;
    if (this.stopped) return;
    const now = this.now();
    a.doneMs = now;
    a.status = status;
    this.lastStatus = status;
    this.rollWindow(now);
    const h = this.opts.usedWeightHeader;
    if (h !== undefined) {
      const raw = headers[h];
      const v = Number(Array.isArray(raw) ? raw[0] : raw);
      // The venue's count includes every program on this IP: trust it when it is higher.
      if (raw !== undefined && Number.isFinite(v) && v > this.used) this.used = v;
    }
    a.usedAfter = this.used;
    if (status === 429 || status === 418) {
      const after = parseRetryAfter(headers['retry-after'], now);
      const waitMs = after ?? (status === 418 ? (this.opts.banFallbackMs ?? 120_000) : this.windowStartMs + this.opts.windowMs - now);
      a.retryAfterMs = after ?? null;
      this.blockedUntilMs = Math.max(this.blockedUntilMs, now + waitMs);
      a.blockedUntilMs = this.blockedUntilMs;
      if (status === 429) this.totals.rateLimited++;
      else this.totals.banned++;
      this.opts.notice?.(
        status === 418 ? 'error' : 'warn',
        `${this.opts.venue} REST ${status === 418 ? 'IP ban (418)' : 'rate limit (429)'}: no request until ${new Date(this.blockedUntilMs).toISOString()} (Retry-After ${after === undefined ? 'absent' : `${after / 1000} s`})`,
        e.key,
      );
      this.requeue(e, true);
      return;
    }
    if (status >= 500 || status === 408) {
      this.retryLater(e, `HTTP ${status}`);
      return;
    }
    this.finish(e);
    if (!e.cancelled) {
      if (status >= 200 && status < 300) this.totals.ok++;
      else this.totals.failed++;
      e.onDone({ kind: 'response', status, body, recvTsNs });
    }
    // The slot is free either way: the next queued request may go.
    this.pump();
  }

  private failed(e: Entry, a: RestAttempt, err: Error): void {
    this.inFlight--;
    if (this.stopped) return;
    a.doneMs = this.now();
    a.error = err.message || err.name;
    this.retryLater(e, a.error);
  }

  private retryLater(e: Entry, why: string): void {
    if (e.cancelled) {
      this.finish(e);
      this.pump();
      return;
    }
    e.failures++;
    this.totals.retried++;
    const delay = backoffDelay(e.failures - 1, this.backoff, this.random);
    e.notBeforeMs = this.now() + delay;
    this.opts.notice?.('warn', `${this.opts.venue} REST snapshot for ${e.key} failed (${why}); retry ${e.failures} in ${Math.round(delay)} ms`, e.key);
    this.requeue(e, false);
  }

  /** Put an entry back: at the head of its priority after a 429/418, at the tail after a failure. */
  private requeue(e: Entry, head: boolean): void {
    e.inFlight = false;
    if (e.cancelled) {
      this.finish(e);
    } else {
      const q = this.queues.get(e.priority)!;
      if (head) q.unshift(e);
      else q.push(e);
    }
    this.pump();
  }

  private finish(e: Entry): void {
    e.inFlight = false;
    if (this.entries.get(e.key) === e) this.entries.delete(e.key);
  }
}
