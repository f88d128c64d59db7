// How a model stores its weights and its KV cache on the GPU.
// Weights: 'f32' (every weight float32) or 'f16' (the large matrices as IEEE halves, two per u32, read with
// WGSL's unpack2x16float and computed with in float32; everything else float32). Halves need no adapter feature: unpack2x16float is core WGSL, so every WebGPU device reads them.
// The matrices: the embedding and lm_head, and every projection that matmul, gemv and the fused decode
// projections read (Mamba in_proj, x_proj, out_proj; attention q/k/v/g/o_proj; GLA q/k/v/g/o_proj and
// gk_proj.0; MLP gate/up/down_proj). dt_proj (read by the decode state update), gk_proj.1, conv1d, the
// norms, A_log, D and biases stay float32: small, and read by kernels that take float32 only.
// KV cache (attention layers' keys and values, kernels/kv-cache.ts): 'f32' or 'f16' (halves, written by the
// append kernels and read by every attention kernel: whatever runs with a decode state, prefill and decode,
// attends the rounded keys and values; a prefill without a state attends its float32 ones). Other decode
// state (conv, SSM and GLA states) stays float32.

import { halfStorageBytes } from '../engine/half';
import type { Engine } from '../engine/engine';
import type { Tensor } from '../engine/tensor';

export type WeightFormat = 'f32' | 'f16';
export const WEIGHT_FORMATS: readonly WeightFormat[] = ['f32', 'f16'];

/** What the formats are called where people read them. */
export const WEIGHT_FORMAT_LABELS: Record<WeightFormat, string> = { f32: 'fp32', f16: 'fp16 matrices' };

const HALF_LOCAL_NAMES = new Set([
  'in_proj.weight',
  'x_proj.weight',
  'out_proj.weight',
  'q_proj.weight',
  'k_proj.weight',
  'v_proj.weight',
  'g_proj.weight',
  'o_proj.weight',
  'gk_proj.0.weight',
  'gate_proj.weight',
  'up_proj.weight',
  'down_proj.weight',
]);

/**
 * Whether the weight called `name` is stored as halves under `format`. Takes full names
 * (`backbone.layers.3.mixer.in_proj.weight`, `backbone.embedding.weight`, `lm_head.weight`) and a block's
 * own names (`in_proj.weight`).
 */
export function storedAsHalf(name: string, format: WeightFormat): boolean {
  if (format !== 'f16') return false;
  if (name === 'backbone.embedding.weight' || name === 'lm_head.weight') return true;
  const local = name.replace(/^backbone\.layers\.\d+\.(mixer|mlp)\./, '');
  return HALF_LOCAL_NAMES.has(local);
}

/** Bytes the weight `name` of `count` values takes on the GPU under `format`. */
export function weightStorageBytes(name: string, count: number, format: WeightFormat): number {
  return storedAsHalf(name, format) ? halfStorageBytes(count) : 4 * count;
}

export type KvCacheFormat = 'f32' | 'f16';
export const KV_CACHE_FORMATS: readonly KvCacheFormat[] = ['f32', 'f16'];

/** What the KV cache formats are called where people read them. */
export const KV_CACHE_FORMAT_LABELS: Record<KvCacheFormat, string> = { f32: 'fp32', f16: 'fp16' };

/** Bytes one cached key or value element takes under `format`. */
export function kvCacheBytesPerValue(format: KvCacheFormat): number {
  return format === 'f16' ? 2 : 4;
}

/** The formats a block is built with: its weights' and, for attention, its KV cache's. */
export interface BlockStorage {
  weights: WeightFormat;
  kvCache: KvCacheFormat;
}

export const FLOAT32_STORAGE: BlockStorage = { weights: 'f32', kvCache: 'f32' };

type LayerMixer = { mixer: { kind: string } | null };

/** Whether a model has a KV cache (an attention layer) for its KV cache format to act on. */
export function hasKvCache(model: { layers: readonly LayerMixer[] }): boolean {
  return model.layers.some((l) => l.mixer?.kind === 'attention');
}

/**
 * How a model is named where its measurements are shown: its name, marked "(fp16)" under weight format f16
 * and "(fp16 KV)" under KV cache format f16 ("(fp16, fp16 KV)" with both). The KV mark needs an attention
 * layer: without one there is no KV cache, and the format changes nothing.
 */
export function modelLabel(model: { name: string; weightFormat: WeightFormat; kvCacheFormat: KvCacheFormat; layers: readonly LayerMixer[] }): string {
  const marks: string[] = [];
  if (model.weightFormat === 'f16') marks.push('fp16');
  if (model.kvCacheFormat === 'f16' && hasKvCache(model)) marks.push('fp16 KV');
  return marks.length ? `${model.name} (${marks.join(', ')})` : model.name;
}

/** Uploads the weight `name` as 'weights': as halves when `format` stores that name so, else float32. */
export function uploadWeight(engine: Engine, name: string, data: Float32Array, shape: readonly number[], format: WeightFormat, label = name): Tensor {
  return storedAsHalf(name, format) ? engine.uploadHalf(data, shape, 'weights', label) : engine.upload(data, shape, 'weights', label);
}
