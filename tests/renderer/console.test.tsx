/// <reference types="node" />
// @vitest-environment happy-dom
/**
 * The console's views rendered in a DOM, fed through the real bridge with frames built from real
 * recordings: venue tiles, the virtualized symbols table (sort, filters), depth ladders (exact
 * levels, cumulative sizes, spread, trust band), a fault-injected gap in the resync timeline, the
 * NBBO with an excluded venue, manual resync from table / tile / keyboard, diagnostics, help,
 * the connection banner and the layout kept across restarts.
 */
import { readFileSync } from 'node:fs';
import { act, cleanup, fireEvent, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { BookView, SymbolStatus } from '../../src-shared/contracts/engineApi.ts';
import { parseScaledBig, requiredScale } from '../../src-shared/model/decimal.ts';
import { HIGHLIGHT_MS } from '../../src-renderer/components/DepthLadder.tsx';
import { ROW_PX } from '../../src-renderer/components/SymbolsTable.tsx';
import { bookKey } from '../../src-renderer/stores/keys.ts';
import { openLadder } from '../../src-renderer/stores/uiStore.ts';
import { dataPath } from '../support/data.ts';
import { consoleFixture } from '../support/consoleFixtures.ts';
import type { ConsoleFixture } from '../support/consoleFixtures.ts';
import { MemoryStorage, renderConsole, settle, startHarness } from './harness.tsx';
import type { Harness } from './harness.tsx';

const BINANCE_4 = 'binance/cryptofeed_spot_4sym_2021-10-12.ndjson';
const BINANCE_10 = 'binance/cryptofeed_spot_10sym_2021-04-05_120s.ndjson';
const OKX = 'okx/cryptofeed_books_2022-05-13.ndjson';
const BYBIT = 'bybit/cryptofeed_v5_linear+spot_orderbook200_2026-08-09.ndjson';
const BITFINEX = 'bitfinex/cryptofeed_ws2_book_P0_len100_seqall_2021-04-05_120s.ndjson';
const KRAKEN = 'kraken/cryptofeed_v1_book1000_XBTUSD+9pairs_2021-04-05_120s.ndjson';
const COINBASE = 'coinbase/cryptofeed_exchange_level2_2021-04-17.ndjson';

let h: Harness | null = null;
afterEach(() => {
  cleanup();
  h?.dispose();
  h = null;
});

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (cond()) return;
    await act(async () => {
      await new Promise((r) => setTimeout(r, 5));
    });
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function boot(fx: ConsoleFixture, storage?: MemoryStorage, backoffMs?: number) {
  h = await startHarness(fx, { ...(storage ? { storage } : {}), ...(backoffMs !== undefined ? { backoffMs } : {}) });
  const view = renderConsole(h);
  await until(() => h!.session.stores.market.getState().symbols.size > 0, 'seed');
  await h.frame();
  return view;
}

function big(s: string): { m: bigint; s: number } {
  const scale = requiredScale(s);
  return { m: parseScaledBig(s, scale)!, s: scale };
}

/** Independent exact comparison for expectations (cross-multiplied BigInts). */
function cmpExact(a: string, b: string): number {
  const x = big(a);
  const y = big(b);
  const l = x.m * 10n ** BigInt(Math.max(x.s, y.s) - x.s);
  const r = y.m * 10n ** BigInt(Math.max(x.s, y.s) - y.s);
  return l < r ? -1 : l > r ? 1 : 0;
}

/** The 1-based line of the `nth` LRCBTC depth diff after the REST snapshot in the real recording. */
function lrcbtcDiffLine(nth: number): number {
  const lines = readFileSync(dataPath(BINANCE_4), 'utf8').split('\n');
  const snap = lines.findIndex((l) => l.includes('"dir":"http"') && l.includes('symbol=LRCBTC'));
  let seen = 0;
  for (let i = snap + 1; i < lines.length; i++) {
    if (lines[i]!.includes('lrcbtc@depth') && ++seen === nth) return i + 1;
  }
  throw new Error('no such diff');
}

describe('venue tiles', () => {
  it('one tile per venue with its figures in words and a verdict that is text as well as colour', async () => {
    const fx = await consoleFixture([BINANCE_4, OKX, BYBIT]);
    const v = await boot(fx);
    for (const venue of fx.status.venues) {
      const tile = v.getByTestId(`venue-tile-${venue.venue}`);
      expect(tile.textContent).toContain(venue.label);
      expect(tile.textContent).toContain(`${venue.connectionsOpen}/${venue.connections}`);
      expect(tile.textContent).toContain(`${venue.liveSymbols}/${venue.symbols} live`);
      const verdict = within(tile).getByTestId(`venue-verdict-${venue.venue}`);
      expect(verdict.textContent).toMatch(venue.liveSymbols === venue.symbols ? /all live/ : /not live/);
      expect(verdict.className).toMatch(/tone-(ok|warn)/);
    }
    // OKX books carry the exchange's CRC32 on every update: the tile counts them.
    const okx = fx.status.venues.find((x) => x.venue === 'okx')!;
    expect(okx.checksumOk).toBeGreaterThan(0);
    expect(v.getByTestId('venue-tile-okx').textContent).toContain(`cksum${okx.checksumOk.toLocaleString('en-US')} ok`);
    expect(within(v.getByTestId('venue-tile-okx')).getByTitle(`exchange checksums: ${okx.checksumOk.toLocaleString('en-US')} verified, 0 failed`)).toBeTruthy();
  });
});

describe('symbols table', () => {
  it('renders only the rows in view and scrolls through all of them', async () => {
    const fx = await consoleFixture([BINANCE_4, BINANCE_10, OKX, BYBIT, KRAKEN, COINBASE, BITFINEX]);
    const v = await boot(fx);
    const total = fx.status.symbols.length;
    expect(total).toBeGreaterThan(40);
    expect(v.getByTestId('symbols-count').textContent).toContain(`${total} books`);
    const rendered = v.getAllByTestId('symbol-row');
    // happy-dom has no layout: the virtualizer falls back to a 600 px viewport (25 rows) + overscan.
    expect(rendered.length).toBeLessThanOrEqual(Math.ceil(600 / ROW_PX) + 6 + 1);
    expect(rendered.length).toBeLessThan(total);
    const body = v.getByTestId('symbols-body');
    const keysBefore = rendered.map((r) => r.getAttribute('data-key'));
    await act(async () => {
      body.scrollTop = (total - 5) * ROW_PX;
      fireEvent.scroll(body);
      await new Promise((r) => setTimeout(r, 40));
    });
    const keysAfter = v.getAllByTestId('symbol-row').map((r) => r.getAttribute('data-key'));
    expect(keysAfter).not.toEqual(keysBefore);
    const sorted = [...fx.status.symbols].sort((a, b) => (`${a.venue}\u0000${a.symbol}` < `${b.venue}\u0000${b.symbol}` ? -1 : 1));
    expect(keysAfter).toContain(bookKey(sorted[total - 1]!.venue, sorted[total - 1]!.symbol));
  });

  it('sorts best bids exactly (not as floats) and filters by venue, state and text', async () => {
    const fx = await consoleFixture([BINANCE_4, OKX, BYBIT]);
    const v = await boot(fx);
    fireEvent.click(v.getByRole('columnheader', { name: /^Bid/ }));
    await h!.frame();
    const withBid = fx.status.symbols.filter((s) => s.bestBid !== null);
    const expected = [...withBid].sort((a, b) => -cmpExact(a.bestBid!, b.bestBid!) || (`${a.venue}\u0000${a.symbol}` < `${b.venue}\u0000${b.symbol}` ? -1 : 1));
    const shown = v.getAllByTestId('symbol-row').map((r) => r.getAttribute('data-key'));
    expect(shown.slice(0, expected.length)).toEqual(expected.map((s) => bookKey(s.venue, s.symbol)));

    fireEvent.change(v.getByTestId('venue-filter'), { target: { value: 'okx' } });
    await h!.frame();
    const okxRows = v.getAllByTestId('symbol-row');
    expect(okxRows.length).toBe(fx.status.symbols.filter((s) => s.venue === 'okx').length);
    expect(okxRows.every((r) => r.getAttribute('data-key')!.startsWith('okx|'))).toBe(true);

    fireEvent.change(v.getByTestId('venue-filter'), { target: { value: '' } });
    fireEvent.change(v.getByTestId('symbol-search'), { target: { value: 'btc' } });
    await h!.frame();
    const btc = v.getAllByTestId('symbol-row').map((r) => r.getAttribute('data-key')!);
    const expectBtc = fx.status.symbols.filter((s) => `${s.symbol} ${s.normalized} ${s.venue}`.toLowerCase().includes('btc')).map((s) => bookKey(s.venue, s.symbol));
    expect(btc.sort()).toEqual(expectBtc.sort());

    fireEvent.change(v.getByTestId('symbol-search'), { target: { value: '' } });
    fireEvent.change(v.getByTestId('state-filter'), { target: { value: 'not-live' } });
    await h!.frame();
    const notLive = fx.status.symbols.filter((s) => s.state !== 'live');
    if (notLive.length === 0) expect(v.getByTestId('symbols-body').textContent).toContain('No book matches the filters');
    else expect(v.getAllByTestId('symbol-row').length).toBe(notLive.length);
  });

  it('a stats frame re-renders the table but leaves the search box alone', async () => {
    const fx = await consoleFixture([BINANCE_4, OKX, BYBIT]);
    const v = await boot(fx);
    fireEvent.change(v.getByTestId('symbol-search'), { target: { value: 'usdt' } });
    await h!.frame();
    // React writes a controlled input's name and type whenever it renders it: count the writes.
    const input = v.getByTestId('symbol-search') as HTMLInputElement;
    const writes: string[] = [];
    for (const prop of ['name', 'type'] as const) {
      let proto: object | null = Object.getPrototypeOf(input);
      while (proto !== null && Object.getOwnPropertyDescriptor(proto, prop) === undefined) proto = Object.getPrototypeOf(proto);
      const d = Object.getOwnPropertyDescriptor(proto!, prop)!;
      Object.defineProperty(input, prop, {
        configurable: true,
        get: () => d.get!.call(input),
        set: (x: string) => {
          writes.push(prop);
          d.set!.call(input, x);
        },
      });
    }
    const before = v.getAllByTestId('symbol-row').map((r) => r.textContent).join('\n');
    for (const f of fx.statsFrames.slice(0, 6)) {
      await h!.emit('stats.frame', f);
      await h!.frame();
    }
    // The rows did change (real figures); the search box was not written.
    expect(v.getAllByTestId('symbol-row').map((r) => r.textContent).join('\n')).not.toBe(before);
    expect(writes).toEqual([]);
    // Typing still filters (the box is rendered when its own value changes).
    fireEvent.change(input, { target: { value: 'btc' } });
    await h!.frame();
    expect(writes.length).toBeGreaterThan(0);
    expect(v.getAllByTestId('symbol-row').every((r) => /btc/i.test(r.textContent ?? ''))).toBe(true);
  });
});

describe('depth ladder', () => {
  function ladderLevels(root: HTMLElement, side: 'bid' | 'ask') {
    return [...root.querySelectorAll(`[data-testid="ladder-${side}"]`)].map((el) => ({ price: el.getAttribute('data-price')!, size: el.getAttribute('data-size')!, cum: el.getAttribute('data-cum') ?? '', text: el.textContent ?? '', untrusted: el.className.includes('untrusted') }));
  }

  it('Enter opens the selected symbol; the ladder shows exactly the engine levels, exact cumulative sizes and spread', async () => {
    const fx = await consoleFixture([BINANCE_4, OKX, BYBIT]);
    const v = await boot(fx);
    const key = 'bybit-spot|BTCUSDT';
    act(() => h!.session.stores.ui.setState({ selected: key }));
    fireEvent.keyDown(window, { key: 'Enter' });
    await h!.frame();
    await until(() => h!.calls.some((c) => c.method === 'view.subscribe'), 'subscribe');
    const view = fx.bookViews.get(key)!.at(-1)!;
    const depth = h!.session.stores.ui.getState().ladderDepth;
    const shown: BookView = { ...view, bids: view.bids.slice(0, depth), asks: view.asks.slice(0, depth) };
    await h!.emit('book.frame', { books: [shown], trades: fx.trades.filter((t) => t.venue === 'bybit-spot' && t.symbol === 'BTCUSDT').slice(-8) });
    await h!.frame();
    const ladder = v.getByTestId('ladder-bybit-spot-BTCUSDT');
    const bids = ladderLevels(ladder, 'bid');
    const asks = ladderLevels(ladder, 'ask').reverse();
    expect(bids.map(({ price, size }) => ({ price, size }))).toEqual(shown.bids);
    expect(asks.map(({ price, size }) => ({ price, size }))).toEqual(shown.asks);
    // Cumulative column: the exact running sum of the sizes, compared as BigInt mantissas.
    let acc = { m: 0n, s: 0 };
    for (const [i, l] of shown.bids.entries()) {
      const x = big(l.size);
      const s = Math.max(acc.s, x.s);
      acc = { m: acc.m * 10n ** BigInt(s - acc.s) + x.m * 10n ** BigInt(s - x.s), s };
      const cumText = bids[i]!.cum;
      expect(bids[i]!.text).toContain(cumText.split('.')[0]!);
      expect(cmpExact(cumText, `${acc.m / 10n ** BigInt(s)}.${(acc.m % 10n ** BigInt(s)).toString().padStart(s, '0')}`), `bid ${i}`).toBe(0);
    }
    expect(within(ladder).getByTestId('ladder-spread').textContent).toContain(`spread ${shown.spread}`);
    expect(within(ladder).getByTestId('ladder-mid').textContent).toContain(`mid ${shown.mid}`);
    expect(within(ladder).getByTestId('ladder-seq').textContent).toBe(`seq ${shown.seq}`);
    expect(within(ladder).getByText('live')).toBeTruthy();
    expect(within(ladder).getByTestId('trade-tape').querySelectorAll('.tape-row').length).toBe(8);
  });

  it('marks levels beyond a depth-limited snapshot as outside the trust band, with the edge shown', async () => {
    const fx = await consoleFixture([BINANCE_10], { depth: 1000 });
    const key = 'binance-spot|DENTUSDT';
    const view = fx.finalBooks.get(key)!;
    expect(view.trustBand.mode).toBe('snapshot');
    const ceiling = view.trustBand.askCeiling!;
    const outside = view.asks.filter((l) => cmpExact(l.price, ceiling) > 0);
    expect(outside.length).toBeGreaterThan(0);
    const v = await boot(fx);
    act(() => openLadder(h!.session.stores.ui, { venue: 'binance-spot', symbol: 'DENTUSDT' }));
    await h!.frame();
    await h!.emit('book.frame', { books: [view], trades: [] });
    await h!.frame();
    const ladder = v.getByTestId('ladder-binance-spot-DENTUSDT');
    const asks = ladderLevels(ladder, 'ask');
    expect(asks.filter((a) => a.untrusted).map((a) => a.price).sort()).toEqual(outside.map((l) => l.price).sort());
    expect(ladderLevels(ladder, 'bid').some((b) => b.untrusted)).toBe(view.trustBand.bidFloor !== null && view.bids.some((l) => cmpExact(l.price, view.trustBand.bidFloor!) < 0));
    expect(within(ladder).getAllByTestId('trust-edge')[0]!.textContent).toContain(ceiling);
  });

  it('highlights the levels that changed between two real states', async () => {
    const fx = await consoleFixture([BYBIT]);
    const v = await boot(fx);
    const key = 'bybit-linear|ETHUSDT';
    act(() => openLadder(h!.session.stores.ui, { venue: 'bybit-linear', symbol: 'ETHUSDT' }));
    await h!.frame();
    const [a, b] = fx.bookViews.get(key)!.slice(3, 5);
    const cut = (x: BookView): BookView => ({ ...x, bids: x.bids.slice(0, 20), asks: x.asks.slice(0, 20) });
    await h!.emit('book.frame', { books: [cut(a!)], trades: [] });
    await h!.frame();
    await h!.emit('book.frame', { books: [cut(b!)], trades: [] });
    await h!.frame();
    const ladder = v.getByTestId('ladder-bybit-linear-ETHUSDT');
    const changed = [...ladder.querySelectorAll('.lrow.changed')].map((el) => `${el.getAttribute('data-testid')}:${el.getAttribute('data-price')}`);
    const prev = new Map<string, string>([...cut(a!).bids.map((l): [string, string] => [`b${l.price}`, l.size]), ...cut(a!).asks.map((l): [string, string] => [`a${l.price}`, l.size])]);
    const expected = [...cut(b!).bids.filter((l) => prev.get(`b${l.price}`) !== l.size).map((l) => `ladder-bid:${l.price}`), ...cut(b!).asks.filter((l) => prev.get(`a${l.price}`) !== l.size).map((l) => `ladder-ask:${l.price}`)];
    expect(changed.sort()).toEqual(expected.sort());
  });

  it('drops the highlight once the book stays quiet for HIGHLIGHT_MS', async () => {
    const fx = await consoleFixture([BYBIT]);
    const v = await boot(fx);
    const key = 'bybit-linear|ETHUSDT';
    act(() => openLadder(h!.session.stores.ui, { venue: 'bybit-linear', symbol: 'ETHUSDT' }));
    await h!.frame();
    const [a, b] = fx.bookViews.get(key)!.slice(3, 5);
    const cut = (x: BookView): BookView => ({ ...x, bids: x.bids.slice(0, 20), asks: x.asks.slice(0, 20) });
    await h!.emit('book.frame', { books: [cut(a!)], trades: [] });
    await h!.frame();
    await h!.emit('book.frame', { books: [cut(b!)], trades: [] });
    await h!.frame();
    const ladder = v.getByTestId('ladder-bybit-linear-ETHUSDT');
    expect(ladder.querySelectorAll('.lrow.changed').length).toBeGreaterThan(0);
    await act(async () => {
      await new Promise((r) => setTimeout(r, HIGHLIGHT_MS + 100));
    });
    expect(ladder.querySelectorAll('.lrow.changed').length).toBe(0);
    // The levels themselves are unchanged.
    expect(ladderLevels(ladder, 'bid').map(({ price, size }) => ({ price, size }))).toEqual(cut(b!).bids);
  });

  it('writes to the DOM only the level rows whose level, highlight or depth bar changed', async () => {
    const fx = await consoleFixture([BYBIT]);
    const v = await boot(fx);
    const key = 'bybit-linear|ETHUSDT';
    act(() => openLadder(h!.session.stores.ui, { venue: 'bybit-linear', symbol: 'ETHUSDT' }));
    await h!.frame();
    const cut = (x: BookView): BookView => ({ ...x, bids: x.bids.slice(0, 20), asks: x.asks.slice(0, 20) });
    const real = fx.bookViews.get(key)!.slice(3, 12).map(cut);
    // Consecutive real states, then the last one again (a frame whose levels did not move, as
    // when only the sequence or the trades changed): every row that shows the same is left alone.
    const states = [...real, { ...real.at(-1)!, bids: real.at(-1)!.bids.map((l) => ({ ...l })), asks: real.at(-1)!.asks.map((l) => ({ ...l })) }];
    const ladder = () => v.getByTestId('ladder-bybit-linear-ETHUSDT');
    const rowsOf = (el: HTMLElement) => [...el.querySelectorAll<HTMLElement>('[data-testid="ladder-bid"]')];
    // What a row shows: its attributes, classes, inline style (depth bar) and text.
    const shown = (r: HTMLElement) => `${r.className}|${r.getAttribute('style')}|${r.getAttribute('data-price')}|${r.getAttribute('data-size')}|${r.getAttribute('data-cum')}|${r.textContent}`;
    const touched = (records: MutationRecord[]) => {
      const out = new Set<HTMLElement>();
      for (const m of records) {
        const el = m.target instanceof HTMLElement ? m.target : m.target.parentElement;
        const row = el?.closest<HTMLElement>('.lrow');
        if (row) out.add(row);
      }
      return out;
    };
    const observer = new MutationObserver(() => {});
    observer.observe(ladder(), { subtree: true, attributes: true, characterData: true, childList: true });
    let snapshot: { node: HTMLElement; shown: string }[] = [];
    let sawUntouched = false;
    for (const s of states) {
      await h!.emit('book.frame', { books: [s], trades: [] });
      await h!.frame();
      const written = touched(observer.takeRecords());
      for (const [i, r] of rowsOf(ladder()).entries()) {
        const before = snapshot[i];
        if (before === undefined) continue;
        expect(r, `row ${i} is updated in place`).toBe(before.node);
        if (shown(r) === before.shown) {
          sawUntouched = true;
          expect(written.has(r), `row ${i} shows the same and was not written`).toBe(false);
        }
      }
      snapshot = rowsOf(ladder()).map((node) => ({ node, shown: shown(node) }));
    }
    observer.disconnect();
    expect(sawUntouched).toBe(true);
  });
});

describe('resync timeline and NBBO with a fault injected into a real stream', () => {
  it('a dropped diff shows as a gap with expected/got, the book leaves live, and NBBO excludes it with the reason', async () => {
    const line = lrcbtcDiffLine(3);
    const fx = await consoleFixture([BINANCE_4, BITFINEX], { dropLines: new Map([[BINANCE_4, [line]]]) });
    const row = fx.status.symbols.find((s) => s.venue === 'binance-spot' && s.symbol === 'LRCBTC')!;
    expect(row.state).not.toBe('live');
    expect(row.counters.gaps).toBe(1);
    const v = await boot(fx);
    const gap = v.getAllByTestId('timeline-row').filter((r) => r.getAttribute('data-cause') === 'gap' && r.getAttribute('data-key') === 'binance-spot|LRCBTC');
    expect(gap.length).toBeGreaterThan(0);
    const resyncRow = gap.find((r) => r.getAttribute('data-kind') === 'resync')!;
    expect(resyncRow.textContent).toMatch(/expected [^,]*\d+, got \[\d+, \d+\]/);
    expect(resyncRow.textContent).toContain('resyncing…');
    const transition = gap.find((r) => r.getAttribute('data-kind') === 'transition')!;
    expect(transition.textContent).toContain('live → resyncing');

    fireEvent.click(v.getByTestId('tab-nbbo'));
    await h!.frame();
    const lrc = v.getAllByTestId('nbbo-row').find((r) => r.getAttribute('data-instrument') === 'LRC-BTC')!;
    expect(within(lrc).getByTestId('nbbo-excluded').textContent).toBe(`binance-spot excluded: book ${row.state}`);
    const bitfinex = fx.status.symbols.find((s) => s.venue === 'bitfinex' && s.normalized === 'LRC-BTC')!;
    expect(within(lrc).getByTestId('nbbo-bid-venue').textContent).toBe('bitfinex');
    expect(within(lrc).getByTestId('nbbo-bid').textContent).toBe(bitfinex.bestBid);
    expect(within(lrc).getByTestId('nbbo-ask').textContent).toBe(bitfinex.bestAsk);
  });

  it('NBBO names the venue holding each side across venues and flags a crossed market in words', async () => {
    const fx = await consoleFixture([OKX, BYBIT]);
    const v = await boot(fx);
    fireEvent.keyDown(window, { key: '2' });
    await h!.frame();
    const n = fx.nbbo.find((x) => x.instrument === 'BTC-USDT')!;
    const quoting = fx.status.symbols.filter((s) => s.normalized === 'BTC-USDT');
    expect(quoting.length).toBeGreaterThanOrEqual(2);
    const bestBid = quoting.reduce((a, b) => (cmpExact(b.bestBid!, a.bestBid!) > 0 ? b : a));
    const bestAsk = quoting.reduce((a, b) => (cmpExact(b.bestAsk!, a.bestAsk!) < 0 ? b : a));
    const row = v.getAllByTestId('nbbo-row').find((r) => r.getAttribute('data-instrument') === 'BTC-USDT')!;
    expect(within(row).getByTestId('nbbo-bid-venue').textContent).toBe(bestBid.venue);
    expect(within(row).getByTestId('nbbo-ask-venue').textContent).toBe(bestAsk.venue);
    // Recordings from different years: the best bid (2026) is above the best ask (2022).
    expect(n.crossed).toBe(cmpExact(bestBid.bestBid!, bestAsk.bestAsk!) > 0);
    if (n.crossed) expect(row.textContent).toContain('CROSSED');
    fireEvent.click(v.getByTestId('nbbo-group'));
    await until(() => h!.calls.some((c) => c.method === 'nbbo.get' && (c.params as { groupQuotes?: boolean }).groupQuotes === true), 'grouped NBBO request');
  });
});

describe('manual resync, diagnostics, keyboard, help, connection, persistence', () => {
  it('resync from a table row is sent at once and shows its progress', async () => {
    const fx = await consoleFixture([BINANCE_4, OKX]);
    const v = await boot(fx);
    const row = v.getAllByTestId('symbol-row').find((r) => r.getAttribute('data-key') === 'okx|BTC-USDT')!;
    fireEvent.click(within(row).getByTestId('row-resync'));
    await until(() => v.queryAllByTestId('resync-activity').some((a) => a.getAttribute('data-phase') === 'accepted'), 'accepted');
    expect(h!.calls.filter((c) => c.method === 'resync').map((c) => c.params)).toEqual([{ scope: 'symbol', venue: 'okx', symbol: 'BTC-USDT' }]);
    const activity = v.getAllByTestId('resync-activity')[0]!;
    expect(activity.textContent).toContain('Resync okx BTC-USDT');
    expect(activity.textContent).toContain('1 accepted');
    await h!.emit('feed.resync', { id: 'x1', venue: 'okx', symbol: 'BTC-USDT', cause: 'manual', detail: 'console', startedMs: fx.status.nowMs, endedMs: fx.status.nowMs + 80, durationMs: 80, outcome: 'live' });
    await h!.frame();
    expect(v.getAllByTestId('resync-activity')[0]!.getAttribute('data-done')).toBe('yes');
  });

  it('a venue resync from its tile and "resync all" ask for confirmation first', async () => {
    const fx = await consoleFixture([BINANCE_4, OKX]);
    const v = await boot(fx);
    fireEvent.click(v.getByTestId('venue-resync-okx'));
    const dialog = v.getByTestId('confirm-dialog');
    expect(dialog.textContent).toContain(`${fx.status.symbols.filter((s) => s.venue === 'okx').length} book(s)`);
    expect(h!.calls.some((c) => c.method === 'resync')).toBe(false);
    fireEvent.click(within(dialog).getByText('Cancel'));
    expect(v.queryByTestId('confirm-dialog')).toBeNull();
    fireEvent.click(v.getByTestId('venue-resync-okx'));
    fireEvent.click(v.getByTestId('confirm-ok'));
    await until(() => h!.calls.some((c) => c.method === 'resync'), 'venue resync');
    expect(h!.calls.find((c) => c.method === 'resync')!.params).toEqual({ scope: 'venue', venue: 'okx' });
    fireEvent.click(v.getByTestId('resync-all'));
    expect(v.getByTestId('confirm-dialog').textContent).toContain(`Resync all ${fx.status.symbols.length} books`);
    fireEvent.click(v.getByTestId('confirm-ok'));
    await until(() => h!.calls.filter((c) => c.method === 'resync').length === 2, 'resync all');
    expect(h!.calls.filter((c) => c.method === 'resync')[1]!.params).toEqual({ scope: 'all' });
  });

  it('keyboard: / searches, Enter opens the first match, r asks to resync it, ? shows help, Esc closes', async () => {
    const fx = await consoleFixture([BINANCE_4, OKX]);
    const v = await boot(fx);
    const search = v.getByTestId('symbol-search') as HTMLInputElement;
    fireEvent.keyDown(window, { key: '/' });
    await h!.frame();
    expect(document.activeElement).toBe(search);
    fireEvent.change(search, { target: { value: 'nknusdt' } });
    await h!.frame();
    fireEvent.keyDown(search, { key: 'Enter' });
    await h!.frame();
    expect(h!.session.stores.ui.getState().ladders).toEqual([{ venue: 'binance-spot', symbol: 'NKNUSDT' }]);
    expect(v.getByTestId('ladder-binance-spot-NKNUSDT')).toBeTruthy();
    fireEvent.keyDown(document.body, { key: 'r' });
    expect(v.getByTestId('confirm-dialog').textContent).toContain('Resync binance-spot NKNUSDT?');
    fireEvent.keyDown(window, { key: 'Escape' });
    await h!.frame();
    expect(v.queryByTestId('confirm-dialog')).toBeNull();
    fireEvent.keyDown(window, { key: '?' });
    await h!.frame();
    expect(v.getByTestId('help-overlay').textContent).toContain('Trust band');
    fireEvent.keyDown(window, { key: 'Escape' });
    await h!.frame();
    expect(v.queryByTestId('help-overlay')).toBeNull();
    fireEvent.keyDown(window, { key: 'ArrowDown' });
    expect(h!.session.stores.ui.getState().selected).not.toBeNull();
  });

  it('the diagnostics button says the export is not available in this build instead of pretending', async () => {
    const fx = await consoleFixture([BINANCE_4]);
    const v = await boot(fx);
    fireEvent.click(v.getByTestId('diagnostics-export'));
    await until(() => !(v.getByTestId('diagnostics-result').textContent ?? '').startsWith('exporting'), 'diagnostics answer');
    expect(v.getByTestId('diagnostics-result').textContent).toBe('Diagnostics export is not available in this build of the engine.');
  });

  it('says so when the engine connection drops, and recovers by itself', async () => {
    const fx = await consoleFixture([BINANCE_4]);
    // A reconnect delay long enough for the page to show the outage before it heals.
    const v = await boot(fx, undefined, 400);
    expect(v.getByTestId('connection-status').textContent).toContain('connected');
    act(() => h!.dropConnection('host restarting'));
    await until(() => v.queryByTestId('connection-banner') !== null, 'banner');
    expect(v.getByTestId('connection-banner').textContent).toContain('NOT live');
    expect(v.getByTestId('connection-status').textContent).toMatch(/disconnected: retrying in|reconnecting/);
    await until(() => v.queryByTestId('connection-banner') === null, 'recovered');
    expect(v.getByTestId('connection-status').textContent).toContain('1 reconnect');
  });

  it('keeps the ladders, selection and filters across a restart of the console', async () => {
    const fx = await consoleFixture([BINANCE_4, OKX]);
    const storage = new MemoryStorage();
    let v = await boot(fx, storage);
    act(() => openLadder(h!.session.stores.ui, { venue: 'okx', symbol: 'BTC-USDT' }));
    fireEvent.change(v.getByTestId('venue-filter'), { target: { value: 'okx' } });
    fireEvent.click(v.getByTestId('tab-charts'));
    await h!.frame();
    cleanup();
    h!.dispose();
    v = await boot(fx, storage);
    expect(v.getByTestId('ladder-okx-BTC-USDT')).toBeTruthy();
    expect((v.getByTestId('venue-filter') as HTMLSelectElement).value).toBe('okx');
    expect(v.getByTestId('tab-charts').getAttribute('aria-selected')).toBe('true');
    await until(() => h!.calls.some((c) => c.method === 'view.subscribe'), 'resubscribed after restart');
    const sub = h!.calls.find((c) => c.method === 'view.subscribe')!.params as { books: SymbolStatus[] };
    expect(sub.books).toEqual([{ venue: 'okx', symbol: 'BTC-USDT' }]);
    await settle();
  });
});
