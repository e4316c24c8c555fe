/**
 * Bybit v5 and legacy v2 adapters over the real recordings in ../shared/data/bybit, plus fault
 * cases built by transforming those real streams (a line dropped, duplicated, or re-sent with a
 * changed id). Figures are the ones PROVENANCE.md states for each file.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { verifyFile, VerifyRun } from '../../src-main/engine/verify/verify.ts';
import type { SymbolReport, VerifyOptions } from '../../src-main/engine/verify/verify.ts';
import { loadRecording } from '../../src-main/engine/replay/recording.ts';
import type { RecordLine } from '../../src-main/engine/replay/recording.ts';
import { SymbolBook } from '../../src-main/engine/sync/symbolBook.ts';
import { formatScaled, parseScaled } from '../../src-shared/model/decimal.ts';
import type { Trade } from '../../src-shared/model/market.ts';
import { bybitInstrument, bybitLegacyInstrument, bybitLinear, bybitSpot } from '../../src-main/engine/venues/bybit/bybitSpec.ts';
import { BybitSession } from '../../src-main/engine/venues/bybit/bybitSession.ts';
import type { SessionContext } from '../../src-main/engine/venues/venue.ts';
import { venueForUrl } from '../../src-main/engine/venues/registry.ts';
import { dataDir, dataPath } from '../support/data.ts';

const OB200 = 'bybit/cryptofeed_v5_linear+spot_orderbook200_2026-08-09.ndjson';
const OB1 = 'bybit/cryptofeed_v5_linear+spot_orderbook1_2025-06-13.ndjson';
const ARCHIVE = 'bybit/bybit_public_archive_XRPUSDT_ob500_2024-12-01_first50lines.ndjson';
const LEGACY = 'bybit/cryptofeed_legacy_v2_orderBookL2_25_2021-04-17.ndjson';

/** Run (possibly transformed) records through the same offline feed `verify` uses. */
function runRecords(file: string, records: RecordLine[], opts: VerifyOptions = {}): { symbols: SymbolReport[]; notices: string[] } {
  const run = new VerifyRun(basename(file), opts);
  for (const r of records) run.handle(r);
  return { symbols: run.report(), notices: run.notices };
}

function find(symbols: SymbolReport[], venue: string, symbol: string): SymbolReport {
  const s = symbols.find((x) => x.venue === venue && x.symbol === symbol);
  if (s === undefined) throw new Error(`no ${venue} ${symbol} in the report`);
  return s;
}

interface Parsed {
  topic?: string;
  type?: string;
  data?: { s?: string; u?: number; seq?: number; b?: [string, string][]; a?: [string, string][] };
}

function parsed(r: RecordLine): Parsed {
  return r.dir === 'recv' ? (JSON.parse(r.raw) as Parsed) : {};
}

/** Indexes (in `records`) of the book messages of one topic on one connection. */
function topicLines(records: RecordLine[], conn: string, topic: string): number[] {
  const out: number[] = [];
  records.forEach((r, i) => {
    if (r.conn === conn && r.dir === 'recv' && parsed(r).topic === topic) out.push(i);
  });
  return out;
}

/** A copy of a record with its JSON message changed by `edit`. */
function edited(r: RecordLine, edit: (m: Parsed) => void): RecordLine {
  const m = JSON.parse(r.raw) as Parsed;
  edit(m);
  return { ...r, raw: JSON.stringify(m) };
}

/** Book state as exact [price, size] text pairs, best first, for comparisons. */
function bookText(sb: SymbolBook): { bids: string[]; asks: string[] } {
  const t = sb.book.top(sb.book.levelCount());
  const f = ([p, s]: [number, number]) => `${formatScaled(p, sb.book.priceScale)}@${formatScaled(s, sb.book.sizeScale)}`;
  return { bids: t.bids.map(f), asks: t.asks.map(f) };
}

/** Capture the final SymbolBook objects of a run through the onApplied hook. */
function finalBooks(): { opts: VerifyOptions; books: Map<string, SymbolBook> } {
  const books = new Map<string, SymbolBook>();
  return { books, opts: { onApplied: (sb) => books.set(`${sb.instrument.venue}|${sb.symbol}`, sb) } };
}

