// Matmul: out[b] = a[b] · op(w[b]).  Shapes: a (..., M, K); w (K, N), or (N, K) with transposeB (the
// linear-layer weight layout, y = x Wᵀ); w may carry the same leading batch dims as a, or none (shared).
// out (..., M, N). Two variants: 'tiled' (64×64 tiles through workgroup memory) and 'naive' (the baseline).

import tiledSource from '../../shaders/matmul_tiled.wgsl?raw';
import naiveSource from '../../shaders/matmul_naive.wgsl?raw';
import gemvSource from '../../shaders/matmul_gemv.wgsl?raw';
import type { Engine } from '../engine/engine';
import { grid1d } from '../engine/engine';
import { KernelInputError } from '../engine/errors';
import { Tensor, numel, shapeToString } from '../engine/tensor';
import { defineUniforms } from '../engine/uniforms';
import type { MemoryCategory } from '../engine/allocator';

export const MATMUL_PARAMS = defineUniforms([
  ['M', 'u32'],
  ['K', 'u32'],
  ['N', 'u32'],
  ['lda', 'u32'],
  ['aOffset', 'u32'],
  ['batchStrideA', 'u32'],
  ['batchStrideB', 'u32'],
  ['batchStrideC', 'u32'],
  ['transposeB', 'u32'],
  ['accumulate', 'u32'],
] as const);

/** 'auto': 'gemv' for at most GEMV_MAX_ROWS rows against linear-layer weights (decode), else 'tiled'. */
export type MatmulVariant = 'auto' | 'tiled' | 'naive' | 'gemv';

/** Rows up to which the matrix-vector kernel is used (its MAX_M). */
export const GEMV_MAX_ROWS = 4;

const GEMV_PARAMS = defineUniforms([
  ['M', 'u32'],
  ['K', 'u32'],
  ['N', 'u32'],
  ['lda', 'u32'],
  ['aOffset', 'u32'],
  ['accumulate', 'u32'],
] as const);

export interface MatmulOptions {
  transposeB?: boolean;
  variant?: MatmulVariant;
  /** Write into this tensor instead of allocating (must have the output shape). */
  out?: Tensor;
  /** Add into `out` instead of overwriting it (residual connections). */
  accumulate?: boolean;
  category?: MemoryCategory;
  label?: string;
  /** Use only columns [offset, offset + count) of a's last dimension as the K inputs (no copy). */
  aColumns?: { offset: number; count: number };
}

export interface MatmulShape {
  batch: number;
  M: number;
  K: number;
  N: number;
  batchedB: boolean;
  outShape: number[];
}

export function matmulShape(aShape: readonly number[], bShape: readonly number[], transposeB: boolean): MatmulShape {
  if (aShape.length < 2) throw new KernelInputError(`matmul: a must have at least 2 dims, got ${shapeToString(aShape)}`);
  if (bShape.length < 2) throw new KernelInputError(`matmul: w must have at least 2 dims, got ${shapeToString(bShape)}`);
  const M = aShape[aShape.length - 2];
  const K = aShape[aShape.length - 1];
  const lead = aShape.slice(0, -2);
  const batch = numel(lead);
  const [bk, bn] = transposeB ? [bShape[bShape.length - 1], bShape[bShape.length - 2]] : [bShape[bShape.length - 2], bShape[bShape.length - 1]];
  if (bk !== K) {
    throw new KernelInputError(
      `matmul: inner dimensions differ: a ${shapeToString(aShape)} has K=${K}, w ${shapeToString(bShape)}${transposeB ? ' (transposed)' : ''} has K=${bk}`,
    );
  }
  const bLead = bShape.slice(0, -2);
  const batchedB = bLead.length > 0 && numel(bLead) > 1;
  if (batchedB && numel(bLead) !== batch) {
    throw new KernelInputError(`matmul: batch dims of w ${shapeToString(bShape)} do not match a ${shapeToString(aShape)}`);
  }
  return { batch, M, K, N: bn, batchedB, outShape: [...lead, M, bn] };
}

