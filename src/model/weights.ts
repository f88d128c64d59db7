// Whole-model weights: names, shapes, seeded initialisation and loading from safetensors.
//
// Names follow mamba_ssm's MambaLMHeadModel so official Mamba checkpoints load as they are:
//   backbone.embedding.weight (V, d)
//   backbone.layers.{i}.norm.weight (d)           pre-norm of the mixer
//   backbone.layers.{i}.mixer.<block weight>      the mixer's own names (Mamba: in_proj.weight, A_log, ...)
//   backbone.layers.{i}.norm2.weight (d)          pre-norm of the MLP (layers with an MLP)
//   backbone.layers.{i}.mlp.<block weight>        gate_proj.weight, up_proj.weight, down_proj.weight
//   backbone.norm_f.weight (d)
//   lm_head.weight (V, d)                         only when embeddings are not tied
// A layer with an MLP but no mixer has only norm2 and mlp.

import type { ModelConfig } from './config';
import { modelWeights } from './cost-model';
import { readSafetensors, writeSafetensors } from '../io/safetensors';
import type { HostWeights } from './mixer';
import { mixerSpec, mlpSpec } from './block-registry';
import { rng as makeRng, normalArray } from '../testing/random';
import { findOutsideHalf, roundArrayToHalf, HalfRangeError } from '../engine/half';
import { storedAsHalf } from './storage-format';

export const layerPrefix = (i: number) => `backbone.layers.${i}.`;

/** name -> shape for every weight the model has (from the cost model's table, the one source of names). */
export function weightShapes(config: ModelConfig): Record<string, number[]> {
  return Object.fromEntries(modelWeights(config).map((w) => [w.name, w.shape]));
}

/** Seeded random weights, each block initialised as its reference does; norms at 1; embedding N(0, 0.02). */
export function initModelWeights(config: ModelConfig, seed = 0): HostWeights {
  const w: HostWeights = initOuterWeights(config, seed);
  config.layers.forEach((_, i) => Object.assign(w, initLayerWeights(config, i, seed)));
  return w;
}

/** The embedding, final norm and (untied) lm_head, under their full names. */
export function initOuterWeights(config: ModelConfig, seed = 0): HostWeights {
  const d = config.dModel;
  const w: HostWeights = {};
  w['backbone.embedding.weight'] = { shape: [config.vocabSize, d], data: normalArray(config.vocabSize * d, seed * 7919 + 1, 0.02) };
  w['backbone.norm_f.weight'] = { shape: [d], data: new Float32Array(d).fill(1) };
  if (!config.tiedEmbeddings) w['lm_head.weight'] = { shape: [config.vocabSize, d], data: normalArray(config.vocabSize * d, seed * 7919 + 2, 0.02) };
  return w;
}

/** Layer i's weights under their full names (each layer has its own seed, so layers can be made one at a time). */
export function initLayerWeights(config: ModelConfig, i: number, seed = 0): HostWeights {
  const d = config.dModel;
  const layer = config.layers[i];
  const p = layerPrefix(i);
  const w: HostWeights = {};
  const ones = () => ({ shape: [d], data: new Float32Array(d).fill(1) });
  if (layer.mixer) {
    w[`${p}norm.weight`] = ones();
    const block = mixerSpec(layer.mixer).init(layer.mixer as never, d, makeRng(seed * 1_000_003 + i * 2 + 11));
    for (const [name, t] of Object.entries(block)) w[`${p}mixer.${name}`] = t;
  }
  if (layer.mlp) {
    w[`${p}norm2.weight`] = ones();
    const block = mlpSpec.init(layer.mlp, d, makeRng(seed * 1_000_003 + i * 2 + 12));
    for (const [name, t] of Object.entries(block)) w[`${p}mlp.${name}`] = t;
  }
  return w;
}

/**
 * Checks loaded weights against the config: every expected name present with its shape, and under weight
 * format f16 every value of the half-stored matrices within fp16's range. Returns the
 * weights restricted to expected names (conv1d.weight given as (d_inner, 1, W) is accepted as is), or
 * throws an error listing what is missing or mis-shaped.
 */
export function checkWeights(config: ModelConfig, given: HostWeights): HostWeights {
  const expected = weightShapes(config);
  const problems: string[] = [];
  const out: HostWeights = {};
  for (const [name, shape] of Object.entries(expected)) {
    const t = given[name];
    if (!t) {
      problems.push(`missing ${name} ${JSON.stringify(shape)}`);
      continue;
    }
    const n = shape.reduce((a, b) => a * b, 1);
    if (t.data.length !== n) problems.push(`${name} has shape ${JSON.stringify(t.shape)}; expected ${JSON.stringify(shape)}`);
    else {
      out[name] = { shape, data: t.data instanceof Float32Array ? t.data : Float32Array.from(t.data) };
      if (storedAsHalf(name, config.weightFormat)) {
        const bad = findOutsideHalf(out[name].data);
        if (bad) problems.push(`${name}: cannot be stored as fp16: ${bad.message}`);
      }
    }
  }
  if (problems.length) throw new Error(`weights do not fit the config: ${problems.slice(0, 8).join('; ')}${problems.length > 8 ? `; and ${problems.length - 8} more` : ''}`);
  return out;
}

/**
 * The weights as the GPU model holds them under config.weightFormat: those the format stores as halves
 * rounded to fp16 (half.ts), the rest as they are (the same arrays). The float64 twin computes with these,
 * so it sees exactly what the GPU reads. Throws an error naming the weight and value that fp16 cannot hold.
 */
export function weightsAsStored(config: ModelConfig, host: HostWeights): HostWeights {
  if (config.weightFormat === 'f32') return host;
  const out: HostWeights = {};
  for (const [name, t] of Object.entries(host)) {
    if (!storedAsHalf(name, config.weightFormat)) {
      out[name] = t;
      continue;
    }
    try {
      out[name] = { shape: t.shape, data: roundArrayToHalf(t.data) };
    } catch (err) {
      if (err instanceof HalfRangeError) throw new Error(`${name}: cannot be stored as fp16: ${err.message}`);
      throw err;
    }
  }
  return out;
}

/** The weights of one block under its own names (prefix stripped). */
export function blockWeights(all: HostWeights, prefix: string): HostWeights {
  const out: HostWeights = {};
  for (const [name, t] of Object.entries(all)) if (name.startsWith(prefix)) out[name.slice(prefix.length)] = t;
  return out;
}


/**
 * Weights from a safetensors file (official Mamba checkpoints load as they are: same names). Checked
 * against the config; tensors the config does not use (a tied checkpoint's saved lm_head.weight) are
 * ignored. Throws an error naming what is missing or mis-shaped.
 */
export function loadWeights(config: ModelConfig, bytes: Uint8Array, source = 'weights'): HostWeights {
  const { tensors } = readSafetensors(bytes, source);
  const host: HostWeights = {};
  for (const [name, t] of Object.entries(tensors)) host[name] = { shape: t.shape, data: t.data instanceof Float32Array ? t.data : Float32Array.from(t.data) };
  return checkWeights(config, host);
}

/** A model's weights as a safetensors file (F32). */
export function saveWeights(weights: HostWeights): Uint8Array {
  return writeSafetensors(weights);
}
