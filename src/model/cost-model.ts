// Analytic cost of a model: parameters (by weight name, to compare exactly with the uploaded weights),
// forward FLOPs per token (prefill at length L, decode at context L) and bytes on the GPU (weights,
// activations, decode state, scratch). Activations, decode state and scratch are float32 (4 bytes), but for a
// KV cache under kvCacheFormat 'f16' (2 bytes); weights
// are float32, or under weightFormat 'f16' the large matrices are halves (2 bytes, whole u32 words per
// tensor; which ones: storedAsHalf in storage-format.ts). Parameter counts and FLOPs do not depend on the
// format. One function per block kind, so each can be aligned with the runner's allocations as they are
// written.
//
// Dimensions: B batch, L sequence length (prefill) or context (decode), d = dModel, V = vocabSize.
// Mamba: D = d_inner = expand·d, N = dState, K = dConv, R = dtRank. Attention: H heads, Hkv = kvHeads,
// E = headDim. GLA: H heads, Kd = key_dim = d·expandK, Vd = value_dim = d·expandV, dk = Kd/H, dv = Vd/H,
// C = chunk length (64). MLP: h = hidden.
//
// FLOP conventions: a matmul is 2·in·out per token; elementwise ops count 1 per simple op and about 4
// for exp-based ones (silu, softplus, sigmoid); RMSNorm 4·d. Embedding lookup is free; lm_head is
// 2·d·V per token. Attention scores + values cost 4·H·E per key; causal prefill averages (L+1)/2 keys
// per query, a decode step at context L attends to L keys. The Mamba scan is ~9·D·N per token
// (discretize, update, read out); GLA prefill is fla's chunked form (full C×C blocks inside a chunk,
// one dk×dv state product per token across chunks), GLA decode the recurrent form (5·H·dk·dv).
//
// Memory assumptions (bytes.*):
//   weights      per weight tensor, weightStorageBytes: 4 · count, or 4 · ceil(count / 2) for a matrix stored
//                as halves (weightFormat 'f16'); params · 4 for an f32 model.
//   cache        decode state at context L (mode 'decode' only; a prefill pass without state holds none):
//                attention 2·B·Hkv·L·E·4 (K and V, grows with L; ·2 instead of ·4 under kvCacheFormat 'f16':
//                E is even, so each head's row is whole u32 words); Mamba B·D·(K-1)·4 conv + B·D·N·4 SSM;
//                GLA B·H·dk·dv·4 (both constant in L).
//   activations  the runner keeps the residual stream and the normed input (2·T·d floats, T = B·L for
//                prefill, B for decode), plus the largest block's intermediates (the tensors a block
//                allocates, including its output; layers run one at a time, so only the largest counts),
//                plus the logits of the last position (B·V; all positions with logits: 'all').
//   scratch      block-internal temporaries that are not tensors of the block's dataflow: attention
//                score rows (flash-style: 2·B·H·L row statistics; 'materialized': B·H·L·L scores),
//                GLA chunk states B·H·ceil(L/C)·dk·dv and intra-chunk scores B·H·L·C. Largest block.

import { type AttentionMixerConfig, type GlaMixerConfig, type LayerConfig, type MambaMixerConfig, type MixerConfig, type MlpConfig, type ModelConfig, type SweepMode } from './config';
import { layerCodeOf } from './build';
import type { LayerCode } from './pattern';
import { kvCacheBytesPerValue, weightStorageBytes, type KvCacheFormat } from './storage-format';

export const BYTES_PER_FLOAT = 4;
/** fla's GatedLinearAttention: the forget-gate projection goes d -> 16 -> key_dim. */
export const GLA_GATE_LOW_RANK = 16;
/** fla's chunk length for chunked GLA. */
export const GLA_CHUNK = 64;

export interface WeightShape {
  name: string;
  shape: number[];
}

// ---- weights ------------------------------------------------------------------------------------

/** A Mamba mixer's weights, official state_dict names (as the block's HostWeights). */
export function mambaWeights(m: MambaMixerConfig, d: number): WeightShape[] {
  const di = m.expand * d;
  return [
    { name: 'in_proj.weight', shape: [2 * di, d] },
    { name: 'conv1d.weight', shape: [di, 1, m.dConv] },
    { name: 'conv1d.bias', shape: [di] },
    { name: 'x_proj.weight', shape: [m.dtRank + 2 * m.dState, di] },
    { name: 'dt_proj.weight', shape: [di, m.dtRank] },
    { name: 'dt_proj.bias', shape: [di] },
    { name: 'A_log', shape: [di, m.dState] },
    { name: 'D', shape: [di] },
    { name: 'out_proj.weight', shape: [d, di] },
  ];
}

