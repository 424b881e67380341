import { formatDate } from './format';

export type Point = { observed_at: string; value: number; flag: 'low' | 'normal' | 'high' | 'critical' | null; reference_range: string | null };

/** "3.5-5.1", "3.5 – 5.1": the numeric band to shade; one-sided ranges ("<5.2") are not shaded. */
function band(range: string | null): [number, number] | null {
  const m = range ? /^\s*(-?\d+(?:\.\d+)?)\s*[-–]\s*(-?\d+(?:\.\d+)?)\s*$/.exec(range) : null;
  return m ? [Number(m[1]), Number(m[2])] : null;
}

const W = 320;
const H = 160;
const PAD = { left: 44, right: 12, top: 12, bottom: 28 };

/**
 * One analyte over time, as a small SVG line chart (no charting library: a few shapes are all it
 * needs). The reference range is shaded; out-of-range points are drawn as red squares, not only
 * coloured, so the difference does not rest on colour alone. The same values are in the table
 * the caller shows next to it, which is what screen readers read (the SVG has a summary label).
 */
export function TrendChart(props: { name: string; unit: string | null; points: Point[]; timeZone: string }) {
  const points = [...props.points].sort((a, b) => a.observed_at.localeCompare(b.observed_at));
  if (points.length === 0) return null;
  const ref = band(points.at(-1)!.reference_range);
  const values = points.map((p) => p.value).concat(ref ?? []);
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (lo === hi) {
    lo -= 1;
    hi += 1;
  }
  const margin = (hi - lo) * 0.1;
  lo -= margin;
  hi += margin;
  const t0 = Date.parse(points[0]!.observed_at);
  const t1 = Date.parse(points.at(-1)!.observed_at);
  const x = (iso: string) => PAD.left + (t1 === t0 ? (W - PAD.left - PAD.right) / 2 : ((Date.parse(iso) - t0) / (t1 - t0)) * (W - PAD.left - PAD.right));
  const y = (v: number) => PAD.top + (1 - (v - lo) / (hi - lo)) * (H - PAD.top - PAD.bottom);
  const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : Number(v.toPrecision(3)).toString());
  const unit = props.unit ? ` ${props.unit}` : '';
  const last = points.at(-1)!;
  const summary =
    `${props.name}: ${points.length} results from ${formatDate(points[0]!.observed_at, props.timeZone)} to ${formatDate(last.observed_at, props.timeZone)}, ` +
    `latest ${fmt(last.value)}${unit}${ref ? `, reference range ${ref[0]}–${ref[1]}${unit}` : ''}.`;
  const abnormal = (p: Point) => p.flag === 'low' || p.flag === 'high' || p.flag === 'critical';

  return (
    <svg class="trend" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={summary}>
      {ref && <rect x={PAD.left} width={W - PAD.left - PAD.right} y={y(ref[1])} height={Math.max(0, y(ref[0]) - y(ref[1]))} class="range" />}
      <line x1={PAD.left} x2={PAD.left} y1={PAD.top} y2={H - PAD.bottom} class="axis" />
      <line x1={PAD.left} x2={W - PAD.right} y1={H - PAD.bottom} y2={H - PAD.bottom} class="axis" />
      {[hi - margin, lo + margin].map((v) => (
        <text key={v} x={PAD.left - 4} y={y(v) + 4} text-anchor="end" class="tick">
          {fmt(v)}
        </text>
      ))}
      <text x={PAD.left} y={H - 8} class="tick">
        {formatDate(points[0]!.observed_at, props.timeZone)}
      </text>
      {points.length > 1 && (
        <text x={W - PAD.right} y={H - 8} text-anchor="end" class="tick">
          {formatDate(last.observed_at, props.timeZone)}
        </text>
      )}
      <polyline points={points.map((p) => `${x(p.observed_at)},${y(p.value)}`).join(' ')} class="line" />
      {points.map((p) =>
        abnormal(p) ? (
          <rect key={p.observed_at} x={x(p.observed_at) - 4} y={y(p.value) - 4} width={8} height={8} class="point abnormal" />
        ) : (
          <circle key={p.observed_at} cx={x(p.observed_at)} cy={y(p.value)} r={3.5} class="point" />
        ),
      )}
    </svg>
  );
}
