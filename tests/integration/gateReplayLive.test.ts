/**
 * The live engine (EngineService: real sockets, REST budget, sessions) against a local Gate
 * server replaying the real recordings: spot and USDT futures books buffer their first diffs,
 * align with a `with_id` snapshot the server cuts from its reference book, follow U/u, and end
 * equal to the reference. A diff lost in transit is a gap on that contract only: the engine asks
 * for a new snapshot and the book is exact again.
 * DIA_USDT (futures) and BTC_USDC (spot) apply no recorded diff at all (every one is inside the
 * recorded snapshot): the server's reference is the snapshot itself, and they go live on it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { bookDifferences, leftLive, liveReplay, quiescent, until } from '../support/liveReplay.ts';
import type { LiveReplay } from '../support/liveReplay.ts';

const FUT = 'gate/cryptofeed_futures_order_book_update_2023-05-24.ndjson';
const SPOT = 'gate/cryptofeed_spot_order_book_update_2021-04-22.ndjson';
const NO_REFERENCE = new Set<string>([]);
const timing = { restTimeoutMs: 300 };

let r: LiveReplay | undefined;
afterEach(async () => {
  await r?.close();
  r = undefined;
});

/** Every book with a reference is live at the reference's id and equal to it. */
async function settled(run: LiveReplay): Promise<void> {
  await quiescent(run);
  await until(() => [...run.svc.books()].every((sb) => NO_REFERENCE.has(sb.symbol) || sb.state === 'live'));
}

function expectExact(run: LiveReplay): void {
  for (const sb of run.svc.books()) {
    if (NO_REFERENCE.has(sb.symbol)) {
      expect(run.server.reference(sb.symbol), sb.symbol).toBeUndefined();
      expect(sb.state, sb.symbol).not.toBe('live');
      continue;
    }
    const ref = run.server.reference(sb.symbol)!;
    expect(sb.state, sb.symbol).toBe('live');
    expect(sb.seq, sb.symbol).toBe(ref.seq);
    expect(bookDifferences(sb, ref, 50), sb.symbol).toEqual([]);
  }
}

describe('Gate replay -> live engine', () => {
  it('USDT futures: the contracts go live from server snapshots on the futures path, 0 gaps, books exact', async () => {
    r = await liveReplay(FUT, { timing });
    await settled(r);
    const books = [...r.svc.books()];
    expect(books.map((b) => b.symbol).sort()).toEqual(['DIA', 'FRONT', 'LIT', 'OMG', 'PHB', 'QUICK', 'RDNT', 'SFP', 'WOO', 'ZRX'].map((b) => `usdt/${b}_USDT`));
    expect(r.svc.connections('gate').map((c) => c.plan.url)).toEqual([`${r.server.wsUrl}/v4/ws/usdt`]);
    for (const sb of books) {
      expect(sb.counters.gaps, sb.symbol).toBe(0);
      expect(leftLive(r, sb.symbol), sb.symbol).toEqual([]);
    }
    const served = r.server.restLog.filter((l) => l.status === 200);
    expect(served.map((l) => l.symbol).sort()).toEqual(books.map((b) => b.symbol).filter((s) => !NO_REFERENCE.has(s)).sort());
    expect(served.every((l) => l.limit === 100)).toBe(true);
    expectExact(r);
  });

  it('spot: every pair with a reference live from a server snapshot, 0 gaps, books exact', async () => {
    r = await liveReplay(SPOT, { timing });
    await settled(r);
    expect([...r.svc.books()]).toHaveLength(10);
    expect(r.svc.connections('gate').map((c) => c.plan.url)).toEqual([`${r.server.wsUrl}/ws/v4/`]);
    for (const sb of r.svc.books()) expect(sb.counters.gaps, sb.symbol).toBe(0);
    expectExact(r);
  });

  it('a futures diff dropped mid-run: gap on that contract only, a new snapshot at gap priority, exact again', async () => {
    // Real time x5 so that the fault can be armed while the stream runs.
    r = await liveReplay(FUT, { timing, speed: 5 });
    await until(() => r!.book('usdt/OMG_USDT').state === 'live');
    // Armed now: an OMG_USDT diff in the middle of its 101 is dropped (not the last one, whose
    // loss no later diff could reveal).
    r.server.faults.addFrameRule({ match: { symbol: 'usdt/OMG_USDT', channel: 'depth', where: (f) => f.index >= 60 }, fault: { kind: 'drop' } });
    await settled(r);
    expect(r.server.faults.log.map((f) => [f.kind, f.symbol])).toEqual([['drop', 'usdt/OMG_USDT']]);
    const omg = r.book('usdt/OMG_USDT');
    expect(omg.counters.gaps).toBe(1);
    expect(omg.anomalies.map((a) => a.kind)).toEqual(['gap']);
    expect(r.server.restLog.filter((l) => l.symbol === 'usdt/OMG_USDT' && l.status === 200)).toHaveLength(2);
    expect(r.svc.restBudget('gate')!.history.filter((a) => a.key === 'usdt/OMG_USDT' && a.status === 200).map((a) => a.priority)).toEqual(['cold', 'gap']);
    for (const sb of r.svc.books()) {
      if (sb.symbol === 'usdt/OMG_USDT') continue;
      expect(sb.counters.gaps, sb.symbol).toBe(0);
      expect(leftLive(r, sb.symbol), sb.symbol).toEqual([]);
    }
    expectExact(r);
  });
});
