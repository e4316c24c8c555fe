/**
 * Depthdesk's configuration: one JSON file, every setting also settable by an environment
 * variable (`DEPTHDESK_...`), validated with messages that name the bad field
 * (`venues[2].symbols[0]: ...`). docs/CONFIG.md documents every setting; a test keeps that table
 * and `SETTINGS` below in step.
 *
 * Layers, later wins: resources/config/default.json, the user's file (`--config F` or
 * DEPTHDESK_CONFIG), environment variables. Objects merge key by key; `venues` is a list and is
 * replaced as a whole. Loading never throws on bad input: the result says what is wrong.
 *
 * Credentials are optional (public market data needs none) and never leave the host process
 * unredacted: `redactConfig` is what `config.get` and diagnostics show.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { isIP } from 'node:net';
import type { InstrumentIncrements, VenueId } from '../../src-shared/model/market.ts';
import { appRoot } from './buildInfo.ts';

/** Every venue id of the model, at runtime. The type check below fails if market.ts gains one. */
export const VENUE_IDS = [
  'binance-spot',
  'binance-us',
  'binance-usdm',
  'binance-coinm',
  'okx',
  'bybit-spot',
  'bybit-linear',
  'coinbase',
  'coinbase-exchange',
  'bybit-legacy',
  'kraken',
  'kraken-futures',
  'deribit',
  'upbit',
  'bithumb',
  'bitget',
  'gate',
  'kucoin',
  'bitfinex',
  'bitmex',
  'hyperliquid',
] as const satisfies readonly VenueId[];
type MissingVenueIds = Exclude<VenueId, (typeof VENUE_IDS)[number]>;
const venueIdsComplete: MissingVenueIds extends never ? true : MissingVenueIds = true;
void venueIdsComplete;

/** Credential families: one API key serves every market of an exchange. */
export const CREDENTIAL_FAMILIES = ['binance', 'okx', 'bybit', 'coinbase', 'kraken', 'deribit', 'upbit', 'bithumb', 'bitget', 'gate', 'kucoin', 'bitfinex', 'bitmex', 'hyperliquid'] as const;
export type CredentialFamily = (typeof CREDENTIAL_FAMILIES)[number];

export interface Credentials {
  apiKey?: string;
  apiSecret?: string;
  passphrase?: string;
}

export interface VenueConfig {
  venue: VenueId;
  /** Venue symbols as the venue spells them, or "all" for every symbol the venue lists. */
  symbols: string[] | 'all';
  /** Override of the venue's WebSocket URL (replay servers, a proxy). */
  wsUrl?: string;
  /** Override of the venue's REST base URL. */
  restUrl?: string;
  /**
   * Tick and lot size per venue symbol, filled by the host from the venue's instrument listing
   * when it resolved "all" (never read from a configuration file), so that the feed processes'
   * instruments carry them.
   */
  increments?: InstrumentIncrements;
}

/** The publisher runs inside each feed process (measured in docs/ARCHITECTURE.md), or not at all. */
export type PublisherPlacement = 'beside-books' | 'off';

export interface ProcessesConfig {
  /** Feed processes the venues are sharded over (one owner per book). */
  feeds: number;
  /** Where the multicast publisher runs (docs/ARCHITECTURE.md says why beside the books). */
  publisher: PublisherPlacement;
  heartbeatMs: number;
  unresponsiveAfterMs: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
  crashLoopCount: number;
  crashLoopWindowMs: number;
}

export interface MulticastConfig {
  enabled: boolean;
  /** Incremental channel group; the publisher derives the snapshot loop's group from it (docs/PROTOCOLS.md). */
  group: string;
  /** Incremental channel UDP port; one UDP port per group. */
  port: number;
  /** IPv4 address of the interface to send on (always explicit: the default route leaves the host). */
  interface: string;
  ttl: number;
  loopback: boolean;
  maxPacketBytes: number;
  /** One channel per venue, or every venue on one channel. */
  grouping: 'venue' | 'single';
}

export interface HttpConfig {
  host: string;
  port: number;
  /** Binding to a non-loopback address is refused unless this is true. The token is still required. */
  allowRemote: boolean;
  /** Fixed access token for operations tooling; empty = a random one per start. */
  token: string;
}

/** Raw captures of the venues' traffic (docs/CONFIG.md, "Recorder, incident captures, logs"). */
export interface RecorderSettings {
  enabled: boolean;
  /** "all" or venue ids separated by commas. */
  venues: string;
  /** Folder; "" = <dataDir>/recordings. */
  dir: string;
  maxFileMiB: number;
  maxFileMinutes: number;
  /** Oldest files are deleted beyond this total (0 = no limit). */
  maxTotalGiB: number;
  /** Files older than this are deleted (0 = kept). */
  maxAgeDays: number;
}

export interface IncidentSettings {
  enabled: boolean;
  beforeMs: number;
  afterMs: number;
  maxKept: number;
}

