/**
 * Kraken Futures `book` on the real recording (PROVENANCE.md, Kraken: 10 products, `seq`
 * contiguous on every product, PI_ETHUSD 3,890 deltas, the book never crosses), and faults derived
 * from it by dropping, duplicating and swapping real lines.
 */
import { describe, expect, it } from 'vitest';
import { verifyFile } from '../../src-main/engine/verify/verify.ts';
import type { SymbolReport } from '../../src-main/engine/verify/verify.ts';
import { loadRecording } from '../../src-main/engine/replay/recording.ts';
import type { RecordLine } from '../../src-main/engine/replay/recording.ts';
import type { SymbolBook } from '../../src-main/engine/sync/symbolBook.ts';
import { formatScaled } from '../../src-shared/model/decimal.ts';
import { asArray, asObject, asText, parseJsonExact } from '../../src-shared/model/jsonExact.ts';
import type { ExactObject } from '../../src-shared/model/jsonExact.ts';
import { dataPath } from '../support/data.ts';
import { dropAt, duplicateAt, nthIndex, runRecords } from '../support/runRecords.ts';

const REL = 'kraken/cryptofeed_futures_v1_book_2021-07-22.ndjson';
const FILE = 'cryptofeed_futures_v1_book_2021-07-22.ndjson';

/** "439.30" -> "439.3", "20108.0" -> "20108": the decimal without insignificant zeros (plain text work). */
function canonical(text: string): string {
  if (!text.includes('.')) return text;
  const t = text.replace(/0+$/, '');
  return t.endsWith('.') ? t.slice(0, -1) : t;
}

interface RawBook {
  seq: number;
  deltas: number;
  bids: Map<string, string>;
  asks: Map<string, string>;
}

/**
 * Books rebuilt straight from the raw lines with text keys (independent of the adapter, the
 * decimal parser and the order book): snapshot, then each delta whose seq is the previous + 1.
 */
function rawBooks(records: readonly RecordLine[]): Map<string, RawBook> {
  const out = new Map<string, RawBook>();
  for (const r of records) {
    if (r.dir !== 'recv') continue;
    const parsed = parseJsonExact(r.raw);
    const m = parsed.ok ? asObject(parsed.value) : undefined;
    if (m === undefined || m['event'] !== undefined) continue;
    const feed = asText(m['feed']);
    const product = asText(m['product_id'])!;
    if (feed === 'book_snapshot') {
      const side = (key: string): Map<string, string> =>
        new Map((asArray(m[key]) ?? []).map((l) => [canonical(asText((l as ExactObject)['price'])!), canonical(asText((l as ExactObject)['qty'])!)]));
      out.set(product, { seq: Number(asText(m['seq'])), deltas: 0, bids: side('bids'), asks: side('asks') });
    } else if (feed === 'book') {
      const b = out.get(product);
      if (b === undefined) continue;
      const seq = Number(asText(m['seq']));
      if (seq !== b.seq + 1) throw new Error(`${product}: seq ${seq} after ${b.seq}`);
      b.seq = seq;
      b.deltas++;
      const side = asText(m['side']) === 'buy' ? b.bids : b.asks;
      const price = canonical(asText(m['price'])!);
      const qty = canonical(asText(m['qty'])!);
      if (qty === '0') side.delete(price);
      else side.set(price, qty);
    }
  }
  return out;
}

function bookAsText(sb: SymbolBook): { bids: Map<string, string>; asks: Map<string, string> } {
  const b = sb.book;
  const side = (s: typeof b.bids): Map<string, string> => {
    const m = new Map<string, string>();
    for (let i = 0; i < s.count; i++) m.set(formatScaled(s.priceAt(i), b.priceScale), formatScaled(s.sizeAtLevel(i), b.sizeScale));
    return m;
  };
  return { bids: side(b.bids), asks: side(b.asks) };
}

function isDeltaOf(product: string): (raw: string) => boolean {
  return (raw) => raw.startsWith('{"feed":"book","product_id":"' + product + '"');
}

function expectLiveAndChained(s: SymbolReport): void {
  expect(s.failures, s.symbol).toEqual([]);
  expect(s.state).toBe('live');
  expect(s.counters.gaps).toBe(0);
  expect(s.counters.snapshots).toBe(1);
  expect(s.counters.applied).toBe(s.counters.messages);
}

