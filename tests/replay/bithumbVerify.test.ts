import { describe, expect, it } from 'vitest';
import { allPassed, verifyFile } from '../../src-main/engine/verify/verify.ts';
import { loadRecording } from '../../src-main/engine/replay/recording.ts';
import { formatScaled, parseScaledBig, requiredScale } from '../../src-shared/model/decimal.ts';
import type { Trade } from '../../src-shared/model/market.ts';
import { dataPath } from '../support/data.ts';

const REL = 'bithumb/cryptofeed_transaction_2021-06-01.ndjson';

interface LegacyTrade {
  symbol: string;
  buySellGb: string;
  contPrice: string;
  contQty: string;
  contAmt: string;
  contDtm: string;
}

describe('verify: the Bithumb legacy recording (trades only, no order book)', () => {
  it('passes on its 7 trades and says plainly that no book was verified', async () => {
    const r = await verifyFile(dataPath(REL));
    expect(r.error).toBeUndefined();
    expect(r.venues).toEqual(['bithumb']);
    expect(r.symbols.map((s) => [s.symbol, s.normalized, s.state, s.tradesOnly, s.counters.trades, s.counters.messages])).toEqual([
      ['CON_KRW', 'CON-KRW', 'trades-only', true, 1, 0],
      ['GOM2_KRW', 'GOM2-KRW', 'trades-only', true, 6, 0],
    ]);
    for (const s of r.symbols) expect(s.failures).toEqual([]);
    expect(r.notices).toEqual(['trades only: 7 trade(s) of CON_KRW, GOM2_KRW read exactly; this file holds no order book, so no book was verified for them']);
    expect(allPassed([r])).toBe(true);
  });

  it('normalizes every trade: taker side from buySellGb, KST contDtm to UTC, price x qty = contAmt to its 3 decimals', async () => {
    const records = await loadRecording(dataPath(REL));
    const raw: { t: LegacyTrade; recvMs: number }[] = [];
    for (const rec of records) {
      if (rec.dir !== 'recv') continue;
      const m = JSON.parse(rec.raw) as { type?: string; content?: { list: LegacyTrade[] } };
      if (m.type === 'transaction') for (const t of m.content!.list) raw.push({ t, recvMs: Number(rec.recvTsNs / 1_000_000n) });
    }
    const trades: Trade[] = [];
    await verifyFile(dataPath(REL), { onTrade: (t) => trades.push(t) });
    expect(trades).toHaveLength(raw.length);
    expect(trades).toHaveLength(7);
    trades.forEach((tr, i) => {
      const { t, recvMs } = raw[i]!;
      expect(tr.symbol).toBe(t.symbol);
      expect(tr.takerSide).toBe(t.buySellGb === '2' ? 'buy' : 'sell');
      expect(formatScaled(tr.price, tr.priceScale)).toBe(t.contPrice);
      expect(formatScaled(tr.size, tr.sizeScale)).toBe(t.contQty);
      // The venue's own amount is price x quantity truncated to 3 decimals: the exact product
      // agrees with it, which a float product could not promise.
      const scale = Math.max(requiredScale(t.contPrice) + requiredScale(t.contQty), 3);
      const product = parseScaledBig(t.contPrice, requiredScale(t.contPrice))! * parseScaledBig(t.contQty, requiredScale(t.contQty))!;
      const amt = parseScaledBig(t.contAmt, 3)! * 10n ** BigInt(scale - 3);
      expect(product - amt >= 0n && product - amt < 10n ** BigInt(scale - 3), `${t.contPrice} x ${t.contQty} vs ${t.contAmt}`).toBe(true);
      // contDtm is Korea time (UTC+9): read as such, every trade precedes its receipt by seconds,
      // not by the 9 hours a UTC reading would show.
      expect(recvMs - tr.exchTsMs).toBeGreaterThanOrEqual(0);
      expect(recvMs - tr.exchTsMs).toBeLessThan(60_000);
    });
    expect(trades[0]!.exchTsMs).toBe(Date.UTC(2021, 5, 1, 23, 43, 34, 555));
  });
});
