/**
 * Fault injection for the local venue servers. Every fault is a transformation of the real
 * recorded stream (README of ../shared/data: "derive fault cases by transforming these real
 * streams, never by inventing messages"): a chosen frame is dropped, repeated, delivered late,
 * truncated or edited; a socket is closed or stalled; a REST request is refused with 429/418.
 *
 * Rules are added and removed at any time (tests flip them mid-run). A rule fires `times` times
 * (default once) and every firing is logged, so a test can assert that the fault happened.
 */

/** A recorded frame as the server is about to send it to one client. */
export interface ReplayFrame {
  symbol: string;
  channel: string;
  /** Index among the recording's frames of this (symbol, channel), 0-based. */
  index: number;
  raw: string;
  /** Line in its recording file. */
  line: number;
}

export interface FrameMatch {
  symbol?: string;
  channel?: string;
  index?: number;
  /** Only this client (server-assigned id, 1-based in connection order). */
  client?: number;
  /** Any other condition. */
  where?: (f: ReplayFrame) => boolean;
}

export type FrameFault =
  | { kind: 'drop' }
  | { kind: 'duplicate'; copies?: number }
  /** Hold the frame and send it after the next `after` frames of the same symbol and channel. */
  | { kind: 'reorder'; after?: number }
  /** Cut the frame in half (no longer JSON). */
  | { kind: 'corrupt'; how: 'truncate' }
  /** Replace the first occurrence of `find` (the frame stays JSON, its content is wrong). */
  | { kind: 'corrupt'; how: 'replace'; find: string; replace: string }
  /** Close the client's socket instead of sending (abrupt: TCP reset without a close frame). */
  | { kind: 'close'; code?: number; abrupt?: boolean }
  /** Stop sending anything to the client and stop answering its pings, without closing. */
  | { kind: 'stall' };

export interface FrameRule {
  match: FrameMatch;
  fault: FrameFault;
  /** How many times the rule fires (default 1; Infinity for always). */
  times?: number;
}

export interface RestRule {
  /** Only requests for this symbol (default: any). */
  symbol?: string;
  status: number;
  /** Retry-After header in seconds (omitted when undefined). */
  retryAfterSec?: number;
  times?: number;
}

export interface FaultRecord {
  rule: number;
  kind: string;
  client: number | null;
  symbol: string;
  channel: string | null;
  index: number | null;
  line: number | null;
  /** Wall clock when it fired (epoch ms). */
  atMs: number;
}

interface Armed<T> {
  id: number;
  rule: T;
  left: number;
}

export class FaultInjector {
  private nextId = 1;
  private frameRules: Armed<FrameRule>[] = [];
  private restRules: Armed<RestRule>[] = [];
  readonly log: FaultRecord[] = [];

  constructor(frameRules: FrameRule[] = [], restRules: RestRule[] = []) {
    for (const r of frameRules) this.addFrameRule(r);
    for (const r of restRules) this.addRestRule(r);
  }

  addFrameRule(rule: FrameRule): number {
    const id = this.nextId++;
    this.frameRules.push({ id, rule, left: rule.times ?? 1 });
    return id;
  }

  addRestRule(rule: RestRule): number {
    const id = this.nextId++;
    this.restRules.push({ id, rule, left: rule.times ?? 1 });
    return id;
  }

  remove(id: number): void {
    this.frameRules = this.frameRules.filter((r) => r.id !== id);
    this.restRules = this.restRules.filter((r) => r.id !== id);
  }

  clear(): void {
    this.frameRules = [];
    this.restRules = [];
  }

  /** Rules still armed. */
  get armed(): number {
    return this.frameRules.length + this.restRules.length;
  }

  /** Faults that apply to sending `f` to `client` (each firing is consumed and logged). */
  matchFrame(f: ReplayFrame, client: number): FrameFault[] {
    if (this.frameRules.length === 0) return [];
    const out: FrameFault[] = [];
    for (const a of this.frameRules) {
      const m = a.rule.match;
      if (m.symbol !== undefined && m.symbol !== f.symbol) continue;
      if (m.channel !== undefined && m.channel !== f.channel) continue;
      if (m.index !== undefined && m.index !== f.index) continue;
      if (m.client !== undefined && m.client !== client) continue;
      if (m.where !== undefined && !m.where(f)) continue;
      a.left--;
      out.push(a.rule.fault);
      this.log.push({ rule: a.id, kind: a.rule.fault.kind, client, symbol: f.symbol, channel: f.channel, index: f.index, line: f.line, atMs: Date.now() });
    }
    if (out.length > 0) this.frameRules = this.frameRules.filter((a) => a.left > 0);
    return out;
  }

  /** The refusal for a REST snapshot request of `symbol`, if a rule applies. */
  matchRest(symbol: string): RestRule | undefined {
    for (const a of this.restRules) {
      if (a.rule.symbol !== undefined && a.rule.symbol !== symbol) continue;
      a.left--;
      if (a.left <= 0) this.restRules = this.restRules.filter((r) => r !== a);
      this.log.push({ rule: a.id, kind: `rest-${a.rule.status}`, client: null, symbol, channel: null, index: null, line: null, atMs: Date.now() });
      return a.rule;
    }
    return undefined;
  }
}

/** Apply a corrupting fault to a frame. */
export function corruptFrame(raw: string, f: Extract<FrameFault, { kind: 'corrupt' }>): string {
  if (f.how === 'truncate') return raw.slice(0, Math.floor(raw.length / 2));
  return raw.replace(f.find, f.replace);
}
