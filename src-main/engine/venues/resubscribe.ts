/**
 * How an in-band snapshot venue resyncs one book (venues.md section 1.1, RESYNCING: "unsubscribe
 * + resubscribe to get a fresh in-band snapshot"), and the step every resync that starts in a
 * session shares: the book stops being live at once.
 *
 * Which frames unsubscribe and subscribe, and what per-book protocol state to forget, stay in each
 * venue's session.
 */
import type { AnomalyKind } from '../../../src-shared/model/market.ts';
import type { SymbolBook } from '../sync/symbolBook.ts';
import type { SessionContext } from './venue.ts';

/**
 * Move a book out of live for a resync the session starts (a manual or restart resync of a book
 * that is still live or stale), counted as a resync. A book an anomaly already moved to
 * `resyncing` was counted there (`SymbolBook.anomaly`) and is left as it is.
 */
export function leaveLiveForResync(sb: SymbolBook, cause: AnomalyKind, detail?: string): void {
  if (sb.state === 'resyncing') return;
  sb.counters.resyncs++;
  sb.transition('resyncing', cause, detail);
}

/**
 * Resync one book of an in-band snapshot venue: it leaves live, then the venue is asked to
 * unsubscribe and subscribe it again, in that order, and answers with a fresh snapshot.
 */
export function resubscribe(ctx: SessionContext, sb: SymbolBook, cause: AnomalyKind, frames: { unsubscribe: unknown; subscribe: unknown }): void {
  leaveLiveForResync(sb, cause);
  ctx.send(JSON.stringify(frames.unsubscribe));
  ctx.send(JSON.stringify(frames.subscribe));
}
