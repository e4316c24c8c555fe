import { describe, expect, it } from 'vitest';
import { verifyFile } from '../../src-main/engine/verify/verify.ts';
import { loadRecording } from '../../src-main/engine/replay/recording.ts';
import type { RecordLine } from '../../src-main/engine/replay/recording.ts';
import { formatScaled } from '../../src-shared/model/decimal.ts';
import type { Trade } from '../../src-shared/model/market.ts';
import { dataPath } from '../support/data.ts';
import { nthIndex, rewriteAt, runRecords } from '../support/runRecords.ts';
import { canon } from '../support/textBooks.ts';

const REL = 'upbit/cryptofeed_orderbook+trade_2021-04-17.ndjson';
const FILE = 'cryptofeed_orderbook+trade_2021-04-17.ndjson';

interface Unit {
  ap: string;
  bp: string;
  as: string;
  bs: string;
}

interface Orderbook {
  line: number;
  cd: string;
  tms: string;
  obu: Unit[];
}

/** SIMPLE-format frames read straight from the raw lines, numbers kept as text (independent of the adapter). */
function frames(records: readonly RecordLine[]): { books: Orderbook[]; trades: { cd: string; ab: string; tp: string; tv: string }[] } {
  const books: Orderbook[] = [];
  const trades: { cd: string; ab: string; tp: string; tv: string }[] = [];
  for (const r of records) {
    if (r.dir !== 'recv') continue;
    const m = JSON.parse(r.raw, (_k, v: unknown, ctx?: { source?: string }) => (typeof v === 'number' ? ctx!.source : v)) as Record<string, unknown>;
    if (m['ty'] === 'orderbook') books.push({ line: r.line, ...(m as unknown as Omit<Orderbook, 'line'>) });
    if (m['ty'] === 'trade') trades.push(m as unknown as { cd: string; ab: string; tp: string; tv: string });
  }
  return { books, trades };
}

const isBookOf = (code: string) => (raw: string) => raw.startsWith(`{"ty":"orderbook","cd":"${code}"`);

