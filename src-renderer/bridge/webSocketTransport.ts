/**
 * Transport to the headless host (`npx depthdesk serve`): one WebSocket carrying one JSON
 * `Envelope` per text frame. The URL (same host as the page, `/bridge?token=`) comes from
 * src-shared/contracts/bridgeUrl.ts so the host and the page cannot disagree on it.
 */
import type { Envelope } from '../../src-shared/contracts/engineApi.ts';
import type { Port } from '../../src-shared/contracts/rpc.ts';
import type { Transport } from './bridge.ts';

/** The constructor shape we need (the browser's WebSocket; tests may pass another). */
export type WebSocketCtor = new (url: string) => WebSocket;

/** Close codes the browser reports, in words an operator understands. */
function closeText(code: number, reason: string): string {
  const why = reason !== '' ? `: ${reason}` : '';
  switch (code) {
    case 1000:
      return `closed by the engine host${why}`;
    case 1001:
      return `the engine host is going away${why}`;
    case 1006:
      return 'the engine host is unreachable or closed the connection abruptly';
    case 1008:
      return `refused by the engine host (policy)${why}`;
    case 1009:
      return `message too big${why}`;
    case 1011:
      return `engine host error${why}`;
    default:
      return `connection closed (code ${code})${why}`;
  }
}

function isEnvelope(v: unknown): v is Envelope {
  return typeof v === 'object' && v !== null && typeof (v as { t?: unknown }).t === 'string';
}

/** Wrap an open WebSocket as a `Port`. */
export function webSocketPort(ws: WebSocket): Port {
  const handlers = new Set<(m: Envelope) => void>();
  const closers = new Set<(r: string) => void>();
  let closed = false;
  const finish = (reason: string): void => {
    if (closed) return;
    closed = true;
    for (const h of closers) h(reason);
  };
  ws.addEventListener('message', (ev: MessageEvent) => {
    if (typeof ev.data !== 'string') {
      console.error('engine bridge sent a binary frame; the contract carries JSON text frames only');
      return;
    }
    let msg: unknown;
    try {
      msg = JSON.parse(ev.data);
    } catch {
      console.error(`engine bridge sent a frame that is not JSON (${ev.data.length} bytes)`);
      return;
    }
    if (!isEnvelope(msg)) {
      console.error('engine bridge sent JSON that is not a contract envelope');
      return;
    }
    for (const h of handlers) h(msg);
  });
  ws.addEventListener('close', (ev: CloseEvent) => finish(closeText(ev.code, ev.reason)));
  return {
    post(msg) {
      if (closed || ws.readyState !== WebSocket.OPEN) return;
      ws.send(JSON.stringify(msg));
    },
    onMessage(h) {
      handlers.add(h);
      return () => handlers.delete(h);
    },
    onClose(h) {
      closers.add(h);
      return () => closers.delete(h);
    },
    close(reason) {
      if (closed) return;
      // Close reasons are limited to 123 bytes by the WebSocket protocol (RFC 6455 5.5).
      try {
        ws.close(1000, reason.slice(0, 100));
      } catch {
        ws.close();
      }
      finish(reason);
    },
  };
}

export interface WebSocketTransportOptions {
  /** Full bridge URL including the token. */
  url: string;
  /** The same URL with the token masked. */
  display: string;
  openTimeoutMs?: number;
  ctor?: WebSocketCtor;
}

export function webSocketTransport(o: WebSocketTransportOptions): Transport {
  const Ctor = o.ctor ?? WebSocket;
  const timeoutMs = o.openTimeoutMs ?? 5_000;
  return {
    kind: 'websocket',
    display: o.display,
    open(): Promise<Port> {
      return new Promise<Port>((resolve, reject) => {
        let ws: WebSocket;
        try {
          ws = new Ctor(o.url);
        } catch (e) {
          reject(new Error(`cannot open ${o.display}: ${(e as Error).message}`));
          return;
        }
        let settled = false;
        const timer = setTimeout(() => {
          if (settled) return;
          settled = true;
          ws.close();
          reject(new Error(`no answer from ${o.display} within ${timeoutMs} ms`));
        }, timeoutMs);
        ws.addEventListener('open', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve(webSocketPort(ws));
        });
        ws.addEventListener('close', (ev: CloseEvent) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          reject(new Error(`${o.display}: ${closeText(ev.code, ev.reason)}`));
        });
      });
    },
  };
}
