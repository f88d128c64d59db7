// The attention block (Llama-style self-attention with RoPE and grouped-query heads, optionally with the
// gated-attention sigmoid output gate), the sub-layer alone: no norm, no residual.
// Dimensions: B batch, L seqLen, d = dModel, H heads, Hkv kvHeads, E headDim.
//   q = x · q_projᵀ (B, L, H·E), k = x · k_projᵀ, v = x · v_projᵀ (B, L, Hkv·E); RoPE on q and k at positions
//   p0 .. p0 + L - 1 (p0 = tokens already cached); o = attention(q, k, v) (causal, scale E^-0.5) · σ(g)
//   with g = x · g_projᵀ (B, L, H·E) elementwise or (B, L, H) per head; out = o · o_projᵀ (B, L, d).
// Weights: q_proj.weight (H·E, d), k_proj.weight (Hkv·E, d), v_proj.weight (Hkv·E, d), o_proj.weight
// (d, H·E), and when gated g_proj.weight (H·E, d) elementwise or (H, d) per head. No biases.
// State (AttentionState, 'cache'): the KV cache, K and V (B, Hkv, capacity, E): 2·B·Hkv·capacity·E·4 bytes, or
// ·2 with an fp16 cache (storage.kvCache 'f16'). With a state, prefill and decode attend the cached keys and
// values (rounded to fp16 in an fp16 cache); without one, prefill attends its float32 keys and values.
// Per decode token, 5 dispatches: [pre-norm (stepInto) + q|k|v|g projections] -> (B, 1, (H + 2·Hkv)·E + G);
// [RoPE of q and k + KV-cache append of k and v]; [split-K attention over the cache] + [its combine, with
// the gate]; [o_proj, added into the residual stream by stepInto].
// The decode step can be captured and replayed at later positions: the append index, RoPE position and
// attended length are positional uniform fields (see KvCache), and state.advance() moves the cache length
// for replayed tokens.

import type { Engine } from '../../engine/engine';
import { KernelInputError } from '../../engine/errors';
import { attentionWeights } from '../cost-model';
import { checkBlockWeights, shapesOf, uploadBlockWeight } from './block-weights';
import { FLOAT32_STORAGE, type BlockStorage, type KvCacheFormat } from '../storage-format';
import { Tensor, shapeToString } from '../../engine/tensor';
import { gemv, matmul } from '../../kernels/matmul';
import { attention, tokensFirst } from '../../kernels/attention';
import { ropeInPlace } from '../../kernels/rope';
import { KvCache } from '../../kernels/kv-cache';
import { scratchShaped } from '../../kernels/scratch-pool';
import { matmulRef } from '../../reference/basic';
import { attentionRef, headsToTokens, ropeRef, tokensToHeads } from '../../reference/attention';
import type { BlockFactory, BlockNorm, BlockRefOptions, BlockState, HostWeights, SequenceBlock } from '../mixer';
import { roundArrayToHalf } from '../../engine/half';

export type AttentionGateKind = 'none' | 'headwise' | 'elementwise';

export interface AttentionBlockSettings {
  heads: number;
  /** Key/value heads; heads must be a multiple (default heads). */
  kvHeads?: number;
  /** Head dim E (default dModel / heads). */
  headDim?: number;
  /** RoPE base (default 10000). */
  ropeBase?: number;
  /** Sigmoid output gate (default 'none'). */
  gate?: AttentionGateKind;
}

interface Resolved {
  heads: number;
  kvHeads: number;
  headDim: number;
  ropeBase: number;
  gate: AttentionGateKind;
}

function resolve(s: AttentionBlockSettings, dModel: number): Resolved {
  const heads = s.heads;
  const kvHeads = s.kvHeads ?? heads;
  const headDim = s.headDim ?? dModel / heads;
  const r: Resolved = { heads, kvHeads, headDim, ropeBase: s.ropeBase ?? 10000, gate: s.gate ?? 'none' };
  for (const k of ['heads', 'kvHeads', 'headDim'] as const) {
    if (!Number.isInteger(r[k]) || r[k] <= 0) throw new KernelInputError(`attention: setting ${k} = ${r[k]} must be a positive integer`);
  }
  if (heads % kvHeads !== 0) throw new KernelInputError(`attention: heads ${heads} is not a multiple of kvHeads ${kvHeads}`);
  if (headDim % 2 !== 0) throw new KernelInputError(`attention: headDim ${headDim} must be even (RoPE rotates pairs)`);
  if (!(r.ropeBase > 1)) throw new KernelInputError(`attention: ropeBase ${r.ropeBase} must exceed 1`);
  if (!['none', 'headwise', 'elementwise'].includes(r.gate)) throw new KernelInputError(`attention: unknown gate '${r.gate}'`);
  return r;
}

