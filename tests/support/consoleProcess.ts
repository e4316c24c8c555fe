/**
 * `depthdesk serve` / `start` as a real separate process for tests: started from bin/depthdesk.js,
 * resolved once it prints its console URL (rejected with its output if it exits first).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import { repoRoot } from './data.ts';

export interface ConsoleProcess {
  proc: ChildProcess;
  /** The printed console URL, token included. */
  url: string;
  /** http://127.0.0.1:<port> */
  base: string;
  token: string;
  /** Every stdout line so far. */
  lines: string[];
  exited: Promise<number | null>;
}

export function launchConsole(command: 'serve' | 'start', args: string[], env: NodeJS.ProcessEnv, track?: ChildProcess[]): Promise<ConsoleProcess> {
  const proc = spawn(process.execPath, [join(repoRoot, 'bin/depthdesk.js'), command, ...args], { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  track?.push(proc);
  const lines: string[] = [];
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return new Promise((resolve, reject) => {
    let buf = '';
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        lines.push(line);
        const m = /^Depthdesk console: ((http:\/\/127\.0\.0\.1:\d+)\/\?token=([A-Za-z0-9_-]+))$/.exec(line);
        if (m) resolve({ proc, url: m[1]!, base: m[2]!, token: m[3]!, lines, exited });
      }
    });
    let err = '';
    proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    void exited.then((code) => reject(new Error(`depthdesk ${command} exited ${code} before printing its URL:\n${lines.join('\n')}\n${err}`)));
  });
}

/** GET an API path with the console's token; JSON unless `text`; rejects on an HTTP error. */
export function consoleGet<T>(c: ConsoleProcess, path: string, text = false): Promise<T> {
  return new Promise((resolve, reject) => {
    request(`${c.base}${path}`, { headers: { authorization: `Bearer ${c.token}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (b: Buffer) => chunks.push(b));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if ((res.statusCode ?? 500) >= 400) reject(new Error(`${path}: ${res.statusCode} ${body}`));
        else resolve((text ? body : JSON.parse(body)) as T);
      });
    })
      .on('error', reject)
      .end();
  });
}
