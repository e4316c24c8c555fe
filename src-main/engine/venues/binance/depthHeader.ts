/**
 * One forward pass over the head of a Binance depthUpdate frame, in its bytes (frameBytes), up
 * to the bid array:
 *
 *   {"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1723161240005,"s":"BTCUSDT",
 *    "U":49538150380,"u":49538150431,"b":[...],"a":[...]}}      (futures add "T", "ps", "pu")
 *
 * Replaces a dozen substring searches per frame: keys are read as they come, values of the keys
 * the book needs are parsed on the way, anything else is stepped over. It never guesses: a layout
 * it does not know (whitespace, escapes, an array before "b", a missing id) returns false and
 * the caller scans the string instead.
 */

export class DepthHeader {
  /** Event time `E` (ms), 0 when absent. */
  eventMs = 0;
  /** Symbol `s` as a byte range. */
  symStart = -1;
  symEnd = -1;
  /** First and final update ids `U`, `u`; previous final id `pu` (futures), -1 when absent. */
  first = -1;
  last = -1;
  prev = -1;
  /** Index of the bid array's '['. */
  bids = -1;
}

/** Reads a non-negative integer at `i` into `out.value` and returns the index after it, or -1. */
function uintAt(b: Uint8Array, i: number, out: { value: number }): number {
  let v = 0;
  const start = i;
  let c = b[i]!;
  while (c >= 48 && c <= 57) {
    v = v * 10 + (c - 48);
    c = b[++i]!;
  }
  if (i === start || i - start > 16 || !Number.isSafeInteger(v)) return -1;
  out.value = v;
  return i;
}

const num = { value: 0 };

export function scanDepthHeader(b: Uint8Array, h: DepthHeader): boolean {
  h.eventMs = 0;
  h.symStart = -1;
  h.first = -1;
  h.last = -1;
  h.prev = -1;
  h.bids = -1;
  let i = 0;
  for (;;) {
    // Next key.
    let c = b[i]!;
    while (c !== 34 /* " */) {
      if (c === 0 || c === 91 /* [ */ || c === 92 /* \ */ || c === 32) return false;
      c = b[++i]!;
    }
    const k = i + 1;
    let j = k;
    c = b[j]!;
    while (c !== 34) {
      if (c === 0 || c === 92) return false;
      c = b[++j]!;
    }
    if (b[j + 1] !== 58 /* : */) return false;
    const len = j - k;
    const k0 = b[k]!;
    let v = j + 2;
    if (len === 1 && k0 === 98 /* b */) {
      if (b[v] !== 91 || h.first < 0 || h.last < 0 || h.symStart < 0) return false;
      h.bids = v;
      return true;
    }
    const isId = len === 1 && (k0 === 85 /* U */ || k0 === 117 /* u */ || k0 === 69 /* E */);
    if (isId || (len === 2 && k0 === 112 /* p */ && b[k + 1] === 117 /* u */)) {
      v = uintAt(b, v, num);
      if (v < 0) return false;
      if (len === 2) h.prev = num.value;
      else if (k0 === 85) h.first = num.value;
      else if (k0 === 117) h.last = num.value;
      else h.eventMs = num.value;
      i = v;
      continue;
    }
    c = b[v]!;
    if (c === 123 /* { */) {
      i = v + 1; // enter the object ("data")
      continue;
    }
    if (c === 34) {
      // A string value: step over it (no escapes in these frames).
      let e = v + 1;
      c = b[e]!;
      while (c !== 34) {
        if (c === 0 || c === 92) return false;
        c = b[++e]!;
      }
      if (len === 1 && k0 === 115 /* s */) {
        h.symStart = v + 1;
        h.symEnd = e;
      }
      i = e + 1;
      continue;
    }
    // A number or literal: step over to the next ',' or '}'.
    while (c !== 44 && c !== 125) {
      if (c === 0 || c === 91 || c === 123 || c === 34) return false;
      c = b[++v]!;
    }
    i = v + 1;
  }
}
