/**
 * Publisher and receivers over real multicast sockets on loopback (docs toolchain recipe: the
 * receiver binds 0.0.0.0:port with reuseAddr and joins with interface 127.0.0.1; the publisher
 * binds 127.0.0.1, names the interface, loopback on, TTL 1). Market data is the real Binance
 * recording. Receivers join on time, late, and behind a seeded lossy shim; at quiescence each
 * must hold exactly the publisher's published books with matching checksums, and the lossy one
 * must report the gaps it recovered. A tap socket checks every datagram on the wire. The
 * `depthdesk listen` command is run against the same feed.
 *
 * No timing assertions: conditions are awaited (bounded by the test timeout), never timed.
 */
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import path from 'node:path';
import { setImmediate as yieldTurn, setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { openPublisher, type MulticastPublisher, type PublisherConfig } from '../../../src-main/engine/publish/multicastPublisher.ts';
import { openReceiver, type MulticastReceiver, type ReceiverConfig } from '../../../src-main/engine/publish/receiver.ts';
import { channelEndpoints } from '../../../src-main/engine/publish/channelAddressing.ts';
import { Impairment } from '../../../src-main/engine/publish/impairment.ts';
import { listenCommand } from '../../../src-main/cli/listen.ts';
import { decodePacket } from '../../../src-shared/wire/packetDecoder.ts';
import { BinanceDepthReplay } from '../../unit/publish/binanceDepthReplay.ts';

const disposers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (disposers.length > 0) await disposers.pop()!();
});

async function publisher(config: PublisherConfig): Promise<MulticastPublisher> {
  const r = await openPublisher({
    interface: '127.0.0.1',
    ttl: 1,
    depth: 20,
    statusIntervalMs: 300,
    snapshotPacketsPerSecond: 500,
    heartbeatIntervalMs: 100,
    endOfSessionRepeats: 2,
    endOfSessionIntervalMs: 20,
    ...config,
  });
  if (!r.ok) throw new Error(r.error.detail);
  disposers.push(() => r.publisher.close());
  return r.publisher;
}

async function receiver(config: ReceiverConfig): Promise<MulticastReceiver> {
  const r = await openReceiver({ interface: '127.0.0.1', ...config });
  if (!r.ok) throw new Error(r.error.detail);
  disposers.push(() => r.receiver.close());
  return r.receiver;
}

/** Await a condition; the test timeout bounds the wait. */
async function until(what: string, cond: () => boolean, describeState: () => unknown = () => ''): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`never reached: ${what}\n${JSON.stringify(describeState(), null, 1)}`);
    await sleep(20);
  }
}

function converged(pub: MulticastPublisher, rx: MulticastReceiver): boolean {
  const published = pub.publishedBooks();
  const got = rx.books();
  if (published.size === 0 || got.size !== published.size) return false;
  for (const [key, p] of published) {
    const b = got.get(key);
    if (!b || b.state !== 'live' || b.bookSeq !== p.bookSeq || b.checksum !== p.checksum) return false;
  }
  return true;
}

function expectSameBooks(pub: MulticastPublisher, rx: MulticastReceiver): void {
  const published = pub.publishedBooks();
  const got = rx.books();
  expect([...got.keys()].sort()).toEqual([...published.keys()].sort());
  for (const [key, p] of published) {
    const b = got.get(key)!;
    expect({ key, state: b.state, bookSeq: b.bookSeq, bids: b.bids, asks: b.asks, checksum: b.checksum }).toEqual({
      key, state: 'live', bookSeq: p.bookSeq, bids: p.bids, asks: p.asks, checksum: p.checksum,
    });
  }
}

/** Replay the recording into the publisher, yielding to the event loop so packets flow. */
async function replay(pub: MulticastPublisher, onStep?: (i: number) => Promise<void> | void): Promise<void> {
  let i = 0;
  for (const s of new BinanceDepthReplay().steps()) {
    if (s.kind === 'book') pub.onBook(s.instrument, s.book, 'live', s.tsNs);
    else pub.onTrade(s.trade);
    await onStep?.(i);
    await yieldTurn();
    // Every few events let the timers run too, so deltas interleave with the snapshot loop.
    if (i % 10 === 9) await sleep(5);
    i++;
  }
}

/** A plain socket on a group, recording every datagram it sees. */
async function tap(group: string, port: number): Promise<Buffer[]> {
  const seen: Buffer[] = [];
  const s = dgram.createSocket({ type: 'udp4', reuseAddr: true });
  await new Promise<void>((r) => s.bind({ port, address: '0.0.0.0' }, () => r()));
  s.addMembership(group, '127.0.0.1');
  s.on('message', (m) => seen.push(m));
  disposers.push(() => new Promise<void>((r) => s.close(() => r())));
  return seen;
}

