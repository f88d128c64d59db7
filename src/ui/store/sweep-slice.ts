// Store slice: running a sweep on the page (progress, cancel, device loss) and its measured points.
// The sweep runner itself (src/measure/sweep.ts) knows nothing of React; this slice feeds it the engine
// and turns its callbacks into state. Points appear as they are measured.
import type { StateCreator } from 'zustand';
import { runSweep, SweepCancelled, type SweepPoint, type SweepProgress, type SweepResults } from '../../measure/sweep';
import type { Engine } from '../../engine/engine';
import type { GpuSlice } from './gpu-slice';
import type { ComparisonSlice } from './comparison-slice';

export interface SweepSlice {
  sweepStatus: 'idle' | 'running' | 'done' | 'cancelled' | 'failed';
  sweepProgress: SweepProgress | null;
  sweepPoints: SweepPoint[];
  sweepResults: SweepResults | null;
  sweepMessage: string | null;
  /** Memory budget for a sweep on the page (WebGPU does not say how much memory the GPU has). */
  memoryBudgetGiB: number;
  setMemoryBudgetGiB: (g: number) => void;
  startSweep: () => Promise<void>;
  cancelSweep: () => void;
  /** Loads results (an imported JSON or results attached to a link) without running. */
  loadResults: (r: SweepResults) => void;
  clearResults: () => void;
}

let controller: AbortController | null = null;

export const createSweepSlice: StateCreator<SweepSlice & GpuSlice & ComparisonSlice, [], [], SweepSlice> = (set, get) => ({
  sweepStatus: 'idle',
  sweepProgress: null,
  sweepPoints: [],
  sweepResults: null,
  sweepMessage: null,
  memoryBudgetGiB: 4,
  setMemoryBudgetGiB: (g) => set({ memoryBudgetGiB: g }),
  startSweep: async () => {
    if (get().sweepStatus === 'running') return;
    controller = new AbortController();
    const comparison = get().comparison;
    const gpu = get().gpu;
    const onGpu = gpu.status === 'ready';
    // Results attached to the link describe an earlier run: the link drops them.
    get().setAttachedResults(null);
    set({ sweepStatus: 'running', sweepPoints: [], sweepResults: null, sweepProgress: null, sweepMessage: onGpu ? null : 'No WebGPU: measuring on the slow float64 CPU path (prefill only, short lengths).' });
    const getEngine = async (): Promise<Engine> => {
      const current = get().gpu;
      if (current.status === 'ready' && !current.engine.isLost) return current.engine;
      await get().initGpu();
      const fresh = get().gpu;
      if (fresh.status !== 'ready') throw new Error(`No GPU device: ${fresh.status === 'unavailable' ? fresh.reason : 'still starting'}`);
      return fresh.engine;
    };
    try {
      const results = await runSweep(comparison, {
        getEngine: onGpu ? getEngine : undefined,
        signal: controller.signal,
        memoryBudgetBytes: get().memoryBudgetGiB * 2 ** 30,
        onPoint: (p) => set((s) => ({ sweepPoints: [...s.sweepPoints, p] })),
        onProgress: (p) => set({ sweepProgress: p }),
      });
      const failed = results.points.filter((p) => p.status === 'failed');
      set({
        sweepStatus: 'done',
        sweepResults: results,
        sweepMessage: failed.length ? `${failed.length} point${failed.length > 1 ? 's' : ''} failed: ${failed[0].reason}` : get().sweepMessage,
      });
    } catch (e) {
      if (e instanceof SweepCancelled) {
        set((s) => ({ sweepStatus: 'cancelled', sweepMessage: e.message, sweepResults: { adapter: onGpu && gpu.status === 'ready' ? gpu.report : { vendor: 'cpu', description: 'float64 CPU path' }, config: comparison, startedAt: new Date().toISOString(), points: s.sweepPoints } }));
      } else {
        set((s) => ({ sweepStatus: 'failed', sweepMessage: `The sweep stopped: ${(e as Error).message}. Points measured so far are kept.`, sweepResults: { adapter: gpu.status === 'ready' ? gpu.report : { vendor: 'cpu', description: 'float64 CPU path' }, config: comparison, startedAt: new Date().toISOString(), points: s.sweepPoints } }));
      }
    } finally {
      controller = null;
    }
  },
  cancelSweep: () => controller?.abort(),
  loadResults: (r) => set({ sweepResults: r, sweepPoints: r.points, sweepStatus: 'done', sweepProgress: null, sweepMessage: null }),
  clearResults: () => set({ sweepResults: null, sweepPoints: [], sweepStatus: 'idle', sweepProgress: null, sweepMessage: null }),
});
