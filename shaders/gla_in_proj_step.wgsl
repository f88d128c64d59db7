// GLA decode, first kernel of a layer: the block's pre-norm and its five input projections in one gemv.
//   Out[m, n] = Σ_k a(m, k) · W(n, k),   a = RMSNorm(A) with NORM (see gemv_common.wgsl)
// W is the concatenation along N of q_proj (keyDim, K), k_proj (keyDim, K), v_proj (valueDim, K),
// g_proj (valueDim, K) and gk_proj.0 (R, K): rows [0, seg1) from Wq, [seg1, seg2) from Wk, [seg2, seg3)
// from Wv, [seg3, seg4) from Wg, [seg4, N) from Wgk. So Out (M, N) = [q | k | v | g | gk_low], the row
// gla_step.wgsl reads. Params: M, K, N, lda, aOffset, eps, seg1, seg2, seg3, seg4.

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> A: array<V>;
@group(0) @binding(2) var<storage, read> NormW: array<V>;
@group(0) @binding(3) var<storage, read> Wq: array<V>;
@group(0) @binding(4) var<storage, read> Wk: array<V>;
@group(0) @binding(5) var<storage, read> Wv: array<V>;
@group(0) @binding(6) var<storage, read> Wg: array<V>;
@group(0) @binding(7) var<storage, read> Wgk: array<V>;
@group(0) @binding(8) var<storage, read_write> Out: array<f32>;

fn loadA(m: u32, j: u32) -> V {
  return A[(P.aOffset + m * P.lda) / VW + j];
}

fn loadW(n: u32, j: u32) -> V {
  let kv = P.K / VW;
  if (n < P.seg1) { return Wq[n * kv + j]; }
  if (n < P.seg2) { return Wk[(n - P.seg1) * kv + j]; }
  if (n < P.seg3) { return Wv[(n - P.seg2) * kv + j]; }
  if (n < P.seg4) { return Wg[(n - P.seg3) * kv + j]; }
  return Wgk[(n - P.seg4) * kv + j];
}

fn gemv_store(m: u32, n: u32, v: f32) {
  Out[m * P.N + n] = v;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  gemv_run(wid, nwg, t);
}
