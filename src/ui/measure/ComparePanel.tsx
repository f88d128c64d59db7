// Side by side: two models of the comparison at one length: parameters, FLOPs per token, memory, and
// measured throughput where the sweep has it (and how its decode was timed), with the ratio of the first to
// the second.
import { useId, useState } from 'react';
import { sweepLengths } from '../../model/config';
import { costModel, decodeStateBytes } from '../../model/cost-model';
import { modelLabel } from '../../model/storage-format';
import { formatBytes } from '../../engine/errors';
import { useAppStore } from '../store';
import { modelColor } from '../palette';
import { decodePathText, formatCount, formatMs } from './format';

export function ComparePanel() {
  const comparison = useAppStore((s) => s.comparison);
  const points = useAppStore((s) => s.sweepPoints);
  const id = useId();
  const lengths = sweepLengths(comparison.sweep);
  const n = comparison.models.length;
  const [a, setA] = useState(0);
  const [b, setB] = useState(1);
  const [L, setL] = useState<number | null>(null);
  const ia = Math.min(a, n - 1);
  const ib = Math.min(b, n - 1);
  const seqLen = L !== null && lengths.includes(L) ? L : lengths[lengths.length - 1];
  if (n < 2) return null;
  const figures = (i: number) => {
    const m = comparison.models[i];
    const pre = costModel(m, { seqLen, batch: m.batch, mode: 'prefill' });
    const dec = costModel(m, { seqLen, batch: m.batch, mode: 'decode' });
    const measured = (mode: 'prefill' | 'decode') => points.find((p) => p.modelIndex === i && p.mode === mode && p.seqLen === seqLen && p.status === 'ok');
    return {
      params: pre.params.total,
      flopsPrefill: pre.flopsPerToken.prefill,
      flopsDecode: dec.flopsPerToken.decode,
      weights: pre.bytes.weights,
      state: decodeStateBytes(m, m.batch, seqLen),
      prefillTps: measured('prefill')?.tokensPerSecond,
      decodeMs: measured('decode')?.msMedian,
      decodeTps: measured('decode')?.tokensPerSecond,
      decodePath: decodePathText(measured('decode')?.decodePath),
    };
  };
  const fa = figures(ia);
  const fb = figures(ib);
  const rows: [string, number | undefined, number | undefined, (v: number) => string][] = [
    ['Parameters', fa.params, fb.params, formatCount],
    [`FLOPs per token, prefill at L=${seqLen}`, fa.flopsPrefill, fb.flopsPrefill, formatCount],
    [`FLOPs per token, decode at context ${seqLen}`, fa.flopsDecode, fb.flopsDecode, formatCount],
    ['Weights', fa.weights, fb.weights, formatBytes],
    [`Decode state at context ${seqLen}`, fa.state, fb.state, formatBytes],
    ['Prefill throughput (measured), tokens/s', fa.prefillTps, fb.prefillTps, formatCount],
    ['Decode latency (measured), per token', fa.decodeMs, fb.decodeMs, formatMs],
    ['Decode throughput (measured), tokens/s', fa.decodeTps, fb.decodeTps, formatCount],
  ];
  const pick = (value: number, set: (v: number) => void, label: string) => (
    <select aria-label={label} value={value} onChange={(e) => set(Number(e.target.value))}>
      {comparison.models.map((m, i) => (
        <option key={i} value={i}>{modelLabel(m)}</option>
      ))}
    </select>
  );
  return (
    <section className="panel compare" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>Side by side</h2>
      <div className="run-row">
        {pick(ia, setA, 'First model')}
        <span>against</span>
        {pick(ib, setB, 'Second model')}
        <label>
          at L{' '}
          <select aria-label="Length for the comparison" value={seqLen} onChange={(e) => setL(Number(e.target.value))}>
            {lengths.map((l) => (
              <option key={l} value={l}>{l}</option>
            ))}
          </select>
        </label>
      </div>
      <table className="compare-table" data-testid="compare-table">
        <thead>
          <tr>
            <th scope="col">Figure</th>
            <th scope="col"><span className="chip" style={{ background: modelColor(ia) }} /> {modelLabel(comparison.models[ia])}</th>
            <th scope="col"><span className="chip" style={{ background: modelColor(ib) }} /> {modelLabel(comparison.models[ib])}</th>
            <th scope="col">ratio</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(([label, va, vb, fmt]) => (
            <tr key={label}>
              <th scope="row">{label}</th>
              <td>{va === undefined ? '—' : fmt(va)}</td>
              <td>{vb === undefined ? '—' : fmt(vb)}</td>
              <td>{va !== undefined && vb !== undefined && vb !== 0 ? `${(va / vb).toFixed(2)}×` : '—'}</td>
            </tr>
          ))}
          {fa.decodePath || fb.decodePath ? (
            <tr>
              <th scope="row">Decode timed as</th>
              <td title={fa.decodePath?.explanation}>{fa.decodePath?.label ?? '—'}</td>
              <td title={fb.decodePath?.explanation}>{fb.decodePath?.label ?? '—'}</td>
              <td>—</td>
            </tr>
          ) : null}
        </tbody>
      </table>
    </section>
  );
}
