import { describe, expect, it } from 'vitest';
import { loadRecording } from '../../src-main/engine/replay/recording.ts';
import type { RecordLine } from '../../src-main/engine/replay/recording.ts';
import { parseScaled } from '../../src-shared/model/decimal.ts';
import type { Trade } from '../../src-shared/model/market.ts';
import { dataPath } from '../support/data.ts';
import { dropAt, duplicateAt, nthIndex, runRecords } from '../support/runRecords.ts';
import { expectAlignedAsRebuilt, expectClean, expectSameBook } from '../support/textBooks.ts';

const SPOT = 'gate/cryptofeed_spot_order_book_update_2021-04-22.ndjson';
const SPOT_FILE = 'cryptofeed_spot_order_book_update_2021-04-22.ndjson';
const FUT = 'gate/cryptofeed_futures_order_book_update_2023-05-24.ndjson';
const FUT_FILE = 'cryptofeed_futures_order_book_update_2023-05-24.ndjson';


type Lv = [string, string];

/**
 * An independent replay of a recording: every pair's snapshot and diffs read from the raw
 * lines, aligned by Gate's rule (drop u <= id, bridge U <= id+1 <= u, then U == prev u + 1) and
 * applied as text maps. Futures levels `{p, s}` carry integer contract sizes.
 */
function rebuild(records: readonly RecordLine[]): Map<string, { bids: Map<string, string>; asks: Map<string, string>; applied: number; dropped: number }> {
  const diffs = new Map<string, { U: number; u: number; b: Lv[]; a: Lv[] }[]>();
  const snaps = new Map<string, { id: number; bids: Lv[]; asks: Lv[] }>();
  const lv = (x: unknown): Lv => (Array.isArray(x) ? [x[0] as string, x[1] as string] : [(x as { p: string }).p, String((x as { s: number }).s)]);
  for (const r of records) {
    if (r.dir === 'http') {
      const q = new URL(r.url).searchParams;
      const futures = r.url.includes('/futures/usdt/');
      const key = futures ? `usdt/${q.get('contract')!}` : q.get('currency_pair')!;
      const b = JSON.parse(r.raw) as { id: number; bids: unknown[]; asks: unknown[] };
      snaps.set(key, { id: b.id, bids: b.bids.map(lv), asks: b.asks.map(lv) });
      continue;
    }
    if (r.dir !== 'recv' || !r.raw.includes('order_book_update') || !r.raw.includes('"event":"update"')) continue;
    const m = JSON.parse(r.raw) as { channel: string; result: { s: string; U: number; u: number; b: unknown[]; a: unknown[] } };
    const key = m.channel.startsWith('futures.') ? `usdt/${m.result.s}` : m.result.s;
    const list = diffs.get(key) ?? [];
    list.push({ U: m.result.U, u: m.result.u, b: m.result.b.map(lv), a: m.result.a.map(lv) });
    diffs.set(key, list);
  }
  const out = new Map<string, { bids: Map<string, string>; asks: Map<string, string>; applied: number; dropped: number }>();
  for (const [key, snap] of snaps) {
    const book = { bids: new Map(snap.bids), asks: new Map(snap.asks), applied: 0, dropped: 0 };
    let last = snap.id;
    for (const d of diffs.get(key) ?? []) {
      if (d.u <= last) {
        book.dropped++;
        continue;
      }
      if (book.applied === 0) expect(d.U <= last + 1 && last + 1 <= d.u, `${key} bridge`).toBe(true);
      else expect(d.U, `${key} chain`).toBe(last + 1);
      for (const [side, levels] of [[book.bids, d.b], [book.asks, d.a]] as const) {
        for (const [p, q] of levels) {
          if (Number(q) === 0) side.delete(p);
          else side.set(p, q);
        }
      }
      last = d.u;
      book.applied++;
    }
    out.set(key, book);
  }
  return out;
}


