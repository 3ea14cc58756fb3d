/**
 * Axis tick labels drawn as HTML over a uPlot chart. uPlot computes the ticks (splits); we format
 * and place the labels ourselves because its canvas labels cannot be kept apart: the first time
 * label carried a long date that ran into the next one. As HTML they are laid out, checked for
 * overlap (a label that would touch its neighbour is hidden) and readable by browser tests.
 */
import type uPlot from 'uplot';

/** Count axes (requests, tokens) tick only at whole numbers: there is no half request. */
export const INTEGER_INCRS: number[] = [1, 2, 5].flatMap((m) => Array.from({ length: 13 }, (_, e) => m * 10 ** e)).sort((a, b) => a - b);

const pad = (n: number) => String(n).padStart(2, '0');

/** Time tick labels (UTC): seconds only when the ticks are under a minute apart, the date on a second row when it changes. */
export function timeLabels(splits: number[], incrSeconds: number): { time: string; date: string | null }[] {
  let lastDate = '';
  return splits.map((s) => {
    const d = new Date(s * 1000);
    const day = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
    const hm = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
    const time = incrSeconds >= 86400 ? day.slice(5) : incrSeconds < 60 ? `${hm}:${pad(d.getUTCSeconds())}` : hm;
    const key = incrSeconds >= 86400 ? day.slice(0, 4) : day;
    const date = key === lastDate ? null : key;
    lastDate = key;
    return { time, date };
  });
}

/** What the `values` callbacks saw at the last redraw, per axis. */
export interface AxisTicks {
  x: { splits: number[]; incr: number };
  y: { splits: number[] };
}

const GAP = 6;

function place(layer: HTMLElement, cls: string, text: string, value: number): HTMLSpanElement {
  const s = document.createElement('span');
  s.className = cls;
  s.textContent = text;
  s.dataset.value = String(value);
  layer.appendChild(s);
  return s;
}

/** Hides every label of a row that would overlap the one before it (sorted by position). */
function hideOverlaps(spans: HTMLSpanElement[]): void {
  let right = -Infinity;
  for (const s of spans) {
    if (s.offsetLeft < right + GAP) s.hidden = true;
    else right = s.offsetLeft + s.offsetWidth;
  }
}

/** Redraws the HTML labels of both axes into `layer` (a child of uPlot's `.u-wrap`). */
export function drawAxisLabels(u: uPlot, layer: HTMLElement, ticks: AxisTicks, yFormat: (v: number) => string): void {
  layer.replaceChildren();
  const left = u.over.offsetLeft;
  const top = u.over.offsetTop;
  const plotW = u.over.offsetWidth;
  const plotH = u.over.offsetHeight;
  const width = layer.offsetWidth;

  const labels = timeLabels(ticks.x.splits, ticks.x.incr);
  const times: HTMLSpanElement[] = [];
  const dates: HTMLSpanElement[] = [];
  ticks.x.splits.forEach((v, i) => {
    const x = left + u.valToPos(v, 'x');
    if (x < left - 1 || x > left + plotW + 1) return;
    const t = place(layer, 'tick x-tick', labels[i].time, v);
    // Centred under the tick, but never left of the plot (the y labels are there) or past the right edge.
    const at = Math.min(Math.max(left, x - t.offsetWidth / 2), width - t.offsetWidth);
    t.style.left = `${at}px`;
    t.style.top = `${top + plotH + GAP}px`;
    times.push(t);
    const date = labels[i].date;
    if (date) {
      const d = place(layer, 'tick x-date', date, v);
      d.style.left = `${Math.min(at, width - d.offsetWidth)}px`;
      d.style.top = `${top + plotH + GAP + t.offsetHeight}px`;
      dates.push(d);
    }
  });
  hideOverlaps(times);
  hideOverlaps(dates);

  for (const v of ticks.y.splits) {
    const y = top + u.valToPos(v, 'y');
    if (y < top - 1 || y > top + plotH + 1) continue;
    const s = place(layer, 'tick y-tick', yFormat(v), v);
    s.style.left = `${Math.max(0, left - GAP - s.offsetWidth)}px`;
    s.style.top = `${y - s.offsetHeight / 2}px`;
  }
}