describe('verify: every Bybit recording', () => {
  const dir = join(dataDir(), 'bybit');
  for (const f of readdirSync(dir).sort()) {
    it(`${f}: books live, 0 gaps, within their window and never crossed after any message`, async () => {
      const caps = new Map<string, number>();
      let checked = 0;
      const r = await verifyFile(join(dir, f), {
        onApplied: (sb) => {
          checked++;
          const cap = sb.book.depthCap;
          caps.set(sb.symbol, cap);
          expect(cap).toBeGreaterThan(0);
          expect(sb.book.bids.count).toBeLessThanOrEqual(cap);
          expect(sb.book.asks.count).toBeLessThanOrEqual(cap);
          expect(sb.book.isCrossed()).toBe(false);
          expect(sb.book.trustBand().mode).toBe('window');
        },
      });
      expect(r.error).toBeUndefined();
      expect(r.symbols.length).toBeGreaterThan(0);
      expect(checked).toBeGreaterThan(0);
      for (const s of r.symbols) {
        expect(s.failures, `${s.venue} ${s.symbol}`).toEqual([]);
        expect(s.state).toBe('live');
        expect(s.counters.gaps).toBe(0);
        expect(s.counters.duplicates).toBe(0);
        expect(s.counters.regress).toBe(0);
        expect(s.counters.resyncs).toBe(0);
        // Bybit has no checksum: nothing is compared, and nothing is reported as "not provided".
        expect([s.counters.checksumOk, s.counters.checksumFailed, s.counters.checksumNotProvided]).toEqual([0, 0, 0]);
        expect(s.counters.applied).toBeGreaterThan(0);
        expect(caps.has(s.symbol)).toBe(true);
      }
      expect(r.notices).toEqual([]);
    });
  }
});

describe('Bybit v5 orderbook.200 (2026-08-09): PROVENANCE figures', () => {
  it('linear and spot delta counts, u chains, 200 levels per side on every message', async () => {
    const chains = new Map<string, { first: number; last: number; applied: number }>();
    const r = await verifyFile(dataPath(OB200), {
      onApplied: (sb) => {
        const k = `${sb.instrument.venue} ${sb.symbol}`;
        const c = chains.get(k);
        if (c === undefined) chains.set(k, { first: sb.seq, last: sb.seq, applied: 1 });
        else {
          c.last = sb.seq;
          c.applied++;
        }
        expect(sb.book.bids.count).toBe(200);
        expect(sb.book.asks.count).toBe(200);
      },
    });
    // PROVENANCE.md: linear BTC 413 deltas (u 15076952 -> 15077365), ETH 420, SOL 382, DOGE 379;
    // spot BTC 299 (u 62505424 -> 62505723), ETH 249; one snapshot each.
    const deltas = (k: string) => chains.get(k)!.applied - 1;
    expect(chains.get('bybit-linear BTCUSDT')).toMatchObject({ first: 15076952, last: 15077365 });
    expect(deltas('bybit-linear BTCUSDT')).toBe(413);
    expect(deltas('bybit-linear ETHUSDT')).toBe(420);
    expect(deltas('bybit-linear SOLUSDT')).toBe(382);
    expect(deltas('bybit-linear DOGEUSDT')).toBe(379);
    expect(chains.get('bybit-spot BTCUSDT')).toMatchObject({ first: 62505424, last: 62505723 });
    expect(deltas('bybit-spot BTCUSDT')).toBe(299);
    expect(deltas('bybit-spot ETHUSDT')).toBe(249);
    for (const s of r.symbols) expect(s.counters.snapshots, s.symbol).toBe(1);
    expect(find(r.symbols, 'bybit-linear', 'BTCUSDT').normalized).toBe('BTC-USDT-PERP');
    expect(find(r.symbols, 'bybit-spot', 'BTCUSDT').normalized).toBe('BTC-USDT');
  });

  it('normalizes every publicTrade entry: S is the taker side, i the trade id, exact decimals', async () => {
    const records = await loadRecording(dataPath(OB200));
    const expected: { s: string; i: string; S: string; p: string; v: string; T: number }[] = [];
    for (const rec of records) {
      const m = parsed(rec) as Parsed & { data?: unknown };
      if (m.topic?.startsWith('publicTrade.')) expected.push(...(m.data as { s: string; i: string; S: string; p: string; v: string; T: number }[]));
    }
    const trades: Trade[] = [];
    runRecords(OB200, records, { onTrade: (t) => trades.push(t) });
    expect(trades.length).toBe(expected.length);
    expect(trades.length).toBeGreaterThan(100);
    trades.forEach((t, i) => {
      const e = expected[i]!;
      expect(t.symbol).toBe(e.s);
      expect(t.tradeId).toBe(e.i);
      expect(t.takerSide).toBe(e.S === 'Buy' ? 'buy' : 'sell');
      expect(t.price).toBe(parseScaled(e.p, t.priceScale));
      expect(t.size).toBe(parseScaled(e.v, t.sizeScale));
      expect(t.exchTsMs).toBe(e.T);
    });
  });
});

