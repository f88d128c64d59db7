// Live readouts of the selected model at a chosen sequence length, from the analytic cost model:
// parameters, FLOPs per token (prefill average, one decode step) and memory (weights, prefill
// activations, decode KV cache / recurrent state). They follow every valid keystroke in the builder.
import { useId, useMemo } from 'react';
import { costModel } from '../../model/cost-model';
import { READOUT_LENGTHS } from '../store/comparison-slice';
import { useAppStore } from '../store';
import { formatBytes, formatCountShort, formatExact, formatFlops, formatLength } from './format';
import { whyNotFit } from '../../measure/sweep';

export function Readouts() {
  const model = useAppStore((s) => s.comparison.models[s.selectedModel]);
  const seqLen = useAppStore((s) => s.readoutLength);
  const setReadoutLength = useAppStore((s) => s.setReadoutLength);
  const selectId = useId();
  const cost = useMemo(() => {
    if (!model) return null;
    const prefill = costModel(model, { seqLen, mode: 'prefill' });
    const decode = costModel(model, { seqLen, mode: 'decode' });
    return { prefill, decode };
  }, [model, seqLen]);
  const gpu = useAppStore((s) => s.gpu);
  const budgetGiB = useAppStore((s) => s.memoryBudgetGiB);
  if (!model || !cost) return null;
  const { prefill, decode } = cost;
  // What this GPU cannot hold at this length, found from the limits before anything is allocated.
  const limits = gpu.status === 'ready' ? gpu.report.limits : null;
  const fit = limits
    ? (['prefill', 'decode'] as const)
        .map((mode) => [mode, whyNotFit(model, mode, seqLen, seqLen, limits, budgetGiB * 2 ** 30)] as const)
        .filter(([, why]) => why !== null)
    : [];
  const rows: [string, string, string?][] = [
    ['Parameters', formatCountShort(prefill.params.total), formatExact(prefill.params.total)],
    ['FLOPs/token, prefill', formatFlops(prefill.flopsPerToken.prefill)],
    ['FLOPs/token, decode', formatFlops(decode.flopsPerToken.decode)],
    ['Weights', formatBytes(prefill.bytes.weights)],
    ['Activations, prefill', formatBytes(prefill.bytes.activations + prefill.bytes.scratch)],
    ['KV cache + state, decode', formatBytes(decode.bytes.cache)],
    ['Peak estimate, decode', formatBytes(decode.bytes.total)],
  ];
  return (
    <section className="readouts" aria-labelledby={`${selectId}-title`}>
      <div className="readouts-head">
        <h3 id={`${selectId}-title`}>Cost of {model.name}</h3>
        <label htmlFor={selectId}>at length</label>
        <select id={selectId} value={seqLen} onChange={(e) => setReadoutLength(Number(e.target.value))}>
          {READOUT_LENGTHS.map((l) => (
            <option key={l} value={l}>
              {formatLength(l)}
            </option>
          ))}
        </select>
        {model.batch !== 1 ? <span className="muted"> × batch {model.batch}</span> : null}
      </div>
      <table className="readout-table">
        <tbody>
          {rows.map(([label, value, exact]) => (
            <tr key={label}>
              <th scope="row">{label}</th>
              <td>
                {value}
                {exact ? <span className="muted exact"> ({exact})</span> : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {fit.map(([mode, why]) => (
        <p key={mode} className="readout-warning" role="status">
          {mode === 'prefill' ? 'Prefill' : 'Decode'} at {formatLength(seqLen)} does not fit this GPU: {why}.
        </p>
      ))}
    </section>
  );
}
