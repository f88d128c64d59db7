// GLA decode, second kernel of a layer: the forget gate, the recurrent state update, the output, its
// RMSNorm and the swish gate in one dispatch. One workgroup per (head h, sequence b); grid (H, B).
// Input row (B, width) = [q (H·K) | k (H·K) | v (H·V) | g (H·V) | gk_low (R)] at offsets qOff .. lowOff
// (gla_in_proj_step.wgsl's output). Per head, with c = h·K + i and j < V:
//   gk[i] = logsigmoid(Σ_r gk_low[r] · GkW[c, r] + GkBias[c]) · invNormalizer      (gk_proj.1 and the gate)
//   S[i, j] = exp(gk[i]) · S[i, j] + k[c] · v[h·V + j]                              (state (B, H, K, V))
//   o[j] = scale · Σ_i q[c] · S[i, j]
//   Out[b, h·V + j] = o[j] · inverseSqrt(mean_j(o²) + eps) · NormW[j] · silu(g[h·V + j])
// The gate, q and k of the head go to workgroup memory first; invocation t then owns value columns
// t, t + WG, ...: it updates their state column (reads of one state row are contiguous across the
// workgroup), stores o, and after the workgroup's sum of squares rescales the values it stored.
// logsigmoid(x) = min(x, 0) - log1p(exp(-|x|)), computed as the gate kernel (gla_gate.wgsl) does.
// Prepended by the host: const KMAX (K <= KMAX), SU (state rows loaded at once); override WG (a power of two).
// Params: B, H, K, V, R, width, qOff, kOff, vOff, gOff, lowOff, scale, invNormalizer, eps.

override WG: u32 = 256u;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> Proj: array<f32>;
@group(0) @binding(2) var<storage, read> GkW: array<f32>;
@group(0) @binding(3) var<storage, read> GkBias: array<f32>;
@group(0) @binding(4) var<storage, read> NormW: array<f32>;
@group(0) @binding(5) var<storage, read_write> State: array<f32>;
@group(0) @binding(6) var<storage, read_write> Out: array<f32>;

var<workgroup> qs: array<f32, KMAX>;
var<workgroup> ks: array<f32, KMAX>;
var<workgroup> decay: array<f32, KMAX>;
var<workgroup> partial: array<f32, WG>;

fn sigmoid(x: f32) -> f32 {
  if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
  let e = exp(x);
  return e / (1.0 + e);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let h = wid.x;
  let b = wid.y;
  let row = b * P.width;
  for (var i = t; i < P.K; i += WG) {
    let c = h * P.K + i;
    var acc = 0.0;
    for (var r = 0u; r < P.R; r++) { acc = fma(Proj[row + P.lowOff + r], GkW[c * P.R + r], acc); }
    let x = acc + GkBias[c];
    let z = exp(-abs(x));
    var l = log(1.0 + z);
    if (z < 1e-4) { l = z - 0.5 * z * z; }
    decay[i] = exp((min(x, 0.0) - l) * P.invNormalizer);
    qs[i] = Proj[row + P.qOff + c];
    ks[i] = Proj[row + P.kOff + c];
  }
  workgroupBarrier();
  let sBase = (b * P.H + h) * P.K * P.V;
  let oBase = (b * P.H + h) * P.V;
  var ss = 0.0;
  for (var j = t; j < P.V; j += WG) {
    let vj = Proj[row + P.vOff + h * P.V + j];
    var o = 0.0;
    // SU rows at a time: their loads are issued before any of their stores (a store to State may alias a
    // later load as far as the compiler knows, so one row at a time would wait a memory round trip per row).
    for (var i0 = 0u; i0 < P.K; i0 += SU) {
      var old = array<f32, SU>();
      for (var u = 0u; u < SU; u++) {
        let i = i0 + u;
        if (i < P.K) { old[u] = State[sBase + i * P.V + j]; }
      }
      for (var u = 0u; u < SU; u++) {
        let i = i0 + u;
        if (i < P.K) {
          let s = fma(old[u], decay[i], ks[i] * vj);
          State[sBase + i * P.V + j] = s;
          o = fma(qs[i], s, o);
        }
      }
    }
    o = o * P.scale;
    Out[oBase + j] = o;
    ss = fma(o, o, ss);
  }
  partial[t] = ss;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride = stride / 2u) {
    if (t < stride) { partial[t] += partial[t + stride]; }
    workgroupBarrier();
  }
  let inv = inverseSqrt(partial[0] / f32(P.V) + P.eps);
  // Each invocation rescales the values it stored above (its own writes: no barrier needed).
  for (var j = t; j < P.V; j += WG) {
    let g = Proj[row + P.gOff + h * P.V + j];
    Out[oBase + j] = Out[oBase + j] * inv * NormW[j] * (g * sigmoid(g));
  }
}
