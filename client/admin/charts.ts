// Time-series charts (uPlot): series of [time ms, value] points, aligned on one time axis with gaps as nulls.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface TimeSeries {
  label: string;
  points: [number, number][];
  stroke: string;
  width?: number;
}

const PALETTE = ['#4e79a7', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac', '#f28e2b'];
/** Points kept per chart: enough for hours of 1-2 s reports, small enough to redraw every poll. */
const MAX_POINTS = 4000;

export function paletteColor(i: number): string {
  return PALETTE[i % PALETTE.length];
}

/** uPlot's column layout: x (seconds) then one array per series, null where a series has no point at that x. */
export function alignSeries(series: readonly TimeSeries[]): uPlot.AlignedData {
  const xs = [...new Set(series.flatMap((s) => s.points.map(([t]) => t)))].sort((a, b) => a - b).slice(-MAX_POINTS);
  const index = new Map(xs.map((x, i) => [x, i]));
  const columns = series.map((s) => {
    const col: (number | null)[] = new Array(xs.length).fill(null);
    for (const [t, y] of s.points) {
      const i = index.get(t);
      if (i !== undefined) col[i] = y;
    }
    return col;
  });
  return [xs.map((x) => x / 1000), ...columns];
}

export class TimeChart {
  private plot: uPlot | null = null;
  private labels = '';
  private readonly resize = new ResizeObserver(() => this.plot?.setSize(this.size()));

  constructor(private readonly host: HTMLElement, private readonly yLabel: string, private readonly yRange?: [number, number]) {
    this.resize.observe(host);
  }

  private size() {
    return { width: Math.max(280, this.host.clientWidth), height: 220 };
  }

  update(series: readonly TimeSeries[]): void {
    const data = alignSeries(series);
    const labels = series.map((s) => s.label).join('\n');
    if (this.plot && labels === this.labels) {
      this.plot.setData(data);
      return;
    }
    // a new worker is a new series: rebuild rather than patch uPlot's series list
    this.plot?.destroy();
    this.labels = labels;
    const range = this.yRange;
    this.plot = new uPlot(
      {
        ...this.size(),
        scales: { x: { time: true }, y: range ? { range: () => range } : { auto: true } },
        axes: [{}, { label: this.yLabel }],
        series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.stroke, width: s.width ?? 1, spanGaps: true, points: { show: false } }))],
        legend: { live: false },
      },
      data,
      this.host,
    );
  }

  clear(): void {
    this.plot?.destroy();
    this.plot = null;
    this.labels = '';
    this.host.replaceChildren();
  }
}
