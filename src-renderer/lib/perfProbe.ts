/**
 * Measurements the renderer benchmark reads from the page (tests/bench/renderer.bench.ts), on
 * only when the page is opened with `?perf`:
 * - frame work: from the start of an animation frame to the first task after that frame's
 *   rendering (rAF callbacks, the coalesced store updates, React's commit in the microtasks after
 *   them, style, layout and paint). A message posted from inside the frame is delivered as the
 *   next task, i.e. right after the browser finished rendering that frame;
 * - frame intervals: time between consecutive animation frames (dropped frames show here);
 * - ladder update-to-paint: from a book frame's arrival in the page to the end of the frame
 *   that painted it (same post-rendering task).
 * Bounded rings; nothing is recorded unless sampling was started.
 */

const KEPT = 50_000;

export interface PerfSamples {
  /** ms of main-thread work per animation frame, rendering included. */
  frameWorkMs: number[];
  /** ms between consecutive animation frames. */
  frameIntervalsMs: number[];
  /** ms from a book frame arriving to the frame that painted its ladder being done. */
  ladderPaintDelayMs: number[];
}

export const perf: PerfSamples = { frameWorkMs: [], frameIntervalsMs: [], ladderPaintDelayMs: [] };

let enabled = false;
let afterRender: ((cb: () => void) => void) | null = null;

function push(a: number[], v: number): void {
  a.push(v);
  if (a.length > KEPT) a.splice(0, KEPT / 2);
}

/** The page clock with sub-millisecond resolution (also the session's `now`). */
export function pageNowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** A ladder committed a book that arrived at `arrivedAtMs`: measure until its frame is painted. */
export function recordLadderPaint(arrivedAtMs: number): void {
  if (!enabled || afterRender === null) return;
  afterRender(() => push(perf.ladderPaintDelayMs, pageNowMs() - arrivedAtMs));
}

/** Start sampling (idempotent). */
export function startFrameSampling(): void {
  if (enabled || typeof requestAnimationFrame !== 'function' || typeof MessageChannel !== 'function') return;
  enabled = true;
  const ch = new MessageChannel();
  const queued: (() => void)[] = [];
  ch.port1.onmessage = () => {
    for (const cb of queued.splice(0)) cb();
  };
  afterRender = (cb) => {
    queued.push(cb);
    if (queued.length === 1) ch.port2.postMessage(null);
  };
  let last = -1;
  const tick = (t: number) => {
    if (last >= 0) push(perf.frameIntervalsMs, t - last);
    last = t;
    const start = performance.now();
    afterRender!(() => push(perf.frameWorkMs, performance.now() - start));
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}

export function resetPerf(): void {
  perf.frameWorkMs.length = 0;
  perf.frameIntervalsMs.length = 0;
  perf.ladderPaintDelayMs.length = 0;
}