describe('verify: the Upbit recording (binary frames decoded to text, SIMPLE format)', () => {
  it('applies every orderbook message in order as a whole book; every book ends equal to its last message', async () => {
    const records = await loadRecording(dataPath(REL));
    expect(records.filter((r) => r.dir === 'recv').every((r) => r.binary)).toBe(true);
    const { books } = frames(records);
    // After each applied message the book is exactly that message's units.
    const checked = new Set<number>();
    const r = await verifyFile(dataPath(REL), {
      onApplied: (sb, rec) => {
        const msg = books.find((b) => b.line === rec.line)!;
        const b = sb.book;
        expect(b.bids.count).toBe(msg.obu.length);
        expect(b.asks.count).toBe(msg.obu.length);
        for (let i = 0; i < msg.obu.length; i++) {
          expect(formatScaled(b.bids.priceAt(i), b.priceScale)).toBe(canon(msg.obu[i]!.bp));
          expect(formatScaled(b.bids.sizeAtLevel(i), b.sizeScale)).toBe(canon(msg.obu[i]!.bs));
          expect(formatScaled(b.asks.priceAt(i), b.priceScale)).toBe(canon(msg.obu[i]!.ap));
          expect(formatScaled(b.asks.sizeAtLevel(i), b.sizeScale)).toBe(canon(msg.obu[i]!.as));
        }
        expect(b.trustBand()).toMatchObject({ mode: 'window', bidFloor: b.bids.priceAt(msg.obu.length - 1), askCeiling: b.asks.priceAt(msg.obu.length - 1) });
        checked.add(rec.line);
      },
    });
    expect(checked.size).toBe(books.length);
    expect(r.error).toBeUndefined();
    expect(r.venues).toEqual(['upbit']);
    const perCode = new Map<string, number>();
    for (const b of books) perCode.set(b.cd, (perCode.get(b.cd) ?? 0) + 1);
    expect(r.symbols.map((s) => s.symbol).sort()).toEqual([...perCode.keys()].sort());
    for (const s of r.symbols) {
      expect(s.failures, s.symbol).toEqual([]);
      expect(s.state).toBe('live');
      expect(s.counters.messages).toBe(perCode.get(s.symbol));
      expect(s.counters.snapshots).toBe(s.counters.messages);
      expect(s.counters.applied).toBe(s.counters.messages);
      expect(s.counters.regress).toBe(0);
      // The stated total_ask_size / total_bid_size equal the exact sum of the units, every time.
      expect(s.counters.crossCheckOk).toBe(s.counters.messages);
      expect(s.counters.crossCheckFailed).toBe(0);
    }
    // PROVENANCE.md: 145 orderbook frames (15-level snapshots) for KRW-LAMB, KRW-WAVES, BTC-XTZ, ...
    expect(books).toHaveLength(145);
    expect(books.every((b) => b.obu.length === 15)).toBe(true);
    expect(r.symbols.find((s) => s.symbol === 'KRW-LAMB')!.normalized).toBe('LAMB-KRW');
    expect(r.symbols.find((s) => s.symbol === 'BTC-XTZ')!.normalized).toBe('XTZ-BTC');
  });

  it('reads the 304 trades with the taker side from ask_bid and exact prices (9.9E-7 style numbers included)', async () => {
    const records = await loadRecording(dataPath(REL));
    const { trades: raw } = frames(records);
    const trades: Trade[] = [];
    await verifyFile(dataPath(REL), { onTrade: (t) => trades.push(t) });
    expect(trades).toHaveLength(304);
    expect(raw).toHaveLength(304);
    for (let i = 0; i < raw.length; i++) {
      const t = trades[i]!;
      expect(t.symbol).toBe(raw[i]!.cd);
      expect(t.takerSide).toBe(raw[i]!.ab === 'BID' ? 'buy' : 'sell');
      expect(formatScaled(t.price, t.priceScale)).toBe(canon(raw[i]!.tp));
      expect(formatScaled(t.size, t.sizeScale)).toBe(canon(raw[i]!.tv));
    }
  });
});

describe('Upbit faults derived from the real stream', () => {
  it('an orderbook message delivered late is a regress: dropped, the newer book stays', async () => {
    const records = await loadRecording(dataPath(REL));
    const i = nthIndex(records, 10, isBookOf('KRW-LAMB'));
    const j = nthIndex(records, 11, isBookOf('KRW-LAMB'));
    const base = runRecords(records, FILE).bySymbol.get('KRW-LAMB')!;
    // Move message #10 to just after #11.
    const late = [...records.slice(0, i), ...records.slice(i + 1, j + 1), records[i]!, ...records.slice(j + 1)];
    const seen: string[] = [];
    const s = runRecords(late, FILE, {
      onApplied: (sb, rec) => {
        if (sb.symbol === 'KRW-LAMB' && (rec.line === records[i]!.line || rec.line === records[j]!.line)) seen.push(String(rec.line));
      },
    }).bySymbol.get('KRW-LAMB')!;
    expect(seen).toEqual([String(records[j]!.line)]);
    expect(s.counters.regress).toBe(1);
    expect(s.counters.applied).toBe(base.counters.applied - 1);
    expect(s.state).toBe('live');
    expect(s.failures).toEqual([]);
    expect([s.bestBid, s.bestAsk]).toEqual([base.bestBid, base.bestAsk]);
  });

  it('a unit size altered in transit no longer sums to the stated total: the cross-check fails on that message', async () => {
    const records = await loadRecording(dataPath(REL));
    const at = nthIndex(records, 3, isBookOf('KRW-WAVES'));
    const s = runRecords(rewriteAt(records, at, (raw) => raw.replace(/"bs":(\d+)\./, (_m, d: string) => `"bs":${Number(d) + 1}.`)), FILE).bySymbol.get('KRW-WAVES')!;
    expect(s.counters.crossCheckFailed).toBe(1);
    expect(s.counters.crossCheckOk).toBe(s.counters.messages - 1);
    expect(s.failures).toEqual(['1 top-of-book mismatch(es)']);
  });
});
