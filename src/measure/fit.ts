// Whether a model at a sequence length fits a GPU's per-buffer limits: the largest single tensor the
// model runner allocates, found before anything is allocated. Dimensions: B batch, L tokens, d = dModel.
// Activations are float32; the embedding table is float32 or halves, as the model's weightFormat says; the
// decode KV cache float32 or halves, as its kvCacheFormat says (a prefill's keys are float32 either way).

import type { ModelConfig, SweepMode } from '../model/config';
import { glaDims } from '../model/cost-model';
import { kvCacheBytesPerValue, weightStorageBytes } from '../model/storage-format';

export interface LargestBuffer {
  bytes: number;
  what: string;
}

/** The largest single buffer (bytes) a prefill of B×L tokens or a decode at `capacity` context allocates. */
export function largestBufferBytes(config: ModelConfig, mode: SweepMode, seqLen: number, batch: number, capacity: number): LargestBuffer {
  const tokens = mode === 'prefill' ? batch * seqLen : batch;
  const d = config.dModel;
  const kvBytes = kvCacheBytesPerValue(config.kvCacheFormat);
  let best: LargestBuffer = { bytes: tokens * d * 4, what: 'the residual stream' };
  const consider = (bytes: number, what: string) => {
    if (bytes > best.bytes) best = { bytes, what };
  };
  consider(weightStorageBytes('backbone.embedding.weight', config.vocabSize * d, config.weightFormat), 'the embedding table');
  consider(batch * config.vocabSize * 4, 'the logits');
  config.layers.forEach((layer, i) => {
    const m = layer.mixer;
    if (m?.kind === 'mamba') consider(tokens * 2 * m.expand * d * 4, `layer ${i} (Mamba in_proj output)`);
    if (m?.kind === 'attention') {
      consider(tokens * m.heads * m.headDim * 4, `layer ${i} (attention queries)`);
      if (mode === 'decode') consider(batch * m.kvHeads * capacity * m.headDim * kvBytes, `layer ${i} (KV cache)`);
      else consider(batch * m.kvHeads * seqLen * m.headDim * 4, `layer ${i} (keys)`);
    }
    if (m?.kind === 'gla') {
      const { keyDim, valueDim } = glaDims(m, d);
      consider(tokens * Math.max(keyDim, valueDim) * 4, `layer ${i} (GLA projections)`);
    }
    if (layer.mlp) consider(tokens * layer.mlp.hidden * 4, `layer ${i} (MLP hidden)`);
  });
  return best;
}
