/**
 * A venue text frame read as JSON, the first step of every session's `onMessage`. A frame that is
 * not what the venue documents is an expected failure (venues.md section 0: never trust a frame),
 * reported as a notice with its size or its start, never thrown (docs/ADDING_A_VENUE.md section 3).
 *
 * `json*` use JSON.parse, for venues whose prices and sizes are strings; `exact*` keep every
 * number's source text (jsonExact.ts), for venues that send them as JSON numbers.
 */
import { asObject, parseJsonExact } from '../../../src-shared/model/jsonExact.ts';
import type { ExactJson, ExactObject } from '../../../src-shared/model/jsonExact.ts';
import type { SessionContext } from './venue.ts';

/** The parsed frame, or undefined after a notice when it is not JSON. */
export function jsonFrame(ctx: SessionContext, raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch (e) {
    ctx.notice('warn', `unparseable frame (${raw.length} bytes): ${(e as Error).message}`);
    return undefined;
  }
}

/**
 * The parsed frame when it is a JSON object or array (the shapes the session then reads as `T`),
 * or undefined after a notice.
 */
export function jsonObjectFrame<T extends object>(ctx: SessionContext, raw: string): T | undefined {
  const msg = jsonFrame(ctx, raw);
  if (msg === undefined) return undefined;
  if (msg === null || typeof msg !== 'object') {
    ctx.notice('warn', `unexpected frame ${raw.slice(0, 80)}`);
    return undefined;
  }
  return msg as T;
}

/** The frame with its numbers as source text, or undefined after a notice when it is not JSON. */
export function exactFrame(ctx: SessionContext, raw: string): ExactJson | undefined {
  const parsed = parseJsonExact(raw);
  if (parsed.ok) return parsed.value;
  ctx.notice('warn', `unparseable frame (${raw.length} bytes): ${parsed.error}`);
  return undefined;
}

/** `exactFrame` that must be a JSON object (not an array), or undefined after a notice. */
export function exactObjectFrame(ctx: SessionContext, raw: string): ExactObject | undefined {
  const value = exactFrame(ctx, raw);
  if (value === undefined) return undefined;
  const msg = asObject(value);
  if (msg === undefined) ctx.notice('warn', `unexpected frame ${raw.slice(0, 80)}`);
  return msg;
}
