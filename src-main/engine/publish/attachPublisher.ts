/**
 * Hooks the OBMC multicast publisher to a running engine, in the same process and on the same
 * event loop as the books (docs/ARCHITECTURE.md: no process hop between a book and its socket).
 *
 * Three engine hooks feed it, all synchronous:
 * - `onBook`: every applied book message. On checksummed venues (OKX, Kraken, Bitget) the
 *   sessions verify the exchange checksum before they call it, so a book that fails its checksum
 *   is never diffed onto the wire: it goes to `resyncing` first, and the publisher only sees that.
 *   Bitfinex is the exception: its checksum comes in frames of its own, after the updates it
 *   covers, so a mismatch there stops the book (RESYNCING) from that point on; what was already
 *   sent cannot be held back.
 * - `feed.transition`: every state change. A book can leave `live` without an applied message
 *   (a sequence gap, a checksum mismatch, a disconnect, staleness), and it can become `live` at
 *   the end of a REST alignment after its last applied diff. Both must reach the wire at once:
 *   the first as an InstrumentStatus that stops the deltas, the second as the inline RESET that
 *   restarts them (docs/PROTOCOLS.md section 8).
 * - `onTrade`: every normalized trade.
 *
 * `view()` is the console's PublisherView (src-shared/contracts/engineApi.ts), built from
 * `publisher.stats()`, so the venue-health tile shows groups, packets/s, bytes/s and instruments
 * published.
 */
import type { PublisherView, TransitionEvent } from '../../../src-shared/contracts/engineApi.ts';
import type { Trade, VenueId } from '../../../src-shared/model/market.ts';
import type { SymbolBook } from '../sync/symbolBook.ts';
import { openPublisher } from './multicastPublisher.ts';
import type { MulticastPublisher, PublisherConfig, PublisherStats } from './multicastPublisher.ts';

/**
 * What the publisher needs from an engine. `EngineService` provides it; an offline driver over
 * recordings (tests, benchmarks) can provide it too.
 */
export interface PublishingEngine {
  /** Called after every applied book message (the book may still be syncing). */
  onBook(fn: (sb: SymbolBook) => void): () => void;
  onTrade(fn: (t: Trade) => void): () => void;
  on(topic: 'feed.transition', fn: (t: TransitionEvent) => void): () => void;
  book(venue: VenueId, venueSymbol: string): SymbolBook | undefined;
}

export interface AttachedPublisher {
  readonly publisher: MulticastPublisher;
  stats(): PublisherStats;
  /** The contract's PublisherView, for status.get and the console's venue health. */
  view(): PublisherView;
  /** Stop listening to the engine, then end the session (EndOfSession) and close the socket. */
  close(): Promise<void>;
}

export type AttachPublisherResult =
  | { ok: true; attached: AttachedPublisher }
  | { ok: false; error: { code: 'invalid-config' | 'socket'; detail: string } };

/** The console's view of the publisher, from its stats. */
export function publisherView(st: PublisherStats): PublisherView {
  return {
    enabled: true,
    groups: st.groups.map((g) => ({ channel: String(g.channelId), group: g.group, port: g.port, kind: g.role })),
    packetsPerSec: st.packetsPerSec,
    bytesPerSec: st.bytesPerSec,
    instruments: st.instrumentsPublished,
  };
}

/** Exchange time of the book's last message in ns since the epoch; 0n (unknown) before the first. */
function exchTsNs(sb: SymbolBook): bigint {
  return sb.lastExchTsMs > 0 ? BigInt(sb.lastExchTsMs) * 1_000_000n : 0n;
}

/** Wire an open publisher to an engine. The caller keeps ownership of the engine. */
export function wirePublisher(engine: PublishingEngine, publisher: MulticastPublisher): AttachedPublisher {
  const publish = (sb: SymbolBook): void => publisher.onBook(sb.instrument, sb.book, sb.state, exchTsNs(sb));
  const offs = [
    engine.onBook(publish),
    engine.onTrade((t) => publisher.onTrade(t)),
    engine.on('feed.transition', (t) => {
      const sb = engine.book(t.venue, t.symbol);
      if (sb !== undefined) publish(sb);
    }),
  ];
  let closed: Promise<void> | undefined;
  return {
    publisher,
    stats: () => publisher.stats(),
    view: () => publisherView(publisher.stats()),
    close: () => {
      if (closed === undefined) {
        for (const off of offs) off();
        closed = publisher.close();
      }
      return closed;
    },
  };
}

/**
 * Open a publisher with `cfg` (validated, socket bound on the configured interface) and wire it
 * to the engine. A bad configuration or an unusable interface is a typed result, not a throw.
 */
export async function attachPublisher(engine: PublishingEngine, cfg: PublisherConfig): Promise<AttachPublisherResult> {
  const r = await openPublisher(cfg);
  if (!r.ok) return r;
  return { ok: true, attached: wirePublisher(engine, r.publisher) };
}
