// Matmul: out[b] = a[b] · op(w[b]).  Shapes: a (..., M, K); w (K, N), or (N, K) with transposeB (the
// linear-layer weight layout, y = x Wᵀ); w may carry the same leading batch dims as a, or none (shared).
// out (..., M, N). Variants: 'tiled' (64×64 tiles through workgroup memory), 'tiled-vec4' (vec4 loads and
// tiles, 4 or 8 × 4 or 8 outputs per invocation: linear-layer weights with K, the row stride and column
// offset of a multiples of 4), 'naive' (the baseline) and 'gemv' (few rows against linear-layer weights:
// decode). The weight operand (w) may be stored as float32 or fp16 (a dtype 'f16' tensor: src/engine/half.ts),
// read through storage-read.ts in every variant; a and the output are float32.
// gemv() is the matrix-vector kernel with its decode fusions: several weights of one input in one dispatch,
// the input's RMSNorm, a SwiGLU input ([gate | up] -> silu(gate)·up) and accumulation into the output.

import tiledSource from '../../shaders/matmul_tiled.wgsl?raw';
import tiledVec4Source from '../../shaders/matmul_tiled_vec4.wgsl?raw';
import naiveSource from '../../shaders/matmul_naive.wgsl?raw';
import gemvSource from '../../shaders/matmul_gemv.wgsl?raw';
import gemvCommonSource from '../../shaders/gemv_common.wgsl?raw';
import gemvReduceSubgroupSource from '../../shaders/gemv_reduce_subgroup.wgsl?raw';
import gemvReduceWorkgroupSource from '../../shaders/gemv_reduce_workgroup.wgsl?raw';
import type { Engine } from '../engine/engine';
import { grid1d } from '../engine/engine';
import { GpuLimitError, KernelInputError } from '../engine/errors';
import { Tensor, numel, shapeToString } from '../engine/tensor';
import { defineUniforms, type UniformLayout } from '../engine/uniforms';
import { residencyCode } from './residency';
import { formatsKey, storageFormatOf, storageReaderWgsl, type StorageReader } from './storage-read';
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

/**
 * 'auto': 'gemv' for at most GEMV_MAX_ROWS rows against linear-layer weights (decode); 'tiled-vec4' (its
 * default shape, VEC4_DEFAULT) for linear-layer weights when its alignment holds (K, a's row stride and
 * column offset multiples of 4) and the output has at least VEC4_MIN_WORKGROUPS of its tiles; else 'tiled'.
 */
export type MatmulVariant = 'auto' | 'tiled' | 'tiled-vec4' | 'naive' | 'gemv';

/**
 * The vec4 kernel's default shape: 8×4 outputs per invocation (tiles of 128×64), K-tiles of 16. Measured
 * on an H200 (docs/measurements/h200/run-2026-12-02c/vec4-shapes/, every shape in one run): 37.2 and 40.3
 * TFLOP/s at 2048³ and 4096³, 38.2-39.0 on the whole-model prefill shapes, against 29.4-37.1 for the other
 * shapes and K-tiles of 32: three workgroups resident per SM, where K-tiles of 32 (twice the registers
 * for the prefetched loads) leave one.
 */
export const VEC4_DEFAULT = { rowsPerInvocation: 8, colsPerInvocation: 4, kTile: 16 } as const;

/**
 * Workgroups (tiles of the default shape, over the batch) from which 'auto' takes the vec4 kernel. On an
 * H200 (docs/measurements/h200/run-2026-12-02c/matmul.json) it beat the tiled kernel from 512³ (32 such
 * tiles: 5.2 TFLOP/s against 3.7) up; smaller outputs, unmeasured, keep the tiled kernel's smaller tiles.
 */
export const VEC4_MIN_WORKGROUPS = 32;

/** Rows up to which matmul's 'auto' picks the matrix-vector kernel (gemv() itself takes any number of rows). */
export const GEMV_MAX_ROWS = 4;

/** Input rows the gemv kernels hold in registers at once (more rows go in chunks of this many). */
const GEMV_MAX_CHUNK = 8;

