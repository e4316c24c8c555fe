/**
 * Charts over the sampled history: messages/s per venue, latency p50 (solid) and p99 (dashed)
 * per venue, resyncs started per second per venue, and mid/spread of the inspected (selected)
 * symbol. The range buttons pick the last 1/5/15/60 minutes or everything; dragging on a chart
 * zooms into a span, double-click resets.
 *
 * The charts redraw at most once per CHART_REDRAW_MS of page time (at the newest samples): a
 * replay at full speed brings a sample with every stats frame, and redrawing four plots for each
 * took main-thread time from the table and the ladders for a picture no one reads at 2 Hz.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import type uPlot from 'uplot';
import { useConsole, useSession } from '../ConsoleContext.tsx';
import { CHART_RANGES } from '../stores/uiStore.ts';
import type { ChartRange } from '../stores/uiStore.ts';
import { refOfKey } from '../stores/keys.ts';
import { colourAt, UPlotChart } from './UPlotChart.tsx';
import type { SeriesSpec } from './UPlotChart.tsx';

const RANGE_S: Record<ChartRange, number | null> = { '1m': 60, '5m': 300, '15m': 900, '1h': 3600, all: null };

export const CHART_REDRAW_MS = 1_000;

/** `value`, followed at most once per `ms` (the newest value, after at most `ms`). */
export function useThrottled<T>(value: T, ms: number): T {
  const [shown, setShown] = useState(value);
  const last = useRef(Number.NEGATIVE_INFINITY);
  useEffect(() => {
    if (Object.is(value, shown)) return;
    const show = () => {
      last.current = performance.now();
      setShown(value);
    };
    const wait = last.current + ms - performance.now();
    if (wait <= 0) {
      show();
      return;
    }
    const t = setTimeout(show, wait);
    return () => clearTimeout(t);
  }, [value, shown, ms]);
  return shown;
}

export function ChartsPanel() {
  const session = useSession();
  const ui = session.stores.ui;
  const range = useConsole('ui', (s) => s.chartRange);
  const selected = useConsole('ui', (s) => s.selected);
  const version = useThrottled(useConsole('history', (s) => s.version), CHART_REDRAW_MS);
  const h = session.stores.history.getState();
  const venues = Object.keys(h.venues).sort();
  const venueKey = venues.join(',');
  const colourFor = (v: string) => colourAt(venues.indexOf(v));

  const xRange = useMemo<[number, number] | null>(() => {
    const span = RANGE_S[range];
    const first = h.t[0];
    const last = h.t[h.t.length - 1];
    if (span === null || first === undefined || last === undefined) return null;
    // Never more than the samples held: a fresh console does not show 5 minutes of nothing.
    return [Math.max(first, last - span), last];
    // h.t grows in place: the store version says when.
  }, [range, version]);

  const msgs = useMemo(() => ({
    series: venues.map((v): SeriesSpec => ({ label: v, stroke: colourFor(v) })),
    data: [h.t.slice(), ...venues.map((v) => h.venues[v]!.msgsPerSec.slice())] as uPlot.AlignedData,
  }), [version, venueKey]);
  const latency = useMemo(() => ({
    series: venues.flatMap((v): SeriesSpec[] => [
      { label: `${v} p50`, stroke: colourFor(v) },
      { label: `${v} p99`, stroke: colourFor(v), dash: [6, 4] },
    ]),
    data: [h.t.slice(), ...venues.flatMap((v) => [h.venues[v]!.latencyP50Ms.slice(), h.venues[v]!.latencyP99Ms.slice()])] as uPlot.AlignedData,
  }), [version, venueKey]);
  const resyncs = useMemo(() => ({
    series: venues.map((v): SeriesSpec => ({ label: v, stroke: colourFor(v), bars: true })),
    data: [h.t.slice(), ...venues.map((v) => h.venues[v]!.resyncs.slice())] as uPlot.AlignedData,
  }), [version, venueKey]);
  const ins = h.inspected;
  const inspected = useMemo(() => (ins ? ([ins.t.slice(), ins.mid.slice(), ins.bid.slice(), ins.ask.slice(), ins.spread.slice()] as uPlot.AlignedData) : null), [version, ins?.key]);
  const ref = selected ? refOfKey(selected) : undefined;

  return (
    <div className="charts" data-testid="charts">
      <div className="toolbar">
        <span className="muted">range</span>
        {CHART_RANGES.map((r) => (
          <button key={r} type="button" className={`btn btn-small${r === range ? ' active' : ''}`} aria-pressed={r === range} onClick={() => ui.setState({ chartRange: r })}>
            {r}
          </button>
        ))}
        <span className="muted">{h.t.length} sample(s), one per second of engine time · drag to zoom</span>
      </div>
      {h.t.length === 0 ? (
        <div className="empty">No samples yet: charts fill as the engine reports.</div>
      ) : (
        <div className="chart-grid">
          <UPlotChart title="messages/s per venue" yLabel="msg/s" series={msgs.series} data={msgs.data} xRange={xRange} testId="chart-msgs" />
          <UPlotChart title="latency p50 (solid) / p99 (dashed)" yLabel="ms" series={latency.series} data={latency.data} xRange={xRange} testId="chart-latency" />
          <UPlotChart title="resyncs started per second" yLabel="resyncs" series={resyncs.series} data={resyncs.data} xRange={xRange} testId="chart-resyncs" />
          {inspected && ref ? (
            <UPlotChart
              title={`${ref.venue} ${ref.symbol}: mid, bid, ask (left) · spread (right)`}
              yLabel="price"
              y2Label="spread"
              series={[
                { label: 'mid', stroke: '#e0e6ef' },
                { label: 'bid', stroke: '#3ddc97', dash: [2, 3] },
                { label: 'ask', stroke: '#ff6b6b', dash: [2, 3] },
                { label: 'spread', stroke: '#ffd166', scale: 'y2' },
              ]}
              data={inspected}
              xRange={xRange}
              testId="chart-inspected"
            />
          ) : (
            <div className="empty chart">Select a symbol in the table to chart its mid and spread.</div>
          )}
        </div>
      )}
    </div>
  );
}
