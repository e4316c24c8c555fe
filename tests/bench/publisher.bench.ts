/**
 * Multicast publisher: packets/s and book-update-to-send latency, on the Binance captures
 * (hftbacktest spot 10 min, USD-M 8 min, COIN-M 11 min), replayed at maximum speed through the
 * real venue sessions and books (VerifyRun, via RecordedEngine) into the real publisher
 * (wirePublisher, as a feed process attaches it) and a real UDP socket bound on 127.0.0.1
 * (multicast interface 127.0.0.1, TTL 1).
 *
 * Update-to-send latency is the time from the engine's applied-message hook to the moment the
 * datagram carrying that update's last message is handed to socket.send(), inside the
 * publishing process. It includes the publisher's diff and encoding and the hop to the
 * end-of-turn flush (setImmediate), exactly as in a feed process: the replay yields to the event
 * loop after every recorded message, as a socket read would, so the publisher's own timers
 * (snapshot loop, statuses, heartbeats) run and send on the same socket too.
 *
 * Also reported: the publish call alone (onBook: diff + encode), and the publisher's share of the
 * replay's wall time (the same replay without a publisher, compared), which is mostly the one
 * sendto() per packet. The target is p99 under 100 us; the figures are printed as measured,
 * never asserted. Other processes on the machine show up in p99 and beyond (preemption), so the
 * 1-minute load average at the start of each run is reported beside them.
 */
import dgram from 'node:dgram';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setImmediate as yieldTurn } from 'node:timers/promises';
import { wirePublisher } from '../../src-main/engine/publish/attachPublisher.ts';
import { MulticastPublisher, type DatagramSink } from '../../src-main/engine/publish/multicastPublisher.ts';
import { loadRecording } from '../../src-main/engine/replay/recording.ts';
import type { RecordLine } from '../../src-main/engine/replay/recording.ts';
import { dataPath } from '../support/data.ts';
import { RecordedEngine } from '../support/recordedEngine.ts';

const CAPTURES = [
  { name: 'binance spot BTCUSDT 10 min', file: 'binance/spot_BTCUSDT_2024-08-08T2354Z_10min.hftbacktest.ndjson.gz' },
  { name: 'binance usdm BTCUSDT 8 min', file: 'binance/usdm_BTCUSDT_2024-07-18T2357Z_8min.hftbacktest.ndjson.gz' },
  { name: 'binance coinm BTCUSD_PERP 11 min', file: 'binance/coinm_BTCUSD_PERP_2024-08-08T2354Z_11min.hftbacktest.ndjson.gz' },
];

const BASE = { group: '239.192.90.1', port: 49001 };
/** Levels per side: the OBMC design's default N. The console's configured depth is reported too. */
const DEPTHS = [20, 100];

/** A bound UDP socket set up like openPublisher's, with a clock read at every send(). */
async function timedSocket(onIncrementalSend: (atUs: number) => void): Promise<{ sink: DatagramSink; close(): Promise<void> }> {
  const socket = dgram.createSocket({ type: 'udp4' });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ address: '127.0.0.1', port: 0 }, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  socket.setMulticastInterface('127.0.0.1');
  socket.setMulticastTTL(1);
  socket.setMulticastLoopback(true);
  socket.setSendBufferSize(4 << 20);
  const sink: DatagramSink = {
    send(msg, port, address, callback) {
      // Incremental streams sit at even offsets from the base port (docs/PROTOCOLS.md section 1).
      if ((port - BASE.port) % 2 === 0) onIncrementalSend(performance.now() * 1000);
      socket.send(msg, port, address, callback);
    },
    close: (cb) => socket.close(cb),
    on: (event, listener) => socket.on(event, listener),
  };
  return { sink, close: () => new Promise<void>((r) => socket.close(() => r())) };
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface Figures {
  /** 1-minute load average when the run started. */
  load: number;
  seconds: number;
  updates: number;
  published: number;
  packets: number;
  bytes: number;
  maxPacket: number;
  sendErrors: number;
  toSend: Float64Array;
  call: Float64Array;
}