export function matmul(engine: Engine, a: Tensor, w: Tensor, opts: MatmulOptions = {}): Tensor {
  const transposeB = opts.transposeB ?? false;
  const requested = opts.variant ?? 'auto';
  const lda = a.shape[a.shape.length - 1];
  const cols = opts.aColumns;
  if (cols && (cols.offset < 0 || cols.count < 1 || cols.offset + cols.count > lda)) {
    throw new KernelInputError(`matmul: columns [${cols.offset}, ${cols.offset + cols.count}) are outside a ${shapeToString(a.shape)}`);
  }
  const s = matmulShape(cols ? [...a.shape.slice(0, -1), cols.count] : a.shape, w.shape, transposeB);
  const out = opts.out ?? engine.tensor(s.outShape, opts.category ?? 'activations', opts.label ?? 'matmul.out');
  if (numel(out.shape) !== numel(s.outShape)) {
    throw new KernelInputError(`matmul: out ${shapeToString(out.shape)} does not hold ${shapeToString(s.outShape)}`);
  }
  // With weights shared across the batch, leading dims fold into rows: (batch·M, K) · op(w).
  const rows = s.batchedB ? s.M : s.batch * s.M;
  const gemvFits = transposeB && !s.batchedB && rows <= GEMV_MAX_ROWS;
  const variant: Exclude<MatmulVariant, 'auto'> = requested === 'auto' ? (gemvFits ? 'gemv' : 'tiled') : requested;
  if (variant === 'gemv') {
    if (!gemvFits) throw new KernelInputError(`matmul: the gemv variant needs wᵀ, a shared w and at most ${GEMV_MAX_ROWS} rows; got ${rows} rows`);
    const aOffset = cols?.offset ?? 0;
    const vec4 = s.K % 4 === 0 && lda % 4 === 0 && aOffset % 4 === 0;
    const lanes = 32;
    const rowsPerGroup = Math.max(1, Math.min(8, Math.floor(engine.report.limits.maxComputeInvocationsPerWorkgroup / lanes)));
    const pipeline = engine.pipeline(`matmul_gemv:${vec4 ? 'vec4' : 'scalar'}:${rowsPerGroup}`, () => ({ code: GEMV_PARAMS.wgsl() + gemvSource, constants: { ROWS: rowsPerGroup, LANES: lanes, VEC4: vec4 ? 1 : 0 } }));
    const grid = grid1d(Math.ceil(s.N / rowsPerGroup), engine.report.limits.maxComputeWorkgroupsPerDimension);
    const u = GEMV_PARAMS.pack({ M: rows, K: s.K, N: s.N, lda, aOffset, accumulate: opts.accumulate ? 1 : 0 });
    engine.dispatch(`matmul_gemv(rows=${rows}, K=${s.K}, N=${s.N})`, pipeline, [a, w, out], grid, u);
    return out;
  }
  const uniforms = MATMUL_PARAMS.pack({
    M: s.M,
    K: s.K,
    N: s.N,
    lda,
    aOffset: cols?.offset ?? 0,
    batchStrideA: s.M * lda,
    batchStrideB: s.batchedB ? s.K * s.N : 0,
    batchStrideC: s.M * s.N,
    transposeB: transposeB ? 1 : 0,
    accumulate: opts.accumulate ? 1 : 0,
  });
  const name = `matmul_${variant}(batch=${s.batch}, M=${s.M}, K=${s.K}, N=${s.N}${transposeB ? ', wᵀ' : ''})`;
  const source = variant === 'tiled' ? tiledSource : naiveSource;
  const pipeline = engine.pipeline(`matmul_${variant}`, () => ({ code: MATMUL_PARAMS.wgsl() + source }));
  const tile = variant === 'tiled' ? 64 : 16;
  engine.dispatch(name, pipeline, [a, w, out], [Math.ceil(s.N / tile), Math.ceil(s.M / tile), s.batch], uniforms);
  return out;
}
