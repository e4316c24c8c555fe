/**
 * Coalescing per animation frame: the engine may send dozens of frames between two paints; the
 * console applies what arrived once per frame (the newest book per key, merged stats, appended
 * events), so React renders at most once per frame whatever the feed rate.
 */

export interface FrameScheduler {
  /** Run `cb` before the next paint. Several requests before that paint run once each. */
  request(cb: () => void): void;
}

/** requestAnimationFrame in the page; a 16 ms timer where there is none (workers, some test DOMs). */
export function animationFrameScheduler(): FrameScheduler {
  const raf = typeof requestAnimationFrame === 'function' ? requestAnimationFrame : (cb: FrameRequestCallback) => setTimeout(() => cb(performance.now()), 16);
  return { request: (cb) => void raf(() => cb()) };
}

/** A scheduler the test drives by hand: `flush()` plays one frame. */
export class ManualScheduler implements FrameScheduler {
  private queue: (() => void)[] = [];

  request(cb: () => void): void {
    this.queue.push(cb);
  }

  get pending(): number {
    return this.queue.length;
  }

  flush(): void {
    const q = this.queue;
    this.queue = [];
    for (const cb of q) cb();
  }
}
