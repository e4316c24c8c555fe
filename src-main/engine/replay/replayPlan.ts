/**
 * `depthdesk serve --replay <files> --speed N`: read recordings, find the venues and symbols in
 * them, start one local venue server per venue, and return the EngineService venue configs that
 * point at those servers (wsUrl / restUrl overrides). The engine then runs exactly as live.
 *
 * Which venue a record belongs to: the URL of its connection (`connect` records) or its own URL
 * (REST snapshots), else the file's venue: `--venue`, or the hftbacktest file-name convention of
 * ../shared/data (spot_ / usdm_ / coinm_, PROVENANCE.md "HBT captures").
 */
import { basename } from 'node:path';
import type { VenueId } from '../../../src-shared/model/market.ts';
import type { EngineVenueConfig } from '../services/engineService.ts';
import { venueForUrl } from '../venues/registry.ts';
import { loadRecording, RecordingError } from './recording.ts';
import type { RecordLine } from './recording.ts';
import { replayableVenues, replayProtocol } from './replayProtocols.ts';
import { VenueServer } from './venueServer.ts';
import type { ReplaySource, VenueServerOptions } from './venueServer.ts';

export interface ReplayPlanOptions {
  files: string[];
  /** 1 = real time (default), N = N times faster, 0 = as fast as the engine takes it. */
  speed?: number;
  /** Venue of records whose URL and connection name none (recordings without URLs). */
  venue?: VenueId;
  /** Server settings shared by every venue server (faults, backpressure, pings...). */
  server?: Omit<VenueServerOptions, 'protocol' | 'sources' | 'speed'>;
}

export interface ReplayPlan {
  servers: VenueServer[];
  /** Pass to `new EngineService({ venues })`. */
  venues: EngineVenueConfig[];
  server(venue: VenueId): VenueServer | undefined;
  close(): Promise<void>;
}

export type ReplayPlanResult = { ok: true; plan: ReplayPlan } | { ok: false; error: string };

/** hftbacktest captures carry no URL; their file names say the market (PROVENANCE.md). */
const FILE_PREFIXES: [string, VenueId][] = [
  ['spot_', 'binance-spot'],
  ['usdm_', 'binance-usdm'],
  ['coinm_', 'binance-coinm'],
];

function fileVenue(file: string): VenueId | undefined {
  const name = basename(file);
  // hftbacktest's Hyperliquid capture is named COIN_l2Book_trades_DATE (verify.ts knows it too).
  if (/^[A-Za-z0-9]+_l2Book_trades_/.test(name)) return 'hyperliquid';
  return FILE_PREFIXES.find(([p]) => name.startsWith(p))?.[1];
}

/** Split one file's records by venue. */
export function splitByVenue(file: string, records: RecordLine[], forced?: VenueId): { ok: true; byVenue: Map<VenueId, RecordLine[]> } | { ok: false; error: string } {
  const connVenue = new Map<string, VenueId>();
  const fallback = forced ?? fileVenue(file);
  const byVenue = new Map<VenueId, RecordLine[]>();
  for (const rec of records) {
    let venue: VenueId | undefined;
    if (rec.url !== '') venue = venueForUrl(rec.url)?.id;
    if (rec.dir === 'connect' && venue !== undefined && rec.conn !== '') connVenue.set(rec.conn, venue);
    venue ??= connVenue.get(rec.conn) ?? fallback;
    if (venue === undefined) {
      return { ok: false, error: `${basename(file)}:${rec.line}: cannot tell which venue this ${rec.dir} record belongs to (url ${rec.url || 'none'}, connection ${rec.conn || 'none'}); pass --venue` };
    }
    let list = byVenue.get(venue);
    if (list === undefined) {
      list = [];
      byVenue.set(venue, list);
    }
    list.push(rec);
  }
  return { ok: true, byVenue };
}

/** Load the files and start one venue server per venue found. Never throws for bad input. */
export async function startReplay(opts: ReplayPlanOptions): Promise<ReplayPlanResult> {
  if (opts.files.length === 0) return { ok: false, error: 'no recording given' };
  const sources = new Map<VenueId, ReplaySource[]>();
  for (const file of opts.files) {
    let records: RecordLine[];
    try {
      records = await loadRecording(file);
    } catch (e) {
      return { ok: false, error: e instanceof RecordingError ? e.message : `${basename(file)}: ${(e as Error).message}` };
    }
    const split = splitByVenue(file, records, opts.venue);
    if (!split.ok) return split;
    for (const [venue, recs] of split.byVenue) {
      const list = sources.get(venue) ?? [];
      list.push({ file: basename(file), records: recs });
      sources.set(venue, list);
    }
  }
  const servers: VenueServer[] = [];
  const closeAll = async () => {
    await Promise.all(servers.map((s) => s.close()));
  };
  for (const [venue, list] of sources) {
    const protocol = replayProtocol(venue);
    if (protocol === undefined) {
      await closeAll();
      return { ok: false, error: `${venue} has no replay protocol yet (replayable: ${replayableVenues().join(', ')}); see docs/ADDING_A_VENUE.md` };
    }
    // Two files with the same symbol would interleave two unrelated id chains.
    const owner = new Map<string, string>();
    for (const src of list) {
      const seen = new Set<string>();
      for (const r of src.records) {
        if (r.dir !== 'recv') continue;
        const t = protocol.topicOf(r.raw);
        if (t !== undefined) seen.add(t.symbol);
      }
      for (const s of seen) {
        const other = owner.get(s);
        if (other !== undefined) {
          await closeAll();
          return { ok: false, error: `${venue} ${s} is in both ${other} and ${src.file}: replay them separately` };
        }
        owner.set(s, src.file);
      }
    }
    servers.push(await VenueServer.start({ ...opts.server, protocol, sources: list, speed: opts.speed ?? 1 }));
  }
  const venues: EngineVenueConfig[] = servers
    .map((s) => ({ venue: s.venue, symbols: s.bookSymbolList(), wsUrl: s.wsUrl, restUrl: s.restUrl }))
    .filter((v) => v.symbols.length > 0);
  if (venues.length === 0) {
    await closeAll();
    return { ok: false, error: `no order-book stream found in ${opts.files.map((f) => basename(f)).join(', ')}` };
  }
  return {
    ok: true,
    plan: {
      servers,
      venues,
      server: (venue) => servers.find((s) => s.venue === venue),
      close: closeAll,
    },
  };
}
