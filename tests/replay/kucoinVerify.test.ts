import { describe, expect, it } from 'vitest';
import { loadRecording } from '../../src-main/engine/replay/recording.ts';
import type { RecordLine } from '../../src-main/engine/replay/recording.ts';
import { parseScaled } from '../../src-shared/model/decimal.ts';
import type { Trade } from '../../src-shared/model/market.ts';
import { dataPath } from '../support/data.ts';
import { dropAt, duplicateAt, nthIndex, rewriteAt, runRecords } from '../support/runRecords.ts';
import { expectAlignedAsRebuilt, expectClean, expectSameBook } from '../support/textBooks.ts';

const REL = 'kucoin/cryptofeed_level2_2021-04-25.ndjson';
const FILE = 'cryptofeed_level2_2021-04-25.ndjson';


type Change = [string, string, string];

interface Rebuilt {
  bids: Map<string, string>;
  asks: Map<string, string>;
  applied: number;
  dropped: number;
  sequenceOnly: number;
}

/**
 * An independent replay from the raw lines, by the documented calibration: drop diffs with
 * sequenceEnd <= snapshot sequence, then apply while sequenceStart <= prevEnd + 1 and
 * sequenceEnd > prevEnd; price "0" only advances the sequence; size "0" removes the price.
 */
function rebuild(records: readonly RecordLine[]): Map<string, Rebuilt> {
  const diffs = new Map<string, { start: number; end: number; asks: Change[]; bids: Change[] }[]>();
  const snaps = new Map<string, { seq: number; bids: [string, string][]; asks: [string, string][] }>();
  for (const r of records) {
    if (r.dir === 'http') {
      const d = (JSON.parse(r.raw) as { data: { sequence: string; bids: [string, string][]; asks: [string, string][] } }).data;
      snaps.set(new URL(r.url).searchParams.get('symbol')!, { seq: Number(d.sequence), bids: d.bids, asks: d.asks });
      continue;
    }
    if (r.dir !== 'recv' || !r.raw.includes('"subject":"trade.l2update"')) continue;
    const d = (JSON.parse(r.raw) as { data: { symbol: string; sequenceStart: number; sequenceEnd: number; changes: { asks: Change[]; bids: Change[] } } }).data;
    const list = diffs.get(d.symbol) ?? [];
    list.push({ start: d.sequenceStart, end: d.sequenceEnd, asks: d.changes.asks, bids: d.changes.bids });
    diffs.set(d.symbol, list);
  }
  const out = new Map<string, Rebuilt>();
  for (const [sym, snap] of snaps) {
    const b: Rebuilt = { bids: new Map(snap.bids), asks: new Map(snap.asks), applied: 0, dropped: 0, sequenceOnly: 0 };
    let last = snap.seq;
    for (const d of diffs.get(sym) ?? []) {
      if (d.end <= last) {
        b.dropped++;
        continue;
      }
      expect(d.start <= last + 1, `${sym} chain`).toBe(true);
      for (const [side, changes] of [[b.bids, d.bids], [b.asks, d.asks]] as const) {
        for (const [p, q] of changes) {
          if (p === '0') {
            b.sequenceOnly++;
            continue;
          }
          if (Number(q) === 0) side.delete(p);
          else side.set(p, q);
        }
      }
      last = d.end;
      b.applied++;
    }
    out.set(sym, b);
  }
  return out;
}


const l2Of = (symbol: string) => (raw: string) => raw.includes('"subject":"trade.l2update"') && raw.includes(`"symbol":"${symbol}"`);

