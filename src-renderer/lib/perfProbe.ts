/**
 * Measurements the renderer benchmark reads from the page (tests/bench/renderer.bench.ts):
 * animation-frame intervals while data streams, and the delay from a ladder's book frame
 * arriving to the ladder being committed for paint. Bounded rings; cheap enough to leave on.
 */

const KEPT = 20_000;

export interface PerfSamples {
  /** ms between consecutive animation frames. */
  frameIntervalsMs: number[];
  /** ms from a book frame's arrival to the ladder's commit (layout effect, just before paint). */
  ladderPaintDelayMs: number[];
  /** ms spent in React commits of the symbols table. */
  tableCommitMs: number[];
}

export const perf: PerfSamples = { frameIntervalsMs: [], ladderPaintDelayMs: [], tableCommitMs: [] };

function push(a: number[], v: number): void {
  a.push(v);
  if (a.length > KEPT) a.splice(0, KEPT / 2);
}

/** The page clock with sub-millisecond resolution (also the session's `now`). */
export function pageNowMs(): number {
  return performance.timeOrigin + performance.now();
}

export function recordLadderPaint(arrivedAtMs: number): void {
  push(perf.ladderPaintDelayMs, pageNowMs() - arrivedAtMs);
}

export function recordTableCommit(ms: number): void {
  push(perf.tableCommitMs, ms);
}

let running = false;

/** Start sampling animation-frame intervals (idempotent). */
export function startFrameSampling(): void {
  if (running || typeof requestAnimationFrame !== 'function') return;
  running = true;
  let last = performance.now();
  const tick = (t: number) => {
    push(perf.frameIntervalsMs, t - last);
    last = t;
    requestAnimationFrame(tick);
  };
  requestAnimationFrame((t) => {
    last = t;
    requestAnimationFrame(tick);
  });
}

export function resetPerf(): void {
  perf.frameIntervalsMs.length = 0;
  perf.ladderPaintDelayMs.length = 0;
  perf.tableCommitMs.length = 0;
}
