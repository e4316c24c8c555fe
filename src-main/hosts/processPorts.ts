/**
 * The engine's port interface (`Port`, src-shared/contracts/rpc.ts) over the process boundaries
 * the engine runs across:
 * - `childProcessPort`: the parent's end of `child_process.fork(entry, { serialization: 'advanced' })`
 *   (the headless host and tests; structured clone like Electron's utility processes);
 * - `processIpcPort`: the same boundary seen from inside the forked child;
 * - `parentPortPort`: inside an Electron utility process, `process.parentPort`
 *   (https://www.electronjs.org/docs/latest/api/parent-port). Typed structurally because engine
 *   and host code never import electron.
 *
 * Entries call `hostPort()`, which picks whichever of the two child-side ends exists, so one entry
 * file runs unchanged under the headless host and inside Electron.
 */
import type { ChildProcess } from 'node:child_process';
import type { Port } from '../../src-shared/contracts/rpc.ts';
import { channelPort, isEnvelope } from '../../src-shared/contracts/transports.ts';

/** Parent side of a forked child with an IPC channel. */
export function childProcessPort(child: ChildProcess): Port {
  const ends = channelPort(
    (msg) => {
      if (!child.connected) return;
      // The callback form reports a channel that closed mid-send instead of throwing later.
      child.send(msg, (err) => {
        if (err) ends.end(`IPC send failed: ${err.message}`);
      });
    },
    () => {
      if (child.connected) child.disconnect();
    },
  );
  child.on('message', (m) => {
    if (isEnvelope(m)) ends.deliver(m);
  });
  child.once('disconnect', () => ends.end('IPC channel disconnected'));
  child.once('exit', (code, signal) => ends.end(signal ? `exited by ${signal}` : `exited with code ${code}`));
  return ends.port;
}

/** Child side of a fork: the process's own IPC channel to its parent. */
export function processIpcPort(proc: NodeJS.Process = process): Port {
  if (typeof proc.send !== 'function') throw new Error('processIpcPort: this process was not started with an IPC channel (child_process.fork)');
  const ends = channelPort(
    (msg) => {
      if (!proc.connected || proc.send === undefined) return;
      proc.send(msg, undefined, undefined, (err) => {
        if (err) ends.end(`IPC send failed: ${err.message}`);
      });
    },
    () => {
      if (proc.connected) proc.disconnect?.();
    },
  );
  proc.on('message', (m) => {
    if (isEnvelope(m)) ends.deliver(m);
  });
  proc.once('disconnect', () => ends.end('parent disconnected'));
  return ends.port;
}

/** The shape of Electron's `process.parentPort` (a MessagePortMain-like endpoint) this adapter uses. */
export interface ParentPortLike {
  on(event: 'message', listener: (e: { data: unknown }) => void): unknown;
  postMessage(message: unknown): void;
}

/**
 * Inside an Electron utility process. The parent port has no close event: Electron kills a
 * utility process when its parent goes, so closing here only stops delivery.
 */
export function parentPortPort(pp: ParentPortLike): Port {
  const ends = channelPort(
    (msg) => pp.postMessage(msg),
    () => {},
  );
  pp.on('message', (e) => {
    if (isEnvelope(e.data)) ends.deliver(e.data);
  });
  return ends.port;
}

/** The child-side port of whichever host started this process. */
export function hostPort(proc: NodeJS.Process = process): Port {
  const pp = (proc as NodeJS.Process & { parentPort?: ParentPortLike }).parentPort;
  if (pp !== undefined) return parentPortPort(pp);
  if (typeof proc.send === 'function') return processIpcPort(proc);
  throw new Error('this entry runs as an Electron utility process or a forked child (child_process.fork with an IPC channel), not on its own');
}
