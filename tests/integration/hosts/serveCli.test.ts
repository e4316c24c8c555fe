/**
 * `npx depthdesk serve --replay <recordings>` as an operator runs it: a separate process that
 * prints its URL; /api/status then shows every recorded symbol live, and each book read through
 * the API equals the book rebuilt offline from the same recording (depthdesk verify's code).
 * `depthdesk start` falls back to the same console in one line where Electron cannot run.
 * OKX and Kraken recordings join the run as soon as their replay protocols are registered.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BookView, EngineStatus } from '../../../src-shared/contracts/engineApi.ts';
import { replayableVenues } from '../../../src-main/engine/replay/replayProtocols.ts';
import { dataPath } from '../../support/data.ts';
import { consoleGet, launchConsole } from '../../support/consoleProcess.ts';
import type { ConsoleProcess } from '../../support/consoleProcess.ts';
import { realBooks } from '../../support/realBooks.ts';

const dir = mkdtempSync(join(tmpdir(), 'depthdesk-serve-'));
const procs: ChildProcess[] = [];
afterAll(() => {
  for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const RECORDINGS: { venue: string; rel: string }[] = [
  { venue: 'binance-spot', rel: 'binance/cryptofeed_spot_4sym_2021-10-12.ndjson' },
  { venue: 'binance-usdm', rel: 'binance/cryptofeed_usdm_4sym_2021-07-22.ndjson' },
  { venue: 'okx', rel: 'okx/cryptofeed_books_2022-05-13.ndjson' },
  { venue: 'kraken', rel: 'kraken/cryptofeed_v1_book1000_XBTUSD+9pairs_2021-04-05_120s.ndjson' },
];

function launch(command: 'serve' | 'start', args: string[]): Promise<ConsoleProcess> {
  return launchConsole(command, args, { DEPTHDESK_DATA_DIR: dir, DEPTHDESK_MULTICAST_PORT: '47900', DISPLAY: '', WAYLAND_DISPLAY: '' }, procs);
}

function get<T>(s: ConsoleProcess, path: string): Promise<T> {
  return consoleGet<T>(s, path, path === '/metrics');
}

describe('npx depthdesk serve --replay', () => {
  it('serves the console; /api/status shows the recorded symbols live with exact books', async () => {
    const replayable = new Set<string>(replayableVenues());
    const used = RECORDINGS.filter((r) => replayable.has(r.venue));
    console.log(`replaying: ${used.map((r) => r.venue).join(', ')}${used.length < RECORDINGS.length ? ` (not yet replayable: ${RECORDINGS.filter((r) => !replayable.has(r.venue)).map((r) => r.venue).join(', ')})` : ''}`);
    const s = await launch('serve', ['--port', '0', '--speed', '0', '--no-build', '--replay', ...used.map((r) => dataPath(r.rel))]);
    expect(s.lines[0]).toMatch(/^replaying \d+ recording\(s\) at full speed: /);
    // Offline reference: the same recordings through the same venue code (depthdesk verify).
    const expected = (await Promise.all(used.map((r) => realBooks(r.rel, 10)))).flat();
    const live = expected.filter((b) => b.status.state === 'live');
    let st: EngineStatus;
    let polls = 0;
    for (;;) {
      st = await get<EngineStatus>(s, '/api/status');
      // Caught up: every book message of the recording seen (Kraken v1 has no sequence ids to compare).
      const ok = live.every((b) => st.symbols.some((x) => x.venue === b.status.venue && x.symbol === b.status.symbol && x.state === 'live' && x.counters.messages >= b.status.counters.messages));
      if (ok) break;
      polls++;
      if (polls % 100 === 0) {
        const behind = live.filter((b) => !st.symbols.some((x) => x.venue === b.status.venue && x.symbol === b.status.symbol && x.state === 'live' && x.counters.messages >= b.status.counters.messages));
        console.log(s.lines.filter((l) => /^feed-\d+ /.test(l)).join('\n'));
        console.log(`still waiting for ${behind.map((b) => { const x = st.symbols.find((y) => y.venue === b.status.venue && y.symbol === b.status.symbol); return `${b.status.venue} ${b.status.symbol} (${x?.state} ${x?.stateCause}, ${x?.counters.messages}/${b.status.counters.messages} msgs)`; }).join(', ')}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(st.mode).toBe('replay');
    expect(new Set(st.symbols.map((x) => x.venue))).toEqual(new Set(used.map((r) => r.venue)));
    expect(st.processes.every((p) => p.state === 'running')).toBe(true);
    for (const b of live) {
      const view = await get<BookView>(s, `/api/book/${b.status.venue}/${encodeURIComponent(b.status.symbol)}?depth=10`);
      expect(view.bids, `${b.status.venue} ${b.status.symbol}`).toEqual(b.book.bids);
      expect(view.asks, `${b.status.venue} ${b.status.symbol}`).toEqual(b.book.asks);
    }
    // Published over multicast beside the books (on by default in replay).
    expect(st.publisher?.enabled).toBe(true);
    expect(st.publisher!.groups.some((g) => g.port === 47900 && g.kind === 'incremental')).toBe(true);
    const metrics = await get<string>(s, '/metrics');
    expect(metrics).toContain(`depthdesk_book_live{venue="${live[0]!.status.venue}",symbol="${live[0]!.status.symbol}"`);

    s.proc.kill('SIGINT');
    expect(await s.exited).toBe(0);
    expect(s.lines).toContain('stopping ...');
  });

  it('depthdesk start without an Electron binary says so in one line and serves headless', async () => {
    const s = await launch('start', ['--port', '0', '--no-build', '--no-multicast', '--replay', dataPath(RECORDINGS[0]!.rel)]);
    expect(s.lines[0]).toMatch(/^Electron cannot run here \((no Electron binary in node_modules\/electron\/dist|no display)[^)]*\); starting the headless console instead\.$/);
    expect(s.lines.filter((l) => l.startsWith('Electron cannot run here'))).toHaveLength(1);
    const st = await get<EngineStatus>(s, '/api/status');
    expect(st.symbols.length).toBeGreaterThan(0);
    s.proc.kill('SIGINT');
    expect(await s.exited).toBe(0);
  });

  it('depthdesk start with no configuration replays one recording per venue from the recordings folder', async () => {
    const s = await launch('start', ['--port', '0', '--no-build', '--no-multicast']);
    expect(s.lines[1]).toMatch(/^no configuration given: replaying \d+ recording\(s\) from .+ \(pass --config FILE for the live venues, docs\/CONFIG\.md\)$/);
    const st = await get<EngineStatus>(s, '/api/status');
    expect(st.mode).toBe('replay');
    expect(new Set(st.symbols.map((x) => x.venue)).has('binance-spot')).toBe(true);
    s.proc.kill('SIGINT');
    expect(await s.exited).toBe(0);
  });
});
