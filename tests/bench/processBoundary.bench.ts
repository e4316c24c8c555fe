/**
 * Book frames across the process boundary, on real data (the Binance spot BTCUSDT 10-minute
 * capture: one top-20 BookView per applied depth message). Measures what the architecture pays
 * for running the books in their own process:
 * - throughput, feed process -> supervisor, over child_process.fork with advanced serialization
 *   (the stand-in for Electron utility processes), one book per message and batched 32 per
 *   message, in books/s and MB/s of structured-clone payload;
 * - one-way latency of paced frames (1,000 per second, stamped at send), p50/p99/p99.9;
 * - round-trip latency of single frames (send, echo, receive), p50/p99;
 * - the same over an in-process MessageChannel-like pair (memoryPortPair: structured clone and a
 *   microtask), and a direct call (the publisher beside the books: no copy at all).
 * Prints the figures, writes bench-results/processBoundary.json, and returns them for run.ts.
 */
import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serialize } from 'node:v8';
import type { BookFrame, BookView, Envelope } from '../../src-shared/contracts/engineApi.ts';
import { memoryPortPair } from '../../src-shared/contracts/rpc.ts';
import type { Port } from '../../src-shared/contracts/rpc.ts';
import { childProcessPort } from '../../src-main/hosts/processPorts.ts';
import { repoRoot } from '../support/data.ts';
import { boundaryFrames, BOUNDARY_RECORDING } from './boundaryFrames.ts';

const nowMs = () => performance.timeOrigin + performance.now();

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

class Requester {
  private id = 1;
  private readonly waiting = new Map<number, (r: unknown) => void>();
  readonly port: Port;
  constructor(port: Port) {
    this.port = port;
    port.onMessage((m) => {
      if (m.t === 'res' && m.ok) {
        this.waiting.get(m.id)?.(m.result);
        this.waiting.delete(m.id);
      }
    });
  }
  call(method: string, params: unknown): Promise<unknown> {
    const id = this.id++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.port.post({ t: 'req', id, method, params });
    });
  }
}

async function throughput(req: Requester, batch: number, rounds: number, expectBooks: number): Promise<{ booksPerSec: number; messagesPerSec: number; seconds: number }> {
  let books = 0;
  let messages = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const off = req.port.onMessage((m) => {
    if (m.t !== 'evt') return;
    books += (m.data as BookFrame).books.length;
    messages++;
    if (books >= expectBooks) done();
  });
  const t0 = performance.now();
  void req.call('bench.throughput', { batch, rounds });
  await finished;
  const seconds = (performance.now() - t0) / 1000;
  off();
  return { booksPerSec: books / seconds, messagesPerSec: messages / seconds, seconds };
}

async function paced(req: Requester, count: number, perSec: number): Promise<number[]> {
  const lat: number[] = [];
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const off = req.port.onMessage((m) => {
    if (m.t !== 'evt') return;
    lat.push((nowMs() - (m.data as { sentAtMs: number }).sentAtMs) * 1000);
    if (lat.length >= count) done();
  });
  void req.call('bench.paced', { count, perSec });
  await finished;
  off();
  return lat.sort((a, b) => a - b);
}

async function roundTrips(port: Port, frames: BookView[], count: number): Promise<number[]> {
  const rtt: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const back = new Promise<void>((r) => {
      const off = port.onMessage((m) => {
        if (m.t === 'evt') {
          off();
          r();
        }
      });
    });
    port.post({ t: 'evt', topic: 'book.frame', data: { books: [frames[i % frames.length]!], trades: [] } });
    await back;
    rtt.push((performance.now() - t0) * 1000);
  }
  return rtt.sort((a, b) => a - b);
}

export async function run(): Promise<Record<string, number | string>> {
  const frames = await boundaryFrames();
  const bytesPerBook = serialize(frames[Math.floor(frames.length / 2)]).length;
  const out: Record<string, number | string> = { recording: BOUNDARY_RECORDING, 'book frames (top 20)': frames.length, 'serialized bytes per book': bytesPerBook };

  // Cross-process: a forked child with the feed's port adapter.
  const child = fork(join(import.meta.dirname, 'fixtures/boundaryChild.entry.ts'), [], { serialization: 'advanced', execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = childProcessPort(child);
  const hello = new Promise<void>((r) => {
    const off = port.onMessage((m: Envelope) => {
      if (m.t === 'hello') {
        off();
        r();
      }
    });
  });
  await hello;
  const req = new Requester(port);
  const rounds = 3;
  await throughput(req, 32, 1, frames.length); // warm-up
  const one = await throughput(req, 1, rounds, frames.length * rounds);
  const batched = await throughput(req, 32, rounds, frames.length * rounds);
  const lat = await paced(req, 3000, 1000);
  const rtt = await roundTrips(port, frames, 2000);
  port.close('bench done');
  await new Promise((r) => child.once('exit', r));

  // In-process, structured clone through a port pair (what a same-process host would pay).
  const [a, b] = memoryPortPair();
  b.onMessage((m) => {
    if (m.t === 'evt') b.post(m);
  });
  const memRtt = await roundTrips(a, frames, 2000);
  let sink = 0;
  const memT0 = performance.now();
  const memDone = new Promise<void>((r) => {
    let n = 0;
    const [x, y] = memoryPortPair();
    y.onMessage((m) => {
      n += (m as { data: BookFrame }).data.books.length;
      if (n >= frames.length * rounds) r();
    });
    for (let k = 0; k < rounds; k++) for (const f of frames) x.post({ t: 'evt', topic: 'book.frame', data: { books: [f], trades: [] } });
  });
  await memDone;
  const memBooksPerSec = (frames.length * rounds) / ((performance.now() - memT0) / 1000);
  // Direct call: the publisher beside the books gets the book object itself.
  const direct = (f: BookView) => {
    sink += f.bids.length;
  };
  const dT0 = performance.now();
  for (let k = 0; k < rounds * 10; k++) for (const f of frames) direct(f);
  const directNsPerBook = ((performance.now() - dT0) * 1e6) / (frames.length * rounds * 10);
  if (sink === 0) throw new Error('no levels');

  const fig = (k: string, v: number, digits = 1) => (out[k] = +v.toFixed(digits));
  fig('fork: books/s, 1 book per message', one.booksPerSec, 0);
  fig('fork: books/s, 32 books per message', batched.booksPerSec, 0);
  fig('fork: MB/s, 32 books per message', (batched.booksPerSec * bytesPerBook) / 1e6, 2);
  fig('fork: one-way latency p50 us (1000 frames/s)', pct(lat, 50));
  fig('fork: one-way latency p99 us (1000 frames/s)', pct(lat, 99));
  fig('fork: one-way latency p99.9 us (1000 frames/s)', pct(lat, 99.9));
  fig('fork: round trip p50 us', pct(rtt, 50));
  fig('fork: round trip p99 us', pct(rtt, 99));
  fig('in-process port pair: books/s, 1 book per message', memBooksPerSec, 0);
  fig('in-process port pair: round trip p50 us', pct(memRtt, 50));
  fig('in-process port pair: round trip p99 us', pct(memRtt, 99));
  fig('direct call (publisher beside the books): ns per book', directNsPerBook, 2);

  for (const [k, v] of Object.entries(out)) console.log(`processBoundary: ${k}: ${v}`);
  const dir = join(repoRoot, 'bench-results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'processBoundary.json'), `${JSON.stringify({ date: new Date().toISOString(), node: process.version, figures: out }, null, 2)}\n`);
  return out;
}

if (import.meta.main) await run();
