// The app's one zustand store, made of slices; components select narrow fields.
import { create } from 'zustand';
import { createGpuSlice, type GpuSlice } from './gpu-slice';

export type AppState = GpuSlice;

export const useAppStore = create<AppState>()((...a) => ({
  ...createGpuSlice(...a),
}));
