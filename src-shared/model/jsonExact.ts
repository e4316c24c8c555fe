/**
 * JSON parsing that keeps every number exactly as the venue wrote it.
 *
 * Several venues send prices and sizes as JSON numbers rather than strings (Deribit, Upbit,
 * Bithumb v1, BitMEX, Kraken v2, Bitfinex; venues.md section 0 rule 1). `JSON.parse` turns them
 * into binary doubles: "0.1" stays readable, but "1.0000000000000001" or a 17-digit size silently
 * becomes a neighbouring value, and a trailing-zero "4.0" loses the scale it was written at. The
 * book needs the decimal text (`parseScaled`), so this parser hands back each number's source
 * text instead of a double, using the reviver's source-text access (TC39 "JSON.parse source text
 * access", shipped in V8 11.4: Node >= 21, Chromium >= 114; the engine pins Node 24 and
 * Electron's Chromium is newer, and `JSON_SOURCE_TEXT_AVAILABLE` below proves it at load time).
 *
 * In the result every JSON number is a string holding its exact source text ("0.0795", "4.0",
 * "9.9E-7", "29357198323"). JSON strings are strings too, so callers read a field the same way
 * whether the venue quoted it or not -- which is what market-data mappers want. Malformed input is
 * an expected failure and comes back as `{ ok: false }`, never as an exception.
 */

/** A parsed JSON value whose numbers are their source text. */
export type ExactJson = string | boolean | null | ExactJson[] | ExactObject;
export interface ExactObject {
  [key: string]: ExactJson;
}

export type JsonExactResult = { ok: true; value: ExactJson } | { ok: false; error: string };

/** The reviver signature with the third `context` argument (not yet in every TypeScript lib). */
type SourceReviver = (this: unknown, key: string, value: unknown, context?: { source?: string }) => unknown;
const parseWithSource = JSON.parse as (text: string, reviver: SourceReviver) => unknown;

function keepNumberText(_key: string, value: unknown, context?: { source?: string }): unknown {
  if (typeof value === 'number') return context?.source ?? MISSING_SOURCE;
  return value;
}

/** Marker a reviver returns if the engine gave no source text (checked once below). */
const MISSING_SOURCE = '\u0000no-source';

/** True when this JavaScript engine passes the source text to JSON.parse revivers. */
export const JSON_SOURCE_TEXT_AVAILABLE: boolean = (() => {
  const probe = parseWithSource('[1.10]', keepNumberText) as unknown[];
  return probe[0] === '1.10';
})();

/**
 * Parse `text`, keeping numbers as their exact source text. Returns `{ ok: false, error }` for
 * malformed JSON, and also when the engine lacks source-text access (the value would not be
 * exact, so it is refused rather than approximated).
 */
export function parseJsonExact(text: string): JsonExactResult {
  if (!JSON_SOURCE_TEXT_AVAILABLE) return { ok: false, error: 'this JavaScript engine does not give JSON.parse revivers the source text of numbers' };
  let value: unknown;
  try {
    value = parseWithSource(text, keepNumberText);
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
  return { ok: true, value: value as ExactJson };
}

/** The value as an object (not an array, not null), or undefined. */
export function asObject(v: ExactJson | undefined): ExactObject | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
}

/** The value as an array, or undefined. */
export function asArray(v: ExactJson | undefined): ExactJson[] | undefined {
  return Array.isArray(v) ? v : undefined;
}

/** The value as text (a JSON string, or a JSON number's source text), or undefined. */
export function asText(v: ExactJson | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/**
 * The value as a safe integer (ids, millisecond timestamps), or NaN. Accepts a JSON integer or a
 * string of decimal digits with an optional leading '-', nothing with a point or an exponent.
 */
export function asSafeInteger(v: ExactJson | undefined): number {
  if (typeof v !== 'string' || !/^-?\d{1,16}$/.test(v)) return Number.NaN;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : Number.NaN;
}