/** Attention weights (Llama names); g_proj only when gated: (H·E, d) per element, (H, d) per head. */
export function attentionWeights(m: AttentionMixerConfig, d: number): WeightShape[] {
  const q = m.heads * m.headDim;
  const kv = m.kvHeads * m.headDim;
  const out: WeightShape[] = [
    { name: 'q_proj.weight', shape: [q, d] },
    { name: 'k_proj.weight', shape: [kv, d] },
    { name: 'v_proj.weight', shape: [kv, d] },
    { name: 'o_proj.weight', shape: [d, q] },
  ];
  if (m.gate !== 'none') out.push({ name: 'g_proj.weight', shape: [m.gate === 'elementwise' ? q : m.heads, d] });
  return out;
}

export function glaDims(m: GlaMixerConfig, d: number): { keyDim: number; valueDim: number; headKDim: number; headVDim: number } {
  const keyDim = Math.round(d * m.expandK);
  const valueDim = Math.round(d * m.expandV);
  return { keyDim, valueDim, headKDim: keyDim / m.heads, headVDim: valueDim / m.heads };
}

/** GLA weights, fla's GatedLinearAttention names. */
export function glaWeights(m: GlaMixerConfig, d: number): WeightShape[] {
  const { keyDim, valueDim, headVDim } = glaDims(m, d);
  return [
    { name: 'q_proj.weight', shape: [keyDim, d] },
    { name: 'k_proj.weight', shape: [keyDim, d] },
    { name: 'v_proj.weight', shape: [valueDim, d] },
    { name: 'g_proj.weight', shape: [valueDim, d] },
    { name: 'gk_proj.0.weight', shape: [GLA_GATE_LOW_RANK, d] },
    { name: 'gk_proj.1.weight', shape: [keyDim, GLA_GATE_LOW_RANK] },
    { name: 'gk_proj.1.bias', shape: [keyDim] },
    { name: 'o_norm.weight', shape: [headVDim] },
    { name: 'o_proj.weight', shape: [d, valueDim] },
  ];
}

export function mlpWeights(m: MlpConfig, d: number): WeightShape[] {
  return [
    { name: 'gate_proj.weight', shape: [m.hidden, d] },
    { name: 'up_proj.weight', shape: [m.hidden, d] },
    { name: 'down_proj.weight', shape: [d, m.hidden] },
  ];
}

export function mixerWeights(m: MixerConfig, d: number): WeightShape[] {
  return m.kind === 'mamba' ? mambaWeights(m, d) : m.kind === 'attention' ? attentionWeights(m, d) : glaWeights(m, d);
}

/**
 * One layer's weights under layer-local names: `norm.weight` + `mixer.*` when it has a mixer,
 * `norm2.weight` + `mlp.*` when it has an MLP (mamba_ssm's Block names).
 */
export function layerWeights(layer: LayerConfig, d: number): WeightShape[] {
  const out: WeightShape[] = [];
  if (layer.mixer) {
    out.push({ name: 'norm.weight', shape: [d] });
    for (const w of mixerWeights(layer.mixer, d)) out.push({ name: `mixer.${w.name}`, shape: w.shape });
  }
  if (layer.mlp) {
    out.push({ name: 'norm2.weight', shape: [d] });
    for (const w of mlpWeights(layer.mlp, d)) out.push({ name: `mlp.${w.name}`, shape: w.shape });
  }
  return out;
}

/**
 * Every weight of the model under mamba_ssm's full names: `backbone.embedding.weight`,
 * `backbone.layers.{i}.…`, `backbone.norm_f.weight`, and `lm_head.weight` when not tied.
 */
export function modelWeights(config: ModelConfig): WeightShape[] {
  const d = config.dModel;
  const out: WeightShape[] = [{ name: 'backbone.embedding.weight', shape: [config.vocabSize, d] }];
  config.layers.forEach((l, i) => {
    for (const w of layerWeights(l, d)) out.push({ name: `backbone.layers.${i}.${w.name}`, shape: w.shape });
  });
  out.push({ name: 'backbone.norm_f.weight', shape: [d] });
  if (!config.tiedEmbeddings) out.push({ name: 'lm_head.weight', shape: [config.vocabSize, d] });
  return out;
}

