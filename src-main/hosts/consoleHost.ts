/**
 * Assembles the headless console: configuration -> (replay servers) -> feed processes under the
 * supervisor -> HTTP/WebSocket host. `depthdesk serve` and `depthdesk start` (when Electron is
 * not available) run this; tests run it in-process with the real entries as child processes.
 */
import type { ConfigView } from '../../src-shared/contracts/engineApi.ts';
import type { VenueId } from '../../src-shared/model/market.ts';
import { VENUES } from '../engine/venues/registry.ts';
import { selectReplayVenues, selectVenues } from './venueSelection.ts';
import { startReplay } from '../engine/replay/replayPlan.ts';
import type { ReplayPlan } from '../engine/replay/replayPlan.ts';
import { Logger, registerSecret } from '../engine/services/logger.ts';
import { buildId } from './buildInfo.ts';
import { dataPaths, effectiveConfig, redactConfig, resolveDataDir, secretValues } from './config.ts';
import { DiagnosticsService, MetricsHistory, supervisorEngine } from './diagnosticsHost.ts';
import { removeRunFile, runFilePath, writeRunFile } from './runFile.ts';
import { planProcesses } from './processPlan.ts';
import type { DepthdeskConfig, VenueConfig } from './config.ts';
import { ensureRenderer } from './consoleAssets.ts';
import { forkLauncher } from './forkLauncher.ts';
import type { ForkLauncherOptions } from './forkLauncher.ts';
import { HeadlessHost, newToken } from './headlessHost.ts';
import type { DiagnosticsRoute } from './headlessHost.ts';
import { Supervisor } from './supervisor.ts';
import type { SupervisorPolicy } from './supervisor.ts';

export interface ConsoleOptions {
  config: DepthdeskConfig;
  configSource: string;
  /** Recordings to replay instead of connecting to the venues. */
  replay?: { files: string[]; speed: number; venue?: VenueId };
  /** Publish over multicast (default: on in replay mode, as configured otherwise). */
  multicast?: boolean;
  /** Build the renderer if it is missing (a checkout). */
  buildRenderer?: boolean;
  /** Extra supervisor policy (tests). */
  policy?: Partial<SupervisorPolicy>;
  launcher?: ForkLauncherOptions;
  diagnostics?: DiagnosticsRoute;
  /** One line of progress for the operator (stdout in the CLI). */
  say?: (line: string) => void;
}

export interface RunningConsole {
  url: string;
  token: string;
  host: HeadlessHost;
  supervisor: Supervisor;
  replay: ReplayPlan | null;
  venues: VenueConfig[];
  log: Logger;
  stop(): Promise<void>;
}

export class ConsoleStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConsoleStartError';
  }
}

