// Between the two forms of a model: the list form (ModelConfig, one settings object per layer) and the
// described form (a stack pattern + one settings object per kind + the few layers that differ). Presets
// and the URL codec are written in the described form; the runner and the cost model read the list form.
// buildModel(describeModel(m)) equals m for every valid model.
//
// Dimensions: d = dModel. 'auto' values: Mamba dtRank = ceil(d/16), attention headDim = d / heads,
// MLP hidden = 8/3·d rounded up to a multiple of 64.

import {
  autoAttentionHeads,
  autoDtRank,
  autoMlpHidden,
  deepEqual,
  DEFAULT_NORM_EPS,
  DEFAULT_ROPE_BASE,
  DEFAULT_VOCAB_SIZE,
  type AttentionGate,
  type LayerConfig,
  type MixerConfig,
  type ModelConfig,
} from './config';
import type { KvCacheFormat, WeightFormat } from './storage-format';
import { formatPattern, parsePattern, type LayerCode, type MixerCode } from './pattern';

export interface MambaSettings { dState: number; dConv: number; expand: number; dtRank: number | 'auto' }
/** Shared by plain and gated attention; the gate comes from the pattern letter (A, G, Gh). */
export interface AttentionSettings { heads: number; kvHeads: number; headDim: number | 'auto'; ropeBase: number }
export interface GlaSettings { heads: number; expandK: number; expandV: number }
export interface MlpSettings { hidden: number | 'auto' }

/** Model-level settings per layer kind. */
export interface KindSettings {
  mamba: MambaSettings;
  attention: AttentionSettings;
  gla: GlaSettings;
  mlp: MlpSettings;
}

/** A layer whose settings differ from its kinds' model-level settings (resolved numbers, no 'auto'). */
export interface LayerOverride {
  /** 0-based layer index. */
  index: number;
  mixer?: MambaSettings | AttentionSettings | GlaSettings;
  mlp?: { hidden: number };
}

export interface ModelDescription {
  name: string;
  vocabSize: number;
  dModel: number;
  normEps: number;
  tiedEmbeddings: boolean;
  weightFormat: WeightFormat;
  kvCacheFormat: KvCacheFormat;
  batch: number;
  pattern: string;
  settings: KindSettings;
  overrides: LayerOverride[];
}

/** The settings a new model gets for each kind (official Mamba, 64-wide attention heads, fla's GLA). */
export function defaultKindSettings(dModel: number): KindSettings {
  const heads = autoAttentionHeads(dModel);
  return {
    mamba: { dState: 16, dConv: 4, expand: 2, dtRank: 'auto' },
    attention: { heads, kvHeads: heads, headDim: 'auto', ropeBase: DEFAULT_ROPE_BASE },
    gla: { heads: 4, expandK: 0.5, expandV: 1 },
    mlp: { hidden: 'auto' },
  };
}

const GATE_OF: Record<'A' | 'G' | 'Gh', AttentionGate> = { A: 'none', G: 'elementwise', Gh: 'headwise' };

/** The pattern letter of a layer. */
export function layerCodeOf(layer: LayerConfig): LayerCode {
  const m = layer.mixer;
  if (!m) return 'F';
  const letter: MixerCode = m.kind === 'mamba' ? 'M' : m.kind === 'gla' ? 'L' : m.gate === 'none' ? 'A' : m.gate === 'headwise' ? 'Gh' : 'G';
  return layer.mlp ? `${letter}+` : letter;
}

/** The stack pattern of a model, shortest form. */
export function patternOf(config: Pick<ModelConfig, 'layers'>): string {
  return formatPattern(config.layers.map(layerCodeOf));
}

function splitCode(code: LayerCode): { mixer: MixerCode | null; mlp: boolean } {
  if (code === 'F') return { mixer: null, mlp: true };
  const mlp = code.endsWith('+');
  return { mixer: (mlp ? code.slice(0, -1) : code) as MixerCode, mlp };
}

