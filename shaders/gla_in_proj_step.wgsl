// GLA decode, first kernel of a layer: the block's pre-norm and its five input projections in one gemv.
//   Out[m, n] = Σ_k a(m, k) · W(n, k),   a = RMSNorm(A) with NORM (see gemv_common.wgsl)
// W is the concatenation along N of q_proj (keyDim, K), k_proj (keyDim, K), v_proj (valueDim, K),
// g_proj (valueDim, K) and gk_proj.0 (R, K): rows [0, seg1) from Wq, [seg1, seg2) from Wk, [seg2, seg3)
// from Wv, [seg3, seg4) from Wg, [seg4, N) from Wgk. So Out (M, N) = [q | k | v | g | gk_low], the row
// gla_step.wgsl reads. Params: M, K, N, lda, aOffset, eps, seg1, seg2, seg3, seg4.
// Wq, Wk, Wv, Wg, Wgk (bindings 3-7) and their readers load_wq .. load_wgk(j) -> V (float32 or fp16
// storage, each its own) are prepended by the host (src/kernels/weight-read.ts).

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> A: array<V>;
@group(0) @binding(2) var<storage, read> NormW: array<V>;
@group(0) @binding(8) var<storage, read_write> Out: array<f32>;

fn loadA(m: u32, j: u32) -> V {
  return A[(P.aOffset + m * P.lda) / VW + j];
}

fn loadW(n: u32, j: u32) -> V {
  let kv = P.K / VW;
  if (n < P.seg1) { return load_wq(n * kv + j); }
  if (n < P.seg2) { return load_wk((n - P.seg1) * kv + j); }
  if (n < P.seg3) { return load_wv((n - P.seg2) * kv + j); }
  if (n < P.seg4) { return load_wg((n - P.seg3) * kv + j); }
  return load_wgk((n - P.seg4) * kv + j);
}

fn gemv_store(m: u32, n: u32, v: f32) {
  Out[m * P.N + n] = v;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  gemv_run(wid, nwg, t);
}
