// Pure edits of one model for the builder: each takes a ModelConfig and returns a candidate model (or an
// error string when the edit cannot be expressed at all). The store validates every candidate with
// validateModel before keeping it, so nothing here needs to guarantee validity.
//
// Dimensions: d = dModel. Kind settings are the model-level settings per layer kind (the most common
// settings among that kind's layers, from describeModel), with 'auto' for dtRank / headDim / hidden when
// they equal the d-derived default.

import {
  autoDtRank,
  autoMlpHidden,
  cloneModel,
  formatIssues,
  LIMITS,
  type LayerConfig,
  type MixerConfig,
  type ModelConfig,
  type ValidationIssue,
} from '../../model/config';
import { buildLayers, buildModel, describeModel, layerCodeOf, resolveMixer, type AttentionSettings, type KindSettings } from '../../model/build';
import type { LayerCode, MixerCode } from '../../model/pattern';
import type { KvCacheFormat, WeightFormat } from '../../model/storage-format';

/** What a layer is, as the stack editor's kind menu offers it. */
export type LayerKindChoice = 'mamba' | 'attention' | 'gated-elementwise' | 'gated-headwise' | 'gla' | 'mlp-only';

export const LAYER_KIND_LABELS: Record<LayerKindChoice, string> = {
  mamba: 'Mamba',
  attention: 'Attention',
  'gated-elementwise': 'Gated attention (per element)',
  'gated-headwise': 'Gated attention (per head)',
  gla: 'GLA',
  'mlp-only': 'MLP only',
};
export const LAYER_KIND_CHOICES = Object.keys(LAYER_KIND_LABELS) as LayerKindChoice[];

const LETTER_OF: Record<Exclude<LayerKindChoice, 'mlp-only'>, MixerCode> = { mamba: 'M', attention: 'A', 'gated-elementwise': 'G', 'gated-headwise': 'Gh', gla: 'L' };

/** The kind menu entry of a layer. */
export function kindOfLayer(layer: LayerConfig): LayerKindChoice {
  const m = layer.mixer;
  if (!m) return 'mlp-only';
  if (m.kind === 'mamba') return 'mamba';
  if (m.kind === 'gla') return 'gla';
  return m.gate === 'none' ? 'attention' : m.gate === 'headwise' ? 'gated-headwise' : 'gated-elementwise';
}

/** "Mamba", "Attention + MLP", "MLP only": how a layer is named to people (row labels, aria). */
export function layerLabel(layer: LayerConfig): string {
  const kind = kindOfLayer(layer);
  return kind === 'mlp-only' ? LAYER_KIND_LABELS[kind] : layer.mlp ? `${LAYER_KIND_LABELS[kind]} + MLP` : LAYER_KIND_LABELS[kind];
}

/** Model-level settings per kind (most common among the model's layers; defaults for kinds it lacks). */
export function kindSettingsOf(model: ModelConfig): KindSettings {
  return describeModel(model).settings;
}

/** Kind settings with 'auto' resolved to the numbers they stand for at the model's d_model. */
export function resolvedKindSettings(model: ModelConfig): {
  mamba: { dState: number; dConv: number; expand: number; dtRank: number };
  attention: { heads: number; kvHeads: number; headDim: number; ropeBase: number };
  gla: KindSettings['gla'];
  mlp: { hidden: number };
  auto: { dtRank: boolean; headDim: boolean; hidden: boolean };
} {
  const s = kindSettingsOf(model);
  const d = model.dModel;
  return {
    mamba: { ...s.mamba, dtRank: s.mamba.dtRank === 'auto' ? autoDtRank(d) : s.mamba.dtRank },
    attention: { ...s.attention, headDim: s.attention.headDim === 'auto' ? Math.max(1, Math.floor(d / s.attention.heads)) : s.attention.headDim },
    gla: s.gla,
    mlp: { hidden: s.mlp.hidden === 'auto' ? autoMlpHidden(d) : s.mlp.hidden },
    auto: { dtRank: s.mamba.dtRank === 'auto', headDim: s.attention.headDim === 'auto', hidden: s.mlp.hidden === 'auto' },
  };
}

const withLayers = (model: ModelConfig, layers: LayerConfig[]): ModelConfig => ({ ...model, layers });

const copyLayer = (l: LayerConfig): LayerConfig => ({ mixer: l.mixer ? { ...l.mixer } : null, mlp: l.mlp ? { ...l.mlp } : null });

/** A new layer of a kind, its settings from the model's kind settings. */
export function layerOfKind(model: ModelConfig, kind: LayerKindChoice, withMlp: boolean): LayerConfig {
  const code: LayerCode = kind === 'mlp-only' ? 'F' : withMlp ? `${LETTER_OF[kind]}+` : LETTER_OF[kind];
  return buildLayers([code], kindSettingsOf(model), model.dModel)[0];
}

