// scan_exp2_poly over an array, for tests: Out[i] = scan_exp2_poly(X[i]) with P.polyOnes from the
// uniform block, as the scan kernels call it. X and Out hold P.count vec4.

override WG: u32 = 64u;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> X: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> Out: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * WG + lid;
  if (i >= P.count) { return; }
  Out[i] = scan_exp2_poly(X[i], P.polyOnes);
}
