/** Keys the console's stores and persisted state use for one (venue, symbol). */
import type { VenueId } from '../../src-shared/model/market.ts';

export function bookKey(venue: VenueId | string, symbol: string): string {
  return `${venue}|${symbol}`;
}

export interface BookRef {
  venue: VenueId;
  symbol: string;
}

export function refOfKey(key: string): BookRef | undefined {
  const i = key.indexOf('|');
  if (i <= 0 || i === key.length - 1) return undefined;
  return { venue: key.slice(0, i) as VenueId, symbol: key.slice(i + 1) };
}
