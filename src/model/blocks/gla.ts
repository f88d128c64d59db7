// The gated linear attention block (fla's GatedLinearAttention with its defaults: no short conv, output
// gate with swish through a gated RMSNorm, fused), the sub-layer alone: no norm, no residual.
// Dimensions: B batch, L seqLen, d = dModel, H heads, keyDim = d·expandK, valueDim = d·expandV,
// K = keyDim / H and V = valueDim / H per head.
//   q = x · q_projᵀ, k = x · k_projᵀ (B, L, keyDim); v = x · v_projᵀ, g = x · g_projᵀ (B, L, valueDim)
//   gk = logsigmoid((x · gk_proj.0ᵀ) · gk_proj.1ᵀ + gk_proj.1.bias) / 16  (B, L, keyDim)
//   o = GLA(q, k, v, gk) per head (scale K^-0.5)                        (B, L, H, V)
//   o = rmsnorm(o over V, o_norm.weight, eps 1e-5) · silu(g);  out = o · o_projᵀ (B, L, d)
// Weights (fla's names, except o_norm which fla calls g_norm_swish_gate): q_proj.weight (keyDim, d),
// k_proj.weight (keyDim, d), v_proj.weight (valueDim, d), g_proj.weight (valueDim, d),
// gk_proj.0.weight (16, d), gk_proj.1.weight (keyDim, 16), gk_proj.1.bias (keyDim), o_norm.weight (V),
// o_proj.weight (d, valueDim).
// State (GlaState, 'cache'): the recurrent state (B, H, K, V), constant in the context length.
// Prefill uses the chunked kernels (tiled matmuls, one dispatch per step of the formulas above). Decode is 3
// dispatches per token: [pre-norm (stepInto) + q|k|v|g|gk_proj.0 projections, one gemv] (glaInProjStep),
// [gk_proj.1 + gate, recurrent state update, output, o_norm and swish gate] (glaStep), [o_proj, added into
// the residual stream by stepInto]. No uniform depends on the position: captured steps replay as they are.

import type { Engine } from '../../engine/engine';
import { KernelInputError } from '../../engine/errors';
import { glaWeights } from '../cost-model';
import { checkBlockWeights, shapesOf, uploadBlockWeight } from './block-weights';
import type { WeightFormat } from '../storage-format';
import { Tensor, shapeToString } from '../../engine/tensor';
import { gemv, matmul } from '../../kernels/matmul';
import { binary } from '../../kernels/elementwise';
import { rmsnorm } from '../../kernels/rmsnorm';
import { gla, glaGate, glaInProjStep, glaStep, type GlaVariant } from '../../kernels/gla';
import { scratchShaped } from '../../kernels/scratch-pool';
import { matmulRef, rmsnormRef, silu } from '../../reference/basic';
import { glaRef } from '../../reference/gla';
import type { BlockFactory, BlockNorm, BlockState, HostWeights, SequenceBlock } from '../mixer';

export const GLA_GATE_LOW_RANK_DIM = 16;
export const GLA_GATE_LOGIT_NORMALIZER = 16;
export const GLA_NORM_EPS = 1e-5;

export interface GlaBlockSettings {
  heads: number;
  /** keyDim = dModel · expandK (default 0.5). */
  expandK?: number;
  /** valueDim = dModel · expandV (default 1). */
  expandV?: number;
}

export interface GlaBlockDims {
  heads: number;
  keyDim: number;
  valueDim: number;
  headK: number;
  headV: number;
}

export function glaBlockDims(s: GlaBlockSettings, dModel: number): GlaBlockDims {
  const heads = s.heads;
  const keyDim = dModel * (s.expandK ?? 0.5);
  const valueDim = dModel * (s.expandV ?? 1);
  if (!Number.isInteger(heads) || heads <= 0) throw new KernelInputError(`gla: heads ${heads} must be a positive integer`);
  if (!Number.isInteger(keyDim) || keyDim <= 0 || keyDim % heads !== 0) throw new KernelInputError(`gla: key dim ${keyDim} (dModel · expandK) must be a positive multiple of heads ${heads}`);
  if (!Number.isInteger(valueDim) || valueDim <= 0 || valueDim % heads !== 0) throw new KernelInputError(`gla: value dim ${valueDim} (dModel · expandV) must be a positive multiple of heads ${heads}`);
  return { heads, keyDim, valueDim, headK: keyDim / heads, headV: valueDim / heads };
}

export function glaWeightShapes(s: GlaBlockSettings, dModel: number): Record<string, number[]> {
  glaBlockDims(s, dModel); // validates heads and dims with the block's own messages
  return shapesOf(glaWeights({ kind: 'gla', heads: s.heads, expandK: s.expandK ?? 0.5, expandV: s.expandV ?? 1 }, dModel));
}

