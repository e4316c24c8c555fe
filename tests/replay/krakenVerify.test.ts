import { describe, expect, it } from 'vitest';
import { verifyFile } from '../../src-main/engine/verify/verify.ts';
import type { SymbolReport } from '../../src-main/engine/verify/verify.ts';
import { loadRecording } from '../../src-main/engine/replay/recording.ts';
import type { RecordLine } from '../../src-main/engine/replay/recording.ts';
import { dataPath } from '../support/data.ts';
import { dropAt, nthIndex, rewriteAt, runRecords } from '../support/runRecords.ts';

const REL = 'kraken/cryptofeed_v1_book1000_XBTUSD+9pairs_2021-04-05_120s.ndjson';
const FILE = 'cryptofeed_v1_book1000_XBTUSD+9pairs_2021-04-05_120s.ndjson';

/** Book frames per pair with a checksum, read straight from the raw lines (independent of the adapter). */
function checksumsPerPair(records: readonly RecordLine[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of records) {
    if (r.dir !== 'recv' || !r.raw.startsWith('[')) continue;
    const a = JSON.parse(r.raw) as unknown[];
    const pair = a[a.length - 1] as string;
    const last = a[a.length - 3] as Record<string, unknown>;
    if (String(a[a.length - 2]).startsWith('book-') && typeof last['c'] === 'string' && last['c'] !== '0') out.set(pair, (out.get(pair) ?? 0) + 1);
  }
  return out;
}

function isUpdateOf(pair: string): (raw: string) => boolean {
  return (raw) => raw.endsWith(`"book-1000","${pair}"]`) && raw.includes('"c":"');
}

function expectLiveAndVerified(s: SymbolReport, checksums: number): void {
  expect(s.failures, s.symbol).toEqual([]);
  expect(s.state).toBe('live');
  expect(s.counters.checksumOk).toBe(checksums);
  expect(s.counters.checksumFailed).toBe(0);
}

describe('verify: the Kraken spot v1 book-1000 recording', () => {
  it('every book live, every update checksum verified, both sides truncated to the subscribed 1000', async () => {
    const records = await loadRecording(dataPath(REL));
    const expected = checksumsPerPair(records);
    const maxLevels = new Map<string, number>();
    const r = await verifyFile(dataPath(REL), {
      onApplied: (sb) => {
        maxLevels.set(sb.symbol, Math.max(maxLevels.get(sb.symbol) ?? 0, sb.book.bids.count, sb.book.asks.count));
      },
    });
    expect(r.error).toBeUndefined();
    expect(r.venues).toEqual(['kraken']);
    expect(r.symbols.map((s) => s.symbol).sort()).toEqual([...expected.keys()].sort());
    let total = 0;
    for (const s of r.symbols) {
      expectLiveAndVerified(s, expected.get(s.symbol)!);
      expect(s.counters.gaps).toBe(0);
      expect(s.counters.snapshots).toBe(1);
      // v1 snapshots carry no checksum; every update does.
      expect(s.counters.checksumNotProvided).toBe(1);
      expect(s.counters.applied).toBe(s.counters.messages);
      expect(maxLevels.get(s.symbol)!).toBeLessThanOrEqual(1000);
      total += s.counters.checksumOk;
    }
    expect(total).toBeGreaterThan(0);
    expect(total).toBe([...expected.values()].reduce((a, b) => a + b, 0));
    // PROVENANCE.md: 14,496 update checksums; XBT/USD has 5,788 updates and a full 1000-level window.
    expect(total).toBe(14496);
    expect(r.symbols.find((s) => s.symbol === 'XBT/USD')!.counters.checksumOk).toBe(5788);
    expect(maxLevels.get('XBT/USD')).toBe(1000);
    expect(r.symbols.find((s) => s.symbol === 'XBT/USD')!.normalized).toBe('BTC-USD');
  });

  it('applies the "r" republish entries: the frames carrying them all verify', async () => {
    const records = await loadRecording(dataPath(REL));
    const withRepublish = records.filter((r) => r.dir === 'recv' && r.raw.includes('","r"]'));
    const pairs = new Set(withRepublish.map((r) => (JSON.parse(r.raw) as string[]).at(-1)));
    expect(withRepublish.length).toBeGreaterThan(0);
    expect([...pairs].sort()).toEqual(['DASH/EUR', 'XBT/USD']);
    // Each of these frames is followed by its own checksum; the full-file test shows none failed.
    const checked = new Set<number>();
    const lines = new Set(withRepublish.map((r) => r.line));
    runRecords(records, FILE, {
      onApplied: (sb, rec) => {
        if (lines.has(rec.line)) {
          expect(sb.counters.checksumFailed).toBe(0);
          checked.add(rec.line);
        }
      },
    });
    expect(checked.size).toBe(withRepublish.length);
  });
});

describe('Kraken faults derived from the real stream', () => {
  async function baseline(): Promise<{ records: RecordLine[]; base: Map<string, SymbolReport> }> {
    const records = await loadRecording(dataPath(REL));
    return { records, base: runRecords(records, FILE).bySymbol };
  }

  it('a dropped XBT/USD update is a checksum mismatch on XBT/USD only; the other pairs stay live and keep verifying', async () => {
    const { records, base } = await baseline();
    // Update #495 sets a new best ask (58728.30000 x 0.94), inside the checksummed top 10.
    const broken = runRecords(dropAt(records, nthIndex(records, 495, isUpdateOf('XBT/USD'))), FILE).bySymbol;
    const xbt = broken.get('XBT/USD')!;
    expect(xbt.state).toBe('resyncing');
    expect(xbt.counters.checksumFailed).toBe(1);
    expect(xbt.anomalies.map((a) => a.kind)).toEqual(['checksum-mismatch']);
    // Updates #0..#494 verified, #495 is gone, #496 failed; later updates wait for a new snapshot.
    expect(xbt.counters.checksumOk).toBe(495);
    for (const [sym, s] of broken) if (sym !== 'XBT/USD') expectLiveAndVerified(s, base.get(sym)!.counters.checksumOk);
  });

  it('a loss below the top 10 is caught only when the stale level reaches the top 10 (the checksum covers 10 levels)', async () => {
    const { records } = await baseline();
    // Update #499 deletes ask 58746.40000 while it is deeper than the 10th ask: the next checksums
    // still match, until the price comes back and the stale level enters the top 10.
    const broken = runRecords(dropAt(records, nthIndex(records, 499, isUpdateOf('XBT/USD'))), FILE).bySymbol;
    const xbt = broken.get('XBT/USD')!;
    expect(xbt.state).toBe('resyncing');
    expect(xbt.anomalies.map((a) => a.kind)).toEqual(['checksum-mismatch']);
    expect(xbt.counters.checksumOk).toBe(1523);
  });

  it('a corrupted checksum value is a checksum-mismatch on that pair', async () => {
    const { records, base } = await baseline();
    const at = nthIndex(records, 30, isUpdateOf('DASH/EUR'));
    const broken = runRecords(
      rewriteAt(records, at, (raw) => raw.replace(/"c":"(\d+)"/, (_m, v: string) => `"c":"${(Number(v) + 1) % 2 ** 32}"`)),
      FILE,
    ).bySymbol;
    const dash = broken.get('DASH/EUR')!;
    expect(dash.state).toBe('resyncing');
    expect(dash.anomalies.map((a) => a.kind)).toEqual(['checksum-mismatch']);
    expect(dash.counters.checksumOk).toBe(30);
    for (const [sym, s] of broken) if (sym !== 'DASH/EUR') expectLiveAndVerified(s, base.get(sym)!.counters.checksumOk);
  });
});
