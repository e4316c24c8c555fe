/**
 * Starts engine processes as Electron utility processes (`utilityProcess.fork`), the
 * production counterpart of hosts/forkLauncher.ts. The child runs the same entry
 * (hosts/feed.entry.ts, bundled as out/main/feed.js), which finds `process.parentPort`.
 *
 * Crash reasons: the `exit` event gives only a code, so the app's `child-process-gone` event
 * (reason: crashed, oom, killed, ...) is matched by service name and added to the exit.
 */
import { app, utilityProcess } from 'electron';
import type { UtilityProcess } from 'electron';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { channelPort, isEnvelope } from '../../src-shared/contracts/transports.ts';
import type { ExitInfo, LaunchedProcess, ProcessLauncher } from '../hosts/supervisor.ts';
import type { ProcessPayload } from '../hosts/processPayload.ts';
import { payloadArg } from '../hosts/processPayload.ts';

export function serviceName(payload: ProcessPayload): string {
  return `depthdesk-${payload.name}`;
}

export function utilityLauncher(entries: Record<ProcessPayload['role'], string>): ProcessLauncher {
  const goneReasons = new Map<string, string>();
  app.on('child-process-gone', (_e, details) => {
    if (details.type === 'Utility' && details.serviceName) goneReasons.set(details.serviceName, `${details.reason}${details.exitCode !== undefined ? `, exit code ${details.exitCode}` : ''}`);
  });
  return {
    launch(payload: ProcessPayload): LaunchedProcess {
      const name = serviceName(payload);
      goneReasons.delete(name);
      const child: UtilityProcess = utilityProcess.fork(entries[payload.role], [payloadArg(payload)], {
        serviceName: name,
        stdio: 'pipe',
        env: { ...process.env, DEPTHDESK_BUILD: payload.build },
      });
      const ends = channelPort(
        (msg) => child.postMessage(msg),
        () => child.kill(),
      );
      child.on('message', (m: unknown) => {
        if (isEnvelope(m)) ends.deliver(m);
      });
      const exitFns: ((e: ExitInfo) => void)[] = [];
      const stderrFns: ((l: string) => void)[] = [];
      let exited: ExitInfo | null = null;
      let pid: number | null = null;
      child.on('spawn', () => {
        pid = child.pid ?? null;
      });
      child.on('exit', (code) => {
        const reason = goneReasons.get(name);
        exited = { code, signal: null, ...(reason !== undefined ? { reason } : {}) };
        ends.end(`exited with code ${code}`);
        for (const f of exitFns) f(exited);
      });
      const err = child.stderr as Readable | null;
      if (err) createInterface({ input: err, crlfDelay: Infinity }).on('line', (line) => stderrFns.forEach((f) => f(line)));
      return {
        get pid() {
          return pid;
        },
        port: ends.port,
        onExit: (fn) => {
          if (exited) fn(exited);
          else exitFns.push(fn);
        },
        onStderr: (fn) => stderrFns.push(fn),
        kill: () => {
          // A wedged process ignores polite requests: SIGKILL where there is a pid, the utility API otherwise.
          if (pid !== null) {
            try {
              process.kill(pid, 'SIGKILL');
              return;
            } catch {
              // Already gone.
            }
          }
          child.kill();
        },
      };
    },
  };
}
