// Residency probe: how many workgroups that each hold PAD_VEC4 vec4 of workgroup memory run at once on
// one device (counted by residency_enter / residency_leave, prepended by the host with the counter at
// binding 2). Each workgroup fills its memory (vec4 i holds (4i, 4i + 1, 4i + 2, 4i + 3)·a), then every
// invocation walks an fma chain x = fma(x, a, b) for P.iterations steps from vec4 j = its index mod
// PAD_VEC4 (long enough for the workgroups of one wave to overlap), adds vec4 PAD_VEC4 - 1 - j and writes
// the sum of the four lanes. What limits the count besides workgroup memory (invocations per SM, a few registers) is the
// same for every PAD_VEC4, so counts against PAD_VEC4 show how much workgroup memory an SM gives.

override WG: u32 = 128u;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> Out: array<f32>;

var<workgroup> pad: array<vec4<f32>, PAD_VEC4>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  if (lid == 0u) { residency_enter(); }
  for (var i = lid; i < PAD_VEC4; i += WG) {
    let f = f32(4u * i) * P.a;
    pad[i] = vec4<f32>(f, f + P.a, f + 2.0 * P.a, f + 3.0 * P.a);
  }
  workgroupBarrier();
  let j = lid % PAD_VEC4;
  var x = pad[j];
  for (var it = 0u; it < P.iterations; it++) { x = fma(x, vec4<f32>(P.a), vec4<f32>(P.b)); }
  x += pad[PAD_VEC4 - 1u - j];
  workgroupBarrier();
  if (lid == 0u) { residency_leave(); }
  let i = (wid.x + wid.y * nwg.x) * WG + lid;
  if (i < P.n) { Out[i] = (x.x + x.y) + (x.z + x.w); }
}