export const countOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
const sumCounts = (ws: readonly WeightShape[]): number => ws.reduce((a, w) => a + countOf(w.shape), 0);

/** Bytes the model's weights take on the GPU under its weightFormat (each tensor by weightStorageBytes). */
export function weightBytes(config: ModelConfig): number {
  return modelWeights(config).reduce((a, w) => a + weightStorageBytes(w.name, countOf(w.shape), config.weightFormat), 0);
}

// ---- FLOPs per token ----------------------------------------------------------------------------

const RMSNORM_FLOPS_PER_CHANNEL = 4;

export function mambaFlopsPerToken(m: MambaMixerConfig, d: number): number {
  const di = m.expand * d;
  const inProj = 2 * d * 2 * di;
  const conv = 2 * di * m.dConv + di + 4 * di; // taps, bias, silu
  const xProj = 2 * di * (m.dtRank + 2 * m.dState);
  const dtProj = 2 * m.dtRank * di + di + 4 * di; // matmul, bias, softplus
  const scan = 9 * di * m.dState;
  const skipAndGate = 2 * di + 5 * di; // D·x, y·silu(z)
  const outProj = 2 * di * d;
  return inProj + conv + xProj + dtProj + scan + skipAndGate + outProj;
}

/** Attention FLOPs for one query attending to `keys` keys. */
export function attentionFlopsPerToken(m: AttentionMixerConfig, d: number, keys: number): number {
  const q = m.heads * m.headDim;
  const kv = m.kvHeads * m.headDim;
  const proj = 2 * d * (q + 2 * kv) + 2 * q * d;
  const rope = 3 * (q + kv);
  const scoresValues = 4 * q * keys;
  const softmax = 5 * m.heads * keys;
  const gateWidth = m.gate === 'elementwise' ? q : m.gate === 'headwise' ? m.heads : 0;
  const gate = m.gate === 'none' ? 0 : 2 * d * gateWidth + 4 * gateWidth + q;
  return proj + rope + scoresValues + softmax + gate;
}

function glaProjectionFlops(m: GlaMixerConfig, d: number): number {
  const { keyDim, valueDim } = glaDims(m, d);
  const proj = 2 * d * (2 * keyDim + 2 * valueDim) + 2 * valueDim * d;
  const gk = 2 * d * GLA_GATE_LOW_RANK + 2 * GLA_GATE_LOW_RANK * keyDim + keyDim + 5 * keyDim; // low rank, bias, logsigmoid/16
  const outNormGate = RMSNORM_FLOPS_PER_CHANNEL * valueDim + 5 * valueDim; // o_norm, swish(g)·o
  return proj + gk + outNormGate;
}

/** GLA prefill (chunked) at length L. */
export function glaPrefillFlopsPerToken(m: GlaMixerConfig, d: number, seqLen: number): number {
  const { headKDim: dk, headVDim: dv } = glaDims(m, d);
  const chunk = Math.min(GLA_CHUNK, Math.max(1, seqLen));
  const perHead = 2 * chunk * (dk + dv) + 5 * dk * dv + 2 * dk;
  return glaProjectionFlops(m, d) + m.heads * perHead;
}

/** GLA decode step (recurrent form): decay, outer-product update, readout. */
export function glaDecodeFlopsPerToken(m: GlaMixerConfig, d: number): number {
  const { headKDim: dk, headVDim: dv } = glaDims(m, d);
  return glaProjectionFlops(m, d) + m.heads * 5 * dk * dv;
}

export function mlpFlopsPerToken(m: MlpConfig, d: number): number {
  return 3 * 2 * d * m.hidden + 5 * m.hidden;
}

function mixerFlops(m: MixerConfig, d: number, seqLen: number, mode: SweepMode): number {
  switch (m.kind) {
    case 'mamba':
      return mambaFlopsPerToken(m, d);
    case 'attention':
      return attentionFlopsPerToken(m, d, mode === 'prefill' ? (seqLen + 1) / 2 : seqLen);
    case 'gla':
      return mode === 'prefill' ? glaPrefillFlopsPerToken(m, d, seqLen) : glaDecodeFlopsPerToken(m, d);
  }
}

/** One layer's FLOPs per token, norms included. */
export function layerFlopsPerToken(layer: LayerConfig, d: number, seqLen: number, mode: SweepMode): number {
  let f = 0;
  if (layer.mixer) f += RMSNORM_FLOPS_PER_CHANNEL * d + mixerFlops(layer.mixer, d, seqLen, mode) + d;
  if (layer.mlp) f += RMSNORM_FLOPS_PER_CHANNEL * d + mlpFlopsPerToken(layer.mlp, d) + d;
  return f;
}

