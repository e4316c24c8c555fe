/**
 * Display formatting for counters, rates, durations and times. Exact prices and sizes are never
 * formatted here: they are shown as the engine's decimal strings (see exactDecimal.ts).
 */
import type { SyncState } from '../../src-shared/model/market.ts';
import type { TrustBandText } from '../../src-shared/contracts/engineApi.ts';

const intFmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const oneFmt = new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });

export function formatCount(n: number | null | undefined): string {
  if (n == null || !Number.isFinite(n)) return '–';
  return intFmt.format(n);
}

/** 12 / 1.2k / 12.3k / 1.2M per second. */
export function formatRate(n: number | null | undefined): string {
  if (n == null || !Number.isFinite(n)) return '–';
  const a = Math.abs(n);
  if (a < 1_000) return a < 10 && a !== Math.round(a) ? oneFmt.format(n) : intFmt.format(n);
  if (a < 1_000_000) return `${oneFmt.format(n / 1_000)}k`;
  return `${oneFmt.format(n / 1_000_000)}M`;
}

export function formatBytesRate(n: number | null | undefined): string {
  if (n == null || !Number.isFinite(n)) return '–';
  if (n < 1024) return `${intFmt.format(n)} B/s`;
  if (n < 1024 * 1024) return `${oneFmt.format(n / 1024)} KiB/s`;
  return `${oneFmt.format(n / (1024 * 1024))} MiB/s`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${intFmt.format(n)} B`;
  if (n < 1024 * 1024) return `${oneFmt.format(n / 1024)} KiB`;
  return `${oneFmt.format(n / (1024 * 1024))} MiB`;
}

/**
 * A duration in ms: "850 ms", "4.2 s", "3 min 05 s", "2 h 10 min". Negative values are shown
 * as such (a venue clock ahead of ours gives negative ages; hiding that would hide clock skew).
 */
export function formatDuration(ms: number | null | undefined): string {
  if (ms == null || !Number.isFinite(ms)) return '–';
  const neg = ms < 0;
  const a = Math.abs(ms);
  let s: string;
  if (a < 1_000) s = `${intFmt.format(a)} ms`;
  else if (a < 60_000) s = `${oneFmt.format(a / 1_000)} s`;
  else if (a < 3_600_000) s = `${Math.floor(a / 60_000)} min ${String(Math.floor((a % 60_000) / 1_000)).padStart(2, '0')} s`;
  else if (a < 86_400_000) s = `${Math.floor(a / 3_600_000)} h ${String(Math.floor((a % 3_600_000) / 60_000)).padStart(2, '0')} min`;
  else if (a < 10 * 86_400_000) s = `${Math.floor(a / 86_400_000)} d ${Math.floor((a % 86_400_000) / 3_600_000)} h`;
  else s = `${intFmt.format(Math.floor(a / 86_400_000))} d`;
  return neg ? `−${s}` : s;
}

/** Latency given in microseconds, shown in ms with 0.1 ms resolution under 100 ms. */
export function formatLatencyUs(us: number | null | undefined): string {
  if (us == null || !Number.isFinite(us)) return '–';
  const ms = us / 1000;
  const a = Math.abs(ms);
  // Past 10 s this is no network latency but a clock or a replay of old data: say it in duration units.
  if (a >= 10_000) return formatDuration(ms);
  const s = a < 100 ? oneFmt.format(ms) : intFmt.format(ms);
  return `${s.replace('-', '−')} ms`;
}

/** Engine time as UTC "HH:MM:SS.mmm" (venues and recordings are in UTC). */
export function formatClock(tsMs: number | null | undefined): string {
  if (tsMs == null || !Number.isFinite(tsMs)) return '–';
  const d = new Date(tsMs);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds(), 3)}`;
}

export function formatDateTime(tsMs: number): string {
  const d = new Date(tsMs);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${formatClock(tsMs)} UTC`;
}

export type Tone = 'ok' | 'info' | 'warn' | 'bad' | 'muted';

/** How bad a sync state is, for colour and for sorting (worst first). Text always accompanies colour. */
export function stateTone(s: SyncState): Tone {
  switch (s) {
    case 'live':
      return 'ok';
    case 'stale':
      return 'warn';
    case 'resyncing':
      return 'warn';
    case 'halted':
      return 'bad';
    default:
      return 'info';
  }
}

const STATE_RANK: Record<SyncState, number> = { halted: 0, stale: 1, resyncing: 2, connecting: 3, buffering: 4, 'snapshot-pending': 5, syncing: 6, live: 7 };

export function stateRank(s: SyncState): number {
  return STATE_RANK[s] ?? 8;
}

/** A glyph per tone so state is readable without colour (colour-blind desks, greyscale prints). */
export function toneGlyph(t: Tone): string {
  switch (t) {
    case 'ok':
      return '●';
    case 'info':
      return '◌';
    case 'warn':
      return '▲';
    case 'bad':
      return '■';
    default:
      return '·';
  }
}

/** Trust band in words: where the book is known to be complete. */
export function trustText(t: TrustBandText): string {
  if (t.mode === 'full') return 'full book';
  if (t.mode === 'window') return 'venue window';
  if (t.bidFloor === null && t.askCeiling === null) return 'snapshot (whole)';
  return `${t.bidFloor ?? '*'} – ${t.askCeiling ?? '*'}`;
}

export function trustTitle(t: TrustBandText): string {
  if (t.mode === 'full') return 'The venue sent the whole book: every level is known.';
  if (t.mode === 'window') return 'The venue maintains a fixed window of levels: the levels held are exact, nothing beyond them is known.';
  return `Built from a depth-limited REST snapshot: complete only from ${t.bidFloor ?? 'the lowest bid'} to ${t.askCeiling ?? 'the highest ask'}; levels outside are not guaranteed.`;
}
