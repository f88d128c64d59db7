// Sweep settings (lengths, modes, decode steps, repeats, memory budget), Run and Cancel, progress.
import { useId } from 'react';
import type { SweepConfig, SweepMode } from '../../model/config';
import { sweepLengths } from '../../model/config';
import { useAppStore } from '../store';
import { formatDuration } from './format';

const POWERS = Array.from({ length: 17 }, (_, i) => 2 ** (i + 4)); // 16 .. 1M

export function SweepControls() {
  const sweep = useAppStore((s) => s.comparison.sweep);
  const comparison = useAppStore((s) => s.comparison);
  const setComparison = useAppStore((s) => s.setComparison);
  const status = useAppStore((s) => s.sweepStatus);
  const progress = useAppStore((s) => s.sweepProgress);
  const message = useAppStore((s) => s.sweepMessage);
  const start = useAppStore((s) => s.startSweep);
  const cancel = useAppStore((s) => s.cancelSweep);
  const gpu = useAppStore((s) => s.gpu);
  const budget = useAppStore((s) => s.memoryBudgetGiB);
  const setBudget = useAppStore((s) => s.setMemoryBudgetGiB);
  const id = useId();
  const running = status === 'running';
  const update = (patch: Partial<SweepConfig>) => setComparison({ ...comparison, sweep: { ...sweep, ...patch } }, 'push');
  const toggleMode = (m: SweepMode) => {
    const modes = sweep.modes.includes(m) ? sweep.modes.filter((x) => x !== m) : [...sweep.modes, m];
    if (modes.length) update({ modes: (['prefill', 'decode'] as SweepMode[]).filter((x) => modes.includes(x)) });
  };
  const lengths = sweepLengths(sweep);
  const pct = progress ? Math.round((100 * progress.done) / Math.max(1, progress.total)) : 0;
  return (
    <section className="panel sweep-controls" aria-label="Sweep">
      <h2>Measure</h2>
      <div className="control-grid">
        <label htmlFor={`${id}-start`}>From</label>
        <select id={`${id}-start`} value={sweep.seqStart} disabled={running} onChange={(e) => update({ seqStart: Number(e.target.value), seqMax: Math.max(sweep.seqMax, Number(e.target.value)) })}>
          {POWERS.map((p) => (
            <option key={p} value={p}>{p} tokens</option>
          ))}
        </select>
        <label htmlFor={`${id}-max`}>To</label>
        <select id={`${id}-max`} value={sweep.seqMax} disabled={running} onChange={(e) => update({ seqMax: Number(e.target.value), seqStart: Math.min(sweep.seqStart, Number(e.target.value)) })}>
          {POWERS.map((p) => (
            <option key={p} value={p}>{p} tokens</option>
          ))}
        </select>
        <span className="label">Modes</span>
        <span className="inline">
          <label><input type="checkbox" checked={sweep.modes.includes('prefill')} disabled={running} onChange={() => toggleMode('prefill')} /> prefill</label>
          <label><input type="checkbox" checked={sweep.modes.includes('decode')} disabled={running} onChange={() => toggleMode('decode')} /> decode</label>
        </span>
        <label htmlFor={`${id}-steps`}>Decode steps</label>
        <input id={`${id}-steps`} type="number" min={1} max={4096} value={sweep.decodeSteps} disabled={running} onChange={(e) => Number.isInteger(+e.target.value) && +e.target.value >= 1 && +e.target.value <= 4096 && update({ decodeSteps: +e.target.value })} />
        <label htmlFor={`${id}-repeats`}>Repeats</label>
        <input id={`${id}-repeats`} type="number" min={1} max={100} value={sweep.repeats} disabled={running} onChange={(e) => Number.isInteger(+e.target.value) && +e.target.value >= 1 && +e.target.value <= 100 && update({ repeats: +e.target.value })} />
        <label htmlFor={`${id}-budget`}>Memory budget</label>
        <span className="inline">
          <input id={`${id}-budget`} type="number" min={0.25} max={1024} step={0.25} value={budget} disabled={running} onChange={(e) => +e.target.value > 0 && setBudget(+e.target.value)} aria-describedby={`${id}-budget-help`} /> GiB
        </span>
      </div>
      <p id={`${id}-budget-help`} className="muted small">
        {lengths.length} lengths × {sweep.modes.length} mode{sweep.modes.length > 1 ? 's' : ''} × {comparison.models.length} models. WebGPU does not report free GPU memory: points whose estimate exceeds the budget are skipped, with the reason.
      </p>
      <div className="run-row">
        {running ? (
          <button type="button" className="danger" onClick={cancel}>Cancel</button>
        ) : (
          <button type="button" className="primary" onClick={() => void start()} disabled={gpu.status === 'checking'}>
            {gpu.status === 'ready' ? 'Run sweep' : 'Run on CPU (slow)'}
          </button>
        )}
        {running && progress ? (
          <div className="progress" role="status" aria-live="polite">
            <progress max={progress.total} value={progress.done} aria-label="Sweep progress" />
            <span>
              {pct}% · {progress.model} · {progress.mode} L={progress.seqLen}
              {progress.etaMs != null ? ` · about ${formatDuration(progress.etaMs)} left` : ''}
            </span>
          </div>
        ) : null}
      </div>
      {gpu.status === 'ready' && gpu.report.isFallbackAdapter ? (
        <p className="notice">This adapter is a software fallback (the GPU work runs on the CPU): full-size models at long lengths take minutes per point. The tiny presets or lengths up to 1K give quick answers; the figures describe this CPU, not a GPU.</p>
      ) : null}
      {gpu.status === 'unavailable' ? <p className="notice">No WebGPU here: a run uses the float64 CPU path (prefill only, up to 256 tokens), labelled “CPU” in the results.</p> : null}
      {message ? <p className={status === 'failed' ? 'error' : 'muted'} role={status === 'failed' ? 'alert' : 'status'}>{message}</p> : null}
    </section>
  );
}
