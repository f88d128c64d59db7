// The one table from a block kind to its implementation: the GPU block factory, the seeded initialisation
// (as each reference initialises it) and the float64 forward twin. mamba_ssm-style: unknown kinds are
// rejected here with a clear error, so nothing else switches on kinds.

import type { Engine } from '../engine/engine';
import type { MixerConfig, MlpConfig } from './config';
import type { BlockRefOptions, HostWeights, SequenceBlock } from './mixer';
import type { BlockStorage } from './storage-format';
import { createMambaBlock, initMambaWeights, mambaBlockRef } from './blocks/mamba';
import { attentionBlockRef, createAttentionBlock, initAttentionWeights } from './blocks/attention';
import { createGlaBlock, glaBlockRef, initGlaWeights } from './blocks/gla';
import { createMlpBlock, initMlpWeights, mlpBlockRef } from './blocks/mlp';

export interface BlockSpec<C> {
  create(engine: Engine, cfg: C, dModel: number, weights: HostWeights, storage: BlockStorage): SequenceBlock;
  init(cfg: C, dModel: number, rng: () => number): HostWeights;
  /** Float64 forward of x (B, L, d) -> (B, L, d). */
  ref(cfg: C, dModel: number, weights: HostWeights, x: Float64Array, batch: number, seqLen: number, opts?: BlockRefOptions): Float64Array;
}

const SPECS: Record<MixerConfig['kind'], BlockSpec<never>> = {
  mamba: {
    create: (engine, cfg, d, w, f) => createMambaBlock(engine, cfg, d, w, f),
    init: (cfg, d, rng) => initMambaWeights(cfg, d, rng),
    ref: (cfg, d, w, x, b, l) => mambaBlockRef(cfg, d, w, x, b, l),
  },
  attention: {
    create: (engine, cfg, d, w, f) => createAttentionBlock(engine, cfg, d, w, f),
    init: (cfg, d, rng) => initAttentionWeights(cfg, d, rng),
    ref: (cfg, d, w, x, b, l, o) => attentionBlockRef(cfg, d, w, x, b, l, o),
  },
  gla: {
    create: (engine, cfg, d, w, f) => createGlaBlock(engine, cfg, d, w, f),
    init: (cfg, d, rng) => initGlaWeights(cfg, d, rng),
    ref: (cfg, d, w, x, b, l) => glaBlockRef(cfg, d, w, x, b, l),
  },
};

export function mixerSpec(mixer: MixerConfig): BlockSpec<never> {
  const spec = (SPECS as Record<string, BlockSpec<never> | undefined>)[mixer.kind];
  if (!spec) throw new Error(`unknown mixer kind '${(mixer as { kind: string }).kind}' (known: ${Object.keys(SPECS).join(', ')})`);
  return spec;
}

export const mlpSpec: BlockSpec<MlpConfig> = {
  create: (engine, cfg, d, w, f) => createMlpBlock(engine, cfg, d, w, f),
  init: (cfg, d, rng) => initMlpWeights(cfg, d, rng),
  ref: (cfg, d, w, x, b, l) => mlpBlockRef(cfg, d, w, x, b, l),
};
