/// <reference types="node" />
// @vitest-environment node
/**
 * The console's bridge: hello and typed calls over the real RPC peer, events, reconnect with
 * backoff after the engine goes away (listeners survive), no retry on a protocol mismatch,
 * fail-fast calls while disconnected; the WebSocket transport against a real `ws` server on
 * loopback (Node's own WebSocket client, as a browser would connect), and the MessagePort
 * transport with real ports and the preload's nonce handshake.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import type { AddressInfo } from 'node:net';
import { PROTOCOL_VERSION } from '../../src-shared/contracts/engineApi.ts';
import type { Envelope, StatsFrame } from '../../src-shared/contracts/engineApi.ts';
import { bridgeUrlFor } from '../../src-shared/contracts/bridgeUrl.ts';
import { ENGINE_PORT_MESSAGE, PRELOAD_API_VERSION } from '../../src-shared/contracts/preloadApi.ts';
import type { PreloadApi } from '../../src-shared/contracts/preloadApi.ts';
import { memoryPortPair, Peer, RpcError } from '../../src-shared/contracts/rpc.ts';
import type { Port } from '../../src-shared/contracts/rpc.ts';
import { Bridge } from '../../src-renderer/bridge/bridge.ts';
import type { BridgeStatus, Transport } from '../../src-renderer/bridge/bridge.ts';
import { messagePortTransport } from '../../src-renderer/bridge/messagePortTransport.ts';
import { webSocketTransport } from '../../src-renderer/bridge/webSocketTransport.ts';
import { consoleFixture } from '../support/consoleFixtures.ts';

const FILE = 'binance/cryptofeed_spot_4sym_2021-10-12.ndjson';

function waitFor<T>(get: () => T | undefined | null | false, what: string, ms = 5_000): Promise<T> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      const v = get();
      if (v) return resolve(v);
      if (Date.now() - t0 > ms) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 5);
    };
    tick();
  });
}

/** A transport to in-memory engines; every open creates a new engine peer. */
function memoryEngine(fxStatus: () => unknown, protocolVersion = PROTOCOL_VERSION) {
  const engines: Peer[] = [];
  let opens = 0;
  const transport: Transport = {
    kind: 'memory',
    display: 'memory',
    open: async () => {
      opens++;
      const [a, b] = memoryPortPair();
      // The engine greets once the connection exists (a task later), as a real host does.
      setTimeout(() => engines.push(new Peer(b, { hello: { protocolVersion, build: 'e', role: 'host', name: 'host' }, handlers: { 'status.get': () => fxStatus() as never } })), 0);
      return a;
    },
  };
  return { transport, engines, opens: () => opens };
}

const bridges: Bridge[] = [];
afterEach(() => {
  for (const b of bridges.splice(0)) b.close('test over');
});