/**
 * fla's GatedLinearAttention initialization: every Linear weight xavier-uniform with gain 2^-2.5
 * (bound gain·sqrt(6 / (fan_in + fan_out))), the gk bias zero, the norm weight one. `rng` uniform [0, 1).
 */
export function initGlaWeights(settings: GlaBlockSettings, dModel: number, rng: () => number): HostWeights {
  const out: HostWeights = {};
  const gain = 2 ** -2.5;
  for (const [name, shape] of Object.entries(glaWeightShapes(settings, dModel))) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    if (name === 'o_norm.weight') data.fill(1);
    else if (shape.length === 2) {
      const bound = gain * Math.sqrt(6 / (shape[0] + shape[1]));
      for (let i = 0; i < data.length; i++) data[i] = (2 * rng() - 1) * bound;
    }
    out[name] = { shape, data };
  }
  return out;
}

export interface GlaState extends BlockState {
  batch: number;
  /** (B, H, K, V). */
  state: Tensor;
}

export class GlaBlock implements SequenceBlock<GlaState> {
  readonly kind = 'gla';
  readonly weights: Record<string, Tensor>;
  readonly dims: GlaBlockDims;

  constructor(
    private readonly engine: Engine,
    readonly settings: GlaBlockSettings,
    readonly dModel: number,
    host: HostWeights,
    private readonly prefillVariant: GlaVariant = 'chunked',
    format: WeightFormat = 'f32',
  ) {
    this.dims = glaBlockDims(settings, dModel);
    this.weights = {};
    const shapes = glaWeightShapes(settings, dModel);
    checkBlockWeights('gla', shapes, host);
    for (const [name, shape] of Object.entries(shapes)) this.weights[name] = uploadBlockWeight(engine, 'gla', name, host[name].data, shape, format);
  }

  /** The prefill kernels on x (B, L, d): tiled matmuls for the projections, the chunked or recurrent GLA. */
  private run(x: Tensor, state: GlaState | undefined, variant: GlaVariant): Tensor {
    const [B, L] = this.checkInput(x, 'forward');
    if (state) this.checkState(state, B, 'forward');
    const { heads: H, keyDim, valueDim, headV } = this.dims;
    const e = this.engine;
    const w = this.weights;
    const lin = (a: Tensor, name: string, width: number, scratch: string) =>
      matmul(e, a, w[`${name}.weight`], { transposeB: true, out: scratchShaped(e, scratch, [B, L, width], 'activations') });
    const q = lin(x, 'q_proj', keyDim, 'gla.q');
    const k = lin(x, 'k_proj', keyDim, 'gla.k');
    const v = lin(x, 'v_proj', valueDim, 'gla.v');
    const g = lin(x, 'g_proj', valueDim, 'gla.g');
    const low = lin(x, 'gk_proj.0', GLA_GATE_LOW_RANK_DIM, 'gla.gk_low');
    const gkLogits = lin(low, 'gk_proj.1', keyDim, 'gla.gk_logits');
    const gk = glaGate(e, gkLogits, w['gk_proj.1.bias'], GLA_GATE_LOGIT_NORMALIZER, { out: scratchShaped(e, 'gla.gk', [B, L, keyDim], 'activations') });
    const o = scratchShaped(e, 'gla.o', [B, L, H, headV], 'activations');
    const run = gla(e, q, k, v, gk, { heads: H, state: state?.state, initialState: true, variant, out: o });
    // Without a decode state the kernel made its own final state: nothing reads it.
    if (!state) run.state.release();
    const normed = rmsnorm(e, o, w['o_norm.weight'], GLA_NORM_EPS, { out: scratchShaped(e, 'gla.o_normed', [B, L, H, headV], 'activations') });
    const gated = binary(e, 'mulSilu', normed, g, { out: scratchShaped(e, 'gla.o_gated', [B, L, valueDim], 'activations') });
    if (state) state.position += L;
    return matmul(e, gated, w['o_proj.weight'], { transposeB: true, label: 'gla.out' });
  }

  private checkInput(x: Tensor, what: string): [number, number] {
    if (x.shape.length !== 3 || x.shape[2] !== this.dModel) throw new KernelInputError(`gla ${what}: x ${shapeToString(x.shape)} must be (B, L, d) with d = ${this.dModel}`);
    return [x.shape[0], x.shape[1]];
  }

  private checkState(state: GlaState, batch: number, what: string): void {
    if (state.batch !== batch) throw new KernelInputError(`gla ${what}: state holds ${state.batch} sequences, x has batch ${batch}`);
  }

  forward(x: Tensor, state?: GlaState): Tensor {
    return this.run(x, state, x.shape[1] > 1 ? this.prefillVariant : 'recurrent');
  }

