// Float64 twins of the fused decode kernels, composed from the basic twins: what each fused kernel computes
// in one dispatch, written as the sequence of unfused steps it replaces.

import { causalConv1dRef } from './mamba';
import { matmulRef, rmsnormRef, silu } from './basic';
import { ropeRef } from './attention';

export interface GemvRefArgs {
  /** rows × width input. */
  a: ArrayLike<number>;
  rows: number;
  width: number;
  /** Column range of a that feeds the kernel (default all); with swiglu it holds [gate (K) | up (K)]. */
  aColumns?: { offset: number; count: number };
  /** Weights (Nᵢ, K), concatenated along N in the output. */
  weights: { data: ArrayLike<number>; rows: number }[];
  K: number;
  norm?: { weight: ArrayLike<number>; eps: number };
  swiglu?: boolean;
  /** Added to the result (accumulate), rows × ΣNᵢ. */
  accumulateInto?: ArrayLike<number>;
}

/** The fused gemv: out (rows, ΣNᵢ) = [x·W₀ᵀ | x·W₁ᵀ | ...] (+ accumulateInto), x = norm?(swiglu?(a's columns)). */
export function gemvRef(p: GemvRefArgs): Float64Array {
  const { rows, width, K } = p;
  const cols = p.aColumns ?? { offset: 0, count: width };
  let x: Float64Array = new Float64Array(rows * K);
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < K; k++) {
      const at = r * width + cols.offset + k;
      x[r * K + k] = p.swiglu ? silu(p.a[at]) * p.a[at + K] : p.a[at];
    }
  }
  if (p.norm) x = rmsnormRef(x, p.norm.weight, K, p.norm.eps);
  const N = p.weights.reduce((s, w) => s + w.rows, 0);
  const out = new Float64Array(rows * N);
  let n0 = 0;
  for (const w of p.weights) {
    const part = matmulRef(x, w.data, 1, rows, K, w.rows, true);
    for (let r = 0; r < rows; r++) for (let n = 0; n < w.rows; n++) out[r * N + n0 + n] = part[r * w.rows + n];
    n0 += w.rows;
  }
  if (p.accumulateInto) for (let i = 0; i < out.length; i++) out[i] += p.accumulateInto[i];
  return out;
}

/**
 * Mamba's first decode kernel: xz = RMSNorm?(x) · in_projᵀ (rows, 2·Di); u = silu(conv step of xz's x half
 * from convState (rows, W - 1, Di)); returns [u | z] (rows, 2·Di) and the shifted conv state.
 */
export function mambaInProjStepRef(p: {
  x: ArrayLike<number>;
  rows: number;
  dModel: number;
  dInner: number;
  inProj: ArrayLike<number>;
  norm?: { weight: ArrayLike<number>; eps: number };
  convWeight: ArrayLike<number>;
  convBias: ArrayLike<number>;
  width: number;
  convState: ArrayLike<number>;
}): { out: Float64Array; convState: Float64Array } {
  const { rows, dModel, dInner: Di } = p;
  const xz = gemvRef({ a: p.x, rows, width: dModel, K: dModel, weights: [{ data: p.inProj, rows: 2 * Di }], norm: p.norm });
  const xHalf = new Float64Array(rows * Di);
  for (let r = 0; r < rows; r++) for (let c = 0; c < Di; c++) xHalf[r * Di + c] = xz[r * 2 * Di + c];
  const conv = causalConv1dRef(xHalf, p.convWeight, p.convBias, rows, 1, Di, p.width, 'silu', p.convState);
  const out = Float64Array.from(xz);
  for (let r = 0; r < rows; r++) for (let c = 0; c < Di; c++) out[r * 2 * Di + c] = conv.out[r * Di + c];
  return { out, convState: conv.convState };
}

/**
 * Attention decode's RoPE and KV-cache append: src (B, (H + 2·Hkv)·E + G) = [q | k | v | gate] of one token at
 * `position`; returns q and k rotated (B, H·E), (B, Hkv·E), v (B, Hkv·E) and the gate (B, G) as they are.
 */
export function ropeKvAppendRef(src: ArrayLike<number>, B: number, H: number, Hkv: number, E: number, G: number, base: number, position: number) {
  const width = (H + 2 * Hkv) * E + G;
  const take = (from: number, n: number) => {
    const out = new Float64Array(B * n);
    for (let b = 0; b < B; b++) for (let i = 0; i < n; i++) out[b * n + i] = src[b * width + from + i];
    return out;
  };
  return {
    q: ropeRef(take(0, H * E), B, 1, H, E, base, position),
    k: ropeRef(take(H * E, Hkv * E), B, 1, Hkv, E, base, position),
    v: take((H + Hkv) * E, Hkv * E),
    gate: take((H + 2 * Hkv) * E, G),
  };
}

/** Index of the largest value of each row (the first one on ties; NaN never wins). */
export function argmaxRef(x: ArrayLike<number>, rows: number, width: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < rows; r++) {
    let best = -1;
    for (let i = 0; i < width; i++) {
      const v = x[r * width + i];
      if (Number.isNaN(v)) continue;
      if (best < 0 || v > x[r * width + best]) best = i;
    }
    out.push(Math.max(best, 0));
  }
  return out;
}
