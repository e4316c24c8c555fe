/**
 * Transport inside Electron: the preload (`window.depthdesk`, src-shared/contracts/preloadApi.ts)
 * asks the main process for a MessagePort to the engine and posts it to this window together
 * with a one-time nonce. Envelopes travel as structured-clone objects.
 */
import type { Envelope } from '../../src-shared/contracts/engineApi.ts';
import type { Port } from '../../src-shared/contracts/rpc.ts';
import { isEnginePortMessage } from '../../src-shared/contracts/preloadApi.ts';
import type { PreloadApi } from '../../src-shared/contracts/preloadApi.ts';
import type { Transport } from './bridge.ts';

/** Wrap a page-side MessagePort as a `Port`. */
export function messagePortPort(mp: MessagePort): Port {
  const handlers = new Set<(m: Envelope) => void>();
  const closers = new Set<(r: string) => void>();
  let closed = false;
  const finish = (reason: string): void => {
    if (closed) return;
    closed = true;
    mp.close();
    for (const h of closers) h(reason);
  };
  mp.addEventListener('message', (ev: MessageEvent) => {
    const m = ev.data as unknown;
    if (typeof m !== 'object' || m === null || typeof (m as { t?: unknown }).t !== 'string') {
      console.error('engine port delivered something that is not a contract envelope');
      return;
    }
    for (const h of handlers) h(m as Envelope);
  });
  mp.addEventListener('messageerror', () => console.error('engine port message could not be deserialized'));
  // Chromium fires 'close' on a port whose other end went away (HTML "MessagePort close event").
  mp.addEventListener('close', () => finish('the engine port was closed by the shell'));
  mp.start();
  return {
    post(msg) {
      if (!closed) mp.postMessage(msg);
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
      finish(reason);
    },
  };
}

export interface MessagePortTransportOptions {
  api: PreloadApi;
  win: Window;
  /** ms to wait for the port after the nonce arrived. */
  timeoutMs?: number;
}

export function messagePortTransport(o: MessagePortTransportOptions): Transport {
  const timeoutMs = o.timeoutMs ?? 5_000;
  return {
    kind: 'messageport',
    display: `Electron shell ${o.api.build} (MessagePort)`,
    open(): Promise<Port> {
      return new Promise<Port>((resolve, reject) => {
        let nonce: string | null = null;
        let settled = false;
        // Messages may arrive before requestEnginePort() resolves: keep them until the nonce is known.
        const early: MessageEvent[] = [];
        const accept = (ev: MessageEvent): boolean => {
          if (ev.source !== o.win || !isEnginePortMessage(ev.data) || ev.data.nonce !== nonce) return false;
          const port = ev.ports[0];
          if (port === undefined) return false;
          settled = true;
          cleanup();
          resolve(messagePortPort(port));
          return true;
        };
        const onMessage = (ev: MessageEvent): void => {
          if (settled) return;
          if (nonce === null) early.push(ev);
          else accept(ev);
        };
        const timer = setTimeout(() => {
          if (settled) return;
          settled = true;
          cleanup();
          reject(new Error(`the shell did not hand over an engine port within ${timeoutMs} ms`));
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(timer);
          o.win.removeEventListener('message', onMessage);
        };
        o.win.addEventListener('message', onMessage);
        o.api.requestEnginePort().then(
          (n) => {
            if (settled) return;
            nonce = n;
            for (const ev of early.splice(0)) if (accept(ev)) return;
          },
          (e: unknown) => {
            if (settled) return;
            settled = true;
            cleanup();
            reject(new Error(`the shell refused an engine port: ${(e as Error).message ?? String(e)}`));
          },
        );
      });
    },
  };
}
