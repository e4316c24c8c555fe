/**
 * Exact decimals as integer mantissas with a per-instrument scale (number of fractional digits).
 *
 * A price string "61737.63000000" at scale 2 is the mantissa 6173763; at scale 8 it is
 * 6173763000000. Parsing walks the characters once and never goes through a binary float, so
 * every value the engine holds is exactly the venue's decimal. Mantissas are JS numbers that are
 * always integers held *exactly* by a double: every integer up to 2^53 - 1, and beyond that only
 * the integers a double represents exactly (checked digit for digit with BigInt, e.g. a size of
 * 10000000 at scale 9 = 1e16 beside sizes with nine decimals, as Gate and KuCoin send), up to
 * 2^63 so the multicast wire's i64 holds them. Anything else, or text with more significant
 * fractional digits than the scale allows, is reported as NaN so that the caller can widen the
 * scale or reject the message; nothing is ever rounded. Comparisons of such mantissas are exact;
 * sums of values beyond 2^53 are done in BigInt by the code that needs them (cumulative depth).
 */

/** Returned by the parsers when the text is not a decimal that fits the requested scale. */
export const NOT_EXACT = Number.NaN;

const POW10: number[] = [];
for (let i = 0, p = 1; i <= 22; i++, p *= 10) POW10.push(p);

/** 10^n as an exact double, for 0 <= n <= 22. */
export function pow10(n: number): number {
  const v = POW10[n];
  if (v === undefined) throw new RangeError(`pow10(${n}) out of range`);
  return v;
}

/**
 * Parse a decimal string (optionally signed, optionally with an exponent such as "1e-7") into a
 * mantissa at `scale` fractional digits. Returns NaN when the string is malformed, when it has
 * non-zero digits beyond `scale`, or when the mantissa is not an integer a double holds exactly.
 */
export function parseScaled(s: string, scale: number): number {
  return parseScaledAt(s, 0, s.length, scale);
}

/**
 * `parseScaled` over `s.slice(start, end)` without allocating the slice: venue scanners parse
 * level strings in place inside the raw frame.
 */
export function parseScaledAt(s: string, start: number, end: number, scale: number): number {
  let i = start;
  let neg = false;
  if (end <= start) return NOT_EXACT;
  let c = s.charCodeAt(i);
  if (c === 45 /* - */) {
    neg = true;
    i++;
  } else if (c === 43 /* + */) {
    i++;
  }
  let mant = 0;
  let digits = 0;
  let frac = -1; // number of fractional digits consumed, -1 before the point
  let excess = false; // a non-zero digit beyond the scale was seen
  for (; i < end; i++) {
    c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      digits++;
      if (frac >= 0) {
        if (frac >= scale) {
          if (c !== 48) excess = true;
          frac++;
          continue;
        }
        frac++;
      }
      mant = mant * 10 + (c - 48);
    } else if (c === 46 /* . */ && frac < 0) {
      frac = 0;
    } else if (c === 101 || c === 69 /* e E */) {
      return parseWithExponent(start === 0 && end === s.length ? s : s.slice(start, end), scale);
    } else {
      return NOT_EXACT;
    }
  }
  if (digits === 0 || excess) return NOT_EXACT;
  const fracUsed = frac < 0 ? 0 : frac < scale ? frac : scale;
  const pad = scale - fracUsed;
  if (pad > 0) mant *= POW10[pad]!;
  if (!(mant <= Number.MAX_SAFE_INTEGER) && !exactBeyondSafe(mant, s, start, end, scale)) return NOT_EXACT;
  return neg ? -mant : mant;
}

/** Where the last `scanScaledAt` stopped: the index of the first character after the number. */
export const scanned = { end: 0 };

/**
 * Fast path of `parseScaledAt` for the plain form venues send in their level arrays
 * ("61737.63000000", "0.001", "42"): digits, optionally a point and digits, ended by the first
 * other character, whose index is left in `scanned.end` (the caller checks it is the closing
 * quote). No end index is needed beforehand, so scanners parse while they walk a frame instead of
 * searching for the quote first. Returns NaN, for the caller to take `parseScaledAt`, for
 * anything else: no digit, a sign, an exponent, a non-zero digit beyond `scale` (the caller may
 * widen), or a mantissa beyond 2^53 (which needs the exact check).
 */
