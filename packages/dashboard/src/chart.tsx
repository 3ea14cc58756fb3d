import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

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
  testId?: string;
}

/** A time-series line chart (uPlot), in UTC, resized with its container. */
export function TimeChart({ title, timestamps, series, format, axisFormat, testId }: Props) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const fmt = format ?? ((v: number) => String(v));
    const axis = axisFormat ?? fmt;
    const opts: uPlot.Options = {
      width: Math.max(300, el.clientWidth),
      height: 220,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      cursor: { drag: { x: false, y: false } },
      legend: { show: true },
      scales: { x: { time: true } },
      axes: [
        { stroke: '#8a94a6', grid: { stroke: '#2a3140' }, ticks: { stroke: '#2a3140' } },
        { stroke: '#8a94a6', grid: { stroke: '#2a3140' }, ticks: { stroke: '#2a3140' }, size: 64, values: (_u, vals) => vals.map((v) => axis(v)) },
      ],
      series: [
        { label: 'UTC' },
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: 2,
          fill: s.fill ? `${s.color}22` : undefined,
          spanGaps: false,
          value: (_u: uPlot, v: number | null) => (v === null ? '–' : fmt(v)),
        })),
      ],
    };
    const data = [timestamps, ...series.map((s) => s.values)] as uPlot.AlignedData;
    const plot = new uPlot(opts, data, el);
    const ro = new ResizeObserver(() => plot.setSize({ width: Math.max(300, el.clientWidth), height: 220 }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.destroy();
    };
  }, [timestamps, series, format, axisFormat]);
  return (
    <section class="card chart" data-testid={testId}>
      <h3>{title}</h3>
      <div ref={box} class="chart-box" />
    </section>
  );
}
