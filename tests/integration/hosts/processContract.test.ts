import { afterEach, describe, expect, it } from 'vitest';
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { PROTOCOL_VERSION } from '../../../src-shared/contracts/engineApi.ts';
import type { BookFrame } from '../../../src-shared/contracts/engineApi.ts';
import { memoryPortPair, Peer, RpcError } from '../../../src-shared/contracts/rpc.ts';
import type { Port } from '../../../src-shared/contracts/rpc.ts';
import { childProcessPort } from '../../../src-main/hosts/processPorts.ts';
import { payloadArg } from '../../../src-main/hosts/processPayload.ts';
import { realBooks } from '../../support/realBooks.ts';
import { EventLog } from '../../support/eventLog.ts';
import { Supervisor } from '../../../src-main/hosts/supervisor.ts';
import { forkLauncher } from '../../../src-main/hosts/forkLauncher.ts';

const ENTRY = join(import.meta.dirname, 'fixtures/contractChild.entry.ts');
const RECORDING = 'okx/cryptofeed_books_2022-05-13.ndjson';
const children: ChildProcess[] = [];

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

function spawnChild(env: Record<string, string> = {}): { child: ChildProcess; port: Port; exited: Promise<{ code: number | null; signal: string | null }> } {
  const child = fork(ENTRY, [payloadArg({ name: 'contract-child', role: 'feed', build: 'test', venues: [], bookDepth: 10, restart: 0, multicast: null, dataDir: '/nonexistent', mode: 'replay' })], {
    serialization: 'advanced',
    execArgv: [],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    env: { ...process.env, FIXTURE_RECORDING: RECORDING, ...env },
  });
  children.push(child);
  const exited = new Promise<{ code: number | null; signal: string | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  return { child, port: childProcessPort(child), exited };
}

const hello = { protocolVersion: PROTOCOL_VERSION, build: 'test', role: 'supervisor' as const, name: 'test' };

/** The same checks against any transport pair: what the contract promises does not depend on the boundary. */
async function contractChecks(peer: Peer): Promise<void> {
  const remote = await peer.ready();
  expect(remote.protocolVersion).toBe(PROTOCOL_VERSION);
  const st = await peer.call('status.get', {});
  expect(st.symbols.map((s) => s.symbol).sort()).toEqual(['BTC-USD-220527', 'BTC-USDT', 'UNI-USD-SWAP']);
  const book = await peer.call('book.get', { venue: 'okx', symbol: 'BTC-USDT', depth: 3 });
  // Exact decimal strings survive the boundary: the real book's top of the recording.
  expect(book.bids[0]).toEqual({ price: '30236.1', size: '0.18050747' });
  expect(book.asks[0]).toEqual({ price: '30236.2', size: '0.001' });
  await expect(peer.call('book.get', { venue: 'okx', symbol: 'ETH-USDT', depth: 3 })).rejects.toMatchObject({ code: 'unknown-symbol', message: 'okx ETH-USDT is not in this recording' });
  await expect(peer.call('nbbo.get', {})).rejects.toMatchObject({ code: 'bad-request', message: 'unknown method "nbbo.get"' });
  const frame = new Promise<BookFrame>((r) => peer.on('book.frame', r));
  expect(await peer.call('view.subscribe', { books: [{ venue: 'okx', symbol: 'UNI-USD-SWAP' }], depth: 5 })).toEqual({ books: 1 });
  const f = await frame;
  expect(f.books.map((b) => b.symbol)).toEqual(['UNI-USD-SWAP']);
  expect(f.books[0]!.bids[0]).toEqual({ price: '5.137', size: '20' });
}

describe('engine contract over an in-memory pair and over a real child process', () => {
  it('in memory', async () => {
    const books = await realBooks(RECORDING);
    const [a, b] = memoryPortPair();
    const child: Peer = new Peer(b, {
      hello: { ...hello, role: 'feed', name: 'memory-child' },
      handlers: {
        'status.get': () => ({ build: 'x', startedMs: 0, nowMs: 0, mode: 'replay', venues: [], symbols: books.map((x) => x.status), processes: [], publisher: null }),
        'book.get': (p) => {
          const x = books.find((y) => y.book.venue === p.venue && y.book.symbol === p.symbol);
          if (!x) throw new RpcError('unknown-symbol', `${p.venue} ${p.symbol} is not in this recording`);
          return { ...x.book, bids: x.book.bids.slice(0, p.depth), asks: x.book.asks.slice(0, p.depth) };
        },
        'view.subscribe': (p) => {
          queueMicrotask(() => child.emit('book.frame', { books: books.filter((x) => p.books.some((q) => q.symbol === x.book.symbol)).map((x) => x.book), trades: [] }));
          return { books: p.books.length };
        },
      },
    });
    const peer = new Peer(a, { hello });
    await contractChecks(peer);
    const childClosed = new Promise<string>((r) => b.onClose(r));
    peer.close('done');
    expect(await childClosed).toBe('done');
    expect(child.isClosed).toBe(true);
  });

  it('over child_process.fork with advanced serialization', async () => {
    const { port, exited } = spawnChild();
    const peer = new Peer(port, { hello, timeoutMs: 30_000 });
    await contractChecks(peer);
    // Closing our end makes the child leave cleanly.
    peer.close('test done');
    expect(await exited).toEqual({ code: 0, signal: null });
  });

  it('a crash in the child arrives as a bye with the reason, then a non-zero exit', async () => {
    const { port, exited } = spawnChild();
    const peer = new Peer(port, { hello, timeoutMs: 30_000 });
    await peer.ready();
    const closed = new Promise<string>((r) => port.onClose(r));
    await peer.call('resync', { scope: 'all' });
    expect(await closed).toBe('uncaught exception: Error: fixture: crash requested');
    expect(await exited).toEqual({ code: 70, signal: null });
  });

  it('a protocol mismatch closes the connection with a message naming both versions', async () => {
    const { port, exited } = spawnChild({ FIXTURE_PROTOCOL: '2' });
    const peer = new Peer(port, { hello, timeoutMs: 30_000 });
    await expect(peer.ready()).rejects.toMatchObject({ code: 'not-available' });
    expect(peer.isClosed).toBe(true);
    await expect(peer.call('status.get', {})).rejects.toMatchObject({ message: expect.stringContaining('protocol version mismatch: supervisor speaks 1, feed "contract-child" (build fixture) speaks 2') });
    expect((await exited).code).toBe(0);
  });

  it('a wedged child is found by its missing heartbeats, killed and restarted by the supervisor', async () => {
    const log = new EventLog();
    const sup = new Supervisor({
      launcher: forkLauncher({ entries: { feed: ENTRY }, env: { FIXTURE_RECORDING: RECORDING } }),
      processes: [{ name: 'feed-0', role: 'feed', venues: [{ venue: 'okx', symbols: ['BTC-USDT'] }], bookDepth: 10, multicast: null, dataDir: '/nonexistent' }],
      build: 'test',
      mode: 'replay',
      policy: { heartbeatMs: 50, unresponsiveAfterMs: 1500, backoffInitialMs: 10 },
      log: () => {},
    });
    sup.subscribe(log);
    const api = sup.attach({ emit: () => {} });
    try {
      await sup.start();
      const first = await log.waitFor('process.event', (e) => e.kind === 'started');
      const pid = Number(/^pid (\d+)/.exec(first.data.detail)![1]);
      await api.handlers.resync!({ scope: 'venue', venue: 'okx' });
      const wedged = await log.waitFor('process.event', (e) => e.kind === 'unresponsive');
      expect(wedged.data.detail).toMatch(new RegExp(`^no heartbeat answer for \\d+ ms; killing pid ${pid}$`));
      const exited = await log.waitFor('process.event', (e) => e.kind === 'exited');
      expect(exited.data.detail).toMatch(/^killed by SIGKILL; reason: unresponsive: no heartbeat answer for \d+ ms$/);
      const again = await log.waitFor('process.event', (e) => e.kind === 'started' && e.detail.endsWith('restart 1'));
      expect(Number(/^pid (\d+)/.exec(again.data.detail)![1])).not.toBe(pid);
      expect(() => process.kill(pid, 0)).toThrow();
    } finally {
      api.detach();
      await sup.stop();
    }
  });
});
