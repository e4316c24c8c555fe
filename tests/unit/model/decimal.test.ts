import { describe, expect, it } from 'vitest';
import { formatFixed, formatScaled, parseScaled, parseScaledAt, parseScaledBig, requiredScale, formatWithDecimals, scanned, scanScaledAt, scanScaledBytes } from '../../../src-shared/model/decimal.ts';

describe('parseScaled', () => {
  it('parses venue strings exactly at the requested scale', () => {
    expect(parseScaled('61737.63000000', 2)).toBe(6173763);
    expect(parseScaled('61737.63000000', 8)).toBe(6173763000000);
    expect(parseScaled('0.00000000', 8)).toBe(0);
    expect(parseScaled('3366', 1)).toBe(33660);
    expect(parseScaled('-0.5', 1)).toBe(-5);
  });
  it('reports finer precision than the scale as NaN instead of rounding', () => {
    expect(parseScaled('0.123', 2)).toBeNaN();
    expect(parseScaled('0.1230', 3)).toBe(123);
  });
  it('rejects malformed text and mantissas a double cannot hold exactly', () => {
    for (const s of ['', '.', '-', '1.2.3', '12a', ' 1', '0x10']) expect(parseScaled(s, 2)).toBeNaN();
    // 9007199254740993 (2^53 + 1) has no exact double.
    expect(parseScaled('90071992547409.93', 2)).toBeNaN();
    expect(parseScaled('90071992547409.91', 2)).toBe(9007199254740991);
    // 9 decimals of scale on a 17-digit size: not representable -> NaN, never rounded.
    expect(parseScaled('12345678.123456789', 9)).toBeNaN();
    // Beyond 2^63 the multicast i64 cannot carry it.
    expect(parseScaled('10000000000', 9)).toBeNaN();
  });
  it('accepts integers beyond 2^53 that a double holds exactly (Gate INK_USDT: 10000000 at scale 9)', () => {
    expect(parseScaled('10000000', 9)).toBe(1e16);
    expect(BigInt(parseScaled('10000000', 9))).toBe(10_000_000_000_000_000n);
    expect(parseScaled('452338153.08', 8)).toBe(45233815308000000);
    expect(BigInt(parseScaled('452338153.08', 8))).toBe(45233815308000000n);
  });
  it('parses exponent notation as rendered by JavaScript (Bitfinex) and Python', () => {
    expect(parseScaled('1e-7', 8)).toBe(10);
    expect(parseScaled('2.5E+3', 0)).toBe(2500);
    expect(parseScaled('1e-7', 6)).toBeNaN();
  });
  it('does not go through binary floating point', () => {
    // 0.1 + 0.2 style artefacts cannot appear: each digit is accumulated as an integer.
    expect(parseScaled('0.3', 15)).toBe(300000000000000);
    expect(parseScaled('1.1', 1) + parseScaled('2.2', 1)).toBe(parseScaled('3.3', 1));
  });
});

describe('scanScaledAt (the in-frame fast path)', () => {
  it('parses the plain form up to the first other character and says where it stopped', () => {
    const frame = '[["61737.63000000","0.00123000"]]';
    expect(scanScaledAt(frame, 3, 2)).toBe(6173763);
    expect(scanned.end).toBe(17);
    expect(frame[scanned.end]).toBe('"');
    expect(scanScaledAt(frame, 20, 8)).toBe(123000);
    expect(frame[scanned.end]).toBe('"');
    expect(scanScaledAt('"42"', 1, 3)).toBe(42000);
    expect(scanScaledAt('"5."', 1, 0)).toBe(5);
  });
  it('leaves every case it does not settle exactly to parseScaledAt (NaN)', () => {
    for (const t of ['-1.5', '+1', '1e-7', '', '.', '0.125', '90071992547409.93', '10000000']) {
      const text = `"${t}"`;
      const fast = scanScaledAt(text, 1, t === '10000000' ? 9 : 2);
      // Either no answer, or it stopped before the closing quote (the caller checks).
      expect(Number.isNaN(fast) || scanned.end !== text.length - 1, t).toBe(true);
    }
  });
  it('agrees with parseScaledAt wherever it answers, on every form of digit string', () => {
    // Every string over a small alphabet up to 6 characters, at scales 0..3: the fast path either
    // returns NaN or exactly what the general parser returns.
    const alphabet = ['0', '1', '9', '.', '-', 'e'];
    let answered = 0;
    const walk = (t: string): void => {
      if (t.length > 0) {
        for (let scale = 0; scale <= 3; scale++) {
          const fast = scanScaledAt(`${t}"`, 0, scale);
          const stoppedAt = scanned.end;
          const ended = stoppedAt === t.length;
          // The byte variant gives the same answer and stops at the same place.
          const bytes = scanScaledBytes(new TextEncoder().encode(`${t}"`), 0, scale);
          expect(Object.is(bytes, fast) && scanned.end === stoppedAt, `${t} @${scale} bytes`).toBe(true);
          if (!Number.isNaN(fast) && ended) {
            answered++;
            expect(fast, `${t} @${scale}`).toBe(parseScaledAt(t, 0, t.length, scale));
          }
        }
      }
      if (t.length < 6) for (const c of alphabet) walk(t + c);
    };
    walk('');
    expect(answered).toBeGreaterThan(1000);
  });
});

describe('formatting', () => {
  it('round-trips mantissas', () => {
    expect(formatScaled(6173763, 2)).toBe('61737.63');
    expect(formatScaled(100, 2)).toBe('1');
    expect(formatFixed(5, 8)).toBe('0.00000005');
    expect(formatFixed(-5, 2)).toBe('-0.05');
    expect(formatWithDecimals(452852, 1, 1)).toBe('45285.2');
    expect(formatWithDecimals(100, 3, 8)).toBe('0.10000000');
    expect(formatWithDecimals(12340, 3, 2)).toBe('12.34');
  });
  it('computes the scale a string needs', () => {
    expect(requiredScale('61737.63000000')).toBe(2);
    expect(requiredScale('100')).toBe(0);
    expect(requiredScale('1e-7')).toBe(7);
  });
  it('parses big mantissas as BigInt', () => {
    expect(parseScaledBig('123456789012345678.25', 2)).toBe(12345678901234567825n);
    expect(parseScaledBig('1.234', 2)).toBeUndefined();
  });
});
