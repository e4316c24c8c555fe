import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { verifyFile } from '../../src-main/engine/verify/verify.ts';
import type { SymbolReport } from '../../src-main/engine/verify/verify.ts';
import { loadRecording } from '../../src-main/engine/replay/recording.ts';
import type { RecordLine } from '../../src-main/engine/replay/recording.ts';
import type { SymbolBook } from '../../src-main/engine/sync/symbolBook.ts';
import { parseScaled, requiredScale } from '../../src-shared/model/decimal.ts';
import { bitfinexNumberText } from '../../src-main/engine/venues/bitfinex/bitfinexChecksum.ts';
import { dataDir, dataPath } from '../support/data.ts';
import { dropAt, duplicateAt, nthIndex, rewriteAt, runRecords } from '../support/runRecords.ts';
import { expectClean } from '../support/textBooks.ts';

const SEQALL = 'bitfinex/cryptofeed_ws2_book_P0_len100_seqall_2021-04-05_120s.ndjson';
const SEQALL_FILE = 'cryptofeed_ws2_book_P0_len100_seqall_2021-04-05_120s.ndjson';

/**
 * An independent reading of a recording: book channels from the `subscribed` events, the
 * connection-wide sequence numbers, and every book rebuilt from the number texts as recorded
 * (regular expressions over the raw frames, no adapter code).
 */
interface Reading {
  chanOf: Map<string, string>;
  seqs: number[];
  /** symbol -> price text -> signed amount text, after the frame at `upTo` (exclusive). */
  books: Map<string, { bids: Map<string, string>; asks: Map<string, string> }>;
  updates: Map<string, number>;
}

const ENTRY = /\[(-?[\d.e+-]+),(\d+),(-?[\d.e+-]+)\]/g;

function read(records: readonly RecordLine[], upTo = records.length): Reading {
  const r: Reading = { chanOf: new Map(), seqs: [], books: new Map(), updates: new Map() };
  for (let i = 0; i < upTo; i++) {
    const rec = records[i]!;
    if (rec.dir !== 'recv') continue;
    const raw = rec.raw;
    if (raw.startsWith('{')) {
      const e = JSON.parse(raw) as { event?: string; channel?: string; chanId?: number; symbol?: string };
      if (e.event === 'subscribed' && e.channel === 'book') r.chanOf.set(String(e.chanId), e.symbol!);
      continue;
    }
    r.seqs.push(Number(/,(\d+)\]$/.exec(raw)![1]));
    const chan = /^\[(\d+),/.exec(raw)![1]!;
    const symbol = r.chanOf.get(chan);
    if (symbol === undefined || raw.includes('"hb"')) continue;
    const body = raw.slice(raw.indexOf(',') + 1, raw.lastIndexOf(','));
    if (body.startsWith('[[') || body === '[]') {
      const b = { bids: new Map<string, string>(), asks: new Map<string, string>() };
      for (const m of body.matchAll(ENTRY)) (m[3]!.startsWith('-') ? b.asks : b.bids).set(m[1]!, m[3]!);
      r.books.set(symbol, b);
      continue;
    }
    const m = /^\[(-?[\d.e+-]+),(\d+),(-?[\d.e+-]+)\]$/.exec(body)!;
    const b = r.books.get(symbol)!;
    const side = m[3]!.startsWith('-') ? b.asks : b.bids;
    if (m[2] === '0') side.delete(m[1]!);
    else side.set(m[1]!, m[3]!);
    r.updates.set(symbol, (r.updates.get(symbol) ?? 0) + 1);
  }
  return r;
}

/** Best-first [price text, amount text] of one side of an independent book. */
function sorted(side: Map<string, string>, bids: boolean): [string, string][] {
  return [...side].sort((a, b) => (bids ? Number(b[0]) - Number(a[0]) : Number(a[0]) - Number(b[0])));
}