/** Moves one item of a list to another index (both clamped to the list). */
export function moveItem<T>(list: readonly T[], from: number, to: number): T[] {
  const out = [...list];
  const f = Math.max(0, Math.min(out.length - 1, from));
  const t = Math.max(0, Math.min(out.length - 1, to));
  const [item] = out.splice(f, 1);
  out.splice(t, 0, item);
  return out;
}

export function insertLayer(model: ModelConfig, at: number, layer: LayerConfig): ModelConfig {
  const layers = model.layers.map(copyLayer);
  layers.splice(Math.max(0, Math.min(layers.length, at)), 0, layer);
  return withLayers(model, layers);
}

export function removeLayerAt(model: ModelConfig, index: number): ModelConfig {
  return withLayers(model, model.layers.filter((_, i) => i !== index).map(copyLayer));
}

export function moveLayer(model: ModelConfig, from: number, to: number): ModelConfig {
  return withLayers(model, moveItem(model.layers, from, to).map(copyLayer));
}

/** A layer changed to another kind; switching among plain and gated attention keeps its attention settings. */
export function changeLayerKind(model: ModelConfig, index: number, kind: LayerKindChoice): ModelConfig {
  const old = model.layers[index];
  let next: LayerConfig;
  if (kind === 'mlp-only') {
    next = { mixer: null, mlp: old.mlp ? { ...old.mlp } : layerOfKind(model, 'mlp-only', true).mlp };
  } else {
    const fresh = layerOfKind(model, kind, false).mixer as MixerConfig;
    const mixer: MixerConfig = fresh.kind === 'attention' && old.mixer?.kind === 'attention' ? { ...old.mixer, gate: fresh.gate } : fresh;
    next = { mixer, mlp: old.mlp ? { ...old.mlp } : null };
  }
  return withLayers(model, model.layers.map((l, i) => (i === index ? next : copyLayer(l))));
}

/** Adds or removes a layer's MLP; an MLP-only layer cannot lose its MLP. */
export function setLayerMlp(model: ModelConfig, index: number, on: boolean): ModelConfig | string {
  const old = model.layers[index];
  if (!on && !old.mixer) return `layer ${index + 1} is MLP only: pick a mixer for it before removing its MLP`;
  const mlp = on ? (old.mlp ? { ...old.mlp } : layerOfKind(model, 'mlp-only', true).mlp) : null;
  return withLayers(model, model.layers.map((l, i) => (i === index ? { mixer: l.mixer ? { ...l.mixer } : null, mlp } : copyLayer(l))));
}

/** The settings of one layer's mixer or MLP, changed by a patch of numbers. */
export function patchLayer(model: ModelConfig, index: number, part: 'mixer' | 'mlp', patch: Readonly<Record<string, number>>): ModelConfig | string {
  const old = model.layers[index];
  if (!old) return `there is no layer ${index + 1}`;
  if (part === 'mlp') {
    if (!old.mlp) return `layer ${index + 1} has no MLP`;
    const layer = { mixer: old.mixer ? { ...old.mixer } : null, mlp: { ...old.mlp, ...patch } };
    return withLayers(model, model.layers.map((l, i) => (i === index ? layer : copyLayer(l))));
  }
  if (!old.mixer) return `layer ${index + 1} has no mixer`;
  let mixer = { ...old.mixer, ...patch } as MixerConfig;
  // Heads and key/value heads move together while they are equal (plain multi-head attention).
  if (old.mixer.kind === 'attention' && mixer.kind === 'attention' && patch.heads !== undefined && patch.kvHeads === undefined && old.mixer.kvHeads === old.mixer.heads)
    mixer = { ...mixer, kvHeads: mixer.heads };
  return withLayers(model, model.layers.map((l, i) => (i === index ? { mixer, mlp: l.mlp ? { ...l.mlp } : null } : copyLayer(l))));
}

export type SettingsKind = keyof KindSettings;

/** New settings for every layer of a kind (per-layer differences of that kind are replaced). */
export function patchKindSettings(model: ModelConfig, kind: SettingsKind, patch: Readonly<Record<string, number>>): ModelConfig | string {
  const d = model.dModel;
  const settings = kindSettingsOf(model);
  let next: KindSettings;
  if (kind === 'attention') {
    const old = settings.attention;
    const merged: AttentionSettings = { ...old, ...patch };
    if (patch.heads !== undefined && patch.kvHeads === undefined && old.kvHeads === old.heads) merged.kvHeads = merged.heads;
    if (merged.headDim === 'auto' && Number.isInteger(merged.heads) && merged.heads > 0 && d % merged.heads !== 0)
      return `heads: d_model ${d} is not divisible by ${merged.heads} heads (head dim is d_model / heads; set head dim to choose another)`;
    next = { ...settings, attention: merged };
  } else {
    next = { ...settings, [kind]: { ...settings[kind], ...patch } } as KindSettings;
  }
  const layers = model.layers.map((l): LayerConfig => {
    const code = layerCodeOf(l);
    const letter = (code.endsWith('+') ? code.slice(0, -1) : code) as MixerCode | 'F';
    const mixerKind = l.mixer?.kind;
    const mixer = l.mixer && mixerKind === kind && letter !== 'F' ? resolveMixer(letter, next, d) : l.mixer ? { ...l.mixer } : null;
    const mlp = l.mlp && kind === 'mlp' ? { kind: 'swiglu' as const, hidden: next.mlp.hidden === 'auto' ? autoMlpHidden(d) : next.mlp.hidden } : l.mlp ? { ...l.mlp } : null;
    return { mixer, mlp };
  });
  return withLayers(model, layers);
}

