/**
 * Last-resort handlers for engine process entries. An exception that escapes is a bug: the
 * process says why on its port (the supervisor shows it as the crash reason), logs it with its
 * identity, and exits 70 so that it is restarted.
 */
import type { Peer } from '../../src-shared/contracts/rpc.ts';

export function installCrashHandlers(getPeer: () => Peer | null, name: string): void {
  const die = (kind: string, e: unknown) => {
    const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    process.stderr.write(`${JSON.stringify({ ts: new Date().toISOString(), level: 'error', process: name, msg: `${kind}: ${msg}`, stack: e instanceof Error ? e.stack : undefined })}\n`);
    // Set before closing: closing the port runs the entry's clean-exit path, which exits with this code.
    process.exitCode = 70;
    try {
      getPeer()?.close(`${kind}: ${msg}`);
    } finally {
      // Give the IPC channel a moment to carry the reason out; exit regardless.
      setTimeout(() => process.exit(70), 200).unref();
    }
  };
  process.on('uncaughtException', (e) => die('uncaught exception', e));
  process.on('unhandledRejection', (e) => die('unhandled rejection', e));
}
