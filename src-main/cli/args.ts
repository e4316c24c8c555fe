/**
 * Small, strict argument parser for the CLI: unknown flags are errors that name the flag, values
 * are validated by the command. No dependency: the CLI must start fast and say exactly what is wrong.
 */
export interface ParsedArgs {
  positional: string[];
  flags: Map<string, string | true>;
}

export class UsageError extends Error {}

export interface FlagSpec {
  /** Flag takes a value (`--speed 10` or `--speed=10`). */
  value: boolean;
  /** May be given several times (values collected in order, comma-joined). */
  repeat?: boolean;
}

export function parseArgs(argv: string[], spec: Record<string, FlagSpec>): ParsedArgs {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq >= 0 ? eq : undefined);
    const s = spec[name];
    if (s === undefined) throw new UsageError(`unknown option --${name} (known: ${Object.keys(spec).map((k) => `--${k}`).join(', ') || 'none'})`);
    let v: string | true = true;
    if (s.value) {
      if (eq >= 0) v = a.slice(eq + 1);
      else {
        const next = argv[i + 1];
        if (next === undefined || next.startsWith('--')) throw new UsageError(`--${name} needs a value`);
        v = next;
        i++;
      }
    } else if (eq >= 0) throw new UsageError(`--${name} takes no value`);
    const prev = flags.get(name);
    if (prev !== undefined && s.repeat && typeof prev === 'string' && typeof v === 'string') flags.set(name, `${prev},${v}`);
    else flags.set(name, v);
  }
  return { positional, flags };
}

export function flagString(p: ParsedArgs, name: string): string | undefined {
  const v = p.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}

export function flagNumber(p: ParsedArgs, name: string, min: number, max: number): number | undefined {
  const v = flagString(p, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`--${name} must be a number from ${min} to ${max} (got "${v}")`);
  return n;
}
