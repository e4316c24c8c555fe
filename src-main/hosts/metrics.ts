/**
 * `GET /metrics`: the merged engine status in the Prometheus text exposition format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format).
 * Counters end in `_total`, durations are in seconds, one-hot `state` gauges let alerting rules
 * say "any book not live for 1 minute" without knowing the state names in advance.
 */
import type { EngineStatus } from '../../src-shared/contracts/engineApi.ts';
import { SYNC_STATES } from '../../src-shared/model/market.ts';

type Labels = Record<string, string>;

/** Label values: backslash, double quote and line feed escaped (exposition format). */
function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

class Writer {
  private readonly out: string[] = [];
  private readonly declared = new Set<string>();

  metric(name: string, type: 'gauge' | 'counter', help: string, labels: Labels, value: number | null): void {
    if (!this.declared.has(name)) {
      this.declared.add(name);
      this.out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    }
    if (value === null || !Number.isFinite(value)) return;
    const l = Object.entries(labels)
      .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
      .join(',');
    this.out.push(`${name}${l ? `{${l}}` : ''} ${Number.isInteger(value) ? value : value.toPrecision(9)}`);
  }

  text(): string {
    return `${this.out.join('\n')}\n`;
  }
}

export function prometheusText(st: EngineStatus): string {
  const w = new Writer();
  w.metric('depthdesk_info', 'gauge', 'Build and mode of this Depthdesk host (always 1).', { build: st.build, mode: st.mode }, 1);
  w.metric('depthdesk_uptime_seconds', 'gauge', 'Seconds since the host started.', {}, (st.nowMs - st.startedMs) / 1000);

  for (const p of st.processes) {
    const l = { process: p.name, role: p.role };
    w.metric('depthdesk_process_up', 'gauge', '1 while the engine process is running and answering heartbeats.', l, p.state === 'running' ? 1 : 0);
    w.metric('depthdesk_process_crash_loop', 'gauge', '1 when the supervisor stopped restarting the process (crash loop).', l, p.state === 'crash-loop' ? 1 : 0);
    w.metric('depthdesk_process_restarts_total', 'counter', 'Restarts of the engine process since the host started.', l, p.restarts);
    w.metric('depthdesk_process_uptime_seconds', 'gauge', 'Seconds since the process last started.', l, p.uptimeMs / 1000);
  }

  for (const v of st.venues) {
    const l = { venue: v.venue };
    w.metric('depthdesk_venue_connections_open', 'gauge', 'Open WebSocket connections to the venue.', l, v.connectionsOpen);
    w.metric('depthdesk_venue_connections', 'gauge', 'Planned WebSocket connections to the venue.', l, v.connections);
    w.metric('depthdesk_venue_messages_per_second', 'gauge', 'Messages per second received from the venue.', l, v.messagesPerSec);
    w.metric('depthdesk_venue_bytes_per_second', 'gauge', 'Bytes per second received from the venue.', l, v.bytesPerSec);
    w.metric('depthdesk_venue_symbols', 'gauge', 'Books followed on the venue.', l, v.symbols);
    w.metric('depthdesk_venue_live_symbols', 'gauge', 'Books of the venue that are live.', l, v.liveSymbols);
    w.metric('depthdesk_venue_stale_symbols', 'gauge', 'Books of the venue that are stale.', l, v.staleSymbols);
    w.metric('depthdesk_venue_reconnects_total', 'counter', 'Reconnections to the venue.', l, v.reconnects);
    w.metric('depthdesk_venue_clock_offset_seconds', 'gauge', 'Median receive minus exchange time (clock offset estimate).', l, v.clockOffsetMs === null ? null : v.clockOffsetMs / 1000);
    if (v.rest) {
      w.metric('depthdesk_venue_rest_weight_used', 'gauge', 'REST weight used in the current window.', l, v.rest.used);
      w.metric('depthdesk_venue_rest_weight_limit', 'gauge', 'REST weight allowed per window.', l, v.rest.limit);
      w.metric('depthdesk_venue_rest_queued', 'gauge', 'Snapshot requests waiting for REST budget.', l, v.rest.queued);
      w.metric('depthdesk_venue_rest_blocked', 'gauge', '1 while the venue bans or throttles us (429/418).', l, v.rest.blockedUntilMs !== null && v.rest.blockedUntilMs > st.nowMs ? 1 : 0);
    }
  }

  for (const s of st.symbols) {
    const l = { venue: s.venue, symbol: s.symbol, process: s.process };
    for (const state of SYNC_STATES) w.metric('depthdesk_book_state', 'gauge', 'One-hot sync state of the book.', { ...l, state }, s.state === state ? 1 : 0);
    w.metric('depthdesk_book_live', 'gauge', '1 when the book is live and exact.', l, s.state === 'live' ? 1 : 0);
    w.metric('depthdesk_book_state_seconds', 'gauge', 'Seconds since the book entered its current state.', l, (st.nowMs - s.stateSinceMs) / 1000);
    w.metric('depthdesk_book_sequence_lag', 'gauge', 'Updates received but not yet applied.', l, s.sequenceLag);
    w.metric('depthdesk_book_update_age_seconds', 'gauge', 'Seconds since the last book message.', l, s.updateAgeMs === null ? null : s.updateAgeMs / 1000);
    w.metric('depthdesk_book_latency_p50_seconds', 'gauge', 'Median exchange-to-receive latency.', l, s.latencyP50Us === null ? null : s.latencyP50Us / 1e6);
    w.metric('depthdesk_book_latency_p99_seconds', 'gauge', '99th percentile exchange-to-receive latency.', l, s.latencyP99Us === null ? null : s.latencyP99Us / 1e6);
    w.metric('depthdesk_book_levels', 'gauge', 'Price levels held (both sides).', l, s.levels);
    const c = s.counters;
    w.metric('depthdesk_book_messages_total', 'counter', 'Book messages received.', l, c.messages);
    w.metric('depthdesk_book_applied_total', 'counter', 'Book messages applied.', l, c.applied);
    w.metric('depthdesk_book_gaps_total', 'counter', 'Sequence gaps detected.', l, c.gaps);
    w.metric('depthdesk_book_resyncs_total', 'counter', 'Resyncs started.', l, c.resyncs);
    w.metric('depthdesk_book_checksum_ok_total', 'counter', 'Venue checksums that matched the rebuilt book.', l, c.checksumOk);
    w.metric('depthdesk_book_checksum_failed_total', 'counter', 'Venue checksums that did not match.', l, c.checksumFailed);
    w.metric('depthdesk_book_crosscheck_failed_total', 'counter', 'Top-of-book cross-checks that failed.', l, c.crossCheckFailed);
    w.metric('depthdesk_book_crossed_total', 'counter', 'Crossed books detected.', l, c.crossed);
    w.metric('depthdesk_book_trades_total', 'counter', 'Trades received.', l, c.trades);
  }

  const pub = st.publisher;
  if (pub) {
    w.metric('depthdesk_publisher_enabled', 'gauge', '1 when the multicast publisher runs.', {}, pub.enabled ? 1 : 0);
    w.metric('depthdesk_publisher_packets_per_second', 'gauge', 'Multicast packets sent per second.', {}, pub.packetsPerSec);
    w.metric('depthdesk_publisher_bytes_per_second', 'gauge', 'Multicast bytes sent per second.', {}, pub.bytesPerSec);
    w.metric('depthdesk_publisher_instruments', 'gauge', 'Instruments currently published.', {}, pub.instruments);
  }
  return w.text();
}
