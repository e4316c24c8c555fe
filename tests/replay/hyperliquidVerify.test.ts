import { describe, expect, it } from 'vitest';
import { verifyFile } from '../../src-main/engine/verify/verify.ts';
import { loadRecording } from '../../src-main/engine/replay/recording.ts';
import type { RecordLine } from '../../src-main/engine/replay/recording.ts';
import { formatScaled } from '../../src-shared/model/decimal.ts';
import type { Trade } from '../../src-shared/model/market.ts';
import { dataPath } from '../support/data.ts';
import { nthIndex, rewriteAt, runRecords } from '../support/runRecords.ts';
import { canon } from '../support/textBooks.ts';

const REL = 'hyperliquid/BTC_l2Book_trades_2025-01-26.hftbacktest.ndjson';
const FILE = 'BTC_l2Book_trades_2025-01-26.hftbacktest.ndjson';

interface Level {
  px: string;
  sz: string;
  n: number;
}

/** l2Book messages read straight from the raw lines (independent of the adapter). */
function l2Books(records: readonly RecordLine[]): { line: number; time: number; bids: Level[]; asks: Level[] }[] {
  const out: { line: number; time: number; bids: Level[]; asks: Level[] }[] = [];
  for (const r of records) {
    const m = JSON.parse(r.raw) as { channel: string; data: { time: number; levels: [Level[], Level[]] } };
    if (m.channel === 'l2Book') out.push({ line: r.line, time: m.data.time, bids: m.data.levels[0], asks: m.data.levels[1] });
  }
  return out;
}

const isBook = (raw: string) => raw.startsWith('{"channel":"l2Book"');

describe('verify: the Hyperliquid hftbacktest capture (no URL: the file name names the venue)', () => {
  it('applies all 46 l2Book snapshots in order, each book exactly the message (20 + 20 levels)', async () => {
    const records = await loadRecording(dataPath(REL));
    const books = l2Books(records);
    let checked = 0;
    const r = await verifyFile(dataPath(REL), {
      onApplied: (sb, rec) => {
        const msg = books.find((b) => b.line === rec.line)!;
        const b = sb.book;
        expect(b.bids.count).toBe(msg.bids.length);
        expect(b.asks.count).toBe(msg.asks.length);
        msg.bids.forEach((l, i) => expect([formatScaled(b.bids.priceAt(i), b.priceScale), formatScaled(b.bids.sizeAtLevel(i), b.sizeScale)]).toEqual([canon(l.px), canon(l.sz)]));
        msg.asks.forEach((l, i) => expect([formatScaled(b.asks.priceAt(i), b.priceScale), formatScaled(b.asks.sizeAtLevel(i), b.sizeScale)]).toEqual([canon(l.px), canon(l.sz)]));
        expect(b.trustBand().mode).toBe('window');
        expect(sb.lastExchTsMs).toBe(msg.time);
        checked++;
      },
    });
    expect(r.error).toBeUndefined();
    expect(r.venues).toEqual(['hyperliquid']);
    expect(r.symbols).toHaveLength(1);
    const s = r.symbols[0]!;
    expect(s.failures).toEqual([]);
    expect(s.symbol).toBe('BTC');
    expect(s.normalized).toBe('BTC-USDC-PERP');
    expect(s.state).toBe('live');
    // PROVENANCE.md: 46 l2Book messages (20 levels per side) + 9 trades messages, 25 s.
    expect(books).toHaveLength(46);
    expect(books.every((b) => b.bids.length === 20 && b.asks.length === 20)).toBe(true);
    expect(checked).toBe(46);
    expect(s.counters.messages).toBe(46);
    expect(s.counters.snapshots).toBe(46);
    expect(s.counters.applied).toBe(46);
    expect(s.counters.regress).toBe(0);
    expect(s.levels).toBe(40);
    const last = books.at(-1)!;
    expect([s.bestBid, s.bestBidSize, s.bestAsk, s.bestAskSize]).toEqual([canon(last.bids[0]!.px), canon(last.bids[0]!.sz), canon(last.asks[0]!.px), canon(last.asks[0]!.sz)]);
  });

  it('reads the 64 trades of the 9 trades messages with B = taker buy, A = taker sell', async () => {
    const records = await loadRecording(dataPath(REL));
    const raw: { side: string; px: string; sz: string; tid: number; time: number }[] = [];
    let messages = 0;
    for (const r of records) {
      const m = JSON.parse(r.raw) as { channel: string; data: typeof raw };
      if (m.channel !== 'trades') continue;
      messages++;
      raw.push(...m.data);
    }
    const trades: Trade[] = [];
    await verifyFile(dataPath(REL), { onTrade: (t) => trades.push(t) });
    expect(messages).toBe(9);
    expect(trades).toHaveLength(64);
    trades.forEach((t, i) => {
      expect(t.takerSide).toBe(raw[i]!.side === 'B' ? 'buy' : 'sell');
      expect(formatScaled(t.price, t.priceScale)).toBe(canon(raw[i]!.px));
      expect(formatScaled(t.size, t.sizeScale)).toBe(canon(raw[i]!.sz));
      expect(t.tradeId).toBe(String(raw[i]!.tid));
      expect(t.exchTsMs).toBe(raw[i]!.time);
    });
  });
});

describe('Hyperliquid faults derived from the real stream', () => {
  it('a snapshot delivered after a newer one is a regress: dropped, the newer book stays', async () => {
    const records = await loadRecording(dataPath(REL));
    const i = nthIndex(records, 20, isBook);
    const j = nthIndex(records, 21, isBook);
    const late = [...records.slice(0, i), ...records.slice(i + 1, j + 1), records[i]!, ...records.slice(j + 1)];
    const s = runRecords(late, FILE).bySymbol.get('BTC')!;
    expect(s.counters.regress).toBe(1);
    expect(s.counters.applied).toBe(45);
    expect(s.state).toBe('live');
    expect(s.failures).toEqual([]);
  });

  it('a corrupted level empties the book and invalidates it; the next snapshot heals it', async () => {
    const records = await loadRecording(dataPath(REL));
    const at = nthIndex(records, 30, isBook);
    const states: string[] = [];
    const s = runRecords(rewriteAt(records, at, (raw) => raw.replace(/"px":"(\d+)\.0"/, '"px":"$1.0.0"')), FILE, {
      onApplied: (sb, rec) => {
        if (rec.line === records[at + 1]!.line || rec.line === records[at]!.line) states.push(`${rec.line}:${sb.state}`);
      },
    }).bySymbol.get('BTC')!;
    expect(s.counters.invalid).toBe(1);
    expect(s.anomalies.map((a) => a.kind)).toEqual(['invalid-price']);
    expect(s.counters.applied).toBe(45);
    // Only the following snapshot was applied (the corrupted one never was), and it made the book live again.
    expect(isBook(records[at + 1]!.raw)).toBe(true);
    expect(states).toEqual([`${records[at + 1]!.line}:live`]);
    expect(s.state).toBe('live');
    expect(s.failures).toEqual(['1 invalid level(s)']);
  });
});
