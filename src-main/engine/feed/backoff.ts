/**
 * Retry timing shared by the WebSocket connections and the REST budget: exponential backoff with
 * jitter, a per-venue connect-attempt gate, and a seedable PRNG so that tests are deterministic.
 *
 * Jitter is "equal jitter" (half the delay fixed, half random; AWS Architecture Blog, "Exponential
 * Backoff And Jitter", 2015): every client of a venue that lost its connection at the same moment
 * spreads out, yet no retry collapses to zero delay. venues.md section 1.1: DISCONNECTED ->
 * CONNECTING uses "exponential backoff with jitter; respect connect-rate limits".
 */

export interface BackoffPolicy {
  /** Delay of the first retry before jitter. */
  initialMs: number;
  /** Upper bound of the delay before jitter. */
  maxMs: number;
  /** Growth per attempt (default 2). */
  factor?: number;
}

/** Delay before retry number `attempt` (0 = first retry): uniform in [base/2, base]. */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number): number {
  const base = Math.min(policy.maxMs, policy.initialMs * (policy.factor ?? 2) ** Math.max(0, attempt));
  return base / 2 + (random() * base) / 2;
}

/**
 * Mulberry32: a small, fast 32-bit PRNG. Seeded in tests for jitter that is the same on every
 * run; production passes `Math.random`.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Connection attempts allowed per window (Binance: 300 per 5 minutes per IP). */
export interface ConnectLimit {
  count: number;
  windowMs: number;
}

/**
 * Counts connection attempts to one venue across all of its connections, so that a mass reconnect
 * never exceeds the venue's documented connect rate (exceeding it gets the IP banned on Binance).
 */
export class ConnectGate {
  private readonly limit: ConnectLimit | undefined;
  private readonly attempts: number[] = [];

  constructor(limit: ConnectLimit | undefined) {
    this.limit = limit;
  }

  /** ms to wait before the next attempt is allowed (0 = now). */
  delayMs(nowMs: number): number {
    const l = this.limit;
    if (l === undefined) return 0;
    this.forget(nowMs);
    if (this.attempts.length < l.count) return 0;
    return this.attempts[0]! + l.windowMs - nowMs;
  }

  /** Record an attempt made now. */
  record(nowMs: number): void {
    if (this.limit === undefined) return;
    this.forget(nowMs);
    this.attempts.push(nowMs);
  }

  /** Attempts counted in the current window. */
  recent(nowMs: number): number {
    this.forget(nowMs);
    return this.attempts.length;
  }

  private forget(nowMs: number): void {
    const l = this.limit;
    if (l === undefined) return;
    while (this.attempts.length > 0 && this.attempts[0]! <= nowMs - l.windowMs) this.attempts.shift();
  }
}
