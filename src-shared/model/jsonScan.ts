/**
 * In-place scanning of venue JSON frames whose layout is fixed and documented, for the hot path.
 *
 * JSON.parse of a depth frame allocates every level as two strings in an array, and the book then
 * parses the strings again. These helpers find a key's value and walk `[["price","size"],...]`
 * arrays directly in the raw text, handing character ranges to `parseScaledAt`. They never guess:
 * anything unexpected returns a "not found" result and the caller falls back to JSON.parse.
 * Keys must be unique in the frame (true for the frames they are used on; see each caller).
 */

/**
 * Index just after `needle`, a key with its quotes and colon (`'"seqId":'`, written out at the
 * call site: no per-call lookup), whitespace after the colon skipped; or -1.
 */
export function valueIndex(raw: string, needle: string, from = 0): number {
  const i = raw.indexOf(needle, from < 0 ? 0 : from);
  if (i < 0) return -1;
  let j = i + needle.length;
  while (raw.charCodeAt(j) === 32) j++;
  return j;
}

/**
 * Strings read from frames, returned as the previous call's string object when the text is the
 * same (consecutive frames on a connection mostly name one symbol): the book lookup then hashes
 * nothing new and nothing is allocated.
 */
export class RecentText {
  private last = '';

  /** `raw.slice(start, end)`. */
  slice(raw: string, start: number, end: number): string {
    const last = this.last;
    if (end - start === last.length && raw.startsWith(last, start)) return last;
    return (this.last = raw.slice(start, end));
  }

  /** The string value whose opening quote is `raw[at]`, or undefined (no quote there, escapes). */
  quoted(raw: string, at: number): string | undefined {
    if (raw.charCodeAt(at) !== 34) return undefined;
    const last = this.last;
    if (last !== '' && raw.charCodeAt(at + 1 + last.length) === 34 && raw.startsWith(last, at + 1)) return last;
    const end = raw.indexOf('"', at + 1);
    if (end < 0) return undefined;
    const s = raw.slice(at + 1, end);
    if (s.includes('\\')) return undefined;
    return (this.last = s);
  }
}

/** The integer value of the key `needle` (as for `valueIndex`; optionally negative, safe integer), or undefined. */
export function scanInt(raw: string, needle: string, from = 0): number | undefined {
  let j = valueIndex(raw, needle, from);
  if (j < 0) return undefined;
  const neg = raw.charCodeAt(j) === 45;
  if (neg) j++;
  let v = 0;
  let digits = 0;
  for (;; j++) {
    const c = raw.charCodeAt(j);
    if (c < 48 || c > 57) break;
    v = v * 10 + (c - 48);
    digits++;
  }
  const c = raw.charCodeAt(j);
  // A fraction or exponent is not an integer.
  if (digits === 0 || digits > 16 || c === 46 || c === 101 || c === 69 || !Number.isSafeInteger(v)) return undefined;
  return neg ? -v : v;
}

/** The non-negative integer value of the key `needle` (safe integer), or -1. */
export function scanUint(raw: string, needle: string, from = 0): number {
  const v = scanInt(raw, needle, from);
  return v !== undefined && v >= 0 ? v : -1;
}

/** The string value of the key `needle` without escapes, or undefined. */
export function scanString(raw: string, needle: string, from = 0): string | undefined {
  const j = valueIndex(raw, needle, from);
  if (j < 0 || raw.charCodeAt(j) !== 34) return undefined;
  const end = raw.indexOf('"', j + 1);
  if (end < 0) return undefined;
  const s = raw.slice(j + 1, end);
  return s.includes('\\') ? undefined : s;
}

/**
 * Walk a `[["p","q"],["p","q",...],...]` array starting at `raw[start] === '['`. Calls
 * `level(pStart, pEnd, qStart, qEnd)` for each entry (extra elements of an entry are skipped);
 * returning false from `level` stops the walk. Returns the index after the closing ']', or -1
 * when the text is not such an array or `level` stopped.
 */
export function walkLevelPairs(
  raw: string,
  start: number,
  level: (pStart: number, pEnd: number, qStart: number, qEnd: number) => boolean,
): number {
  if (raw.charCodeAt(start) !== 91 /* [ */) return -1;
  let i = start + 1;
  const n = raw.length;
  for (;;) {
    let c = raw.charCodeAt(i);
    while (c === 32 || c === 44 /* , */) c = raw.charCodeAt(++i);
    if (c === 93 /* ] */) return i + 1;
    if (c !== 91 || i >= n) return -1;
    // ["price","qty" ...]
    if (raw.charCodeAt(i + 1) !== 34) return -1;
    const ps = i + 2;
    const pe = raw.indexOf('"', ps);
    if (pe < 0) return -1;
    let j = pe + 1;
    while (raw.charCodeAt(j) === 32) j++;
    if (raw.charCodeAt(j) !== 44) return -1;
    j++;
    while (raw.charCodeAt(j) === 32) j++;
    if (raw.charCodeAt(j) !== 34) return -1;
    const qs = j + 1;
    const qe = raw.indexOf('"', qs);
    if (qe < 0) return -1;
    // Skip to the end of this entry (some venues append order counts or flags).
    const close = raw.indexOf(']', qe + 1);
    if (close < 0) return -1;
    if (!level(ps, pe, qs, qe)) return -1;
    i = close + 1;
  }
}
