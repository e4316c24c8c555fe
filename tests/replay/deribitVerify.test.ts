import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { verifyFile } from '../../src-main/engine/verify/verify.ts';
import type { SymbolReport } from '../../src-main/engine/verify/verify.ts';
import { loadRecording } from '../../src-main/engine/replay/recording.ts';
import type { RecordLine } from '../../src-main/engine/replay/recording.ts';
import { dataDir, dataPath } from '../support/data.ts';
import { dropAt, duplicateAt, nthIndex, rewriteAt, runRecords } from '../support/runRecords.ts';
import { canon, expectMatchesRebuild } from '../support/textBooks.ts';

const OPTIONS_120S = 'deribit/cryptofeed_book_raw_options_2021-04-05_120s.ndjson';
const OPTIONS_120S_FILE = 'cryptofeed_book_raw_options_2021-04-05_120s.ndjson';
const RAW_0417 = 'deribit/cryptofeed_book_raw_2021-04-17.ndjson';

interface BookData {
  type: 'snapshot' | 'change';
  instrument_name: string;
  change_id: string;
  prev_change_id?: string;
  bids: [string, string, string][];
  asks: [string, string, string][];
}

/** Book notifications read straight from the raw lines, numbers kept as text (independent of the adapter). */
function bookNotifications(records: readonly RecordLine[]): BookData[] {
  const out: BookData[] = [];
  for (const r of records) {
    if (r.dir !== 'recv') continue;
    const m = JSON.parse(r.raw, (_k, v: unknown, ctx?: { source?: string }) => (typeof v === 'number' ? ctx!.source : v)) as { params?: { channel?: string; data?: BookData } };
    if (m.params?.channel?.startsWith('book.') && m.params.data !== undefined) out.push(m.params.data);
  }
  return out;
}

interface Reference {
  messages: number;
  changes: number;
  entriesInChanges: number;
  chainBreaks: number;
  bids: Map<string, string>;
  asks: Map<string, string>;
}

/** Rebuild every book from the notifications with plain maps keyed by canonical price text. */
function reference(records: readonly RecordLine[]): Map<string, Reference> {
  const out = new Map<string, Reference>();
  const lastId = new Map<string, string>();
  for (const d of bookNotifications(records)) {
    let ref = out.get(d.instrument_name);
    if (ref === undefined) out.set(d.instrument_name, (ref = { messages: 0, changes: 0, entriesInChanges: 0, chainBreaks: 0, bids: new Map(), asks: new Map() }));
    ref.messages++;
    if (d.type === 'snapshot') {
      ref.bids.clear();
      ref.asks.clear();
    } else {
      ref.changes++;
      ref.entriesInChanges += d.bids.length + d.asks.length;
      if (d.prev_change_id !== lastId.get(d.instrument_name)) ref.chainBreaks++;
    }
    lastId.set(d.instrument_name, d.change_id);
    for (const [side, entries] of [[ref.bids, d.bids], [ref.asks, d.asks]] as const) {
      for (const [action, price, amount] of entries) {
        if (action === 'delete') side.delete(canon(price));
        else side.set(canon(price), canon(amount));
      }
    }
  }
  return out;
}

/** Every change entry's action agreed with the book (new: absent, change/delete: held): refsOk counts them. */
function expectMatchesReference(s: SymbolReport, ref: Reference): void {
  expectMatchesRebuild(s, { ...ref, refs: ref.entriesInChanges });
}

describe('verify: every Deribit recording', () => {
  const dir = join(dataDir(), 'deribit');
  for (const f of readdirSync(dir).sort()) {
    it(`${f}: every book live on an unbroken change_id chain, books equal to an independent rebuild`, async () => {
      const records = await loadRecording(join(dir, f));
      const refs = reference(records);
      const r = await verifyFile(join(dir, f));
      expect(r.error).toBeUndefined();
      expect(r.venues).toEqual(['deribit']);
      expect(r.symbols.map((s) => s.symbol).sort()).toEqual([...refs.keys()].sort());
      for (const s of r.symbols) {
        const ref = refs.get(s.symbol)!;
        // The recording itself has no chain break (PROVENANCE.md): the check below is not vacuous.
        expect(ref.chainBreaks).toBe(0);
        expectMatchesReference(s, ref);
      }
    });
  }

  it('reproduces the PROVENANCE figures: 10 options per file, 21 changes on two 04-17 books, 70 messages on ETH-9APR21-1950-C', async () => {
    const a = await verifyFile(dataPath(RAW_0417));
    expect(a.symbols).toHaveLength(10);
    const byA = new Map(a.symbols.map((s) => [s.symbol, s]));
    expect(byA.get('BTC-30APR21-54000-C')!.counters.messages - 1).toBe(21);
    expect(byA.get('BTC-18APR21-62000-C')!.counters.messages - 1).toBe(21);
    const b = await verifyFile(dataPath(OPTIONS_120S));
    expect(b.symbols).toHaveLength(10);
    const byB = new Map(b.symbols.map((s) => [s.symbol, s]));
    expect(byB.get('ETH-9APR21-1950-C')!.counters.messages).toBe(70);
    // "about 190 book messages": 10 snapshots + 177 changes.
    expect(b.symbols.reduce((n, s) => n + s.counters.messages, 0)).toBe(187);
    // Options are named BASE-YYMMDD-STRIKE-C/P.
    expect(byA.get('BTC-30APR21-54000-C')!.normalized).toBe('BTC-210430-54000-C');
    expect(byB.get('ETH-16APR21-1400-P')!.normalized).toBe('ETH-210416-1400-P');
  });
});