export async function startConsole(opts: ConsoleOptions): Promise<RunningConsole> {
  const say = opts.say ?? (() => {});
  const cfg = effectiveConfig(opts.config);
  const dataDir = resolveDataDir(cfg);
  const build = buildId();
  const paths = dataPaths(cfg);
  const log = new Logger({ dir: paths.logs, process: 'host', level: cfg.logs.level, maxFileBytes: cfg.logs.maxFileMiB * 2 ** 20, maxFiles: cfg.logs.maxFiles, echo: false });
  for (const c of Object.values(cfg.credentials)) for (const v of Object.values(c ?? {})) registerSecret(v);
  const token = cfg.http.token || newToken();
  registerSecret(token);
  for (const v of secretValues(process.env, cfg)) registerSecret(v);
  const startedMs = Date.now();

  let replay: ReplayPlan | null = null;
  let venues: VenueConfig[];
  if (opts.replay) {
    const r = await startReplay({ files: opts.replay.files, speed: opts.replay.speed, ...(opts.replay.venue ? { venue: opts.replay.venue } : {}) });
    if (!r.ok) throw new ConsoleStartError(`--replay: ${r.error}`);
    replay = r.plan;
    // Venues the configuration follows with "all" are listed through their replay server's instrument route.
    const sel = await selectReplayVenues(cfg.venues, r.plan.venues);
    venues = sel.venues.map((v) => ({ venue: v.venue, symbols: v.symbols, ...(v.wsUrl ? { wsUrl: v.wsUrl } : {}), ...(v.restUrl ? { restUrl: v.restUrl } : {}), ...(v.increments ? { increments: v.increments } : {}) }));
    say(`replaying ${opts.replay.files.length} recording(s) at ${opts.replay.speed === 0 ? 'full speed' : `${opts.replay.speed}x`}: ${venues.map((v) => `${v.venue} (${(v.symbols as string[]).length})`).join(', ')}`);
    for (const line of sel.listed) say(line);
    for (const why of sel.skipped) say(`note: ${why}`);
  } else {
    const sel = await selectVenues(cfg.venues, cfg.limited ? cfg.limitedMode.symbolsPerVenue : undefined);
    for (const why of sel.skipped) say(`skipping ${why}`);
    if (sel.venues.length === 0) throw new ConsoleStartError('venues: none of the configured venues can run in this build');
    venues = sel.venues;
  }
  try {
    const plan = planProcesses(cfg, venues, dataDir, opts.multicast ?? (opts.replay ? true : cfg.multicast.enabled));
    const processes = plan.processes;
    const multicast = plan.multicast;
    // Diagnostics: a ring of status samples and the exporter (diagnosticsHost.ts), bound to the supervisor below.
    let diagnostics: DiagnosticsService | null = null;
    const supervisor = new Supervisor({
      launcher: forkLauncher({
        ...opts.launcher,
        onOutput: (name, stream, line) => {
          opts.launcher?.onOutput?.(name, stream, line);
          log.log(stream === 'stderr' ? 'warn' : 'info', line, { process: name });
        },
      }),
      processes,
      build,
      mode: opts.replay ? 'replay' : 'live',
      policy: { ...plan.policy, ...opts.policy },
      config: (): ConfigView => ({ config: redactConfig({ ...opts.config, venues }), source: opts.configSource }),
      describeSymbol: (venue, symbol) => {
        const i = VENUES.get(venue)?.instrument(symbol);
        return i ? { venueSymbol: i.venueSymbol, normalized: i.symbol, base: i.base, quote: i.quote, kind: i.kind } : { venueSymbol: symbol, normalized: symbol, base: '', quote: '', kind: '' };
      },
      log: (e) => log.log(e.level, e.msg, e.process ? { process: e.process } : {}),
      diagnostics: (p) => diagnostics!.export(p),
    });
    const history = new MetricsHistory(() => supervisor.cachedStatus());
    const engineView = supervisorEngine(supervisor);
    diagnostics = new DiagnosticsService({
      engine: engineView,
      config: () => ({ config: redactConfig({ ...opts.config, venues }), source: opts.configSource }),
      build,
      startedMs,
      paths,
      history,
      maxBytes: cfg.diagnostics.maxMiB * 2 ** 20,
      onProgress: (p) => supervisor.announce(p),
      downloadBase: '/api/diagnostics',
    });
    supervisor.subscribe({
      emit: (topic, data) => {
        if (topic === 'process.event') {
          const e = data as { name: string; kind: string; detail: string };
          if (e.kind !== 'started' || opts.replay === undefined) say(`${e.name} ${e.kind}: ${e.detail}`);
        }
        // The supervisor's own resyncs (a feed process went away); the feed processes log theirs.
        if (topic === 'feed.resync') {
          const r = data as { venue: string; symbol: string; cause: string; outcome: string; durationMs: number | null; incident?: { path: string } };
          if (r.cause === 'process-restart') log.log(r.outcome === 'pending' ? 'warn' : 'info', `resync ${r.outcome}`, { venue: r.venue, symbol: r.symbol, cause: r.cause, durationMs: r.durationMs, ...(r.incident ? { incident: r.incident.path } : {}) });
        }
      },
    });
    say(`starting ${processes.length} feed process(es): ${processes.map((p) => `${p.name} [${p.venues.map((v) => v.venue).join(', ')}]`).join(', ')}${multicast ? `; multicast ${multicast.group}:${multicast.port} on ${multicast.interface}` : ''}`);
    await supervisor.start();
    history.start();
    const renderer = ensureRenderer({ build: opts.buildRenderer ?? false, say });
    if (!renderer.ok) say(renderer.hint);
    const host = new HeadlessHost({
      supervisor,
      host: cfg.http.host,
      port: cfg.http.port,
      token,
      rendererDir: renderer.ok ? renderer.dir : null,
      ...(renderer.ok ? {} : { notBuiltHint: renderer.hint }),
      build,
      diagnostics: opts.diagnostics ?? diagnostics.route,
      log: (level, msg) => log.log(level, msg),
    });
    let url: string;
    try {
      url = await host.start();
    } catch (e) {
      history.stop();
      engineView.close();
      await supervisor.stop();
      const code = (e as NodeJS.ErrnoException).code;
      throw new ConsoleStartError(code === 'EADDRINUSE' ? `http.port: ${cfg.http.host}:${cfg.http.port} is in use (another Depthdesk?); pick another with --port or DEPTHDESK_HTTP_PORT` : `http: cannot listen on ${cfg.http.host}:${cfg.http.port}: ${(e as Error).message}`);
    }
    log.info('console up', { build, mode: opts.replay ? 'replay' : 'live', venues: venues.map((v) => v.venue), processes: processes.length });
    // How local tools (export-diagnostics) find this host; holds the token, so 0600 (runFile.ts).
    const runFile = runFilePath(paths.run);
    const runError = writeRunFile(runFile, { url, pid: process.pid, build, startedMs, dataDir });
    if (runError !== null) {
      log.warn(runError);
      say(`warning: ${runError} (export-diagnostics needs --url then)`);
    }
    return {
      url,
      token,
      host,
      supervisor,
      replay,
      venues,
      log,
      async stop() {
        removeRunFile(runFile);
        history.stop();
        engineView.close();
        await host.stop();
        await supervisor.stop();
        await replay?.close();
      },
    };
  } catch (e) {
    await replay?.close();
    throw e;
  }
}
