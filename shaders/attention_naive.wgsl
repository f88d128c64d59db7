// Naive attention (the baseline): materializes the scores. Entry `scores`: one invocation per (b, h, i, j)
// writes scale·q_i·k_j (or the finite sentinel MASKED) into Scratch (B, H, L, S). Entry `combine`: one
// invocation per (b, h, i, e) computes the row's max and sum from Scratch, then out = Σ_j p_j v_j[e] / Σ p,
// times sigmoid(gate). Same Params, strides, causal alignment (key j visible to query i when
// j <= i + S - L) and gate kinds as attention_flash.wgsl. Both entries touch every binding so that they
// share one binding list: Q, K, V, G, Scratch, O. The host prepends the K and V bindings (2, 3) with their
// readers read_k / read_v (storage-read.ts: float32 or fp16 storage).

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> Q: array<f32>;
@group(0) @binding(4) var<storage, read> G: array<f32>;
@group(0) @binding(5) var<storage, read_write> Scratch: array<f32>;
@group(0) @binding(6) var<storage, read_write> O: array<f32>;

const MASKED: f32 = -1.0e30;
override WG: u32 = 256u;

fn sigmoid(x: f32) -> f32 {
  if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
  let z = exp(x);
  return z / (1.0 + z);
}

@compute @workgroup_size(WG)
fn scores(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  _ = &V; _ = &G; _ = &O;
  let n = gid.x + gid.y * nwg.x * WG;
  if (n >= P.B * P.H * P.L * P.S) { return; }
  let j = n % P.S;
  let i = (n / P.S) % P.L;
  let h = (n / (P.S * P.L)) % P.H;
  let b = n / (P.S * P.L * P.H);
  let hk = h / (P.H / P.Hkv);
  var s = MASKED;
  if (P.causal == 0u || i32(j) <= i32(i) + i32(P.S) - i32(P.L)) {
    let qBase = b * P.qSB + h * P.qSH + i * P.qSL;
    let kBase = b * P.kSB + hk * P.kSH + j * P.kSL;
    var d = 0.0;
    for (var e = 0u; e < P.E; e++) { d += Q[qBase + e] * read_k(kBase + e); }
    s = d * P.scale;
  }
  Scratch[n] = s;
}

@compute @workgroup_size(WG)
fn combine(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  _ = &Q; _ = &K;
  let n = gid.x + gid.y * nwg.x * WG;
  if (n >= P.B * P.H * P.L * P.E) { return; }
  let e = n % P.E;
  let i = (n / P.E) % P.L;
  let h = (n / (P.E * P.L)) % P.H;
  let b = n / (P.E * P.L * P.H);
  let hk = h / (P.H / P.Hkv);
  let row = ((b * P.H + h) * P.L + i) * P.S;
  var m = MASKED;
  for (var j = 0u; j < P.S; j++) { m = max(m, Scratch[row + j]); }
  var l = 0.0;
  var acc = 0.0;
  let vBase = b * P.vSB + hk * P.vSH + e;
  for (var j = 0u; j < P.S; j++) {
    let s = Scratch[row + j];
    if (s != MASKED) {
      let p = exp(s - m);
      l += p;
      acc += p * read_v(vBase + j * P.vSL);
    }
  }
  var o = 0.0;
  if (l > 0.0) { o = acc / l; }
  let gBase = b * P.gSB + h * P.gSH + i * P.gSL;
  if (P.gateKind == 1u) { o *= sigmoid(G[gBase + e]); }
  if (P.gateKind == 2u) { o *= sigmoid(G[gBase]); }
  O[b * P.oSB + h * P.oSH + i * P.oSL + e] = o;
}
