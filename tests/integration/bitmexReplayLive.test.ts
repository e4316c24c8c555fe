/**
 * The live engine against a local BitMEX server replaying the real orderBookL2 recordings: every
 * book goes live from the recorded partial, every update/delete names an id the engine holds, and
 * every book ends equal to the reference. An insert lost in transit surfaces when its id is next
 * referenced: the engine resubscribes that symbol, the server answers with a partial cut from its
 * reference (the reference's own ids), and the book is exact again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { loadRecording } from '../../src-main/engine/replay/recording.ts';
import { dataPath } from '../support/data.ts';
import { delivered, expectAllExact, leftLive, liveReplay, until } from '../support/liveReplay.ts';
import type { LiveReplay } from '../support/liveReplay.ts';

const L2_0722 = 'bitmex/cryptofeed_orderBookL2_2021-07-22.ndjson';

let r: LiveReplay | undefined;
afterEach(async () => {
  await r?.close();
  r = undefined;
});

/** Index among `symbol`'s orderBookL2 frames of its first single-row insert whose id is referenced later. */
async function referencedInsertIndex(rel: string, symbol: string): Promise<number> {
  const frames: { action: string; data: { id: number }[] }[] = [];
  for (const rec of await loadRecording(dataPath(rel))) {
    if (rec.dir !== 'recv' || !rec.raw.startsWith('{"table":"orderBookL2"')) continue;
    const m = JSON.parse(rec.raw) as { action: string; filter?: { symbol: string }; data: { id: number; symbol: string }[] };
    if ((m.data[0]?.symbol ?? m.filter?.symbol) === symbol) frames.push(m);
  }
  const i = frames.findIndex((f, k) => f.action === 'insert' && f.data.length === 1 && frames.slice(k + 1).some((g) => g.action !== 'insert' && g.data.some((d) => d.id === f.data[0]!.id)));
  if (i < 0) throw new Error(`no referenced insert of ${symbol}`);
  return i;
}

describe('BitMEX replay -> live engine', () => {
  it('2021-07-22: all 10 books live from their partials, every id reference consistent, books exact', async () => {
    r = await liveReplay(L2_0722);
    await delivered(r);
    const books = [...r.svc.books()];
    expect(books.map((b) => b.symbol).sort()).toEqual(['ADAUSDT', 'BCHUSD', 'EOSUSDT', 'MATICUSDT', 'SOLUSDT', 'TRXU21', 'TRXUSDT', 'UNIUSDT', 'XBTUSD', 'XRPU21']);
    let refs = 0;
    for (const sb of books) {
      expect(sb.state, sb.symbol).toBe('live');
      expect(sb.counters.gaps, sb.symbol).toBe(0);
      expect(sb.counters.snapshots, sb.symbol).toBe(1);
      expect(leftLive(r, sb.symbol), sb.symbol).toEqual([]);
      refs += sb.counters.refsOk;
    }
    expect(refs).toBe(2587);
    expect(r.book('XBTUSD').instrument.symbol).toBe('BTC-USD-PERP-INV');
    expect(r.resyncs).toEqual([]);
    expectAllExact(r, { levelCount: true });
  });

  it('an insert dropped in transit: gap when its id is next named, resubscribed, partial from the reference, exact again', async () => {
    const index = await referencedInsertIndex(L2_0722, 'XBTUSD');
    r = await liveReplay(L2_0722, { server: { faults: [{ match: { symbol: 'XBTUSD', channel: 'orderBookL2', index }, fault: { kind: 'drop' } }] } });
    await delivered(r);
    await until(() => r!.book('XBTUSD').state === 'live' && r!.book('XBTUSD').counters.snapshots === 2);
    await delivered(r);
    expect(r.server.faults.log.map((f) => [f.kind, f.symbol, f.index])).toEqual([['drop', 'XBTUSD', index]]);
    const hit = r.book('XBTUSD');
    expect(hit.counters.gaps).toBe(1);
    expect(hit.anomalies.map((a) => a.kind)).toEqual(['gap']);
    expect(hit.anomalies[0]!.detail).toMatch(/^(update|delete) of id \d+, which the book does not hold$/);
    for (const sb of r.svc.books()) if (sb.symbol !== 'XBTUSD') expect(leftLive(r, sb.symbol), sb.symbol).toEqual([]);
    expectAllExact(r, { levelCount: true });
  });
});
