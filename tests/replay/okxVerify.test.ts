import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { verifyFile } from '../../src-main/engine/verify/verify.ts';
import type { SymbolReport } from '../../src-main/engine/verify/verify.ts';
import { loadRecording } from '../../src-main/engine/replay/recording.ts';
import type { RecordLine } from '../../src-main/engine/replay/recording.ts';
import { formatScaled, parseScaled, requiredScale } from '../../src-shared/model/decimal.ts';
import type { Trade } from '../../src-shared/model/market.ts';
import { dataDir, dataPath } from '../support/data.ts';
import { dropAt, duplicateAt, nthIndex, rewriteAt, runRecords } from '../support/runRecords.ts';

const TBT = 'okx/cryptofeed_books-l2-tbt_2022-02-27.ndjson';
const TBT_FILE = 'cryptofeed_books-l2-tbt_2022-02-27.ndjson';

interface BookFrame {
  arg: { channel: string; instId: string };
  action: 'snapshot' | 'update';
  data: { asks: string[][]; bids: string[][]; checksum?: number; seqId?: number }[];
}

/** Book frames of a recording, read straight from the raw lines (independent of the adapter). */
function bookFrames(records: readonly RecordLine[]): BookFrame[] {
  const out: BookFrame[] = [];
  for (const r of records) {
    if (r.dir !== 'recv' || r.raw === 'pong') continue;
    const m = JSON.parse(r.raw) as Partial<BookFrame>;
    if ((m.arg?.channel === 'books' || m.arg?.channel === 'books-l2-tbt') && m.action !== undefined) out.push(m as BookFrame);
  }
  return out;
}

function isUpdateOf(instId: string): (raw: string) => boolean {
  return (raw) => raw.includes('"action":"update"') && raw.includes(`"instId":"${instId}"`);
}

function expectLiveAndVerified(s: SymbolReport, checksums: number): void {
  expect(s.failures, s.symbol).toEqual([]);
  expect(s.state).toBe('live');
  expect(s.counters.checksumOk).toBe(checksums);
  expect(s.counters.checksumFailed).toBe(0);
}

describe('verify: every OKX recording', () => {
  const dir = join(dataDir(), 'okx');
  for (const f of readdirSync(dir).sort()) {
    it(`${f}: every book live, 0 gaps, every non-zero checksum verified`, async () => {
      const records = await loadRecording(join(dir, f));
      const frames = bookFrames(records);
      const withChecksum = new Map<string, number>();
      for (const m of frames) {
        for (const d of m.data) {
          if (typeof d.checksum === 'number' && d.checksum !== 0) withChecksum.set(m.arg.instId, (withChecksum.get(m.arg.instId) ?? 0) + 1);
        }
      }
      const r = await verifyFile(join(dir, f));
      expect(r.error).toBeUndefined();
      expect(r.venues).toEqual(['okx']);
      expect(r.symbols.map((s) => s.symbol).sort()).toEqual([...withChecksum.keys()].sort());
      let total = 0;
      for (const s of r.symbols) {
        expectLiveAndVerified(s, withChecksum.get(s.symbol)!);
        expect(s.counters.gaps).toBe(0);
        expect(s.counters.duplicates).toBe(0);
        expect(s.counters.checksumNotProvided).toBe(0);
        expect(s.counters.applied).toBe(s.counters.messages);
        total += s.counters.checksumOk;
      }
      expect(total).toBeGreaterThan(0);
      expect(total).toBe([...withChecksum.values()].reduce((a, b) => a + b, 0));
    });
  }

  it('reproduces the provenance figures: 3,679 and 290 checksums, two back-to-back snapshots per tbt instrument', async () => {
    const tbt = await verifyFile(dataPath(TBT));
    expect(tbt.symbols).toHaveLength(10);
    expect(tbt.symbols.reduce((n, s) => n + s.counters.checksumOk, 0)).toBe(3679);
    // The recorder subscribed cumulatively; OKX answered the repeated subscribe with a fresh,
    // identical snapshot. Both replace the book and both verify.
    for (const s of tbt.symbols) expect(s.counters.snapshots).toBe(2);
    expect(tbt.symbols.find((s) => s.symbol === 'ELON-USDT')!.counters.messages).toBe(1602);
    const books = await verifyFile(dataPath('okx/cryptofeed_books_2022-05-13.ndjson'));
    expect(books.symbols.reduce((n, s) => n + s.counters.checksumOk, 0)).toBe(290);
    expect(books.symbols.map((s) => s.normalized).sort()).toEqual(['BTC-USD-220527-INV', 'BTC-USDT', 'UNI-USD-PERP-INV']);
  });

  it('formatScaled gives back every OKX level string exactly (no trailing zeros, no exponents on the wire)', async () => {
    let strings = 0;
    for (const f of readdirSync(join(dataDir(), 'okx'))) {
      for (const m of bookFrames(await loadRecording(join(dataDir(), 'okx', f)))) {
        for (const d of m.data) {
          const levels = [...d.asks, ...d.bids];
          // A book holds every price (size) of an instrument at the finest scale it has seen.
          const priceScale = Math.max(...levels.map((lv) => requiredScale(lv[0]!)));
          const sizeScale = Math.max(...levels.map((lv) => requiredScale(lv[1]!)));
          for (const lv of levels) {
            for (const [s, bookScale] of [[lv[0]!, priceScale], [lv[1]!, sizeScale]] as const) {
              const own = requiredScale(s);
              expect(formatScaled(parseScaled(s, own), own)).toBe(s);
              expect(formatScaled(parseScaled(s, bookScale), bookScale)).toBe(s);
              strings++;
            }
          }
        }
      }
    }
    expect(strings).toBe(44408);
  });

  it('normalizes trades: taker side from `side`, exact price and size, the venue trade id', async () => {
    const records = await loadRecording(dataPath('okx/cryptofeed_books_2022-05-13.ndjson'));
    const expected: { instId: string; tradeId: string; px: string; sz: string; side: string; ts: string }[] = [];
    for (const r of records) {
      if (r.dir !== 'recv' || !r.raw.includes('"channel":"trades"') || r.raw.includes('"event"')) continue;
      expected.push(...(JSON.parse(r.raw) as { data: typeof expected }).data);
    }
    const trades: Trade[] = [];
    runRecords(records, 'cryptofeed_books_2022-05-13.ndjson', { onTrade: (t) => trades.push(t) });
    expect(trades.length).toBe(expected.length);
    expect(trades.length).toBeGreaterThan(0);
    trades.forEach((t, i) => {
      const e = expected[i]!;
      expect(t.venue).toBe('okx');
      expect(t.symbol).toBe(e.instId);
      expect(t.tradeId).toBe(e.tradeId);
      expect(t.takerSide).toBe(e.side);
      expect(formatScaled(t.price, t.priceScale)).toBe(e.px);
      expect(formatScaled(t.size, t.sizeScale)).toBe(e.sz);
      expect(t.exchTsMs).toBe(Number(e.ts));
    });
  });
});

