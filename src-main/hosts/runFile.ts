/**
 * `<dataDir>/run/serve.json`: how tools on the same machine find a running headless host
 * (`depthdesk export-diagnostics`). It holds the console URL, which carries the access token, so
 * it is written with mode 0600 in a 0700 folder: only the user who runs Depthdesk can read it
 * (on Windows the user's profile folder gives the same protection). A host removes it on stop
 * if it is still its own; a file left by a killed host names a pid that no longer runs, which
 * the reader reports instead of trying a dead URL.
 */
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface ServeRunInfo {
  /** The console URL with its token. */
  url: string;
  pid: number;
  build: string;
  startedMs: number;
  dataDir: string;
}

export function runFilePath(runDir: string): string {
  return join(runDir, 'serve.json');
}

/** Write the run file; a failure is returned (the host runs on without it), never thrown. */
export function writeRunFile(path: string, info: ServeRunInfo): string | null {
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileSync(path, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
    // An existing file keeps its old mode through writeFileSync: set it explicitly.
    chmodSync(path, 0o600);
    return null;
  } catch (e) {
    return `cannot write ${path}: ${(e as Error).message}`;
  }
}

export type RunFileRead = { ok: true; info: ServeRunInfo } | { ok: false; why: string };

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function readRunFile(path: string): RunFileRead {
  let info: ServeRunInfo;
  try {
    info = JSON.parse(readFileSync(path, 'utf8')) as ServeRunInfo;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { ok: false, why: code === 'ENOENT' ? `${path} does not exist: no headless Depthdesk runs with this data folder` : `${path}: ${(e as Error).message}` };
  }
  if (typeof info.url !== 'string' || typeof info.pid !== 'number') return { ok: false, why: `${path} is not a Depthdesk run file` };
  if (!alive(info.pid)) return { ok: false, why: `${path} names pid ${info.pid}, which is not running (a host that was killed)` };
  return { ok: true, info };
}

/** Remove the run file if it still describes this process. */
export function removeRunFile(path: string, pid: number = process.pid): void {
  try {
    const info = JSON.parse(readFileSync(path, 'utf8')) as ServeRunInfo;
    if (info.pid === pid) rmSync(path, { force: true });
  } catch {
    // Gone already, or not ours to remove.
  }
}
