// Store slice: the comparison being built (models, sweep settings, visible charts), the selected model, and
// the builder's edits of it. Every change goes through these actions; URL sync (url-sync.ts) subscribes to
// `comparison` and writes the link with `lastHistoryMode`.
//
// Actions that take user input return an error string (null when the change was kept). A candidate model
// is validated with validateModel before it is stored, so the store only ever holds valid models: a
// rejected edit leaves the last valid model in place. Layer edits act on the selected model.
import type { StateCreator } from 'zustand';
import { LIMITS, sanitizeName, validateModel, type Comparison, type ModelConfig } from '../../model/config';
import { defaultComparison, getPreset, presetModel } from '../../model/presets';
import { tryParsePattern } from '../../model/pattern';
import {
  changeLayerKind,
  insertLayer,
  issuesMessage,
  kindOfLayer,
  layerOfKind,
  layersFromCodes,
  moveLayer as moveLayerIn,
  patchKindSettings,
  patchLayer,
  removeLayerAt,
  setLayerMlp,
  setModelField as setModelFieldIn,
  type LayerKindChoice,
  type ModelField,
  type ModelFieldValue,
  type SettingsKind,
} from '../builder/edits';

/** How a change enters the browser history: 'push' for discrete actions (Back undoes them), 'replace' for typing. */
export type HistoryMode = 'push' | 'replace';

/** A message for the person at the page: what a link got wrong and what was ignored, or an error. */
export interface Notice {
  id: number;
  level: 'warning' | 'error';
  title: string;
  /** One line each (e.g. the link decoder's warnings). */
  details: string[];
}

/** Sequence lengths the live readouts offer. */
export const READOUT_LENGTHS = [128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072, 262144, 524288, 1048576] as const;

export interface ComparisonSlice {
  comparison: Comparison;
  /** Index of the model shown in the editor. */
  selectedModel: number;
  /** How the latest change should enter the history (read by url-sync). */
  lastHistoryMode: HistoryMode;
  /** Sequence length (tokens) the builder's live readouts are computed at. */
  readoutLength: number;
  notices: Notice[];
  /** The link's attached results (`r=`), carried through unchanged; null when none. */
  attachedResults: string | null;

  setComparison: (c: Comparison, mode?: HistoryMode) => void;
  setModel: (index: number, model: ModelConfig, mode?: HistoryMode) => void;
  selectModel: (index: number) => void;

  /** Adds a model (a preset's copy, or a copy of the selected model when no id) and selects it. */
  addModel: (presetId?: string) => string | null;
  /** Removes a model; the last one stays. */
  removeModel: (index: number) => string | null;
  renameModel: (index: number, name: string, mode?: HistoryMode) => string | null;
  /** Replaces the selected model with a copy of a preset (its name too). */
  applyPreset: (presetId: string) => string | null;

  /** Inserts a layer (default: after the last, of the last layer's kind and MLP). */
  addLayer: (kind?: LayerKindChoice, at?: number, withMlp?: boolean) => string | null;
  removeLayer: (index: number) => string | null;
  duplicateLayer: (index: number) => string | null;
  moveLayer: (from: number, to: number) => string | null;
  setLayerKind: (index: number, kind: LayerKindChoice) => string | null;
  /** Turns a layer's MLP on or off (toggles when `on` is left out). */
  toggleMlp: (index: number, on?: boolean) => string | null;
  setLayerSettings: (index: number, part: 'mixer' | 'mlp', patch: Readonly<Record<string, number>>, mode?: HistoryMode) => string | null;
  /** Settings for every layer of a kind at once. */
  setKindSettings: (kind: SettingsKind, patch: Readonly<Record<string, number>>, mode?: HistoryMode) => string | null;
  /** The stack from pattern text; the error names the column. */
  setPattern: (text: string, mode?: HistoryMode) => string | null;
  setModelField: (field: ModelField, value: ModelFieldValue, mode?: HistoryMode) => string | null;

  setReadoutLength: (seqLen: number) => void;
  setAttachedResults: (r: string | null) => void;
  addNotice: (level: Notice['level'], title: string, details?: string[]) => number;
  dismissNotice: (id: number) => void;
  clearNotices: () => void;
}

let nextNoticeId = 1;

