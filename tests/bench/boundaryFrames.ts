/**
 * Real book frames for the process-boundary benchmark: the Binance spot BTCUSDT 10-minute capture
 * run through the real adapter (verify), one `BookView` (top 20 per side, exact decimal strings)
 * after every applied depth message: the frames a feed process sends for a subscribed ladder.
 */
import type { BookView } from '../../src-shared/contracts/engineApi.ts';
import { formatScaled } from '../../src-shared/model/decimal.ts';
import { verifyFile } from '../../src-main/engine/verify/verify.ts';
import { dataPath } from '../support/data.ts';

export const BOUNDARY_RECORDING = 'binance/spot_BTCUSDT_2024-08-08T2354Z_10min.hftbacktest.ndjson.gz';

export async function boundaryFrames(depth = 20): Promise<BookView[]> {
  const frames: BookView[] = [];
  const r = await verifyFile(dataPath(BOUNDARY_RECORDING), {
    onApplied: (sb) => {
      if (sb.state !== 'live') return;
      const b = sb.book;
      const top = b.top(depth);
      const text = (l: [number, number]) => ({ price: formatScaled(l[0], b.priceScale), size: formatScaled(l[1], b.sizeScale) });
      frames.push({
        venue: sb.instrument.venue,
        symbol: sb.symbol,
        normalized: sb.instrument.symbol,
        state: sb.state,
        seq: sb.seq,
        tsMs: Number(sb.lastUpdateRecvNs / 1_000_000n),
        bids: top.bids.map(text),
        asks: top.asks.map(text),
        trustBand: { mode: 'snapshot', bidFloor: null, askCeiling: null },
        spread: null,
        mid: null,
      });
    },
  });
  if (r.error) throw new Error(r.error);
  return frames;
}
