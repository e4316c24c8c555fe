/**
 * 64-bit integers on the wire from JS numbers without BigInt on the hot path.
 *
 * Every OBMC counter is a safe integer (|v| <= 2^53 - 1); price and size mantissas are integers a
 * double holds exactly, below 2^63 (safe integers, and rarely larger exact ones). Such a value
 * splits exactly into hi = floor(v / 2^32) and lo = v - hi * 2^32 (0 <= lo < 2^32): v / 2^32 and
 * hi * 2^32 are exact (powers of two), and the subtraction of two multiples of v's ulp whose result
 * is below 2^32 is exact; they give the two's-complement halves for negative values too.
 * Reading back, hi * 2^32 + lo is exact whenever the result is safe; beyond that the reader checks.
 */

const TWO_32 = 4294967296;

/** Write a safe integer as an i64 (or, when non-negative, a u64) little-endian. */
export function writeInt64(view: DataView, offset: number, value: number): void {
  const hi = Math.floor(value / TWO_32);
  const lo = value - hi * TWO_32;
  view.setUint32(offset, lo, true);
  view.setInt32(offset + 4, hi, true);
}

/**
 * Read an i64 price/size mantissa. Safe integers always; beyond 2^53 only the integers a double
 * holds exactly (the engine's own rule, src-shared/model/decimal.ts: a size of 1e16 at scale 9 is
 * exact), checked with BigInt on that rare path. NaN otherwise.
 */
export function readInt64(view: DataView, offset: number): number {
  const lo = view.getUint32(offset, true);
  const hi = view.getInt32(offset + 4, true);
  const v = hi * TWO_32 + lo;
  if (Number.isSafeInteger(v)) return v;
  return BigInt(v) === (BigInt(hi) << 32n) + BigInt(lo) ? v : Number.NaN;
}

/** Read a u64 counter; returns NaN when it exceeds 2^53 - 1. */
export function readUint64(view: DataView, offset: number): number {
  const lo = view.getUint32(offset, true);
  const hi = view.getUint32(offset + 4, true);
  const v = hi * TWO_32 + lo;
  return Number.isSafeInteger(v) ? v : Number.NaN;
}
