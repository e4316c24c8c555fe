/**
 * The `depthdesk` command line: one dispatcher, one module per command. Expected failures
 * (bad usage, bad config, unreadable input) print one clear line and exit 2; exit 1 means the
 * command ran and found a problem (e.g. verify failed).
 */
import { UsageError } from './args.ts';
import { verifyCommand, VERIFY_USAGE } from './verifyCommand.ts';
import { listenCommand, LISTEN_USAGE } from './listen.ts';
import { serveCommand, SERVE_USAGE } from './serveCommand.ts';
import { startCommand, START_USAGE } from './startCommand.ts';
import { exportDiagnosticsCommand, EXPORT_DIAGNOSTICS_USAGE } from './exportDiagnosticsCommand.ts';

interface Command {
  summary: string;
  /** Printed for `depthdesk <command> --help`. */
  usage?: string;
  run(argv: string[]): Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  verify: { summary: 'check recordings through the real venue adapters and books', usage: VERIFY_USAGE, run: verifyCommand },
  listen: { summary: 'join an OBMC multicast channel and show every book on it live (udp monitor)', usage: LISTEN_USAGE, run: (argv) => listenCommand(argv) },
  serve: { summary: 'run the console headless: feed processes, console page, HTTP API (prints its URL)', usage: SERVE_USAGE, run: serveCommand },
  start: { summary: 'open the Electron console, or the headless one where Electron cannot run', usage: START_USAGE, run: startCommand },
  'export-diagnostics': { summary: 'save a diagnostics bundle (zip) from the running console', usage: EXPORT_DIAGNOSTICS_USAGE, run: (argv) => exportDiagnosticsCommand(argv) },
};

export const USAGE = () => `usage: depthdesk <command> [options]

commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(20)} ${c.summary}`)
  .join('\n')}

Run "depthdesk <command> --help" for a command's options.`;

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${USAGE()}\n`);
    return name === undefined ? 2 : 0;
  }
  const cmd = COMMANDS[name];
  if (cmd === undefined) {
    process.stderr.write(`depthdesk: unknown command "${name}"\n${USAGE()}\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${cmd.usage ?? cmd.summary}\n`);
    return 0;
  }
  try {
    return await cmd.run(rest);
  } catch (e) {
    if (e instanceof UsageError || (e as Error).name === 'RegistryError' || (e as Error).name === 'ConfigError' || (e as Error).name === 'ConsoleStartError' || (e as Error).name === 'ExportError') {
      process.stderr.write(`depthdesk ${name}: ${(e as Error).message}\n`);
      return 2;
    }
    throw e;
  }
}