describe('Bybit v5 orderbook.1 (2025-06-13): the 3 s re-push with the same u', () => {
  it('337 book messages, 61 identical re-pushes kept as refreshes (not duplicates), 0 gaps', async () => {
    const r = await verifyFile(dataPath(OB1));
    const messages = r.symbols.reduce((n, s) => n + s.counters.messages, 0);
    const applied = r.symbols.reduce((n, s) => n + s.counters.applied, 0);
    expect(r.symbols.length).toBe(10);
    expect(messages).toBe(337);
    // Every message is a snapshot; the 61 re-pushes of an unchanged book are not re-applied.
    expect(messages - applied).toBe(61);
    for (const s of r.symbols) {
      expect(s.counters.duplicates).toBe(0);
      expect(s.levels).toBe(2);
    }
    expect(find(r.symbols, 'bybit-spot', 'OPUSDC').normalized).toBe('OP-USDC');
    expect(find(r.symbols, 'bybit-spot', 'TUSDUSDT').normalized).toBe('TUSD-USDT');
  });

  it('a re-push of the same u with different levels is the one counted as a duplicate and dropped', async () => {
    const records = await loadRecording(dataPath(OB1));
    // KCSUSDT (spot) has 9 re-pushes. Transformation: give the first re-push the levels of the
    // message before the one it repeats (real levels, wrong for that u).
    const lines = topicLines(records, 'BYBIT.ws.2', 'orderbook.1.KCSUSDT');
    const us = lines.map((i) => parsed(records[i]!).data!.u!);
    const k = us.findIndex((u, j) => j > 1 && u === us[j - 1]);
    expect(k).toBeGreaterThan(1);
    const older = parsed(records[lines[k - 2]!]!).data!;
    expect(JSON.stringify([older.b, older.a])).not.toBe(JSON.stringify([parsed(records[lines[k]!]!).data!.b, parsed(records[lines[k]!]!).data!.a]));
    const base = finalBooks();
    runRecords(OB1, records, base.opts);
    const changed = records.slice();
    changed[lines[k]!] = edited(records[lines[k]!]!, (m) => {
      m.data!.b = older.b;
      m.data!.a = older.a;
    });
    const fault = finalBooks();
    const out = runRecords(OB1, changed, fault.opts);
    const s = find(out.symbols, 'bybit-spot', 'KCSUSDT');
    expect(s.counters.duplicates).toBe(1);
    expect(s.counters.gaps).toBe(0);
    expect(s.state).toBe('live');
    expect(s.anomalies[0]?.detail).toMatch(/repeats u \d+ with different levels/);
    expect(bookText(fault.books.get('bybit-spot|KCSUSDT')!)).toEqual(bookText(base.books.get('bybit-spot|KCSUSDT')!));
  });
});

