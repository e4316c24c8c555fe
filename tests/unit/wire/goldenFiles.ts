/**
 * Locations of the design's golden vectors. They live in ../shared (beside the repository, never
 * copied into it); DEPTHDESK_SHARED overrides the location, e.g. in CI layouts.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const repoRoot = path.resolve(import.meta.dirname, '../../..');
export const sharedDir = process.env.DEPTHDESK_SHARED ?? path.resolve(repoRoot, '../shared');
export const goldenDir = path.join(sharedDir, 'docs', 'multicast-golden');

function read(name: string): string {
  const file = path.join(goldenDir, name);
  if (!existsSync(file)) {
    throw new Error(`golden vector ${file} is missing: check out ../shared beside the repository or set DEPTHDESK_SHARED`);
  }
  return readFileSync(file, 'utf8');
}

/** golden.hex: one datagram per line. */
export function goldenPackets(): Uint8Array[] {
  return read('golden.hex')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .map((l) => new Uint8Array(Buffer.from(l, 'hex')));
}

export function goldenExpectedLines(): string[] {
  return read('golden.expected.txt')
    .split('\n')
    .filter((l) => l.length > 0);
}

export const goldenPcapPath = path.join(goldenDir, 'golden.pcap');