/**
 * Layers for new pattern codes. A layer keeps the settings of the layer at the same index when the kinds
 * agree (so retyping `M*24` as `M*23 A` keeps the Mamba layers as they were); new layers take the kind
 * settings.
 */
export function layersFromCodes(model: ModelConfig, codes: readonly LayerCode[]): LayerConfig[] {
  const built = buildLayers(codes, kindSettingsOf(model), model.dModel);
  return built.map((layer, i) => {
    const old = model.layers[i];
    if (!old) return layer;
    let mixer = layer.mixer;
    if (mixer && old.mixer && mixer.kind === old.mixer.kind) mixer = mixer.kind === 'attention' && old.mixer.kind === 'attention' ? { ...old.mixer, gate: mixer.gate } : { ...old.mixer };
    const mlp = layer.mlp && old.mlp ? { ...old.mlp } : layer.mlp;
    return { mixer, mlp };
  });
}

export type ModelField = 'vocabSize' | 'dModel' | 'normEps' | 'batch' | 'tiedEmbeddings' | 'weightFormat' | 'kvCacheFormat';
/** A model-level setting's value: a number, tiedEmbeddings' boolean, weightFormat's or kvCacheFormat's format. */
export type ModelFieldValue = number | boolean | WeightFormat | KvCacheFormat;

/**
 * A model-level setting changed. A new d_model re-derives what follows it ('auto' Mamba Δ rank, head dim,
 * MLP width) exactly as a preset written for that d_model would.
 */
export function setModelField(model: ModelConfig, field: ModelField, value: ModelFieldValue): ModelConfig | string {
  if (field !== 'dModel') return { ...cloneModel(model), [field]: value };
  const d = value as number;
  if (!Number.isInteger(d) || d < LIMITS.dModel[0] || d > LIMITS.dModel[1]) return `d_model: must be an integer from ${LIMITS.dModel[0]} to ${LIMITS.dModel[1]}, got ${d}`;
  const desc = describeModel(model);
  const heads = desc.settings.attention.heads;
  if (model.layers.some((l) => l.mixer?.kind === 'attention') && desc.settings.attention.headDim === 'auto' && d % heads !== 0)
    return `d_model: ${d} is not divisible by ${heads} attention heads (head dim is d_model / heads; change the heads first)`;
  return buildModel({ ...desc, dModel: d });
}

// ---- messages -----------------------------------------------------------------------------------

const FIELD_NAMES: Record<string, string> = {
  dModel: 'd_model',
  vocabSize: 'vocabulary',
  normEps: 'norm eps',
  batch: 'batch',
  tiedEmbeddings: 'tied embeddings',
  weightFormat: 'weights',
  kvCacheFormat: 'KV cache',
  name: 'name',
  dState: 'd_state',
  dConv: 'd_conv',
  expand: 'expand',
  dtRank: 'dt_rank',
  heads: 'heads',
  kvHeads: 'KV heads',
  headDim: 'head dim',
  ropeBase: 'RoPE base',
  expandK: 'expand K',
  expandV: 'expand V',
  hidden: 'MLP hidden',
};

/** `layers[3].mixer.heads` -> `layer 4 heads`; `dModel` -> `d_model`. */
export function friendlyPath(path: string): string {
  return path
    .replace(/^models\[(\d+)\]\.?/, (_, i: string) => `model ${Number(i) + 1} `)
    .replace(/layers\[(\d+)\]\.?/, (_, i: string) => `layer ${Number(i) + 1} `)
    .replace(/(mixer|mlp)\.?/, '')
    .replace(/[A-Za-z]+$/, (k) => FIELD_NAMES[k] ?? k)
    .trim();
}

/** The message a field shows for a rejected candidate: the first issue, and how many more there are. */
export function issuesMessage(issues: readonly ValidationIssue[]): string {
  if (issues.length === 0) return '';
  const first = issues[0];
  const text = formatIssues([{ path: friendlyPath(first.path), message: first.message }]);
  return issues.length > 1 ? `${text} (and ${issues.length - 1} more)` : text;
}