export function scanScaledAt(s: string, start: number, scale: number): number {
  let i = start;
  let mant = 0;
  let c = s.charCodeAt(i);
  while (c >= 48 && c <= 57) {
    mant = mant * 10 + (c - 48);
    c = s.charCodeAt(++i);
  }
  let digits = i - start;
  let pad = scale;
  if (c === 46 /* . */) {
    const fracStart = ++i;
    const fracEnd = fracStart + scale;
    c = s.charCodeAt(i);
    while (c >= 48 && c <= 57 && i < fracEnd) {
      mant = mant * 10 + (c - 48);
      c = s.charCodeAt(++i);
    }
    pad = fracEnd - i;
    digits += i - fracStart;
    // Beyond the scale only zeros keep the value exact.
    while (c === 48) c = s.charCodeAt(++i);
  }
  scanned.end = i;
  if (digits === 0 || (c >= 48 && c <= 57)) return NOT_EXACT;
  const v = pad === 0 ? mant : mant * POW10[pad]!;
  return v <= Number.MAX_SAFE_INTEGER ? v : NOT_EXACT;
}

/**
 * `scanScaledAt` over the frame's bytes (ASCII, see the engine's frameBytes): the same rules and
 * results, but element loads from a byte array are far cheaper than `charCodeAt` on a string,
 * which re-checks the string's representation at every character.
 */
export function scanScaledBytes(b: Uint8Array, start: number, scale: number): number {
  let i = start;
  let mant = 0;
  let c = b[i]!;
  while (c >= 48 && c <= 57) {
    mant = mant * 10 + (c - 48);
    c = b[++i]!;
  }
  let digits = i - start;
  let pad = scale;
  if (c === 46 /* . */) {
    const fracStart = ++i;
    const fracEnd = fracStart + scale;
    c = b[i]!;
    while (c >= 48 && c <= 57 && i < fracEnd) {
      mant = mant * 10 + (c - 48);
      c = b[++i]!;
    }
    pad = fracEnd - i;
    digits += i - fracStart;
    while (c === 48) c = b[++i]!;
  }
  scanned.end = i;
  if (digits === 0 || (c >= 48 && c <= 57)) return NOT_EXACT;
  const v = pad === 0 ? mant : mant * POW10[pad]!;
  return v <= Number.MAX_SAFE_INTEGER ? v : NOT_EXACT;
}

/** Largest magnitude a mantissa may have: the multicast wire carries i64. */
const MAX_MANTISSA = 2 ** 63;

/**
 * A mantissa above 2^53 was accumulated in a double: accept it only if the double is exactly the
 * integer the digits spell (rare path: very large sizes at a fine scale).
 */
function exactBeyondSafe(mant: number, s: string, start: number, end: number, scale: number): boolean {
  if (!(mant < MAX_MANTISSA)) return false;
  let digits = '';
  let frac = -1;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      frac = 0;
      continue;
    }
    if (c < 48 || c > 57) continue;
    if (frac >= 0) {
      if (frac >= scale) continue;
      frac++;
    }
    digits += s[i];
  }
  const pad = scale - (frac < 0 ? 0 : frac);
  const exact = BigInt(digits + '0'.repeat(pad));
  return BigInt(mant) === exact;
}

/** `a * 10^k` if the product is an integer a double holds exactly (and below 2^63), else NaN. */
export function timesPow10(a: number, k: number): number {
  const v = a * pow10(k);
  if (Math.abs(v) <= Number.MAX_SAFE_INTEGER) return v;
  if (!(Math.abs(v) < MAX_MANTISSA)) return NOT_EXACT;
  return BigInt(v) === BigInt(a) * 10n ** BigInt(k) ? v : NOT_EXACT;
}