export interface LogSettings {
  /** Folder; "" = <dataDir>/logs. */
  dir: string;
  level: 'debug' | 'info' | 'warn' | 'error';
  maxFileMiB: number;
  maxFiles: number;
}

export interface DiagnosticsSettings {
  /** Upper bound of a diagnostics bundle. */
  maxMiB: number;
}

export interface LimitedModeConfig {
  symbolsPerVenue: number;
  depth: number;
  feeds: number;
}

export interface DepthdeskConfig {
  venues: VenueConfig[];
  /** Levels per side served to views and published; books keep every level the venue sends. */
  depth: number;
  /** Limited mode for small machines: the caps in `limitedMode` apply. */
  limited: boolean;
  limitedMode: LimitedModeConfig;
  processes: ProcessesConfig;
  multicast: MulticastConfig;
  /** Where logs, recordings and diagnostics are written ("~" = the user's home). */
  dataDir: string;
  http: HttpConfig;
  recorder: RecorderSettings;
  incidents: IncidentSettings;
  logs: LogSettings;
  diagnostics: DiagnosticsSettings;
  credentials: Partial<Record<CredentialFamily, Credentials>>;
}

export type ConfigResult =
  | { ok: true; config: DepthdeskConfig; source: string; warnings: string[] }
  | { ok: false; errors: string[]; source: string };

export class ConfigError extends Error {
  readonly errors: string[];
  constructor(source: string, errors: string[]) {
    super(`configuration (${source}) is invalid:\n  ${errors.join('\n  ')}`);
    this.name = 'ConfigError';
    this.errors = errors;
  }
}

type Kind =
  | { type: 'integer'; min: number; max: number }
  | { type: 'boolean' }
  | { type: 'enum'; values: readonly string[] }
  | { type: 'ipv4' }
  | { type: 'multicast-ipv4' }
  | { type: 'host' }
  | { type: 'path' }
  /** A path, or "" for the default named in the setting's doc. */
  | { type: 'optional-path' }
  /** "all" or venue ids separated by commas. */
  | { type: 'venue-list' }
  | { type: 'secret' };

export interface Setting {
  /** Dotted path in the file ("http.port"). */
  path: string;
  env: string;
  kind: Kind;
  doc: string;
}

const int = (min: number, max: number): Kind => ({ type: 'integer', min, max });
const BOOL: Kind = { type: 'boolean' };

