import type { Rung } from '../../shared/api.js';

/** ASHA's rungs as bars: how many trials reached each, and (darker) how many stopped there. */
export function RungChart(props: { rungs: Rung[]; unit: string | null }) {
  const { rungs } = props;
  const most = Math.max(1, ...rungs.map((r) => r.reached.length));
  const w = 120;
  const h = 160;
  return (
    <div class="rungs">
      <svg width={rungs.length * (w + 20) + 20} height={h + 50} role="img" aria-label="ASHA rungs">
        {rungs.map((r, i) => {
          const x = 20 + i * (w + 20);
          const reached = (r.reached.length / most) * h;
          const stopped = (r.stopped.length / most) * h;
          return (
            <g key={r.index} data-rung={r.index}>
              <rect x={x} y={h - reached + 10} width={w} height={reached} fill="#bfdbfe" />
              <rect x={x} y={h - stopped + 10} width={w} height={stopped} fill="#2563eb" />
              <text x={x + w / 2} y={h + 28} text-anchor="middle">
                rung {r.index}: {r.length} {props.unit ?? ''}
              </text>
              <text x={x + w / 2} y={h + 44} text-anchor="middle" class="muted">
                {r.reached.length} reached, {r.stopped.length} stopped
              </text>
            </g>
          );
        })}
      </svg>
      <p class="muted key">
        <span class="swatch reached" /> reached the rung <span class="swatch stopped" /> stopped there
      </p>
      <ul>
        {rungs.map((r) => (
          <li key={r.index}>
            rung {r.index}: stopped here:{' '}
            {r.stopped.length ? r.stopped.map((t) => `trial ${t}`).join(', ') : 'none'}
          </li>
        ))}
      </ul>
    </div>
  );
}
