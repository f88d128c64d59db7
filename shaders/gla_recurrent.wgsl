// Gated linear attention, recurrent form (decode and the baseline). One invocation per (b, h, value column
// j); it keeps column j of the head's state h (K, V) in registers and walks the T steps:
//   h[:, j] = exp(gk_t) ⊙ h[:, j] + k_t · v_t[j],   o_t[j] = Σ_i q_t[i] · scale · h[i, j].
// Layouts: q, k, gk (B, T, H, K); v, o (B, T, H, V); State (B, H, K, V), read as the initial state when
// useInit = 1 (else zeros) and overwritten with the final state. Grid (ceil(V / WG), H, B).
// Prepended by the host: const KPAD (K rounded up to the register array size), WG.

@group(0) @binding(0) var<uniform> P: Params;   // B, T, H, K, V, useInit, scale
@group(0) @binding(1) var<storage, read> Q: array<f32>;
@group(0) @binding(2) var<storage, read> Kt: array<f32>;
@group(0) @binding(3) var<storage, read> Vt: array<f32>;
@group(0) @binding(4) var<storage, read> GK: array<f32>;
@group(0) @binding(5) var<storage, read_write> State: array<f32>;
@group(0) @binding(6) var<storage, read_write> O: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let j = wid.x * WG + lid;
  let h = wid.y;
  let b = wid.z;
  if (j >= P.V) { return; }
  let sBase = (b * P.H + h) * P.K * P.V + j;
  var st: array<f32, KPAD>;
  for (var i = 0u; i < KPAD; i++) {
    var x = 0.0;
    if (P.useInit == 1u && i < P.K) { x = State[sBase + i * P.V]; }
    st[i] = x;
  }
  for (var t = 0u; t < P.T; t++) {
    let kBase = ((b * P.T + t) * P.H + h) * P.K;
    let vj = Vt[((b * P.T + t) * P.H + h) * P.V + j];
    var o = 0.0;
    for (var i = 0u; i < KPAD; i++) {
      if (i < P.K) {
        st[i] = fma(st[i], exp(GK[kBase + i]), Kt[kBase + i] * vj);
        o = fma(Q[kBase + i], st[i], o);
      }
    }
    O[((b * P.T + t) * P.H + h) * P.V + j] = o * P.scale;
  }
  for (var i = 0u; i < P.K; i++) { State[sBase + i * P.V] = st[i]; }
}
