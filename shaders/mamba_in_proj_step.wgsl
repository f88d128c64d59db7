// Mamba decode, first kernel of a layer: the block's pre-norm, in_proj and the causal conv step fused.
//   xz[m, n] = Σ_k a(m, k) · W(n, k)   (in_proj, W (2·Di, K); a = RMSNorm(A) with NORM, see gemv_common.wgsl)
//   n <  Di (x half): channel c = n's conv step on its state column (B, dConv - 1, Di), then SiLU:
//       Out[m, c] = silu(bias(c) + Σ_{k < W-1} convW(c, k) · state(m, k, c) + convW(c, W-1) · xz[m, c]),
//       the column shifted up one row and xz[m, c] stored in its last row;
//   n >= Di (z half): Out[m, n] = xz[m, n].
// So Out (M, 2·Di) = [u | z]: u the conv output the state update and x_proj read, z the gate. The
// workgroup that computes x-row c owns channel c's conv state: no other workgroup touches it.
// Params: M, K, N (= 2·Di), lda, aOffset, eps, dInner, width (conv width W).
// W (in_proj, binding 3) and its reader load_w(j) -> V (float32 or fp16 storage) are prepended by the host
// (src/kernels/weight-read.ts).

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> A: array<V>;
@group(0) @binding(2) var<storage, read> NormW: array<V>;
@group(0) @binding(4) var<storage, read> ConvW: array<f32>;
@group(0) @binding(5) var<storage, read> ConvB: array<f32>;
@group(0) @binding(6) var<storage, read_write> ConvState: array<f32>;
@group(0) @binding(7) var<storage, read_write> Out: array<f32>;

fn loadA(m: u32, j: u32) -> V {
  return A[(P.aOffset + m * P.lda) / VW + j];
}

fn loadW(n: u32, j: u32) -> V {
  return load_w(n * (P.K / VW) + j);
}

// Channel n < Di of the x half: the conv step over the conv state (shifted in place) and SiLU; the z half
// is stored as it is.
fn gemv_store(m: u32, n: u32, v: f32) {
  let Di = P.dInner;
  if (n >= Di) {
    Out[m * P.N + n] = v;
    return;
  }
  let Wc = P.width;
  let past = Wc - 1u;
  var acc = ConvB[n];
  for (var k = 0u; k < past; k++) {
    let at = (m * past + k) * Di + n;
    let s = ConvState[at];
    acc = fma(ConvW[n * Wc + k], s, acc);
    // Shift as we go: row k - 1 takes row k (read above, before row k is overwritten).
    if (k > 0u) { ConvState[at - Di] = s; }
  }
  acc = fma(ConvW[n * Wc + past], v, acc);
  if (past > 0u) { ConvState[(m * past + past - 1u) * Di + n] = v; }
  Out[m * P.N + n] = acc / (1.0 + exp(-acc));
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  gemv_run(wid, nwg, t);
}
