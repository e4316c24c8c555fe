/**
 * One tile per venue: is it connected, how busy, how late, how healthy are its books. Every
 * figure is labelled; the tile's verdict is a word as well as a colour.
 */
import { memo } from 'react';
import type { PublisherView, VenueStatus } from '../../src-shared/contracts/engineApi.ts';
import { useConsole, useSession } from '../ConsoleContext.tsx';
import { formatBytesRate, formatCount, formatDuration, formatLatencyUs, formatRate } from '../lib/format.ts';
import type { Tone } from '../lib/format.ts';
import { Pill } from './StateBadge.tsx';

export interface VenueVerdict {
  tone: Tone;
  text: string;
}

/** The tile's one-word verdict and why. */
export function venueVerdict(v: VenueStatus, nowMs: number | null): VenueVerdict {
  if (v.connections > 0 && v.connectionsOpen === 0) return { tone: 'bad', text: 'down' };
  if (v.rest?.blockedUntilMs != null && nowMs !== null && v.rest.blockedUntilMs > nowMs) return { tone: 'bad', text: 'rate-limited' };
  if (v.connectionsOpen < v.connections) return { tone: 'warn', text: `${v.connections - v.connectionsOpen} conn. down` };
  const notLive = v.symbols - v.liveSymbols;
  if (v.staleSymbols > 0) return { tone: 'warn', text: `${v.staleSymbols} stale` };
  if (notLive > 0) return { tone: 'warn', text: `${notLive} not live` };
  if (v.symbols === 0) return { tone: 'muted', text: 'no symbols' };
  return { tone: 'ok', text: 'all live' };
}

function Stat(props: { label: string; value: string; tone?: Tone; title?: string }) {
  return (
    <div className="stat" title={props.title}>
      <span className="stat-label">{props.label}</span>
      <span className={`stat-value num${props.tone ? ` text-${props.tone}` : ''}`}>{props.value}</span>
    </div>
  );
}

