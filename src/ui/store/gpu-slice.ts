// Store slice: the WebGPU engine (or why there is none).
import type { StateCreator } from 'zustand';
import { probeGpu, type GpuProbe } from '../gpu-probe';

export interface GpuSlice {
  gpu: GpuProbe;
  initGpu: () => Promise<void>;
}

export const createGpuSlice: StateCreator<GpuSlice, [], [], GpuSlice> = (set, get) => ({
  gpu: { status: 'checking' },
  initGpu: async () => {
    const current = get().gpu;
    if (current.status === 'ready' && !current.engine.isLost) return;
    set({ gpu: { status: 'checking' } });
    const probe = await probeGpu();
    set({ gpu: probe });
    if (probe.status === 'ready') {
      void probe.engine.lost.then((err) => {
        if (get().gpu === probe) set({ gpu: { status: 'unavailable', reason: `${err.message} Reload or press "Retry GPU".` } });
      });
    }
  },
});
