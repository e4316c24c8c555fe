/**
 * Starts engine processes as Node children: `child_process.fork(entry, { serialization:
 * 'advanced' })`, the faithful stand-in for Electron's utility processes (a separate process,
 * structured clone on the wire). Used by the headless host and by tests; the Electron shell has
 * its own launcher over `utilityProcess.fork` (src-main/app/utilityLauncher.ts).
 *
 * The child's stderr is read line by line: the supervisor keeps the last lines as the crash
 * reason, and the host passes them on to its log.
 */
import { fork } from 'node:child_process';
import { createInterface } from 'node:readline';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ExitInfo, LaunchedProcess, ProcessLauncher } from './supervisor.ts';
import type { ProcessPayload } from './processPayload.ts';
import { payloadArg } from './processPayload.ts';
import { childProcessPort } from './processPorts.ts';

/** The entries this checkout runs (TypeScript sources, type-stripped by Node). */
export const SOURCE_ENTRIES: Record<ProcessPayload['role'], string> = {
  feed: resolve(import.meta.dirname, 'feed.entry.ts'),
};

export interface ForkLauncherOptions {
  entries?: Partial<Record<ProcessPayload['role'], string>>;
  /** Extra environment for the children (merged over this process's). */
  env?: Record<string, string>;
  /** Every stderr/stdout line of a child, for the host's log. */
  onOutput?(name: string, stream: 'stdout' | 'stderr', line: string): void;
}

export function forkLauncher(opts: ForkLauncherOptions = {}): ProcessLauncher {
  const entries = { ...SOURCE_ENTRIES, ...opts.entries };
  return {
    launch(payload: ProcessPayload): LaunchedProcess {
      const entry = entries[payload.role];
      if (!existsSync(entry)) throw new Error(`entry ${entry} does not exist`);
      const child = fork(entry, [payloadArg(payload)], {
        serialization: 'advanced',
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        // Own process group on POSIX: Ctrl+C (SIGINT to the terminal's group) reaches only the host,
        // which stops its children in order. A child still exits when the host dies, because its
        // IPC channel closes (engineHost.ts). On Windows `detached` would open a console window.
        detached: process.platform !== 'win32',
        // Node >= 22.18 strips types by itself; the parent's flags (test runners, inspectors) stay with the parent.
        execArgv: [],
        env: { ...process.env, ...opts.env, DEPTHDESK_BUILD: payload.build },
      });
      const port = childProcessPort(child);
      const exitFns: ((e: ExitInfo) => void)[] = [];
      const stderrFns: ((l: string) => void)[] = [];
      let exited: ExitInfo | null = null;
      const finish = (e: ExitInfo) => {
        if (exited) return;
        exited = e;
        for (const f of exitFns) f(e);
      };
      child.once('exit', (code, signal) => finish({ code, signal }));
      // 'error' without 'exit' = the process could not be spawned at all.
      child.once('error', (err) => {
        stderrFns.forEach((f) => f(`spawn error: ${err.message}`));
        if (child.exitCode === null && child.signalCode === null && child.pid === undefined) finish({ code: null, signal: null });
      });
      for (const stream of ['stdout', 'stderr'] as const) {
        const s = child[stream];
        if (!s) continue;
        createInterface({ input: s, crlfDelay: Infinity }).on('line', (line) => {
          if (stream === 'stderr') for (const f of stderrFns) f(line);
          opts.onOutput?.(payload.name, stream, line);
        });
      }
      return {
        pid: child.pid ?? null,
        port,
        onExit: (fn) => {
          if (exited) fn(exited);
          else exitFns.push(fn);
        },
        onStderr: (fn) => stderrFns.push(fn),
        kill: () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        },
      };
    },
  };
}
