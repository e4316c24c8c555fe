/**
 * Serves one feed process's `EngineService` over a `Port` with a `Peer`: the process side of the
 * supervisor connection. The entry files (feed.entry.ts) are thin: they pick the host's port and
 * call `serveEngine`; this file holds everything else so it also runs in-process in tests.
 *
 * - hello first (the Peer sends it on construction), then the service starts;
 * - every engine event is forwarded to the supervisor; `process.ping` is answered from this
 *   event loop, so a wedged process misses its heartbeat;
 * - the multicast publisher runs here, beside the books, when the payload enables it: every
 *   applied message and every state change of a book reaches it synchronously, with no process
 *   hop between the book and the socket (docs/ARCHITECTURE.md has the measurement);
 * - when the supervisor goes away or asks to stop, the service and the publisher are closed and
 *   the process exits.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { EngineTopic } from '../../src-shared/contracts/engineApi.ts';
import { PROTOCOL_VERSION } from '../../src-shared/contracts/engineApi.ts';
import { Peer } from '../../src-shared/contracts/rpc.ts';
import type { Port } from '../../src-shared/contracts/rpc.ts';
import type { VenueId } from '../../src-shared/model/market.ts';
import { EngineService } from '../engine/services/engineService.ts';
import type { EngineServiceOptions } from '../engine/services/engineService.ts';
import { selectVenues } from './venueSelection.ts';
import { Logger } from '../engine/services/logger.ts';
import { attachPublisher } from '../engine/publish/attachPublisher.ts';
import type { AttachedPublisher } from '../engine/publish/attachPublisher.ts';
import { VENUE_CHANNEL } from '../engine/publish/channelAddressing.ts';
import type { MulticastConfig } from './config.ts';
import type { ProcessPayload } from './processPayload.ts';
import { buildId } from './buildInfo.ts';
import { feedRecording } from './feedRecording.ts';

const FORWARDED: EngineTopic[] = ['feed.transition', 'feed.resync', 'feed.notice', 'stats.frame', 'book.frame'];

export interface EngineHost {
  service: EngineService;
  peer: Peer;
  publisher: AttachedPublisher | null;
  /** Resolves once the service and publisher are closed after the connection ended. */
  closed: Promise<string>;
}

export interface ServeOptions {
  /** Extra service options (tests shorten timings). */
  service?: Partial<EngineServiceOptions>;
}

/** Publisher settings from the configuration; channel per venue, or one channel for this process's venues. */
function publisherConfig(mc: MulticastConfig, depth: number, venues: VenueId[], sessionStatePath: string | undefined) {
  return {
    group: mc.group,
    port: mc.port,
    interface: mc.interface,
    ttl: mc.ttl,
    loopback: mc.loopback,
    maxDatagram: mc.maxPacketBytes,
    depth,
    channels: mc.grouping === 'venue' ? ('venue' as const) : [{ channelId: Math.min(...venues.map((v) => VENUE_CHANNEL[v])), venues }],
    ...(sessionStatePath !== undefined ? { sessionStatePath } : {}),
  };
}

export async function serveEngine(port: Port, payload: ProcessPayload, opts: ServeOptions = {}): Promise<EngineHost> {
  const build = buildId();
  const startedMs = Date.now();
  // A configuration may name venues this build has no adapter for, or "all" symbols of a venue
  // that cannot list them: those are reported, not fatal (a crash would only loop).
  const { venues, skipped } = await selectVenues(payload.venues);
  // Raw recorder and incident captures (feedRecording.ts), when the payload's settings turn them on.
  const recording = feedRecording(payload.output, payload.name);
  const service = new EngineService({ venues, processName: payload.name, bookDepth: payload.bookDepth, mode: payload.mode, build, ...recording.serviceOptions, ...opts.service });
  // The process's own log file (<logs>/<name>.log): lifecycle and every notice, with its identity.
  const out = payload.output;
  const log = new Logger(out ? { dir: out.paths.logs, process: payload.name, level: out.logs.level, maxFileBytes: out.logs.maxFileMiB * 2 ** 20, maxFiles: out.logs.maxFiles, echo: false } : { process: payload.name, echo: false, level: 'warn' });
  log.info('starting', { pid: process.pid, build, restart: payload.restart, venues: venues.map((v) => v.venue), mode: payload.mode });
  service.on('feed.notice', (n) => log.log(n.level, n.message, { ...(n.venue ? { venue: n.venue } : {}), ...(n.symbol ? { symbol: n.symbol } : {}) }));
  service.on('feed.resync', (r) => {
    if (r.outcome !== 'pending') log.info(`resync ${r.outcome}`, { venue: r.venue, symbol: r.symbol, cause: r.cause, durationMs: r.durationMs });
  });
  recording.wire(service, log);
  let publisher: AttachedPublisher | null = null;
  let publisherError: string | null = null;
  const base = service.handlers();
  const peer = new Peer(port, {
    hello: { protocolVersion: PROTOCOL_VERSION, build, role: 'feed', name: payload.name, pid: process.pid },
    handlers: {
      ...base,
      'status.get': () => {
        const st = service.status();
        return { ...st, publisher: publisher ? publisher.view() : payload.multicast?.enabled ? { enabled: false, groups: [], packetsPerSec: 0, bytesPerSec: 0, instruments: 0 } : null };
      },
      'process.ping': (p) => {
        const mem = process.memoryUsage();
        return { seq: p.seq, pid: process.pid, uptimeMs: Date.now() - startedMs, rssBytes: mem.rss, heapUsedBytes: mem.heapUsed };
      },
    },
  });
  for (const topic of FORWARDED) service.on(topic, (d) => peer.emit(topic, d as never));

  if (payload.multicast?.enabled) {
    let statePath: string | undefined;
    try {
      mkdirSync(payload.dataDir, { recursive: true });
      statePath = join(payload.dataDir, `publisher-${payload.name}.session`);
    } catch {
      // An unwritable data directory only costs the session-id memory across restarts in one second.
      statePath = undefined;
    }
    try {
      const r = await attachPublisher(service, publisherConfig(payload.multicast, payload.bookDepth, venues.map((v) => v.venue), statePath));
      if (r.ok) publisher = r.attached;
      else publisherError = `${r.error.code}: ${r.error.detail}`;
    } catch (e) {
      publisherError = (e as Error).message;
    }
  }

  let resolveClosed!: (r: string) => void;
  const closed = new Promise<string>((r) => (resolveClosed = r));
  let closing = false;
  port.onClose((reason) => {
    if (closing) return;
    closing = true;
    void (async () => {
      log.info('stopping', { reason });
      await publisher?.close();
      await service.stop();
      await recording.close();
      resolveClosed(reason);
    })();
  });

  await service.start();
  // A restarted process lost the books and rings of the one before: capture how its connections
  // come back (the supervisor's process-restart resyncs point at these captures).
  if (payload.restart > 0) service.captureAll('process-restart', `${payload.name} restarted (restart ${payload.restart}): its books resync from scratch`);
  for (const why of skipped) {
    log.error(`skipped ${why}`);
    peer.emit('feed.notice', { level: 'error', venue: null, symbol: null, message: `${payload.name} skipped ${why}`, tsMs: Date.now() });
  }
  if (publisherError !== null) {
    log.error(`multicast publisher not started: ${publisherError}`);
    peer.emit('feed.notice', { level: 'error', venue: null, symbol: null, message: `${payload.name}: multicast publisher not started: ${publisherError}`, tsMs: Date.now() });
  }
  return { service, peer, publisher, closed };
}