/** Replay `records` at full speed, yielding a turn per record; with or without a publisher. */
async function replay(file: string, records: readonly RecordLine[], depth: number | null): Promise<Figures> {
  const engine = new RecordedEngine([{ file, records }]);
  const toSend = new Float64Array(records.length);
  const call = new Float64Array(records.length);
  // Updates that produced output and wait for their datagram: hook times, in order.
  const waiting = new Float64Array(records.length);
  let waitHead = 0;
  let waitTail = 0;
  let nSend = 0;
  let nCall = 0;
  let updates = 0;
  let t0 = 0;
  let before = 0;
  let socket: { sink: DatagramSink; close(): Promise<void> } | undefined;
  let publisher: MulticastPublisher | undefined;
  if (depth !== null) {
    socket = await timedSocket((atUs) => {
      while (waitHead < waitTail) toSend[nSend++] = atUs - waiting[waitHead++]!;
    });
    publisher = new MulticastPublisher({ ...BASE, interface: '127.0.0.1', ttl: 1, depth, sessionId: 1, endOfSessionRepeats: 1, endOfSessionIntervalMs: 1 }, socket.sink);
    const pub = publisher;
    engine.beforeBook = () => {
      updates++;
      before = pub.bookMessages;
      t0 = performance.now() * 1000;
    };
    wirePublisher(engine, pub);
    // Registered after the publisher's listener, so it runs right after the publish call.
    engine.onBook(() => {
      call[nCall++] = performance.now() * 1000 - t0;
      if (pub.bookMessages !== before) waiting[waitTail++] = t0;
    });
  } else {
    engine.beforeBook = () => {
      updates++;
    };
  }
  const load = loadavg()[0]!;
  const start = performance.now();
  while (engine.step()) await yieldTurn();
  await yieldTurn();
  const seconds = (performance.now() - start) / 1000;
  const st = publisher?.stats();
  await publisher?.close();
  return {
    load,
    seconds,
    updates,
    published: waitTail,
    packets: st?.packets ?? 0,
    bytes: st?.bytes ?? 0,
    maxPacket: st?.maxPacketBytes ?? 0,
    sendErrors: st?.sendErrors ?? 0,
    toSend: toSend.subarray(0, nSend).sort(),
    call: call.subarray(0, nCall).sort(),
  };
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

export async function run(): Promise<Record<string, number | string>> {
  const out: Record<string, number | string> = {};
  let allSend: number[] = [];
  for (const cap of CAPTURES) {
    const file = cap.file.split('/').pop()!;
    const records = await loadRecording(dataPath(cap.file));
    // JIT warm-up on the same data, then the engine alone, then engine + publisher per depth.
    await replay(file, records, 20);
    gc();
    const base = await replay(file, records, null);
    for (const depth of DEPTHS) {
      gc();
      const f = await replay(file, records, depth);
      const key = `${cap.name} depth ${depth}`;
      const p50 = percentile(f.toSend, 50);
      const p99 = percentile(f.toSend, 99);
      const p999 = percentile(f.toSend, 99.9);
      const share = (100 * (f.seconds - base.seconds)) / f.seconds;
      out[`${key}: book updates`] = f.updates;
      out[`${key}: updates that changed the top ${depth}`] = f.published;
      out[`${key}: packets`] = f.packets;
      out[`${key}: packets/s`] = Math.round(f.packets / f.seconds);
      out[`${key}: bytes/s`] = Math.round(f.bytes / f.seconds);
      out[`${key}: largest packet bytes`] = f.maxPacket;
      out[`${key}: update-to-send p50 us`] = +p50.toFixed(2);
      out[`${key}: update-to-send p99 us`] = +p99.toFixed(2);
      out[`${key}: update-to-send p99.9 us`] = +p999.toFixed(2);
      out[`${key}: publish call p50 us`] = +percentile(f.call, 50).toFixed(2);
      out[`${key}: publish call p99 us`] = +percentile(f.call, 99).toFixed(2);
      out[`${key}: publisher share of replay time %`] = +share.toFixed(1);
      out[`${key}: load average at start`] = +f.load.toFixed(2);
      if (f.sendErrors > 0) out[`${key}: send errors`] = f.sendErrors;
      if (depth === 20) allSend = allSend.concat(Array.from(f.toSend));
      console.log(
        `publisher: ${key}: ${f.updates} book updates (${f.published} changed the top ${depth}) in ${(f.seconds * 1000).toFixed(0)} ms ` +
          `(engine alone ${(base.seconds * 1000).toFixed(0)} ms) => ${Math.round(f.packets / f.seconds)} packets/s, ` +
          `${(f.bytes / f.seconds / 1e6).toFixed(2)} MB/s, ${f.packets} packets (largest ${f.maxPacket} B)\n` +
          `           update-to-send p50 ${p50.toFixed(2)} us p99 ${p99.toFixed(2)} us p99.9 ${p999.toFixed(2)} us (target p99 < 100 us: ${p99 < 100 ? 'met' : 'NOT met'}); ` +
          `publish call p50 ${percentile(f.call, 50).toFixed(2)} us p99 ${percentile(f.call, 99).toFixed(2)} us; publisher ${share.toFixed(0)}% of the replay time; load average ${f.load.toFixed(2)}` +
          `${f.sendErrors > 0 ? `; ${f.sendErrors} send errors` : ''}`,
      );
    }
  }
  const all = Float64Array.from(allSend).sort();
  out['all captures depth 20: update-to-send p50 us'] = +percentile(all, 50).toFixed(2);
  out['all captures depth 20: update-to-send p99 us'] = +percentile(all, 99).toFixed(2);
  console.log(`publisher: all captures, depth 20: update-to-send p50 ${percentile(all, 50).toFixed(2)} us p99 ${percentile(all, 99).toFixed(2)} us over ${all.length} updates`);
  return out;
}

if (import.meta.main) {
  await run();
}
