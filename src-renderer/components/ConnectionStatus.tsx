/** The bridge's phase in words: open (since, reconnects), reconnecting (attempt, next try, why), failed. */
import { useEffect, useState } from 'react';
import { useConsole } from '../ConsoleContext.tsx';
import { formatDuration } from '../lib/format.ts';
import { Pill } from './StateBadge.tsx';

/** Re-render every `ms` while `on` (countdowns). */
export function useTicker(on: boolean, ms = 500): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!on) return;
    setNow(Date.now());
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [on, ms]);
  return now;
}

export function ConnectionStatus() {
  const status = useConsole('connection', (s) => s.status);
  const transport = useConsole('connection', (s) => s.transport);
  const now = useTicker(status.phase === 'waiting');
  switch (status.phase) {
    case 'open':
      return (
        <Pill
          tone="ok"
          testId="connection-status"
          text={`connected${status.reconnects > 0 ? ` · ${status.reconnects} reconnect(s)` : ''}`}
          title={`${transport.display} · engine ${status.remote.name} build ${status.remote.build} (protocol ${status.remote.protocolVersion})`}
        />
      );
    case 'connecting':
      return <Pill tone={status.reconnecting ? 'warn' : 'info'} testId="connection-status" text={status.reconnecting ? `reconnecting (attempt ${status.attempt})…` : 'connecting…'} title={transport.display} />;
    case 'waiting':
      return (
        <Pill
          tone="warn"
          testId="connection-status"
          text={`disconnected: retrying in ${formatDuration(Math.max(0, status.retryAtMs - now))} (attempt ${status.attempt})`}
          title={`${transport.display}: ${status.reason}. Figures on screen are the last received and are not live.`}
        />
      );
    case 'failed':
      return <Pill tone="bad" testId="connection-status" text="not connected" title={status.reason} />;
    case 'closed':
      return <Pill tone="muted" testId="connection-status" text="closed" title={status.reason} />;
  }
}

/** A banner under the header while the figures are not live. */
export function ConnectionBanner() {
  const status = useConsole('connection', (s) => s.status);
  const problem = useConsole('connection', (s) => s.problem);
  if (status.phase === 'waiting' || (status.phase === 'connecting' && status.reconnecting)) {
    return (
      <div className="banner banner-warn" role="status" data-testid="connection-banner">
        Lost the engine{status.phase === 'waiting' ? ` (${status.reason})` : ''}. Reconnecting with backoff — figures below are frozen at the last update and are NOT live.
      </div>
    );
  }
  if (status.phase === 'failed') {
    return (
      <div className="banner banner-bad" role="alert" data-testid="connection-banner">
        Cannot talk to the engine: {status.reason}
      </div>
    );
  }
  if (problem && !problem.startsWith('Ladders:')) {
    return (
      <div className="banner banner-warn" role="status" data-testid="connection-banner">
        {problem}
      </div>
    );
  }
  return null;
}
