/**
 * `depthdesk verify <recordings...> [--json] [--venue ID]`: exit 0 only if every check passed.
 *
 * An incident capture folder (event.json + frames.ndjson.gz, written by the incident recorder)
 * is verified as one recording of the venue its event record names, and the event record is
 * printed first: what happened, on which connection, and the window the frames cover. A folder
 * of incident folders verifies each. A capture of a gap or a bad checksum fails verification:
 * that failure is the incident, replayed.
 */
import { existsSync, readFileSync, statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { VenueId } from '../../src-shared/model/market.ts';
import { allPassed, verifyFile } from '../engine/verify/verify.ts';
import type { FileReport } from '../engine/verify/verify.ts';
import { parseArgs, flagString, UsageError } from './args.ts';
import { VENUES, venueSpec } from '../engine/venues/registry.ts';

export const VERIFY_USAGE = `usage: depthdesk verify <recording files or folders...> [--json] [--venue ID]
  Runs recordings (NDJSON envelope, gzipped or not) through the real venue adapters and books.
  An incident capture folder (event.json + frames.ndjson.gz) prints its event record first.
  Prints per (venue, symbol): messages, updates applied, gaps, resyncs, checksums verified/failed,
  top-of-book cross-checks passed/failed, final best bid/ask. Exit status 0 only if every check passed.
  --venue ID   venue for records whose URL does not name one (e.g. binance-usdm)
  --json       print the report as JSON`;

/** The event record an incident capture folder holds (incidents.ts writes it). */
export interface IncidentEventFile {
  id: string;
  venue: string;
  conn: string;
  events: { kind: string; venue: string; symbol: string | null; conn: string; detail: string; tsMs: number }[];
  frames: number;
  bytes: number;
  fromNs: string;
  toNs: string;
  beforeMs: number;
  afterMs: number;
}

interface Input {
  file: string;
  incident?: IncidentEventFile;
}

function isIncidentDir(p: string): boolean {
  return existsSync(join(p, 'event.json')) && existsSync(join(p, 'frames.ndjson.gz'));
}

function readIncident(dir: string): IncidentEventFile {
  let ev: IncidentEventFile;
  try {
    ev = JSON.parse(readFileSync(join(dir, 'event.json'), 'utf8')) as IncidentEventFile;
  } catch (e) {
    throw new UsageError(`${join(dir, 'event.json')}: not an incident event record (${(e as Error).message})`);
  }
  if (typeof ev.venue !== 'string' || !Array.isArray(ev.events)) throw new UsageError(`${join(dir, 'event.json')}: not an incident event record (no venue or events)`);
  return ev;
}

function expand(paths: string[]): Input[] {
  const out: Input[] = [];
  for (const p of paths) {
    if (existsSync(p) && statSync(p).isDirectory()) {
      if (isIncidentDir(p)) {
        out.push({ file: join(p, 'frames.ndjson.gz'), incident: readIncident(p) });
        continue;
      }
      for (const f of readdirSync(p).sort()) {
        const sub = join(p, f);
        if (/\.ndjson(\.gz)?$/.test(f)) out.push({ file: sub });
        else if (statSync(sub).isDirectory() && isIncidentDir(sub)) out.push({ file: join(sub, 'frames.ndjson.gz'), incident: readIncident(sub) });
      }
    } else out.push({ file: p });
  }
  return out;
}

export async function verifyCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { json: { value: false }, venue: { value: true } });
  if (args.positional.length === 0) throw new UsageError(`no recording given\n${VERIFY_USAGE}`);
  const venue = flagString(args, 'venue');
  if (venue !== undefined) venueSpec(venue);
  const files = expand(args.positional);
  const reports: FileReport[] = [];
  const incidents: IncidentEventFile[] = [];
  for (const f of files) {
    if (f.incident !== undefined) {
      incidents.push(f.incident);
      if (!args.flags.has('json')) printIncident(f.incident);
    }
    // The event record names the venue: a capture starts mid-stream, often without its connect record.
    const v = venue ?? (f.incident !== undefined && VENUES.has(f.incident.venue as VenueId) ? f.incident.venue : undefined);
    const r = await verifyFile(f.file, v !== undefined ? { venue: v as VenueId } : {});
    reports.push(r);
    if (!args.flags.has('json')) printFile(r);
  }
  const ok = allPassed(reports);
  if (args.flags.has('json')) {
    process.stdout.write(`${JSON.stringify({ ok, files: reports, ...(incidents.length > 0 ? { incidents } : {}) }, null, 2)}\n`);
  } else {
    const symbols = reports.reduce((n, r) => n + r.symbols.filter((s) => !s.tradesOnly).length, 0);
    const tradesOnly = reports.reduce((n, r) => n + r.symbols.filter((s) => s.tradesOnly).length, 0);
    const failed = reports.reduce((n, r) => n + r.symbols.filter((s) => s.failures.length > 0).length + (r.error ? 1 : 0), 0);
    process.stdout.write(`\n${ok ? 'OK' : 'FAILED'}: ${files.length} file(s), ${symbols} book(s)${tradesOnly > 0 ? `, ${tradesOnly} trades-only symbol(s) (no book)` : ''}, ${failed} failure(s)\n`);
  }
  return ok ? 0 : 1;
}

