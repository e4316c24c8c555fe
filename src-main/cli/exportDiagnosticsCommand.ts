/**
 * `depthdesk export-diagnostics --out <file.zip> [--url <console URL>] [--config FILE]`: ask a
 * running Depthdesk for a diagnostics bundle and save it.
 *
 * The running host is found through `<dataDir>/run/serve.json` (written by `serve`, readable by
 * its user only; the data folder comes from the configuration, as for `serve`), or given as the
 * console URL with its token (`--url`, e.g. for a host on another machine). The export runs over
 * the console's own bridge (`diagnostics.export`), so its progress events arrive as the console
 * sees them; the finished bundle is then downloaded from the host (`GET /api/diagnostics/<name>`)
 * and its summary printed: how many parts, and each part that was left out and why.
 */
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { get } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { WebSocket } from 'ws';
import type { DiagnosticsProgress, DiagnosticsResult } from '../../src-shared/contracts/engineApi.ts';
import { PROTOCOL_VERSION } from '../../src-shared/contracts/engineApi.ts';
import { BRIDGE_WS_PATH, TOKEN_PARAM } from '../../src-shared/contracts/bridgeUrl.ts';
import { Peer } from '../../src-shared/contracts/rpc.ts';
import { jsonTextPort } from '../../src-shared/contracts/transports.ts';
import { buildId } from '../hosts/buildInfo.ts';
import { dataPaths, loadConfigOrThrow } from '../hosts/config.ts';
import { readRunFile, runFilePath } from '../hosts/runFile.ts';
import { flagString, parseArgs, UsageError } from './args.ts';

export const EXPORT_DIAGNOSTICS_USAGE = `usage: depthdesk export-diagnostics --out <file.zip> [--url <console URL>] [--config FILE]
  Asks the running Depthdesk for a diagnostics bundle (manifest, configuration with secrets
  redacted, logs, metrics history, state tables, events, incident captures, top-N books) and
  saves it to --out, showing progress and what was left out to keep the bundle bounded.
  --out FILE     where to save the zip
  --url URL      the console URL with its token (as "depthdesk serve" printed it); default: the
                 host found in <dataDir>/run/serve.json of this configuration
  --config FILE  configuration whose data folder to look in (default: DEPTHDESK_CONFIG or the defaults)`;

/** A failure to reach or use the running host: one clear line, exit 2. */
export class ExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExportError';
  }
}

interface Target {
  base: string;
  token: string;
  from: string;
}