describe('Bridge over the RPC peer', () => {
  it('opens with hello, answers calls with the engine data and delivers events', async () => {
    const fx = await consoleFixture([FILE]);
    const eng = memoryEngine(() => fx.status);
    const b = new Bridge(eng.transport, { build: 't' });
    bridges.push(b);
    const statuses: BridgeStatus['phase'][] = [];
    b.onStatus((s) => statuses.push(s.phase));
    const frames: StatsFrame[] = [];
    b.on('stats.frame', (f) => frames.push(f));
    b.start();
    await waitFor(() => b.connected, 'open');
    expect(b.status.phase === 'open' && b.status.remote.role).toBe('host');
    expect(statuses).toEqual(['connecting', 'open']);
    const status = await b.call('status.get', {});
    expect(status.symbols.map((s) => s.symbol).sort()).toEqual(fx.status.symbols.map((s) => s.symbol).sort());
    eng.engines[0]!.emit('stats.frame', fx.statsFrames[0]!);
    await waitFor(() => frames.length === 1, 'frame');
    expect(frames[0]!.symbols[0]!.bestBid).toBe(fx.statsFrames[0]!.symbols[0]!.bestBid);
  });

  it('reconnects with backoff after the engine goes away, says why, and keeps listeners', async () => {
    const fx = await consoleFixture([FILE]);
    const eng = memoryEngine(() => fx.status);
    const b = new Bridge(eng.transport, { build: 't', initialBackoffMs: 20, maxBackoffMs: 80, random: () => 0 });
    bridges.push(b);
    const seen: BridgeStatus[] = [];
    b.onStatus((s) => seen.push(s));
    let opened = 0;
    b.onOpen(() => opened++);
    const frames: StatsFrame[] = [];
    b.on('stats.frame', (f) => frames.push(f));
    b.start();
    await waitFor(() => opened === 1, 'first open');
    eng.engines[0]!.close('engine host restarting');
    const waiting = await waitFor(() => seen.find((s) => s.phase === 'waiting'), 'waiting');
    expect(waiting.phase === 'waiting' && waiting.reason).toContain('engine host restarting');
    await expect(b.call('status.get', {})).rejects.toMatchObject({ code: 'not-available' });
    await waitFor(() => opened === 2, 'reopen');
    expect(b.status.phase === 'open' && b.status.reconnects).toBe(1);
    eng.engines[1]!.emit('stats.frame', fx.statsFrames[1]!);
    await waitFor(() => frames.length === 1, 'frame after reconnect');
  });

  it('backs off exponentially up to the cap, with jitter below it', () => {
    const eng = memoryEngine(() => null);
    const b = new Bridge(eng.transport, { build: 't', initialBackoffMs: 500, maxBackoffMs: 10_000, random: () => 1 - Number.EPSILON });
    expect([1, 2, 3, 4, 5, 6, 7].map((a) => b.backoffMs(a))).toEqual([500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
    const low = new Bridge(eng.transport, { build: 't', initialBackoffMs: 500, maxBackoffMs: 10_000, random: () => 0 });
    expect(low.backoffMs(3)).toBe(1500);
  });

  it('does not retry when the engine speaks another protocol version, and says what to do', async () => {
    const eng = memoryEngine(() => null, PROTOCOL_VERSION + 1);
    const b = new Bridge(eng.transport, { build: 't', initialBackoffMs: 5 });
    bridges.push(b);
    b.start();
    const failed = await waitFor(() => (b.status.phase === 'failed' ? b.status : null), 'failed');
    expect(failed.reason).toMatch(/protocol version mismatch.*Reload/);
    await new Promise((r) => setTimeout(r, 50));
    expect(eng.opens()).toBe(1);
  });

  it('retries when the transport cannot open, with the reason in the status', async () => {
    let n = 0;
    const fx = await consoleFixture([FILE]);
    const ok = memoryEngine(() => fx.status);
    const t: Transport = {
      kind: 'memory',
      display: 'flaky',
      open: () => (++n < 3 ? Promise.reject(new Error(`refused #${n}`)) : ok.transport.open()),
    };
    const b = new Bridge(t, { build: 't', initialBackoffMs: 5, random: () => 0 });
    bridges.push(b);
    const reasons: string[] = [];
    b.onStatus((s) => s.phase === 'waiting' && reasons.push(s.reason));
    b.start();
    await waitFor(() => b.connected, 'open after retries');
    expect(reasons).toEqual(['refused #1', 'refused #2']);
  });
});

describe('WebSocket transport (real ws server on loopback)', () => {
  it('speaks JSON envelopes to the headless host, masks the token, reports the close', async () => {
    const fx = await consoleFixture([FILE]);
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((r) => wss.once('listening', r));
    const port = (wss.address() as AddressInfo).port;
    const seenUrls: string[] = [];
    wss.on('connection', (ws, req) => {
      seenUrls.push(req.url ?? '');
      const p: Port = {
        post: (m) => ws.send(JSON.stringify(m)),
        onMessage: (h) => {
          const f = (d: Buffer) => h(JSON.parse(d.toString()) as Envelope);
          ws.on('message', f);
          return () => ws.off('message', f);
        },
        onClose: (h) => {
          const f = () => h('closed');
          ws.on('close', f);
          return () => ws.off('close', f);
        },
        close: () => ws.close(1001, 'host stopping'),
      };
      new Peer(p, { hello: { protocolVersion: PROTOCOL_VERSION, build: 'ws-host', role: 'host', name: 'host' }, handlers: { 'status.get': () => fx.status } });
    });
    try {
      const u = bridgeUrlFor(`http://127.0.0.1:${port}/?token=s3cret`);
      if (!u.ok) throw new Error(u.reason);
      expect(u.display).not.toContain('s3cret');
      const b = new Bridge(webSocketTransport({ url: u.url, display: u.display }), { build: 't', initialBackoffMs: 50 });
      bridges.push(b);
      b.start();
      await waitFor(() => b.connected, 'ws open');
      expect(seenUrls).toEqual(['/bridge?token=s3cret']);
      const s = await b.call('status.get', {});
      expect(s.symbols.length).toBe(fx.status.symbols.length);
      for (const c of wss.clients) c.close(1001, 'host stopping');
      const w = await waitFor(() => (b.status.phase === 'waiting' ? b.status : null), 'waiting after close');
      expect(w.reason).toContain('going away');
    } finally {
      await new Promise((r) => wss.close(r));
    }
  });

  it('a host that is not there is reported as unreachable', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((r) => wss.once('listening', r));
    const port = (wss.address() as AddressInfo).port;
    await new Promise((r) => wss.close(r));
    const t = webSocketTransport({ url: `ws://127.0.0.1:${port}/bridge?token=x`, display: `ws://127.0.0.1:${port}/bridge` });
    await expect(t.open()).rejects.toThrow(/unreachable|closed/);
  });
});

describe('MessagePort transport (Electron preload handshake)', () => {
  function fakeWindow() {
    const target = new EventTarget();
    return target as unknown as Window;
  }

  function post(win: Window, source: unknown, data: unknown, ports: MessagePort[]): void {
    const ev = new Event('message');
    Object.defineProperties(ev, { data: { value: data }, source: { value: source }, ports: { value: ports } });
    win.dispatchEvent(ev);
  }

  it('accepts only the port announced with its nonce from its own window, then talks the contract', async () => {
    const fx = await consoleFixture([FILE]);
    const win = fakeWindow();
    let nonce = 0;
    const api: PreloadApi = {
      apiVersion: PRELOAD_API_VERSION,
      build: 'shell-test',
      platform: 'linux',
      requestEnginePort: async () => {
        const n = `n${++nonce}`;
        const decoy = new MessageChannel();
        const real = new MessageChannel();
        const enginePort: Port = {
          post: (m) => real.port2.postMessage(m),
          onMessage: (h) => {
            const f = (e: MessageEvent) => h(e.data as Envelope);
            real.port2.addEventListener('message', f as EventListener);
            real.port2.start();
            return () => real.port2.removeEventListener('message', f as EventListener);
          },
          onClose: () => () => {},
          close: () => real.port2.close(),
        };
        new Peer(enginePort, { hello: { protocolVersion: PROTOCOL_VERSION, build: 'e', role: 'host', name: 'main' }, handlers: { 'status.get': () => fx.status } });
        setTimeout(() => {
          // A frame that is not this window, and a wrong nonce, are both ignored.
          post(win, {}, { type: ENGINE_PORT_MESSAGE, nonce: n }, [decoy.port1]);
          post(win, win, { type: ENGINE_PORT_MESSAGE, nonce: 'forged' }, [decoy.port1]);
          post(win, win, { type: ENGINE_PORT_MESSAGE, nonce: n }, [real.port1]);
        }, 0);
        return n;
      },
    };
    const b = new Bridge(messagePortTransport({ api, win }), { build: 't' });
    bridges.push(b);
    b.start();
    await waitFor(() => b.connected, 'port open');
    const s = await b.call('status.get', {});
    expect(s.venues.map((v) => v.venue)).toEqual(fx.status.venues.map((v) => v.venue));
  });

  it('says so when the shell never hands a port over', async () => {
    const win = fakeWindow();
    const api: PreloadApi = { apiVersion: PRELOAD_API_VERSION, build: 'x', platform: 'linux', requestEnginePort: async () => 'n1' };
    await expect(messagePortTransport({ api, win, timeoutMs: 30 }).open()).rejects.toThrow(/did not hand over an engine port/);
    const refusing: PreloadApi = { ...api, requestEnginePort: () => Promise.reject(new RpcError('unauthorized', 'sender not allowed')) };
    await expect(messagePortTransport({ api: refusing, win, timeoutMs: 30 }).open()).rejects.toThrow(/refused an engine port: sender not allowed/);
  });
});
