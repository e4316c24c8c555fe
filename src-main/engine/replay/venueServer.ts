/**
 * A local venue: WebSocket + HTTP on 127.0.0.1 that speaks one venue's real protocol (through its
 * `ReplayProtocol`) and replays recordings from ../shared/data. Used by the integration tests and
 * by `depthdesk serve --replay` (replayPlan.ts).
 *
 * - One timeline per server: the recorded frames of every source, in recording order (several
 *   files are merged by time since their own start). Each recorded frame goes to every client
 *   subscribed to its topic, byte for byte, at real time (`speed` 1), N times faster (`speed` N),
 *   or as fast as the clients take them (`speed` 0). Venues with one counter per connection
 *   (Coinbase Advanced Trade `sequence_num`) get it renumbered per client (`sequenceFrame`).
 * - Backpressure: bytes handed to a client's socket but not yet written are counted; past
 *   `highWaterBytes` the timeline pauses until every client is below half of it. Nothing is ever
 *   buffered without bound for a slow client.
 * - The timeline advances only while some client receives (`pauseWhenIdle`, default): a recording
 *   is finite, and a test that closes or stalls the only socket must find the rest of the stream
 *   there when the engine comes back, whatever the machine's speed.
 * - Reference books: every recorded record (frames, REST snapshots) also runs, as the cursor
 *   passes it, through the engine's own venue session with an offline context (`VerifyRun`, the
 *   code behind `depthdesk verify`, whose exactness on these recordings the verify tests prove).
 *   A REST snapshot asked for at any moment is that reference book at that moment; before the
 *   recorded snapshot made it live, the request waits (like a slow venue). In-band venues get a
 *   fresh snapshot frame from it when a client subscribes mid-stream.
 * - Instrument lists (`ReplayProtocol.instruments`): the venue's listing endpoint answers with the
 *   recording's book symbols, so a configuration with `"symbols": "all"` follows every recorded
 *   symbol of a replayed venue.
 * - Faults (`faults`, changeable at runtime): drop / duplicate / reorder / corrupt chosen frames,
 *   close or stall a client, answer REST with 429/418 + Retry-After (faultInjector.ts).
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket } from 'ws';
import type { RawData } from 'ws';
import type { VenueId } from '../../../src-shared/model/market.ts';
import type { SymbolBook } from '../sync/symbolBook.ts';
import { VerifyRun } from '../verify/verify.ts';
import type { RecordLine } from './recording.ts';
import { corruptFrame, FaultInjector } from './faultInjector.ts';
import type { FrameFault, FrameRule, ReplayFrame, RestRule } from './faultInjector.ts';
import { topicKey } from './replayProtocol.ts';
import type { ReplayProtocol, ReplayTopic, RestAnswer } from './replayProtocol.ts';

/** The records of one recording file that belong to this server's venue. */
export interface ReplaySource {
  /** File name, for messages and for the offline reference run. */
  file: string;
  records: RecordLine[];
}

export interface VenueServerOptions {
  protocol: ReplayProtocol;
  sources: ReplaySource[];
  /** 1 = real time, N = N times faster, 0 = as fast as the clients take it (default 1). */
  speed?: number;
  host?: string;
  /** 0 = ephemeral (default). */
  port?: number;
  /** Unwritten bytes per client before the timeline pauses (default 1 MiB). */
  highWaterBytes?: number;
  /** Advance only while some client receives (default true). */
  pauseWhenIdle?: boolean;
  /** Server pings every N ms, like Binance's 20 s (default 0 = none). */
  pingIntervalMs?: number;
  /** After the last frame: keep clients connected and silent, or close them (default idle). */
  atEnd?: 'idle' | 'close';
  faults?: FrameRule[];
  restFaults?: RestRule[];
}

export interface ClientView {
  id: number;
  topics: string[];
  framesSent: number;
  bytesSent: number;
  framesReceived: number;
  /** Pongs the client sent in answer to server pings. */
  pongs: number;
  /** Bytes handed to the socket and not yet written (backpressure). */
  outstandingBytes: number;
  stalled: boolean;
  open: boolean;
}

export interface RestLogEntry {
  atMs: number;
  symbol: string;
  limit: number;
  status: number;
  /** The reference id the snapshot carried (venue sequence), -1 when refused. */
  seq: number;
  /** Time spent waiting for the reference to become live. */
  waitedMs: number;
}