/** Every scalar setting. `venues` and `credentials` have their own syntax (see VENUES_ENV, credentialEnv). */
export const SETTINGS: readonly Setting[] = [
  { path: 'depth', env: 'DEPTHDESK_DEPTH', kind: int(1, 5000), doc: 'Levels per side served to views (book.get, ladders) and published over multicast; the books themselves keep every level the venue sends.' },
  { path: 'limited', env: 'DEPTHDESK_LIMITED', kind: BOOL, doc: 'Limited mode for small machines: the limitedMode caps apply.' },
  { path: 'limitedMode.symbolsPerVenue', env: 'DEPTHDESK_LIMITED_SYMBOLS_PER_VENUE', kind: int(1, 10_000), doc: 'In limited mode: the first N symbols of each venue.' },
  { path: 'limitedMode.depth', env: 'DEPTHDESK_LIMITED_DEPTH', kind: int(1, 5000), doc: 'In limited mode: levels per side served and published.' },
  { path: 'limitedMode.feeds', env: 'DEPTHDESK_LIMITED_FEEDS', kind: int(1, 64), doc: 'In limited mode: feed processes.' },
  { path: 'processes.feeds', env: 'DEPTHDESK_FEEDS', kind: int(1, 64), doc: 'Feed processes the venues are sharded over (whole venues; never more processes than venues).' },
  { path: 'processes.publisher', env: 'DEPTHDESK_PUBLISHER', kind: { type: 'enum', values: ['beside-books', 'off'] }, doc: 'Where the multicast publisher runs: beside-books (inside each feed process, for its venues) or off.' },
  { path: 'processes.heartbeatMs', env: 'DEPTHDESK_HEARTBEAT_MS', kind: int(50, 60_000), doc: 'Interval of the supervisor\'s heartbeat to each process.' },
  { path: 'processes.unresponsiveAfterMs', env: 'DEPTHDESK_UNRESPONSIVE_AFTER_MS', kind: int(100, 600_000), doc: 'A process that answers no heartbeat for this long is killed and restarted.' },
  { path: 'processes.backoffInitialMs', env: 'DEPTHDESK_BACKOFF_INITIAL_MS', kind: int(0, 600_000), doc: 'First restart delay; doubles per consecutive crash.' },
  { path: 'processes.backoffMaxMs', env: 'DEPTHDESK_BACKOFF_MAX_MS', kind: int(0, 3_600_000), doc: 'Cap of the restart delay.' },
  { path: 'processes.crashLoopCount', env: 'DEPTHDESK_CRASH_LOOP_COUNT', kind: int(1, 1000), doc: 'This many exits within crashLoopWindowMs is a crash loop: no more restarts, the console says so.' },
  { path: 'processes.crashLoopWindowMs', env: 'DEPTHDESK_CRASH_LOOP_WINDOW_MS', kind: int(1000, 86_400_000), doc: 'Window of the crash-loop rule.' },
  { path: 'multicast.enabled', env: 'DEPTHDESK_MULTICAST_ENABLED', kind: BOOL, doc: 'Publish books over UDP multicast (on by default in serve --replay).' },
  { path: 'multicast.group', env: 'DEPTHDESK_MULTICAST_GROUP', kind: { type: 'multicast-ipv4' }, doc: 'Incremental channel group; the snapshot loop\'s group and port are derived from group and port (docs/PROTOCOLS.md).' },
  { path: 'multicast.port', env: 'DEPTHDESK_MULTICAST_PORT', kind: int(1, 65_534), doc: 'Incremental channel UDP port (one UDP port per group).' },
  { path: 'multicast.interface', env: 'DEPTHDESK_MULTICAST_INTERFACE', kind: { type: 'ipv4' }, doc: 'IPv4 address of the sending interface (always explicit).' },
  { path: 'multicast.ttl', env: 'DEPTHDESK_MULTICAST_TTL', kind: int(0, 255), doc: 'Multicast TTL; 1 keeps packets on the local network.' },
  { path: 'multicast.loopback', env: 'DEPTHDESK_MULTICAST_LOOPBACK', kind: BOOL, doc: 'Deliver to receivers on this host too.' },
  { path: 'multicast.maxPacketBytes', env: 'DEPTHDESK_MULTICAST_MAX_PACKET_BYTES', kind: int(294, 1472), doc: 'Largest datagram sent (1472 = a 1500-byte Ethernet MTU less IP and UDP headers).' },
  { path: 'multicast.grouping', env: 'DEPTHDESK_MULTICAST_GROUPING', kind: { type: 'enum', values: ['venue', 'single'] }, doc: 'One channel per venue, or one channel for everything.' },
  { path: 'dataDir', env: 'DEPTHDESK_DATA_DIR', kind: { type: 'path' }, doc: 'Where logs, recordings and diagnostics are written.' },
  { path: 'http.host', env: 'DEPTHDESK_HTTP_HOST', kind: { type: 'host' }, doc: 'Address the headless host binds to.' },
  { path: 'http.port', env: 'DEPTHDESK_HTTP_PORT', kind: int(0, 65_535), doc: 'Port of the headless host; 0 = any free port.' },
  { path: 'http.allowRemote', env: 'DEPTHDESK_HTTP_ALLOW_REMOTE', kind: BOOL, doc: 'Allow binding to a non-loopback address (the token is still required on every request).' },
  { path: 'http.token', env: 'DEPTHDESK_HTTP_TOKEN', kind: { type: 'secret' }, doc: 'Fixed access token (at least 16 characters); empty = a new random token per start.' },
  { path: 'recorder.enabled', env: 'DEPTHDESK_RECORDER_ENABLED', kind: BOOL, doc: 'Record every frame received and sent, connects and REST snapshots of the venues in recorder.venues to rolling gzip files.' },
  { path: 'recorder.venues', env: 'DEPTHDESK_RECORDER_VENUES', kind: { type: 'venue-list' }, doc: 'Venues recorded: "all" or venue ids separated by commas (e.g. "binance-spot,okx").' },
  { path: 'recorder.dir', env: 'DEPTHDESK_RECORDER_DIR', kind: { type: 'optional-path' }, doc: 'Folder of the recordings (one subfolder per venue); empty = <dataDir>/recordings.' },
  { path: 'recorder.maxFileMiB', env: 'DEPTHDESK_RECORDER_MAX_FILE_MIB', kind: int(1, 4096), doc: 'A recording file rolls over after this many MiB of uncompressed frames.' },
  { path: 'recorder.maxFileMinutes', env: 'DEPTHDESK_RECORDER_MAX_FILE_MINUTES', kind: int(1, 1440), doc: 'A recording file rolls over after this many minutes.' },
  { path: 'recorder.maxTotalGiB', env: 'DEPTHDESK_RECORDER_MAX_TOTAL_GIB', kind: int(0, 100_000), doc: 'The oldest recording files are deleted while all of them together exceed this many GiB; 0 = no limit.' },
  { path: 'recorder.maxAgeDays', env: 'DEPTHDESK_RECORDER_MAX_AGE_DAYS', kind: int(0, 3650), doc: 'Recording files older than this many days are deleted; 0 = kept.' },
  { path: 'incidents.enabled', env: 'DEPTHDESK_INCIDENTS_ENABLED', kind: BOOL, doc: 'Capture the raw frames of the affected connection around every resync, stale connection and process restart (<dataDir>/incidents).' },
  { path: 'incidents.beforeMs', env: 'DEPTHDESK_INCIDENTS_BEFORE_MS', kind: int(0, 600_000), doc: 'Frames kept in memory per connection and written with an incident: this long before it.' },
  { path: 'incidents.afterMs', env: 'DEPTHDESK_INCIDENTS_AFTER_MS', kind: int(0, 600_000), doc: 'An incident capture keeps collecting its connection\'s frames this long after the (last) event.' },
  { path: 'incidents.maxKept', env: 'DEPTHDESK_INCIDENTS_MAX_KEPT', kind: int(1, 100_000), doc: 'Incident captures kept on disk; older ones are deleted.' },
  { path: 'logs.dir', env: 'DEPTHDESK_LOG_DIR', kind: { type: 'optional-path' }, doc: 'Folder of the log files (one per process, rotated); empty = <dataDir>/logs.' },
  { path: 'logs.level', env: 'DEPTHDESK_LOG_LEVEL', kind: { type: 'enum', values: ['debug', 'info', 'warn', 'error'] }, doc: 'Lowest level written to the log files.' },
  { path: 'logs.maxFileMiB', env: 'DEPTHDESK_LOG_MAX_FILE_MIB', kind: int(1, 1024), doc: 'A log file rotates after this many MiB.' },
  { path: 'logs.maxFiles', env: 'DEPTHDESK_LOG_MAX_FILES', kind: int(1, 100), doc: 'Rotated log files kept per process.' },
  { path: 'diagnostics.maxMiB', env: 'DEPTHDESK_DIAGNOSTICS_MAX_MIB', kind: int(1, 4096), doc: 'Upper bound of a diagnostics bundle; what does not fit is listed in its summary.' },
];

