/**
 * The console end to end, in real Chromium (Debian's /usr/bin/chromium driven by playwright-core)
 * against `depthdesk serve --replay` on real recordings, as an operator would use it:
 * - the venue tiles and the symbols table show live books;
 * - a depth ladder shows exactly the engine's top levels (compared with GET /api/book);
 * - a diff of a real Binance stream dropped in transit (the replay server's fault injector, armed
 *   while the book is live) shows in the resync timeline as a gap with expected/got, and the
 *   book returns to live through a REST snapshot;
 * - a manual resync started from the UI goes through and reports its progress;
 * - the NBBO names the venue on each side for BTC-USDT, quoted by OKX and Binance spot;
 * - the charts draw on a real canvas; the diagnostics export reports its real outcome;
 * - the page logs no console error during the whole run.
 * Screenshots of every view go to test-results/screenshots/.
 *
 * The host is started with the serve command's own entry (`runServe`, exactly what
 * `npx depthdesk serve --replay ... --port 0` runs) inside the test process, so the test can
 * reach the replay servers to inject the fault; the feed processes are real child processes and
 * the browser talks to the host only over HTTP and the WebSocket bridge.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import type { BookView, EngineStatus, SymbolStatus } from '../../src-shared/contracts/engineApi.ts';
import { parseScaledBig, requiredScale } from '../../src-shared/model/decimal.ts';
import { runServe } from '../../src-main/cli/serveCommand.ts';
import type { RunningConsole } from '../../src-main/hosts/consoleHost.ts';
import { dataPath, repoRoot } from '../support/data.ts';

const CHROMIUM = '/usr/bin/chromium';
// toolchain.md: the flags that make Debian's chromium run headless in a container.
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const SHOTS = join(repoRoot, 'test-results/screenshots');

const SPOT_10 = 'binance/cryptofeed_spot_10sym_2021-04-05_120s.ndjson';
const OKX = 'okx/cryptofeed_books_2022-05-13.ndjson';
const SPOT_BTC = 'binance/spot_BTCUSDT_2024-08-08T2354Z_10min.hftbacktest.ndjson.gz';
/** The book whose stream loses one diff. */
const GAP_SYMBOL = 'DENTUSDT';

const tmp = mkdtempSync(join(tmpdir(), 'depthdesk-e2e-'));
let running: RunningConsole | null = null;
let base = '';
let token = '';
let pageUrl = '';
let browser: Browser | null = null;
let page: Page | null = null;
const consoleErrors: string[] = [];