const GEMV_PARAMS = defineUniforms([
  ['M', 'u32'],
  ['K', 'u32'],
  ['N', 'u32'],
  ['lda', 'u32'],
  ['aOffset', 'u32'],
  ['accumulate', 'u32'],
  ['seg1', 'u32'],
  ['seg2', 'u32'],
  ['seg3', 'u32'],
  ['eps', 'f32'],
] as const);

/** Weights one gemv dispatch can take (segments of its output). */
export const GEMV_MAX_WEIGHTS = 4;

/** Workgroups a gemv aims for before it gives each workgroup more output rows (several per SM on a large GPU). */
const GEMV_TARGET_WORKGROUPS = 1024;

/** Shape of the gemv kernels on a device: WG invocations split K, each workgroup computes ROWS outputs. */
export interface GemvConfig {
  wg: number;
  rows: number;
  /** Input rows per chunk (MAX_M): a power of two, at most GEMV_MAX_CHUNK. */
  maxM: number;
  /** Rows read as vec4<f32> (K, lda and the column offset are multiples of 4). */
  vec4: boolean;
  /** Reduce with subgroupAdd (the device has 'subgroups'); else through workgroup memory. */
  subgroups: boolean;
}

/**
 * The gemv shape for M input rows, K inputs and N outputs: WG a power of two in [32, 256] giving each
 * invocation about three elements of a row; MAX_M the power of two covering M (at most 8); ROWS the largest
 * of 8, 4, 2, 1 that still leaves GEMV_TARGET_WORKGROUPS workgroups (large N: more rows per workgroup, more
 * independent loads per invocation), with ROWS·MAX_M <= 16 accumulators, bounded by the workgroup memory
 * the reduction needs.
 */
export function gemvConfig(engine: Engine, M: number, K: number, N: number, vec4: boolean): GemvConfig {
  const limits = engine.report.limits;
  const kv = vec4 ? K / 4 : K;
  const maxWg = Math.min(256, limits.maxComputeInvocationsPerWorkgroup, limits.maxComputeWorkgroupSizeX);
  let wg = 32;
  while (wg * 2 <= maxWg && wg * 2 * 3 <= kv) wg *= 2;
  let maxM = 1;
  while (maxM < Math.min(M, GEMV_MAX_CHUNK)) maxM *= 2;
  let rows = Math.min(8, 16 / maxM);
  while (rows > 1 && Math.ceil(N / rows) < GEMV_TARGET_WORKGROUPS) rows /= 2;
  const subgroups = engine.report.features.subgroups;
  // The reduction holds (ROWS + 1)·MAX_M floats per invocation (workgroup memory) or per subgroup of >= 4.
  const budget = Math.min(16384, limits.maxComputeWorkgroupStorageSize / 2);
  const bytes = () => (subgroups ? Math.ceil(wg / 4) : wg) * (rows + 1) * maxM * 4;
  while (rows > 1 && bytes() > budget) rows /= 2;
  while (wg > 32 && bytes() > budget) wg /= 2;
  return { wg, rows, maxM, vec4, subgroups };
}

/**
 * WGSL of a gemv kernel: constants, element type, Params, the weight bindings and their readers (element
 * type V: vec4 or f32 as the config reads rows), the reduction, gemv_common.wgsl, the kernel.
 */
export function gemvShaderCode(config: GemvConfig, params: UniformLayout<string>, kernelSource: string, weights: readonly Omit<StorageReader, 'element'>[]): string {
  const element = config.vec4
    ? 'alias V = vec4<f32>;\nconst VW: u32 = 4u;\nfn vsum(v: V) -> f32 { return (v.x + v.y) + (v.z + v.w); }\n'
    : 'alias V = f32;\nconst VW: u32 = 1u;\nfn vsum(v: V) -> f32 { return v; }\n';
  return (
    (config.subgroups ? 'enable subgroups;\n' : '') +
    `const WG: u32 = ${config.wg}u;\nconst ROWS: u32 = ${config.rows}u;\nconst MAX_M: u32 = ${config.maxM}u;\n` +
    element +
    params.wgsl() +
    weights.map((w) => storageReaderWgsl({ ...w, element: config.vec4 ? 'vec4' : 'f32' })).join('') +
    (config.subgroups ? gemvReduceSubgroupSource : gemvReduceWorkgroupSource) +
    gemvCommonSource +
    kernelSource
  );
}

