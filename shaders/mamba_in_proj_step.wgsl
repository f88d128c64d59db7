// Mamba decode, first kernel of a layer: the block's pre-norm, in_proj and the causal conv step fused.
//   xz[m, n] = Σ_k a(m, k) · W(n, k)   (in_proj, W (2·Di, K); a = RMSNorm(A) with NORM, see gemv_common.wgsl)
//   n <  Di (x half): channel c = n's conv step on its state column (B, dConv - 1, Di), then SiLU:
//       Out[m, c] = silu(bias(c) + Σ_{k < W-1} convW(c, k) · state(m, k, c) + convW(c, W-1) · xz[m, c]),
//       the column shifted up one row and xz[m, c] stored in its last row;
//   n >= Di (z half): Out[m, n] = xz[m, n].
// So Out (M, 2·Di) = [u | z]: u the conv output the state update and x_proj read, z the gate. The
// workgroup that computes x-row c owns channel c's conv state: no other workgroup touches it.
// Params: M, K, N (= 2·Di), lda, aOffset, eps, dInner, width (conv width W).

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> A: array<V>;
@group(0) @binding(2) var<storage, read> NormW: array<V>;
@group(0) @binding(3) var<storage, read> W: array<V>;
@group(0) @binding(4) var<storage, read> ConvW: array<f32>;
@group(0) @binding(5) var<storage, read> ConvB: array<f32>;
@group(0) @binding(6) var<storage, read_write> ConvState: array<f32>;
@group(0) @binding(7) var<storage, read_write> Out: array<f32>;

fn loadA(m: u32, j: u32) -> V {
  return A[(P.aOffset + m * P.lda) / VW + j];
}

fn loadW(n: u32, j: u32) -> V {
  return W[n * (P.K / VW) + j];
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let n0 = (wid.x + wid.y * nwg.x) * ROWS;
  for (var m0 = 0u; m0 < P.M; m0 += MAX_M) {
    let mc = min(MAX_M, P.M - m0);
    var vals = array<f32, NVAL>();
    gemv_accumulate(n0, m0, mc, t, &vals);
    gemv_reduce(t, mc, &vals);
    // Invocation r·MAX_M + mr finishes output n0 + r of row m = m0 + mr.
    let mr = t % MAX_M;
    let n = n0 + t / MAX_M;
    if (t < ROWS * MAX_M && mr < mc && n < P.N) {
      let m = m0 + mr;
      let v = total[t] * gemv_row_scale(mr);
      let Di = P.dInner;
      if (n < Di) {
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
      } else {
        Out[m * P.N + n] = v;
      }
    }
  }
}
