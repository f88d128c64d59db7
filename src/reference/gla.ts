// Float64 twin of gated linear attention, as fla's naive_recurrent_gla: per head, state h (K, V),
//   h_t = diag(exp(gk_t)) h_{t-1} + k_tᵀ v_t,   o_t = (q_t · scale) h_t,   scale default K^-0.5.
// Layouts: q, k, gk (B, T, H, K); v and o (B, T, H, V); states (B, H, K, V).

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
