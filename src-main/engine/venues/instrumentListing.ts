/**
 * Instrument listings: how a venue answers configuration `"symbols": "all"` (issue 3: "venues,
 * symbols or 'all symbols of a venue'"). Each venue folder has a `<venue>Instruments.ts` that
 * knows its public instrument endpoint, which instruments trade and what the recording-backed
 * replay server answers on that route; this file is the part they share: one HTTP client with
 * timeouts and the venue's request budget, exact JSON, typed results, decimal helpers.
 *
 * Rules followed:
 * - GET requests go through a `RestBudget` (feed/restBudget.ts) sized to the venue's documented
 *   limit for the endpoint: its weight is counted, a 429/418 blocks every further request until
 *   Retry-After (Binance: "continuing after 429 escalates to a 418 ban"), network errors and 5xx
 *   are retried with backoff. The budget lives only while one listing runs (the hosts list
 *   before the feed processes and their own budgets start).
 * - A whole listing has a deadline: a venue that keeps failing ends in `{ ok: false }` after it,
 *   never in a hang of the host's start.
 * - Bodies are parsed with `parseJsonExact`: tick and lot sizes sent as JSON numbers (Kraken
 *   Futures, Deribit) keep their decimal text, nothing goes through a binary float.
 * - Expected failures (HTTP errors, venue error codes, unreadable bodies, timeouts) are
 *   `{ ok: false, error }`; nothing here throws for a bad answer.
 */
import { request } from 'undici';
import { parseJsonExact } from '../../../src-shared/model/jsonExact.ts';
import type { ExactJson } from '../../../src-shared/model/jsonExact.ts';
import { RestBudget } from '../feed/restBudget.ts';

/** One instrument a venue lists as trading, with its increments when the listing gives them. */
export interface ListedInstrument {
  /** The venue symbol as the engine's books name it (`VenueSpec.instrument(s).venueSymbol`). */
  venueSymbol: string;
  /** Price increment as a plain decimal string ("0.01"). */
  tickSize?: string;
  /** Size increment as a plain decimal string ("0.001"; contracts for venues sized in contracts). */
  lotSize?: string;
}

export type ListingResult = { ok: true; instruments: ListedInstrument[] } | { ok: false; error: string };

/**
 * What `VenueSpec.listSymbols` returns: the symbols, and per symbol the increments the listing
 * gave (`instruments`, one entry per symbol) for the engine's instruments.
 */
export type SymbolListResult = { ok: true; symbols: string[]; instruments: ListedInstrument[] } | { ok: false; error: string };

/** The venue's documented request limit for its instrument endpoint(s). */
export interface ListingLimits {
  weightPerWindow: number;
  windowMs: number;
  /** Header carrying the weight the venue counted ("x-mbx-used-weight-1m"). */
  usedWeightHeader?: string;
}

export interface ListingClientOptions {
  /** Venue id, for messages. */
  venue: string;
  /** REST origin: the venue's, or an override (a proxy, a local replay server). */
  baseUrl: string;
  limits: ListingLimits;
  /** The whole listing, retries included, must end within this (default 60 s). */
  deadlineMs?: number;
  /** Headers and body timeout of one request (default 30 s: Binance spot exchangeInfo is several MB). */
  timeoutMs?: number;
}

export type FetchResult = { ok: true; body: string } | { ok: false; error: string };

const DEFAULT_DEADLINE_MS = 60_000;
const DEFAULT_TIMEOUT_MS = 30_000;
/** Error bodies are quoted in messages up to this many characters. */
const QUOTED_BODY_CHARS = 200;

function quote(body: string): string {
  const t = body.replace(/\s+/g, ' ').trim();
  return t.length > QUOTED_BODY_CHARS ? `${t.slice(0, QUOTED_BODY_CHARS)}...` : t;
}

/** A venue's base URL without a trailing slash, so that paths starting with "/" join cleanly. */
export function originOf(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, '');
}

/**
 * HTTP for one listing run. GETs are queued on a private `RestBudget` (weights, 429/418, retries);
 * POSTs (Hyperliquid's `/info`) are one undici request each, with the same timeouts. `close()`
 * releases the connection pool; `runListing` does it for callers.
 */
export class ListingClient {
  private readonly opts: ListingClientOptions;
  private readonly budget: RestBudget;
  private readonly deadlineAt: number;
  private readonly timeoutMs: number;
  private seq = 0;

  constructor(opts: ListingClientOptions) {
    this.opts = opts;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.deadlineAt = Date.now() + (opts.deadlineMs ?? DEFAULT_DEADLINE_MS);
    this.budget = new RestBudget({
      venue: opts.venue,
      baseUrl: originOf(opts.baseUrl),
      weightPerWindow: opts.limits.weightPerWindow,
      windowMs: opts.limits.windowMs,
      ...(opts.limits.usedWeightHeader !== undefined ? { usedWeightHeader: opts.limits.usedWeightHeader } : {}),
      maxInFlight: 1,
      timeoutMs: this.timeoutMs,
      backoff: { initialMs: 500, maxMs: 10_000 },
    });
  }

  private remainingMs(): number {
    return this.deadlineAt - Date.now();
  }

