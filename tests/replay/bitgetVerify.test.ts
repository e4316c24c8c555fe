import { describe, expect, it } from 'vitest';
import { verifyFile } from '../../src-main/engine/verify/verify.ts';
import type { SymbolReport } from '../../src-main/engine/verify/verify.ts';
import { loadRecording } from '../../src-main/engine/replay/recording.ts';
import type { RecordLine } from '../../src-main/engine/replay/recording.ts';
import { parseScaled } from '../../src-shared/model/decimal.ts';
import type { Trade } from '../../src-shared/model/market.ts';
import { dataPath } from '../support/data.ts';
import { dropAt, duplicateAt, nthIndex, rewriteAt, runRecords } from '../support/runRecords.ts';

// Bitget's only recording is of the v1 API (retired): v2 is proven on the documentation's
// examples in tests/unit/venues/bitget.test.ts, and the README's venue table says so.
const REL = 'bitget/cryptofeed_v1_books_spot+mix_2022-04-07.ndjson';
const FILE = 'cryptofeed_v1_books_spot+mix_2022-04-07.ndjson';

interface BookFrame {
  action: string;
  arg: { instType: string; channel: string; instId: string };
  data: { asks: string[][]; bids: string[][]; checksum?: number }[];
}

/** Book frames read straight from the raw lines (independent of the adapter). */
function bookFrames(records: readonly RecordLine[]): BookFrame[] {
  const out: BookFrame[] = [];
  for (const r of records) {
    if (r.dir !== 'recv') continue;
    const m = JSON.parse(r.raw) as Partial<BookFrame>;
    if (m.arg?.channel === 'books' && m.action !== undefined && Array.isArray(m.data)) out.push(m as BookFrame);
  }
  return out;
}

/** The venue symbol the adapter gives a pushed instId: futures (instType "mc") carry _UMCBL. */
function venueSymbolOf(f: BookFrame): string {
  return f.arg.instType === 'mc' ? `${f.arg.instId}_UMCBL` : f.arg.instId;
}

function isUpdateOf(instId: string): (raw: string) => boolean {
  return (raw) => raw.includes('"action":"update"') && raw.includes('"channel":"books"') && raw.includes(`"instId":"${instId}"`);
}

function expectLiveAndVerified(s: SymbolReport, checksums: number): void {
  expect(s.failures, s.symbol).toEqual([]);
  expect(s.state).toBe('live');
  expect(s.counters.checksumOk).toBe(checksums);
  expect(s.counters.checksumFailed).toBe(0);
}

describe('verify: the Bitget v1 recording', () => {
  it('every book live, every one of the 637 checksums verified (PROVENANCE: 637/637)', async () => {
    const records = await loadRecording(dataPath(REL));
    const perSymbol = new Map<string, number>();
    for (const f of bookFrames(records)) {
      for (const d of f.data) if (typeof d.checksum === 'number' && d.checksum !== 0) perSymbol.set(venueSymbolOf(f), (perSymbol.get(venueSymbolOf(f)) ?? 0) + 1);
    }
    expect([...perSymbol.values()].reduce((a, b) => a + b, 0)).toBe(637);

    const r = await verifyFile(dataPath(REL));
    expect(r.error).toBeUndefined();
    expect(r.venues).toEqual(['bitget']);
    expect(r.symbols.map((s) => s.symbol).sort()).toEqual([...perSymbol.keys()].sort());
    let total = 0;
    for (const s of r.symbols) {
      expectLiveAndVerified(s, perSymbol.get(s.symbol)!);
      expect(s.counters.snapshots).toBe(1);
      expect(s.counters.applied).toBe(s.counters.messages);
      expect(s.counters.checksumNotProvided).toBe(0);
      expect(s.counters.duplicates).toBe(0);
      total += s.counters.checksumOk;
    }
    expect(total).toBe(637);
    expect(r.symbols.map((s) => s.normalized).sort()).toEqual([
      'AVAX-USDT', 'CULT-USDT', 'DASH-USDT-PERP', 'EOS-USDT', 'GOG-USDT', 'HOT-USDT', 'STG-USDT', 'SUN-USDT', 'UNI-USDT-PERP', 'VVS-USDT',
    ]);
  });

  it('normalizes trades: history push skipped, taker side from `side`, exact price and size', async () => {
    const records = await loadRecording(dataPath(REL));
    const expected: { instId: string; row: string[] }[] = [];
    for (const r of records) {
      if (r.dir !== 'recv' || !r.raw.includes('"channel":"trade"') || !r.raw.includes('"action":"update"')) continue;
      const m = JSON.parse(r.raw) as { arg: { instId: string; instType: string }; data: string[][] };
      for (const row of m.data) expected.push({ instId: m.arg.instType === 'mc' ? `${m.arg.instId}_UMCBL` : m.arg.instId, row });
    }
    const trades: Trade[] = [];
    runRecords(records, FILE, { onTrade: (t) => trades.push(t) });
    expect(trades.length).toBe(55);
    expect(trades.length).toBe(expected.length);
    trades.forEach((t, i) => {
      const e = expected[i]!;
      const [ts, px, sz, side] = e.row as [string, string, string, string];
      expect([t.venue, t.symbol, t.takerSide, t.exchTsMs]).toEqual(['bitget', e.instId, side, Number(ts)]);
      // Trades print without trailing zeros ("113.4"): compare exact values at the trade's scale.
      expect(t.price).toBe(parseScaled(px, t.priceScale));
      expect(t.size).toBe(parseScaled(sz, t.sizeScale));
    });
  });
});