describe('Bybit public archive orderbook.500 (no envelope)', () => {
  it('is routed to bybit-linear by its file name; u 20254869 -> 20254918, 49 deltas, 500 levels per side', async () => {
    let first = -1;
    let last = -1;
    const r = await verifyFile(dataPath(ARCHIVE), {
      onApplied: (sb) => {
        if (first < 0) first = sb.seq;
        last = sb.seq;
        expect(sb.book.bids.count).toBe(500);
        expect(sb.book.asks.count).toBe(500);
      },
    });
    expect(r.venues).toEqual(['bybit-linear']);
    const s = find(r.symbols, 'bybit-linear', 'XRPUSDT');
    expect(s.normalized).toBe('XRP-USDT-PERP');
    expect([first, last]).toEqual([20254869, 20254918]);
    expect(s.counters.applied - s.counters.snapshots).toBe(49);
  });
});

describe('Bybit legacy v2 orderBookL2_25 (2021-04-17)', () => {
  it('one snapshot and 218-646 deltas per symbol, id-keyed levels, 25 per side, exact numeric sizes', async () => {
    const r = await verifyFile(dataPath(LEGACY), {
      onApplied: (sb) => {
        expect(sb.book.bids.count).toBeLessThanOrEqual(25);
        expect(sb.book.asks.count).toBeLessThanOrEqual(25);
      },
    });
    expect(r.venues).toEqual(['bybit-legacy']);
    expect(r.symbols.length).toBe(10);
    const deltas = r.symbols.map((s) => s.counters.applied - s.counters.snapshots);
    expect(Math.min(...deltas)).toBe(218);
    expect(Math.max(...deltas)).toBe(646);
    for (const s of r.symbols) expect(s.counters.snapshots).toBe(1);
    expect(find(r.symbols, 'bybit-legacy', 'BTCUSD').normalized).toBe('BTC-USD-PERP-INV');
    expect(find(r.symbols, 'bybit-legacy', 'BCHUSDT').normalized).toBe('BCH-USDT-PERP');
    // LINKUSDT's final best bid size is the JSON number 1757.9999, kept digit for digit.
    expect(find(r.symbols, 'bybit-legacy', 'LINKUSDT').bestBidSize).toBe('1757.9999');
  });

  it('a repeated delta (same cross_seq) is a duplicate and leaves the book unchanged', async () => {
    const records = await loadRecording(dataPath(LEGACY));
    const lines = topicLines(records, 'BYBIT.ws.25', 'orderBookL2_25.DOTUSDT');
    const at = lines[100]!;
    const changed = [...records.slice(0, at + 1), records[at]!, ...records.slice(at + 1)];
    const base = finalBooks();
    runRecords(LEGACY, records, base.opts);
    const fault = finalBooks();
    const out = runRecords(LEGACY, changed, fault.opts);
    const s = find(out.symbols, 'bybit-legacy', 'DOTUSDT');
    expect(s.counters.duplicates).toBe(1);
    expect(s.state).toBe('live');
    expect(bookText(fault.books.get('bybit-legacy|DOTUSDT')!)).toEqual(bookText(base.books.get('bybit-legacy|DOTUSDT')!));
  });
});