/** `venue:SYM,SYM;venue:all` */
export const VENUES_ENV = 'DEPTHDESK_VENUES';
/** Path of the configuration file when no --config is given. */
export const CONFIG_FILE_ENV = 'DEPTHDESK_CONFIG';

const CREDENTIAL_FIELDS = { apiKey: 'API_KEY', apiSecret: 'API_SECRET', passphrase: 'API_PASSPHRASE' } as const;

/** DEPTHDESK_BINANCE_API_KEY and friends. */
export function credentialEnv(family: CredentialFamily, field: keyof Credentials): string {
  return `DEPTHDESK_${family.toUpperCase()}_${CREDENTIAL_FIELDS[field]}`;
}

/** DEPTHDESK_BINANCE_SPOT_WS_URL and friends: per-venue URL overrides. */
export function venueUrlEnv(venue: VenueId, which: 'wsUrl' | 'restUrl'): string {
  return `DEPTHDESK_${venue.toUpperCase().replace(/-/g, '_')}_${which === 'wsUrl' ? 'WS_URL' : 'REST_URL'}`;
}

export const DEFAULT_CONFIG_FILE = join(appRoot, 'resources/config/default.json');

const SYMBOL_RE = /^[A-Za-z0-9][A-Za-z0-9._\-/:]{0,63}$/;
const TOP_KEYS = ['venues', 'depth', 'limited', 'limitedMode', 'processes', 'multicast', 'dataDir', 'http', 'recorder', 'incidents', 'logs', 'diagnostics', 'credentials'];

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