/** The documented checksum over an independent book, with JavaScript's number rendering. */
function checksumOf(b: { bids: Map<string, string>; asks: Map<string, string> }): number {
  const bids = sorted(b.bids, true);
  const asks = sorted(b.asks, false);
  const parts: string[] = [];
  for (let i = 0; i < 25; i++) {
    if (bids[i]) parts.push(String(Number(bids[i]![0])), String(Number(bids[i]![1])));
    if (asks[i]) parts.push(String(Number(asks[i]![0])), String(Number(asks[i]![1])));
  }
  return crc32(Buffer.from(parts.join(':'))) | 0;
}

/** Engine book equals the independent one, level by level, exactly. */
function expectSameBook(sb: SymbolBook, b: { bids: Map<string, string>; asks: Map<string, string> }): void {
  const { priceScale: ps, sizeScale: ss } = sb.book;
  const top = sb.book.top(1000);
  const want = (side: Map<string, string>, bids: boolean) => sorted(side, bids).map(([p, a]) => [parseScaled(p, ps), parseScaled(a.replace('-', ''), ss)]);
  expect(top.bids).toEqual(want(b.bids, true));
  expect(top.asks).toEqual(want(b.asks, false));
}

describe('verify: every Bitfinex recording', () => {
  const dir = join(dataDir(), 'bitfinex');
  for (const f of readdirSync(dir).sort()) {
    it(`${f}: SEQ_ALL chain unbroken, every book live and equal to the book rebuilt from the raw text`, async () => {
      const records = await loadRecording(join(dir, f));
      const reading = read(records);
      // The connection-wide sequence runs 1..N without a hole (PROVENANCE: 1->22649 and 1->1670).
      expect(reading.seqs.every((s, i) => s === i + 1)).toBe(true);
      const last = new Map<string, SymbolBook>();
      const r = runRecords(records, f, { onApplied: (sb) => last.set(sb.symbol, sb) });
      expect(r.symbols.map((s) => s.symbol).sort()).toEqual([...reading.books.keys()].sort());
      for (const s of r.symbols) {
        expectClean(s);
        expect(s.counters.snapshots).toBe(1);
        expect(s.counters.applied).toBe(1 + (reading.updates.get(s.symbol) ?? 0));
        expectSameBook(last.get(s.symbol)!, reading.books.get(s.symbol)!);
      }
      const report = await verifyFile(join(dir, f));
      expect(report.error).toBeUndefined();
      expect(report.venues).toEqual(['bitfinex']);
    });
  }

  it('reproduces the provenance figures: sequence 1 -> 22649, tETHJPY 17,142 updates, tZRXETH 4,613', async () => {
    const records = await loadRecording(dataPath(SEQALL));
    expect(read(records).seqs.at(-1)).toBe(22649);
    const r = runRecords(records, SEQALL_FILE).bySymbol;
    expect(r.get('tETHJPY')!.counters.applied).toBe(1 + 17142);
    expect(r.get('tZRXETH')!.counters.applied).toBe(1 + 4613);
    expect(r.get('tCHZUST')!.normalized).toBe('CHZ-USDT');
    expect(r.get('tETH2X:ETH')!.normalized).toBe('ETH2X-ETH');
  });

  it('renders every recorded book number exactly as JavaScript does (the checksum text), exponents included', async () => {
    let numbers = 0;
    let exponents = 0;
    for (const f of readdirSync(join(dataDir(), 'bitfinex'))) {
      const records = await loadRecording(join(dataDir(), 'bitfinex', f));
      const books = new Set(read(records).chanOf.keys());
      for (const rec of records) {
        if (rec.dir !== 'recv' || !rec.raw.startsWith('[') || !books.has(/^\[(\d+),/.exec(rec.raw)![1]!)) continue;
        for (const m of rec.raw.matchAll(ENTRY)) {
          for (const t of [m[1]!, m[3]!]) {
            const scale = requiredScale(t);
            expect(bitfinexNumberText(parseScaled(t, scale), scale)).toBe(String(Number(t)));
            numbers++;
            if (/e/i.test(t)) exponents++;
          }
        }
      }
    }
    expect(numbers).toBeGreaterThan(50_000);
    expect(exponents).toBeGreaterThan(0);
  });
});

describe('Bitfinex faults derived from the SEQ_ALL recording', () => {
  const isUpdateOf = (chan: string) => (raw: string) => raw.startsWith(`[${chan},[`) && !raw.startsWith(`[${chan},[[`);

  async function load(): Promise<{ records: RecordLine[]; chanOf: Map<string, string>; chanFor: (symbol: string) => string }> {
    const records = await loadRecording(dataPath(SEQALL));
    const chanOf = read(records).chanOf;
    const chanFor = (symbol: string) => [...chanOf].find(([, s]) => s === symbol)![0];
    return { records, chanOf, chanFor };
  }

  it('a dropped frame breaks the connection-wide sequence: every book on the socket resyncs', async () => {
    const { records, chanFor } = await load();
    const broken = runRecords(dropAt(records, nthIndex(records, 500, isUpdateOf(chanFor('tZRXETH')))), SEQALL_FILE).symbols;
    expect(broken).toHaveLength(8);
    for (const s of broken) {
      expect(s.state, s.symbol).toBe('resyncing');
      expect(s.counters.gaps).toBe(1);
      expect(s.anomalies[0]!.kind).toBe('gap');
      expect(s.anomalies[0]!.detail).toMatch(/^SEQ_ALL expected \d+, got \d+$/);
    }
  });

  it('a duplicated frame is dropped by its sequence number: counted, book unchanged, no gap', async () => {
    const { records, chanFor } = await load();
    const base = runRecords(records, SEQALL_FILE).bySymbol;
    const dup = runRecords(duplicateAt(records, nthIndex(records, 2000, isUpdateOf(chanFor('tETHJPY')))), SEQALL_FILE).bySymbol;
    const eth = dup.get('tETHJPY')!;
    const b = base.get('tETHJPY')!;
    expect(eth.counters.duplicates).toBe(1);
    expect(eth.state).toBe('live');
    expect(eth.counters.gaps).toBe(0);
    expect(eth.counters.applied).toBe(b.counters.applied);
    expect([eth.bestBid, eth.bestBidSize, eth.bestAsk, eth.bestAskSize, eth.levels]).toEqual([b.bestBid, b.bestBidSize, b.bestAsk, b.bestAskSize, b.levels]);
    for (const [sym, s] of dup) if (sym !== 'tETHJPY') expectClean(s);
  });

  /**
   * The recording has no checksum frames (flag 131072 was not set). A heartbeat frame of the
   * stream is rewritten into `[chanId,"cs",CHECKSUM,SEQ]` (same slot, same sequence number) with
   * the checksum computed here from the book rebuilt independently up to that point.
   */
  async function withChecksumFrame(corrupt: boolean): Promise<Map<string, SymbolReport>> {
    const { records, chanFor } = await load();
    const eth = chanFor('tETHJPY');
    const at = nthIndex(records, 60, (raw) => raw.includes('"hb"'));
    const book = read(records, at).books.get('tETHJPY')!;
    const cs = checksumOf(book) ^ (corrupt ? 1 : 0);
    const rewritten = rewriteAt(records, at, (raw) => raw.replace(/^\[\d+,"hb",(\d+)\]$/, (_m, seq: string) => `[${eth},"cs",${cs},${seq}]`));
    return runRecords(rewritten, SEQALL_FILE).bySymbol;
  }

  it('a checksum frame computed from the rebuilt book verifies', async () => {
    const r = await withChecksumFrame(false);
    const eth = r.get('tETHJPY')!;
    expect(eth.counters.checksumOk).toBe(1);
    expectClean(eth);
    for (const s of r.values()) expectClean(s);
  });

  it('a corrupted checksum frame is a mismatch: that book alone resubscribes', async () => {
    const r = await withChecksumFrame(true);
    const eth = r.get('tETHJPY')!;
    expect(eth.state).toBe('resyncing');
    expect(eth.counters.checksumFailed).toBe(1);
    expect(eth.anomalies.map((a) => a.kind)).toEqual(['checksum-mismatch']);
    for (const [sym, s] of r) if (sym !== 'tETHJPY') expectClean(s);
  });
});
