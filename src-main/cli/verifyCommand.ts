/**
 * `depthdesk verify <recordings...> [--json] [--venue ID]`: exit 0 only if every check passed.
 */
import { existsSync, statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { VenueId } from '../../src-shared/model/market.ts';
import { allPassed, verifyFile } from '../engine/verify/verify.ts';
import type { FileReport } from '../engine/verify/verify.ts';
import { parseArgs, flagString, UsageError } from './args.ts';
import { venueSpec } from '../engine/venues/registry.ts';

export const VERIFY_USAGE = `usage: depthdesk verify <recording files or folders...> [--json] [--venue ID]
  Runs recordings (NDJSON envelope, gzipped or not) through the real venue adapters and books.
  Prints per (venue, symbol): messages, updates applied, gaps, resyncs, checksums verified/failed,
  top-of-book cross-checks passed/failed, final best bid/ask. Exit status 0 only if every check passed.
  --venue ID   venue for records whose URL does not name one (e.g. binance-usdm)
  --json       print the report as JSON`;

function expand(paths: string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    if (existsSync(p) && statSync(p).isDirectory()) {
      for (const f of readdirSync(p).sort()) {
        if (/\.ndjson(\.gz)?$/.test(f)) out.push(join(p, f));
      }
    } else out.push(p);
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
  for (const f of files) {
    const r = await verifyFile(f, venue !== undefined ? { venue: venue as VenueId } : {});
    reports.push(r);
    if (!args.flags.has('json')) printFile(r);
  }
  const ok = allPassed(reports);
  if (args.flags.has('json')) {
    process.stdout.write(`${JSON.stringify({ ok, files: reports }, null, 2)}\n`);
  } else {
    const symbols = reports.reduce((n, r) => n + r.symbols.filter((s) => !s.tradesOnly).length, 0);
    const tradesOnly = reports.reduce((n, r) => n + r.symbols.filter((s) => s.tradesOnly).length, 0);
    const failed = reports.reduce((n, r) => n + r.symbols.filter((s) => s.failures.length > 0).length + (r.error ? 1 : 0), 0);
    process.stdout.write(`\n${ok ? 'OK' : 'FAILED'}: ${files.length} file(s), ${symbols} book(s)${tradesOnly > 0 ? `, ${tradesOnly} trades-only symbol(s) (no book)` : ''}, ${failed} failure(s)\n`);
  }
  return ok ? 0 : 1;
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
