// Ready-made models: same-size families for a fair comparison (~120–130M parameters at d_model 768,
// vocabulary 50280, tied embeddings), the official Mamba shapes (parameter counts equal the released
// checkpoints), and tiny models for whole-model GPU tests.
//
// How the fair family is sized: Mamba's 24 layers hold 90.5M non-embedding parameters (129.1M in all).
// Attention + MLP layers are about twice as large as a Mamba layer, so the Transformer-like presets have
// 12 layers, with the MLP width chosen to land near the same total (hidden 2304 = 3·d; 2048 when the
// elementwise gate adds d² per layer). Jamba-style follows Jamba's layout (attention once per 8 layers at
// offset 4, an MLP after every mixer; dense MLPs in place of Jamba's mixture of experts) over 16 layers,
// the MLP narrowed to 896 to match the budget. The 3:1 Mamba / gated-attention hybrid keeps Mamba's 24
// layers without MLPs, one gated attention layer in four.

import { cloneModel, CONFIG_VERSION, DEFAULT_CHARTS, DEFAULT_SWEEP, deepEqual, type Comparison, type ModelConfig } from './config';
import { modelFromPattern, type PatternModelInput } from './build';

export type PresetFamily = 'same-size' | 'official-mamba' | 'tiny';

export interface Preset {
  /** Stable id used in links and on the command line. */
  id: string;
  label: string;
  /** One line for a menu or tooltip. */
  description: string;
  family: PresetFamily;
  config: ModelConfig;
}

const VOCAB = 50280; // GPT-NeoX tokenizer's 50277, padded to a multiple of 8 as the Mamba checkpoints are.

function preset(id: string, label: string, description: string, family: PresetFamily, input: Omit<PatternModelInput, 'name'>): Preset {
  return { id, label, description, family, config: modelFromPattern({ name: label, ...input }) };
}

const official = (size: string, dModel: number, layers: number) =>
  preset(`mamba-${size}`, `Mamba ${size.toUpperCase()}`, `Official state-spaces/mamba-${size} shapes: d_model ${dModel}, ${layers} Mamba layers, tied embeddings.`, 'official-mamba', {
    dModel,
    vocabSize: VOCAB,
    pattern: `M*${layers}`,
  });

const heads12 = { heads: 12, kvHeads: 12 };

const ALL: Preset[] = [
  preset('transformer', 'Transformer', 'Llama-style: 12 layers of softmax attention (12 heads, RoPE) + SwiGLU MLP.', 'same-size', {
    dModel: 768,
    vocabSize: VOCAB,
    pattern: 'A+*12',
    settings: { attention: heads12, mlp: { hidden: 2304 } },
  }),
  preset('transformer-gated', 'Transformer, gated attention', 'Transformer with a sigmoid gate on every attention output element; MLP narrowed to 2048 to keep the size.', 'same-size', {
    dModel: 768,
    vocabSize: VOCAB,
    pattern: 'G+*12',
    settings: { attention: heads12, mlp: { hidden: 2048 } },
  }),
  preset('transformer-gated-headwise', 'Transformer, head-gated attention', 'Transformer with one sigmoid gate per attention head.', 'same-size', {
    dModel: 768,
    vocabSize: VOCAB,
    pattern: 'Gh+*12',
    settings: { attention: heads12, mlp: { hidden: 2304 } },
  }),
  preset('mamba', 'Mamba', '24 Mamba layers, no MLP (the mamba-130m shape).', 'same-size', { dModel: 768, vocabSize: VOCAB, pattern: 'M*24' }),
  preset('jamba', 'Jamba-style hybrid', 'Attention in 1 of every 8 layers (mid-period), Mamba elsewhere, SwiGLU MLP after every mixer; 16 layers.', 'same-size', {
    dModel: 768,
    vocabSize: VOCAB,
    pattern: '(M+*4 A+ M+*3)x2',
    settings: { attention: heads12, mlp: { hidden: 896 } },
  }),
  preset('mamba-gated-attention', 'Mamba + gated attention 3:1', 'Three Mamba layers then one gated (elementwise) attention layer, six times; no MLP.', 'same-size', {
    dModel: 768,
    vocabSize: VOCAB,
    pattern: '(M M M G)x6',
    settings: { attention: heads12 },
  }),
  preset('gla', 'Gated linear attention', '12 layers of GLA (4 heads, expand_k 0.5) + SwiGLU MLP, as in the GLA paper.', 'same-size', {
    dModel: 768,
    vocabSize: VOCAB,
    pattern: 'L+*12',
    settings: { gla: { heads: 4, expandK: 0.5, expandV: 1 }, mlp: { hidden: 2304 } },
  }),
  official('130m', 768, 24),
  official('370m', 1024, 48),
  official('790m', 1536, 48),
  official('1.4b', 2048, 48),
  official('2.8b', 2560, 64),
  preset('tiny-mamba', 'Tiny Mamba', 'd_model 32, 2 Mamba layers, vocabulary 96: for whole-model tests.', 'tiny', { dModel: 32, vocabSize: 96, pattern: 'M*2' }),
  preset('tiny-transformer', 'Tiny Transformer', 'd_model 32, 2 layers of attention (4 heads of 8) + MLP (64), vocabulary 96, own lm_head.', 'tiny', {
    dModel: 32,
    vocabSize: 96,
    tiedEmbeddings: false,
    pattern: 'A+*2',
    settings: { attention: { heads: 4, kvHeads: 4 }, mlp: { hidden: 64 } },
  }),
  preset('tiny-hybrid', 'Tiny hybrid', 'd_model 64, Mamba, head-gated attention + MLP, GLA, gated attention + MLP; grouped KV heads (4/2); vocabulary 96.', 'tiny', {
    dModel: 64,
    vocabSize: 96,
    pattern: 'M Gh+ L G+',
    settings: { attention: { heads: 4, kvHeads: 2 }, gla: { heads: 2 }, mlp: { hidden: 128 } },
  }),
];

/** Every preset, in menu order. */
export const PRESETS: readonly Preset[] = ALL;

export function presetIds(): string[] {
  return ALL.map((p) => p.id);
}

export function getPreset(id: string): Preset | undefined {
  return ALL.find((p) => p.id === id);
}

/** A fresh copy of a preset's model (safe to edit), or undefined for an unknown id. */
export function presetModel(id: string): ModelConfig | undefined {
  const p = getPreset(id);
  return p ? cloneModel(p.config) : undefined;
}

/** The preset a model is an unchanged copy of, if any. */
export function matchPreset(config: ModelConfig): Preset | undefined {
  return ALL.find((p) => deepEqual(p.config, config));
}

/** What a new page (or an unreadable link) starts with: Transformer, Mamba and the Jamba-style hybrid. */
export function defaultComparison(): Comparison {
  return {
    version: CONFIG_VERSION,
    models: ['transformer', 'mamba', 'jamba'].map((id) => presetModel(id)!),
    sweep: { ...DEFAULT_SWEEP, modes: [...DEFAULT_SWEEP.modes] },
    charts: { ...DEFAULT_CHARTS, visible: [...DEFAULT_CHARTS.visible] },
  };
}
