// The plot of a chart card: a recharts line chart over sequence length, one line per series (dashed for
// analytic ones), log or linear axes, a tooltip with exact figures, legend entries that toggle series.
// Loaded lazily by ChartCard: recharts is most of the page's script.
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { ChartRow } from '../../measure/chart-data';

export interface PlotLine {
  key: string;
  modelIndex: number;
  name: string;
  color: string;
  dashed: boolean;
  group: string;
}

interface Props {
  rows: ChartRow[];
  lines: PlotLine[];
  /** Names of the lines the legend has hidden. */
  hidden: Set<string>;
  onToggle: (name: string) => void;
  formatY: (v: number) => string;
  tooltipValue: (v: unknown, key: unknown, seqLen: unknown) => string;
  logX: boolean;
  logY: boolean;
}

export default function LinePlot({ rows, lines, hidden, onToggle, formatY, tooltipValue, logX, logY }: Props) {
  return (
    <ResponsiveContainer width="100%" height={260}>
      <LineChart data={rows} margin={{ top: 4, right: 16, bottom: 20, left: 0 }}>
        <CartesianGrid strokeDasharray="2 4" stroke="var(--border)" />
        <XAxis
          dataKey="seqLen"
          type="number"
          scale={logX ? 'log' : 'linear'}
          domain={['dataMin', 'dataMax']}
          ticks={rows.map((r) => r.seqLen)}
          tickFormatter={(v: number) => (v >= 1024 ? `${v / 1024}K` : String(v))}
          stroke="var(--muted)"
          label={{ value: 'sequence length (tokens)', position: 'insideBottom', offset: -12, fill: 'var(--muted)' }}
        />
        <YAxis scale={logY ? 'log' : 'linear'} domain={logY ? ['auto', 'auto'] : [0, 'auto']} allowDataOverflow={false} tickFormatter={formatY} stroke="var(--muted)" width={84} tick={{ fontSize: 11 }} />
        <Tooltip formatter={(v, _name, item) => tooltipValue(v, item.dataKey, (item.payload as ChartRow | undefined)?.seqLen)} labelFormatter={(l) => `L = ${l}`} contentStyle={{ background: 'var(--panel)', border: '1px solid var(--border)' }} />
        <Legend verticalAlign="top" onClick={(e) => onToggle(String((e as { value?: unknown }).value))} wrapperStyle={{ cursor: 'pointer', paddingBottom: 6 }} />
        {lines.map((l) => (
          <Line key={l.key} dataKey={l.key} name={l.name} stroke={l.color} strokeDasharray={l.dashed ? '6 4' : undefined} strokeWidth={2} dot={{ r: l.dashed ? 0 : 3 }} connectNulls hide={hidden.has(l.name)} isAnimationActive={false} />
        ))}
      </LineChart>
    </ResponsiveContainer>
  );
}
