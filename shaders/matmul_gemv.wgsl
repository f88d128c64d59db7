// Matrix-vector matmul for few rows (decode: one token per sequence), with optional fusions:
//   C[m, n] (+)= Σ_k a(m, k) · W(n, k),   m < M <= MAX_M, n < N, W rows stored (N, K) as linear-layer weights.
// W is the concatenation of up to four weight tensors along N (segments: rows [0, seg1) from W0,
// [seg1, seg2) from W1, [seg2, seg3) from W2, [seg3, N) from W3), so several projections of the same input
// (q, k, v, gate; an MLP's gate and up) are one dispatch writing one (M, N) output.
// a(m, k) = A[aOffset + m·lda + k]; with SWIGLU, a(m, k) = silu(A[...k]) · A[...K + k] (an MLP's down
// projection reading its [gate | up] input); with NORM (gemv_common.wgsl), the rows of a are RMS-normalized
// with weight NormW first (a block's pre-norm). With accumulate, C += (a residual connection in place).
// Body and reduction: gemv_common.wgsl and gemv_reduce_*.wgsl. Weights are read once, coalesced: the
// kernel is bandwidth-bound. Params: M, K, N, lda, aOffset, accumulate, seg1, seg2, seg3, eps.
// W0..W3 (bindings 3-6) and their readers load_w0..load_w3(j) -> V (float32 or fp16 storage, each its own)
// are prepended by the host (src/kernels/weight-read.ts).

override SWIGLU: bool = false;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> A: array<V>;
@group(0) @binding(2) var<storage, read> NormW: array<V>;
@group(0) @binding(7) var<storage, read_write> C: array<f32>;

fn loadA(m: u32, j: u32) -> V {
  // aOffset, lda and K are multiples of VW (the host checks).
  let at = (P.aOffset + m * P.lda) / VW + j;
  if (SWIGLU) {
    let g = A[at];
    return g / (1.0 + exp(-g)) * A[at + P.K / VW];
  }
  return A[at];
}

fn loadW(n: u32, j: u32) -> V {
  let kv = P.K / VW;
  if (n < P.seg1) { return load_w0(n * kv + j); }
  if (n < P.seg2) { return load_w1((n - P.seg1) * kv + j); }
  if (n < P.seg3) { return load_w2((n - P.seg2) * kv + j); }
  return load_w3((n - P.seg3) * kv + j);
}

fn gemv_store(m: u32, n: u32, v: f32) {
  let at = m * P.N + n;
  if (P.accumulate == 1u) { C[at] = C[at] + v; } else { C[at] = v; }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  gemv_run(wid, nwg, t);
}