describe('Bybit v5 faults from transformed real streams', () => {
  it('one dropped delta of linear SOLUSDT: a gap on SOLUSDT only; the other books on that connection stay live', async () => {
    const records = await loadRecording(dataPath(OB200));
    const lines = topicLines(records, 'BYBIT.ws.2', 'orderbook.200.SOLUSDT');
    const drop = lines[150]!;
    const droppedU = parsed(records[drop]!).data!.u!;
    const out = runRecords(OB200, records.filter((_, i) => i !== drop));
    const sol = find(out.symbols, 'bybit-linear', 'SOLUSDT');
    expect(sol.counters.gaps).toBe(1);
    expect(sol.state).toBe('resyncing');
    expect(sol.anomalies[0]).toEqual({ kind: 'gap', detail: `expected u = ${droppedU}, got u ${droppedU + 1}` });
    expect(sol.failures).toContain('1 sequence gap(s)');
    // Deltas after the gap belong to a subscription being replaced: dropped, never applied.
    expect(sol.counters.droppedBeforeSnapshot).toBe(lines.length - 151 - 1);
    for (const other of ['BTCUSDT', 'ETHUSDT', 'DOGEUSDT']) {
      const s = find(out.symbols, 'bybit-linear', other);
      expect(s.state, other).toBe('live');
      expect(s.counters.gaps).toBe(0);
    }
    for (const s of out.symbols.filter((x) => x.venue === 'bybit-spot')) expect(s.state).toBe('live');
  });

  it('one duplicated delta of linear ETHUSDT: counted as a duplicate, the book ends exactly as without it', async () => {
    const records = await loadRecording(dataPath(OB200));
    const lines = topicLines(records, 'BYBIT.ws.2', 'orderbook.200.ETHUSDT');
    const at = lines[200]!;
    const base = finalBooks();
    runRecords(OB200, records, base.opts);
    const fault = finalBooks();
    const out = runRecords(OB200, [...records.slice(0, at + 1), records[at]!, ...records.slice(at + 1)], fault.opts);
    const eth = find(out.symbols, 'bybit-linear', 'ETHUSDT');
    expect(eth.counters.duplicates).toBe(1);
    expect(eth.counters.gaps).toBe(0);
    expect(eth.state).toBe('live');
    expect(eth.counters.applied).toBe(find(runRecords(OB200, records).symbols, 'bybit-linear', 'ETHUSDT').counters.applied);
    expect(bookText(fault.books.get('bybit-linear|ETHUSDT')!)).toEqual(bookText(base.books.get('bybit-linear|ETHUSDT')!));
  });

  it('a delta whose seq goes backwards is dropped as a regression; the next delta then shows the u gap', async () => {
    const records = await loadRecording(dataPath(OB200));
    const lines = topicLines(records, 'BYBIT.ws.3', 'orderbook.200.BTCUSDT');
    const snapSeq = parsed(records[lines[0]!]!).data!.seq!;
    const changed = records.slice();
    changed[lines[50]!] = edited(records[lines[50]!]!, (m) => {
      m.data!.seq = snapSeq - 1;
    });
    const s = find(runRecords(OB200, changed).symbols, 'bybit-spot', 'BTCUSDT');
    expect(s.counters.regress).toBe(1);
    expect(s.counters.gaps).toBe(1);
    expect(s.anomalies.map((a) => a.kind)).toEqual(['regress', 'gap']);
  });

  it('u = 1 (a real snapshot re-sent with u set to 1) overwrites the book: venue-reset, no gap, no resync', async () => {
    const records = await loadRecording(dataPath(OB200));
    const lines = topicLines(records, 'BYBIT.ws.2', 'orderbook.200.BTCUSDT');
    const snap = records[lines[0]!]!;
    const snapData = parsed(snap).data!;
    // Transformation: the first real snapshot, re-sent after the last linear message with u = 1,
    // as Bybit does after a service restart.
    const lastLinear = records.reduce((n, r, i) => (r.conn === 'BYBIT.ws.2' ? i : n), 0);
    const reset = edited({ ...snap, recvTsNs: records[lastLinear]!.recvTsNs }, (m) => {
      m.data!.u = 1;
    });
    const fault = finalBooks();
    const out = runRecords(OB200, [...records.slice(0, lastLinear + 1), reset, ...records.slice(lastLinear + 1)], fault.opts);
    const s = find(out.symbols, 'bybit-linear', 'BTCUSDT');
    expect(s.state).toBe('live');
    expect(s.counters.gaps).toBe(0);
    expect(s.counters.resyncs).toBe(0);
    expect(s.counters.snapshots).toBe(2);
    const sb = fault.books.get('bybit-linear|BTCUSDT')!;
    expect(sb.seq).toBe(1);
    expect(sb.transitions.some((t) => t.cause === 'venue-reset')).toBe(true);
    const text = bookText(sb);
    expect(text.bids).toEqual(snapData.b!.map(([p, q]) => `${formatScaled(parseScaled(p, sb.book.priceScale), sb.book.priceScale)}@${formatScaled(parseScaled(q, sb.book.sizeScale), sb.book.sizeScale)}`));
    expect(text.asks.length).toBe(snapData.a!.length);
    expect(out.notices.some((n) => n.includes('bybit-linear BTCUSDT') && n.includes('u = 1'))).toBe(true);
  });

  it('after u = 1 the chain restarts at 2: real deltas renumbered from 2 rebuild exactly the same book', async () => {
    const records = await loadRecording(dataPath(OB200));
    const lines = topicLines(records, 'BYBIT.ws.2', 'orderbook.200.DOGEUSDT');
    const k = 120;
    // Fold the real messages up to delta k into exact text levels (Bybit's own strings) ...
    const bids = new Map<string, string>();
    const asks = new Map<string, string>();
    for (const i of lines.slice(0, k + 1)) {
      const d = parsed(records[i]!).data!;
      for (const [p, q] of d.b!) {
        if (parseScaled(q, 12) === 0) bids.delete(p);
        else bids.set(p, q);
      }
      for (const [p, q] of d.a!) {
        if (parseScaled(q, 12) === 0) asks.delete(p);
        else asks.set(p, q);
      }
    }
    const byPrice = (dir: number) => (x: [string, string], y: [string, string]) => dir * (parseScaled(x[0], 12) - parseScaled(y[0], 12));
    const uK = parsed(records[lines[k]!]!).data!.u!;
    // ... re-sent as the restart snapshot (u = 1) right after delta k, and every later real delta
    // renumbered u - uK + 1 as the restarted service would number them.
    const restart = edited(records[lines[0]!]!, (m) => {
      m.data!.b = [...bids].sort(byPrice(-1));
      m.data!.a = [...asks].sort(byPrice(1));
      m.data!.u = 1;
    });
    const later = new Set(lines.slice(k + 1));
    const changed: RecordLine[] = [];
    records.forEach((r, i) => {
      changed.push(later.has(i) ? edited(r, (m) => (m.data!.u = m.data!.u! - uK + 1)) : r);
      if (i === lines[k]) changed.push({ ...restart, recvTsNs: r.recvTsNs });
    });
    const base = finalBooks();
    runRecords(OB200, records, base.opts);
    const fault = finalBooks();
    const out = runRecords(OB200, changed, fault.opts);
    const s = find(out.symbols, 'bybit-linear', 'DOGEUSDT');
    expect(s.counters.gaps).toBe(0);
    expect(s.counters.resyncs).toBe(0);
    expect(s.state).toBe('live');
    expect(fault.books.get('bybit-linear|DOGEUSDT')!.seq).toBe(lines.length - 1 - k + 1);
    expect(bookText(fault.books.get('bybit-linear|DOGEUSDT')!)).toEqual(bookText(base.books.get('bybit-linear|DOGEUSDT')!));
  });

  /** The linear stream with every delete ("0" size) stripped from one symbol's deltas. */
  async function withoutDeletes(symbol: string): Promise<RecordLine[]> {
    const records = await loadRecording(dataPath(OB200));
    const lines = new Set(topicLines(records, 'BYBIT.ws.2', `orderbook.${200}.${symbol}`));
    const keep = (l: [string, string][]) => l.filter(([, q]) => parseScaled(q, 12) !== 0);
    return records.map((r, i) =>
      lines.has(i) && parsed(r).type === 'delta'
        ? edited(r, (m) => {
            m.data!.b = keep(m.data!.b!);
            m.data!.a = keep(m.data!.a!);
          })
        : r,
    );
  }

  it('missed deletes (stripped from BTCUSDT deltas): the window overflows, a notice says so, the book stays trimmed', async () => {
    const out = runRecords(OB200, await withoutDeletes('BTCUSDT'), {
      onApplied: (sb) => {
        expect(sb.book.bids.count).toBeLessThanOrEqual(200);
        expect(sb.book.asks.count).toBeLessThanOrEqual(200);
      },
    });
    const notices = out.notices.filter((n) => n.startsWith('bybit-linear BTCUSDT'));
    expect(notices.length).toBe(1);
    expect(notices[0]).toMatch(/exceeds its 200-level window \(\d+ bids, \d+ asks before trimming\)/);
  });

  it('missed deletes that cross the book (ETHUSDT): crossed-book anomaly, resync of that symbol only', async () => {
    const out = runRecords(OB200, await withoutDeletes('ETHUSDT'));
    const eth = find(out.symbols, 'bybit-linear', 'ETHUSDT');
    expect(eth.state).toBe('resyncing');
    expect(eth.counters.crossed).toBe(1);
    expect(eth.anomalies[0]?.detail).toMatch(/^best bid [\d.]+ >= best ask [\d.]+ after u \d+$/);
    expect(find(out.symbols, 'bybit-linear', 'BTCUSDT').state).toBe('live');
  });

  it('u = 1 with both sides empty (delisting / pre-auction) marks the book halted, not broken', async () => {
    const records = await loadRecording(dataPath(OB200));
    const lines = topicLines(records, 'BYBIT.ws.3', 'orderbook.200.ETHUSDT');
    const at = lines[lines.length - 1]!;
    const empty = edited(records[lines[0]!]!, (m) => {
      m.data!.u = 1;
      m.data!.b = [];
      m.data!.a = [];
    });
    const out = runRecords(OB200, [...records.slice(0, at + 1), { ...empty, recvTsNs: records[at]!.recvTsNs }, ...records.slice(at + 1)]);
    const s = find(out.symbols, 'bybit-spot', 'ETHUSDT');
    expect(s.state).toBe('halted');
    expect(s.levels).toBe(0);
    expect(s.counters.gaps + s.counters.resyncs + s.counters.invalid).toBe(0);
  });
});

