/**
 * Structured logs: one JSON object per line, with the process identity and the venue/symbol a
 * line is about, to rotating files per process (`<dir>/<process>.log`, `.1` ... `.N`).
 *
 * Nothing secret reaches a log line: fields whose name looks like a credential are replaced by
 * "[redacted]", and every registered secret value (API keys from the configuration or the
 * environment) is masked wherever it appears in a message or a field. A log directory that
 * cannot be written does not stop the engine: the logger falls back to stderr and says so once.
 */
import { appendFileSync, existsSync, mkdirSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LogFields {
  venue?: string;
  symbol?: string;
  [key: string]: unknown;
}

export interface LoggerConfig {
  /** Folder for log files; undefined = stderr only. */
  dir?: string;
  /** Process identity ("feed-0", "host", "supervisor"). */
  process: string;
  level?: LogLevel;
  maxFileBytes?: number;
  maxFiles?: number;
  /** Also echo warn/error lines to stderr (default true for interactive hosts). */
  echo?: boolean;
}

const SECRET_NAME = /(secret|api[-_]?key|apikey|passphrase|password|token|private[-_]?key|signature|authorization)/i;
const secrets = new Set<string>();

/** Register a secret value (e.g. an API key): it is masked in every log line and export. */
export function registerSecret(value: string | undefined): void {
  if (value !== undefined && value.length >= 4) secrets.add(value);
}

/** Registered secrets (for the diagnostics export's own scrub). */
export function registeredSecrets(): ReadonlySet<string> {
  return secrets;
}

/** Mask registered secret values inside a string. */
export function maskSecrets(s: string): string {
  let out = s;
  for (const v of secrets) if (out.includes(v)) out = out.split(v).join('[redacted]');
  return out;
}

/** Deep copy with credential-looking fields redacted and secret values masked. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8) return '[depth]';
  if (typeof value === 'string') return maskSecrets(value);
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value !== null && typeof value === 'object') {
    if (value instanceof Error) return { name: value.name, message: maskSecrets(value.message), stack: value.stack ? maskSecrets(value.stack) : undefined };
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = SECRET_NAME.test(k) && v !== undefined && v !== null && v !== '' ? '[redacted]' : redact(v, depth + 1);
    return out;
  }
  return value;
}

export class Logger {
  private readonly cfg: Required<Omit<LoggerConfig, 'dir'>> & { dir: string | undefined };
  private readonly base: LogFields;
  private file: string | undefined;
  private size = 0;
  private fileBroken = false;

  constructor(cfg: LoggerConfig, base: LogFields = {}) {
    this.cfg = { level: 'info', maxFileBytes: 16 * 2 ** 20, maxFiles: 5, echo: true, ...cfg, dir: cfg.dir };
    this.base = base;
    if (cfg.dir) {
      try {
        mkdirSync(cfg.dir, { recursive: true });
        this.file = join(cfg.dir, `${cfg.process}.log`);
        this.size = existsSync(this.file) ? statSync(this.file).size : 0;
      } catch (e) {
        this.fileBroken = true;
        process.stderr.write(`depthdesk ${cfg.process}: log directory ${cfg.dir} is not writable (${(e as Error).message}); logging to stderr\n`);
      }
    }
  }

  /** A logger that adds fields (venue, symbol...) to every line; shares the file. */
  child(fields: LogFields): Logger {
    const c = Object.create(Logger.prototype) as Logger;
    Object.assign(c, this, { base: { ...this.base, ...fields } });
    return c;
  }

  get path(): string | undefined {
    return this.file;
  }

  debug(msg: string, fields?: LogFields): void {
    this.log('debug', msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.log('info', msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.log('warn', msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.log('error', msg, fields);
  }

  log(level: LogLevel, msg: string, fields?: LogFields): void {
    if (ORDER[level] < ORDER[this.cfg.level]) return;
    const rec = redact({ ts: new Date().toISOString(), level, proc: this.cfg.process, pid: process.pid, msg, ...this.base, ...fields }) as Record<string, unknown>;
    const line = `${JSON.stringify(rec)}\n`;
    if (this.file !== undefined && !this.fileBroken) {
      try {
        if (this.size + line.length > this.cfg.maxFileBytes) this.rotate();
        appendFileSync(this.file, line);
        this.size += line.length;
      } catch (e) {
        this.fileBroken = true;
        process.stderr.write(`depthdesk ${this.cfg.process}: cannot write ${this.file} (${(e as Error).message}); logging to stderr\n`);
      }
    }
    if (this.file === undefined || this.fileBroken || (this.cfg.echo && ORDER[level] >= ORDER.warn)) {
      const where = [rec['venue'], rec['symbol']].filter(Boolean).join(' ');
      process.stderr.write(`${rec['ts']} ${level.toUpperCase()} [${this.cfg.process}]${where ? ` ${where}` : ''} ${rec['msg']}\n`);
    }
  }

  private rotate(): void {
    const f = this.file!;
    const last = `${f}.${this.cfg.maxFiles}`;
    if (existsSync(last)) unlinkSync(last);
    for (let i = this.cfg.maxFiles - 1; i >= 1; i--) if (existsSync(`${f}.${i}`)) renameSync(`${f}.${i}`, `${f}.${i + 1}`);
    if (existsSync(f)) renameSync(f, `${f}.1`);
    this.size = 0;
  }
}
