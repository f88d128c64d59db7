// The contract every block kind implements (Mamba mixer, attention, gated attention, GLA, SwiGLU MLP), so
// the model runner can stack them. Dimensions: B batch, L sequence length, d = dModel.
//
// forward() and step() are the sub-layer alone: no pre-norm and no residual (the model runner adds RMSNorm
// before and the residual after, as mamba_ssm's Block and Llama do). stepInto() is the decode path the model
// runs: the whole residual sub-layer, residual += block(RMSNorm(residual)), with the norm fused into the
// block's first projection and the add into its last, so that a token costs as few dispatches as the
// block's kernels allow. step() runs the same kernels without the norm and into a fresh output.
// Weights are host arrays under documented names (the official state_dict names for Mamba), uploaded once
// as 'weights', in the model's weight format; an attention block's KV cache in the model's KV cache format
// (storage-format.ts).

import type { Engine } from '../engine/engine';
import type { Tensor } from '../engine/tensor';
import type { BlockStorage } from './storage-format';

/** A block's pre-norm: RMSNorm over d with this weight (d) and epsilon. */
export interface BlockNorm {
  weight: Tensor;
  eps: number;
}

export type HostWeights = Record<string, { shape: number[]; data: Float32Array }>;

/** Decode state of one block: its tensors are counted as 'cache' (KV cache, conv state, SSM/GLA state). */
export interface BlockState {
  /** Tokens seen so far (the position of the next token). */
  position: number;
  /** Every GPU tensor the state holds, for accounting and release. */
  tensors: Tensor[];
  /**
   * Advances the state's bookkeeping by `tokens` without recording anything, for tokens that replayed work
   * (Engine.replay of a captured step) decoded. Without it, the model adds `tokens` to `position`.
   */
  advance?(tokens: number): void;
}

export interface SequenceBlock<S extends BlockState = BlockState> {
  readonly kind: string;
  /** The uploaded weights by name. */
  readonly weights: Record<string, Tensor>;
  /**
   * Prefill: x (B, L, d) -> y (B, L, d). With `state` (fresh from createState), also fills it so that
   * step() continues the sequence: prefill of L tokens then k steps equals prefill of L + k.
   */
  forward(x: Tensor, state?: S): Tensor;
  /** Empty decode state for `batch` sequences; `capacity` bounds the context length (KV cache size). */
  createState(batch: number, capacity: number): S;
  /** One decode step: x (B, 1, d) -> y (B, 1, d), advancing `state` by one token. */
  step(x: Tensor, state: S): Tensor;
  /**
   * One decode step on the residual stream, in place: residual (B, 1, d) += block(RMSNorm(residual; norm)),
   * advancing `state` by one token.
   */
  stepInto(residual: Tensor, norm: BlockNorm, state: S): void;
  release(): void;
}

/** `storage`: how the block stores its weights and (attention) its KV cache; default float32 for both. */
export type BlockFactory<Settings, S extends BlockState = BlockState> = (engine: Engine, settings: Settings, dModel: number, weights: HostWeights, storage?: BlockStorage) => SequenceBlock<S>;

/** Options of a block's float64 forward (block-registry.ts BlockSpec.ref). */
export interface BlockRefOptions {
  /** Attention: keys (after RoPE) and values rounded to fp16 before attending, as an fp16 KV cache holds them. */
  kvHalves?: boolean;
}