describe('verify: the Kraken Futures book recording (2021-07-22)', () => {
  it('10 products live, seq chains unbroken, every book equal to one rebuilt from the raw text, ticker_lite agrees 107/107', async () => {
    const records = await loadRecording(dataPath(REL));
    const raw = rawBooks(records);
    const finalBooks = new Map<string, SymbolBook>();
    const r = await verifyFile(dataPath(REL), { onApplied: (sb) => finalBooks.set(sb.symbol, sb) });
    expect(r.error).toBeUndefined();
    expect(r.venues).toEqual(['kraken-futures']);
    expect(r.symbols.map((s) => s.symbol).sort()).toEqual([...raw.keys()].sort());
    expect(r.symbols).toHaveLength(10);
    let deltas = 0;
    let crossChecks = 0;
    for (const s of r.symbols) {
      expectLiveAndChained(s);
      const rb = raw.get(s.symbol)!;
      // messages = 1 snapshot + every delta, all applied in seq order.
      expect(s.counters.messages - 1).toBe(rb.deltas);
      deltas += rb.deltas;
      const sb = finalBooks.get(s.symbol)!;
      expect(sb.seq).toBe(rb.seq);
      expect(bookAsText(sb)).toEqual({ bids: rb.bids, asks: rb.asks });
      // The book never crosses (PROVENANCE) and ticker_lite never disagreed with it.
      expect(s.counters.crossed).toBe(0);
      expect(s.counters.crossCheckFailed).toBe(0);
      crossChecks += s.counters.crossCheckOk;
    }
    // PROVENANCE.md: PI_ETHUSD has 3,890 deltas; 7,014 deltas and 107 ticker_lite frames in all.
    expect(r.symbols.find((s) => s.symbol === 'PI_ETHUSD')!.counters.messages - 1).toBe(3890);
    expect(deltas).toBe(7014);
    expect(crossChecks).toBe(107);
  });

  it('names the products: PI_ inverse perpetuals, FI_ inverse futures with their expiry', async () => {
    const r = await verifyFile(dataPath(REL));
    const names = Object.fromEntries(r.symbols.map((s) => [s.symbol, s.normalized]));
    expect(names).toMatchObject({
      PI_ETHUSD: 'ETH-USD-PERP-INV',
      PI_XRPUSD: 'XRP-USD-PERP-INV',
      FI_XBTUSD_210924: 'BTC-USD-210924-INV',
      FI_ETHUSD_211231: 'ETH-USD-211231-INV',
    });
  });
});

describe('Kraken Futures faults derived from the real stream', () => {
  async function baseline(): Promise<{ records: RecordLine[]; base: Map<string, SymbolReport> }> {
    const records = await loadRecording(dataPath(REL));
    return { records, base: runRecords(records, FILE).bySymbol };
  }

  it('a dropped PI_ETHUSD delta is a gap on PI_ETHUSD only; the other nine products stay live and unchanged', async () => {
    const { records, base } = await baseline();
    const at = nthIndex(records, 100, isDeltaOf('PI_ETHUSD'));
    const lostSeq = Number(/"seq":(\d+)/.exec(records[at]!.raw)![1]);
    const broken = runRecords(dropAt(records, at), FILE).bySymbol;
    const eth = broken.get('PI_ETHUSD')!;
    expect(eth.state).toBe('resyncing');
    expect(eth.counters.gaps).toBe(1);
    expect(eth.anomalies.map((a) => [a.kind, a.detail])).toEqual([['gap', `expected seq ${lostSeq}, got ${lostSeq + 1}`]]);
    // Deltas #0..#99 applied after the snapshot; later ones wait for the fresh snapshot.
    expect(eth.counters.applied).toBe(1 + 100);
    for (const [sym, s] of broken) {
      if (sym === 'PI_ETHUSD') continue;
      expectLiveAndChained(s);
      expect(s.counters.applied, sym).toBe(base.get(sym)!.counters.applied);
      expect([s.bestBid, s.bestAsk], sym).toEqual([base.get(sym)!.bestBid, base.get(sym)!.bestAsk]);
    }
  });

  it('a duplicated PI_LTCUSD delta is dropped as a duplicate; the book ends exactly as without it', async () => {
    const { records, base } = await baseline();
    const dup = runRecords(duplicateAt(records, nthIndex(records, 20, isDeltaOf('PI_LTCUSD'))), FILE).bySymbol;
    const ltc = dup.get('PI_LTCUSD')!;
    expect(ltc.failures).toEqual([]);
    expect(ltc.state).toBe('live');
    expect(ltc.counters.gaps).toBe(0);
    expect(ltc.counters.duplicates).toBe(1);
    expect(ltc.counters.messages).toBe(base.get('PI_LTCUSD')!.counters.messages + 1);
    expect(ltc.counters.applied).toBe(base.get('PI_LTCUSD')!.counters.applied);
    expect([ltc.bestBid, ltc.bestBidSize, ltc.bestAsk, ltc.bestAskSize, ltc.levels]).toEqual(
      [base.get('PI_LTCUSD')!].map((b) => [b.bestBid, b.bestBidSize, b.bestAsk, b.bestAskSize, b.levels])[0],
    );
  });

  it('two FI_XBTUSD_210924 deltas received in swapped order: the early arrival is a gap on that future only', async () => {
    const { records } = await baseline();
    const a = nthIndex(records, 50, isDeltaOf('FI_XBTUSD_210924'));
    const b = nthIndex(records, 51, isDeltaOf('FI_XBTUSD_210924'));
    const swapped = [...records];
    swapped[a] = records[b]!;
    swapped[b] = records[a]!;
    const broken = runRecords(swapped, FILE).bySymbol;
    const fut = broken.get('FI_XBTUSD_210924')!;
    expect(fut.state).toBe('resyncing');
    expect(fut.anomalies.map((x) => x.kind)).toEqual(['gap']);
    for (const [sym, s] of broken) if (sym !== 'FI_XBTUSD_210924') expectLiveAndChained(s);
  });
});
