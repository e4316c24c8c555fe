import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { verifyFile } from '../../src-main/engine/verify/verify.ts';
import { loadRecording } from '../../src-main/engine/replay/recording.ts';
import type { RecordLine } from '../../src-main/engine/replay/recording.ts';
import { formatScaled } from '../../src-shared/model/decimal.ts';
import type { Trade } from '../../src-shared/model/market.ts';
import { dataDir, dataPath } from '../support/data.ts';
import { dropAt, duplicateAt, runRecords } from '../support/runRecords.ts';
import { canon, expectMatchesRebuild } from '../support/textBooks.ts';

const L2_0405 = 'bitmex/cryptofeed_orderBookL2_2021-04-05_120s.ndjson';
const L2_0405_FILE = 'cryptofeed_orderBookL2_2021-04-05_120s.ndjson';
const L2_0722 = 'bitmex/cryptofeed_orderBookL2_2021-07-22.ndjson';

interface L2Row {
  symbol: string;
  id: string;
  side: 'Buy' | 'Sell';
  size?: string;
  price?: string;
}

interface L2Message {
  index: number;
  action: 'partial' | 'insert' | 'update' | 'delete';
  filter?: { symbol: string };
  data: L2Row[];
}

/** orderBookL2 messages read straight from the raw lines, numbers kept as text (independent of the adapter). */
function l2Messages(records: readonly RecordLine[]): L2Message[] {
  const out: L2Message[] = [];
  records.forEach((r, index) => {
    if (r.dir !== 'recv' || r.raw === 'pong') return;
    const m = JSON.parse(r.raw, (_k, v: unknown, ctx?: { source?: string }) => (typeof v === 'number' ? ctx!.source : v)) as { table?: string } & Omit<L2Message, 'index'>;
    if (m.table === 'orderBookL2') out.push({ index, action: m.action, data: m.data, ...(m.filter ? { filter: m.filter } : {}) });
  });
  return out;
}

interface Reference {
  messages: number;
  /** insert/update/delete rows after the partial. */
  refs: number;
  /** Rows whose id did not fit the table (must be 0 on the real recordings). */
  inconsistent: number;
  bids: Map<string, string>;
  asks: Map<string, string>;
}

/** Rebuild every book with an id -> price map, counting id references independently of the adapter. */
function reference(msgs: readonly L2Message[]): Map<string, Reference> {
  const out = new Map<string, Reference>();
  const ids = new Map<string, string>();
  for (const m of msgs) {
    const symbols = new Set(m.data.map((r) => r.symbol));
    if (m.filter) symbols.add(m.filter.symbol);
    for (const sym of symbols) {
      let ref = out.get(sym);
      if (ref === undefined) out.set(sym, (ref = { messages: 0, refs: 0, inconsistent: 0, bids: new Map(), asks: new Map() }));
      ref.messages++;
    }
    for (const r of m.data) {
      const ref = out.get(r.symbol)!;
      const side = r.side === 'Buy' ? ref.bids : ref.asks;
      const key = `${r.symbol}:${r.id}`;
      if (m.action !== 'partial') ref.refs++;
      if (m.action === 'partial' || m.action === 'insert') {
        if (ids.has(key)) ref.inconsistent++;
        ids.set(key, canon(r.price!));
        side.set(canon(r.price!), canon(r.size!));
      } else {
        const price = ids.get(key);
        if (price === undefined) {
          ref.inconsistent++;
          continue;
        }
        if (m.action === 'update') side.set(price, canon(r.size!));
        else {
          side.delete(price);
          ids.delete(key);
        }
      }
    }
  }
  return out;
}

