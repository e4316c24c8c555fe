import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CONFIG_FILE_ENV,
  REDACTED,
  SETTINGS,
  VENUES_ENV,
  credentialEnv,
  effectiveConfig,
  loadConfig,
  loadConfigOrThrow,
  redactConfig,
  shardVenues,
  venueUrlEnv,
} from '../../../src-main/hosts/config.ts';
import type { DepthdeskConfig, VenueConfig } from '../../../src-main/hosts/config.ts';
import { repoRoot } from '../../support/data.ts';

const dir = mkdtempSync(join(tmpdir(), 'depthdesk-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
}

function errorsOf(r: ReturnType<typeof loadConfig>): string[] {
  if (r.ok) throw new Error('expected the configuration to be rejected');
  return r.errors;
}

function get(c: DepthdeskConfig, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], c);
}

describe('configuration', () => {
  it('loads the shipped default: a live set on several venues, loopback host, publisher beside the books', () => {
    const r = loadConfig({ env: {} });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.source).toBe('defaults');
    expect(r.config.venues.length).toBeGreaterThanOrEqual(5);
    for (const v of r.config.venues) expect(Array.isArray(v.symbols) && v.symbols.length > 0).toBe(true);
    expect(r.config.venues.find((v) => v.venue === 'binance-spot')?.symbols).toContain('BTCUSDT');
    expect(r.config.http.host).toBe('127.0.0.1');
    expect(r.config.http.token).toBe('');
    expect(r.config.processes.publisher).toBe('beside-books');
  });

  it('limited mode caps symbols per venue, depth and feed processes', () => {
    const r = loadConfigOrThrow({ env: { DEPTHDESK_LIMITED: '1' } });
    const e = effectiveConfig(r.config);
    expect(e.processes.feeds).toBe(1);
    expect(e.depth).toBe(r.config.limitedMode.depth);
    for (const v of e.venues) expect((v.symbols as string[]).length).toBeLessThanOrEqual(r.config.limitedMode.symbolsPerVenue);
    expect(e.venues[0]!.symbols).toEqual((r.config.venues[0]!.symbols as string[]).slice(0, 3));
    // Not limited: unchanged.
    expect(effectiveConfig(loadConfigOrThrow({ env: {} }).config).venues[0]!.symbols).toHaveLength(10);
  });

  it('a file merges section by section and replaces the venue list', () => {
    const f = file('merge.json', { venues: [{ venue: 'okx', symbols: ['BTC-USDT'] }], http: { port: 9999 } });
    const r = loadConfigOrThrow({ file: f, env: {} });
    expect(r.config.venues).toEqual([{ venue: 'okx', symbols: ['BTC-USDT'] }]);
    expect(r.config.http).toEqual({ host: '127.0.0.1', port: 9999, allowRemote: false, token: '' });
    expect(r.source).toBe(`defaults + ${f}`);
    // DEPTHDESK_CONFIG names the file when no --config is given.
    expect(loadConfigOrThrow({ env: { [CONFIG_FILE_ENV]: f } }).config.http.port).toBe(9999);
  });

  it('names the bad field in every message', () => {
    const f = file('bad.json', {
      venues: [
        { venue: 'binance-spot', symbols: ['BTCUSDT'] },
        { venue: 'okx', symbols: 'some' },
        { venue: 'kraken', symbols: ['XBT/USD', 'bad symbol', 'XBT/USD'], wsUrl: 'http://x' },
        { venue: 'binanse', symbols: ['BTCUSDT'] },
        { venue: 'binance-spot', symbols: [] },
      ],
      processes: { feeds: 0, publisher: 'elsewhere' },
      multicast: { group: '10.1.1.1', interface: 'eth0' },
      http: { port: 70000 },
    });
    const errors = errorsOf(loadConfig({ file: f, env: {} }));
    const expected = [
      'venues[1].symbols: must be a list of venue symbols or "all"',
      'venues[2].symbols[1]: not a venue symbol',
      'venues[2].symbols[2]: "XBT/USD" is listed twice',
      'venues[2].wsUrl: must be a ws:// or wss:// URL',
      'venues[3].venue: unknown venue "binanse"',
      'venues[4].venue: "binance-spot" is listed twice',
      'venues[4].symbols: must name at least one symbol',
      'processes.feeds: must be from 1 to 64 (got 0)',
      'processes.publisher: must be one of "beside-books", "off"',
      'multicast.group: must be an IPv4 multicast address',
      'multicast.interface: must be an IPv4 address',
      'http.port: must be from 0 to 65535 (got 70000)',
    ];
    for (const want of expected) expect(errors.some((e) => e.startsWith(want)), `${want}\n in ${errors.join('\n')}`).toBe(true);
    expect(errors).toHaveLength(expected.length);
  });

  it('rejects unknown keys (typos) instead of silently using defaults', () => {
    const f = file('typo.json', { htpp: { port: 1 }, http: { prot: 1 }, venues: [{ venue: 'okx', symbols: ['BTC-USDT'], ws: 'x' }] });
    const errors = errorsOf(loadConfig({ file: f, env: {} }));
    expect(errors).toContain('htpp: unknown setting (known: venues, depth, limited, limitedMode, processes, multicast, dataDir, http, recorder, incidents, logs, diagnostics, credentials)');
    expect(errors).toContain('http.prot: unknown setting (known: host, port, allowRemote, token)');
  });

  it('reports unreadable and malformed files with their path', () => {
    expect(errorsOf(loadConfig({ file: join(dir, 'missing.json'), env: {} }))[0]).toBe(`configuration file ${join(dir, 'missing.json')}: file not found`);
    const f = file('broken.json', '{ "venues": [ }');
    expect(errorsOf(loadConfig({ file: f, env: {} }))[0]).toMatch(new RegExp(`^configuration file ${f}: not valid JSON`));
    expect(() => loadConfigOrThrow({ file: f, env: {} })).toThrow(/is invalid/);
  });

  // One valid value per setting; the last assertion makes a new setting fail here until it is covered.
  const samples: Record<string, [string, unknown]> = {
    DEPTHDESK_DEPTH: ['25', 25],
    DEPTHDESK_LIMITED: ['yes', true],
    DEPTHDESK_LIMITED_SYMBOLS_PER_VENUE: ['2', 2],
    DEPTHDESK_LIMITED_DEPTH: ['50', 50],
    DEPTHDESK_LIMITED_FEEDS: ['1', 1],
    DEPTHDESK_FEEDS: ['3', 3],
    DEPTHDESK_PUBLISHER: ['off', 'off'],
    DEPTHDESK_HEARTBEAT_MS: ['500', 500],
    DEPTHDESK_UNRESPONSIVE_AFTER_MS: ['5000', 5000],
    DEPTHDESK_BACKOFF_INITIAL_MS: ['100', 100],
    DEPTHDESK_BACKOFF_MAX_MS: ['20000', 20000],
    DEPTHDESK_CRASH_LOOP_COUNT: ['3', 3],
    DEPTHDESK_CRASH_LOOP_WINDOW_MS: ['30000', 30000],
    DEPTHDESK_MULTICAST_ENABLED: ['on', true],
    DEPTHDESK_MULTICAST_GROUP: ['239.1.2.3', '239.1.2.3'],
    DEPTHDESK_MULTICAST_PORT: ['40000', 40000],
    DEPTHDESK_MULTICAST_INTERFACE: ['10.0.0.5', '10.0.0.5'],
    DEPTHDESK_MULTICAST_TTL: ['4', 4],
    DEPTHDESK_MULTICAST_LOOPBACK: ['false', false],
    DEPTHDESK_MULTICAST_MAX_PACKET_BYTES: ['1200', 1200],
    DEPTHDESK_MULTICAST_GROUPING: ['venue', 'venue'],
    DEPTHDESK_DATA_DIR: ['/var/lib/depthdesk', '/var/lib/depthdesk'],
    DEPTHDESK_HTTP_HOST: ['127.0.0.2', '127.0.0.2'],
    DEPTHDESK_HTTP_PORT: ['0', 0],
    DEPTHDESK_HTTP_ALLOW_REMOTE: ['1', true],
    DEPTHDESK_HTTP_TOKEN: ['0123456789abcdef0123', '0123456789abcdef0123'],
    DEPTHDESK_RECORDER_ENABLED: ['1', true],
    DEPTHDESK_RECORDER_VENUES: ['binance-spot,okx', 'binance-spot,okx'],
    DEPTHDESK_RECORDER_DIR: ['/srv/captures', '/srv/captures'],
    DEPTHDESK_RECORDER_MAX_FILE_MIB: ['64', 64],
    DEPTHDESK_RECORDER_MAX_FILE_MINUTES: ['15', 15],
    DEPTHDESK_RECORDER_MAX_TOTAL_GIB: ['0', 0],
    DEPTHDESK_RECORDER_MAX_AGE_DAYS: ['30', 30],
    DEPTHDESK_INCIDENTS_ENABLED: ['off', false],
    DEPTHDESK_INCIDENTS_BEFORE_MS: ['5000', 5000],
    DEPTHDESK_INCIDENTS_AFTER_MS: ['20000', 20000],
    DEPTHDESK_INCIDENTS_MAX_KEPT: ['50', 50],
    DEPTHDESK_LOG_DIR: ['/var/log/depthdesk', '/var/log/depthdesk'],
    DEPTHDESK_LOG_LEVEL: ['debug', 'debug'],
    DEPTHDESK_LOG_MAX_FILE_MIB: ['8', 8],
    DEPTHDESK_LOG_MAX_FILES: ['10', 10],
    DEPTHDESK_DIAGNOSTICS_MAX_MIB: ['50', 50],
  };
  it('every setting can be given by its environment variable', () => {
    for (const s of SETTINGS) {
      const sample = samples[s.env];
      expect(sample, `no sample for ${s.env}`).toBeDefined();
      const r = loadConfig({ env: { [s.env]: sample![0] } });
      expect(r.ok, `${s.env}=${sample![0]}: ${r.ok ? '' : r.errors.join('; ')}`).toBe(true);
      if (r.ok) expect(get(r.config, s.path), s.env).toEqual(sample![1]);
    }
    expect(Object.keys(samples).sort()).toEqual(SETTINGS.map((s) => s.env).sort());
  });

  it('venues, per-venue URLs and credentials from the environment; errors name the variable', () => {
    const env = {
      [VENUES_ENV]: 'binance-spot:BTCUSDT,ETHUSDT; okx:all',
      [venueUrlEnv('binance-spot', 'wsUrl')]: 'ws://127.0.0.1:9001',
      [venueUrlEnv('binance-spot', 'restUrl')]: 'http://127.0.0.1:9002',
      [credentialEnv('binance', 'apiKey')]: 'k-123',
    };
    const r = loadConfigOrThrow({ env });
    expect(r.config.venues).toEqual([
      { venue: 'binance-spot', symbols: ['BTCUSDT', 'ETHUSDT'], wsUrl: 'ws://127.0.0.1:9001', restUrl: 'http://127.0.0.1:9002' },
      { venue: 'okx', symbols: 'all' },
    ]);
    expect(r.config.credentials.binance?.apiKey).toBe('k-123');
    expect(venueUrlEnv('binance-spot', 'wsUrl')).toBe('DEPTHDESK_BINANCE_SPOT_WS_URL');
    expect(credentialEnv('binance', 'apiKey')).toBe('DEPTHDESK_BINANCE_API_KEY');
    expect(errorsOf(loadConfig({ env: { DEPTHDESK_FEEDS: 'two' } }))).toEqual(['DEPTHDESK_FEEDS (processes.feeds): must be an integer (got "two")']);
    expect(errorsOf(loadConfig({ env: { DEPTHDESK_FEEDS: '99' } }))).toEqual(['processes.feeds: must be from 1 to 64 (got 99) (from DEPTHDESK_FEEDS)']);
    expect(errorsOf(loadConfig({ env: { [VENUES_ENV]: 'okx' } }))[0]).toMatch(/^DEPTHDESK_VENUES entry 1 "okx": must be venue:SYMBOL,SYMBOL or venue:all/);
  });

  it('redacts credentials and the token in what config.get shows', () => {
    const secret = 'super-secret-binance-key-1234';
    const r = loadConfigOrThrow({ env: { DEPTHDESK_BINANCE_API_KEY: secret, DEPTHDESK_BINANCE_API_SECRET: `${secret}-s`, DEPTHDESK_HTTP_TOKEN: 'tok-tok-tok-tok-tok-tok' } });
    const shown = redactConfig(r.config);
    const text = JSON.stringify(shown);
    expect(text).not.toContain(secret);
    expect(text).not.toContain('tok-tok');
    expect((shown['credentials'] as Record<string, Record<string, string>>)['binance']).toEqual({ apiKey: REDACTED, apiSecret: REDACTED });
    expect((shown['http'] as Record<string, unknown>)['token']).toBe(REDACTED);
    // The effective configuration itself still holds the real key for the engine.
    expect(r.config.credentials.binance?.apiKey).toBe(secret);
  });

  it('binds remotely only when allowed, and says so', () => {
    expect(errorsOf(loadConfig({ env: { DEPTHDESK_HTTP_HOST: '0.0.0.0' } }))[0]).toMatch(/^http\.host: "0\.0\.0\.0" is not a loopback address; set http\.allowRemote/);
    const r = loadConfig({ env: { DEPTHDESK_HTTP_HOST: '0.0.0.0', DEPTHDESK_HTTP_ALLOW_REMOTE: 'true' } });
    expect(r.ok && r.warnings[0]).toMatch(/every request still needs the token/);
    expect(errorsOf(loadConfig({ env: { DEPTHDESK_MULTICAST_GROUPING: 'single' } }))[0]).toMatch(/^multicast\.grouping: "single" needs processes\.feeds = 1/);
    expect(loadConfig({ env: { DEPTHDESK_MULTICAST_GROUPING: 'single', DEPTHDESK_FEEDS: '1' } }).ok).toBe(true);
    expect(errorsOf(loadConfig({ env: { DEPTHDESK_HTTP_TOKEN: 'short' } }))[0]).toMatch(/^http\.token: must be empty \(random per start\) or at least 16 characters/);
    expect(errorsOf(loadConfig({ env: { DEPTHDESK_RECORDER_VENUES: 'binance-spot,binanse' } }))[0]).toMatch(/^recorder\.venues: must be "all" or venue ids separated by commas \(unknown: "binanse"; known: binance-spot,/);
  });

  it('shards whole venues over the feed processes, balancing books', () => {
    const v = (venue: VenueConfig['venue'], n: number): VenueConfig => ({ venue, symbols: Array.from({ length: n }, (_, i) => `S${i}`) });
    const venues = [v('binance-spot', 10), v('binance-usdm', 10), v('okx', 8), v('kraken', 6), v('coinbase', 6)];
    const shards = shardVenues(venues, 2);
    expect(shards.map((s) => s.map((x) => x.venue))).toEqual([
      ['binance-spot', 'okx'],
      ['binance-usdm', 'kraken', 'coinbase'],
    ]);
    expect(shardVenues(venues, 8)).toHaveLength(5);
    expect(shardVenues(venues, 1)).toEqual([venues]);
    // Every venue lands in exactly one shard.
    expect(shardVenues(venues, 3).flat().map((x) => x.venue).sort()).toEqual(venues.map((x) => x.venue).sort());
  });

  it('docs/CONFIG.md documents every setting and variable', () => {
    const doc = readFileSync(join(repoRoot, 'docs/CONFIG.md'), 'utf8');
    for (const s of SETTINGS) {
      expect(doc, s.env).toContain(`\`${s.env}\``);
      expect(doc, s.path).toContain(`\`${s.path}\``);
    }
    for (const name of [VENUES_ENV, CONFIG_FILE_ENV, 'DEPTHDESK_<EXCHANGE>_API_KEY', 'DEPTHDESK_<VENUE>_WS_URL']) expect(doc).toContain(name);
  });
});