function api<T>(path: string, method: 'GET' | 'POST' = 'GET', body?: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (b: Buffer) => chunks.push(b));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if ((res.statusCode ?? 500) >= 400) reject(new Error(`${method} ${path}: ${res.statusCode} ${text}`));
        else resolve(JSON.parse(text) as T);
      });
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, ms = 60_000): Promise<T> {
  const t0 = Date.now();
  let last: unknown = null;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function p(): Page {
  if (!page) throw new Error('no page');
  return page;
}

async function shot(name: string): Promise<void> {
  await p().screenshot({ path: join(SHOTS, `${name}.png`) });
}

/** Exact a - b sign for decimal strings (BigInt mantissas), for expectations. */
function cmp(a: string, b: string): number {
  const s = Math.max(requiredScale(a), requiredScale(b));
  const x = parseScaledBig(a, s)!;
  const y = parseScaledBig(b, s)!;
  return x < y ? -1 : x > y ? 1 : 0;
}

function sumExact(sizes: string[]): string {
  const s = Math.max(0, ...sizes.map(requiredScale));
  let acc = 0n;
  for (const x of sizes) acc += parseScaledBig(x, s)!;
  const t = acc.toString().padStart(s + 1, '0');
  const out = s === 0 ? t : `${t.slice(0, t.length - s)}.${t.slice(t.length - s)}`.replace(/\.?0+$/, '');
  return out === '' ? '0' : out;
}

async function searchAndSelect(text: string): Promise<void> {
  const search = p().getByTestId('symbol-search');
  await search.fill(text);
}

/** Leave any text field (Escape blurs it) so that single-key shortcuts reach the console. */
async function leaveFields(): Promise<void> {
  await p().keyboard.press('Escape');
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y --no-install-recommends chromium fonts-dejavu-core (.ci/apt-packages.txt lists it)`);
  mkdirSync(SHOTS, { recursive: true });
  if (!existsSync(join(repoRoot, 'out/renderer/index.html'))) {
    if (!existsSync(join(repoRoot, 'electron.vite.config.ts'))) throw new Error('out/renderer is not built and electron.vite.config.ts is missing: the console page cannot be built');
    const b = spawnSync(join(repoRoot, 'node_modules/.bin/electron-vite'), ['build'], { cwd: repoRoot, encoding: 'utf8' });
    if (b.status !== 0) throw new Error(`electron-vite build failed: ${b.stderr}`);
  }
  const said: string[] = [];
  const prev = process.env['DEPTHDESK_DATA_DIR'];
  process.env['DEPTHDESK_DATA_DIR'] = join(tmp, 'data');
  try {
    running = await runServe(['--replay', dataPath(SPOT_10), dataPath(OKX), dataPath(SPOT_BTC), '--port', '0', '--no-multicast', '--no-build'], (l) => said.push(l));
  } finally {
    if (prev === undefined) delete process.env['DEPTHDESK_DATA_DIR'];
    else process.env['DEPTHDESK_DATA_DIR'] = prev;
  }
  pageUrl = running.url;
  const u = new URL(pageUrl);
  base = u.origin;
  token = u.searchParams.get('token')!;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(`console.error: ${m.text()}`);
  });
  page.on('pageerror', (e) => consoleErrors.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => consoleErrors.push(`request failed: ${r.url().replace(/token=[^&]+/, 'token=…')} ${r.failure()?.errorText ?? ''}`));
  await page.goto(pageUrl);
  await until('the console to connect', async () => ((await p().getByTestId('connection-status').textContent()) ?? '').includes('connected'), 30_000);
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await running?.stop();
  rmSync(tmp, { recursive: true, force: true });
}, 30_000);

describe('the console in Chromium against depthdesk serve --replay', () => {
  it('venue tiles and the symbols table show the live books the engine reports', async () => {
    const status = await until('books live in the engine', async () => {
      const s = await api<EngineStatus>('/api/status');
      const live = s.symbols.filter((x) => x.state === 'live');
      return live.some((x) => x.venue === 'okx') && live.some((x) => x.venue === 'binance-spot' && x.symbol === 'BTCUSDT') && live.length >= 8 ? s : null;
    });
    for (const v of status.venues) {
      const tile = p().getByTestId(`venue-tile-${v.venue}`);
      await until(`tile ${v.venue}`, async () => (await tile.textContent())?.includes(v.label));
    }
    // The table shows a row per engine book, with the engine's state in words.
    await until('every book in the table', async () => ((await p().getByTestId('symbols-count').textContent()) ?? '').startsWith(`${status.symbols.length} books`));
    const rows = await p().$$eval('[data-testid="symbol-row"]', (els) => els.map((e) => ({ key: e.getAttribute('data-key'), state: e.querySelector('[data-state]')?.getAttribute('data-state') ?? null })));
    expect(rows.length).toBeGreaterThan(5);
    const now = await api<EngineStatus>('/api/status');
    const live = new Set(now.symbols.filter((x) => x.state === 'live').map((x) => `${x.venue}|${x.symbol}`));
    const shownLive = rows.filter((r) => r.state === 'live').map((r) => r.key!);
    expect(shownLive.length).toBeGreaterThan(5);
    // What the page shows live, the engine says live (a book may only have just left live since).
    expect(shownLive.filter((k) => !live.has(k)).length).toBeLessThanOrEqual(1);
    await shot('01-tiles-and-table');
  }, 90_000);

  it('NBBO names the venue holding each side of BTC-USDT (OKX and Binance spot)', async () => {
    await leaveFields();
    await p().keyboard.press('2');
    const row = p().locator('[data-testid="nbbo-row"][data-instrument="BTC-USDT"]');
    await until('the BTC-USDT NBBO row', async () => (await row.count()) === 1 && ((await row.getByTestId('nbbo-bid-venue').textContent()) ?? '–') !== '–', 30_000);
    const s = await api<EngineStatus>('/api/status');
    const quoting = s.symbols.filter((x) => x.normalized === 'BTC-USDT' && x.state === 'live');
    expect(quoting.map((x) => x.venue).sort()).toEqual(['binance-spot', 'okx']);
    const bestBid = quoting.reduce((a, b) => (cmp(b.bestBid!, a.bestBid!) > 0 ? b : a));
    const bestAsk = quoting.reduce((a, b) => (cmp(b.bestAsk!, a.bestAsk!) < 0 ? b : a));
    // OKX (May 2022, about 30k) and Binance (August 2024, about 61k): the venues are far apart, so
    // which venue holds each side does not depend on the tick the page and the API saw.
    expect(await row.getByTestId('nbbo-bid-venue').textContent()).toBe(bestBid.venue);
    expect(await row.getByTestId('nbbo-ask-venue').textContent()).toBe(bestAsk.venue);
    expect(await row.textContent()).toContain(cmp(bestBid.bestBid!, bestAsk.bestAsk!) > 0 ? 'CROSSED' : 'normal');
    await shot('02-nbbo');
    await leaveFields();
    await p().keyboard.press('1');
  }, 60_000);

  it('a depth ladder shows exactly the engine top levels and exact cumulative sizes (GET /api/book)', async () => {
    await searchAndSelect('BTC-USDT');
    await p().locator('[data-testid="symbol-row"][data-key="okx|BTC-USDT"]').getByRole('button', { name: 'Ladder' }).click();
    const ladder = p().getByTestId('ladder-okx-BTC-USDT');
    await ladder.waitFor({ timeout: 15_000 });
    const depth = Number(await p().getByLabel('ladder depth').inputValue());
    type Row = { price: string; size: string; cum: string };
    /** One read of the ladder as painted: both sides and the spread line, in the same frame. */
    const read = () =>
      ladder.evaluate((root) => {
        const rows = (side: string) => [...root.querySelectorAll(`[data-testid="ladder-${side}"]`)].map((e) => ({ price: e.getAttribute('data-price')!, size: e.getAttribute('data-size')!, cum: e.getAttribute('data-cum')! }));
        return { bids: rows('bid'), asks: rows('ask').reverse(), spread: root.querySelector('[data-testid="ladder-spread"]')?.textContent ?? '' };
      });
    // The page and the API are read a moment apart: wait for a moment when both show the same
    // book (the OKX recording is short, so its book soon stops changing).
    const match = await until('the ladder to equal /api/book', async () => {
      const ui: { bids: Row[]; asks: Row[]; spread: string } = await read();
      const book = await api<BookView>(`/api/book/okx/BTC-USDT?depth=${depth}`);
      const same = JSON.stringify(ui.bids.map(({ price, size }) => ({ price, size }))) === JSON.stringify(book.bids) && JSON.stringify(ui.asks.map(({ price, size }) => ({ price, size }))) === JSON.stringify(book.asks);
      return same ? { book, ...ui } : null;
    }, 30_000);
    expect(match.book.bids.length).toBe(depth);
    expect(match.book.asks.length).toBe(depth);
    match.bids.forEach((r, i) => expect(cmp(r.cum, sumExact(match.book.bids.slice(0, i + 1).map((l) => l.size)))).toBe(0));
    match.asks.forEach((r, i) => expect(cmp(r.cum, sumExact(match.book.asks.slice(0, i + 1).map((l) => l.size)))).toBe(0));
    expect(match.spread).toContain(`spread ${match.book.spread}`);
    // The same symbol on the other venue, side by side.
    await ladder.getByRole('button', { name: /\+ 1 venue/ }).click();
    await p().getByTestId('ladder-binance-spot-BTCUSDT').waitFor({ timeout: 15_000 });
    await until('the Binance ladder to fill', async () => (await p().getByTestId('ladder-binance-spot-BTCUSDT').locator('[data-testid="ladder-bid"]').count()) === depth);
    await shot('03-ladders');
  }, 90_000);

  it('a diff dropped in transit shows as a gap with expected/got, and the book returns to live', async () => {
    const server = running!.replay!.server('binance-spot')!;
    const liveAt = await until(`${GAP_SYMBOL} live`, async () => (await api<EngineStatus>('/api/status')).symbols.find((x) => x.symbol === GAP_SYMBOL && x.state === 'live'));
    // The replay answers the first snapshot request with the recorded snapshot, which is ahead of
    // the first twelve DENTUSDT diffs on the wire (id 148624026, diffs up to line 148): the book is
    // live at once and those diffs are already in it, so dropping one of them changes nothing.
    // Wait until the book has applied a diff past the id it was live at: from then on every diff
    // the server sends is one the book needs.
    await until(`${GAP_SYMBOL} to apply a diff past id ${liveAt.seq}`, async () => (await api<EngineStatus>('/api/status')).symbols.some((x) => x.symbol === GAP_SYMBOL && x.state === 'live' && x.seq > liveAt.seq), 30_000);
    // Drop the next real DENTUSDT diff on its way to the engine.
    server.faults.addFrameRule({ match: { symbol: GAP_SYMBOL, channel: 'depth' }, fault: { kind: 'drop' } });
    await until('the drop to fire', async () => server.faults.log.some((f) => f.kind === 'drop' && f.symbol === GAP_SYMBOL), 30_000);
    const dropped = server.faults.log.find((f) => f.kind === 'drop' && f.symbol === GAP_SYMBOL)!;
    // The engine first (so a failure says which side missed it), then the page.
    type Recent = { resyncs: { venue: string; symbol: string; cause: string; detail: string }[] };
    await until(`the engine to report a gap on ${GAP_SYMBOL} after dropping recording line ${dropped.line}`, async () => (await api<Recent>('/api/events')).resyncs.some((r) => r.symbol === GAP_SYMBOL && r.cause === 'gap'), 60_000);
    await p().getByTestId('tab-timeline').click();
    await p().getByLabel('filter events').fill(GAP_SYMBOL);
    const gapRow = p().locator(`[data-testid="timeline-row"][data-kind="resync"][data-cause="gap"][data-key="binance-spot|${GAP_SYMBOL}"]`);
    await until('the gap in the timeline', async () => (await gapRow.count()) > 0, 90_000);
    const text = (await gapRow.first().textContent()) ?? '';
    expect(text).toMatch(/expected [^,]*\d+, got \[\d+, \d+\]/);
    await until('the resync to end live', async () => ((await gapRow.first().textContent()) ?? '').includes('live'), 60_000);
    const s = await api<EngineStatus>('/api/status');
    const row = s.symbols.find((x) => x.venue === 'binance-spot' && x.symbol === GAP_SYMBOL)!;
    expect(row.counters.gaps).toBeGreaterThanOrEqual(1);
    await searchAndSelect(GAP_SYMBOL);
    const tableRow = p().locator(`[data-testid="symbol-row"][data-key="binance-spot|${GAP_SYMBOL}"]`);
    await until('the table to show it live again', async () => (await tableRow.locator('[data-state]').getAttribute('data-state')) === 'live', 30_000);
    await shot('04-timeline-gap');
    await p().getByLabel('filter events').fill('');
  }, 150_000);

  it('a manual resync from the table goes through and reports its progress', async () => {
    await searchAndSelect('MANAUSDT');
    const row = p().locator('[data-testid="symbol-row"][data-key="binance-spot|MANAUSDT"]');
    await row.waitFor();
    const before = (await api<EngineStatus>('/api/status')).symbols.find((x: SymbolStatus) => x.venue === 'binance-spot' && x.symbol === 'MANAUSDT')!;
    await row.getByTestId('row-resync').click();
    const activity = p().getByTestId('resync-activity').last();
    await until('the request to be accepted', async () => (await activity.getAttribute('data-phase')) === 'accepted', 10_000);
    expect(await activity.textContent()).toContain('Resync binance-spot MANAUSDT');
    await until('the resync to finish', async () => (await activity.getAttribute('data-done')) === 'yes', 60_000);
    expect(await activity.textContent()).toContain('1 live');
    const after = (await api<EngineStatus>('/api/status')).symbols.find((x: SymbolStatus) => x.venue === 'binance-spot' && x.symbol === 'MANAUSDT')!;
    expect(after.counters.resyncs).toBe(before.counters.resyncs + 1);
    expect(after.state).toBe('live');
    await p().getByLabel('filter events').fill('MANAUSDT');
    await until('the manual resync in the timeline', async () => (await p().locator('[data-testid="timeline-row"][data-kind="resync"][data-cause="manual"]').count()) > 0, 10_000);
    await shot('05-manual-resync');
    // The `r` shortcut asks before resyncing; Escape cancels.
    await leaveFields();
    await p().keyboard.press('r');
    await p().getByTestId('confirm-dialog').waitFor();
    // It names the book the operator was working on (the filtered, just-resynced row).
    expect(await p().getByTestId('confirm-dialog').textContent()).toContain('Resync binance-spot MANAUSDT?');
    await shot('06-confirm-resync');
    await p().keyboard.press('Escape');
    await p().getByLabel('filter events').fill('');
    await searchAndSelect('');
  }, 90_000);

  it('charts draw the sampled history on a real canvas', async () => {
    await leaveFields();
    await p().keyboard.press('3');
    await p().getByTestId('chart-msgs').waitFor();
    const painted = await until('the charts to paint', async () => {
      const n = await p().$$eval('[data-testid="charts"] canvas', (cs) =>
        cs.map((c) => {
          // Runs in the page: a canvas, typed minimally (this file is checked without the DOM lib).
          const canvas = c as unknown as { width: number; height: number; getContext(k: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null };
          const ctx = canvas.getContext('2d');
          if (!ctx || canvas.width === 0) return 0;
          const d = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
          let lit = 0;
          for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) lit++;
          return lit;
        }),
      );
      return n.length >= 3 && n.every((x) => x > 0) ? n : null;
    }, 30_000);
    expect(painted.length).toBeGreaterThanOrEqual(3);
    await shot('07-charts');
  }, 60_000);

  it('the diagnostics export reports what the engine did, never a pretend success', async () => {
    await p().getByTestId('diagnostics-export').click();
    const result = p().getByTestId('diagnostics-result');
    const text = await until('the export to end', async () => {
      const t = (await result.textContent()) ?? '';
      return t !== '' && !t.startsWith('exporting') ? t : null;
    }, 60_000);
    // The engine wrote a bundle (path and size shown) ...
    expect(text).toMatch(/^saved \S+ \(\d[\d.,]* (B|KiB|MiB), \d+ part\(s\)/);
    // ... and the page's link downloads it from the headless host (its cookie, no token in the URL).
    const href = await p().getByTestId('diagnostics-download').getAttribute('href');
    expect(href).toMatch(/^\/api\/diagnostics\/depthdesk-diagnostics-[\dT-]+Z\.zip$/);
    const got = await p().evaluate(async (u) => {
      const r = await fetch(u);
      const b = new Uint8Array(await r.arrayBuffer());
      return [r.status, r.headers.get('content-type'), b[0], b[1]];
    }, href!);
    expect(got).toEqual([200, 'application/zip', 0x50, 0x4b]);
    await shot('09-diagnostics');
  }, 90_000);

  it('help overlay lists the shortcuts; no console errors during the whole run', async () => {
    await leaveFields();
    await p().keyboard.press('?');
    await p().getByTestId('help-overlay').waitFor();
    expect(await p().getByTestId('help-overlay').textContent()).toContain('resync the selected symbol');
    await shot('08-help');
    await p().keyboard.press('Escape');
    expect(consoleErrors).toEqual([]);
  }, 30_000);
});
