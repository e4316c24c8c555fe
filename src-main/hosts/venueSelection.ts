/**
 * From configured venues to what a feed process can run: venues this build has an adapter for,
 * their symbols in the venue's own spelling (deduplicated), and "all" resolved through the venue's
 * instrument listing where the venue has one. What cannot run is reported, never fatal: one bad
 * venue must not keep the others from starting.
 */
import type { EngineVenueConfig } from '../engine/services/engineService.ts';
import { VENUES } from '../engine/venues/registry.ts';
import type { VenueConfig } from './config.ts';

export interface VenueSelection {
  venues: EngineVenueConfig[];
  /** One line per venue left out, saying why. */
  skipped: string[];
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
    } else {
      symbols = v.symbols;
    }
    const canonical = [...new Set(symbols.map((s) => spec.instrument(s).venueSymbol))];
    venues.push({ venue: v.venue, symbols: cap === undefined ? canonical : canonical.slice(0, cap), ...(v.wsUrl !== undefined ? { wsUrl: v.wsUrl } : {}), ...(v.restUrl !== undefined ? { restUrl: v.restUrl } : {}) });
  }
  return { venues, skipped };
}