describe('OBMC publisher and receivers over loopback multicast', () => {
  it('on-time, late and lossy receivers all converge to the published books', async () => {
    const base = { group: '239.192.71.1', port: 47101 };
    const ep = channelEndpoints(base, 1);
    const incTap = await tap(ep.incremental.group, ep.incremental.port);
    const snapTap = await tap(ep.snapshot.group, ep.snapshot.port);
    const pub = await publisher({ ...base, maxDatagram: 1000 });
    const onTime = await receiver(ep.incremental);
    const shim = new Impairment({ seed: 20211012, lossRate: 0.1, burstProbability: 0.03, burstLength: 3, applyTo: 'incremental' });
    const lossy = await receiver({ ...ep.incremental, impairment: shim });
    let late: MulticastReceiver | undefined;
    await replay(pub, async (i) => {
      if (i === 80) late = await receiver(ep.incremental);
    });
    const all = [onTime, lossy, late!];
    await until('every receiver converged', () => all.every((r) => converged(pub, r)), () => all.map((r) => r.instruments()));

    for (const r of all) expectSameBooks(pub, r);
    expect(onTime.channel().channelGaps).toBe(0);
    expect(onTime.instruments().every((v) => v.gaps === 0 && v.recoveries === 0 && v.syncs === 1)).toBe(true);
    expect(late!.instruments().every((v) => v.syncs === 1)).toBe(true);

    // The lossy receiver saw holes in the channel and rebuilt the damaged books.
    expect(shim.stats().dropped).toBeGreaterThan(0);
    const lc = lossy.channel();
    expect(lc.channelGaps).toBeGreaterThan(0);
    const nkn = lossy.instruments().find((v) => v.symbol === 'NKNUSDT')!;
    expect(nkn.gaps).toBeGreaterThan(0);
    expect(nkn.recoveries).toBeGreaterThan(0);
    for (const r of all) expect(r.instruments().every((v) => v.checksumMismatch === 0)).toBe(true);
    for (const r of all) expect(r.channel().internalErrors).toBe(0);

    // Everything on the wire decodes, is within the datagram budget and names its channel.
    expect(incTap.length).toBeGreaterThan(0);
    expect(snapTap.length).toBeGreaterThan(0);
    for (const [packets, type] of [[incTap, 1], [snapTap, 2]] as const) {
      for (const p of packets) {
        const d = decodePacket(p);
        expect(d.ok).toBe(true);
        if (!d.ok) continue;
        expect(p.length).toBeLessThanOrEqual(1000);
        expect(d.packet.header.channelId).toBe(1);
        expect(d.packet.header.channelType).toBe(type);
      }
    }
    const stats = pub.stats();
    expect(stats.instrumentsPublished).toBe(4);
    expect(stats.groups.map((g) => `${g.role} ${g.group}:${g.port}`)).toEqual([
      'incremental 239.192.71.1:47101',
      'snapshot 239.192.71.2:47102',
    ]);
    expect(stats.snapshotCycles).toBeGreaterThan(0);
    expect(stats.sendErrors).toBe(0);
  });

  it('ends the session: receivers see EndOfSession and the books stay as published', async () => {
    const base = { group: '239.192.72.1', port: 47201 };
    const ep = channelEndpoints(base, 1);
    const pub = await publisher(base);
    const rx = await receiver(ep.incremental);
    await replay(pub);
    await until('converged', () => converged(pub, rx), () => rx.instruments());
    const published = pub.publishedBooks();
    await pub.close();
    await until('end of session seen', () => rx.channel().ended, () => rx.channel());
    for (const [key, b] of rx.books()) expect(b.checksum).toBe(published.get(key)!.checksum);
    expect(rx.channel().heartbeats).toBeGreaterThan(0);
  });

  it('depthdesk listen prints JSON lines with every instrument LIVE at the published bookSeq', async () => {
    const base = { group: '239.192.73.1', port: 47301 };
    const ep = channelEndpoints(base, 1);
    const pub = await publisher(base);
    let out = '';
    const abort = new AbortController();
    const running = listenCommand(
      // The interface by subnet, as a desk would name it (docs/MULTICAST_DESK.md): 127.0.0.1 here.
      ['--group', ep.incremental.group, '--port', String(ep.incremental.port), '--interface', '127.0.0.0/8', '--json', '--interval', '100'],
      { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (out += s) }, signal: abort.signal },
    );
    await replay(pub);
    const published = pub.publishedBooks();
    const lastStatus = () => {
      const lines = out.split('\n').filter((l) => l.startsWith('{"type":"status"'));
      const last = lines.at(-1);
      return last ? (JSON.parse(last) as { channel: { channelId: number }; instruments: { symbol: string; state: string; bookSeq: number }[] }) : undefined;
    };
    await until(
      'listen reports every instrument live and current',
      () => {
        const s = lastStatus();
        return s !== undefined && s.instruments.length === published.size &&
          s.instruments.every((v) => v.state === 'live' && v.bookSeq === published.get(`binance-spot:${v.symbol}`)?.bookSeq);
      },
      () => out.slice(-2000),
    );
    abort.abort();
    expect(await running).toBe(0);
    const s = lastStatus()!;
    expect(s.channel.channelId).toBe(1);
    expect(s.instruments.map((v) => v.symbol).sort()).toEqual(['BLZETH', 'LRCBTC', 'NKNUSDT', 'RUNEEUR']);
    // Events were printed as their own JSON lines (first sync of each instrument at least).
    const events = out.split('\n').filter((l) => l.startsWith('{"type":"event"')).map((l) => JSON.parse(l) as { event: { type: string; to?: string } });
    expect(events.filter((e) => e.event.type === 'state' && e.event.to === 'live')).toHaveLength(4);
  });

  it('npx depthdesk listen, as its own process through the CLI dispatcher, follows the feed and stops cleanly on SIGTERM', async () => {
    const base = { group: '239.192.76.1', port: 47601 };
    const ep = channelEndpoints(base, 1);
    const pub = await publisher(base);
    const bin = path.resolve(import.meta.dirname, '../../../bin/depthdesk.js');
    const child = spawn(process.execPath, [bin, 'listen', '--group', ep.incremental.group, '--port', String(ep.incremental.port), '--json', '--interval', '100'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    disposers.push(async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    // The process has joined once it prints its first status line.
    await until('listen started', () => out.includes('{"type":"status"'), () => out);
    await replay(pub);
    const published = pub.publishedBooks();
    const last = () => {
      const line = out.split('\n').filter((l) => l.startsWith('{"type":"status"')).at(-1);
      return line ? (JSON.parse(line) as { instruments: { symbol: string; state: string; bookSeq: number; checksumMismatch: number }[] }) : undefined;
    };
    await until(
      'the listen process shows every instrument live at the published bookSeq',
      () => {
        const s = last();
        return s !== undefined && s.instruments.length === published.size &&
          s.instruments.every((v) => v.state === 'live' && v.bookSeq === published.get(`binance-spot:${v.symbol}`)?.bookSeq);
      },
      () => out.slice(-2000),
    );
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(last()!.instruments.every((v) => v.checksumMismatch === 0)).toBe(true);
  });

  it('rejects bad configurations with typed errors instead of throwing', async () => {
    const bad = [
      { group: '10.0.0.1', port: 47501 },
      { group: '224.0.0.5', port: 47501 },
      { group: '239.192.75.1', port: 0 },
      { group: '239.192.75.1', port: 47501, maxDatagram: 1473 },
      { group: '239.192.75.1', port: 47501, depth: 0 },
      { group: '239.192.75.1', port: 47501, channels: [{ channelId: 1 }, { channelId: 1 }] },
    ];
    for (const config of bad) {
      const r = await openPublisher(config);
      expect(r.ok, JSON.stringify(config)).toBe(false);
      if (!r.ok) expect(r.error.code).toBe('invalid-config');
    }
    const rx = await openReceiver({ group: '239.192.75.1', port: 47501, snapshotPort: 47501 });
    expect(rx.ok).toBe(false);
    if (!rx.ok) expect(rx.error.detail).toContain('different ports');
  });

  it('depthdesk listen prints a table, and rejects bad usage with exit 2', async () => {
    const base = { group: '239.192.74.1', port: 47401 };
    const ep = channelEndpoints(base, 1);
    const pub = await publisher(base);
    let out = '';
    const abort = new AbortController();
    const running = listenCommand(['--group', ep.incremental.group, '--port', String(ep.incremental.port), '--interval', '100'], {
      stdout: { write: (s: string) => (out += s) },
      stderr: { write: (s: string) => (out += s) },
      signal: abort.signal,
    });
    await replay(pub);
    await until('table shows NKNUSDT live', () => /\n\d+\s+binance-spot\s+NKNUSDT\s+LIVE\s+TRADING/.test(out), () => out.slice(-3000));
    abort.abort();
    expect(await running).toBe(0);
    expect(out).toContain('ID    EXCHANGE');
    expect(out).toContain('OBMC channel 1');

    let err = '';
    const io = { stdout: { write: (s: string) => (err += s) }, stderr: { write: (s: string) => (err += s) } };
    expect(await listenCommand(['--port', '47401'], io)).toBe(2);
    expect(err).toContain('--group and --port are required');
    expect(await listenCommand(['--group', '10.0.0.1', '--port', '47401'], io)).toBe(2);
    expect(err).toContain('not a usable IPv4 multicast address');
    expect(await listenCommand(['--group', '239.192.74.1', '--port', '47401', '--interface', 'no such adapter'], io)).toBe(2);
    expect(err).toContain('--interface: no interface named "no such adapter" with an IPv4 address (this host has ');
    expect(await listenCommand(['--group', '239.192.74.1', '--port', '47401', '--bogus'], io)).toBe(2);
    expect(err).toContain('unknown option --bogus');
  });
});
