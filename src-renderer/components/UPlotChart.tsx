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

const AXIS = { stroke: '#9aa4b2', grid: { stroke: '#2a3140', width: 1 }, ticks: { stroke: '#2a3140', width: 1 } };

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
      height: p.height ?? 180,
      legend: { show: true, live: true },
      cursor: { drag: { x: true, y: false } },
      scales: { x: { time: true }, y: { auto: true }, ...(hasY2 ? { y2: { auto: true } } : {}) },
      axes: [
        { ...AXIS, space: 60 },
        { ...AXIS, label: p.yLabel, size: 56, labelSize: 14 },
        ...(hasY2 ? [{ ...AXIS, scale: 'y2', side: 1 as const, label: p.y2Label ?? '', size: 56, labelSize: 14, grid: { show: false } }] : []),
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
        if (el.clientWidth > 0) u.setSize({ width: el.clientWidth, height: latest.current.height ?? 180 });
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
    u.setData(props.data, props.xRange === null);
    if (props.xRange) u.setScale('x', { min: props.xRange[0], max: props.xRange[1] });
  }, [props.data, props.xRange]);

  return (
    <div className="chart" data-testid={props.testId}>
      {failure ? <div className="empty">{failure}</div> : null}
      <div ref={host} className="chart-host" />
    </div>
  );
}

/** A stable colour per name (venue ids), from a palette readable on the dark theme. */
const PALETTE = ['#4cc9f0', '#f72585', '#ffd166', '#06d6a0', '#b388ff', '#ff9f1c', '#90be6d', '#ef476f', '#48cae4', '#e9c46a', '#a0c4ff', '#ffadad'];

export function colourFor(name: string): string {
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) >>> 0;
  return PALETTE[h % PALETTE.length]!;
}
