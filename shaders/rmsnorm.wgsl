// RMSNorm over the last dimension: out[r, :] = x[r, :] / sqrt(mean(x[r, :]²) + eps) · weight.
// One workgroup per row; the sum of squares is reduced in workgroup memory. Rows index as x + y·nx.

override WG: u32 = 256u;

@group(0) @binding(0) var<uniform> P: Params;   // rows, D, eps
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> W: array<f32>;
@group(0) @binding(3) var<storage, read_write> O: array<f32>;

var<workgroup> partial: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= P.rows) { return; }   // uniform per workgroup: safe before the barriers
  let base = row * P.D;
  var s = 0.0;
  for (var i = t; i < P.D; i += WG) { let v = X[base + i]; s = fma(v, v, s); }
  partial[t] = s;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride = stride / 2u) {
    if (t < stride) { partial[t] += partial[t + stride]; }
    workgroupBarrier();
  }
  let inv = inverseSqrt(partial[0] / f32(P.D) + P.eps);
  for (var i = t; i < P.D; i += WG) { O[base + i] = X[base + i] * inv * W[i]; }
}
