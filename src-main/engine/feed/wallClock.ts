/**
 * Receive timestamps for live frames: nanoseconds since the epoch, read from the monotonic
 * high-resolution clock anchored once to the wall clock. Two frames received in order never get
 * decreasing stamps (Date.now() can step backwards under NTP), and the stamps keep sub-millisecond
 * resolution that `Date.now()` lacks.
 */
const anchorWallNs = BigInt(Date.now()) * 1_000_000n;
const anchorHr = process.hrtime.bigint();

/** Epoch nanoseconds, monotonic within this process. */
export function wallClockNs(): bigint {
  return anchorWallNs + (process.hrtime.bigint() - anchorHr);
}

/** Monotonic milliseconds (for timers and rates, never for display). */
export function monotonicMs(): number {
  return performance.now();
}
