/**
 * The build id every process puts in its `hello`. Processes of one installation ship from one
 * build, so a differing id means a stale process or a partial rebuild: the supervisor reports it.
 *
 * Order: DEPTHDESK_BUILD (set by packaging and passed to children), else package.json version
 * plus the checked-out commit read from .git (no git binary needed), else the version alone.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

let cached: string | undefined;

/**
 * Root of the checkout or the packaged app: the nearest folder above this module holding
 * package.json. Walked up rather than fixed, because the bundler may place this code in
 * out/main/ or out/main/chunks/ (and inside app.asar when packaged).
 */
export const appRoot = findRoot(import.meta.dirname);

function findRoot(start: string): string {
  let dir = start;
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return resolve(start, '../..');
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function gitCommit(root: string): string | undefined {
  const head = readText(join(root, '.git/HEAD'))?.trim();
  if (head === undefined) return undefined;
  if (!head.startsWith('ref: ')) return head.slice(0, 12);
  const ref = head.slice(5);
  const loose = readText(join(root, '.git', ref))?.trim();
  if (loose !== undefined) return loose.slice(0, 12);
  const packed = readText(join(root, '.git/packed-refs'));
  const line = packed?.split('\n').find((l) => l.endsWith(` ${ref}`));
  return line?.slice(0, 12);
}

export function buildId(root: string = appRoot): string {
  if (process.env['DEPTHDESK_BUILD']) return process.env['DEPTHDESK_BUILD'];
  if (cached !== undefined && root === appRoot) return cached;
  let version = '0.0.0';
  const pkg = readText(join(root, 'package.json'));
  if (pkg !== undefined) {
    const v = (JSON.parse(pkg) as { version?: unknown }).version;
    if (typeof v === 'string') version = v;
  }
  const commit = gitCommit(root);
  const id = commit ? `${version}+${commit}` : version;
  if (root === appRoot) cached = id;
  return id;
}
