/**
 * A small fixed-row-height virtualizer: only the rows in view (plus an overscan) are rendered,
 * so a table of thousands of symbols costs the same as one of forty. Row height is fixed by the
 * stylesheet (tabular rows), which keeps the arithmetic exact and scrolling free of layout reads.
 */
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';

export interface VirtualWindow {
  first: number;
  last: number;
  offsetPx: number;
  totalPx: number;
}

/** Pure part, tested directly: rows [first, last) to render for a scroll position. */
export function visibleRange(count: number, rowPx: number, scrollTop: number, viewportPx: number, overscan = 6): VirtualWindow {
  const totalPx = count * rowPx;
  if (count === 0) return { first: 0, last: 0, offsetPx: 0, totalPx };
  const top = Math.max(0, Math.min(scrollTop, Math.max(0, totalPx - viewportPx)));
  const first = Math.max(0, Math.floor(top / rowPx) - overscan);
  const last = Math.min(count, Math.ceil((top + viewportPx) / rowPx) + overscan);
  return { first, last, offsetPx: first * rowPx, totalPx };
}

/** Fallback viewport when the DOM reports no size (hidden panel, DOMs without layout). */
const FALLBACK_VIEWPORT_PX = 600;

export function useVirtualRows(count: number, rowPx: number, overscan = 6) {
  const ref = useRef<HTMLDivElement | null>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(FALLBACK_VIEWPORT_PX);

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const measure = () => setViewport(el.clientHeight > 0 ? el.clientHeight : FALLBACK_VIEWPORT_PX);
    measure();
    if (typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    let frame = 0;
    const onScroll = () => {
      if (frame) return;
      frame = requestAnimationFrame(() => {
        frame = 0;
        setScrollTop(el.scrollTop);
      });
    };
    el.addEventListener('scroll', onScroll, { passive: true });
    return () => {
      el.removeEventListener('scroll', onScroll);
      if (frame) cancelAnimationFrame(frame);
    };
  }, []);

  /** Scroll so that row `i` is visible (keyboard navigation). */
  const scrollToRow = useCallback(
    (i: number) => {
      const el = ref.current;
      if (!el) return;
      const top = i * rowPx;
      const vp = el.clientHeight > 0 ? el.clientHeight : FALLBACK_VIEWPORT_PX;
      if (top < el.scrollTop) el.scrollTop = top;
      else if (top + rowPx > el.scrollTop + vp) el.scrollTop = top + rowPx - vp;
      setScrollTop(el.scrollTop);
    },
    [rowPx],
  );

  return { ref, window: visibleRange(count, rowPx, scrollTop, viewport, overscan), scrollToRow };
}
