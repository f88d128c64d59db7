// Store slice: running a sweep (progress, cancel) and its measured points.
import type { StateCreator } from 'zustand';
import type { SweepPoint, SweepProgress, SweepResults } from '../../measure/sweep';

export interface SweepSlice {
  sweepStatus: 'idle' | 'running' | 'done' | 'cancelled' | 'failed';
  sweepProgress: SweepProgress | null;
  sweepPoints: SweepPoint[];
  sweepResults: SweepResults | null;
  sweepMessage: string | null;
}

export const createSweepSlice: StateCreator<SweepSlice, [], [], SweepSlice> = () => ({
  sweepStatus: 'idle',
  sweepProgress: null,
  sweepPoints: [],
  sweepResults: null,
  sweepMessage: null,
});