function targetOf(urlText: string, from: string): Target {
  let u: URL;
  try {
    u = new URL(urlText);
  } catch {
    throw new UsageError(`--url: not a URL: ${urlText}`);
  }
  const token = u.searchParams.get(TOKEN_PARAM);
  if (token === null || token === '') throw new UsageError(`--url must carry the access token (?${TOKEN_PARAM}=...), as "depthdesk serve" printed it`);
  if (u.protocol !== 'http:') throw new UsageError(`--url: the headless host speaks http:// (got ${u.protocol})`);
  return { base: `${u.protocol}//${u.host}`, token, from };
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 2 ** 20) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 2 ** 20).toFixed(1)} MiB`;
}

/** Run the export over the bridge; progress lines go to `say`. */
async function exportOverBridge(t: Target, say: (l: string) => void): Promise<DiagnosticsResult> {
  const wsUrl = `${t.base.replace(/^http/, 'ws')}${BRIDGE_WS_PATH}?${TOKEN_PARAM}=${encodeURIComponent(t.token)}`;
  const ws = new WebSocket(wsUrl, { handshakeTimeout: 10_000 });
  // Wired before the socket opens: the host greets at once, possibly in the same read as the
  // upgrade answer, and our own hello waits for the socket.
  const pending: string[] = [];
  const ends = jsonTextPort(
    (text) => {
      if (ws.readyState === ws.OPEN) ws.send(text);
      else if (ws.readyState === ws.CONNECTING) pending.push(text);
    },
    (reason) => ws.close(1000, reason.slice(0, 120)),
  );
  ws.on('message', (data) => ends.deliverText(data.toString()));
  ws.on('close', (code) => ends.end(`bridge closed (${code})`));
  const peer = new Peer(ends.port, { hello: { protocolVersion: PROTOCOL_VERSION, build: buildId(), role: 'cli', name: 'export-diagnostics', pid: process.pid }, timeoutMs: 600_000 });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => {
      for (const text of pending.splice(0)) ws.send(text);
      resolve();
    });
    ws.once('error', (e) => reject(new ExportError(`cannot reach the Depthdesk host at ${t.base} (${t.from}): ${e.message}`)));
    ws.once('unexpected-response', (_req, res: IncomingMessage) => reject(new ExportError(`the Depthdesk host at ${t.base} refused the connection: HTTP ${res.statusCode}${res.statusCode === 401 ? ' (wrong or old access token: the token changes at every start)' : ''}`)));
  }).catch((e: unknown) => {
    peer.close('not connected');
    throw e;
  });
  let mine: string | null = null;
  let lastStep = '';
  peer.on('diagnostics.progress', (p: DiagnosticsProgress) => {
    // Progress of another export (someone pressed the console's button) is not ours to show.
    if (mine === null && p.phase === 'running' && p.done === 0) mine = p.id;
    if (p.id !== mine || p.phase !== 'running' || p.step === lastStep) return;
    lastStep = p.step;
    say(`  [${p.done}/${p.total}] ${p.step} (${formatBytes(p.bytes)} so far)`);
  });
  let helloTimer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      peer.ready(),
      new Promise<never>((_, reject) => {
        helloTimer = setTimeout(() => reject(new Error('no hello from the host within 10 s')), 10_000);
      }),
    ]);
    clearTimeout(helloTimer);
    return await peer.call('diagnostics.export', {});
  } catch (e) {
    throw new ExportError(`the export failed on the host: ${(e as Error).message}`);
  } finally {
    clearTimeout(helloTimer);
    peer.close('done');
    ws.close(1000, 'done');
  }
}

async function download(t: Target, path: string, out: string, say: (l: string) => void): Promise<number> {
  const tmp = `${out}.part`;
  const bytes = await new Promise<number>((resolve, reject) => {
    get(`${t.base}${path}`, { headers: { authorization: `Bearer ${t.token}` } }, (res) => {
      if (res.statusCode !== 200) {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => reject(new ExportError(`downloading ${path} failed: HTTP ${res.statusCode} ${Buffer.concat(chunks).toString('utf8').slice(0, 300)}`)));
        return;
      }
      const total = Number(res.headers['content-length'] ?? 0);
      let n = 0;
      let shown = 0;
      const file = createWriteStream(tmp);
      res.on('data', (c: Buffer) => {
        n += c.length;
        if (total > 0 && n - shown > total / 4) {
          shown = n;
          say(`  downloading ${formatBytes(n)} of ${formatBytes(total)}`);
        }
      });
      res.pipe(file);
      file.on('finish', () => resolve(n));
      file.on('error', (e) => reject(new ExportError(`cannot write ${out}: ${e.message}`)));
      res.on('error', reject);
    }).on('error', (e) => reject(new ExportError(`cannot reach the Depthdesk host at ${t.base}: ${e.message}`)));
  }).catch(async (e: unknown) => {
    await rm(tmp, { force: true });
    throw e;
  });
  await rename(tmp, out);
  return bytes;
}

export async function exportDiagnosticsCommand(argv: string[], say: (l: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<number> {
  const args = parseArgs(argv, { out: { value: true }, url: { value: true }, config: { value: true } });
  if (args.positional.length > 0) throw new UsageError(`unexpected argument "${args.positional[0]}"\n${EXPORT_DIAGNOSTICS_USAGE}`);
  const out = flagString(args, 'out');
  if (out === undefined) throw new UsageError(`--out <file.zip> is required\n${EXPORT_DIAGNOSTICS_USAGE}`);
  const url = flagString(args, 'url');
  let target: Target;
  if (url !== undefined) target = targetOf(url, '--url');
  else {
    const file = flagString(args, 'config');
    const { config } = loadConfigOrThrow(file !== undefined ? { file } : {});
    const path = runFilePath(dataPaths(config).run);
    const r = readRunFile(path);
    if (!r.ok) throw new ExportError(`${r.why}; start "depthdesk serve", or pass --url with the console URL it printed`);
    target = targetOf(r.info.url, path);
  }
  say(`exporting diagnostics from ${target.base} ...`);
  const result = await exportOverBridge(target, say);
  if (result.download === undefined) throw new ExportError(`the host wrote ${result.path} but serves no download for it`);
  const bytes = await download(target, result.download, out, say);
  say(`saved ${out} (${formatBytes(bytes)}): ${result.parts.length} part(s); also kept on the host as ${result.path}`);
  if (result.omitted.length === 0) say('nothing was left out');
  else {
    say(`left out (${result.omitted.length}), see SUMMARY.txt in the bundle:`);
    for (const o of result.omitted) say(`  ${o}`);
  }
  return 0;
}