/** Pipeline cache key of a gemv kernel in a configuration. */
export function gemvKey(kernel: string, c: GemvConfig, extra = ''): string {
  return `${kernel}:wg${c.wg}:r${c.rows}:m${c.maxM}:${c.vec4 ? 'vec4' : 'scalar'}:${c.subgroups ? 'sg' : 'wgmem'}${extra}`;
}

/** A block's pre-norm, fused into the first projection: RMSNorm over the input's last dim with `weight`. */
export interface GemvNorm {
  weight: Tensor;
  eps: number;
}

export interface GemvArgs {
  /** Input rows (..., width): few (decode), as the weights are read once per chunk of up to 8 rows. */
  a: Tensor;
  /** 1 to GEMV_MAX_WEIGHTS linear-layer weights (Nᵢ, K), each float32 or fp16: out's columns are their outputs, in order. */
  weights: Tensor[];
  /** The K inputs are a's columns [offset, offset + count) (default: all); with swiglu, count = 2K. */
  aColumns?: { offset: number; count: number };
  /** RMSNorm of each input row first (weight (K)). */
  norm?: GemvNorm;
  /** The input row holds [gate (K) | up (K)]; the kernel's input is silu(gate)·up. */
  swiglu?: boolean;
  /** Write into this tensor ((..., ΣNᵢ) values) instead of allocating. */
  out?: Tensor;
  /** Add into `out` instead of overwriting it (a residual connection). */
  accumulate?: boolean;
  category?: MemoryCategory;
  label?: string;
}

/** out (..., ΣNᵢ) = [a·W₀ᵀ | a·W₁ᵀ | ...] with the optional fusions of GemvArgs; one dispatch. */
export function gemv(engine: Engine, args: GemvArgs): Tensor {
  const { a, weights, norm } = args;
  if (weights.length < 1 || weights.length > GEMV_MAX_WEIGHTS) throw new KernelInputError(`gemv: ${weights.length} weights; one dispatch takes 1 to ${GEMV_MAX_WEIGHTS}`);
  const width = a.shape[a.shape.length - 1];
  const rows = width > 0 ? a.numel / width : 0;
  if (a.shape.length < 1) throw new KernelInputError(`gemv: a ${shapeToString(a.shape)} has no rows`);
  const K = weights[0].shape[weights[0].shape.length - 1];
  const cols = args.aColumns ?? { offset: 0, count: width };
  if (cols.offset < 0 || cols.count < 1 || cols.offset + cols.count > width) {
    throw new KernelInputError(`gemv: columns [${cols.offset}, ${cols.offset + cols.count}) are outside a ${shapeToString(a.shape)}`);
  }
  const inputs = args.swiglu ? 2 * K : K;
  if (cols.count !== inputs) {
    throw new KernelInputError(`gemv: a ${shapeToString(a.shape)} gives ${cols.count} inputs per row; weights ${shapeToString(weights[0].shape)} need ${inputs}${args.swiglu ? ' ([gate | up])' : ''}`);
  }
  let N = 0;
  const starts: number[] = [];
  for (const w of weights) {
    if (w.shape.length !== 2 || w.shape[1] !== K) throw new KernelInputError(`gemv: weight ${w} must be (N, K = ${K})`);
    starts.push(N);
    N += w.shape[0];
  }
  if (norm && norm.weight.numel !== K) throw new KernelInputError(`gemv: norm weight ${norm.weight} does not match K = ${K}`);
  const outShape = [...a.shape.slice(0, -1), N];
  const out = args.out ?? engine.tensor(outShape, args.category ?? 'activations', args.label ?? 'gemv.out');
  if (out.numel !== rows * N) throw new KernelInputError(`gemv: out ${shapeToString(out.shape)} does not hold ${shapeToString(outShape)}`);
  if (rows === 0 || N === 0) return out;
  const vec4 = K % 4 === 0 && width % 4 === 0 && cols.offset % 4 === 0;
  const config = gemvConfig(engine, rows, K, N, vec4);
  const swiglu = args.swiglu ?? false;
  const w = (i: number) => weights[Math.min(i, weights.length - 1)];
  const formats = [0, 1, 2, 3].map((i) => storageFormatOf(w(i), 'gemv'));
  if (a.dtype !== 'f32') throw new KernelInputError(`gemv: a ${a} holds ${a.dtype} values; it must be float32 (only the weights may be fp16)`);
  const pipeline = engine.pipeline(gemvKey('matmul_gemv', config, `${norm ? ':norm' : ''}${swiglu ? ':swiglu' : ''}${formatsKey(formats)}`), () => ({
    code: gemvShaderCode(
      config,
      GEMV_PARAMS,
      gemvSource,
      formats.map((format, i) => ({ binding: 3 + i, name: `W${i}`, fn: `load_w${i}`, format })),
    ),
    constants: { NORM: norm ? 1 : 0, SWIGLU: swiglu ? 1 : 0 },
  }));
  const seg = (i: number) => (i < starts.length ? starts[i] : N);
  const u = GEMV_PARAMS.pack({ M: rows, K, N, lda: width, aOffset: cols.offset, accumulate: args.accumulate ? 1 : 0, seg1: seg(1), seg2: seg(2), seg3: seg(3), eps: norm?.eps ?? 0 });
  const grid = grid1d(Math.ceil(N / config.rows), engine.report.limits.maxComputeWorkgroupsPerDimension);
  const what = () => `${norm ? 'rmsnorm+' : ''}${swiglu ? 'swiglu+' : ''}matmul_gemv(rows=${rows}, K=${K}, N=${weights.length > 1 ? weights.map((x) => x.shape[0]).join('+') : N}${args.accumulate ? ', +=' : ''})`;
  engine.dispatch(what, pipeline, [a, norm?.weight ?? a, w(0), w(1), w(2), w(3), out], grid, u);
  return out;
}

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
  /** 'tiled-vec4': output rows per invocation, 4 (tiles 64 rows high) or 8 (128 rows); default VEC4_DEFAULT. */
  rowsPerInvocation?: 4 | 8;
  /** 'tiled-vec4': output columns per invocation, 4 (tiles 64 columns wide) or 8 (128); default VEC4_DEFAULT. */
  colsPerInvocation?: 4 | 8;
  /** 'tiled-vec4': depth of the K-tiles, 16 or 32; default VEC4_DEFAULT. */
  kTile?: 16 | 32;
  /** 'tiled-vec4': issue the next K-tile's loads before the current tile's arithmetic (default true). */
  prefetch?: boolean;
  /**
   * Benchmarks, 'tiled-vec4' only: a tensor of 2 values zeroed by the caller, read as u32 afterwards:
   * [workgroups running now (0 after), the most that ran at once].
   */
  residency?: Tensor;
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

