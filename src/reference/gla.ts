// Float64 twin of gated linear attention, as fla's naive_recurrent_gla: per head, state h (K, V),
//   h_t = diag(exp(gk_t)) h_{t-1} + k_tᵀ v_t,   o_t = (q_t · scale) h_t,   scale default K^-0.5.
// Layouts: q, k, gk (B, T, H, K); v and o (B, T, H, V); states (B, H, K, V).
// glaStepRef: the GLA block's fused decode kernel (glaStep) composed from the twins it replaces; the first
// decode kernel (glaInProjStep) is gemvRef (reference/decode.ts) with five weights.

import { matmulRef, rmsnormRef, silu } from './basic';

export interface GlaRefShape {
  B: number;
  T: number;
  H: number;
  K: number;
  V: number;
}

export function glaRef(
  q: ArrayLike<number>,
  k: ArrayLike<number>,
  v: ArrayLike<number>,
  gk: ArrayLike<number>,
  s: GlaRefShape,
  opts: { scale?: number; initialState?: ArrayLike<number> } = {},
): { o: Float64Array; finalState: Float64Array } {
  const { B, T, H, K, V } = s;
  const scale = opts.scale ?? 1 / Math.sqrt(K);
  const o = new Float64Array(B * T * H * V);
  const state = new Float64Array(B * H * K * V);
  if (opts.initialState) state.set(Array.from(opts.initialState));
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const so = (b * H + h) * K * V;
      for (let t = 0; t < T; t++) {
        const ko = ((b * T + t) * H + h) * K;
        const vo = ((b * T + t) * H + h) * V;
        for (let i = 0; i < K; i++) {
          const decay = Math.exp(gk[ko + i]);
          for (let j = 0; j < V; j++) state[so + i * V + j] = state[so + i * V + j] * decay + k[ko + i] * v[vo + j];
        }
        for (let j = 0; j < V; j++) {
          let acc = 0;
          for (let i = 0; i < K; i++) acc += q[ko + i] * scale * state[so + i * V + j];
          o[vo + j] = acc;
        }
      }
    }
  }
  return { o, finalState: state };
}

/** fla's GLA forget gate in log space: logsigmoid(z) / normalizer. */
export function glaGateRef(z: number, normalizer: number): number {
  return (Math.min(z, 0) - Math.log1p(Math.exp(-Math.abs(z)))) / normalizer;
}

/**
 * GLA decode's second kernel (glaStep), as the unfused steps it replaces: from one row per sequence
 * proj (B, 2·H·K + 2·H·V + R) = [q | k | v | g | gk_low],
 *   gk = logsigmoid(gk_low · gateWeightᵀ + gateBias) / normalizer   (B, H·K)
 *   o = GLA step from `state` (B, H, K, V)                          (B, H, V)
 *   out = rmsnorm(o over V, normWeight, eps) · silu(g)              (B, H·V)
 * Returns out and the new state.
 */
export function glaStepRef(p: {
  proj: ArrayLike<number>;
  B: number;
  H: number;
  K: number;
  V: number;
  R: number;
  gateWeight: ArrayLike<number>;
  gateBias: ArrayLike<number>;
  gateNormalizer: number;
  normWeight: ArrayLike<number>;
  eps: number;
  state: ArrayLike<number>;
  scale?: number;
}): { out: Float64Array; state: Float64Array } {
  const { B, H, K, V, R } = p;
  const kd = H * K;
  const vd = H * V;
  const width = 2 * kd + 2 * vd + R;
  const take = (off: number, n: number) => {
    const out = new Float64Array(B * n);
    for (let b = 0; b < B; b++) for (let i = 0; i < n; i++) out[b * n + i] = p.proj[b * width + off + i];
    return out;
  };
  const q = take(0, kd);
  const k = take(kd, kd);
  const v = take(2 * kd, vd);
  const g = take(2 * kd + vd, vd);
  const low = take(2 * kd + 2 * vd, R);
  const logits = matmulRef(low, p.gateWeight, 1, B, R, kd, true);
  const gk = logits.map((z, i) => glaGateRef(z + p.gateBias[i % kd], p.gateNormalizer));
  const { o, finalState } = glaRef(q, k, v, gk, { B, T: 1, H, K, V }, { scale: p.scale, initialState: p.state });
  const normed = rmsnormRef(o, p.normWeight, V, p.eps);
  return { out: normed.map((y, i) => y * silu(g[i])), state: finalState };
}