function isObject(v: unknown): v is JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function describe(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

/** Objects merge key by key; everything else (lists included) is replaced. */
function merge(base: Json, over: Json): Json {
  if (!isObject(base) || !isObject(over)) return over;
  const out: JsonObject = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = k in base ? merge(base[k]!, v) : v;
  return out;
}

function getPath(o: JsonObject, path: string): Json | undefined {
  let cur: Json | undefined = o;
  for (const k of path.split('.')) {
    if (!isObject(cur)) return undefined;
    cur = cur[k];
  }
  return cur;
}

function setPath(o: JsonObject, path: string, v: Json): void {
  const keys = path.split('.');
  let cur = o;
  for (const k of keys.slice(0, -1)) {
    const next = cur[k];
    if (!isObject(next)) cur[k] = {};
    cur = cur[k] as JsonObject;
  }
  cur[keys[keys.length - 1]!] = v;
}

function checkScalar(path: string, v: unknown, kind: Kind, errors: string[]): void {
  const bad = (msg: string) => errors.push(`${path}: ${msg} (got ${describe(v)})`);
  switch (kind.type) {
    case 'integer':
      if (typeof v !== 'number' || !Number.isInteger(v)) bad('must be an integer');
      else if (v < kind.min || v > kind.max) bad(`must be from ${kind.min} to ${kind.max}`);
      return;
    case 'boolean':
      if (typeof v !== 'boolean') bad('must be true or false');
      return;
    case 'enum':
      if (typeof v !== 'string' || !kind.values.includes(v)) bad(`must be one of ${kind.values.map((x) => `"${x}"`).join(', ')}`);
      return;
    case 'ipv4':
      if (typeof v !== 'string' || isIP(v) !== 4) bad('must be an IPv4 address such as "127.0.0.1"');
      return;
    case 'multicast-ipv4': {
      const first = typeof v === 'string' && isIP(v) === 4 ? Number(v.split('.')[0]) : -1;
      // 224.0.0.0/4 is multicast; 224.0.0.x is link-local control and the last address must leave room for the snapshot group.
      if (first < 224 || first > 239 || (typeof v === 'string' && v.startsWith('224.0.0.')) || v === '239.255.255.255') bad('must be an IPv4 multicast address from 224.0.1.0 to 239.255.255.254');
      return;
    }
    case 'host':
      if (typeof v !== 'string' || v.length === 0 || !(isIP(v) !== 0 || /^[A-Za-z0-9.-]{1,253}$/.test(v))) bad('must be an IP address or a host name');
      return;
    case 'path':
      if (typeof v !== 'string' || v.length === 0) bad('must be a non-empty path');
      return;
    case 'optional-path':
      if (typeof v !== 'string') bad('must be a path, or "" for the default');
      return;
    case 'venue-list': {
      if (typeof v !== 'string') {
        bad('must be "all" or venue ids separated by commas');
        return;
      }
      if (v.trim() === 'all') return;
      const unknown = v.split(',').map((x) => x.trim()).filter((x) => !(VENUE_IDS as readonly string[]).includes(x));
      if (unknown.length > 0) bad(`must be "all" or venue ids separated by commas (unknown: ${unknown.map((x) => JSON.stringify(x)).join(', ')}; known: ${VENUE_IDS.join(', ')})`);
      return;
    }
    case 'secret':
      if (typeof v !== 'string') bad('must be a string');
      else if (v.length > 0 && v.length < 16) errors.push(`${path}: must be empty (random per start) or at least 16 characters`);
      return;
  }
}

function checkVenues(v: unknown, errors: string[]): void {
  if (!Array.isArray(v)) {
    errors.push(`venues: must be a list of { "venue": ..., "symbols": [...] | "all" } (got ${describe(v)})`);
    return;
  }
  if (v.length === 0) errors.push('venues: must name at least one venue');
  const seen = new Set<string>();
  v.forEach((item, i) => {
    const at = `venues[${i}]`;
    if (!isObject(item)) {
      errors.push(`${at}: must be an object (got ${describe(item)})`);
      return;
    }
    for (const k of Object.keys(item)) {
      if (!['venue', 'symbols', 'wsUrl', 'restUrl'].includes(k)) errors.push(`${at}.${k}: unknown setting (known: venue, symbols, wsUrl, restUrl)`);
    }
    const venue = item['venue'];
    if (typeof venue !== 'string' || !(VENUE_IDS as readonly string[]).includes(venue)) {
      errors.push(`${at}.venue: unknown venue ${describe(venue)} (known: ${VENUE_IDS.join(', ')})`);
    } else if (seen.has(venue)) errors.push(`${at}.venue: "${venue}" is listed twice`);
    else seen.add(venue);
    const symbols = item['symbols'];
    if (symbols === 'all') {
      // accepted
    } else if (!Array.isArray(symbols)) {
      errors.push(`${at}.symbols: must be a list of venue symbols or "all" (got ${describe(symbols)})`);
    } else {
      if (symbols.length === 0) errors.push(`${at}.symbols: must name at least one symbol (or "all")`);
      const dup = new Set<string>();
      symbols.forEach((s, j) => {
        if (typeof s !== 'string' || !SYMBOL_RE.test(s)) errors.push(`${at}.symbols[${j}]: not a venue symbol (letters, digits and . _ - / :, got ${describe(s)})`);
        else if (dup.has(s)) errors.push(`${at}.symbols[${j}]: "${s}" is listed twice`);
        else dup.add(s);
      });
    }
    for (const key of ['wsUrl', 'restUrl'] as const) {
      const u = item[key];
      if (u === undefined) continue;
      const want = key === 'wsUrl' ? /^wss?:$/ : /^https?:$/;
      let ok = false;
      if (typeof u === 'string') {
        try {
          ok = want.test(new URL(u).protocol);
        } catch {
          ok = false;
        }
      }
      if (!ok) errors.push(`${at}.${key}: must be a ${key === 'wsUrl' ? 'ws:// or wss://' : 'http:// or https://'} URL (got ${describe(u)})`);
    }
  });
}

function checkCredentials(v: unknown, errors: string[]): void {
  if (!isObject(v)) {
    errors.push(`credentials: must be an object keyed by exchange (got ${describe(v)})`);
    return;
  }
  for (const [fam, c] of Object.entries(v)) {
    if (!(CREDENTIAL_FAMILIES as readonly string[]).includes(fam)) {
      errors.push(`credentials.${fam}: unknown exchange (known: ${CREDENTIAL_FAMILIES.join(', ')})`);
      continue;
    }
    if (!isObject(c)) {
      errors.push(`credentials.${fam}: must be an object with apiKey, apiSecret, passphrase`);
      continue;
    }
    for (const [k, s] of Object.entries(c)) {
      if (!(k in CREDENTIAL_FIELDS)) errors.push(`credentials.${fam}.${k}: unknown setting (known: apiKey, apiSecret, passphrase)`);
      else if (typeof s !== 'string') errors.push(`credentials.${fam}.${k}: must be a string`);
    }
  }
}

/** Unknown keys are errors: a typo must not silently fall back to a default. */
function checkUnknownKeys(o: JsonObject, errors: string[]): void {
  for (const k of Object.keys(o)) if (!TOP_KEYS.includes(k)) errors.push(`${k}: unknown setting (known: ${TOP_KEYS.join(', ')})`);
  for (const section of ['limitedMode', 'processes', 'multicast', 'http', 'recorder', 'incidents', 'logs', 'diagnostics']) {
    const sec = o[section];
    if (sec === undefined) continue;
    if (!isObject(sec)) {
      errors.push(`${section}: must be an object (got ${describe(sec)})`);
      continue;
    }
    const known = SETTINGS.filter((s) => s.path.startsWith(`${section}.`)).map((s) => s.path.slice(section.length + 1));
    for (const k of Object.keys(sec)) if (!known.includes(k)) errors.push(`${section}.${k}: unknown setting (known: ${known.join(', ')})`);
  }
}

/** Validate a merged raw configuration. */
export function validateConfig(raw: unknown): { ok: true; config: DepthdeskConfig } | { ok: false; errors: string[] } {
  const errors: string[] = [];
  if (!isObject(raw)) return { ok: false, errors: [`(top level): must be a JSON object (got ${describe(raw)})`] };
  checkUnknownKeys(raw, errors);
  for (const s of SETTINGS) {
    const v = getPath(raw, s.path);
    if (v === undefined) errors.push(`${s.path}: missing`);
    else checkScalar(s.path, v, s.kind, errors);
  }
  checkVenues(raw['venues'], errors);
  checkCredentials(raw['credentials'] ?? {}, errors);
  if (errors.length > 0) return { ok: false, errors };
  const config = structuredClone(raw) as unknown as DepthdeskConfig;
  config.credentials ??= {};
  if (config.processes.backoffMaxMs < config.processes.backoffInitialMs) return { ok: false, errors: ['processes.backoffMaxMs: must not be below processes.backoffInitialMs'] };
  if (config.processes.unresponsiveAfterMs <= config.processes.heartbeatMs) return { ok: false, errors: ['processes.unresponsiveAfterMs: must be longer than processes.heartbeatMs'] };
  if (config.multicast.grouping === 'single' && config.processes.publisher === 'beside-books' && config.processes.feeds > 1 && config.venues.length > 1) {
    // Each feed process publishes its own venues; two publishers on one channel would interleave two sessions and sequences.
    return { ok: false, errors: ['multicast.grouping: "single" needs processes.feeds = 1 (each feed process publishes its own venues, and one channel cannot carry two publishers); use "venue"'] };
  }
  return { ok: true, config };
}

function parseEnvScalar(s: Setting, text: string): { ok: true; value: Json } | { ok: false; error: string } {
  const k = s.kind;
  if (k.type === 'integer') {
    const t = text.trim();
    const n = /^-?\d+$/.test(t) ? Number(t) : Number.NaN;
    return Number.isSafeInteger(n) ? { ok: true, value: n } : { ok: false, error: `${s.env} (${s.path}): must be an integer (got ${describe(text)})` };
  }
  if (k.type === 'boolean') {
    const t = text.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(t)) return { ok: true, value: true };
    if (['0', 'false', 'no', 'off'].includes(t)) return { ok: true, value: false };
    return { ok: false, error: `${s.env} (${s.path}): must be true/false, 1/0, yes/no or on/off (got ${describe(text)})` };
  }
  return { ok: true, value: text };
}

