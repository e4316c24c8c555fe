/**
 * Exact arithmetic on the decimal strings the engine sends (prices, sizes). The console sums
 * sizes (cumulative depth), subtracts prices (spread) and halves sums (mid): doing that in
 * binary floats would print 0.30000000000000004-style values or silently round large sizes, so
 * every operation here works on BigInt mantissas at the scale the operands need
 * (src-shared/model/decimal.ts parses, this file adds the few operations the views need).
 * Only charts convert to float, because a canvas plots doubles anyway.
 */
import { parseScaledBig, requiredScale } from '../../src-shared/model/decimal.ts';

export interface Scaled {
  mant: bigint;
  scale: number;
}

/** "1.5e-7" -> "0.00000015" by moving the point in the digit string (no float involved). */
function expandExponent(s: string): string | undefined {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?[eE]([+-]?\d+)$/.exec(s);
  if (!m) return undefined;
  const int = m[2] ?? '';
  const frac = m[3] ?? '';
  const exp = Number(m[4]);
  if (int.length + frac.length === 0 || Math.abs(exp) > 400) return undefined;
  let digits = int + frac;
  let point = int.length + exp;
  if (point < 0) {
    digits = '0'.repeat(-point) + digits;
    point = 0;
  } else if (point > digits.length) digits += '0'.repeat(point - digits.length);
  return `${m[1] ?? ''}${digits.slice(0, point) || '0'}.${digits.slice(point)}`;
}

/** Parse a decimal string exactly; undefined when it is not a decimal. */
export function toScaled(s: string): Scaled | undefined {
  const plain = /[eE]/.test(s) ? expandExponent(s) : s;
  if (plain === undefined) return undefined;
  const scale = requiredScale(plain);
  const mant = parseScaledBig(plain, scale);
  return mant === undefined ? undefined : { mant, scale };
}

function widen(v: Scaled, scale: number): bigint {
  return scale === v.scale ? v.mant : v.mant * 10n ** BigInt(scale - v.scale);
}

/** Render a BigInt mantissa at `scale` without trailing zeros ("0.1", "61737.63", "-2"). */
export function formatBig(mant: bigint, scale: number): string {
  const neg = mant < 0n;
  let digits = (neg ? -mant : mant).toString();
  if (scale > 0) {
    if (digits.length <= scale) digits = '0'.repeat(scale - digits.length + 1) + digits;
    const int = digits.slice(0, digits.length - scale);
    const frac = digits.slice(digits.length - scale).replace(/0+$/, '');
    digits = frac === '' ? int : `${int}.${frac}`;
  }
  return neg && digits !== '0' ? `-${digits}` : digits;
}

/** a + b, exactly. undefined when either operand is not a decimal. */
export function addDecimal(a: string, b: string): string | undefined {
  const x = toScaled(a);
  const y = toScaled(b);
  if (!x || !y) return undefined;
  const scale = Math.max(x.scale, y.scale);
  return formatBig(widen(x, scale) + widen(y, scale), scale);
}

/** a - b, exactly. */
export function subDecimal(a: string, b: string): string | undefined {
  const x = toScaled(a);
  const y = toScaled(b);
  if (!x || !y) return undefined;
  const scale = Math.max(x.scale, y.scale);
  return formatBig(widen(x, scale) - widen(y, scale), scale);
}

/** (a + b) / 2, exactly: one more fractional digit is always enough to halve a decimal. */
export function midDecimal(a: string, b: string): string | undefined {
  const x = toScaled(a);
  const y = toScaled(b);
  if (!x || !y) return undefined;
  const scale = Math.max(x.scale, y.scale) + 1;
  return formatBig((widen(x, scale) + widen(y, scale)) / 2n, scale);
}

/** Sign of a - b (-1, 0, 1); NaN when either is not a decimal. Exact for any magnitude. */
export function compareDecimal(a: string, b: string): number {
  const x = toScaled(a);
  const y = toScaled(b);
  if (!x || !y) return Number.NaN;
  const scale = Math.max(x.scale, y.scale);
  const d = widen(x, scale) - widen(y, scale);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

/**
 * Running sums of a list of sizes, best level first: out[i] = sizes[0] + ... + sizes[i].
 * An unparseable size makes it and every later sum undefined (never a made-up number).
 */
export function cumulativeSums(sizes: readonly string[]): (string | undefined)[] {
  const parsed = sizes.map(toScaled);
  let scale = 0;
  for (const p of parsed) if (p && p.scale > scale) scale = p.scale;
  const out: (string | undefined)[] = [];
  let acc = 0n;
  let broken = false;
  for (const p of parsed) {
    if (!p || broken) {
      broken = true;
      out.push(undefined);
      continue;
    }
    acc += widen(p, scale);
    out.push(formatBig(acc, scale));
  }
  return out;
}

/** Pad (never round) a decimal string to `decimals` fractional digits, for aligned columns. */
export function padDecimals(s: string, decimals: number): string {
  if (decimals <= 0) return s;
  const dot = s.indexOf('.');
  const have = dot < 0 ? 0 : s.length - dot - 1;
  if (have >= decimals) return s;
  return (dot < 0 ? `${s}.` : s) + '0'.repeat(decimals - have);
}

/** Fractional digits a list of decimals needs so that all of them align without rounding. */
export function maxDecimals(values: readonly (string | null | undefined)[]): number {
  let m = 0;
  for (const v of values) {
    if (v == null) continue;
    const dot = v.indexOf('.');
    if (dot >= 0 && v.length - dot - 1 > m) m = v.length - dot - 1;
  }
  return m;
}

/**
 * Spread in basis points of mid, for display only (a ratio has no exact decimal form). Computed
 * from the exact mantissas with one rounding at the end, so it is as close as a double allows.
 */
export function spreadBps(bid: string, ask: string): number | undefined {
  const b = toScaled(bid);
  const a = toScaled(ask);
  if (!b || !a) return undefined;
  const scale = Math.max(a.scale, b.scale);
  const bb = widen(b, scale);
  const aa = widen(a, scale);
  const sum = aa + bb;
  if (sum <= 0n) return undefined;
  // (a - b) / ((a + b) / 2) * 10_000, scaled by 10^6 before the integer division for precision.
  const q = ((aa - bb) * 20_000n * 1_000_000n) / sum;
  return Number(q) / 1_000_000;
}

/** A decimal string as a double, for plotting only. */
export function toPlotNumber(s: string | null | undefined): number | null {
  if (s == null) return null;
  const v = Number(s);
  return Number.isFinite(v) ? v : null;
}