// ---- bytes --------------------------------------------------------------------------------------

/** Decode state of one mixer at context L, bytes (KV cache in `kvCache` format, conv + SSM state, GLA state). */
export function mixerStateBytes(m: MixerConfig, d: number, batch: number, contextLen: number, kvCache: KvCacheFormat = 'f32'): number {
  switch (m.kind) {
    case 'mamba': {
      const di = m.expand * d;
      return batch * di * (m.dConv - 1) * BYTES_PER_FLOAT + batch * di * m.dState * BYTES_PER_FLOAT;
    }
    case 'attention':
      return 2 * batch * m.kvHeads * contextLen * m.headDim * kvCacheBytesPerValue(kvCache);
    case 'gla': {
      const { headKDim, headVDim } = glaDims(m, d);
      return batch * m.heads * headKDim * headVDim * BYTES_PER_FLOAT;
    }
  }
}

/** Decode state of the whole model at context L, bytes. */
export function decodeStateBytes(config: ModelConfig, batch: number, contextLen: number): number {
  return config.layers.reduce((a, l) => a + (l.mixer ? mixerStateBytes(l.mixer, config.dModel, batch, contextLen, config.kvCacheFormat) : 0), 0);
}

export type AttentionScores = 'flash' | 'materialized';

/** Floats one block allocates for `tokens` tokens (its intermediates and output). */
export function mixerActivationFloats(m: MixerConfig, d: number, tokens: number): number {
  switch (m.kind) {
    case 'mamba': {
      const di = m.expand * d;
      // xz (2D), conv out (D), x_dbl (R + 2N), dt (D), y (D), out (d).
      return tokens * (5 * di + m.dtRank + 2 * m.dState + d);
    }
    case 'attention': {
      const q = m.heads * m.headDim;
      const kv = m.kvHeads * m.headDim;
      const gate = m.gate === 'elementwise' ? q + q : m.gate === 'headwise' ? m.heads + q : 0; // gate, gated output
      // q, k, v (RoPE in place), attention output, gate, out.
      return tokens * (q + 2 * kv + q + gate + d);
    }
    case 'gla': {
      const { keyDim, valueDim } = glaDims(m, d);
      // q, k, gk (Kd each), low-rank gk (16), v, g, o, normed o, gated o (Vd each), out.
      return tokens * (3 * keyDim + GLA_GATE_LOW_RANK + 5 * valueDim + d);
    }
  }
}

export function mlpActivationFloats(m: MlpConfig, d: number, tokens: number): number {
  return tokens * (3 * m.hidden + d); // gate, up, silu(gate)·up, out
}

/**
 * Block-internal scratch floats: attention score rows; GLA chunk states and intra-chunk scores.
 * `queries` per sequence (L for prefill, 1 for decode), `keys` the context attended to.
 */
export function mixerScratchFloats(m: MixerConfig, d: number, batch: number, queries: number, keys: number, mode: SweepMode, scores: AttentionScores): number {
  switch (m.kind) {
    case 'mamba':
      return 0;
    case 'attention':
      return scores === 'materialized' ? batch * m.heads * queries * keys : 2 * batch * m.heads * queries;
    case 'gla': {
      if (mode === 'decode') return 0;
      const { headKDim, headVDim } = glaDims(m, d);
      const chunk = Math.min(GLA_CHUNK, queries);
      return batch * m.heads * Math.ceil(queries / chunk) * headKDim * headVDim + batch * m.heads * queries * chunk;
    }
  }
}

// ---- the whole model ----------------------------------------------------------------------------

export interface CostOptions {
  /** Prefill length, or context length for decode. */
  seqLen: number;
  /** Sequences; defaults to config.batch. */
  batch?: number;
  mode: SweepMode;
  /** How the attention kernel holds scores; default 'flash' (only row statistics). */
  attentionScores?: AttentionScores;
  /** Logits for the last position only (default) or for every position of a prefill. */
  logits?: 'last' | 'all';
}

export interface LayerParams {
  index: number;
  code: LayerCode;
  mixer: number;
  mlp: number;
  norms: number;
  total: number;
  /** Layer-local names and shapes (`norm.weight`, `mixer.in_proj.weight`, …). */
  weights: (WeightShape & { count: number })[];
}