/** `binance-spot:BTCUSDT,ETHUSDT;okx:all` */
function parseVenuesEnv(text: string): { ok: true; value: Json } | { ok: false; errors: string[] } {
  const out: Json[] = [];
  const errors: string[] = [];
  text
    .split(';')
    .map((p) => p.trim())
    .filter((p) => p.length > 0)
    .forEach((part, i) => {
      const colon = part.indexOf(':');
      if (colon <= 0) {
        errors.push(`${VENUES_ENV} entry ${i + 1} ${describe(part)}: must be venue:SYMBOL,SYMBOL or venue:all`);
        return;
      }
      const venue = part.slice(0, colon).trim();
      const rest = part.slice(colon + 1).trim();
      out.push({ venue, symbols: rest === 'all' ? 'all' : rest.split(',').map((s) => s.trim()).filter((s) => s.length > 0) });
    });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: out };
}

/**
 * Apply DEPTHDESK_* variables onto a raw configuration. Returns errors naming the variable, and
 * which paths the environment set (so validation errors can name the variable too).
 */
export function applyEnv(raw: JsonObject, env: Record<string, string | undefined>): { errors: string[]; fromEnv: Map<string, string> } {
  const errors: string[] = [];
  const fromEnv = new Map<string, string>();
  for (const s of SETTINGS) {
    const text = env[s.env];
    if (text === undefined) continue;
    const v = parseEnvScalar(s, text);
    if (v.ok) {
      setPath(raw, s.path, v.value);
      fromEnv.set(s.path, s.env);
    } else errors.push(v.error);
  }
  const venuesText = env[VENUES_ENV];
  if (venuesText !== undefined) {
    const v = parseVenuesEnv(venuesText);
    if (v.ok) {
      raw['venues'] = v.value;
      fromEnv.set('venues', VENUES_ENV);
    } else errors.push(...v.errors);
  }
  const venues = raw['venues'];
  if (Array.isArray(venues)) {
    venues.forEach((item, i) => {
      if (!isObject(item) || typeof item['venue'] !== 'string' || !(VENUE_IDS as readonly string[]).includes(item['venue'])) return;
      for (const which of ['wsUrl', 'restUrl'] as const) {
        const name = venueUrlEnv(item['venue'] as VenueId, which);
        const u = env[name];
        if (u === undefined) continue;
        item[which] = u;
        fromEnv.set(`venues[${i}].${which}`, name);
      }
    });
  }
  for (const fam of CREDENTIAL_FAMILIES) {
    for (const field of Object.keys(CREDENTIAL_FIELDS) as (keyof Credentials)[]) {
      const v = env[credentialEnv(fam, field)];
      if (v === undefined) continue;
      setPath(raw, `credentials.${fam}.${field}`, v);
      fromEnv.set(`credentials.${fam}.${field}`, credentialEnv(fam, field));
    }
  }
  return { errors, fromEnv };
}

