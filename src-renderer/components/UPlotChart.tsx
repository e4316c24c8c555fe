/**
 * A thin React wrapper over one uPlot instance: created once per series layout, fed with
 * `setData` as samples arrive (no re-creation per frame), resized with its container, and
 * destroyed on unmount. Where no canvas exists (DOMs without one) it says so instead of failing.
 */
import { useEffect, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface SeriesSpec {
  label: string;
  stroke: string;
  dash?: number[];
  /** Which y axis ('y' left, 'y2' right). */
  scale?: 'y' | 'y2';
  bars?: boolean;
}

export interface UPlotChartProps {
  title: string;
  series: SeriesSpec[];
  /** [x seconds, ...one array per series], all the same length. */
  data: uPlot.AlignedData;
  yLabel: string;
  y2Label?: string;
  /** Visible x range [min, max] in seconds, or null for everything. */
  xRange: [number, number] | null;
  height?: number;
  testId?: string;
}

const AXIS = { stroke: '#9aa4b2', grid: { stroke: '#2a3140', width: 1 }, ticks: { stroke: '#2a3140', width: 1 }, font: '11px DejaVu Sans, sans-serif' };

const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 2 });

/** Axis tick labels: compact numbers (1.2k, 3.4M) so wide values never push the plot off its box. */
function compactValues(_u: uPlot, splits: number[]): string[] {
  return splits.map((v) => (v == null ? '' : Math.abs(v) < 1_000 ? String(Number(v.toPrecision(6))) : compact.format(v)));
}

/** Axis width from its longest tick label, so small prices (0.0000656) are never clipped. */
function axisSize(_u: uPlot, values: string[] | null): number {
  let longest = 0;
  for (const v of values ?? []) if (v.length > longest) longest = v.length;
  return Math.max(40, longest * 7 + 24);
}

/** Time ticks as UTC clock times: the venues, the recordings and the timeline are all UTC. */
function utcValues(_u: uPlot, splits: number[]): string[] {
  const p = (n: number) => String(n).padStart(2, '0');
  return splits.map((t) => {
    const d = new Date(t * 1000);
    return `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
  });
}

function layoutKey(p: UPlotChartProps): string {
  return JSON.stringify([p.series.map((s) => [s.label, s.stroke, s.dash ?? null, s.scale ?? 'y', s.bars ?? false]), p.yLabel, p.y2Label ?? null]);
}

let canvasSupport: boolean | null = null;

/** uPlot draws on a 2D canvas; some DOMs (test DOMs, locked-down kiosks) have none. */
export function hasCanvas2d(): boolean {
  if (canvasSupport === null) {
    try {
      canvasSupport = document.createElement('canvas').getContext('2d') !== null;
    } catch {
      canvasSupport = false;
    }
  }
  return canvasSupport;
}

export function UPlotChart(props: UPlotChartProps) {
  const host = useRef<HTMLDivElement | null>(null);
  const plot = useRef<uPlot | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const key = layoutKey(props);
  const latest = useRef(props);
  latest.current = props;

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const p = latest.current;
    if (!hasCanvas2d()) {
      setFailure('Charts need a 2D canvas, which this display does not provide.');
      return;
    }
    const width = el.clientWidth > 0 ? el.clientWidth : 600;
    const hasY2 = p.series.some((s) => s.scale === 'y2');
    const opts: uPlot.Options = {
      title: p.title,
      width,
      height: p.height ?? 140,
      // The legend is ours (React, below the plot): uPlot's grows a row per series and would bury
      // the plot with a dozen venues.
      legend: { show: false },
      cursor: { drag: { x: true, y: false } },
      scales: { x: { time: true }, y: { auto: true }, ...(hasY2 ? { y2: { auto: true } } : {}) },
      axes: [
        { ...AXIS, space: 70, values: utcValues },
        { ...AXIS, label: p.yLabel, size: axisSize, labelSize: 14, values: compactValues },
        ...(hasY2 ? [{ ...AXIS, scale: 'y2', side: 1 as const, label: p.y2Label ?? '', size: axisSize, labelSize: 14, grid: { show: false }, values: compactValues }] : []),
      ],
      series: [
        {},
        ...p.series.map((s) => ({
          label: s.label,
          stroke: s.stroke,
          width: 1.5,
          spanGaps: false,
          ...(s.dash ? { dash: s.dash } : {}),
          ...(s.scale ? { scale: s.scale } : {}),
          ...(s.bars && uPlot.paths.bars ? { paths: uPlot.paths.bars({ size: [0.8, 8] }), fill: `${s.stroke}88` } : {}),
        })),
      ],
    };
    let u: uPlot;
    try {
      u = new uPlot(opts, p.data, el);
    } catch (e) {
      setFailure(`chart unavailable: ${(e as Error).message}`);
      return;
    }
    setFailure(null);
    plot.current = u;
    if (p.xRange) u.setScale('x', { min: p.xRange[0], max: p.xRange[1] });
    let ro: ResizeObserver | null = null;
    if (typeof ResizeObserver !== 'undefined') {
      ro = new ResizeObserver(() => {
        // Only a real change of width: a redraw of every chart per observer callback is expensive.
        if (el.clientWidth > 0 && el.clientWidth !== u.width) u.setSize({ width: el.clientWidth, height: latest.current.height ?? 140 });
      });
      ro.observe(el);
    }
    return () => {
      ro?.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [key]);

  useEffect(() => {
    const u = plot.current;
    if (!u) return;
    // One redraw for new data and its range (two separate calls would draw twice).
    u.batch(() => {
      u.setData(props.data, props.xRange === null);
      if (props.xRange) u.setScale('x', { min: props.xRange[0], max: props.xRange[1] });
    });
  }, [props.data, props.xRange]);

  return (
    <div className="chart" data-testid={props.testId}>
      {failure ? <div className="empty">{failure}</div> : null}
      <div ref={host} className="chart-host" />
      <div className="chart-legend">
        {props.series.map((s) => (
          <span key={s.label} style={{ color: s.stroke }}>
            <span className={`swatch${s.dash ? ' dashed' : ''}`} />
            <span className="muted">{s.label}</span>
          </span>
        ))}
      </div>
    </div>
  );
}

/** Distinct colours readable on the dark theme, assigned by position so neighbours never collide. */
const PALETTE = ['#4cc9f0', '#f72585', '#ffd166', '#06d6a0', '#b388ff', '#ff9f1c', '#90be6d', '#e9c46a', '#a0c4ff', '#ffadad', '#48cae4', '#ef476f'];

export function colourAt(i: number): string {
  return PALETTE[i % PALETTE.length]!;
}
