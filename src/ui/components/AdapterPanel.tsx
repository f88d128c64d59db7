// Shows what the browser offers: the adapter (vendor, architecture, fallback or not), its features and the
// limits that bound model sizes; or why there is no WebGPU and what still works.
import { formatBytes } from '../../engine/errors';
import { useAppStore } from '../store';

export function AdapterPanel() {
  const gpu = useAppStore((s) => s.gpu);
  const initGpu = useAppStore((s) => s.initGpu);
  if (gpu.status === 'checking') return <section className="panel adapter" aria-busy="true"><h2>Your GPU</h2><p>Looking for a WebGPU adapter…</p></section>;
  if (gpu.status === 'unavailable') {
    return (
      <section className="panel adapter" data-testid="adapter-panel" data-gpu="unavailable">
        <h2>Your GPU</h2>
        <p className="notice" role="status">
          <strong>No WebGPU:</strong> {gpu.reason}
        </p>
        <p>The analytic charts (parameters, FLOPs, memory from the cost model) still work, and small models can run on a slow CPU path, labelled as such.</p>
        <button type="button" onClick={() => void initGpu()}>Retry GPU</button>
      </section>
    );
  }
  const r = gpu.report;
  const yes = (b: boolean) => (b ? 'yes' : 'no');
  return (
    <section className="panel adapter" data-testid="adapter-panel" data-gpu="ready">
      <h2>Your GPU</h2>
      <dl className="kv">
        <dt>Adapter</dt>
        <dd data-testid="adapter-name">
          {[r.vendor, r.architecture, r.device, r.description].filter((s) => s && s !== 'unknown').join(' · ') || 'unknown'}
          {r.isFallbackAdapter ? ' (software fallback: timings reflect the CPU)' : ''}
        </dd>
        <dt>Features</dt>
        <dd data-testid="adapter-features">shader-f16 {yes(r.features.shaderF16)} · subgroups {yes(r.features.subgroups)} · timestamp-query {yes(r.features.timestampQuery)}</dd>
        <dt>Max buffer</dt>
        <dd>{formatBytes(r.limits.maxBufferSize)}</dd>
        <dt>Max storage binding</dt>
        <dd>{formatBytes(r.limits.maxStorageBufferBindingSize)}</dd>
        <dt>Workgroup storage</dt>
        <dd>{formatBytes(r.limits.maxComputeWorkgroupStorageSize)}</dd>
        <dt>Invocations / workgroup</dt>
        <dd>{r.limits.maxComputeInvocationsPerWorkgroup}</dd>
      </dl>
    </section>
  );
}