export function attentionWeightShapes(settings: AttentionBlockSettings, dModel: number): Record<string, number[]> {
  return shapesOf(attentionWeights({ kind: 'attention', ...resolve(settings, dModel) }, dModel));
}

/** nn.Linear's default initialization (as Llama's modules start): uniform ±1/sqrt(fan_in). `rng` uniform [0, 1). */
export function initAttentionWeights(settings: AttentionBlockSettings, dModel: number, rng: () => number): HostWeights {
  const out: HostWeights = {};
  for (const [name, shape] of Object.entries(attentionWeightShapes(settings, dModel))) {
    const bound = 1 / Math.sqrt(shape[1]);
    const data = new Float32Array(shape[0] * shape[1]);
    for (let i = 0; i < data.length; i++) data[i] = (2 * rng() - 1) * bound;
    out[name] = { shape, data };
  }
  return out;
}

export interface AttentionState extends BlockState {
  batch: number;
  cache: KvCache;
}

export class AttentionBlock implements SequenceBlock<AttentionState> {
  readonly kind = 'attention';
  readonly weights: Record<string, Tensor>;
  readonly settings: Resolved;
  /** How createState stores the KV cache. */
  readonly kvCacheFormat: KvCacheFormat;

  constructor(
    private readonly engine: Engine,
    settings: AttentionBlockSettings,
    readonly dModel: number,
    host: HostWeights,
    storage: BlockStorage = FLOAT32_STORAGE,
  ) {
    this.kvCacheFormat = storage.kvCache;
    this.settings = resolve(settings, dModel);
    this.weights = {};
    const shapes = attentionWeightShapes(settings, dModel);
    checkBlockWeights('attention', shapes, host);
    for (const [name, shape] of Object.entries(shapes)) this.weights[name] = uploadBlockWeight(engine, 'attention', name, host[name].data, shape, storage.weights);
  }

  private run(x: Tensor, state: AttentionState | undefined, what: string): Tensor {
    if (x.shape.length !== 3 || x.shape[2] !== this.dModel) {
      throw new KernelInputError(`attention ${what}: x ${shapeToString(x.shape)} must be (B, L, d) with d = ${this.dModel}`);
    }
    const [B, L] = x.shape;
    const { heads: H, kvHeads: Hkv, headDim: E, ropeBase, gate } = this.settings;
    const e = this.engine;
    const w = this.weights;
    if (state) {
      if (state.batch !== B) throw new KernelInputError(`attention ${what}: state holds ${state.batch} sequences, x has batch ${B}`);
      if (state.cache.length + L > state.cache.capacity) {
        throw new KernelInputError(`attention ${what}: ${state.cache.length} cached + ${L} new tokens exceed the KV cache capacity ${state.cache.capacity}`);
      }
    }
    const proj = (name: string, width: number) =>
      matmul(e, x, w[`${name}.weight`], { transposeB: true, out: scratchShaped(e, `attention.${name}`, [B, L, width], 'activations') });
    const q = tokensFirst(proj('q_proj', H * E), H);
    const k = tokensFirst(proj('k_proj', Hkv * E), Hkv);
    const v = tokensFirst(proj('v_proj', Hkv * E), Hkv);
    const offset = state?.cache.length ?? 0;
    ropeInPlace(e, q, { base: ropeBase, offset });
    ropeInPlace(e, k, { base: ropeBase, offset });
    const g = gate === 'none' ? undefined : tokensFirst(proj('g_proj', gate === 'elementwise' ? H * E : H), H);
    const o = scratchShaped(e, 'attention.o', [B, L, H * E], 'activations');
    const opts = { causal: true, gate: g, out: tokensFirst(o, H) };
    if (state) {
      state.cache.append(k, v);
      state.cache.attend(q, opts);
      state.position = state.cache.length;
    } else {
      attention(e, q, k, v, opts);
    }
    return matmul(e, o, w['o_proj.weight'], { transposeB: true, label: 'attention.out' });
  }

  forward(x: Tensor, state?: AttentionState): Tensor {
    return this.run(x, state, 'forward');
  }

  step(x: Tensor, state: AttentionState): Tensor {
    this.checkStep(x, state, 'step');
    const out = this.engine.tensor([x.shape[0], 1, this.dModel], 'activations', 'attention.step.out');
    this.decode(x, undefined, out, false, state);
    return out;
  }

  stepInto(residual: Tensor, norm: BlockNorm, state: AttentionState): void {
    this.checkStep(residual, state, 'stepInto');
    this.decode(residual, norm, residual, true, state);
  }

