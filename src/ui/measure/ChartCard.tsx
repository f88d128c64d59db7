// One chart: a titled card with a line chart (one colour per model, consistent everywhere), log or linear
// axes, tooltips with exact figures, legend entries that toggle series, PNG/SVG export. The plot itself
// (LinePlot, with the charting library) is loaded on first use, in its own chunk, so the page's first
// script stays small.
import { lazy, Suspense, useRef, useState } from 'react';
import type { ChartRow } from '../../measure/chart-data';
import { seriesKey } from '../../measure/chart-data';
import { modelColor } from '../palette';
import { chartPngBlob, chartSvgText, downloadBlob, downloadText } from './download';
import type { PlotLine } from './LinePlot';
import { PlotBoundary } from './PlotBoundary';

const LinePlot = lazy(() => import('./LinePlot'));

export interface ChartSeries {
  modelIndex: number;
  name: string;
  /** Draw the measured series (solid), the analytic one (dashed, key suffix 'a'), or both. */
  measured: boolean;
  analytic: boolean;
}

interface Props {
  id: string;
  title: string;
  subtitle?: string;
  rows: ChartRow[];
  series: ChartSeries[];
  yLabel: string;
  formatY: (v: number) => string;
  logX: boolean;
  logY: boolean;
  empty?: string;
  /** A note on a measured point, shown after its value in the tooltip (how a decode point was timed). */
  pointNote?: (modelIndex: number, seqLen: number) => string | undefined;
  children?: React.ReactNode;
}

export function ChartCard({ id, title, subtitle, rows, series, yLabel, formatY, logX, logY, empty, pointNote, children }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const [hidden, setHidden] = useState<Set<string>>(new Set());
  const [error, setError] = useState<string | null>(null);
  const hasData = rows.some((r) => Object.keys(r).some((k) => k !== 'seqLen' && r[k] !== undefined && (!logY || (r[k] as number) > 0)));
  const toggle = (name: string) =>
    setHidden((h) => {
      const next = new Set(h);
      if (next.has(name)) next.delete(name);
      else next.add(name);
      return next;
    });
  const exportAs = async (kind: 'png' | 'svg') => {
    setError(null);
    try {
      if (!box.current) return;
      if (kind === 'svg') downloadText(chartSvgText(box.current), `${id}.svg`, 'image/svg+xml');
      else downloadBlob(await chartPngBlob(box.current), `${id}.png`);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const lines = series.flatMap((s) => {
    const out: PlotLine[] = [];
    const label = s.name;
    if (s.measured) out.push({ key: seriesKey(s.modelIndex), modelIndex: s.modelIndex, name: s.analytic ? `${label} (measured)` : label, color: modelColor(s.modelIndex), dashed: false, group: label });
    if (s.analytic) out.push({ key: seriesKey(s.modelIndex, 'a'), modelIndex: s.modelIndex, name: s.measured ? `${label} (analytic)` : `${label} (analytic)`, color: modelColor(s.modelIndex), dashed: true, group: label });
    return out;
  });
  const tooltipValue = (v: unknown, key: unknown, seqLen: unknown) => {
    const text = typeof v === 'number' ? formatY(v) : String(v);
    const line = lines.find((l) => l.key === key);
    const note = line && !line.dashed && typeof seqLen === 'number' ? pointNote?.(line.modelIndex, seqLen) : undefined;
    return note ? `${text}, ${note}` : text;
  };
  return (
    <figure className="panel chart-card" aria-labelledby={`${id}-title`} data-testid={`chart-${id}`}>
      <figcaption className="chart-head">
        <div>
          <h3 id={`${id}-title`}>
            {title} <span className="muted unit">({yLabel})</span>
          </h3>
          {subtitle ? <p className="muted">{subtitle}</p> : null}
        </div>
        <div className="chart-tools">
          {children}
          <button type="button" onClick={() => void exportAs('png')} disabled={!hasData} aria-label={`Save ${title} as PNG`}>
            PNG
          </button>
          <button type="button" onClick={() => void exportAs('svg')} disabled={!hasData} aria-label={`Save ${title} as SVG`}>
            SVG
          </button>
        </div>
      </figcaption>
      {error ? <p role="alert" className="error">{error}</p> : null}
      <div ref={box} className="chart-box">
        {hasData ? (
          <PlotBoundary>
            <Suspense fallback={<p className="chart-loading muted">Loading the chart…</p>}>
              <LinePlot rows={rows} lines={lines} hidden={hidden} onToggle={toggle} formatY={formatY} tooltipValue={tooltipValue} logX={logX} logY={logY} />
            </Suspense>
          </PlotBoundary>
        ) : (
          <p className="chart-empty muted">{empty ?? 'No points yet: run a sweep.'}</p>
        )}
      </div>
    </figure>
  );
}
