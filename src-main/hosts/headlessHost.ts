/**
 * The headless host: the console without Electron. One HTTP server that
 * - serves the built renderer (out/renderer) with a strict Content-Security-Policy;
 * - carries the engine contract over a WebSocket bridge at `/bridge` (one JSON `Envelope` per
 *   text frame, hello first: src-shared/contracts/bridgeUrl.ts), so the page runs exactly as in
 *   the Electron window;
 * - answers operations tooling: `GET /api/status`, `POST /api/resync`,
 *   `GET /api/book/{venue}/{symbol}?depth=N`, `GET /api/events`, `GET /api/config`,
 *   `POST /api/processes/{name}/restart`, `GET /metrics` (Prometheus text), and
 *   `GET /api/diagnostics` once the diagnostics export is plugged in.
 *
 * Access: every HTTP request and every WebSocket needs the token: `Authorization: Bearer`,
 * `?token=` (the printed URL and the bridge URL), or the HttpOnly same-site cookie the page gets
 * when it is opened with the token. Tokens are compared in constant time. The host binds to
 * 127.0.0.1 unless the configuration allows another address (config.ts refuses a remote bind
 * without http.allowRemote); on loopback it also checks the Host header, so a DNS-rebinding page
 * cannot talk to it under a foreign name.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import type { EngineError, EngineErrorCode, ResyncScope } from '../../src-shared/contracts/engineApi.ts';
import { PROTOCOL_VERSION } from '../../src-shared/contracts/engineApi.ts';
import { Peer, RpcError } from '../../src-shared/contracts/rpc.ts';
import type { Handlers } from '../../src-shared/contracts/rpc.ts';
import { jsonTextPort } from '../../src-shared/contracts/transports.ts';
import { BRIDGE_WS_PATH, TOKEN_PARAM } from '../../src-shared/contracts/bridgeUrl.ts';
import type { VenueId } from '../../src-shared/model/market.ts';
import { isLoopback } from './config.ts';
import { prometheusText } from './metrics.ts';
import type { Supervisor } from './supervisor.ts';

/** A random access token: 192 bits, URL-safe. */
export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

/** Constant-time comparison: both sides hashed first so that neither length nor content leaks through timing. */
export function tokenMatches(given: string | null | undefined, token: string): boolean {
  if (typeof given !== 'string' || given.length === 0) return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}