  private checkStep(x: Tensor, state: AttentionState, what: string): void {
    if (x.shape.length !== 3 || x.shape[1] !== 1 || x.shape[2] !== this.dModel) {
      throw new KernelInputError(`attention ${what}: x ${shapeToString(x.shape)} must hold one token (B, 1, d) with d = ${this.dModel}`);
    }
    if (state.batch !== x.shape[0]) throw new KernelInputError(`attention ${what}: state holds ${state.batch} sequences, x has batch ${x.shape[0]}`);
    if (state.cache.length + 1 > state.cache.capacity) {
      throw new KernelInputError(`attention ${what}: ${state.cache.length} cached + 1 new token exceed the KV cache capacity ${state.cache.capacity}`);
    }
  }

  /** The decode kernels: out (+)= block(norm?(x)). */
  private decode(x: Tensor, norm: BlockNorm | undefined, out: Tensor, accumulate: boolean, state: AttentionState): void {
    const B = x.shape[0];
    const { heads: H, kvHeads: Hkv, headDim: E, ropeBase, gate } = this.settings;
    const e = this.engine;
    const w = this.weights;
    const G = gate === 'none' ? 0 : gate === 'elementwise' ? H * E : H;
    const projections = [w['q_proj.weight'], w['k_proj.weight'], w['v_proj.weight'], ...(G > 0 ? [w['g_proj.weight']] : [])];
    const qkvg = gemv(e, { a: x, weights: projections, norm, out: scratchShaped(e, 'attention.step.qkvg', [B, 1, (H + 2 * Hkv) * E + G], 'activations') });
    const q = scratchShaped(e, 'attention.step.q', [B, 1, H * E], 'activations');
    // Without a gate the kernel writes none; it still binds a buffer of its own there.
    const g = scratchShaped(e, G > 0 ? 'attention.step.gate' : 'attention.step.no-gate', [B, 1, Math.max(G, 1)], 'activations');
    state.cache.appendRoped({ src: qkvg, heads: H, base: ropeBase, q, gate: g, gateWidth: G });
    const o = scratchShaped(e, 'attention.step.o', [B, 1, H * E], 'activations');
    state.cache.attend(tokensFirst(q, H), { causal: true, gate: G > 0 ? tokensFirst(g, H) : undefined, out: tokensFirst(o, H) });
    state.position = state.cache.length;
    gemv(e, { a: o, weights: [w['o_proj.weight']], out, accumulate });
  }

  createState(batch: number, capacity: number): AttentionState {
    const { kvHeads, headDim } = this.settings;
    const cache = KvCache.create(this.engine, batch, kvHeads, capacity, headDim, 'attention.kv', this.kvCacheFormat);
    const state: AttentionState = {
      position: 0,
      batch,
      cache,
      tensors: cache.tensors,
      // Replayed decode steps appended to the cache: its length moves with the position.
      advance(tokens: number) {
        cache.advance(tokens);
        state.position = cache.length;
      },
    };
    return state;
  }

  release(): void {
    for (const t of Object.values(this.weights)) t.release();
  }
}

export const createAttentionBlock: BlockFactory<AttentionBlockSettings, AttentionState> = (engine, settings, dModel, weights, storage) =>
  new AttentionBlock(engine, settings, dModel, weights, storage);

/**
 * Float64 forward of the block: x (B, L, d) -> (B, L, d), positions 0 .. L - 1. opts.kvHalves: keys (after
 * RoPE) and values rounded to fp16 (half.ts), as the block attends them from an fp16 KV cache.
 */
export function attentionBlockRef(settings: AttentionBlockSettings, dModel: number, w: HostWeights, x: Float64Array, batch: number, seqLen: number, opts: BlockRefOptions = {}): Float64Array {
  const { heads: H, kvHeads: Hkv, headDim: E, ropeBase, gate } = resolve(settings, dModel);
  const [B, L, d] = [batch, seqLen, dModel];
  const lin = (name: string, N: number) => matmulRef(x, w[`${name}.weight`].data, 1, B * L, d, N, true);
  const q = tokensToHeads(ropeRef(lin('q_proj', H * E), B, L, H, E, ropeBase, 0), B, L, H, E);
  const asCached = (a: Float64Array) => (opts.kvHalves ? roundArrayToHalf(a) : a);
  const k = asCached(tokensToHeads(ropeRef(lin('k_proj', Hkv * E), B, L, Hkv, E, ropeBase, 0), B, L, Hkv, E));
  const v = asCached(tokensToHeads(lin('v_proj', Hkv * E), B, L, Hkv, E));
  const g = gate === 'none' ? undefined : tokensToHeads(lin('g_proj', gate === 'elementwise' ? H * E : H), B, L, H, gate === 'elementwise' ? E : 1);
  const o = attentionRef(q, k, v, { B, H, Hkv, L, S: L, E }, { causal: true, gate: g });
  return matmulRef(headsToTokens(o, B, H, L, E), w['o_proj.weight'].data, 1, B * L, H * E, d, true);
}
