/**
 * What a feed process records about itself besides its log: the raw recorder (every frame of the
 * venues `recorder.venues` names, to rolling gzip files) and the incident captures (rings of
 * every connection's recent frames, written around resyncs, stale connections and restarts).
 * Built from the payload's `output` settings; absent settings (tests starting bare processes)
 * mean neither runs and the feed pays nothing per frame.
 *
 * Failures of either (an unwritable folder, a full disk) never stop the feed: each is logged
 * and raised once per occurrence as an error notice, which the console shows, while the books
 * stay live. The recorder retries a new file after its retry delay.
 */
import type { EngineServiceOptions, EngineService } from '../engine/services/engineService.ts';
import { IncidentRecorder } from '../engine/record/incidents.ts';
import { RawRecorder } from '../engine/record/rawRecorder.ts';
import type { Logger } from '../engine/services/logger.ts';
import { registerSecret } from '../engine/services/logger.ts';
import { recordedVenues, secretValues } from './config.ts';
import type { ProcessOutput } from './processPayload.ts';

export interface FeedRecording {
  recorder: RawRecorder | null;
  incidents: IncidentRecorder | null;
  /** Options to hand to the EngineService (tap and incidents). */
  serviceOptions: Pick<EngineServiceOptions, 'tap' | 'incidents'>;
  /** Log the service's transitions, resync starts and the recorders' errors and captures. */
  wire(service: EngineService, log: Logger): void;
  /** Flush the recorder's files and every open capture. */
  close(): Promise<void>;
}

const MIB = 2 ** 20;

export function feedRecording(out: ProcessOutput | undefined, processName: string, env: Record<string, string | undefined> = process.env): FeedRecording {
  // Credentials reach this process only through its environment (the payload carries none):
  // register them so that no log line or capture written here can show them.
  for (const v of secretValues(env)) registerSecret(v);
  const recorder =
    out?.recorder.enabled === true
      ? new RawRecorder({
          dir: out.paths.recordings,
          venues: recordedVenues(out.recorder),
          maxFileBytes: out.recorder.maxFileMiB * MIB,
          maxFileAgeMs: out.recorder.maxFileMinutes * 60_000,
          maxTotalBytes: out.recorder.maxTotalGiB * 1024 * MIB,
          maxAgeMs: out.recorder.maxAgeDays * 86_400_000,
        })
      : null;
  const incidents =
    out?.incidents.enabled === true
      ? new IncidentRecorder({ dir: out.paths.incidents, beforeMs: out.incidents.beforeMs, afterMs: out.incidents.afterMs, maxIncidents: out.incidents.maxKept })
      : null;
  return {
    recorder,
    incidents,
    serviceOptions: { ...(recorder ? { tap: recorder } : {}), ...(incidents ? { incidents } : {}) },
    wire(service, log) {
      log.info('recording', {
        recorder: recorder ? { dir: out!.paths.recordings, venues: out!.recorder.venues } : 'off',
        incidents: incidents ? { dir: out!.paths.incidents, beforeMs: out!.incidents.beforeMs, afterMs: out!.incidents.afterMs } : 'off',
      });
      service.on('feed.transition', (t) => log.info(`${t.from} -> ${t.to}`, { venue: t.venue, symbol: t.symbol, cause: t.cause, ...(t.detail ? { detail: t.detail } : {}) }));
      service.on('feed.resync', (r) => {
        if (r.outcome === 'pending') log.warn('resync started', { venue: r.venue, symbol: r.symbol, cause: r.cause, detail: r.detail, ...(r.incident ? { incident: r.incident.path } : {}) });
      });
      recorder?.onError((message) => {
        log.error(message, { component: 'recorder' });
        service.report('error', `${processName}: ${message}; the books stay live, this recording is incomplete`);
      });
      incidents?.onError((message) => {
        log.error(message, { component: 'incidents' });
        service.report('error', `${processName}: ${message}; the books stay live, this capture is lost`);
      });
      incidents?.onWritten((r) => {
        const first = r.events[0];
        log.info('incident capture written', { ...(first ? { venue: first.venue, ...(first.symbol ? { symbol: first.symbol } : {}) } : {}), incident: r.path, events: r.events.length, frames: r.frames, bytes: r.bytes });
      });
    },
    async close() {
      await incidents?.flush();
      await recorder?.close();
    },
  };
}