/**
 * Workgroup memory of the tiled-vec4 kernel's tiles: TK rows of 4·TM + 16·TC vec4 plus the padding of
 * PAD = 32 / TK vec4 per row of each tile (matmul_tiled_vec4.wgsl).
 */
export function vec4TileBytes(rowsPerInvocation: number, vec4ColumnsPerInvocation: number, kTile: number): number {
  const pad = 32 / kTile;
  return kTile * (4 * rowsPerInvocation + 16 * vec4ColumnsPerInvocation + 2 * pad) * 16;
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
  const wFormat = storageFormatOf(w, 'matmul');
  if (a.dtype !== 'f32') throw new KernelInputError(`matmul: a ${a} holds ${a.dtype} values; it must be float32 (only the weight operand may be fp16)`);
  const out = opts.out ?? engine.tensor(s.outShape, opts.category ?? 'activations', opts.label ?? 'matmul.out');
  if (numel(out.shape) !== numel(s.outShape)) {
    throw new KernelInputError(`matmul: out ${shapeToString(out.shape)} does not hold ${shapeToString(s.outShape)}`);
  }
  // With weights shared across the batch, leading dims fold into rows: (batch·M, K) · op(w).
  const rows = s.batchedB ? s.M : s.batch * s.M;
  const gemvFits = transposeB && !s.batchedB && rows <= GEMV_MAX_ROWS;
  // The vec4 kernel reads every row of a and w as vec4: K, a's row stride and column offset multiples of 4.
  const vec4Fits = transposeB && !s.batchedB && s.K % 4 === 0 && lda % 4 === 0 && (cols?.offset ?? 0) % 4 === 0;
  const variant: Exclude<MatmulVariant, 'auto'> =
    requested === 'auto'
      ? gemvFits
        ? 'gemv'
        : vec4Fits && s.batch * Math.ceil(s.M / (16 * VEC4_DEFAULT.rowsPerInvocation)) * Math.ceil(s.N / (16 * VEC4_DEFAULT.colsPerInvocation)) >= VEC4_MIN_WORKGROUPS
          ? 'tiled-vec4'
          : 'tiled'
      : requested;
  if (variant === 'gemv') {
    if (!gemvFits) throw new KernelInputError(`matmul: the gemv variant needs wᵀ, a shared w and at most ${GEMV_MAX_ROWS} rows; got ${rows} rows`);
    const w2 = w.shape.length === 2 ? w : w.view([s.N, s.K]);
    return gemv(engine, { a, weights: [w2], aColumns: cols, out, accumulate: opts.accumulate });
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
  if (variant === 'tiled-vec4') {
    if (!vec4Fits) {
      throw new KernelInputError(
        `matmul: the tiled-vec4 variant needs wᵀ shared across the batch and K (${s.K}), a's row stride (${lda}) and column offset (${cols?.offset ?? 0}) multiples of 4`,
      );
    }
    const tm = opts.rowsPerInvocation ?? VEC4_DEFAULT.rowsPerInvocation;
    const tc = (opts.colsPerInvocation ?? VEC4_DEFAULT.colsPerInvocation) / 4;
    const storage = engine.report.limits.maxComputeWorkgroupStorageSize;
    const tk = opts.kTile ?? VEC4_DEFAULT.kTile;
    if (vec4TileBytes(tm, tc, tk) > storage) {
      throw new GpuLimitError(
        `matmul: the tiled-vec4 tiles (${tm}×${4 * tc} per invocation, K-tiles of ${tk}) need ${vec4TileBytes(tm, tc, tk)} bytes of workgroup memory; this device has ${storage}`,
        'maxComputeWorkgroupStorageSize',
        vec4TileBytes(tm, tc, tk),
        storage,
      );
    }
    const prefetch = opts.prefetch ?? true;
    const residency = opts.residency;
    if (residency && residency.numel < 2) throw new KernelInputError(`matmul: the residency counter needs 2 values, got ${residency.numel}`);
    const pipeline = engine.pipeline(`matmul_tiled_vec4:tm=${tm}:tc=${tc}:tk=${tk}:prefetch=${prefetch}:residency=${residency ? 1 : 0}${formatsKey([wFormat])}`, () => ({
      code:
        MATMUL_PARAMS.wgsl() +
        storageReaderWgsl({ binding: 2, name: 'W', fn: 'load_w4', format: wFormat, element: 'vec4' }) +
        `const TM: u32 = ${tm}u;\nconst TC: u32 = ${tc}u;\nconst TK: u32 = ${tk}u;\nconst PREFETCH: bool = ${prefetch};\n${residencyCode(residency ? { binding: 4, at: 0 } : null)}\n` +
        tiledVec4Source,
    }));
    const bindings = residency ? [a, w, out, residency] : [a, w, out];
    engine.dispatch(
      () => `matmul_tiled_vec4(batch=${s.batch}, M=${s.M}, K=${s.K}, N=${s.N}, ${tm}×${4 * tc} per invocation, TK=${tk})`,
      pipeline,
      bindings,
      [Math.ceil(s.N / (64 * tc)), Math.ceil(s.M / (16 * tm)), s.batch],
      uniforms,
    );
    return out;
  }
  const name = () => `matmul_${variant}(batch=${s.batch}, M=${s.M}, K=${s.K}, N=${s.N}${transposeB ? ', wᵀ' : ''})`;
  const source = variant === 'tiled' ? tiledSource : naiveSource;
  const pipeline = engine.pipeline(`matmul_${variant}${formatsKey([wFormat])}`, () => ({
    code: MATMUL_PARAMS.wgsl() + storageReaderWgsl({ binding: 2, name: 'B', fn: 'load_b', format: wFormat, element: 'f32' }) + source,
  }));
  const tile = variant === 'tiled' ? 64 : 16;
  engine.dispatch(name, pipeline, [a, w, out], [Math.ceil(s.N / tile), Math.ceil(s.M / tile), s.batch], uniforms);
  return out;
}
