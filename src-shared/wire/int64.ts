/**
 * 64-bit integers on the wire from JS numbers without BigInt on the hot path.
 *
 * The engine's mantissas and every OBMC counter are safe integers (|v| <= 2^53 - 1). Such a value
 * splits exactly into hi = floor(v / 2^32) and lo = v - hi * 2^32 (0 <= lo < 2^32): both steps
 * are exact in a double, and they give the two's-complement halves for negative values too.
 * Reading back, hi * 2^32 + lo is exact whenever the result is safe; callers check that.
 */

const TWO_32 = 4294967296;

/** Write a safe integer as an i64 (or, when non-negative, a u64) little-endian. */
export function writeInt64(view: DataView, offset: number, value: number): void {
  const hi = Math.floor(value / TWO_32);
  const lo = value - hi * TWO_32;
  view.setUint32(offset, lo, true);
  view.setInt32(offset + 4, hi, true);
}

/** Read an i64; returns NaN when the value is outside the safe-integer range. */
export function readInt64(view: DataView, offset: number): number {
  const lo = view.getUint32(offset, true);
  const hi = view.getInt32(offset + 4, true);
  const v = hi * TWO_32 + lo;
  return Number.isSafeInteger(v) ? v : Number.NaN;
}

/** Read a u64 counter; returns NaN when it exceeds 2^53 - 1. */
export function readUint64(view: DataView, offset: number): number {
  const lo = view.getUint32(offset, true);
  const hi = view.getUint32(offset + 4, true);
  const v = hi * TWO_32 + lo;
  return Number.isSafeInteger(v) ? v : Number.NaN;
}
