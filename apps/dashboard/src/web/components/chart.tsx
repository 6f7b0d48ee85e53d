import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface Series {
  label: string;
  points: { x: number; y: number }[];
}

const COLORS = [
  '#2563eb',
  '#dc2626',
  '#16a34a',
  '#9333ea',
  '#ea580c',
  '#0891b2',
  '#db2777',
  '#65a30d',
  '#4f46e5',
  '#ca8a04',
];

/** Line chart of several series over a shared x axis (uPlot wants one x array: the union, gaps as null). */
export function LineChart(props: { series: Series[]; xLabel: string; yLabel: string; height?: number }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const points = props.series.reduce((n, s) => n + s.points.length, 0);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const xs = [...new Set(props.series.flatMap((s) => s.points.map((p) => p.x)))].sort((a, b) => a - b);
    const data: uPlot.AlignedData = [
      xs,
      ...props.series.map((s) => {
        const byX = new Map(s.points.map((p) => [p.x, p.y]));
        return xs.map((x) => byX.get(x) ?? null);
      }),
    ];
    // clientWidth counts the box's padding; the plot fits inside it.
    const style = getComputedStyle(el);
    const inner =
      el.clientWidth - Number.parseFloat(style.paddingLeft) - Number.parseFloat(style.paddingRight);
    const opts: uPlot.Options = {
      width: Math.max(280, Math.floor(inner)),
      height: props.height ?? 260,
      scales: { x: { time: false } },
      axes: [{ label: props.xLabel }, { label: props.yLabel, size: 60 }],
      series: [
        { label: props.xLabel },
        ...props.series.map((s, i) => ({
          label: s.label,
          stroke: COLORS[i % COLORS.length],
          width: 2,
          spanGaps: true,
          points: { show: true, size: 6 },
        })),
      ],
    };
    if (plot.current && plot.current.series.length === data.length) {
      plot.current.setData(data);
    } else {
      plot.current?.destroy();
      plot.current = new uPlot(opts, data, el);
    }
  });
  useEffect(() => () => plot.current?.destroy(), []);
  return (
    <>
      <div class="chart" ref={box} data-points={points} />
      {points === 0 ? (
        <p class="muted empty-chart">No points yet: they appear as they are reported.</p>
      ) : null}
    </>
  );
}