function nsToIso(ns: string): string {
  try {
    return new Date(Number(BigInt(ns) / 1_000_000n)).toISOString();
  } catch {
    return ns;
  }
}

function printIncident(ev: IncidentEventFile): void {
  const w = (s: string) => process.stdout.write(`${s}\n`);
  w(`\nincident ${ev.id}: ${ev.venue}, connection ${ev.conn || '(every connection)'}`);
  w(`  frames from ${(ev.beforeMs / 1000).toFixed(1)} s before the first event to ${(ev.afterMs / 1000).toFixed(1)} s after the last: ${ev.frames} frame(s), ${nsToIso(ev.fromNs)} .. ${nsToIso(ev.toNs)}`);
  for (const e of ev.events) w(`  event ${new Date(e.tsMs).toISOString()} ${e.kind}${e.symbol ? ` ${e.symbol}` : ''}: ${e.detail}`);
}

function printFile(r: FileReport): void {
  const w = (s: string) => process.stdout.write(`${s}\n`);
  w(`\n${r.file}: ${r.records} records`);
  if (r.error) w(`  ERROR ${r.error}`);
  if (r.symbols.length === 0 && !r.error) w('  no book of a known venue in this file');
  const head = ['venue', 'symbol', 'state', 'msgs', 'applied', 'levels upd', 'gaps', 'resyncs', 'cksum ok/fail/none', 'xcheck ok/fail', 'best bid', 'best ask'];
  const rows = r.symbols.map((s) => {
    const c = s.counters;
    return [
      s.venue,
      s.symbol,
      s.state,
      String(c.messages),
      String(c.applied),
      String(c.levelUpdates),
      String(c.gaps),
      String(c.resyncs),
      `${c.checksumOk}/${c.checksumFailed}/${c.checksumNotProvided}`,
      `${c.crossCheckOk}/${c.crossCheckFailed}`,
      s.bestBid ? `${s.bestBid} x ${s.bestBidSize}` : '-',
      s.bestAsk ? `${s.bestAsk} x ${s.bestAskSize}` : '-',
    ];
  });
  if (rows.length > 0) {
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
    const fmt = (row: string[]) => `  ${row.map((c, i) => c.padEnd(widths[i]!)).join('  ')}`;
    w(fmt(head));
    for (const row of rows) w(fmt(row));
  }
  for (const s of r.symbols) for (const f of s.failures) w(`  FAIL ${s.venue} ${s.symbol}: ${f}${s.anomalies[0] ? ` (first: ${s.anomalies[0].kind}: ${s.anomalies[0].detail})` : ''}`);
  for (const n of r.notices.slice(0, 20)) w(`  note ${n}`);
  if (r.notices.length > 20) w(`  ... ${r.notices.length - 20} more notes`);
}