describe('Bybit session control frames', () => {
  /** A session over real lines with a context that records what it sends. */
  async function liveLikeSession(): Promise<{ session: BybitSession; sent: string[]; books: Map<string, SymbolBook> }> {
    const sent: string[] = [];
    const books = new Map<string, SymbolBook>();
    let session: BybitSession | undefined;
    const ctx: SessionContext = {
      send: (f) => sent.push(f),
      book: (s) => books.get(s),
      books: () => books.values(),
      requestSnapshot: () => {},
      trade: () => {},
      crossCheck: () => {},
      notice: () => {},
      connectionAnomaly: () => {},
    };
    for (const s of ['BTCUSDT', 'ETHUSDT']) {
      const sb = new SymbolBook(bybitInstrument('bybit-spot', 'spot', s), { onAnomaly: (b, kind) => session!.resync(b.symbol, kind) });
      books.set(s, sb);
    }
    session = bybitSpot.createSession(ctx, { id: 'bybit-spot#0', url: bybitSpot.wsUrl, venueSymbols: ['BTCUSDT', 'ETHUSDT'] }) as BybitSession;
    session.onOpen();
    return { session, sent, books };
  }

  it('subscribes book and trades, keeps the 20 s JSON ping, and resyncs one topic by unsubscribe + subscribe', async () => {
    const { session, sent, books } = await liveLikeSession();
    expect(sent.map((f) => JSON.parse(f).args)).toEqual([['orderbook.200.BTCUSDT', 'publicTrade.BTCUSDT', 'orderbook.200.ETHUSDT', 'publicTrade.ETHUSDT']]);
    expect(session.keepalive.intervalMs).toBe(20_000);
    expect(JSON.parse(session.keepalive.frame())).toMatchObject({ op: 'ping' });
    const records = await loadRecording(dataPath(OB200));
    const spot = records.filter((r) => r.conn === 'BYBIT.ws.3' && r.dir === 'recv');
    const btc = topicLines(spot, 'BYBIT.ws.3', 'orderbook.200.BTCUSDT');
    spot.forEach((r, i) => {
      if (i !== btc[30]) session.onMessage(r.raw, r.recvTsNs);
    });
    expect(books.get('BTCUSDT')!.state).toBe('resyncing');
    expect(books.get('ETHUSDT')!.state).toBe('live');
    const control = sent.slice(1).map((f) => JSON.parse(f) as { op: string; args: string[] });
    expect(control.map((c) => [c.op, c.args])).toEqual([
      ['unsubscribe', ['orderbook.200.BTCUSDT']],
      ['subscribe', ['orderbook.200.BTCUSDT']],
    ]);
  });

  it('counts the level-1 re-pushes per symbol as refreshes (spot connection of the 2025 recording)', async () => {
    const books = new Map<string, SymbolBook>();
    const ctx = {
      send: () => {},
      notice: () => {},
      book: (s: string) => {
        if (!books.has(s)) books.set(s, new SymbolBook(bybitInstrument('bybit-spot', 'spot', s)));
        return books.get(s);
      },
    } as unknown as SessionContext;
    const session = new BybitSession(ctx, { id: 'bybit-spot#0', url: bybitSpot.wsUrl, venueSymbols: [] }, 'spot', 1);
    for (const r of await loadRecording(dataPath(OB1))) if (r.conn === 'BYBIT.ws.2' && r.dir === 'recv') session.onMessage(r.raw, r.recvTsNs);
    const refreshes = Object.fromEntries([...books.keys()].sort().map((s) => [s, session.refreshes(s)]));
    expect(refreshes).toEqual({ ARBUSDC: 3, CPOOLUSDT: 9, KCSUSDT: 9, MASAUSDT: 10, OPUSDC: 4, TUSDUSDT: 10 });
    for (const s of books.keys()) expect(session.resets(s)).toBe(0);
  });

  it('spot subscribe requests carry at most 10 args', () => {
    const sent: string[] = [];
    const symbols = Array.from({ length: 12 }, (_, i) => `S${i}USDT`);
    const ctx = { send: (f: string) => sent.push(f) } as unknown as SessionContext;
    new BybitSession(ctx, { id: 'x', url: bybitSpot.wsUrl, venueSymbols: symbols }, 'spot', 200).onOpen();
    expect(sent.map((f) => (JSON.parse(f) as { args: string[] }).args.length)).toEqual([10, 10, 4]);
    const linear: string[] = [];
    new BybitSession({ send: (f: string) => linear.push(f) } as unknown as SessionContext, { id: 'y', url: bybitLinear.wsUrl, venueSymbols: symbols }, 'linear', 200).onOpen();
    expect(linear.length).toBe(1);
  });
});