describe('verify: the KuCoin level2 recording', () => {
  it('every book aligned with its snapshot sequence, 0 gaps, equal to the book rebuilt from the raw lines', async () => {
    const records = await loadRecording(dataPath(REL));
    const want = rebuild(records);
    const { bySymbol, books } = runRecords(records, FILE);
    expect([...bySymbol.keys()].sort()).toEqual([...want.keys()].sort());
    expect(bySymbol.size).toBe(9);
    for (const [sym, s] of bySymbol) {
      expectAlignedAsRebuilt(s, books.get(sym)!, want.get(sym)!);
      // Price "0" markers never become levels.
      expect(books.get(sym)!.book.bids.sizeAt(0)).toBe(0);
    }
  });

  it('reproduces the provenance figures: BCHSV-USDT 2,342 updates applied after 19 contained ones, 792 sequence-only entries', async () => {
    const records = await loadRecording(dataPath(REL));
    const bchsv = runRecords(records, FILE).bySymbol.get('BCHSV-USDT')!;
    expect(bchsv.counters.applied).toBe(2342);
    expect(bchsv.counters.droppedBeforeSnapshot).toBe(19);
    expect(rebuild(records).get('BCHSV-USDT')!.sequenceOnly).toBe(792);
  });

  it('CAPP-BTC: a size beyond 2^53 at the book\'s scale (452338153.08) is held exactly, not rejected and never rounded', async () => {
    const capp = runRecords(await loadRecording(dataPath(REL)), FILE).bySymbol.get('CAPP-BTC')!;
    expect(capp.state).toBe('live');
    expect(capp.counters.gaps).toBe(0);
    expect(capp.counters.invalid).toBe(0);
    expect(capp.anomalies).toEqual([]);
  });

  it('normalizes match trades: taker side, exact price and size, nanosecond time to ms', async () => {
    const records = await loadRecording(dataPath(REL));
    const expected: { symbol: string; tradeId: string; side: string; price: string; size: string; time: string }[] = [];
    for (const r of records) if (r.dir === 'recv' && r.raw.includes('"subject":"trade.l3match"')) expected.push((JSON.parse(r.raw) as { data: (typeof expected)[number] }).data);
    const trades: Trade[] = [];
    runRecords(records, FILE, { onTrade: (t) => trades.push(t) });
    expect(trades.length).toBe(18);
    expect(trades.length).toBe(expected.length);
    trades.forEach((t, i) => {
      const e = expected[i]!;
      expect([t.venue, t.symbol, t.tradeId, t.takerSide, t.exchTsMs]).toEqual(['kucoin', e.symbol, e.tradeId, e.side, Number(BigInt(e.time) / 1_000_000n)]);
      expect(t.price).toBe(parseScaled(e.price, t.priceScale));
      expect(t.size).toBe(parseScaled(e.size, t.sizeScale));
    });
  });
});

describe('KuCoin faults derived from the recording', () => {
  it('a dropped l2update is a gap on that symbol only; it asks for a new snapshot', async () => {
    const records = await loadRecording(dataPath(REL));
    const base = runRecords(records, FILE).bySymbol;
    const broken = runRecords(dropAt(records, nthIndex(records, 300, l2Of('SNX-BTC'))), FILE).bySymbol;
    const snx = broken.get('SNX-BTC')!;
    expect(snx.counters.gaps).toBe(1);
    expect(snx.anomalies[0]!.kind).toBe('gap');
    expect(snx.anomalies[0]!.detail).toMatch(/^expected sequenceStart <= \d+, got \[\d+, \d+\]$/);
    expect(snx.snapshotRequests).toBeGreaterThan(base.get('SNX-BTC')!.snapshotRequests);
    for (const [sym, s] of broken) if (sym !== 'SNX-BTC') expectClean(s);
  });

  it('a duplicated l2update is counted and ignored: the book is the one without it', async () => {
    const records = await loadRecording(dataPath(REL));
    const want = rebuild(records);
    const { bySymbol, books } = runRecords(duplicateAt(records, nthIndex(records, 1000, l2Of('BCHSV-USDT'))), FILE);
    const b = bySymbol.get('BCHSV-USDT')!;
    expect(b.counters.duplicates).toBe(1);
    expect(b.state).toBe('live');
    expect(b.counters.applied).toBe(2342);
    expectSameBook(books.get('BCHSV-USDT')!, want.get('BCHSV-USDT')!);
  });

  it('an update whose range overlaps the previous one still calibrates (sequenceStart <= prevEnd + 1, sequenceEnd > prevEnd)', async () => {
    const records = await loadRecording(dataPath(REL));
    const want = rebuild(records);
    // Re-label update #500 to start one sequence early: it overlaps the previous update, which the
    // calibration rule accepts; its changes are newer than the book, so the result is unchanged.
    const at = nthIndex(records, 500, l2Of('BCHSV-USDT'));
    const overlapped = rewriteAt(records, at, (raw) => raw.replace(/"sequenceStart":(\d+)/, (_m, v: string) => `"sequenceStart":${Number(v) - 1}`));
    const { bySymbol, books } = runRecords(overlapped, FILE);
    expectClean(bySymbol.get('BCHSV-USDT')!);
    expectSameBook(books.get('BCHSV-USDT')!, want.get('BCHSV-USDT')!);
  });
});