/** "http.port: must be ..." -> "http.port: must be ... (from DEPTHDESK_HTTP_PORT)". */
function nameEnvSources(errors: string[], fromEnv: Map<string, string>): string[] {
  return errors.map((e) => {
    for (const [path, name] of fromEnv) {
      if (e.startsWith(`${path}:`) || e.startsWith(`${path}[`) || e.startsWith(`${path}.`)) return `${e} (from ${name})`;
    }
    return e;
  });
}

function readJson(path: string, label: string): { ok: true; value: Json } | { ok: false; error: string } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { ok: false, error: `${label} ${path}: ${code === 'ENOENT' ? 'file not found' : (e as Error).message}` };
  }
  try {
    return { ok: true, value: JSON.parse(text) as Json };
  } catch (e) {
    return { ok: false, error: `${label} ${path}: not valid JSON (${(e as Error).message})` };
  }
}

export interface LoadOptions {
  /** The user's file (--config); DEPTHDESK_CONFIG when absent. */
  file?: string;
  env?: Record<string, string | undefined>;
  defaultsFile?: string;
}

/** Load defaults + file + environment and validate. Never throws. */
export function loadConfig(opts: LoadOptions = {}): ConfigResult {
  const env = opts.env ?? process.env;
  const file = opts.file ?? env[CONFIG_FILE_ENV];
  const sources = ['defaults'];
  const defaults = readJson(opts.defaultsFile ?? DEFAULT_CONFIG_FILE, 'default configuration');
  if (!defaults.ok) return { ok: false, errors: [defaults.error], source: 'defaults' };
  let raw = defaults.value;
  if (file !== undefined && file !== '') {
    const user = readJson(resolve(file), 'configuration file');
    if (!user.ok) return { ok: false, errors: [user.error], source: file };
    if (!isObject(user.value)) return { ok: false, errors: [`${file}: must hold a JSON object`], source: file };
    // Check the user's own keys first so a typo is reported against the file, not hidden by the merge.
    const typos: string[] = [];
    checkUnknownKeys(user.value, typos);
    if (typos.length > 0) return { ok: false, errors: typos, source: file };
    raw = merge(raw, user.value);
    sources.push(file);
  }
  if (!isObject(raw)) return { ok: false, errors: ['(top level): must be a JSON object'], source: sources.join(' + ') };
  const before = JSON.stringify(raw);
  const { errors: envErrors, fromEnv } = applyEnv(raw, env);
  if (JSON.stringify(raw) !== before || envErrors.length > 0) sources.push('environment');
  const source = sources.join(' + ');
  if (envErrors.length > 0) return { ok: false, errors: envErrors, source };
  const v = validateConfig(raw);
  if (!v.ok) return { ok: false, errors: nameEnvSources(v.errors, fromEnv), source };
  const warnings: string[] = [];
  if (!isLoopback(v.config.http.host) && !v.config.http.allowRemote) {
    return { ok: false, errors: [`http.host: "${v.config.http.host}" is not a loopback address; set http.allowRemote (DEPTHDESK_HTTP_ALLOW_REMOTE=1) to serve other machines (the token stays required)`], source };
  }
  if (v.config.http.allowRemote && !isLoopback(v.config.http.host)) warnings.push(`the headless host will accept connections from other machines on ${v.config.http.host}; every request still needs the token`);
  return { ok: true, config: v.config, source, warnings };
}