describe('verify: every BitMEX orderBookL2 recording', () => {
  const dir = join(dataDir(), 'bitmex');
  for (const f of readdirSync(dir).sort()) {
    it(`${f}: every book live, every update/delete id reference consistent, books equal to an independent rebuild`, async () => {
      const records = await loadRecording(join(dir, f));
      const refs = reference(l2Messages(records));
      const r = await verifyFile(join(dir, f));
      expect(r.error).toBeUndefined();
      expect(r.venues).toEqual(['bitmex']);
      const books = r.symbols.filter((s) => !s.tradesOnly);
      expect(books.map((s) => s.symbol).sort()).toEqual([...refs.keys()].sort());
      expect(books).toHaveLength(10);
      for (const s of books) {
        const ref = refs.get(s.symbol)!;
        expect(ref.inconsistent, s.symbol).toBe(0);
        expectMatchesRebuild(s, ref);
      }
    });
  }

  it('counts every id reference of both files and names the contracts', async () => {
    const a = await verifyFile(dataPath(L2_0405));
    const b = await verifyFile(dataPath(L2_0722));
    const refs = (r: typeof a) => r.symbols.reduce((n, s) => n + s.counters.refsOk, 0);
    // insert + update + delete rows: 3,733 + 2,503 + 3,702 on 04-05; 554 + 1,490 + 543 on 07-22.
    expect(refs(a)).toBe(9938);
    expect(refs(b)).toBe(2587);
    const name = new Map([...a.symbols, ...b.symbols].map((s) => [s.symbol, s.normalized]));
    expect(name.get('XBTUSD')).toBe('BTC-USD-PERP-INV');
    expect(name.get('LINKUSDT')).toBe('LINK-USDT-PERP');
    expect(name.get('XBTM21')).toBe('BTC-USD-210625-INV');
    expect(name.get('XBTU21')).toBe('BTC-USD-210924-INV');
    expect(name.get('ADAM21')).toBe('ADA-BTC-210625');
    // Quanto contracts keep their venue name.
    expect(name.get('ETHUSDM21')).toBe('ETHUSDM21');
    expect(name.get('BCHUSD')).toBe('BCHUSD');
  });

  it('emits the trade table inserts with the taker side, not the partial replay of older trades', async () => {
    const records = await loadRecording(dataPath(L2_0405));
    let inserted = 0;
    const sides = new Map<string, number>();
    for (const r of records) {
      if (r.dir !== 'recv') continue;
      const m = JSON.parse(r.raw) as { table?: string; action?: string; data?: { side: string }[] };
      if (m.table !== 'trade' || m.action !== 'insert') continue;
      for (const t of m.data!) {
        inserted++;
        sides.set(t.side, (sides.get(t.side) ?? 0) + 1);
      }
    }
    const trades: Trade[] = [];
    await verifyFile(dataPath(L2_0405), { onTrade: (t) => trades.push(t) });
    expect(trades).toHaveLength(inserted);
    expect(inserted).toBe(112);
    expect(trades.filter((t) => t.takerSide === 'buy')).toHaveLength(sides.get('Buy') ?? 0);
    expect(trades.filter((t) => t.takerSide === 'sell')).toHaveLength(sides.get('Sell') ?? 0);
    const first = trades[0]!;
    expect(first.symbol).toBe('TRXM21');
    expect(formatScaled(first.price, first.priceScale)).toBe('0.00000216');
    expect(first.size).toBe(7415);
    expect(first.exchTsMs).toBe(Date.UTC(2021, 3, 5, 18, 41, 18, 601));
  });
});

describe('BitMEX faults derived from the real stream', () => {
  /** The first insert of `symbol` whose id a later update or delete references. */
  function referencedInsert(msgs: readonly L2Message[], symbol: string): { index: number; id: string; laterIndex: number } {
    for (let i = 0; i < msgs.length; i++) {
      const m = msgs[i]!;
      if (m.action !== 'insert' || m.data[0]?.symbol !== symbol || m.data.length !== 1) continue;
      const id = m.data[0].id;
      const later = msgs.slice(i + 1).find((n) => n.action !== 'insert' && n.action !== 'partial' && n.data.some((r) => r.id === id && r.symbol === symbol));
      if (later) return { index: m.index, id, laterIndex: later.index };
    }
    throw new Error(`no referenced insert of ${symbol}`);
  }

  it('a dropped insert shows up as an update/delete of an id the book does not hold: gap and resync on that symbol only', async () => {
    const records = await loadRecording(dataPath(L2_0405));
    const base = runRecords(records, L2_0405_FILE).bySymbol;
    const drop = referencedInsert(l2Messages(records), 'XBTM21');
    const broken = runRecords(dropAt(records, drop.index), L2_0405_FILE).bySymbol;
    const hit = broken.get('XBTM21')!;
    expect(hit.state).toBe('resyncing');
    expect(hit.counters.gaps).toBe(1);
    expect(hit.anomalies.map((a) => a.kind)).toEqual(['gap']);
    expect(hit.anomalies[0]!.detail).toMatch(new RegExp(`^(update|delete) of id ${drop.id}, which the book does not hold$`));
    for (const [sym, s] of broken) {
      if (sym === 'XBTM21') continue;
      expect(s.state, sym).toBe('live');
      expect(s.counters).toEqual(base.get(sym)!.counters);
    }
  });

  it('a duplicated delete names an id already removed: caught as a gap', async () => {
    const records = await loadRecording(dataPath(L2_0405));
    const del = l2Messages(records).find((m) => m.action === 'delete' && m.data[0]?.symbol === 'LINKUSDT')!;
    const s = runRecords(duplicateAt(records, del.index), L2_0405_FILE).bySymbol.get('LINKUSDT')!;
    expect(s.state).toBe('resyncing');
    expect(s.anomalies.map((a) => a.kind)).toEqual(['gap']);
    expect(s.anomalies[0]!.detail).toBe(`delete of id ${del.data[0]!.id}, which the book does not hold`);
  });

  it('a duplicated update re-sets the same absolute size: harmless, the book ends exactly as without it', async () => {
    const records = await loadRecording(dataPath(L2_0405));
    const base = runRecords(records, L2_0405_FILE).bySymbol.get('XBTU21')!;
    const upd = l2Messages(records).find((m) => m.action === 'update' && m.data[0]?.symbol === 'XBTU21')!;
    const s = runRecords(duplicateAt(records, upd.index), L2_0405_FILE).bySymbol.get('XBTU21')!;
    expect(s.failures).toEqual([]);
    expect(s.counters.refsOk).toBe(base.counters.refsOk + upd.data.length);
    expect([s.bestBid, s.bestBidSize, s.bestAsk, s.bestAskSize, s.levels]).toEqual([base.bestBid, base.bestBidSize, base.bestAsk, base.bestAskSize, base.levels]);
  });
});
