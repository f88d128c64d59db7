// The vec4 tiled matmul (shaders/matmul_tiled_vec4.wgsl): a (..., M, K) · wᵀ with linear-layer weights w
// (N, K) shared across the batch, K multiple of 4; TM = 4 (64×64 tiles) or 8 (128×64 tiles).

import source from '../../shaders/matmul_tiled_vec4.wgsl?raw';
import type { Engine } from '../engine/engine';
import { KernelInputError } from '../engine/errors';
import { shapeToString, type Tensor } from '../engine/tensor';
import { MATMUL_PARAMS } from './matmul';

export interface TiledVec4Options {
  /** Rows per invocation: 4 (64×64 output tiles) or 8 (128×64). */
  tm?: 4 | 8;
  accumulate?: boolean;
  out?: Tensor;
  label?: string;
}

/** Whether the vec4 kernel takes this product (transposed shared weights, K a multiple of 4). */
export function tiledVec4Fits(a: Tensor, w: Tensor): boolean {
  return w.shape.length === 2 && a.shape.length >= 2 && a.shape[a.shape.length - 1] === w.shape[1] && w.shape[1] % 4 === 0;
}

export function matmulTiledVec4(engine: Engine, a: Tensor, w: Tensor, opts: TiledVec4Options = {}): Tensor {
  if (!tiledVec4Fits(a, w)) throw new KernelInputError(`matmul_tiled_vec4: needs a (..., M, K) and w (N, K) with K a multiple of 4; got a ${shapeToString(a.shape)}, w ${shapeToString(w.shape)}`);
  const K = w.shape[1];
  const N = w.shape[0];
  const M = a.shape[a.shape.length - 2];
  const batch = a.numel / (M * K);
  const out = opts.out ?? engine.tensor([...a.shape.slice(0, -1), N], 'activations', opts.label ?? 'matmul.out');
  if (out.numel !== batch * M * N) throw new KernelInputError(`matmul_tiled_vec4: out ${shapeToString(out.shape)} does not hold (${batch}, ${M}, ${N})`);
  const tm = opts.tm ?? 4;
  const pipeline = engine.pipeline(`matmul_tiled_vec4:tm=${tm}`, () => ({ code: MATMUL_PARAMS.wgsl() + source, constants: { TM: tm } }));
  const u = MATMUL_PARAMS.pack({ M, K, N, lda: K, aOffset: 0, batchStrideA: M * K, batchStrideB: 0, batchStrideC: M * N, transposeB: 1, accumulate: opts.accumulate ? 1 : 0 });
  engine.dispatch(() => `matmul_tiled_vec4(M=${M}, K=${K}, N=${N}, TM=${tm})`, pipeline, [a, w, out], [Math.ceil(N / 64), Math.ceil(M / (16 * tm)), batch], u);
  return out;
}
