/**
 * The in-place level-array scanner (SymbolBook.applyLevelPairs) against the plain path: real
 * Binance diff frames, and transformations of them (a non-ASCII character, a truncated frame, a
 * finer decimal, an exponent), must give exactly the book that `setLevel` on the JSON-parsed
 * strings gives.
 */
import { describe, expect, it } from 'vitest';
import { readRecording } from '../../../src-main/engine/replay/recording.ts';
import { SymbolBook } from '../../../src-main/engine/sync/symbolBook.ts';
import { frameBytes } from '../../../src-main/engine/sync/frameBytes.ts';
import { binanceInstrument } from '../../../src-main/engine/venues/binance/binanceSpec.ts';
import { valueIndex } from '../../../src-shared/model/jsonScan.ts';
import { dataPath } from '../../support/data.ts';

const FILE = 'binance/spot_BTCUSDT_2024-08-08T2354Z_10min.hftbacktest.ndjson.gz';

async function realDiffs(n: number): Promise<string[]> {
  const out: string[] = [];
  for await (const r of readRecording(dataPath(FILE))) {
    if (r.dir === 'recv' && r.raw.includes('"depthUpdate"')) out.push(r.raw);
    if (out.length === n) break;
  }
  return out;
}

function newBook(): SymbolBook {
  return new SymbolBook(binanceInstrument('binance-spot', 'spot', 'BTCUSDT'), {}, () => 0);
}

/** Apply a frame's b and a arrays in place; returns levels applied or -1. */
function scanApply(sb: SymbolBook, raw: string): number {
  const b = valueIndex(raw, '"b":');
  const end = sb.applyLevelPairs(true, raw, b);
  if (end < 0) return -1;
  const n = sb.pairsApplied;
  const a = valueIndex(raw, '"a":', end);
  if (sb.applyLevelPairs(false, raw, a) < 0) return -1;
  return n + sb.pairsApplied;
}

function parseApply(sb: SymbolBook, raw: string): number {
  const f = JSON.parse(raw) as { data?: unknown };
  const m = (f.data ?? f) as { b: [string, string][]; a: [string, string][] };
  for (const [p, q] of m.b) sb.setLevel(true, p, q);
  for (const [p, q] of m.a) sb.setLevel(false, p, q);
  return m.b.length + m.a.length;
}

function levels(sb: SymbolBook): string {
  const t = sb.book.top(100_000);
  return JSON.stringify([sb.book.priceScale, sb.book.sizeScale, t.bids, t.asks]);
}

describe('applyLevelPairs', () => {
  it('builds exactly the book setLevel builds, over 2000 real diffs', async () => {
    const frames = await realDiffs(2000);
    const fast = newBook();
    const slow = newBook();
    let total = 0;
    for (const raw of frames) {
      const n = scanApply(fast, raw);
      expect(n).toBe(parseApply(slow, raw));
      total += n;
    }
    expect(total).toBeGreaterThan(50_000);
    expect(levels(fast)).toBe(levels(slow));
  });

  it('reads a frame holding a non-ASCII character through the string path, same result', async () => {
    const [raw] = await realDiffs(1);
    // A transformed real frame: the symbol carries a non-ASCII character (indices of a UTF-8
    // copy would no longer match the string's).
    const odd = raw!.replace('"s":"BTCUSDT"', '"s":"BTCUSDT\u00e9"');
    expect(frameBytes(odd)).toBeNull();
    const fast = newBook();
    const slow = newBook();
    expect(scanApply(fast, odd)).toBe(parseApply(slow, odd));
    expect(levels(fast)).toBe(levels(slow));
  });

  it('rejects a truncated frame instead of reading past its end', async () => {
    const frames = await realDiffs(50);
    const raw = frames.find((f) => f.length > 400)!;
    // Scan a longer frame first so the reused byte buffer holds digits beyond the cut.
    expect(scanApply(newBook(), frames.reduce((a, f) => (f.length > a.length ? f : a)))).toBeGreaterThan(0);
    const cut = raw.slice(0, raw.indexOf('"a":') - 6);
    const sb = newBook();
    expect(sb.applyLevelPairs(true, cut, valueIndex(cut, '"b":'))).toBe(-1);
  });

  it('widens the scale for a finer decimal and parses exponents exactly', async () => {
    const [raw] = await realDiffs(1);
    const f = JSON.parse(raw!) as { data?: unknown };
    const m = (f.data ?? f) as { b: [string, string][] };
    const [p0, q0] = m.b[0]!;
    // Transformations of the first real level: a size with one more decimal digit than the
    // instrument's scale, and the same price written with an exponent.
    const finer = `${q0}1`;
    const expPrice = `${p0.replace('.', '').replace(/0+$/, '')}e-${p0.split('.')[1]!.replace(/0+$/, '').length}`;
    const frame = raw!.replace(`["${p0}","${q0}"]`, `["${expPrice}","${finer}"]`);
    expect(frame).not.toBe(raw);
    const fast = newBook();
    const slow = newBook();
    expect(scanApply(fast, frame)).toBe(parseApply(slow, frame));
    expect(fast.book.sizeScale).toBe(slow.book.sizeScale);
    expect(levels(fast)).toBe(levels(slow));
  });
});