interface Entry {
  rec: RecordLine;
  source: number;
  /** ms since the start of its source. */
  atMs: number;
  key: string | undefined;
  frame: ReplayFrame | undefined;
}

interface Client {
  id: number;
  ws: WebSocket;
  topics: Map<string, ReplayTopic>;
  outstanding: number;
  framesSent: number;
  bytesSent: number;
  framesReceived: number;
  pongs: number;
  stalled: boolean;
  open: boolean;
  held: { key: string; frames: string[]; after: number }[];
  recentIn: number[];
  /** Next connection-wide sequence number (protocols with `sequenceFrame`). */
  nextSeq: number;
}

interface PendingRest {
  symbol: string;
  limit: number;
  res: ServerResponse;
  sinceMs: number;
}

export type PauseReason = 'idle' | 'backpressure';

/**
 * Frames sent per turn of the event loop at speed 0. Small enough that HTTP requests and the
 * engine's own socket reads (same process in tests) interleave with the stream.
 */
const BATCH = 128;

export class VenueServer {
  readonly venue: VenueId;
  readonly faults: FaultInjector;
  /** Resolves when every recorded frame was sent (or the server closed). */
  readonly ended: Promise<void>;
  readonly restLog: RestLogEntry[] = [];
  private readonly protocol: ReplayProtocol;
  private readonly opts: VenueServerOptions;
  private readonly speed: number;
  private readonly highWater: number;
  private readonly timeline: Entry[];
  private readonly runs: VerifyRun[];
  private readonly refs = new Map<string, SymbolBook>();
  /** Last recorded frame of each topic the cursor passed (for `snapshotFrames`). */
  private readonly lastFrame = new Map<string, string>();
  private readonly symbolSet = new Set<string>();
  private readonly bookSymbols = new Set<string>();
  private readonly clientsById = new Map<number, Client>();
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private pending: PendingRest[] = [];
  private cursor = 0;
  private nextClient = 1;
  private paused = new Set<PauseReason>();
  private clockStartMs = Number.NaN;
  private pausedTotalMs = 0;
  private pausedSinceMs = Number.NaN;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private immediate: ReturnType<typeof setImmediate> | undefined;
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private resolveEnded!: () => void;
  private done = false;
  private closed = false;
  private weightWindowStart = 0;
  private weightUsed = 0;
  private portNumber = 0;
  private hostName: string;

  private constructor(opts: VenueServerOptions) {
    this.opts = opts;
    this.protocol = opts.protocol;
    this.venue = opts.protocol.venue;
    this.speed = Math.max(0, opts.speed ?? 1);
    this.highWater = opts.highWaterBytes ?? 1024 * 1024;
    this.hostName = opts.host ?? '127.0.0.1';
    this.faults = new FaultInjector(opts.faults, opts.restFaults);
    this.ended = new Promise<void>((resolve) => {
      this.resolveEnded = resolve;
    });
    this.runs = opts.sources.map(
      (s) =>
        new VerifyRun(s.file, {
          venue: this.venue,
          onApplied: (sb) => {
            // The first connection of the recording that carries a symbol holds its reference.
            if (!this.refs.has(sb.symbol)) this.refs.set(sb.symbol, sb);
          },
          // A book whose recorded diffs are all inside its snapshot is live from the snapshot alone.
          onLive: (sb) => {
            if (!this.refs.has(sb.symbol)) this.refs.set(sb.symbol, sb);
          },
        }),
    );
    this.timeline = this.buildTimeline(opts.sources);
    this.http = createServer((req, res) => this.onHttp(req, res));
    this.wss = new WebSocketServer({ noServer: true, autoPong: false, perMessageDeflate: false });
    this.http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
    this.paused.add('idle');
    if (!(opts.pauseWhenIdle ?? true)) this.paused.delete('idle');
  }

  /** Start listening; resolves with the server once the port is known. */
  static async start(opts: VenueServerOptions): Promise<VenueServer> {
    const s = new VenueServer(opts);
    await new Promise<void>((resolve, reject) => {
      s.http.once('error', reject);
      s.http.listen(opts.port ?? 0, s.hostName, () => {
        s.http.off('error', reject);
        resolve();
      });
    });
    const addr = s.http.address();
    s.portNumber = typeof addr === 'object' && addr !== null ? addr.port : 0;
    if (opts.pingIntervalMs !== undefined && opts.pingIntervalMs > 0) {
      s.pingTimer = setInterval(() => {
        for (const c of s.clientsById.values()) if (c.open && !c.stalled) c.ws.ping();
      }, opts.pingIntervalMs);
    }
    if (s.paused.size === 0) s.resume();
    return s;
  }