describe('Deribit faults derived from the real stream', () => {
  const isChangeOf = (instrument: string) => (raw: string) => raw.includes('"type":"change"') && raw.includes(`"instrument_name":"${instrument}"`);

  it('a dropped change is a gap on that instrument only; the other nine stay live and identical', async () => {
    const records = await loadRecording(dataPath(OPTIONS_120S));
    const base = runRecords(records, OPTIONS_120S_FILE).bySymbol;
    // The 10th change of ETH-30APR21-2240-P goes missing: the 11th names a prev_change_id never seen.
    const broken = runRecords(dropAt(records, nthIndex(records, 9, isChangeOf('ETH-30APR21-2240-P'))), OPTIONS_120S_FILE).bySymbol;
    const hit = broken.get('ETH-30APR21-2240-P')!;
    expect(hit.state).toBe('resyncing');
    expect(hit.counters.gaps).toBe(1);
    expect(hit.counters.resyncs).toBe(1);
    expect(hit.anomalies.map((a) => a.kind)).toEqual(['gap']);
    expect(hit.anomalies[0]!.detail).toMatch(/^prev_change_id \d+, expected \d+/);
    // Snapshot + changes 1..9 applied; the rest waits for the resubscription's snapshot.
    expect(hit.counters.applied).toBe(10);
    expect(hit.failures).toEqual(['1 sequence gap(s)', 'ended resyncing']);
    for (const [sym, s] of broken) {
      if (sym === 'ETH-30APR21-2240-P') continue;
      expect(s.state, sym).toBe('live');
      expect(s.counters).toEqual(base.get(sym)!.counters);
      expect([s.bestBid, s.bestAsk, s.levels]).toEqual([base.get(sym)!.bestBid, base.get(sym)!.bestAsk, base.get(sym)!.levels]);
    }
  });

  it('a duplicated change is recognised by its change_id and ignored: the book ends exactly as without it', async () => {
    const records = await loadRecording(dataPath(OPTIONS_120S));
    const base = runRecords(records, OPTIONS_120S_FILE).bySymbol.get('ETH-9APR21-1950-C')!;
    const dup = runRecords(duplicateAt(records, nthIndex(records, 30, isChangeOf('ETH-9APR21-1950-C'))), OPTIONS_120S_FILE).bySymbol.get('ETH-9APR21-1950-C')!;
    expect(dup.state).toBe('live');
    expect(dup.failures).toEqual([]);
    expect(dup.counters.duplicates).toBe(1);
    expect(dup.counters.gaps).toBe(0);
    expect(dup.counters.messages).toBe(base.counters.messages + 1);
    expect(dup.counters.applied).toBe(base.counters.applied);
    expect([dup.bestBid, dup.bestBidSize, dup.bestAsk, dup.bestAskSize, dup.levels]).toEqual([base.bestBid, base.bestBidSize, base.bestAsk, base.bestAskSize, base.levels]);
  });

  it('two changes swapped in transit: the later one arrives first and breaks the chain', async () => {
    const records = await loadRecording(dataPath(OPTIONS_120S));
    const i = nthIndex(records, 20, isChangeOf('ETH-9APR21-1950-C'));
    const j = nthIndex(records, 21, isChangeOf('ETH-9APR21-1950-C'));
    const swapped = [...records];
    swapped[i] = records[j]!;
    swapped[j] = records[i]!;
    const s = runRecords(swapped, OPTIONS_120S_FILE).bySymbol.get('ETH-9APR21-1950-C')!;
    expect(s.state).toBe('resyncing');
    expect(s.anomalies.map((a) => a.kind)).toEqual(['gap']);
    expect(s.counters.applied).toBe(21);
  });

  it('a change whose action contradicts the book is caught even though the change_id chain is whole', async () => {
    const records = await loadRecording(dataPath(OPTIONS_120S));
    // Change #1 of ETH-9APR21-1950-C deletes bid 0.034 (held since the snapshot); corrupt the
    // action to "new", which claims the level was absent.
    const at = nthIndex(records, 0, isChangeOf('ETH-9APR21-1950-C'));
    const s = runRecords(rewriteAt(records, at, (raw) => raw.replace('["delete",0.034,0.0]', '["new",0.034,0.0]')), OPTIONS_120S_FILE).bySymbol.get('ETH-9APR21-1950-C')!;
    expect(s.state).toBe('resyncing');
    expect(s.anomalies.map((a) => a.kind)).toEqual(['gap']);
    expect(s.anomalies[0]!.detail).toBe('new bid 0.034 but the book already holds that price');
    expect(s.counters.applied).toBe(1);
  });
});
