// The charts: prefill throughput, decode latency per token, memory (measured solid, cost model dashed),
// and analytic FLOPs per token (available without running anything, and without WebGPU).
import { useState } from 'react';
import type { ChartId, SweepMode } from '../../model/config';
import { CHART_IDS } from '../../model/config';
import { sweepLengths } from '../../model/config';
import { flopsRows, measuredRows, memoryRows, pointAt } from '../../measure/chart-data';
import { formatBytes } from '../../engine/errors';
import { useAppStore } from '../store';
import { ChartCard, type ChartSeries } from './ChartCard';
import { decodePathText, formatCount, formatMs, spreadText } from './format';
import { modelColor } from '../palette';
import { modelLabel } from '../../model/storage-format';

export function Charts() {
  const comparison = useAppStore((s) => s.comparison);
  const points = useAppStore((s) => s.sweepPoints);
  const setComparison = useAppStore((s) => s.setComparison);
  const [memoryMode, setMemoryMode] = useState<SweepMode>('decode');
  const [memoryWhat, setMemoryWhat] = useState<'total' | 'cache'>('total');
  const [flopsMode, setFlopsMode] = useState<SweepMode>('prefill');
  // Models hidden from every chart (keyboard-reachable twin of clicking legend entries).
  const [hiddenModels, setHiddenModels] = useState<Set<number>>(new Set());
  const { logX, logY, visible } = comparison.charts;
  const lengths = sweepLengths(comparison.sweep);
  const onCpu = points.some((p) => p.device === 'cpu');
  const series = (measured: boolean, analytic: boolean): ChartSeries[] =>
    comparison.models.map((m, i) => ({ modelIndex: i, name: `${modelLabel(m)}${onCpu && measured ? ' [CPU]' : ''}`, measured, analytic })).filter((s) => !hiddenModels.has(s.modelIndex));
  const toggleModel = (i: number) =>
    setHiddenModels((h) => {
      const next = new Set(h);
      if (next.has(i)) next.delete(i);
      else next.add(i);
      return next;
    });
  // The tooltips' notes on a point: the spread of its samples; for decode, how it was timed.
  const prefillNote = (modelIndex: number, seqLen: number) => spreadText(pointAt(points, 'prefill', modelIndex, seqLen));
  const decodeNote = (modelIndex: number, seqLen: number) => {
    const p = pointAt(points, 'decode', modelIndex, seqLen);
    return [decodePathText(p?.decodePath)?.label, spreadText(p)].filter(Boolean).join(', ') || undefined;
  };
  const setCharts = (patch: Partial<typeof comparison.charts>) => setComparison({ ...comparison, charts: { ...comparison.charts, ...patch } }, 'push');
  const show = (id: ChartId) => visible.includes(id);
  return (
    <section className="charts" aria-label="Charts">
      <div className="chart-options panel">
        <label><input type="checkbox" checked={logX} onChange={(e) => setCharts({ logX: e.target.checked })} /> log length axis</label>
        <label><input type="checkbox" checked={logY} onChange={(e) => setCharts({ logY: e.target.checked })} /> log value axis</label>
        {CHART_IDS.map((c) => (
          <label key={c}>
            <input type="checkbox" checked={show(c)} onChange={(e) => setCharts({ visible: e.target.checked ? [...visible, c] : visible.filter((v) => v !== c) })} /> {c}
          </label>
        ))}
        <span className="chart-models" role="group" aria-label="Models shown in the charts">
          {comparison.models.map((m, i) => (
            <label key={i}>
              <input type="checkbox" checked={!hiddenModels.has(i)} onChange={() => toggleModel(i)} />
              <span className="chip" style={{ background: modelColor(i) }} /> {modelLabel(m)}
            </label>
          ))}
        </span>
        {onCpu ? <span className="badge">CPU path (float64): not GPU figures</span> : null}
      </div>
      {show('throughput') ? (
        <ChartCard id="throughput" title="Prefill throughput" subtitle="tokens per second over B×L tokens; attention falls with L, Mamba stays flat" rows={measuredRows(points, 'prefill', 'tokensPerSecond', lengths)} series={series(true, false)} yLabel="tokens / s" formatY={formatCount} pointNote={prefillNote} logX={logX} logY={logY} />
      ) : null}
      {show('latency') ? (
        <ChartCard id="latency" title="Decode latency per token" subtitle="one token per sequence at context L, waiting for the GPU each step; the tooltip says whether a captured step was replayed or each step recorded" rows={measuredRows(points, 'decode', 'msMedian', lengths)} series={series(true, false)} yLabel="ms / token" formatY={formatMs} pointNote={decodeNote} logX={logX} logY={logY} empty={onCpu ? 'The CPU path measures prefill only.' : undefined} />
      ) : null}
      {show('memory') ? (
        <ChartCard id="memory" title={memoryWhat === 'total' ? 'GPU memory' : 'Decode state (KV cache, SSM and GLA state)'} subtitle="measured peak by the allocator (solid) and the cost model (dashed)" rows={memoryRows(comparison, points, memoryMode, memoryWhat, lengths)} series={series(true, true)} yLabel="bytes" formatY={(v) => formatBytes(v)} logX={logX} logY={logY}>
          <select aria-label="Memory chart mode" value={memoryMode} onChange={(e) => setMemoryMode(e.target.value as SweepMode)}>
            <option value="decode">decode</option>
            <option value="prefill">prefill</option>
          </select>
          <select aria-label="Memory chart content" value={memoryWhat} onChange={(e) => setMemoryWhat(e.target.value as 'total' | 'cache')}>
            <option value="total">total</option>
            <option value="cache">state only</option>
          </select>
        </ChartCard>
      ) : null}
      {show('flops') ? (
      <ChartCard id="flops" title="FLOPs per token (cost model)" subtitle="analytic: needs no GPU" rows={flopsRows(comparison, flopsMode, lengths)} series={series(false, true)} yLabel="FLOPs / token" formatY={formatCount} logX={logX} logY={logY}>
        <select aria-label="FLOPs chart mode" value={flopsMode} onChange={(e) => setFlopsMode(e.target.value as SweepMode)}>
          <option value="prefill">prefill</option>
          <option value="decode">decode</option>
        </select>
      </ChartCard>
      ) : null}
    </section>
  );
}
