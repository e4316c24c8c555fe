/**
 * What an engine process is told when it starts: its name, its shard of venues and the settings
 * it needs. Passed as one command-line argument so it works the same for `child_process.fork`
 * and Electron's `utilityProcess.fork` (both hand `args` to the child's `process.argv`), is
 * visible in `ps` for an operator, and needs no first-message handshake before `hello`.
 * Credentials are not passed: public market data needs none.
 */
import type { Role } from '../../src-shared/contracts/engineApi.ts';
import type { DataPaths, IncidentSettings, LogSettings, MulticastConfig, RecorderSettings, VenueConfig } from './config.ts';

export const PAYLOAD_ARG = '--depthdesk-process=';

export interface ProcessPayload {
  name: string;
  role: Extract<Role, 'feed'>;
  /** Build id of the supervisor that started it (the child reports its own in hello). */
  build: string;
  venues: VenueConfig[];
  /** Levels per side kept and served per book; 0 = all. */
  bookDepth: number;
  /** How many times this process has been restarted (0 = first start). */
  restart: number;
  /** Multicast settings when the publisher runs beside the books in this process. */
  multicast: MulticastConfig | null;
  /** Where this process may write (logs, recordings). */
  dataDir: string;
  mode: 'live' | 'replay';
  /**
   * The folders and the settings of what a feed process writes itself (its log file, raw
   * recordings, incident captures). Absent in tests that start bare processes.
   */
  output?: ProcessOutput;
}

export interface ProcessOutput {
  paths: DataPaths;
  logs: LogSettings;
  recorder: RecorderSettings;
  incidents: IncidentSettings;
}

export function payloadArg(p: ProcessPayload): string {
  return `${PAYLOAD_ARG}${JSON.stringify(p)}`;
}

/** The payload from argv; a clear message when the entry was started by hand. */
export function readPayload(argv: readonly string[] = process.argv): ProcessPayload {
  const arg = argv.find((a) => a.startsWith(PAYLOAD_ARG));
  if (arg === undefined) throw new Error(`missing ${PAYLOAD_ARG}{...}: engine entries are started by the supervisor (npx depthdesk serve / start), not by hand`);
  const p = JSON.parse(arg.slice(PAYLOAD_ARG.length)) as ProcessPayload;
  if (typeof p.name !== 'string' || !Array.isArray(p.venues)) throw new Error(`${PAYLOAD_ARG}: needs name and venues`);
  return p;
}
