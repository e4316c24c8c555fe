// @vitest-environment happy-dom
/**
 * The charts follow the sampled history at most once per CHART_REDRAW_MS: the first value at once,
 * later ones no sooner than CHART_REDRAW_MS after the previous redraw, always ending at the newest.
 */
import { act, cleanup, renderHook } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { useThrottled } from '../../src-renderer/components/ChartsPanel.tsx';

afterEach(cleanup);

const sleep = (ms: number) => act(() => new Promise<void>((r) => setTimeout(r, ms)));

describe('useThrottled', () => {
  it('shows the first value at once, then the newest at most once per period', async () => {
    const { result, rerender } = renderHook(({ v }) => useThrottled(v, 200), { initialProps: { v: 1 } });
    expect(result.current).toBe(1);
    rerender({ v: 2 });
    // The first change since mount is shown at once (nothing was shown in the last period).
    await sleep(0);
    expect(result.current).toBe(2);
    rerender({ v: 3 });
    rerender({ v: 4 });
    await sleep(50);
    expect(result.current).toBe(2);
    await sleep(250);
    // One redraw for both changes, with the newest value.
    expect(result.current).toBe(4);
  });
});
