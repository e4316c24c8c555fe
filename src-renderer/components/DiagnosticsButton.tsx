/**
 * Diagnostics export entry point. The bundle is built by the engine; if this engine build has no
 * exporter the button says "not available in this build" rather than pretending it worked.
 */
import type { ReactNode } from 'react';
import { useConsole, useSession } from '../ConsoleContext.tsx';
import { formatBytes, formatDuration } from '../lib/format.ts';
import { useTicker } from './ConnectionStatus.tsx';

export function DiagnosticsButton() {
  const session = useSession();
  const d = useConsole('connection', (s) => s.diagnostics);
  const connected = useConsole('connection', (s) => s.status.phase === 'open');
  const now = useTicker(d.phase === 'running');
  let line: ReactNode = null;
  if (d.phase === 'running')
    line = (
      <span className="text-info">
        exporting… {formatDuration(Math.max(0, now - d.startedAtMs))}
        {d.progress ? ` ${d.progress.done}/${d.progress.total} ${d.progress.step} (${formatBytes(d.progress.bytes)})` : ''}
      </span>
    );
  else if (d.phase === 'done')
    line = (
      <span className="text-ok" title={`parts: ${d.result.parts.join(', ')}${d.result.omitted.length ? `\nomitted: ${d.result.omitted.join(', ')}` : ''}`}>
        saved {d.result.path} ({formatBytes(d.result.bytes)}, {d.result.parts.length} part(s){d.result.omitted.length ? `, ${d.result.omitted.length} omitted` : ''})
        {d.result.download ? (
          <>
            {' '}
            <a href={d.result.download} download data-testid="diagnostics-download">
              download
            </a>
          </>
        ) : null}
      </span>
    );
  else if (d.phase === 'not-available') line = <span className="text-warn" title={d.message}>Diagnostics export is not available in this build of the engine.</span>;
  else if (d.phase === 'error') line = <span className="text-bad">export failed: {d.message}</span>;
  return (
    <span className="diag" data-testid="diagnostics">
      <button type="button" className="btn btn-small" disabled={!connected || d.phase === 'running'} onClick={() => void session.exportDiagnostics()} data-testid="diagnostics-export">
        Export diagnostics
      </button>
      <span data-testid="diagnostics-result">{line}</span>
    </span>
  );
}
