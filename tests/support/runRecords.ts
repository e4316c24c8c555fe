/**
 * Run in-memory records (a recording after a fault transformation: a line dropped, duplicated or
 * corrupted) through the same offline path `verifyFile` uses (`VerifyRun`), and helpers to
 * transform a loaded recording without touching its other lines.
 */
import { VerifyRun } from '../../src-main/engine/verify/verify.ts';
import type { SymbolReport, VerifyOptions } from '../../src-main/engine/verify/verify.ts';
import type { RecordLine } from '../../src-main/engine/replay/recording.ts';
import type { SymbolBook } from '../../src-main/engine/sync/symbolBook.ts';

export interface RunResult {
  symbols: SymbolReport[];
  notices: string[];
  bySymbol: Map<string, SymbolReport>;
  /** The books the run built, by venue symbol. */
  books: Map<string, SymbolBook>;
}

/** Feed records through a fresh VerifyRun, as `verifyFile` would feed the file they came from. */
export function runRecords(records: readonly RecordLine[], file: string, opts: VerifyOptions = {}): RunResult {
  const run = new VerifyRun(file, opts);
  for (const r of records) run.handle(r);
  const symbols = run.report();
  return {
    symbols,
    notices: [...run.notices, ...run.unclaimed()],
    bySymbol: new Map(symbols.map((s) => [s.symbol, s])),
    books: new Map([...run.allBooks()].map((b) => [b.symbol, b])),
  };
}

/** Index (in `records`) of the n-th (0-based) received frame that `match` accepts. */
export function nthIndex(records: readonly RecordLine[], n: number, match: (raw: string) => boolean): number {
  let seen = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    if (r.dir === 'recv' && match(r.raw)) {
      if (seen === n) return i;
      seen++;
    }
  }
  throw new Error(`fewer than ${n + 1} matching frames`);
}

/** The records without the one at `index`. */
export function dropAt(records: readonly RecordLine[], index: number): RecordLine[] {
  return [...records.slice(0, index), ...records.slice(index + 1)];
}

/** The records with the one at `index` received twice in a row. */
export function duplicateAt(records: readonly RecordLine[], index: number): RecordLine[] {
  return [...records.slice(0, index + 1), { ...records[index]! }, ...records.slice(index + 1)];
}

/** The records with the raw text of the one at `index` rewritten. */
export function rewriteAt(records: readonly RecordLine[], index: number, rewrite: (raw: string) => string): RecordLine[] {
  const out = [...records];
  const r = out[index]!;
  const raw = rewrite(r.raw);
  if (raw === r.raw) throw new Error(`rewrite of record ${index} changed nothing`);
  out[index] = { ...r, raw };
  return out;
}