export const createComparisonSlice: StateCreator<ComparisonSlice, [], [], ComparisonSlice> = (set, get) => {
  const selected = (): ModelConfig => {
    const s = get();
    return s.comparison.models[s.selectedModel] ?? s.comparison.models[0];
  };

  /** Validates a candidate for model `index` and keeps it, or returns why not. */
  const commitModel = (index: number, candidate: ModelConfig | string, mode: HistoryMode): string | null => {
    if (typeof candidate === 'string') return candidate;
    const r = validateModel(candidate);
    if (!r.ok) return issuesMessage(r.issues);
    set((s) => ({ comparison: { ...s.comparison, models: s.comparison.models.map((m, i) => (i === index ? r.value : m)) }, lastHistoryMode: mode }));
    return null;
  };
  const commitSelected = (edit: (m: ModelConfig) => ModelConfig | string, mode: HistoryMode): string | null => {
    const index = Math.min(get().selectedModel, get().comparison.models.length - 1);
    return commitModel(index, edit(selected()), mode);
  };
  const layerExists = (index: number): string | null =>
    Number.isInteger(index) && index >= 0 && index < selected().layers.length ? null : `there is no layer ${index + 1}`;

  return {
    comparison: defaultComparison(),
    selectedModel: 0,
    lastHistoryMode: 'replace',
    readoutLength: 2048,
    notices: [],
    attachedResults: null,

    setComparison: (comparison, mode = 'push') =>
      set((s) => ({ comparison, lastHistoryMode: mode, selectedModel: Math.max(0, Math.min(s.selectedModel, comparison.models.length - 1)) })),
    setModel: (index, model, mode = 'replace') =>
      set((s) => ({ comparison: { ...s.comparison, models: s.comparison.models.map((m, i) => (i === index ? model : m)) }, lastHistoryMode: mode })),
    selectModel: (index) => set((s) => ({ selectedModel: Math.max(0, Math.min(index, s.comparison.models.length - 1)) })),

    addModel: (presetId) => {
      const { comparison } = get();
      if (comparison.models.length >= LIMITS.models[1]) return `a comparison holds at most ${LIMITS.models[1]} models; remove one first`;
      let model: ModelConfig | undefined;
      if (presetId !== undefined) {
        model = presetModel(presetId);
        if (!model) return `unknown preset '${presetId}'`;
      } else {
        const base = selected();
        model = { ...base, layers: base.layers.map((l) => ({ mixer: l.mixer ? { ...l.mixer } : null, mlp: l.mlp ? { ...l.mlp } : null })), name: sanitizeName(`Copy of ${base.name}`) };
      }
      set((s) => ({ comparison: { ...s.comparison, models: [...s.comparison.models, model] }, selectedModel: s.comparison.models.length, lastHistoryMode: 'push' }));
      return null;
    },
    removeModel: (index) => {
      const { comparison } = get();
      if (comparison.models.length <= 1) return 'a comparison needs at least one model';
      if (!comparison.models[index]) return `there is no model ${index + 1}`;
      set((s) => {
        const models = s.comparison.models.filter((_, i) => i !== index);
        const sel = s.selectedModel > index || s.selectedModel >= models.length ? Math.max(0, s.selectedModel - 1) : s.selectedModel;
        return { comparison: { ...s.comparison, models }, selectedModel: sel, lastHistoryMode: 'push' };
      });
      return null;
    },
    renameModel: (index, name, mode = 'replace') => {
      const model = get().comparison.models[index];
      if (!model) return `there is no model ${index + 1}`;
      const clean = sanitizeName(name);
      if (clean === '') return 'name: must not be empty';
      if (/[<>\u0000-\u001f\u007f-\u009f]/.test(name)) return 'name: must be plain text, without angle brackets or control characters';
      if (Array.from(name.trim()).length > LIMITS.nameChars) return `name: at most ${LIMITS.nameChars} characters`;
      return commitModel(index, { ...model, name: clean }, mode);
    },
    applyPreset: (presetId) => {
      const p = getPreset(presetId);
      if (!p) return `unknown preset '${presetId}'`;
      return commitSelected(() => presetModel(presetId)!, 'push');
    },

    addLayer: (kind, at, withMlp) =>
      commitSelected((m) => {
        const last = m.layers[m.layers.length - 1];
        const k = kind ?? kindOfLayer(last);
        const layer = layerOfKind(m, k, k === 'mlp-only' ? true : (withMlp ?? last.mlp !== null));
        return insertLayer(m, at ?? m.layers.length, layer);
      }, 'push'),
    removeLayer: (index) =>
      layerExists(index) ?? (selected().layers.length <= 1 ? 'a model needs at least one layer' : commitSelected((m) => removeLayerAt(m, index), 'push')),
    duplicateLayer: (index) => layerExists(index) ?? commitSelected((m) => insertLayer(m, index + 1, structuredClone(m.layers[index])), 'push'),
    moveLayer: (from, to) => {
      const missing = layerExists(from);
      if (missing) return missing;
      const n = selected().layers.length;
      const target = Math.max(0, Math.min(n - 1, to));
      if (target === from) return null;
      return commitSelected((m) => moveLayerIn(m, from, target), 'push');
    },
    setLayerKind: (index, kind) => layerExists(index) ?? commitSelected((m) => changeLayerKind(m, index, kind), 'push'),
    toggleMlp: (index, on) => layerExists(index) ?? commitSelected((m) => setLayerMlp(m, index, on ?? m.layers[index].mlp === null), 'push'),
    setLayerSettings: (index, part, patch, mode = 'replace') => layerExists(index) ?? commitSelected((m) => patchLayer(m, index, part, patch), mode),
    setKindSettings: (kind, patch, mode = 'replace') => commitSelected((m) => patchKindSettings(m, kind, patch), mode),
    setPattern: (text, mode = 'replace') => {
      const r = tryParsePattern(text);
      if (!r.ok) return r.error.message;
      return commitSelected((m) => ({ ...m, layers: layersFromCodes(m, r.layers) }), mode);
    },
    setModelField: (field, value, mode = 'replace') => commitSelected((m) => setModelFieldIn(m, field, value), mode),

    setReadoutLength: (seqLen) => set({ readoutLength: Math.max(LIMITS.seqLen[0], Math.min(LIMITS.seqLen[1], Math.round(seqLen))) }),
    setAttachedResults: (r) => set({ attachedResults: r }),
    addNotice: (level, title, details = []) => {
      const id = nextNoticeId++;
      set((s) => ({ notices: [...s.notices, { id, level, title, details }] }));
      return id;
    },
    dismissNotice: (id) => set((s) => ({ notices: s.notices.filter((n) => n.id !== id) })),
    clearNotices: () => set({ notices: [] }),
  };
};