  step(x: Tensor, state: GlaState): Tensor {
    const [B, L] = this.checkInput(x, 'step');
    if (L !== 1) throw new KernelInputError(`gla step: x ${shapeToString(x.shape)} must hold one token (B, 1, d)`);
    this.checkState(state, B, 'step');
    const out = this.engine.tensor([B, 1, this.dModel], 'activations', 'gla.step.out');
    this.decode(x, undefined, out, false, state);
    return out;
  }

  stepInto(residual: Tensor, norm: BlockNorm, state: GlaState): void {
    const [B, L] = this.checkInput(residual, 'stepInto');
    if (L !== 1) throw new KernelInputError(`gla stepInto: residual ${shapeToString(residual.shape)} must hold one token (B, 1, d)`);
    this.checkState(state, B, 'stepInto');
    this.decode(residual, norm, residual, true, state);
  }

  /**
   * The decode kernels, 3 dispatches: [pre-norm (stepInto) + q|k|v|g|gk_proj.0 projections] ->
   * [gk_proj.1 + gate, state update, output, o_norm, swish gate] -> [o_proj, (added into) out].
   */
  private decode(x: Tensor, norm: BlockNorm | undefined, out: Tensor, accumulate: boolean, state: GlaState): void {
    const e = this.engine;
    const w = this.weights;
    const B = x.shape[0];
    const { heads: H, keyDim, valueDim, headK, headV } = this.dims;
    const width = 2 * keyDim + 2 * valueDim + GLA_GATE_LOW_RANK_DIM;
    const proj = glaInProjStep(e, {
      x,
      norm,
      weights: [w['q_proj.weight'], w['k_proj.weight'], w['v_proj.weight'], w['g_proj.weight'], w['gk_proj.0.weight']],
      out: scratchShaped(e, 'gla.step.proj', [B, 1, width], 'activations'),
    });
    const y = glaStep(e, {
      proj,
      heads: H,
      headK,
      headV,
      gateWeight: w['gk_proj.1.weight'],
      gateBias: w['gk_proj.1.bias'],
      gateNormalizer: GLA_GATE_LOGIT_NORMALIZER,
      normWeight: w['o_norm.weight'],
      eps: GLA_NORM_EPS,
      state: state.state,
      out: scratchShaped(e, 'gla.step.y', [B, 1, valueDim], 'activations'),
    });
    gemv(e, { a: y, weights: [w['o_proj.weight']], out, accumulate });
    state.position += 1;
  }

  createState(batch: number, capacity: number): GlaState {
    void capacity; // The GLA state does not grow with the context.
    const { heads: H, headK: K, headV: V } = this.dims;
    const state = this.engine.upload(new Float32Array(batch * H * K * V), [batch, H, K, V], 'cache', 'gla.state');
    return { position: 0, batch, state, tensors: [state] };
  }

  release(): void {
    for (const t of Object.values(this.weights)) t.release();
  }
}

export const createGlaBlock: BlockFactory<GlaBlockSettings, GlaState> = (engine, settings, dModel, weights, storage) =>
  new GlaBlock(engine, settings, dModel, weights, 'chunked', storage?.weights);

/** Float64 forward: x (B, L, d) -> (B, L, d), from a zero state. */
export function glaBlockRef(settings: GlaBlockSettings, dModel: number, w: HostWeights, x: Float64Array, batch: number, seqLen: number): Float64Array {
  const { heads: H, keyDim, valueDim, headK, headV } = glaBlockDims(settings, dModel);
  const T = batch * seqLen;
  const lin = (a: ArrayLike<number>, name: string, K: number, N: number) => matmulRef(a, w[`${name}.weight`].data, 1, T, K, N, true);
  const q = lin(x, 'q_proj', dModel, keyDim);
  const k = lin(x, 'k_proj', dModel, keyDim);
  const v = lin(x, 'v_proj', dModel, valueDim);
  const g = lin(x, 'g_proj', dModel, valueDim);
  const logits = lin(lin(x, 'gk_proj.0', dModel, GLA_GATE_LOW_RANK_DIM), 'gk_proj.1', GLA_GATE_LOW_RANK_DIM, keyDim);
  const bias = w['gk_proj.1.bias'].data;
  const logsigmoid = (z: number) => Math.min(z, 0) - Math.log1p(Math.exp(-Math.abs(z)));
  const gk = logits.map((z, i) => logsigmoid(z + bias[i % keyDim]) / GLA_GATE_LOGIT_NORMALIZER);
  const { o } = glaRef(q, k, v, gk, { B: batch, T: seqLen, H, K: headK, V: headV });
  const normed = rmsnormRef(o, w['o_norm.weight'].data, headV, GLA_NORM_EPS);
  const gated = normed.map((y, i) => y * silu(g[i]));
  return lin(gated, 'o_proj', valueDim, dModel);
}
