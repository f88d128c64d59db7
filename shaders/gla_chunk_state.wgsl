// Chunked GLA, pass 1 of 3: per chunk n of C steps (workgroup per (n, h, b)), the cumulative log decay
// relative to the chunk start, b_t = Σ_{s<=t in chunk} gk_s (written to Bcum, layout (B, T, H, K)), and the
// chunk's own contribution to the state, D_n = Σ_s (k_s ⊙ exp(b_last - b_s))ᵀ v_s (K, V), written to
// Hbuf (B, H, N, K, V). Every exponent b_last - b_s is <= 0, so nothing overflows in fp32.
// Layouts: k, gk (B, T, H, K); v (B, T, H, V). Prepended by the host: const C, KPAD, WG (>= K).

@group(0) @binding(0) var<uniform> P: Params;   // B, T, H, K, V, N, useInit, scale
@group(0) @binding(1) var<storage, read> Kt: array<f32>;
@group(0) @binding(2) var<storage, read> Vt: array<f32>;
@group(0) @binding(3) var<storage, read> GK: array<f32>;
@group(0) @binding(4) var<storage, read_write> Bcum: array<f32>;
@group(0) @binding(5) var<storage, read_write> Hbuf: array<f32>;

// kd[t][i] = k_t[i] · exp(b_last[i] - b_t[i]) for the chunk's steps.
var<workgroup> kd: array<f32, C * KPAD>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let n = wid.x;
  let h = wid.y;
  let b = wid.z;
  let t0 = n * C;
  let steps = min(C, P.T - t0);
  if (lid < P.K) {
    let i = lid;
    var cum = 0.0;
    for (var s = 0u; s < steps; s++) {
      let at = ((b * P.T + t0 + s) * P.H + h) * P.K + i;
      cum += GK[at];
      Bcum[at] = cum;
      kd[s * KPAD + i] = cum;
    }
    for (var s = 0u; s < steps; s++) {
      let at = ((b * P.T + t0 + s) * P.H + h) * P.K + i;
      kd[s * KPAD + i] = Kt[at] * exp(cum - kd[s * KPAD + i]);
    }
  }
  workgroupBarrier();
  let hBase = ((b * P.H + h) * P.N + n) * P.K * P.V;
  for (var idx = lid; idx < P.K * P.V; idx += WG) {
    let i = idx / P.V;
    let j = idx % P.V;
    var acc = 0.0;
    for (var s = 0u; s < steps; s++) {
      acc = fma(kd[s * KPAD + i], Vt[((b * P.T + t0 + s) * P.H + h) * P.V + j], acc);
    }
    Hbuf[hBase + idx] = acc;
  }
}
