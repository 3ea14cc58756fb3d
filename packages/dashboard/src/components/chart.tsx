import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { drawAxisLabels, INTEGER_INCRS, type AxisTicks } from './axis.js';

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  color: string;
  fill?: boolean;
}

interface Props {
  title: string;
  timestamps: number[];
  series: ChartSeries[];
  format?: (v: number) => string;
  /** Shorter format for axis ticks (defaults to format). */
  axisFormat?: (v: number) => string;
  /** Counts: ticks at whole numbers only. */
  integer?: boolean;
  testId?: string;
}

const HEIGHT = 220;

/**
 * Indexes of values with no value on either side. A line needs two points, so a lone value (all
 * traffic in one bucket, or one busy bucket between empty ones) would draw nothing; it gets a dot.
 */
function isolated(values: (number | null | undefined)[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < values.length; i++) {
    if (values[i] === null || values[i] === undefined) continue;
    if ((values[i - 1] ?? null) === null && (values[i + 1] ?? null) === null) out.push(i);
  }
  return out;
}

/** A time-series line chart (uPlot), in UTC, y from zero, resized with its container. */
export function TimeChart({ title, timestamps, series, format, axisFormat, integer, testId }: Props) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const fmt = format ?? ((v: number) => String(v));
    const axis = axisFormat ?? fmt;
    const ticks: AxisTicks = { x: { splits: [], incr: 60 }, y: { splits: [] } };
    const layer = document.createElement('div');
    layer.className = 'axis-labels';
    const grid = { stroke: '#2a3140' };
    const opts: uPlot.Options = {
      width: Math.max(300, el.clientWidth),
      height: HEIGHT,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      cursor: { drag: { x: false, y: false } },
      legend: { show: true },
      scales: {
        // One bucket only: widen the x range so its point sits in the middle rather than nowhere.
        x: { time: true, range: (_u, min, max) => (min === max ? [min - 60, max + 60] : [min, max]) },
        // Every figure here is a count, a rate or a duration: zero is the honest baseline.
        y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.08 : 1] },
      },
      axes: [
        {
          size: 44,
          space: 70,
          grid,
          ticks: grid,
          values: (_u, splits, _i, _space, incr) => {
            ticks.x = { splits: splits.filter((s) => s !== null), incr };
            return splits.map(() => '');
          },
        },
        {
          size: 64,
          space: 32,
          grid,
          ticks: grid,
          incrs: integer ? INTEGER_INCRS : undefined,
          values: (_u, splits) => {
            ticks.y = { splits: splits.filter((s) => s !== null) };
            return splits.map(() => '');
          },
        },
      ],
      series: [
        { label: 'UTC' },
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: 2,
          fill: s.fill ? `${s.color}22` : undefined,
          spanGaps: false,
          points: { size: 6, fill: s.color, filter: (u: uPlot, si: number, show: boolean) => (show ? null : isolated(u.data[si] as (number | null)[])) },
          value: (_u: uPlot, v: number | null) => (v === null ? '–' : fmt(v)),
        })),
      ],
      hooks: { draw: [(u) => drawAxisLabels(u, layer, ticks, axis)] },
    };
    const data = [timestamps, ...series.map((s) => s.values)] as uPlot.AlignedData;
    const plot = new uPlot(opts, data, el);
    plot.over.parentElement!.appendChild(layer);
    drawAxisLabels(plot, layer, ticks, axis);
    const ro = new ResizeObserver(() => plot.setSize({ width: Math.max(300, el.clientWidth), height: HEIGHT }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.destroy();
    };
  }, [timestamps, series, format, axisFormat, integer]);
  return (
    <section class="card chart" data-testid={testId}>
      <h3>{title}</h3>
      <div ref={box} class="chart-box" />
    </section>
  );
}