  get port(): number {
    return this.portNumber;
  }

  /** Base WebSocket URL; the venue's connection plan appends its own path. */
  get wsUrl(): string {
    return `ws://${this.hostName}:${this.portNumber}`;
  }

  get restUrl(): string {
    return `http://${this.hostName}:${this.portNumber}`;
  }

  /** True once every recorded frame was sent. */
  get finished(): boolean {
    return this.done;
  }

  /** Recorded frames sent so far (position in the timeline) and in total. */
  get position(): { sent: number; total: number } {
    return { sent: this.cursor, total: this.timeline.length };
  }

  /** Every symbol with recorded frames. */
  symbols(): string[] {
    return [...this.symbolSet].sort();
  }

  /** Symbols with recorded book frames (what a replay subscribes the engine to). */
  bookSymbolList(): string[] {
    return [...this.bookSymbols].sort();
  }

  /** The reference book of a symbol (rebuilt from the recording up to the cursor), once it synced. */
  reference(symbol: string): SymbolBook | undefined {
    return this.refs.get(symbol);
  }

  clients(): ClientView[] {
    return [...this.clientsById.values()].map((c) => ({
      id: c.id,
      topics: [...c.topics.keys()],
      framesSent: c.framesSent,
      bytesSent: c.bytesSent,
      framesReceived: c.framesReceived,
      pongs: c.pongs,
      outstandingBytes: c.outstanding,
      stalled: c.stalled,
      open: c.open,
    }));
  }

  /** Why the timeline is not moving right now (empty while it plays). */
  pausedFor(): PauseReason[] {
    return [...this.paused];
  }

  /** Close every client, pending request, timer and the listening socket. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    if (this.pingTimer !== undefined) clearInterval(this.pingTimer);
    for (const p of this.pending) this.answer(p.res, { status: 503, body: '{"msg":"replay server closing"}' });
    this.pending = [];
    for (const c of this.clientsById.values()) {
      c.open = false;
      c.ws.terminate();
    }
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
    this.resolveEnded();
  }

  // --- timeline -----------------------------------------------------------------------------

  private buildTimeline(sources: ReplaySource[]): Entry[] {
    const perSource: Entry[][] = sources.map((s, si) => {
      const t0 = s.records[0]?.recvTsNs ?? 0n;
      const counts = new Map<string, number>();
      return s.records.map((rec) => {
        const atMs = Number(rec.recvTsNs - t0) / 1e6;
        let key: string | undefined;
        let frame: ReplayFrame | undefined;
        if (rec.dir === 'recv') {
          const topic = this.protocol.topicOf(rec.raw);
          if (topic !== undefined) {
            key = topicKey(topic);
            const index = counts.get(key) ?? 0;
            counts.set(key, index + 1);
            frame = { symbol: topic.symbol, channel: topic.channel, index, raw: rec.raw, line: rec.line };
            this.symbolSet.add(topic.symbol);
            if (this.protocol.isBookChannel(topic.channel)) this.bookSymbols.add(topic.symbol);
          }
        }
        return { rec, source: si, atMs, key, frame };
      });
    });
    if (perSource.length === 1) return perSource[0]!;
    // Several files: merge by time since each file's start, keeping each file's own order.
    const out: Entry[] = [];
    const pos = perSource.map(() => 0);
    for (;;) {
      let best = -1;
      for (let i = 0; i < perSource.length; i++) {
        const e = perSource[i]![pos[i]!];
        if (e !== undefined && (best < 0 || e.atMs < perSource[best]![pos[best]!]!.atMs)) best = i;
      }
      if (best < 0) return out;
      out.push(perSource[best]![pos[best]!++]!);
    }
  }

  private pause(reason: PauseReason): void {
    if (this.paused.size === 0) this.pausedSinceMs = performance.now();
    this.paused.add(reason);
  }

  private resume(reason?: PauseReason): void {
    if (reason !== undefined) this.paused.delete(reason);
    if (this.paused.size > 0 || this.closed) return;
    const now = performance.now();
    if (Number.isNaN(this.clockStartMs)) this.clockStartMs = now;
    else if (!Number.isNaN(this.pausedSinceMs)) this.pausedTotalMs += now - this.pausedSinceMs;
    this.pausedSinceMs = Number.NaN;
    this.schedule(0);
  }

  /** Recording time (ms since start) the replay clock has reached. */
  private replayNowMs(): number {
    return (performance.now() - this.clockStartMs - this.pausedTotalMs) * this.speed;
  }