describe('OKX faults derived from the 2022-02-27 tbt stream', () => {
  async function baseline(): Promise<{ records: RecordLine[]; base: Map<string, SymbolReport> }> {
    const records = await loadRecording(dataPath(TBT));
    return { records, base: runRecords(records, TBT_FILE).bySymbol };
  }

  it('a dropped ELON-USDT update is caught by the next checksum (the 2022 stream has no seqId); only ELON-USDT leaves live', async () => {
    const { records, base } = await baseline();
    // Update #100 of ELON-USDT changes its top 25 levels, so the next update's checksum cannot match.
    const broken = runRecords(dropAt(records, nthIndex(records, 100, isUpdateOf('ELON-USDT'))), TBT_FILE).bySymbol;
    const elon = broken.get('ELON-USDT')!;
    expect(elon.state).toBe('resyncing');
    expect(elon.counters.checksumFailed).toBe(1);
    expect(elon.counters.resyncs).toBe(1);
    expect(elon.anomalies[0]!.kind).toBe('checksum-mismatch');
    // 2 snapshots + updates #0..#99 verified; the update after the hole failed; the rest is dropped until a new snapshot.
    expect(elon.counters.checksumOk).toBe(102);
    for (const [sym, s] of broken) {
      if (sym === 'ELON-USDT') continue;
      expectLiveAndVerified(s, base.get(sym)!.counters.checksumOk);
    }
  });

  it('a corrupted checksum value is a checksum-mismatch on that instrument only', async () => {
    const { records, base } = await baseline();
    const at = nthIndex(records, 40, isUpdateOf('UNI-USD-SWAP'));
    const broken = runRecords(
      rewriteAt(records, at, (raw) => raw.replace(/"checksum":(-?\d+)/, (_m, v: string) => `"checksum":${Number(v) ^ 1}`)),
      TBT_FILE,
    ).bySymbol;
    const uni = broken.get('UNI-USD-SWAP')!;
    expect(uni.state).toBe('resyncing');
    expect(uni.counters.checksumFailed).toBe(1);
    expect(uni.anomalies.map((a) => a.kind)).toEqual(['checksum-mismatch']);
    expect(uni.counters.checksumOk).toBe(2 + 40);
    for (const [sym, s] of broken) if (sym !== 'UNI-USD-SWAP') expectLiveAndVerified(s, base.get(sym)!.counters.checksumOk);
  });

  it('a duplicated update line is counted as a duplicate and leaves the book unchanged', async () => {
    const { records, base } = await baseline();
    const at = nthIndex(records, 250, isUpdateOf('ELON-USDT'));
    const dup = runRecords(duplicateAt(records, at), TBT_FILE).bySymbol;
    const elon = dup.get('ELON-USDT')!;
    const b = base.get('ELON-USDT')!;
    expect(elon.counters.duplicates).toBe(1);
    expect(elon.anomalies.map((a) => a.kind)).toEqual(['duplicate']);
    expect(elon.counters.messages).toBe(b.counters.messages + 1);
    expect(elon.counters.applied).toBe(b.counters.applied);
    // Every later checksum still verifies, so the book after the duplicate is the exchange's book.
    expectLiveAndVerified(elon, b.counters.checksumOk);
    expect([elon.bestBid, elon.bestBidSize, elon.bestAsk, elon.bestAskSize, elon.levels]).toEqual([b.bestBid, b.bestBidSize, b.bestAsk, b.bestAskSize, b.levels]);
    for (const [sym, s] of dup) if (sym !== 'ELON-USDT') expectLiveAndVerified(s, base.get(sym)!.counters.checksumOk);
  });
});
