/**
 * Where the real recordings live. Tests, replays and benchmarks read them from ../shared/data
 * (never copied into the repo); DEPTHDESK_DATA overrides the location.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export function dataDir(): string {
  const dir = process.env['DEPTHDESK_DATA'] ?? resolve(repoRoot, '../shared/data');
  if (!existsSync(dir)) {
    throw new Error(`recordings not found at ${dir}: put the shared data folder beside the checkout (../shared/data) or set DEPTHDESK_DATA`);
  }
  return dir;
}

/** Absolute path of a recording, e.g. dataPath('binance/cryptofeed_spot_4sym_2021-10-12.ndjson'). */
export function dataPath(rel: string): string {
  const p = join(dataDir(), rel);
  if (!existsSync(p)) throw new Error(`recording ${rel} not found in ${dataDir()}`);
  return p;
}

/** ../shared/docs (golden vectors etc.). */
export function sharedDocsPath(rel: string): string {
  const dir = process.env['DEPTHDESK_SHARED'] ? join(process.env['DEPTHDESK_SHARED'], 'docs') : resolve(repoRoot, '../shared/docs');
  return join(dir, rel);
}
