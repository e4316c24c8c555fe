/**
 * Which engine processes to run for a configuration: the venues sharded over the feed processes,
 * the publisher beside the books when multicast is on, and the supervisor policy. Shared by the
 * headless host and the Electron shell so both run the same processes; free of engine runtime
 * imports so that the Electron main process can use it.
 */
import type { DepthdeskConfig, MulticastConfig, VenueConfig } from './config.ts';
import { dataPaths, shardVenues } from './config.ts';
import type { ProcessSpec, SupervisorPolicy } from './supervisor.ts';

export interface ProcessPlan {
  processes: ProcessSpec[];
  policy: Partial<SupervisorPolicy>;
  /** The publisher's settings when it runs (beside the books), else null. */
  multicast: MulticastConfig | null;
}

/** `cfg` is the effective configuration (limited mode applied); `venues` the ones to run. */
export function planProcesses(cfg: DepthdeskConfig, venues: VenueConfig[], dataDir: string, multicastOn: boolean = cfg.multicast.enabled): ProcessPlan {
  const multicast = multicastOn && cfg.processes.publisher === 'beside-books' ? { ...cfg.multicast, enabled: true } : null;
  const output = { paths: { ...dataPaths(cfg), dataDir }, logs: cfg.logs, recorder: cfg.recorder, incidents: cfg.incidents };
  const processes: ProcessSpec[] = shardVenues(venues, cfg.processes.feeds).map((s, i) => ({ name: `feed-${i}`, role: 'feed', venues: s, bookDepth: cfg.depth, multicast, dataDir, output }));
  return {
    processes,
    multicast,
    policy: {
      heartbeatMs: cfg.processes.heartbeatMs,
      unresponsiveAfterMs: cfg.processes.unresponsiveAfterMs,
      backoffInitialMs: cfg.processes.backoffInitialMs,
      backoffMaxMs: cfg.processes.backoffMaxMs,
      crashLoopCount: cfg.processes.crashLoopCount,
      crashLoopWindowMs: cfg.processes.crashLoopWindowMs,
    },
  };
}
