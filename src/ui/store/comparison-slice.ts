// Store slice: the comparison being built (models, sweep settings, visible charts) and the selected model.
// Every change goes through these actions; URL sync (url-sync.ts) subscribes to `comparison`.
import type { StateCreator } from 'zustand';
import type { Comparison, ModelConfig } from '../../model/config';
import { defaultComparison } from '../../model/presets';

/** How a change enters the browser history: 'push' for discrete actions (Back undoes them), 'replace' for typing. */
export type HistoryMode = 'push' | 'replace';

export interface ComparisonSlice {
  comparison: Comparison;
  /** Index of the model shown in the editor. */
  selectedModel: number;
  /** How the latest change should enter the history (read by url-sync). */
  lastHistoryMode: HistoryMode;
  setComparison: (c: Comparison, mode?: HistoryMode) => void;
  setModel: (index: number, model: ModelConfig, mode?: HistoryMode) => void;
  selectModel: (index: number) => void;
}

export const createComparisonSlice: StateCreator<ComparisonSlice, [], [], ComparisonSlice> = (set) => ({
  comparison: defaultComparison(),
  selectedModel: 0,
  lastHistoryMode: 'replace',
  setComparison: (comparison, mode = 'push') => set((s) => ({ comparison, lastHistoryMode: mode, selectedModel: Math.min(s.selectedModel, comparison.models.length - 1) })),
  setModel: (index, model, mode = 'replace') =>
    set((s) => ({ comparison: { ...s.comparison, models: s.comparison.models.map((m, i) => (i === index ? model : m)) }, lastHistoryMode: mode })),
  selectModel: (index) => set({ selectedModel: index }),
});