  /** GET `path` (path and query below the base URL) at `weight`; 2xx bodies only. */
  get(path: string, weight = 1): Promise<FetchResult> {
    const key = `listing#${++this.seq}`;
    const where = `${this.opts.venue} GET ${path}`;
    const left = this.remainingMs();
    if (left <= 0) return Promise.resolve({ ok: false, error: `${where}: listing deadline passed` });
    return new Promise<FetchResult>((resolve) => {
      // The budget retries network errors and 5xx without end; the listing's deadline ends them.
      const timer = setTimeout(() => this.budget.cancel(key, 'deadline'), left);
      this.budget.request({
        key,
        path,
        weight,
        priority: 'cold',
        onDone: (o) => {
          clearTimeout(timer);
          if (o.kind === 'cancelled') {
            resolve({ ok: false, error: `${where}: no answer within ${(this.opts.deadlineMs ?? DEFAULT_DEADLINE_MS) / 1000} s (${o.reason}; the venue kept failing or refusing)` });
          } else if (o.status < 200 || o.status >= 300) {
            resolve({ ok: false, error: `${where}: HTTP ${o.status} ${quote(o.body)}` });
          } else {
            resolve({ ok: true, body: o.body });
          }
        },
      });
    });
  }

  /** POST a JSON body to `path`; 2xx bodies only. One attempt: the venue's answer is final. */
  async post(path: string, json: unknown): Promise<FetchResult> {
    const where = `${this.opts.venue} POST ${path}`;
    const left = this.remainingMs();
    if (left <= 0) return { ok: false, error: `${where}: listing deadline passed` };
    const timeout = Math.min(this.timeoutMs, left);
    try {
      const res = await request(`${originOf(this.opts.baseUrl)}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(json),
        headersTimeout: timeout,
        bodyTimeout: timeout,
        signal: AbortSignal.timeout(timeout),
      });
      const body = await res.body.text();
      if (res.statusCode < 200 || res.statusCode >= 300) {
        const retry = res.headers['retry-after'];
        return { ok: false, error: `${where}: HTTP ${res.statusCode}${retry !== undefined ? ` (Retry-After ${String(retry)})` : ''} ${quote(body)}` };
      }
      return { ok: true, body };
    } catch (e) {
      return { ok: false, error: `${where}: ${(e as Error).message || (e as Error).name}` };
    }
  }

  async close(): Promise<void> {
    await this.budget.stop();
  }
}

/** Run one listing with a fresh client and always release it. */
export async function runListing(opts: ListingClientOptions, list: (client: ListingClient) => Promise<ListingResult>): Promise<ListingResult> {
  const client = new ListingClient(opts);
  try {
    return await list(client);
  } finally {
    await client.close();
  }
}

/** The symbols of a listing, in the venue's order, each once. */
export function symbolsOf(r: ListingResult): SymbolListResult {
  if (!r.ok) return r;
  const first = new Map<string, ListedInstrument>();
  for (const i of r.instruments) if (!first.has(i.venueSymbol)) first.set(i.venueSymbol, i);
  return { ok: true, symbols: [...first.keys()], instruments: [...first.values()] };
}

/** Join listings of several endpoints (spot + futures...): the first failure wins. */
export function joinListings(parts: ListingResult[]): ListingResult {
  const instruments: ListedInstrument[] = [];
  for (const p of parts) {
    if (!p.ok) return p;
    instruments.push(...p.instruments);
  }
  return { ok: true, instruments };
}

/** Parse a body exactly; a body that is not JSON is an expected failure. */
export function parseBody(body: string, where: string): { ok: true; value: ExactJson } | { ok: false; error: string } {
  const r = parseJsonExact(body);
  return r.ok ? r : { ok: false, error: `${where}: the answer is not JSON (${r.error}): ${quote(body)}` };
}

/** A field as text (string or exact number text), or undefined. */
export function textField(o: Record<string, ExactJson> | undefined, key: string): string | undefined {
  const v = o?.[key];
  return typeof v === 'string' ? v : undefined;
}

const DECIMAL_RE = /^(\d+)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/**
 * A positive decimal as plain text without exponent ("1e-7" -> "0.0000001", "0.10" stays
 * "0.10"), or undefined when the text is not a positive decimal. Done on the digits, never
 * through a float.
 */
export function plainDecimal(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const m = DECIMAL_RE.exec(text.trim());
  if (m === null) return undefined;
  const intPart = m[1]!;
  const frac = m[2] ?? '';
  const exp = m[3] === undefined ? 0 : Number(m[3]);
  if (!Number.isSafeInteger(exp) || Math.abs(exp) > 40) return undefined;
  if (!/[1-9]/.test(intPart + frac)) return undefined;
  if (exp === 0) return m[2] === undefined ? String(BigInt(intPart)) : `${String(BigInt(intPart))}.${frac}`;
  // Move the point `exp` places over the digits intPart|frac.
  const digits = intPart + frac;
  const point = intPart.length + exp;
  let out: string;
  if (point <= 0) out = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
  else out = `${digits.slice(0, point)}.${digits.slice(point)}`;
  // Normalize leading zeros of the integer part only; fractional zeros are the venue's.
  const dot = out.indexOf('.');
  const head = dot < 0 ? out : out.slice(0, dot);
  return `${String(BigInt(head))}${dot < 0 ? '' : out.slice(dot)}`;
}

/** The increment of `decimals` fractional digits: 0 -> "1", 3 -> "0.001"; undefined when not 0..30. */
export function stepOfDecimals(decimals: string | number | undefined): string | undefined {
  const n = typeof decimals === 'number' ? decimals : decimals !== undefined && /^\d{1,2}$/.test(decimals) ? Number(decimals) : Number.NaN;
  if (!Number.isInteger(n) || n < 0 || n > 30) return undefined;
  return n === 0 ? '1' : `0.${'0'.repeat(n - 1)}1`;
}

/** `multiple` units of 10^-places as plain text: (5, 1) -> "0.5", (1, 0) -> "1"; undefined if malformed. */
export function scaledStep(multiple: string | undefined, places: string | undefined): string | undefined {
  if (multiple === undefined || places === undefined || !/^\d{1,2}$/.test(places)) return undefined;
  const base = plainDecimal(multiple);
  if (base === undefined) return undefined;
  return plainDecimal(`${base}e-${places}`);
}