/** Throwing variant for the CLI (main.ts prints ConfigError as one clear message, exit 2). */
export function loadConfigOrThrow(opts: LoadOptions = {}): { config: DepthdeskConfig; source: string; warnings: string[] } {
  const r = loadConfig(opts);
  if (!r.ok) throw new ConfigError(r.source, r.errors);
  return r;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** The settings that are in effect: limited mode's caps applied. */
export function effectiveConfig(c: DepthdeskConfig): DepthdeskConfig {
  if (!c.limited) return c;
  const lim = c.limitedMode;
  return {
    ...c,
    depth: Math.min(c.depth, lim.depth),
    venues: c.venues.map((v) => ({ ...v, symbols: v.symbols === 'all' ? v.symbols : v.symbols.slice(0, lim.symbolsPerVenue) })),
    processes: { ...c.processes, feeds: Math.min(c.processes.feeds, lim.feeds) },
  };
}

/** `dataDir` with "~" expanded, absolute. */
export function resolveDataDir(c: DepthdeskConfig): string {
  return resolvePath(c.dataDir);
}

function resolvePath(d: string): string {
  if (d === '~' || d.startsWith('~/') || d.startsWith('~\\')) return join(homedir(), d.slice(1));
  return isAbsolute(d) ? d : resolve(d);
}

/** Where the processes write: logs, recordings, incident captures, diagnostics bundles, runtime files. */
export interface DataPaths {
  dataDir: string;
  logs: string;
  recordings: string;
  incidents: string;
  diagnostics: string;
  run: string;
}

export function dataPaths(c: DepthdeskConfig): DataPaths {
  const dataDir = resolveDataDir(c);
  return {
    dataDir,
    logs: c.logs.dir === '' ? join(dataDir, 'logs') : resolvePath(c.logs.dir),
    recordings: c.recorder.dir === '' ? join(dataDir, 'recordings') : resolvePath(c.recorder.dir),
    incidents: join(dataDir, 'incidents'),
    diagnostics: join(dataDir, 'diagnostics'),
    run: join(dataDir, 'run'),
  };
}

/**
 * Every secret value a process can see: credentials and the access token from the environment
 * and, when given, the configuration. Hosts register them with the logger so that no log line,
 * capture or diagnostics bundle shows them.
 */
export function secretValues(env: Record<string, string | undefined>, cfg?: DepthdeskConfig): string[] {
  const out: string[] = [];
  for (const fam of CREDENTIAL_FAMILIES) {
    for (const field of Object.keys(CREDENTIAL_FIELDS) as (keyof Credentials)[]) {
      const v = env[credentialEnv(fam, field)];
      if (v) out.push(v);
    }
  }
  const token = env['DEPTHDESK_HTTP_TOKEN'];
  if (token) out.push(token);
  if (cfg !== undefined) {
    for (const c of Object.values(cfg.credentials)) for (const v of Object.values(c ?? {})) if (v) out.push(v);
    if (cfg.http.token) out.push(cfg.http.token);
  }
  return out;
}

/** The venues `recorder.venues` names ("all" = every venue). */
export function recordedVenues(r: RecorderSettings): 'all' | VenueId[] {
  if (r.venues.trim() === 'all') return 'all';
  return r.venues.split(',').map((x) => x.trim()) as VenueId[];
}

export const REDACTED = '[redacted]';

/** The configuration as `config.get` and diagnostics show it: every credential and token redacted. */
export function redactConfig(c: DepthdeskConfig): Record<string, unknown> {
  const out = structuredClone(c) as unknown as Record<string, unknown>;
  const creds = out['credentials'] as Record<string, Record<string, string>>;
  for (const fam of Object.keys(creds)) {
    for (const k of Object.keys(creds[fam]!)) if (creds[fam]![k] !== '') creds[fam]![k] = REDACTED;
  }
  const http = out['http'] as Record<string, unknown>;
  if (http['token'] !== '') http['token'] = REDACTED;
  return out;
}

/**
 * Shard venues over at most `feeds` processes, balancing the number of books (a venue with
 * "all" counts as many). One venue is never split: its connections share a REST budget and its
 * books are owned by one process.
 */
export function shardVenues(venues: VenueConfig[], feeds: number, allWeight = 50): VenueConfig[][] {
  const n = Math.max(1, Math.min(feeds, venues.length));
  const shards: { load: number; venues: VenueConfig[] }[] = Array.from({ length: n }, () => ({ load: 0, venues: [] }));
  const weight = (v: VenueConfig) => (v.symbols === 'all' ? allWeight : v.symbols.length);
  const order = venues.map((v, i) => ({ v, i })).sort((a, b) => weight(b.v) - weight(a.v) || a.i - b.i);
  for (const { v } of order) {
    let best = shards[0]!;
    for (const s of shards) if (s.load < best.load) best = s;
    best.venues.push(v);
    best.load += weight(v);
  }
  // Keep the configured venue order inside each shard (stable output for logs and tests).
  for (const s of shards) s.venues.sort((a, b) => venues.indexOf(a) - venues.indexOf(b));
  return shards.map((s) => s.venues);
}