/** The mixer of a layer with the given letter, from kind settings (or an override of the same kind). */
export function resolveMixer(letter: MixerCode, settings: KindSettings, dModel: number, override?: LayerOverride['mixer']): MixerConfig {
  switch (letter) {
    case 'M': {
      const s = (override as MambaSettings | undefined) ?? settings.mamba;
      return { kind: 'mamba', dState: s.dState, dConv: s.dConv, expand: s.expand, dtRank: s.dtRank === 'auto' ? autoDtRank(dModel) : s.dtRank };
    }
    case 'L': {
      const s = (override as GlaSettings | undefined) ?? settings.gla;
      return { kind: 'gla', heads: s.heads, expandK: s.expandK, expandV: s.expandV };
    }
    default: {
      const s = (override as AttentionSettings | undefined) ?? settings.attention;
      const headDim = s.headDim === 'auto' ? Math.max(1, Math.floor(dModel / s.heads)) : s.headDim;
      return { kind: 'attention', heads: s.heads, kvHeads: s.kvHeads, headDim, ropeBase: s.ropeBase, gate: GATE_OF[letter] };
    }
  }
}

/** Which settings an override of a mixer letter holds. */
export function overrideKindOf(letter: MixerCode): 'mamba' | 'attention' | 'gla' {
  return letter === 'M' ? 'mamba' : letter === 'L' ? 'gla' : 'attention';
}

/** Layers from codes and kind settings. Overrides for missing layers are ignored. */
export function buildLayers(codes: readonly LayerCode[], settings: KindSettings, dModel: number, overrides: readonly LayerOverride[] = []): LayerConfig[] {
  const byIndex = new Map(overrides.map((o) => [o.index, o]));
  return codes.map((code, i) => {
    const { mixer, mlp } = splitCode(code);
    const o = byIndex.get(i);
    const hidden = o?.mlp?.hidden ?? settings.mlp.hidden;
    return {
      mixer: mixer ? resolveMixer(mixer, settings, dModel, o?.mixer) : null,
      mlp: mlp ? { kind: 'swiglu', hidden: hidden === 'auto' ? autoMlpHidden(dModel) : hidden } : null,
    };
  });
}

/** Input for a model made from a pattern; what is left out takes the defaults. */
export interface PatternModelInput {
  name: string;
  dModel: number;
  pattern: string;
  vocabSize?: number;
  normEps?: number;
  tiedEmbeddings?: boolean;
  weightFormat?: WeightFormat;
  kvCacheFormat?: KvCacheFormat;
  batch?: number;
  settings?: { [K in keyof KindSettings]?: Partial<KindSettings[K]> };
  overrides?: LayerOverride[];
}

/** A model from a pattern and per-kind settings. Throws PatternError on a bad pattern. */
export function modelFromPattern(input: PatternModelInput): ModelConfig {
  const base = defaultKindSettings(input.dModel);
  const s = input.settings ?? {};
  const settings: KindSettings = {
    mamba: { ...base.mamba, ...s.mamba },
    attention: { ...base.attention, ...(s.attention?.heads !== undefined && s.attention.kvHeads === undefined ? { kvHeads: s.attention.heads } : {}), ...s.attention },
    gla: { ...base.gla, ...s.gla },
    mlp: { ...base.mlp, ...s.mlp },
  };
  return buildModel({
    name: input.name,
    vocabSize: input.vocabSize ?? DEFAULT_VOCAB_SIZE,
    dModel: input.dModel,
    normEps: input.normEps ?? DEFAULT_NORM_EPS,
    tiedEmbeddings: input.tiedEmbeddings ?? true,
    weightFormat: input.weightFormat ?? 'f32',
    kvCacheFormat: input.kvCacheFormat ?? 'f32',
    batch: input.batch ?? 1,
    pattern: input.pattern,
    settings,
    overrides: input.overrides ?? [],
  });
}