export interface ModelCost {
  seqLen: number;
  batch: number;
  mode: SweepMode;
  params: {
    total: number;
    /** Embedding matrix (V·d); counted once when tied. */
    embedding: number;
    /** 0 when tied to the embedding. */
    lmHead: number;
    finalNorm: number;
    /** Sum over layers. */
    layers: number;
    perLayer: LayerParams[];
  };
  flopsPerToken: {
    /** Average over a prefill of seqLen tokens. */
    prefill: number;
    /** One decode step at context seqLen. */
    decode: number;
    lmHead: number;
    perLayer: { prefill: number; decode: number }[];
  };
  bytes: {
    /** As stored on the GPU: smaller than params · 4 when the model stores its matrices as halves. */
    weights: number;
    activations: number;
    cache: number;
    scratch: number;
    /** weights + activations + cache + scratch: the estimated peak. */
    total: number;
  };
}

/** Parameters, FLOPs per token and memory of a model at sequence length L. */
export function costModel(config: ModelConfig, options: CostOptions): ModelCost {
  const d = config.dModel;
  const V = config.vocabSize;
  const L = Math.max(1, options.seqLen);
  const B = options.batch ?? config.batch;
  const mode = options.mode;
  const scores = options.attentionScores ?? 'flash';

  const perLayer: LayerParams[] = config.layers.map((layer, index) => {
    const weights = layerWeights(layer, d).map((w) => ({ ...w, count: countOf(w.shape) }));
    const mixer = weights.filter((w) => w.name.startsWith('mixer.')).reduce((a, w) => a + w.count, 0);
    const mlp = weights.filter((w) => w.name.startsWith('mlp.')).reduce((a, w) => a + w.count, 0);
    const norms = weights.filter((w) => /^norm2?\.weight$/.test(w.name)).reduce((a, w) => a + w.count, 0);
    return { index, code: layerCodeOf(layer), mixer, mlp, norms, total: mixer + mlp + norms, weights };
  });
  const embedding = V * d;
  const lmHead = config.tiedEmbeddings ? 0 : V * d;
  const finalNorm = d;
  const layers = perLayer.reduce((a, l) => a + l.total, 0);
  const total = embedding + layers + finalNorm + lmHead;

  const lmHeadFlops = 2 * d * V + RMSNORM_FLOPS_PER_CHANNEL * d;
  const flopsPerLayer = config.layers.map((l) => ({ prefill: layerFlopsPerToken(l, d, L, 'prefill'), decode: layerFlopsPerToken(l, d, L, 'decode') }));
  const prefill = flopsPerLayer.reduce((a, f) => a + f.prefill, 0) + lmHeadFlops;
  const decode = flopsPerLayer.reduce((a, f) => a + f.decode, 0) + lmHeadFlops;

  const queries = mode === 'prefill' ? L : 1;
  const tokens = B * queries;
  let blockMax = 0;
  let scratchMax = 0;
  for (const l of config.layers) {
    if (l.mixer) {
      blockMax = Math.max(blockMax, mixerActivationFloats(l.mixer, d, tokens));
      scratchMax = Math.max(scratchMax, mixerScratchFloats(l.mixer, d, B, queries, L, mode, scores));
    }
    if (l.mlp) blockMax = Math.max(blockMax, mlpActivationFloats(l.mlp, d, tokens));
  }
  const logitsFloats = B * V * (mode === 'prefill' && options.logits === 'all' ? L : 1);
  const activations = (2 * tokens * d + blockMax + logitsFloats) * BYTES_PER_FLOAT;
  const scratch = scratchMax * BYTES_PER_FLOAT;
  const cache = mode === 'decode' ? decodeStateBytes(config, B, L) : 0;
  const weights = weightBytes(config);

  return {
    seqLen: L,
    batch: B,
    mode,
    params: { total, embedding, lmHead, finalNorm, layers, perLayer },
    flopsPerToken: { prefill, decode, lmHead: lmHeadFlops, perLayer: flopsPerLayer },
    bytes: { weights, activations, cache, scratch, total: weights + activations + cache + scratch },
  };
}

/** Total parameters (a shortcut for costModel(...).params.total). */
export function paramCount(config: ModelConfig): number {
  return config.vocabSize * config.dModel * (config.tiedEmbeddings ? 1 : 2) + config.dModel + config.layers.reduce((a, l) => a + sumCounts(layerWeights(l, config.dModel)), 0);
}