/** Slow path for exponent notation ("1e-7", "2.5E+3"), as rendered by JavaScript or Python. */
function parseWithExponent(s: string, scale: number): number {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?[eE]([+-]?\d+)$/.exec(s);
  if (!m) return NOT_EXACT;
  const sign = m[1] ?? '';
  const intPart = m[2] ?? '';
  const fracPart = m[3] ?? '';
  const exp = Number(m[4]);
  if (intPart.length + fracPart.length === 0 || !Number.isInteger(exp) || Math.abs(exp) > 400) return NOT_EXACT;
  let digits = intPart + fracPart;
  let point = intPart.length + exp; // position of the decimal point within `digits`
  if (point < 0) {
    digits = '0'.repeat(-point) + digits;
    point = 0;
  } else if (point > digits.length) {
    digits = digits + '0'.repeat(point - digits.length);
  }
  return parseScaled(`${sign}${digits.slice(0, point) || '0'}.${digits.slice(point)}`, scale);
}

/** Number of fractional digits a decimal string needs to be exact (trailing zeros ignored). */
export function requiredScale(s: string): number {
  const e = s.search(/[eE]/);
  if (e >= 0) {
    const m = /^[+-]?(\d*)(?:\.(\d*))?[eE]([+-]?\d+)$/.exec(s);
    if (!m) return 0;
    const frac = (m[2] ?? '').replace(/0+$/, '').length;
    return Math.max(0, frac - Number(m[3]));
  }
  const dot = s.indexOf('.');
  if (dot < 0) return 0;
  let end = s.length;
  while (end > dot + 1 && s.charCodeAt(end - 1) === 48) end--;
  return end - dot - 1;
}

/** Render a mantissa at `scale` as a plain decimal string without trailing zeros ("61737.63"). */
export function formatScaled(mantissa: number, scale: number): string {
  return trimZeros(formatFixed(mantissa, scale));
}

/** Render a mantissa at `scale` with exactly `scale` fractional digits ("61737.63000000"). */
export function formatFixed(mantissa: number, scale: number): string {
  const neg = mantissa < 0;
  const digits = String(neg ? -mantissa : mantissa);
  if (scale === 0) return neg ? `-${digits}` : digits;
  const padded = digits.length <= scale ? '0'.repeat(scale - digits.length + 1) + digits : digits;
  const out = `${padded.slice(0, padded.length - scale)}.${padded.slice(padded.length - scale)}`;
  return neg ? `-${out}` : out;
}

/** Render with exactly `decimals` fractional digits (truncating extra zeros, padding otherwise). */
export function formatWithDecimals(mantissa: number, scale: number, decimals: number): string {
  if (decimals >= scale) {
    const s = formatFixed(mantissa, scale);
    const pad = decimals - scale;
    if (pad === 0) return s;
    return scale === 0 ? `${s}.${'0'.repeat(pad)}` : s + '0'.repeat(pad);
  }
  const s = formatFixed(mantissa, scale);
  const cut = scale - decimals;
  const out = s.slice(0, s.length - cut);
  return out.endsWith('.') ? out.slice(0, -1) : out;
}

function trimZeros(s: string): string {
  if (s.indexOf('.') < 0) return s;
  let end = s.length;
  while (s.charCodeAt(end - 1) === 48) end--;
  if (s.charCodeAt(end - 1) === 46) end--;
  return s.slice(0, end);
}

/** Convert a mantissa from one scale to a larger one (exact; NaN if it would not fit). */
export function rescale(mantissa: number, fromScale: number, toScale: number): number {
  if (toScale === fromScale) return mantissa;
  if (toScale < fromScale) throw new RangeError('rescale only widens');
  return timesPow10(mantissa, toScale - fromScale);
}

/** Parse a decimal string to a BigInt mantissa at `scale` (for values beyond 2^53, e.g. notional sums). */
export function parseScaledBig(s: string, scale: number): bigint | undefined {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(s);
  if (!m || (m[2] ?? '') + (m[3] ?? '') === '') return undefined;
  const frac = (m[3] ?? '').replace(/0+$/, '');
  if (frac.length > scale) return undefined;
  const v = BigInt((m[2] || '0') + frac.padEnd(scale, '0'));
  return m[1] === '-' ? -v : v;
}
