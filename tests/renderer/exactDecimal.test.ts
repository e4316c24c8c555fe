/// <reference types="node" />
// @vitest-environment happy-dom
/**
 * The console's exact arithmetic on decimal strings, checked on real books: cumulative sizes
 * against the engine's own integer mantissas, spread and mid against the engine's values.
 */
import { describe, expect, it } from 'vitest';
import { formatScaled, parseScaled, requiredScale } from '../../src-shared/model/decimal.ts';
import { addDecimal, compareDecimal, cumulativeSums, formatBig, midDecimal, padDecimals, spreadBps, subDecimal } from '../../src-renderer/lib/exactDecimal.ts';
import { consoleFixture } from '../support/consoleFixtures.ts';

const FILES = ['binance/cryptofeed_spot_10sym_2021-04-05_120s.ndjson', 'okx/cryptofeed_books_2022-05-13.ndjson', 'kraken/cryptofeed_v1_book1000_XBTUSD+9pairs_2021-04-05_120s.ndjson'];

describe('exact decimals in the console', () => {
  it('cumulative sizes equal the sums of the engine mantissas, level by level, on every real book', async () => {
    const fx = await consoleFixture(FILES, { depth: 200 });
    let checked = 0;
    for (const [key, b] of fx.finalBooks) {
      for (const side of [b.bids, b.asks]) {
        const sizes = side.map((l) => l.size);
        const scale = Math.max(0, ...sizes.map(requiredScale));
        const cums = cumulativeSums(sizes);
        let acc = 0;
        sizes.forEach((s, i) => {
          acc += parseScaled(s, scale);
          expect(Number.isSafeInteger(acc), key).toBe(true);
          expect(cums[i], `${key} level ${i}`).toBe(formatScaled(acc, scale));
          checked++;
        });
      }
    }
    expect(checked).toBeGreaterThan(2_000);
  });

  it('spread and mid equal the engine values for every real book with both sides', async () => {
    const fx = await consoleFixture(FILES, { depth: 5 });
    let n = 0;
    for (const b of fx.finalBooks.values()) {
      const bid = b.bids[0]?.price;
      const ask = b.asks[0]?.price;
      if (!bid || !ask) continue;
      expect(subDecimal(ask, bid)).toBe(b.spread);
      if (b.mid !== null) expect(midDecimal(bid, ask)).toBe(b.mid);
      expect(compareDecimal(bid, ask)).toBe(-1);
      n++;
    }
    expect(n).toBeGreaterThan(15);
  });

  it('never goes through binary floats: 0.1 + 0.2 and 2^53 + 1', () => {
    expect(addDecimal('0.1', '0.2')).toBe('0.3');
    expect(addDecimal('9007199254740992', '1')).toBe('9007199254740993');
    expect(subDecimal('0.3', '0.1')).toBe('0.2');
    expect(midDecimal('0.00000001', '0.00000002')).toBe('0.000000015');
    expect(formatBig(-5n, 3)).toBe('-0.005');
    expect(formatBig(0n, 4)).toBe('0');
    expect(cumulativeSums(['1', 'x', '2'])).toEqual(['1', undefined, undefined]);
    expect(compareDecimal('1e-7', '0.0000001')).toBe(0);
    expect(padDecimals('61737.6', 3)).toBe('61737.600');
    expect(padDecimals('5', 2)).toBe('5.00');
    expect(padDecimals('1.2345', 2)).toBe('1.2345');
  });

  it('spread in basis points from exact mantissas', () => {
    // 1 tick on a 10000 mid = 1 bp.
    expect(spreadBps('9999.5', '10000.5')).toBe(1);
    expect(spreadBps('x', '1')).toBeUndefined();
  });
});