const VenueTile = memo(function VenueTile(props: { v: VenueStatus; nowMs: number | null }) {
  const { v, nowMs } = props;
  const session = useSession();
  const verdict = venueVerdict(v, nowMs);
  const rest = v.rest;
  const blocked = rest?.blockedUntilMs != null && nowMs !== null && rest.blockedUntilMs > nowMs;
  const askResync = () =>
    session.stores.ui.setState({
      confirm: {
        title: `Resync every book of ${v.label}?`,
        body: `${v.symbols} book(s) on ${v.venue} will be rebuilt from fresh snapshots. Snapshots go through the venue's REST budget${rest ? ` (${rest.used}/${rest.limit} used)` : ''}; books stay marked as not live until they are exact again.`,
        confirmLabel: `Resync ${v.symbols} book(s)`,
        scope: { scope: 'venue', venue: v.venue },
      },
    });
  return (
    <section className={`tile tone-border-${verdict.tone}`} data-testid={`venue-tile-${v.venue}`} aria-label={`venue ${v.label}`}>
      <header className="tile-head">
        <span className="tile-title" title={v.venue}>
          {v.label}
        </span>
        <span className="tile-actions">
          <Pill tone={verdict.tone} text={verdict.text} testId={`venue-verdict-${v.venue}`} />
          <button type="button" className="btn btn-tiny" onClick={askResync} disabled={v.symbols === 0} title={`resync every book of ${v.label} (asks first)`} data-testid={`venue-resync-${v.venue}`}>
            ↻ venue
          </button>
        </span>
      </header>
      <div className="tile-grid">
        <Stat label="conn" value={`${v.connectionsOpen}/${v.connections}`} tone={v.connectionsOpen < v.connections ? 'bad' : undefined} title="WebSocket connections open / planned" />
        <Stat label="books" value={`${v.liveSymbols}/${v.symbols} live`} tone={v.liveSymbols < v.symbols ? 'warn' : undefined} />
        <Stat label="msg/s" value={formatRate(v.messagesPerSec)} />
        <Stat label="in" value={formatBytesRate(v.bytesPerSec)} />
        <Stat label="p50" value={formatLatencyUs(v.latencyP50Us)} title="exchange-to-receive latency, median" />
        <Stat label="p99" value={formatLatencyUs(v.latencyP99Us)} title="exchange-to-receive latency, 99th percentile" />
        <Stat label="clock" value={v.clockOffsetMs === null ? '–' : formatDuration(v.clockOffsetMs)} title="median (receive − exchange) time: our clock's offset from the venue's plus network delay; negative = venue clock ahead" />
        <Stat label="stale" value={formatCount(v.staleSymbols)} tone={v.staleSymbols > 0 ? 'warn' : undefined} />
        <Stat label="reconn" value={formatCount(v.reconnects)} tone={v.reconnects > 0 ? 'warn' : undefined} />
        <Stat label="gaps" value={formatCount(v.gaps)} tone={v.gaps > 0 ? 'warn' : undefined} />
        <Stat label="resyncs" value={formatCount(v.resyncs)} tone={v.resyncs > 0 ? 'warn' : undefined} />
        <Stat
          label="cksum"
          value={v.checksumOk + v.checksumFailed === 0 ? 'n/p' : v.checksumFailed === 0 ? `${formatCount(v.checksumOk)} ok` : `${formatCount(v.checksumFailed)} BAD`}
          tone={v.checksumFailed > 0 ? 'bad' : undefined}
          title={v.checksumOk + v.checksumFailed === 0 ? 'no checksum verified: the venue sends none on this feed (not provided)' : `exchange checksums: ${formatCount(v.checksumOk)} verified, ${formatCount(v.checksumFailed)} failed`}
        />
        <Stat
          label="REST"
          value={rest ? `${rest.used}/${rest.limit}${rest.queued > 0 ? ` q${rest.queued}` : ''}${blocked ? ' BLOCKED' : ''}` : 'n/a'}
          tone={blocked ? 'bad' : rest && rest.used >= rest.limit * 0.8 ? 'warn' : undefined}
          title={rest ? `REST weight used ${rest.used} of ${rest.limit} per ${formatDuration(rest.windowMs)}, ${rest.queued} snapshot(s) queued${rest.lastStatus !== null ? `, last HTTP ${rest.lastStatus}` : ''}${blocked && nowMs !== null ? `, blocked for ${formatDuration(rest.blockedUntilMs! - nowMs)}` : ''}` : 'no REST budget reported for this venue'}
        />
      </div>
    </section>
  );
});

function PublisherTile(props: { p: PublisherView }) {
  const p = props.p;
  const inc = p.groups.filter((g) => g.kind === 'incremental').length;
  return (
    <section className={`tile tone-border-${p.enabled ? 'ok' : 'muted'}`} data-testid="publisher-tile" aria-label="multicast publisher">
      <header className="tile-head">
        <span className="tile-title">Multicast publisher</span>
        <Pill tone={p.enabled ? 'ok' : 'muted'} text={p.enabled ? 'publishing' : 'off'} />
      </header>
      <div className="tile-grid">
        <Stat label="groups" value={`${p.groups.length} (${inc} incr.)`} title={p.groups.map((g) => `${g.channel} ${g.kind} ${g.group}:${g.port}`).join('\n')} />
        <Stat label="instr." value={formatCount(p.instruments)} />
        <Stat label="pkt/s" value={formatRate(p.packetsPerSec)} />
        <Stat label="out" value={formatBytesRate(p.bytesPerSec)} />
      </div>
    </section>
  );
}

export function VenueTiles() {
  const venues = useConsole('market', (s) => s.venues);
  const publisher = useConsole('market', (s) => s.publisher);
  const nowMs = useConsole('market', (s) => s.engineNowMs);
  if (venues.length === 0 && !publisher) {
    return (
      <div className="tiles tiles-empty" data-testid="venue-tiles">
        No venue has reported yet.
      </div>
    );
  }
  return (
    <div className="tiles" data-testid="venue-tiles">
      {venues.map((v) => (
        <VenueTile key={v.venue} v={v} nowMs={nowMs} />
      ))}
      {publisher ? <PublisherTile p={publisher} /> : null}
    </div>
  );
}
