// The app's one zustand store, made of slices; components select narrow fields, and code outside React
// (the URL sync, the sweep runner) calls the store's actions directly.
import { create } from 'zustand';
import { createGpuSlice, type GpuSlice } from './gpu-slice';
import { createComparisonSlice, type ComparisonSlice } from './comparison-slice';
import { createSweepSlice, type SweepSlice } from './sweep-slice';

export type AppState = GpuSlice & ComparisonSlice & SweepSlice;

export const useAppStore = create<AppState>()((...a) => ({
  ...createGpuSlice(...a),
  ...createComparisonSlice(...a),
  ...createSweepSlice(...a),
}));