/** Serves `GET /api/diagnostics` (the diagnostics export, issue 6); absent = 501. */
export type DiagnosticsRoute = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export interface HeadlessHostOptions {
  supervisor: Pick<Supervisor, 'attach' | 'cachedStatus'>;
  host: string;
  port: number;
  token: string;
  /** Folder of the built renderer (index.html + assets); null = not built. */
  rendererDir: string | null;
  /** What to show instead of the console when the renderer is not built. */
  notBuiltHint?: string;
  build: string;
  diagnostics?: DiagnosticsRoute;
  log?: (level: 'info' | 'warn' | 'error', msg: string) => void;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

const HTTP_STATUS: Record<EngineErrorCode, number> = {
  'bad-request': 400,
  unauthorized: 401,
  'unknown-venue': 404,
  'unknown-symbol': 404,
  'version-mismatch': 409,
  'not-available': 503,
  timeout: 504,
  internal: 500,
};

/** Frames a slow browser has not read yet; past this, book/stats frames to it are skipped (they are coalesced views, the next one supersedes). */
const SLOW_CLIENT_BYTES = 4 * 1024 * 1024;
const MAX_BODY_BYTES = 64 * 1024;

export class HeadlessHost {
  private readonly opts: HeadlessHostOptions;
  private server: Server | null = null;
  private wss: WebSocketServer | null = null;
  private readonly api: Handlers;
  private readonly detachApi: () => void;
  private readonly sockets = new Set<WebSocket>();
  private boundPort = 0;

  constructor(opts: HeadlessHostOptions) {
    if (opts.token.length < 16) throw new Error('the access token must be at least 16 characters');
    this.opts = opts;
    // The HTTP API is one more client of the supervisor; it subscribes to no view.
    const att = opts.supervisor.attach({ emit: () => {} });
    this.api = att.handlers;
    this.detachApi = att.detach;
  }

  get port(): number {
    return this.boundPort;
  }

  /** The address the listening socket is bound to ("127.0.0.1" unless configured otherwise). */
  get boundAddress(): string | null {
    const a = this.server?.address();
    return typeof a === 'object' && a !== null ? a.address : null;
  }

  /** The URL to open (carries the token). */
  url(): string {
    const h = this.opts.host.includes(':') ? `[${this.opts.host}]` : this.opts.host;
    return `http://${h === '0.0.0.0' || h === '[::]' ? '127.0.0.1' : h}:${this.boundPort}/?${TOKEN_PARAM}=${this.opts.token}`;
  }

  async start(): Promise<string> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((e: Error) => {
        this.opts.log?.('error', `HTTP ${req.method} ${req.url?.split('?')[0]}: ${e.stack ?? e.message}`);
        if (!res.headersSent) this.json(res, 500, { error: { code: 'internal', message: e.message } });
        else res.end();
      });
    });
    const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
    server.on('upgrade', (req, socket, head) => this.upgrade(req, socket, head));
    this.server = server;
    this.wss = wss;
    await new Promise<void>((resolvePromise, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => {
        server.off('error', reject);
        resolvePromise();
      });
    });
    const addr = server.address();
    this.boundPort = typeof addr === 'object' && addr !== null ? addr.port : this.opts.port;
    return this.url();
  }

  async stop(): Promise<void> {
    for (const ws of this.sockets) ws.close(1001, 'host stopping');
    this.detachApi();
    this.wss?.close();
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }

  // ---- access -------------------------------------------------------------------------------

  private cookieName(): string {
    // Cookies are per host name, not per port: two hosts on one machine must not overwrite each other's.
    return `depthdesk_token_${this.boundPort}`;
  }

  private givenToken(req: IncomingMessage, url: URL): string | null {
    const auth = req.headers.authorization;
    if (auth?.startsWith('Bearer ')) return auth.slice(7).trim();
    const q = url.searchParams.get(TOKEN_PARAM);
    if (q) return q;
    const cookie = req.headers.cookie;
    if (cookie) {
      for (const part of cookie.split(';')) {
        const eq = part.indexOf('=');
        if (eq > 0 && part.slice(0, eq).trim() === this.cookieName()) return decodeURIComponent(part.slice(eq + 1).trim());
      }
    }
    return null;
  }

  /** On loopback, only our own names: a DNS-rebound foreign name is refused. */
  private hostAllowed(req: IncomingMessage): boolean {
    if (!isLoopback(this.opts.host)) return true;
    const host = (req.headers.host ?? '').toLowerCase();
    const suffix = `:${this.boundPort}`;
    if (!host.endsWith(suffix)) return false;
    const name = host.slice(0, -suffix.length);
    return name === 'localhost' || name === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
  }

  // ---- HTTP -----------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://host.invalid');
    this.baseHeaders(res);
    if (!this.hostAllowed(req)) return this.json(res, 421, { error: { code: 'unauthorized', message: `this host answers only to 127.0.0.1:${this.boundPort} and localhost:${this.boundPort}` } });
    const given = this.givenToken(req, url);
    if (!tokenMatches(given, this.opts.token)) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="depthdesk"');
      return this.json(res, 401, { error: { code: 'unauthorized', message: `missing or wrong access token: open the URL that "npx depthdesk serve" printed, or send Authorization: Bearer <token>` } });
    }
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (path === '/metrics') return this.only(method, 'GET', res, () => this.metrics(res));
    if (path.startsWith('/api/')) return this.apiRoute(method, path, url, req, res);
    if (method !== 'GET' && method !== 'HEAD') return this.json(res, 405, { error: { code: 'bad-request', message: `${method} is not served here` } });
    // The page was opened with ?token=: give its own asset requests the cookie.
    if (url.searchParams.get(TOKEN_PARAM) !== null) {
      res.setHeader('Set-Cookie', `${this.cookieName()}=${encodeURIComponent(this.opts.token)}; Path=/; HttpOnly; SameSite=Strict`);
    }
    return this.staticFile(path, method, res);
  }

  private baseHeaders(res: ServerResponse): void {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    // The page URL carries the token: never send it to anyone in a Referer.
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  }

  /** The page's policy: its own scripts and styles only, no inline code, and only this host's bridge to talk to. */
  csp(): string {
    const h = this.opts.host.includes(':') ? `[${this.opts.host}]` : this.opts.host;
    const wsOrigins = isLoopback(this.opts.host) ? `ws://127.0.0.1:${this.boundPort} ws://localhost:${this.boundPort}` : `ws://${h}:${this.boundPort}`;
    return [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data:",
      "font-src 'self'",
      `connect-src 'self' ${wsOrigins}`,
      "manifest-src 'self'",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
      "object-src 'none'",
    ].join('; ');
  }

  private async staticFile(path: string, method: string, res: ServerResponse): Promise<void> {
    res.setHeader('Content-Security-Policy', this.csp());
    const dir = this.opts.rendererDir;
    if (dir === null) {
      const hint = this.opts.notBuiltHint ?? 'The console page is not built.';
      res.writeHead(503, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(`<!doctype html><meta charset="utf-8"><title>Depthdesk</title><h1>Depthdesk</h1><p>${escapeHtml(hint)}</p><p>The HTTP API is up: <a href="/api/status">/api/status</a>, <a href="/metrics">/metrics</a>.</p>`);
      return;
    }
    const rel = path === '/' ? 'index.html' : decodeURIComponent(path.slice(1));
    const root = resolve(dir);
    const file = resolve(root, normalize(rel));
    if (file !== root && !file.startsWith(root + sep)) return this.json(res, 404, { error: { code: 'bad-request', message: 'not found' } });
    let target = file;
    const st = await stat(target).catch(() => null);
    // Client-side routes (no extension) get the page itself.
    if (st === null || st.isDirectory()) {
      if (extname(rel) !== '') return this.json(res, 404, { error: { code: 'bad-request', message: `${path} not found` } });
      target = join(root, 'index.html');
    }
    const body = await readFile(target).catch(() => null);
    if (body === null) return this.json(res, 404, { error: { code: 'bad-request', message: `${path} not found` } });
    const type = MIME[extname(target).toLowerCase()] ?? 'application/octet-stream';
    res.writeHead(200, { 'Content-Type': type, 'Content-Length': body.length, 'Cache-Control': target.endsWith('index.html') ? 'no-store' : 'private, max-age=3600' });
    res.end(method === 'HEAD' ? undefined : body);
  }

  private only(method: string, want: string, res: ServerResponse, fn: () => Promise<void> | void): Promise<void> | void {
    if (method !== want) {
      res.setHeader('Allow', want);
      return this.json(res, 405, { error: { code: 'bad-request', message: `use ${want}` } });
    }
    return fn();
  }

  private async apiRoute(method: string, path: string, url: URL, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const parts = path.split('/').slice(2); // ['status'] | ['book', venue, ...symbol]
    const head = parts[0] ?? '';
    try {
      switch (head) {
        case 'status':
          return await this.only(method, 'GET', res, async () => this.json(res, 200, await this.call('status.get', {})));
        case 'events': {
          const limit = this.intParam(url, 'limit', 100, 1, 500);
          return await this.only(method, 'GET', res, async () => this.json(res, 200, await this.call('events.recent', { limit })));
        }
        case 'config':
          return await this.only(method, 'GET', res, async () => this.json(res, 200, await this.call('config.get', {})));
        case 'resync':
          return await this.only(method, 'POST', res, async () => {
            const scope = parseResyncScope(await readBody(req));
            this.json(res, 202, await this.call('resync', scope));
          });
        case 'book': {
          if (parts.length < 3) throw new RpcError('bad-request', 'use /api/book/{venue}/{symbol}?depth=N (a symbol with "/" may be given as is or encoded as %2F)');
          const venue = decodeURIComponent(parts[1]!) as VenueId;
          const symbol = parts.slice(2).map((p) => decodeURIComponent(p)).join('/');
          const depth = this.intParam(url, 'depth', 20, 1, 5000);
          return await this.only(method, 'GET', res, async () => this.json(res, 200, await this.call('book.get', { venue, symbol, depth })));
        }
        case 'processes':
          if (parts.length === 3 && parts[2] === 'restart') {
            const name = decodeURIComponent(parts[1]!);
            return await this.only(method, 'POST', res, async () => this.json(res, 202, await this.call('processes.restart', { name })));
          }
          throw new RpcError('bad-request', 'use POST /api/processes/{name}/restart');
        case 'diagnostics':
          if (this.opts.diagnostics) return await this.opts.diagnostics(req, res);
          return this.json(res, 501, { error: { code: 'not-available', message: 'GET /api/diagnostics: the diagnostics export is not part of this build yet (it will return a zip of logs, configuration with secrets redacted, state tables and events)' } });
        default:
          return this.json(res, 404, { error: { code: 'bad-request', message: `unknown API path ${path} (known: /api/status, /api/resync, /api/book/{venue}/{symbol}, /api/events, /api/config, /api/processes/{name}/restart, /api/diagnostics, /metrics)` } });
      }
    } catch (e) {
      const err: EngineError = e instanceof RpcError ? { code: e.code, message: e.message } : { code: 'internal', message: (e as Error).message };
      if (err.code === 'internal') this.opts.log?.('error', `${method} ${path}: ${(e as Error).stack ?? err.message}`);
      return this.json(res, HTTP_STATUS[err.code] ?? 500, { error: err });
    }
  }

  private async call<M extends keyof Handlers>(method: M, params: Parameters<NonNullable<Handlers[M]>>[0]): Promise<unknown> {
    const h = this.api[method] as ((p: unknown) => unknown) | undefined;
    if (!h) throw new RpcError('not-available', `${method} is not served`);
    return await h(params);
  }

  private intParam(url: URL, name: string, dflt: number, min: number, max: number): number {
    const v = url.searchParams.get(name);
    if (v === null) return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new RpcError('bad-request', `?${name}= must be an integer from ${min} to ${max} (got "${v}")`);
    return n;
  }

  private metrics(res: ServerResponse): void {
    const body = prometheusText(this.opts.supervisor.cachedStatus());
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(body);
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  // ---- WebSocket bridge -------------------------------------------------------------------------

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://host.invalid');
    const refuse = (status: number, text: string) => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
    };
    if (url.pathname !== BRIDGE_WS_PATH) return refuse(404, `the bridge is at ${BRIDGE_WS_PATH}`);
    if (!this.hostAllowed(req)) return refuse(421, 'wrong host name');
    if (!tokenMatches(this.givenToken(req, url), this.opts.token)) return refuse(401, 'missing or wrong access token');
    // A browser always sends Origin: only our own page may open the bridge (cross-site WebSocket hijacking).
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${req.headers.host}`) return refuse(403, `origin ${origin} may not open the bridge`);
    this.wss!.handleUpgrade(req, socket, head, (ws) => this.bridge(ws));
  }

  private bridge(ws: WebSocket): void {
    this.sockets.add(ws);
    const ends = jsonTextPort(
      (text) => {
        if (ws.readyState === ws.OPEN) ws.send(text);
      },
      (reason) => ws.close(1000, reason.slice(0, 120)),
    );
    let peer: Peer | null = null;
    const att = this.opts.supervisor.attach({
      emit: (topic, data) => {
        if (!peer || peer.isClosed) return false;
        // Skipped: the supervisor then sends this view a full stats frame next time.
        if ((topic === 'book.frame' || topic === 'stats.frame') && ws.bufferedAmount > SLOW_CLIENT_BYTES) return false;
        peer.emit(topic, data);
        return true;
      },
    });
    peer = new Peer(ends.port, { hello: { protocolVersion: PROTOCOL_VERSION, build: this.opts.build, role: 'host', name: 'headless-host', pid: process.pid }, handlers: att.handlers });
    ws.on('message', (data, isBinary) => {
      if (isBinary) return ends.port.close('bad message: the bridge carries JSON text frames');
      ends.deliverText(data.toString());
    });
    ws.on('close', (code, reason) => {
      this.sockets.delete(ws);
      att.detach();
      ends.end(`socket closed (${code}${reason.length ? `: ${reason.toString()}` : ''})`);
    });
    ws.on('error', (e) => this.opts.log?.('warn', `bridge socket: ${e.message}`));
  }
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req) {
    n += (c as Buffer).length;
    if (n > MAX_BODY_BYTES) throw new RpcError('bad-request', `request body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(c as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new RpcError('bad-request', 'the body is not JSON');
  }
}

/** `{"scope":"symbol","venue":"okx","symbol":"BTC-USDT"}`, `{"scope":"venue","venue":"okx"}`, `{"scope":"all"}`. */
export function parseResyncScope(v: unknown): ResyncScope {
  const o = (v ?? {}) as Record<string, unknown>;
  const usage = 'body must be {"scope":"symbol","venue":V,"symbol":S}, {"scope":"venue","venue":V} or {"scope":"all"}';
  if (typeof o !== 'object' || Array.isArray(o)) throw new RpcError('bad-request', usage);
  if (o['scope'] === 'all') return { scope: 'all' };
  if (typeof o['venue'] !== 'string' || o['venue'] === '') throw new RpcError('bad-request', usage);
  if (o['scope'] === 'venue') return { scope: 'venue', venue: o['venue'] as VenueId };
  if (o['scope'] === 'symbol' && typeof o['symbol'] === 'string' && o['symbol'] !== '') return { scope: 'symbol', venue: o['venue'] as VenueId, symbol: o['symbol'] };
  throw new RpcError('bad-request', usage);
}
