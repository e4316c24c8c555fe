/**
 * Bithumb's only recording holds legacy trades and no order book: a replay of it has no book to
 * make live, and the replay plan says so instead of starting an engine with nothing to verify.
 */
import { describe, expect, it } from 'vitest';
import { startReplay } from '../../src-main/engine/replay/replayPlan.ts';
import { dataPath } from '../support/data.ts';

describe('Bithumb replay', () => {
  it('refuses the trades-only recording with a clear reason', async () => {
    const r = await startReplay({ files: [dataPath('bithumb/cryptofeed_transaction_2021-06-01.ndjson')], speed: 0 });
    expect(r).toEqual({ ok: false, error: 'no order-book stream found in cryptofeed_transaction_2021-06-01.ndjson' });
  });
});