describe('verify: the Gate recordings', () => {
  for (const [rel, file] of [[SPOT, SPOT_FILE], [FUT, FUT_FILE]] as const) {
    it(`${file}: every book aligned with its with_id snapshot, 0 gaps, equal to the book rebuilt from the raw lines`, async () => {
      const records = await loadRecording(dataPath(rel));
      const want = rebuild(records);
      const { bySymbol, books } = runRecords(records, file);
      expect([...bySymbol.keys()].sort()).toEqual([...want.keys()].sort());
      for (const [sym, s] of bySymbol) {
        expectAlignedAsRebuilt(s, books.get(sym)!, want.get(sym)!);
      }
    });
  }

  it('reproduces the provenance figures: futures OMG_USDT 101 updates, spot pairs at most 50', async () => {
    const fut = runRecords(await loadRecording(dataPath(FUT)), FUT_FILE).bySymbol;
    expect(fut.size).toBe(10);
    expect(fut.get('usdt/OMG_USDT')!.counters.applied).toBe(101);
    expect(fut.get('usdt/OMG_USDT')!.normalized).toBe('OMG-USDT-PERP');
    const spot = runRecords(await loadRecording(dataPath(SPOT)), SPOT_FILE).bySymbol;
    expect(spot.size).toBe(10);
    expect(Math.max(...[...spot.values()].map((s) => s.counters.applied))).toBe(50);
    expect(spot.get('NEO_BTC')!.normalized).toBe('NEO-BTC');
  });

  it('INK_USDT: a size beyond 2^53 at the book\'s scale (10000000) is held exactly, not rejected and never rounded', async () => {
    const ink = runRecords(await loadRecording(dataPath(SPOT)), SPOT_FILE).bySymbol.get('INK_USDT')!;
    expect(ink.state).toBe('live');
    expect(ink.counters.gaps).toBe(0);
    expect(ink.counters.invalid).toBe(0);
    expect(ink.anomalies).toEqual([]);
  });

  it('normalizes spot trades: taker side, exact price and amount, create_time_ms', async () => {
    const records = await loadRecording(dataPath(SPOT));
    const expected: { currency_pair: string; id: number; side: string; price: string; amount: string; create_time_ms: string }[] = [];
    for (const r of records) {
      if (r.dir === 'recv' && r.raw.includes('"channel":"spot.trades"') && r.raw.includes('"event":"update"')) expected.push((JSON.parse(r.raw) as { result: (typeof expected)[number] }).result);
    }
    const trades: Trade[] = [];
    runRecords(records, SPOT_FILE, { onTrade: (t) => trades.push(t) });
    expect(trades.length).toBe(9);
    expect(trades.length).toBe(expected.length);
    trades.forEach((t, i) => {
      const e = expected[i]!;
      expect([t.venue, t.symbol, t.tradeId, t.takerSide, t.exchTsMs]).toEqual(['gate', e.currency_pair, String(e.id), e.side, Math.trunc(Number(e.create_time_ms))]);
      expect(t.price).toBe(parseScaled(e.price, t.priceScale));
      expect(t.size).toBe(parseScaled(e.amount, t.sizeScale));
    });
  });
});

describe('Gate faults derived from the recordings', () => {
  const diffOf = (channel: string, name: string) => (raw: string) => raw.includes(`"channel":"${channel}"`) && raw.includes('"event":"update"') && raw.includes(`"s":"${name}"`);

  it('a dropped futures diff is a gap on that contract only; it asks for a new snapshot', async () => {
    const records = await loadRecording(dataPath(FUT));
    const base = runRecords(records, FUT_FILE).bySymbol;
    const broken = runRecords(dropAt(records, nthIndex(records, 50, diffOf('futures.order_book_update', 'OMG_USDT'))), FUT_FILE);
    const omg = broken.bySymbol.get('usdt/OMG_USDT')!;
    expect(omg.counters.gaps).toBe(1);
    expect(omg.anomalies[0]!.kind).toBe('gap');
    expect(omg.anomalies[0]!.detail).toMatch(/^expected U = \d+, got \[\d+, \d+\]$/);
    expect(omg.state).not.toBe('live');
    expect(omg.snapshotRequests).toBeGreaterThan(base.get('usdt/OMG_USDT')!.snapshotRequests);
    for (const [sym, s] of broken.bySymbol) {
      if (sym === 'usdt/OMG_USDT') continue;
      expectClean(s);
      expect(s.counters.applied).toBe(base.get(sym)!.counters.applied);
    }
  });

  it('a duplicated spot diff is counted and ignored: the book is the one without it', async () => {
    const records = await loadRecording(dataPath(SPOT));
    const want = rebuild(records);
    const at = nthIndex(records, 20, diffOf('spot.order_book_update', 'OMG_USDT'));
    const { bySymbol, books } = runRecords(duplicateAt(records, at), SPOT_FILE);
    const omg = bySymbol.get('OMG_USDT')!;
    expect(omg.counters.duplicates).toBe(1);
    expect(omg.state).toBe('live');
    expect(omg.counters.gaps).toBe(0);
    expectSameBook(books.get('OMG_USDT')!, want.get('OMG_USDT')!);
  });

  it('a dropped spot diff is a gap on that pair only', async () => {
    const records = await loadRecording(dataPath(SPOT));
    const broken = runRecords(dropAt(records, nthIndex(records, 10, diffOf('spot.order_book_update', 'NEO_BTC'))), SPOT_FILE).bySymbol;
    expect(broken.get('NEO_BTC')!.counters.gaps).toBe(1);
    for (const [sym, s] of broken) if (sym !== 'NEO_BTC') expectClean(s);
  });
});
