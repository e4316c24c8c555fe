/**
 * Feed process entry: one shard of venues (its books, connections and REST budgets, and the
 * multicast publisher beside them) served to the supervisor over whichever port this process
 * was started with: Electron's `process.parentPort` in the app, the fork IPC channel under the
 * headless host and in tests. Everything else lives in engineHost.ts.
 */
import type { Peer } from '../../src-shared/contracts/rpc.ts';
import { serveEngine } from './engineHost.ts';
import { installCrashHandlers } from './crashHandlers.ts';
import { hostPort } from './processPorts.ts';
import { readPayload } from './processPayload.ts';

const payload = readPayload();
let peer: Peer | null = null;
installCrashHandlers(() => peer, payload.name);
const host = await serveEngine(hostPort(), payload);
peer = host.peer;
await host.closed;
// 70 when the crash handler closed the connection, 0 when the supervisor asked us to stop.
process.exit(process.exitCode ?? 0);
