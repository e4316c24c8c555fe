/**
 * Real book frames for the process-boundary benchmark: the Binance spot BTCUSDT 10-minute capture
 * run through the real adapter (verify), one `BookView` (top 20 per side, exact decimal strings)
 * after every applied depth message: the frames a feed process sends for a subscribed ladder.
 */
import type { BookView } from '../../src-shared/contracts/engineApi.ts';
import { bookView } from '../../src-main/engine/services/statusViews.ts';
import { verifyFile } from '../../src-main/engine/verify/verify.ts';
import { dataPath } from '../support/data.ts';

export const BOUNDARY_RECORDING = 'binance/spot_BTCUSDT_2024-08-08T2354Z_10min.hftbacktest.ndjson.gz';

export async function boundaryFrames(depth = 20): Promise<BookView[]> {
  const frames: BookView[] = [];
  const r = await verifyFile(dataPath(BOUNDARY_RECORDING), {
    onApplied: (sb) => {
      if (sb.state !== 'live') return;
      frames.push(bookView(sb, depth, Number(sb.lastUpdateRecvNs / 1_000_000n)));
    },
  });
  if (r.error) throw new Error(r.error);
  return frames;
}
