import { describe, expect, it } from 'vitest';
import { backoffDelay, ConnectGate, mulberry32 } from '../../../src-main/engine/feed/backoff.ts';

describe('backoff', () => {
  it('doubles from initialMs up to maxMs, with equal jitter in [base/2, base]', () => {
    const policy = { initialMs: 100, maxMs: 1000 };
    const random = mulberry32(5);
    const bases = [100, 200, 400, 800, 1000, 1000];
    bases.forEach((base, attempt) => {
      const d = backoffDelay(attempt, policy, random);
      expect(d).toBeGreaterThanOrEqual(base / 2);
      expect(d).toBeLessThanOrEqual(base);
    });
    // The extremes of the PRNG give the extremes of the interval.
    expect(backoffDelay(2, policy, () => 0)).toBe(200);
    expect(backoffDelay(2, policy, () => 1)).toBe(400);
    expect(backoffDelay(0, { initialMs: 10, maxMs: 100, factor: 3 }, () => 1)).toBe(10);
    expect(backoffDelay(2, { initialMs: 10, maxMs: 100, factor: 3 }, () => 1)).toBe(90);
  });

  it('the seeded PRNG repeats its sequence for a seed and differs between seeds', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const c = mulberry32(43);
    const sa = Array.from({ length: 8 }, () => a());
    expect(Array.from({ length: 8 }, () => b())).toEqual(sa);
    expect(Array.from({ length: 8 }, () => c())).not.toEqual(sa);
    for (const v of sa) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(1);
    }
  });

  it('ConnectGate: at most `count` attempts per window; the next waits for the oldest to age out', () => {
    const g = new ConnectGate({ count: 3, windowMs: 1000 });
    expect(g.delayMs(0)).toBe(0);
    g.record(0);
    g.record(100);
    g.record(200);
    expect(g.recent(250)).toBe(3);
    expect(g.delayMs(250)).toBe(750);
    expect(g.delayMs(1000)).toBe(0);
    g.record(1000);
    expect(g.delayMs(1050)).toBe(50);
    // No documented limit: never waits.
    const free = new ConnectGate(undefined);
    free.record(0);
    expect(free.delayMs(0)).toBe(0);
  });
});