/** The list form of a described model. Throws PatternError on a bad pattern. */
export function buildModel(d: ModelDescription): ModelConfig {
  return {
    name: d.name,
    vocabSize: d.vocabSize,
    dModel: d.dModel,
    normEps: d.normEps,
    tiedEmbeddings: d.tiedEmbeddings,
    weightFormat: d.weightFormat,
    kvCacheFormat: d.kvCacheFormat,
    batch: d.batch,
    layers: buildLayers(parsePattern(d.pattern), d.settings, d.dModel, d.overrides),
  };
}

/** The described form: the pattern, the most common settings per kind, and the layers that differ. */
export function describeModel(config: ModelConfig): ModelDescription {
  const d = config.dModel;
  const settings = defaultKindSettings(d);
  const mambas: MambaSettings[] = [];
  const attns: AttentionSettings[] = [];
  const glas: GlaSettings[] = [];
  const hiddens: number[] = [];
  for (const l of config.layers) {
    const m = l.mixer;
    if (m?.kind === 'mamba') mambas.push({ dState: m.dState, dConv: m.dConv, expand: m.expand, dtRank: m.dtRank });
    else if (m?.kind === 'attention') attns.push({ heads: m.heads, kvHeads: m.kvHeads, headDim: m.headDim, ropeBase: m.ropeBase });
    else if (m?.kind === 'gla') glas.push({ heads: m.heads, expandK: m.expandK, expandV: m.expandV });
    if (l.mlp) hiddens.push(l.mlp.hidden);
  }
  if (mambas.length > 0) {
    const s = mostCommon(mambas);
    settings.mamba = { ...s, dtRank: s.dtRank === autoDtRank(d) ? 'auto' : s.dtRank };
  }
  if (attns.length > 0) {
    const s = mostCommon(attns);
    settings.attention = { ...s, headDim: d % s.heads === 0 && s.headDim === d / s.heads ? 'auto' : s.headDim };
  }
  if (glas.length > 0) settings.gla = mostCommon(glas);
  if (hiddens.length > 0) {
    const h = mostCommon(hiddens);
    settings.mlp = { hidden: h === autoMlpHidden(d) ? 'auto' : h };
  }
  const codes = config.layers.map(layerCodeOf);
  const plain = buildLayers(codes, settings, d);
  const overrides: LayerOverride[] = [];
  config.layers.forEach((l, i) => {
    const o: LayerOverride = { index: i };
    const m = l.mixer;
    if (m && !deepEqual(m, plain[i].mixer)) {
      o.mixer =
        m.kind === 'mamba'
          ? { dState: m.dState, dConv: m.dConv, expand: m.expand, dtRank: m.dtRank }
          : m.kind === 'gla'
            ? { heads: m.heads, expandK: m.expandK, expandV: m.expandV }
            : { heads: m.heads, kvHeads: m.kvHeads, headDim: m.headDim, ropeBase: m.ropeBase };
    }
    if (l.mlp && l.mlp.hidden !== plain[i].mlp?.hidden) o.mlp = { hidden: l.mlp.hidden };
    if (o.mixer || o.mlp) overrides.push(o);
  });
  return {
    name: config.name,
    vocabSize: config.vocabSize,
    dModel: d,
    normEps: config.normEps,
    tiedEmbeddings: config.tiedEmbeddings,
    weightFormat: config.weightFormat,
    kvCacheFormat: config.kvCacheFormat,
    batch: config.batch,
    pattern: formatPattern(codes),
    settings,
    overrides,
  };
}

function mostCommon<T>(items: T[]): T {
  const counts = new Map<string, { item: T; n: number }>();
  let best: { item: T; n: number } | undefined;
  for (const item of items) {
    const key = JSON.stringify(item);
    const e = counts.get(key) ?? { item, n: 0 };
    e.n++;
    counts.set(key, e);
    if (!best || e.n > best.n) best = e;
  }
  return best!.item;
}

