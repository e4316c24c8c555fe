/**
 * From configured venues to what a feed process can run: venues this build has an adapter for,
 * their symbols in the venue's own spelling (deduplicated), and "all" resolved through the venue's
 * instrument listing where the venue has one. What cannot run is reported, never fatal: one bad
 * venue must not keep the others from starting.
 */
import type { EngineVenueConfig } from '../engine/services/engineService.ts';
import { VENUES } from '../engine/venues/registry.ts';
import type { ListedInstrument } from '../engine/venues/instrumentListing.ts';
import type { InstrumentIncrements } from '../../src-shared/model/market.ts';
import type { VenueConfig } from './config.ts';

export interface VenueSelection {
  venues: EngineVenueConfig[];
  /** One line per venue left out, saying why. */
  skipped: string[];
}

/** Tick and lot sizes the listing gave for the chosen symbols; undefined when it gave none. */
function incrementsOf(listed: readonly ListedInstrument[], chosen: readonly string[]): InstrumentIncrements | undefined {
  const wanted = new Set(chosen);
  const out: InstrumentIncrements = {};
  let n = 0;
  for (const i of listed) {
    if (!wanted.has(i.venueSymbol) || (i.tickSize === undefined && i.lotSize === undefined) || out[i.venueSymbol] !== undefined) continue;
    out[i.venueSymbol] = { ...(i.tickSize !== undefined ? { tickSize: i.tickSize } : {}), ...(i.lotSize !== undefined ? { lotSize: i.lotSize } : {}) };
    n++;
  }
  return n > 0 ? out : undefined;
}

/** `cap`: at most this many symbols per venue (limited mode applies it to listed "all" too). */
export async function selectVenues(configured: VenueConfig[], cap?: number): Promise<VenueSelection> {
  const venues: EngineVenueConfig[] = [];
  const skipped: string[] = [];
  for (const v of configured) {
    const spec = VENUES.get(v.venue);
    if (spec === undefined) {
      skipped.push(`${v.venue}: this build has no adapter for it (registered: ${[...VENUES.keys()].join(', ')})`);
      continue;
    }
    let symbols: string[];
    let listed: ListedInstrument[] = [];
    if (v.symbols === 'all') {
      if (spec.listSymbols === undefined) {
        skipped.push(`${v.venue}: "all" symbols cannot be listed by this build yet; name the symbols in the configuration`);
        continue;
      }
      const r = await spec.listSymbols(v.restUrl);
      if (!r.ok) {
        skipped.push(`${v.venue}: listing its symbols failed (${r.error})`);
        continue;
      }
      symbols = r.symbols;
      listed = r.instruments;
    } else {
      symbols = v.symbols;
    }
    const canonical = [...new Set(symbols.map((s) => spec.instrument(s).venueSymbol))];
    const chosen = cap === undefined ? canonical : canonical.slice(0, cap);
    // Explicit symbols keep the increments a host found for them when it listed "all".
    const increments = incrementsOf(v.symbols === 'all' ? listed : Object.entries(v.increments ?? {}).map(([venueSymbol, i]) => ({ venueSymbol, ...i })), chosen);
    venues.push({ venue: v.venue, symbols: chosen, ...(v.wsUrl !== undefined ? { wsUrl: v.wsUrl } : {}), ...(v.restUrl !== undefined ? { restUrl: v.restUrl } : {}), ...(increments !== undefined ? { increments } : {}) });
  }
  return { venues, skipped };
}

/**
 * Replay mode (`serve --replay`): the venues and their symbols come from the recordings
 * (replayPlan.ts). A replayed venue the configuration follows with `"symbols": "all"` is listed
 * the live way instead: its `listSymbols` asks the venue's replay server, whose instrument-list
 * route answers with the recording's book symbols (ReplayProtocol.instruments). A venue whose
 * listing fails keeps the recorded symbols and the failure is reported.
 */
export async function selectReplayVenues(configured: VenueConfig[], replayed: EngineVenueConfig[]): Promise<VenueSelection & { listed: string[] }> {
  const venues: EngineVenueConfig[] = [];
  const skipped: string[] = [];
  const listed: string[] = [];
  for (const v of replayed) {
    const spec = VENUES.get(v.venue);
    const all = configured.some((c) => c.venue === v.venue && c.symbols === 'all');
    if (!all || spec === undefined) {
      venues.push(v);
      continue;
    }
    if (spec.listSymbols === undefined || v.restUrl === undefined) {
      skipped.push(`${v.venue}: "all" cannot be listed from its replay server; following the ${v.symbols.length} recorded symbols`);
      venues.push(v);
      continue;
    }
    const r = await spec.listSymbols(v.restUrl);
    if (!r.ok) {
      skipped.push(`${v.venue}: listing its symbols from the replay server failed (${r.error}); following the ${v.symbols.length} recorded symbols`);
      venues.push(v);
      continue;
    }
    const symbols = [...new Set(r.symbols.map((s) => spec.instrument(s).venueSymbol))];
    listed.push(`${v.venue}: "all" listed ${symbols.length} symbol(s) from the replay server's instrument list`);
    const increments = incrementsOf(r.instruments, symbols);
    venues.push({ ...v, symbols, ...(increments !== undefined ? { increments } : {}) });
  }
  return { venues, skipped, listed };
}
