// The float64 forward of a whole model on the CPU: the twin that tests hold the GPU model against, and
// the page's slow CPU path when there is no WebGPU. Same structure as model.ts.
// Dimensions: B batch, L tokens per sequence, d = dModel, V = vocabSize.

import type { ModelConfig } from './config';
import type { HostWeights } from './mixer';
import { mixerSpec, mlpSpec } from './block-registry';
import { blockWeights, layerPrefix, weightsAsStored } from './weights';
import { rmsnormRef } from '../reference/basic';

export interface ModelRefOptions {
  /** Reports progress (layer index). */
  onLayer?: (i: number) => void;
  /**
   * What the GPU model computes when it runs with a decode state (prefill with a state, then decode steps):
   * attention then reads the keys and values its KV cache holds, rounded to fp16 under kvCacheFormat 'f16'.
   * Default false: a prefill without a state, which attends its float32 keys and values.
   */
  withState?: boolean;
}

/**
 * Logits (B, L, V) in float64 for token ids (B·L, row-major), with the weights as the GPU model stores them
 * under config.weightFormat (fp16 matrices rounded: weightsAsStored), and with opts.withState the keys and
 * values as its KV cache stores them.
 */
export function modelForwardRef(config: ModelConfig, hostWeights: HostWeights, ids: ArrayLike<number>, batch: number, seqLen: number, opts: ModelRefOptions = {}): Float64Array {
  const blockOpts = { kvHalves: opts.withState === true && config.kvCacheFormat === 'f16' };
  const weights = weightsAsStored(config, hostWeights);
  const d = config.dModel;
  const V = config.vocabSize;
  const T = batch * seqLen;
  const embed = weights['backbone.embedding.weight'].data;
  let x = new Float64Array(T * d);
  for (let t = 0; t < T; t++) for (let k = 0; k < d; k++) x[t * d + k] = embed[ids[t] * d + k];
  config.layers.forEach((layer, i) => {
    const p = layerPrefix(i);
    if (layer.mixer) {
      const h = rmsnormRef(x, weights[`${p}norm.weight`].data, d, config.normEps);
      const y = mixerSpec(layer.mixer).ref(layer.mixer as never, d, blockWeights(weights, `${p}mixer.`), h, batch, seqLen, blockOpts);
      x = x.map((v, j) => v + y[j]);
    }
    if (layer.mlp) {
      const h = rmsnormRef(x, weights[`${p}norm2.weight`].data, d, config.normEps);
      const y = mlpSpec.ref(layer.mlp, d, blockWeights(weights, `${p}mlp.`), h, batch, seqLen);
      x = x.map((v, j) => v + y[j]);
    }
    opts.onLayer?.(i);
  });
  const normed = rmsnormRef(x, weights['backbone.norm_f.weight'].data, d, config.normEps);
  const head = (config.tiedEmbeddings ? weights['backbone.embedding.weight'] : weights['lm_head.weight']).data;
  const logits = new Float64Array(T * V);
  for (let t = 0; t < T; t++) {
    for (let v = 0; v < V; v++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += normed[t * d + k] * head[v * d + k];
      logits[t * V + v] = s;
    }
  }
  return logits;
}