describe('Bitget faults derived from the v1 recording (no seq on v1: the checksum is the loss detector)', () => {
  async function baseline(): Promise<{ records: RecordLine[]; base: Map<string, SymbolReport> }> {
    const records = await loadRecording(dataPath(REL));
    return { records, base: runRecords(records, FILE).bySymbol };
  }

  it('a dropped DASHUSDT futures update is caught by the next checksum; only that book resyncs', async () => {
    const { records, base } = await baseline();
    const broken = runRecords(dropAt(records, nthIndex(records, 30, isUpdateOf('DASHUSDT'))), FILE);
    const dash = broken.bySymbol.get('DASHUSDT_UMCBL')!;
    expect(dash.state).toBe('resyncing');
    expect(dash.counters.checksumFailed).toBe(1);
    expect(dash.anomalies.map((a) => a.kind)).toEqual(['checksum-mismatch']);
    // Snapshot + updates #0..#29 verified, #31 (the next one) failed; the rest waits for a new snapshot.
    expect(dash.counters.checksumOk).toBe(31);
    for (const [sym, s] of broken.bySymbol) if (sym !== 'DASHUSDT_UMCBL') expectLiveAndVerified(s, base.get(sym)!.counters.checksumOk);
  });

  it('a corrupted checksum is a checksum-mismatch on that book only', async () => {
    const { records, base } = await baseline();
    const at = nthIndex(records, 20, isUpdateOf('EOSUSDT'));
    const broken = runRecords(rewriteAt(records, at, (raw) => raw.replace(/"checksum":(-?\d+)/, (_m, v: string) => `"checksum":${Number(v) ^ 1}`)), FILE);
    const eos = broken.bySymbol.get('EOSUSDT')!;
    expect(eos.state).toBe('resyncing');
    expect(eos.anomalies.map((a) => a.kind)).toEqual(['checksum-mismatch']);
    expect(eos.counters.checksumOk).toBe(1 + 20);
    for (const [sym, s] of broken.bySymbol) if (sym !== 'EOSUSDT') expectLiveAndVerified(s, base.get(sym)!.counters.checksumOk);
  });

  it('a duplicated update line is counted as a duplicate and the book stays the exchange book', async () => {
    const { records, base } = await baseline();
    const at = nthIndex(records, 10, isUpdateOf('UNIUSDT'));
    const dup = runRecords(duplicateAt(records, at), FILE).bySymbol;
    const uni = dup.get('UNIUSDT_UMCBL')!;
    const b = base.get('UNIUSDT_UMCBL')!;
    expect(uni.counters.duplicates).toBe(1);
    expect(uni.counters.messages).toBe(b.counters.messages + 1);
    expect(uni.counters.applied).toBe(b.counters.applied);
    // Every later checksum still verifies.
    expectLiveAndVerified(uni, b.counters.checksumOk);
    expect([uni.bestBid, uni.bestAsk, uni.levels]).toEqual([b.bestBid, b.bestAsk, b.levels]);
    for (const [sym, s] of dup) if (sym !== 'UNIUSDT_UMCBL') expectLiveAndVerified(s, base.get(sym)!.counters.checksumOk);
  });
});