describe('Bybit specs', () => {
  it('recognize their stream URLs by host and exact path', () => {
    expect(venueForUrl('wss://stream.bybit.com/v5/public/spot')?.id).toBe('bybit-spot');
    expect(venueForUrl('wss://stream.bybit.com/v5/public/linear')?.id).toBe('bybit-linear');
    expect(venueForUrl('wss://stream.bybit.com/realtime_public')?.id).toBe('bybit-legacy');
    expect(venueForUrl('wss://stream.bybit.com/realtime')?.id).toBe('bybit-legacy');
    expect(venueForUrl('wss://stream.bybit.com/v5/public/inverse')).toBeUndefined();
    expect(venueForUrl('wss://stream.bybit.com/realtime_private')).toBeUndefined();
  });

  it('name instruments from the venue symbol alone', () => {
    const n = (s: string) => bybitInstrument('bybit-linear', 'linear', s).symbol;
    expect(bybitInstrument('bybit-spot', 'spot', 'BTCUSDT').symbol).toBe('BTC-USDT');
    expect(n('BTCUSDT')).toBe('BTC-USDT-PERP');
    expect(n('BTCPERP')).toBe('BTC-USDC-PERP');
    expect(n('BTCUSDT-26DEC25')).toBe('BTC-USDT-251226');
    expect(n('BTC-27DEC24')).toBe('BTC-USDC-241227');
    expect(bybitInstrument('bybit-linear', 'linear', 'BTC-27DEC24')).toMatchObject({ kind: 'future', base: 'BTC', quote: 'USDC' });
    expect(bybitLegacyInstrument('BTCUSDM21').symbol).toBe('BTCUSDM21');
  });

  it('shard symbols under the per-connection symbol and args budgets', () => {
    const symbols = Array.from({ length: 250 }, (_, i) => `SYM${i}USDT`);
    const plans = bybitLinear.plan(symbols);
    expect(plans.map((p) => p.venueSymbols.length)).toEqual([100, 100, 50]);
    expect(plans.every((p) => p.url === 'wss://stream.bybit.com/v5/public/linear')).toBe(true);
  });
});