  private schedule(delayMs: number): void {
    if (this.closed || this.timer !== undefined || this.immediate !== undefined) return;
    if (delayMs <= 0) {
      this.immediate = setImmediate(() => {
        this.immediate = undefined;
        this.pump();
      });
    } else {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.pump();
      }, delayMs);
    }
  }

  private pump(): void {
    let n = 0;
    while (!this.closed && this.paused.size === 0 && this.cursor < this.timeline.length) {
      const e = this.timeline[this.cursor]!;
      if (this.speed > 0) {
        const ahead = e.atMs - this.replayNowMs();
        if (ahead > 0) {
          this.schedule(ahead / this.speed);
          return;
        }
      }
      this.cursor++;
      this.feed(e);
      if (++n >= BATCH) {
        this.schedule(0);
        return;
      }
    }
    if (!this.done && this.cursor >= this.timeline.length) this.finish();
  }

  private feed(e: Entry): void {
    // The reference first: a snapshot asked for after this frame must include it.
    const run = this.runs[e.source]!;
    run.handle(e.rec);
    if (e.key !== undefined && e.frame !== undefined) {
      this.lastFrame.set(e.key, e.frame.raw);
      for (const c of this.clientsById.values()) {
        if (c.open && !c.stalled && c.topics.has(e.key)) this.deliver(c, e.key, e.frame);
      }
    }
    if (this.pending.length > 0) this.answerPending();
  }

  private finish(): void {
    this.done = true;
    this.resolveEnded();
    // Nothing more will be replayed: a snapshot the recording cannot give (its reference never
    // became exact, e.g. a recording with a real gap) is refused now instead of held forever.
    this.answerPending();
    if (this.opts.atEnd === 'close') {
      for (const c of this.clientsById.values()) if (c.open) c.ws.close(1000, 'replay finished');
    }
  }

  // --- clients ------------------------------------------------------------------------------

  private deliver(c: Client, key: string, f: ReplayFrame): void {
    let frames = [this.numbered(c, f.raw)];
    const faults = this.faults.matchFrame(f, c.id);
    for (const fault of faults) {
      frames = this.applyFault(c, key, fault, frames);
      if (!c.open || c.stalled) return;
    }
    for (const fr of frames) this.send(c, fr);
    // Frames held back by a reorder fault go out after `after` later frames of the same stream.
    if (c.held.length > 0) {
      for (const h of c.held) if (h.key === key) h.after--;
      const due = c.held.filter((h) => h.after < 0);
      if (due.length > 0) {
        c.held = c.held.filter((h) => h.after >= 0);
        for (const h of due) for (const fr of h.frames) this.send(c, fr);
      }
    }
  }

  private applyFault(c: Client, key: string, fault: FrameFault, frames: string[]): string[] {
    switch (fault.kind) {
      case 'drop':
        return [];
      case 'duplicate': {
        const out: string[] = [];
        for (const fr of frames) for (let i = 0; i <= (fault.copies ?? 1); i++) out.push(fr);
        return out;
      }
      case 'corrupt':
        return frames.map((fr) => corruptFrame(fr, fault));
      case 'reorder':
        // `after` counts the frames of this stream still to pass before release; the current one
        // is counted on its way out, hence the starting value.
        c.held.push({ key, frames, after: fault.after ?? 1 });
        return [];
      case 'close':
        c.open = false;
        if (fault.abrupt) c.ws.terminate();
        else c.ws.close(fault.code ?? 1001, 'fault injection: close');
        this.checkIdle();
        return [];
      case 'stall':
        c.stalled = true;
        this.checkIdle();
        return [];
    }
  }

  /** Write the client's next connection-wide sequence number into a frame (`sequenceFrame`). */
  private numbered(c: Client, raw: string): string {
    const write = this.protocol.sequenceFrame;
    if (write === undefined) return raw;
    const out = write.call(this.protocol, raw, c.nextSeq);
    if (out === undefined) return raw;
    c.nextSeq++;
    return out;
  }

  private send(c: Client, frame: string): void {
    if (!c.open) return;
    const len = frame.length;
    c.outstanding += len;
    c.framesSent++;
    c.bytesSent += len;
    c.ws.send(frame, () => {
      c.outstanding -= len;
      if (this.paused.has('backpressure') && this.drained()) this.resume('backpressure');
    });
    if (c.outstanding > this.highWater) this.pause('backpressure');
  }

  private drained(): boolean {
    for (const c of this.clientsById.values()) if (c.open && !c.stalled && c.outstanding > this.highWater / 2) return false;
    return true;
  }

  /** Pause while nobody receives (pauseWhenIdle), resume when someone does. */
  private checkIdle(): void {
    // A slow client that went away or stalled no longer holds the timeline.
    if (this.paused.has('backpressure') && this.drained()) this.resume('backpressure');
    if (!(this.opts.pauseWhenIdle ?? true)) return;
    let receiving = false;
    for (const c of this.clientsById.values()) if (c.open && !c.stalled && c.topics.size > 0) receiving = true;
    if (receiving) this.resume('idle');
    else if (!this.paused.has('idle')) this.pause('idle');
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', this.restUrl);
    const r = this.protocol.connect(url);
    if ('refuse' in r) {
      socket.end(`HTTP/1.1 ${r.refuse.status} Refused\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${r.refuse.message}`);
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onClient(ws, r.topics));
  }

  private onClient(ws: WebSocket, topics: ReplayTopic[]): void {
    if (this.closed) {
      ws.terminate();
      return;
    }
    const c: Client = {
      id: this.nextClient++,
      ws,
      topics: new Map(topics.map((t) => [topicKey(t), t])),
      outstanding: 0,
      framesSent: 0,
      bytesSent: 0,
      framesReceived: 0,
      pongs: 0,
      stalled: false,
      open: true,
      held: [],
      recentIn: [],
      nextSeq: 0,
    };
    this.clientsById.set(c.id, c);
    ws.on('message', (data: RawData) => {
      if (!c.open || c.stalled) return;
      c.framesReceived++;
      if (!this.countIncoming(c)) return;
      const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as Buffer).toString('utf8');
      this.onClientFrame(c, text);
    });
    ws.on('ping', (data: Buffer) => {
      // A stalled venue answers nothing: that is what the engine's stale probe must detect.
      if (!c.open || c.stalled) return;
      if (!this.countIncoming(c)) return;
      ws.pong(data);
    });
    ws.on('pong', () => {
      c.pongs++;
      this.countIncoming(c);
    });
    ws.on('error', () => {
      // The close event follows; nothing to report from a local test server.
    });
    ws.on('close', () => {
      c.open = false;
      this.clientsById.delete(c.id);
      this.checkIdle();
    });
    this.sendFreshSnapshots(c, topics);
    this.checkIdle();
  }

  /** Venues disconnect clients that send too fast (Binance: 5 or 10 frames per second, pings and pongs included). */
  private countIncoming(c: Client): boolean {
    const limit = this.protocol.clientFramesPerSecond;
    if (limit === undefined) return true;
    const now = performance.now();
    c.recentIn.push(now);
    while (c.recentIn.length > 0 && c.recentIn[0]! <= now - 1000) c.recentIn.shift();
    if (c.recentIn.length <= limit) return true;
    c.open = false;
    c.ws.close(1008, `too many messages: more than ${limit} per second`);
    this.checkIdle();
    return false;
  }

  private onClientFrame(c: Client, text: string): void {
    const r = this.protocol.clientFrame(text, [...c.topics.values()], c.id);
    for (const t of r.unsubscribe ?? []) c.topics.delete(topicKey(t));
    const added: ReplayTopic[] = [];
    for (const t of r.subscribe ?? []) {
      c.topics.set(topicKey(t), t);
      added.push(t);
    }
    for (const reply of r.replies ?? []) this.send(c, this.numbered(c, reply));
    if (r.close !== undefined) {
      c.open = false;
      c.ws.close(r.close.code, r.close.reason);
    } else {
      if (added.length > 0) this.sendFreshSnapshots(c, added);
      for (const fr of r.after ?? []) this.send(c, this.numbered(c, fr));
    }
    this.checkIdle();
  }

  /** In-band venues: a client that subscribes mid-stream gets the book as it is now. */
  private sendFreshSnapshots(c: Client, topics: ReplayTopic[]): void {
    const make = this.protocol.snapshotFrames;
    if (make === undefined) return;
    for (const t of topics) {
      if (!this.protocol.isBookChannel(t.channel)) continue;
      const ref = this.refs.get(t.symbol);
      if (ref === undefined || ref.state !== 'live') continue;
      for (const fr of make.call(this.protocol, t, ref, this.lastFrame.get(topicKey(t)))) this.send(c, this.numbered(c, fr));
    }
  }

  // --- REST ---------------------------------------------------------------------------------

  private onHttp(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.restUrl);
    const list = this.protocol.instruments;
    if (list === undefined) {
      this.onRest(url, res);
      return;
    }
    // The instrument list first (from the recording's book symbols); POST listings such as
    // Hyperliquid's /info carry their question in the body.
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answer = list.call(this.protocol, { url, method: req.method ?? 'GET', body: Buffer.concat(chunks).toString('utf8') }, this.bookSymbolList());
      if (answer !== undefined) this.answer(res, answer);
      else this.onRest(url, res);
    });
  }

  private onRest(url: URL, res: ServerResponse): void {
    const rest = this.protocol.rest;
    const route = rest?.route(url);
    if (rest === undefined || route === undefined) {
      this.answer(res, { status: 404, body: `no route ${url.pathname} on the ${this.venue} replay server` });
      return;
    }
    if ('status' in route) {
      this.answer(res, route);
      return;
    }
    this.countWeight(route.weight);
    const refusal = this.faults.matchRest(route.symbol);
    if (refusal !== undefined) {
      const headers: Record<string, string> = {};
      if (refusal.retryAfterSec !== undefined) headers['retry-after'] = String(refusal.retryAfterSec);
      this.restLog.push({ atMs: Date.now(), symbol: route.symbol, limit: route.limit, status: refusal.status, seq: -1, waitedMs: 0 });
      this.answer(res, { status: refusal.status, body: rest.refusalBody(refusal.status, refusal.retryAfterSec ?? 0), headers });
      return;
    }
    if (!this.symbolSet.has(route.symbol)) {
      this.restLog.push({ atMs: Date.now(), symbol: route.symbol, limit: route.limit, status: 400, seq: -1, waitedMs: 0 });
      this.answer(res, rest.unknownSymbol(route.symbol));
      return;
    }
    const p: PendingRest = { symbol: route.symbol, limit: route.limit, res, sinceMs: Date.now() };
    if (!this.trySnapshot(p)) {
      this.pending.push(p);
      res.on('close', () => {
        this.pending = this.pending.filter((q) => q !== p);
      });
    }
  }

  private trySnapshot(p: PendingRest): boolean {
    const ref = this.refs.get(p.symbol);
    if (ref === undefined || ref.state !== 'live') {
      if (this.done) this.refuse(p);
      return this.done;
    }
    const now = Date.now();
    this.restLog.push({ atMs: now, symbol: p.symbol, limit: p.limit, status: 200, seq: ref.seq, waitedMs: now - p.sinceMs });
    this.answer(p.res, { status: 200, body: this.protocol.rest!.snapshotBody(ref, p.limit), headers: { 'content-type': 'application/json;charset=UTF-8' } });
    return true;
  }

  private refuse(p: PendingRest): void {
    this.restLog.push({ atMs: Date.now(), symbol: p.symbol, limit: p.limit, status: 503, seq: -1, waitedMs: Date.now() - p.sinceMs });
    this.answer(p.res, { status: 503, body: JSON.stringify({ msg: `replay finished: the recording holds no exact book of ${p.symbol} to snapshot` }) });
  }

  private answerPending(): void {
    this.pending = this.pending.filter((p) => !this.trySnapshot(p));
  }

  private countWeight(weight: number): void {
    const windowMs = this.protocol.rest?.weightWindowMs ?? 60_000;
    const start = Math.floor(Date.now() / windowMs) * windowMs;
    if (start !== this.weightWindowStart) {
      this.weightWindowStart = start;
      this.weightUsed = 0;
    }
    this.weightUsed += weight;
  }

  private answer(res: ServerResponse, a: RestAnswer): void {
    if (res.writableEnded || res.destroyed) return;
    const headers: Record<string, string> = { 'content-type': 'application/json;charset=UTF-8', ...a.headers };
    const h = this.protocol.rest?.usedWeightHeader;
    if (h !== undefined) headers[h] = String(this.weightUsed);
    res.writeHead(a.status, headers);
    res.end(a.body);
  }
}
